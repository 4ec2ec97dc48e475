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
