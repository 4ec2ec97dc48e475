"""The app's word on a store it cannot read: what is wrong, the commands back, the backups."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from cxdash import backups, store
from cxdash.cli import main
from tests.apptest import APP, open_app
from tests.storebuilder import build_store, ts

ONE = [{"contact_id": "a", "created_at": ts("2026-03-02 09:00")}]


def _page() -> None:
    """What app.py does where data.data_extent() finds no data."""
    import os
    from pathlib import Path

    import streamlit as st

    from cxdash.ui import store_health

    if store_health.show_problem(Path(os.environ["CXDASH_DB"])):
        st.stop()
    st.write("welcome page")


def _run(monkeypatch: pytest.MonkeyPatch, path: Path) -> AppTest:
    monkeypatch.setenv("CXDASH_DB", str(path))
    at = AppTest.from_function(_page, default_timeout=30).run()
    assert not at.exception
    return at


def _backed_up(tmp_path: Path, capsys) -> tuple[Path, backups.Backup]:
    """A one-contact store with one backup taken by hand."""
    path = build_store(tmp_path / "s.duckdb", ONE)
    assert main(["backup", "--db", str(path)]) == 0
    capsys.readouterr()
    [good] = backups.list_backups(path)
    return path, good


def _welcome(at: AppTest) -> bool:
    return any(m.value == "welcome page" for m in at.markdown)


def test_a_damaged_store_shows_the_restore_command_and_the_backups(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, app_env, capsys
) -> None:
    path, good = _backed_up(tmp_path, capsys)
    path.write_bytes(b"\0" * 10_000)
    at = _run(monkeypatch, path)
    assert not _welcome(at)  # the demo button would overwrite it
    assert at.title[0].value == "The store cannot be read"
    assert "is not a DuckDB database file" in at.error[0].value and path.name in at.error[0].value
    assert at.code[0].value == (f"cxdash restore {good.path} --db {path}\n"
                                f"cxdash backups --db {path}")  # fmt: skip
    table = at.dataframe[0].value
    assert list(table["file"]) == [good.path.name] and list(table["contacts"]) == [1]
    assert list(table["reads"]) == ["yes"]


def test_a_damaged_store_without_backups_shows_how_to_rebuild(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, app_env
) -> None:
    path = tmp_path / "s.duckdb"
    path.write_text("not a store")
    at = _run(monkeypatch, path)
    assert not _welcome(at) and not at.dataframe
    assert at.code[0].value.splitlines() == [
        f"cxdash demo --db {path}", f"mv {path} {path}.damaged && cxdash import FILE --db {path}"]
    assert "there is no backup of it" in at.markdown[0].value


def test_a_missing_store_with_backups_notes_them_above_the_welcome(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, app_env, capsys
) -> None:
    path, good = _backed_up(tmp_path, capsys)
    path.unlink()
    at = _run(monkeypatch, path)
    assert _welcome(at) and "but it has backups" in at.warning[0].value
    assert at.code[0].value.startswith(f"cxdash restore {good.path} --db {path}")


@pytest.mark.parametrize("state", ["missing", "empty", "readable"])
def test_nothing_is_shown_when_nothing_is_wrong(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, app_env, state: str
) -> None:
    path = tmp_path / "s.duckdb"
    if state != "missing":
        build_store(path, ONE if state == "readable" else [])
    at = _run(monkeypatch, path)
    assert _welcome(at) and not at.error and not at.warning and not at.code


def test_app_shows_the_problem_instead_of_the_welcome(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, app_env
) -> None:
    if "store_health.show_problem" not in Path(APP).read_text():
        pytest.skip("app.py does not call store_health.show_problem yet")
    path = tmp_path / "s.duckdb"
    path.write_text("not a store")
    at = open_app(monkeypatch, path)
    assert not at.exception
    assert at.title[0].value == "The store cannot be read"
    assert not any(b.label == "Load demo data" for b in at.button)


def _welcome_page() -> None:
    from cxdash.ui import welcome

    welcome.show()


def test_the_welcome_pages_demo_on_a_full_disk_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, app_env
) -> None:
    from cxdash.demo import generator

    def full_disk(path: Path, **_: object) -> None:
        raise store.StoreError(store.no_space_message(f"the new version of {path}"))

    monkeypatch.setattr(generator, "generate", full_disk)
    monkeypatch.setenv("CXDASH_DB", str(tmp_path / "s.duckdb"))
    at = AppTest.from_function(_welcome_page, default_timeout=30).run()
    at.button[0].click().run()
    assert not at.exception
    assert at.error[0].value.startswith("no space left on device while writing the new version")
    assert "CXDASH\\_DB" in at.error[0].value and not (tmp_path / "s.duckdb").exists()


def _copy_cut(source: Path, target: Path, size: int) -> Path:
    target.write_bytes(source.read_bytes()[:size])
    return target


def _shown(at: AppTest) -> str:
    """What the run showed, as text (Markdown escapes taken out)."""
    parts = [e.value for e in [*at.title, *at.error, *at.markdown, *at.code]]
    return "\n".join(str(p) for p in parts).replace("\\", "")


BLOCK = 262_144  # DuckDB's block size


@pytest.mark.parametrize("keep", [0.3, 0.7, 0.95, -BLOCK, -1000])
def test_a_store_cut_short_shows_what_is_wrong_not_an_exception(
    demo_store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, app_env, keep: float
) -> None:
    """A store cut short (a copy or a disk that stopped early): the app says it is damaged,
    names the store as it was given (not the private link it reads through) and shows the way
    back — also when the first page's own reads would still have worked."""
    whole = demo_store.stat().st_size
    size = int(whole * keep) if keep > 0 else whole + int(keep)
    path = _copy_cut(demo_store, tmp_path / "cut.duckdb", size)
    at = open_app(monkeypatch, path)
    assert not at.exception, [e.value for e in at.exception]
    if keep == -1000 and not at.error:  # the last block lost only free space: it reads
        assert at.title[0].value == "Scoreboard"
        return
    shown = _shown(at)
    assert at.title[0].value == "The store cannot be read"
    assert f"The store {path} is damaged" in shown and ".read-" not in shown
    assert f"cxdash demo --db {path}" in shown


