"""Login: off on 127.0.0.1 by default; a shared password (environment or secrets, compared in
constant time) with a name for the change history; OIDC through st.login when `[auth]` is
configured; and no data on an open address without a login."""

from __future__ import annotations

import datetime as dt
import hmac
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from cxdash.ui import auth
from tests.apptest import APP
from tests.storebuilder import build_store, ts

pytestmark = pytest.mark.usefixtures("app_env")


@pytest.fixture
def db(tmp_path: Path) -> Path:
    t0 = ts("2026-03-02 09:00")
    contacts = [{"contact_id": f"c{i}", "created_at": t0 + dt.timedelta(hours=5 * i),
                 "reason": "Late delivery"} for i in range(50)]  # fmt: skip
    causes = [{"cause_id": "RC-1", "title": "Scans", "reasons": ["Late delivery"],
               "status": "identified"}]  # fmt: skip
    return build_store(tmp_path / "s.duckdb", contacts, (), (), causes)


def start(monkeypatch, db: Path, **secrets: object) -> AppTest:
    monkeypatch.setenv("CXDASH_DB", str(db))
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in secrets.items():
        at.secrets[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def shows_dashboard(at: AppTest) -> bool:
    return "Scoreboard" in [t.value for t in at.title]


def test_no_login_on_loopback_by_default(monkeypatch, db: Path) -> None:
    monkeypatch.delenv("CXDASH_PASSWORD", raising=False)
    assert st.get_option("server.address") == "127.0.0.1"  # from .streamlit/config.toml
    at = start(monkeypatch, db)
    assert shows_dashboard(at) and not at.text_input


def test_password_from_the_environment(monkeypatch, db: Path) -> None:
    monkeypatch.setenv("CXDASH_PASSWORD", "correct horse")
    at = start(monkeypatch, db)
    assert not shows_dashboard(at) and not at.metric  # nothing of the data before sign-in
    at.text_input(key="sign_in_name").input("Ana")
    at.text_input(key="sign_in_password").input("correct hors")
    at.button[0].click().run()
    assert [e.value for e in at.error] == ["Wrong password."] and not shows_dashboard(at)
    at.text_input(key="sign_in_password").input("correct horse")
    at.button[0].click().run()
    assert shows_dashboard(at)
    assert "Signed in as Ana" in [c.value for c in at.sidebar.caption]

    # The name goes into the change history of what Ana edits.
    at.switch_page("pages/root_causes.py").run()
    at.text_input(key="edit_RC-1_owner").input("Logistics")
    next(b for b in at.button if b.label == "Save changes").click().run()
    from cxdash import cause_register, store

    con = store.open_read(db)
    history = cause_register.changes(con, "RC-1")
    con.close()
    assert [(h[1], h[2], h[4]) for h in history] == [("Ana", "owner", "Logistics")]


def test_a_sign_in_name_is_text_not_markdown(monkeypatch, db: Path) -> None:
    monkeypatch.setenv("CXDASH_PASSWORD", "correct horse")
    at = start(monkeypatch, db)
    name = "![me](http://203.0.113.9/me.png) [home](http://203.0.113.9) bo@example.com"
    at.text_input(key="sign_in_name").input(name)
    at.text_input(key="sign_in_password").input("correct horse")
    at.button[0].click().run()
    assert shows_dashboard(at)
    # escaped: no image fetched, no link made (the joiners break the bare links)
    shown = ("Signed in as !\\[me\\](http:\u2060//203.0.113.9/me.png) \\[home\\]"
             "(http:\u2060//203.0.113.9) bo\u2060@example.com")
    assert shown in [c.value for c in at.sidebar.caption]


def test_password_from_streamlit_secrets(monkeypatch, db: Path) -> None:
    monkeypatch.delenv("CXDASH_PASSWORD", raising=False)
    at = start(monkeypatch, db, app_password="s3cret")
    assert not shows_dashboard(at)
    at.text_input(key="sign_in_password").input("s3cret")
    at.button[0].click().run()
    assert shows_dashboard(at)
    assert "Signed in as signed-in user" in [c.value for c in at.sidebar.caption]


def test_the_comparison_is_constant_time(monkeypatch) -> None:
    calls = []
    real = hmac.compare_digest
    monkeypatch.setattr(auth.hmac, "compare_digest",
                        lambda a, b: calls.append((a, b)) or real(a, b))  # fmt: skip
    assert auth.password_matches("pä55", "pä55") and not auth.password_matches("pa55", "pä55")
    assert calls[0] == ("pä55".encode(), "pä55".encode())


def test_oidc_when_auth_is_configured(monkeypatch, db: Path) -> None:
    monkeypatch.delenv("CXDASH_PASSWORD", raising=False)
    provider = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x",
                "client_id": "cxdash", "client_secret": "y",
                "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration"}
    monkeypatch.setenv("CXDASH_DB", str(db))
    at = AppTest.from_file(APP, default_timeout=60)
    at.secrets["auth"] = provider
    at.user = {"is_logged_in": False}
    at.run()
    assert not shows_dashboard(at)
    assert [b.label for b in at.button] == ["Sign in"]

    at = AppTest.from_file(APP, default_timeout=60)
    at.secrets["auth"] = provider
    at.user = {"is_logged_in": True, "email": "ana@example.com", "name": "Ana"}
    at.run()
    assert shows_dashboard(at)
    assert "Signed in as ana\u2060@example.com" in [c.value for c in at.sidebar.caption]


