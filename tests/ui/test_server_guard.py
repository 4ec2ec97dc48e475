"""Streamlit's own routes under cxdash's guards (`cxdash.ui.server_guard`), attacked on a real
server (`python -m cxdash.ui.serve`) by a client that speaks Streamlit's protocol itself.

With a password set, a client that never signs in can open the websocket but can neither
upload (refused before the body is read: nothing is held), nor fetch a download's media file
(not even after the session that made it ended), nor read `/_stcore/metrics`. Without a login
(the loopback default) all answer as before. A session holds a bounded number of files and
bytes. No server makes an outside request, whatever origin a websocket claims, and a
configuration that switches CORS or XSRF protection off is refused at start.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit import config

from cxdash.ui import server_guard
from tests.live_server import ROOT, Server, Visitor, free_port, net_audit

pytestmark = pytest.mark.slow

PASSWORD = "correct horse battery"
MB = 1024 * 1024


@pytest.fixture(scope="module")
def audit(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, str], Path]:
    return net_audit(tmp_path_factory.mktemp("net-audit"))


def _server(db: Path, tmp: Path, audit: tuple[dict[str, str], Path], **env: str) -> Server:
    return Server(db, tmp / "streamlit.log", env={**audit[0], **env},
                  args=("--server.maxUploadSize", "50"))  # fmt: skip


@pytest.fixture(scope="module")
def locked(demo_store: Path, tmp_path_factory: pytest.TempPathFactory,
           audit: tuple[dict[str, str], Path]) -> Iterator[Server]:  # fmt: skip
    """A password is set (CXDASH_PASSWORD)."""
    server = _server(demo_store, tmp_path_factory.mktemp("locked"), audit,
                     CXDASH_PASSWORD=PASSWORD)  # fmt: skip
    yield server
    server.stop()


@pytest.fixture(scope="module")
def open_server(demo_store: Path, tmp_path_factory: pytest.TempPathFactory,
                audit: tuple[dict[str, str], Path]) -> Iterator[Server]:  # fmt: skip
    """No login: the loopback default."""
    server = Server(demo_store, tmp_path_factory.mktemp("open") / "streamlit.log",
                    env={**audit[0], "CXDASH_PASSWORD": None},
                    args=("--server.maxUploadSize", "2"))  # fmt: skip
    yield server
    server.stop()


def signed_in(server: Server, name: str = "Ana") -> tuple[Visitor, str]:
    visitor = Visitor(server.url)
    session = visitor.open()
    visitor.sign_in(name, PASSWORD)
    visitor.run_until(visitor.signed_in)
    return visitor, session


def stranger(server: Server) -> tuple[Visitor, str]:
    """A client that opened the app (and its websocket) but never signed in."""
    visitor = Visitor(server.url)
    session = visitor.open()
    visitor.run_until(lambda: "Password" in visitor.texts())
    assert not visitor.signed_in()
    return visitor, session


def held_upload_bytes(reader: Visitor) -> int:
    """What Streamlit's upload manager holds, from /_stcore/metrics (0 when it holds none).
    Streamlit keeps that figure for 5 s, so the read waits them out."""
    time.sleep(5.2)
    answer = reader.get("/_stcore/metrics")
    assert answer.status == 200, answer.body
    found = re.search(rb'cache_type="UploadedFileManager"[^}]*} (\d+)', answer.body)
    return int(found.group(1)) if found else 0


CSV = b"contact_id,created_at\nx1,2026-06-01 09:00\n"


def test_a_client_that_never_signs_in_cannot_upload_and_nothing_is_held(
    locked: Server,
) -> None:
    owner, owner_session = signed_in(locked)  # to read the metrics, and a victim
    assert owner.put_file(owner_session, CSV).status == 204  # signed in: uploads work
    assert held_upload_bytes(owner) == len(CSV)
    attacker, own_session = stranger(locked)
    rss_before = locked.rss()

    big = os.urandom(40 * MB)
    attempts = [
        attacker.put_file(own_session, CSV),  # a small file to its own session
        *(attacker.put_file(own_session, big, name=f"big{i}.csv") for i in range(5)),
        attacker.put_file(own_session, big, xsrf=False),  # no XSRF header either
        # no Content-Length: streamed
        attacker.send_body("PUT", f"/_stcore/upload_file/{own_session}/f1", big,
                           {"X-Xsrftoken": attacker.cookie("_streamlit_xsrf") or ""},
                           chunked=True),
        attacker.put_file("00000000-0000-0000-0000-000000000000", CSV),  # a made-up session
        attacker.put_file(owner_session, big),  # the signed-in session, by its id
    ]
    assert [a.status for a in attempts] == [403] * len(attempts)
    deleted = attacker.send_body("DELETE", f"/_stcore/upload_file/{owner_session}/x", b"",
                                 {"X-Xsrftoken": attacker.cookie("_streamlit_xsrf") or ""})
    assert deleted.status == 403

    time.sleep(1)
    grown = locked.rss() - rss_before
    assert grown < 30 * MB, f"the server grew by {grown / MB:.0f} MB"  # 280 MB were sent
    assert held_upload_bytes(owner) == len(CSV)  # only the signed-in session's file
    print(f"\nRSS after 7 x 40 MB refused PUTs: {grown / MB:+.1f} MB")


def test_a_signed_in_session_is_reached_only_from_its_own_browser(locked: Server) -> None:
    owner, session = signed_in(locked, "Bo")
    other, _ = signed_in(locked, "Cy")  # signed in too, in another browser
    assert other.put_file(session, CSV).status == 403
    assert owner.put_file(session, CSV).status == 204
    # other apps on 127.0.0.1 leave cookies a strict parser stops at: ours is still read
    odd = 'theme="dark blue; x=a b c; ,; =; cxdash_browser'
    assert owner.put_file(session, CSV, other_cookies=odd).status == 204
    owner.close()  # the session ends (its websocket closes)
    time.sleep(1)
    assert owner.put_file(session, CSV).status == 403


def test_media_is_served_only_to_the_signed_in_browser_it_was_made_for(locked: Server) -> None:
    owner, _ = signed_in(locked, "Di")
    owner.goto("Root causes")
    owner.run_until(lambda: len(owner.elements("download_button")) >= 2)
    urls = [button.url for button in owner.elements("download_button")]
    assert all(url.startswith("/media/") for url in urls)
    got = owner.get(urls[0])
    assert got.status == 200 and got.body.startswith(b"\xef\xbb\xbfcause_id,")

    attacker, _ = stranger(locked)
    signed_elsewhere, _ = signed_in(locked, "Ed")  # signed in, but never given the file
    cookieless = Visitor(locked.url)
    for url in urls:
        file_id = url.removeprefix("/media/").rsplit(".", 1)[0]
        for path in (url, f"/media/{file_id}", f"{url}?download=1", f"/media/{file_id}.txt"):
            for client in (attacker, signed_elsewhere, cookieless):
                answer = client.get(path)
                assert answer.status == 403 and b"cause_id" not in answer.body, (path, answer)
                head = client.request("HEAD", path)
                assert head.status == 403, (path, head.status)
        for path in (f"/{url}", f"/./media/{file_id}.csv", f"/static/..{url}",
                     f"/media//{file_id}.csv", f"/%6dedia/{file_id}.csv", f"{url}/",
                     f"/media/%2e/{file_id}.csv", f"/_stcore/..{url}"):  # fmt: skip
            answer = attacker.get(path)  # refused, or the app's page: never the file
            assert b"cause_id" not in answer.body, (path, answer.status)
    owner.close()  # the session ends: its files are nobody's now
    time.sleep(1)
    for url in urls:
        assert owner.get(url).status == 403


def test_metrics_need_a_signed_in_browser(locked: Server) -> None:
    attacker, _ = stranger(locked)
    for client in (attacker, Visitor(locked.url)):
        for path, headers in (
            ("/_stcore/metrics", {}),
            ("/_stcore/metrics?families=cache_memory_bytes", {}),
            ("/_stcore/metrics/", {}),
            ("/_stcore/metrics", {"Accept": "application/x-protobuf"}),
        ):
            answer = client.get(path, headers)
            assert answer.status in (403, 404) and b"cache_memory_bytes" not in answer.body, path
    owner, _ = signed_in(locked, "Flo")
    assert b"cache_memory_bytes" in owner.get("/_stcore/metrics").body


def test_without_a_login_uploads_media_and_metrics_answer_as_before(open_server: Server) -> None:
    visitor = Visitor(open_server.url)
    session = visitor.open()
    visitor.run_until(lambda: "Scoreboard" in visitor.texts())  # no sign-in on loopback
    assert visitor.put_file(session, CSV).status == 204
    assert held_upload_bytes(Visitor(open_server.url)) == len(CSV)
    visitor.goto("Root causes")
    visitor.run_until(lambda: bool(visitor.elements("download_button")))
    url = visitor.elements("download_button")[0].url
    assert Visitor(open_server.url).get(url).status == 200  # as Streamlit serves it


def test_a_session_holds_a_bounded_number_of_files_and_bytes(open_server: Server) -> None:
    """maxUploadSize is 2 MB here: a session holds at most 8 files and 3 MB (2 MB and the
    multipart framing); its oldest files give way to a new one. Two files of 1.5 MB do not
    fit with their framing: each new one leaves only itself."""
    visitor, reader = Visitor(open_server.url), Visitor(open_server.url)
    session = visitor.open()
    others = held_upload_bytes(reader)  # other sessions' files
    sizes = [1000 + i for i in range(12)]
    for size in sizes:
        assert visitor.put_file(session, b"x" * size).status == 204
    assert held_upload_bytes(reader) - others == sum(sizes[-server_guard.MAX_FILES:])
    for _ in range(4):
        assert visitor.put_file(session, b"y" * (3 * MB // 2)).status == 204
    assert held_upload_bytes(reader) - others == 3 * MB // 2
    no_length = visitor.send_body("PUT", f"/_stcore/upload_file/{session}/f", b"z" * 10,
                                  {"X-Xsrftoken": visitor.cookie("_streamlit_xsrf") or ""},
                                  chunked=True)  # fmt: skip
    assert no_length.status == 411
    visitor.close()


def test_a_login_on_a_server_started_without_the_guards_shows_no_data(
    demo_store: Path, tmp_path: Path
) -> None:
    """`streamlit run app.py` (not `dev.py start`) has none of these guards: with a login
    configured, the app then says how to start it instead of asking for the password."""
    server = Server(demo_store, tmp_path / "log", env={"CXDASH_PASSWORD": PASSWORD},
                    command=("-m", "streamlit", "run", "app.py"))  # fmt: skip
    try:
        visitor = Visitor(server.url)
        visitor.open()
        visitor.run_until(lambda: "was started without cxdash" in visitor.texts())
        assert not visitor.elements("text_input")  # no password form: no way in
    finally:
        server.stop()


FOREIGN = ["http://evil.example", "https://attacker.test:8443", "null",
           "http://127.0.0.1.nip.io", "http://localhost.evil.example", "file://"]  # fmt: skip


def test_a_foreign_origin_is_refused_without_any_outside_request(
    locked: Server, open_server: Server, audit: tuple[dict[str, str], Path]
) -> None:
    for server in (locked, open_server):
        for origin in FOREIGN:
            visitor = Visitor(server.url, origin=origin)
            with pytest.raises(Exception, match="403"):
                visitor.open(timeout=10)
        assert "Did not auto detect external IP" not in server.output()
    # Every server of this module, all along: no lookup, connection or datagram beyond
    # this machine (the audit hook sees them all; it does see Streamlit's own lookup:
    # test_the_outside_lookup_is_what_the_audit_catches).
    assert audit[1].read_text() == ""


def test_the_outside_lookup_is_what_the_audit_catches(tmp_path: Path) -> None:
    env, log = net_audit(tmp_path / "audit")
    code = "from streamlit.web.server import server_util as s; s.is_url_from_allowed_origins('http://evil.example')"
    subprocess.run([sys.executable, "-c", code], env={**os.environ, **env}, timeout=60,
                   capture_output=True, check=True)  # fmt: skip
    assert "checkip.amazonaws.com" in log.read_text()  # unguarded Streamlit looks it up


WEAK = [
    ("command line", ["--server.enableCORS", "false"], {}, "server.enableCORS = false"),
    ("environment", [], {"STREAMLIT_SERVER_ENABLE_XSRF_PROTECTION": "false"},
     "server.enableXsrfProtection = false"),
    ("user's config", [], {"HOME": "{home}"}, "server.enableCORS = false"),
]  # fmt: skip


def _start(args: list[str], env: dict[str, str], tmp: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cxdash.ui.serve", "--server.headless", "true",
         "--server.port", str(free_port()), "--server.address", "127.0.0.1", *args],
        cwd=ROOT, env={**os.environ, "CXDASH_DB": str(tmp / "none.duckdb"), **env},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


@pytest.mark.parametrize(("where", "args", "env", "named"), WEAK, ids=[w[0] for w in WEAK])
def test_a_config_that_weakens_cors_or_xsrf_is_refused_at_start(
    where: str, args: list[str], env: dict[str, str], named: str, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    (home / ".streamlit").mkdir(parents=True)
    (home / ".streamlit" / "config.toml").write_text("[server]\nenableCORS = false\n")
    env = {k: v.replace("{home}", str(home)) for k, v in env.items()}
    done = _start(args, env, tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr
    [line] = [ln for ln in done.stderr.splitlines() if ln.startswith("cxdash:")]
    assert line.startswith("cxdash: error: not starting: " + named)
    assert "CXDASH_ALLOW_WEAK_ORIGIN=1" in line and "Traceback" not in done.stderr
    assert "Uvicorn server started" not in done.stdout + done.stderr


def test_accepting_the_risk_starts_with_a_warning_and_a_foreign_page_then_reads_data(
    demo_store: Path, tmp_path: Path
) -> None:
    server = Server(demo_store, tmp_path / "log", env={"CXDASH_ALLOW_WEAK_ORIGIN": "1"},
                    args=("--server.enableCORS", "false"))  # fmt: skip
    try:
        assert "cxdash: warning: server.enableCORS = false" in server.output()
        visitor = Visitor(server.url, origin="http://evil.example")
        visitor.open()  # accepted: why it is refused unless asked for
        visitor.run_until(lambda: "Scoreboard" in visitor.texts())
    finally:
        server.stop()


def test_the_weakening_settings_are_read_as_streamlit_has_them() -> None:
    assert server_guard.weakened() == []  # the shipped config
    try:
        config.set_option("server.enableCORS", False)
        config.set_option("global.developmentMode", True)
        found = server_guard.weakened()
    finally:
        config.set_option("server.enableCORS", True)
        config.set_option("global.developmentMode", False)
    assert [f.split(" (")[0] for f in found] == ["server.enableCORS = false",
                                                 "global.developmentMode = true"]  # fmt: skip