def _flipped_block(source: Path, target: Path, block: int) -> Path:
    data = bytearray(source.read_bytes())
    at = 3 * 4096 + block * BLOCK + 5000
    data[at:at + 64] = bytes(b ^ 0xFF for b in data[at:at + 64])
    target.write_bytes(bytes(data))
    return target


def test_a_damaged_block_a_page_reads_shows_the_store_problem_not_an_exception(
    demo_store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, app_env
) -> None:
    """Damage the first checks do not reach (a block whose checksum no longer matches, read
    only by some page's query): the page shows what is wrong with the store and the way back
    where DuckDB's exception would be."""
    from cxdash import diagnosis

    blocks = (demo_store.stat().st_size - 3 * 4096) // BLOCK
    pages = ["pages/scoreboard.py", "pages/explore.py", "pages/defense.py",
             "pages/speed_to_happiness.py", "pages/playing_to_win.py"]  # fmt: skip
    tried = 0
    for block in reversed(range(blocks)):  # the contacts' data comes late in the file
        path = _flipped_block(demo_store, tmp_path / f"flip{block}.duckdb", block)
        if diagnosis.classify_file(path) is not None:  # the first checks see it: tested above
            continue
        if diagnosis.classify_file(path, thorough=True) is None:  # a free block
            continue
        tried += 1
        at = open_app(monkeypatch, path)
        found = 0
        for page in pages:
            if page != pages[0]:
                at.switch_page(page).run()
            assert not at.exception, (block, page, [e.value for e in at.exception])
            if "The store cannot be read" in [t.value for t in at.title]:
                shown = _shown(at)
                assert f"The store {path} is damaged (Corrupt database file" in shown
                assert ".read-" not in shown
                found += 1
        if found:
            return
        assert tried < 6, "no damaged block any page reads"
    pytest.fail("no block damaged past the first checks")