def test_an_open_address_without_login_shows_no_data(monkeypatch, db: Path) -> None:
    monkeypatch.delenv("CXDASH_PASSWORD", raising=False)
    monkeypatch.delenv("CXDASH_ALLOW_OPEN", raising=False)
    st.config.set_option("server.address", "0.0.0.0")
    try:
        at = start(monkeypatch, db)
        assert not shows_dashboard(at) and not at.metric
        assert "reachable from other machines but has no login" in at.error[0].value
        monkeypatch.setenv("CXDASH_ALLOW_OPEN", "1")
        at = start(monkeypatch, db)
        assert shows_dashboard(at)
    finally:
        st.config.set_option("server.address", "127.0.0.1")


TEST_SESSION = "test session id"  # AppTest's session


def test_the_server_guard_learns_who_signed_in(monkeypatch, db: Path) -> None:
    """`gate()` tells the server's guards (uploads, media, metrics) whether the session signed
    in: not before the password, yes after it, not after signing out."""
    from cxdash.ui import signed_in

    monkeypatch.setenv("CXDASH_PASSWORD", "correct horse")
    signed_in.mark(TEST_SESSION, False)
    at = start(monkeypatch, db)
    assert not signed_in.is_signed_in(TEST_SESSION)
    at.text_input(key="sign_in_password").input("wrong").run()
    at.button[0].click().run()
    assert not signed_in.is_signed_in(TEST_SESSION)
    at.text_input(key="sign_in_password").input("correct horse")
    at.button[0].click().run()
    assert shows_dashboard(at) and signed_in.is_signed_in(TEST_SESSION)
    next(b for b in at.sidebar.button if b.label == "Sign out").click().run()
    assert not shows_dashboard(at) and not signed_in.is_signed_in(TEST_SESSION)


def test_the_server_guard_learns_who_signed_in_with_oidc(monkeypatch, db: Path) -> None:
    from cxdash.ui import signed_in

    monkeypatch.delenv("CXDASH_PASSWORD", raising=False)
    monkeypatch.setenv("CXDASH_DB", str(db))
    provider = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x",
                "client_id": "cxdash", "client_secret": "y",
                "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration"}
    for logged_in in (True, False):
        at = AppTest.from_file(APP, default_timeout=60)
        at.secrets["auth"] = provider
        at.user = {"is_logged_in": logged_in, "email": "ana@example.com"}
        at.run()
        assert signed_in.is_signed_in(TEST_SESSION) is logged_in
