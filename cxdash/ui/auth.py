"""Who may see the dashboard, and who they are (for the change history).

Three modes, chosen by configuration alone:
- **none** — no password and no `[auth]` secrets: fine on 127.0.0.1, where only this machine's
  users reach the server (the shipped config binds there). If the server is bound to another
  address with no login configured, the app refuses to show data (set a login, or
  `CXDASH_ALLOW_OPEN=1` to accept the risk on a trusted network).
- **password** — `CXDASH_PASSWORD` in the environment or `app_password` in Streamlit secrets: a
  shared password, compared in constant time (`hmac.compare_digest`); a wrong one costs a
  second, to slow guessing. The person also gives a name for the change history.
- **oidc** — an `[auth]` section in Streamlit secrets: `st.login()` through the configured
  OpenID provider; the identity is the provider's e-mail (or name).
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import time

import streamlit as st
from streamlit.runtime import Runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx

from cxdash.ui import signed_in
from cxdash.ui.text import md

IDENTITY = "cxdash_identity"
FAILED_DELAY_S = 1.0


def _secret(key: str) -> object | None:
    try:
        return st.secrets.get(key)
    except Exception:  # no secrets.toml at all: Streamlit raises instead of returning None
        return None


def password() -> str | None:
    value = os.environ.get("CXDASH_PASSWORD") or _secret("app_password")
    return str(value) if value else None


def mode() -> str:
    if _secret("auth"):
        return "oidc"
    return "password" if password() else "none"


def password_matches(given: str, expected: str) -> bool:
    """Constant-time comparison, so timing does not reveal how much of a guess was right."""
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def loopback_only() -> bool:
    """True when the server listens on a loopback address only (127.0.0.1, ::1, localhost)."""
    address = str(st.get_option("server.address") or "")
    if address in ("localhost",):
        return True
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:  # "" (all interfaces) or a host name
        return False


def identity() -> str:
    """The signed-in person for the change history: provider e-mail, typed name, or "local"."""
    if mode() == "oidc":
        try:
            if st.user.get("is_logged_in"):
                return str(st.user.get("email") or st.user.get("name") or "signed-in user")
        except Exception:  # st.user needs a session; outside one, nobody is signed in
            pass
        return "local"
    return str(st.session_state.get(IDENTITY) or "local")


def _session_id() -> str | None:
    ctx = get_script_run_ctx()
    return ctx.session_id if ctx is not None else None


def _record(allowed: bool) -> None:
    """Tell the server's guards (`cxdash.ui.server_guard`) whether this session signed in:
    its uploads, media files and the metrics route are refused until it has."""
    if (session := _session_id()) is not None:
        signed_in.mark(session, allowed)


def served_unguarded() -> bool:
    """A browser's session on a server started without cxdash's guards (`streamlit run
    app.py` instead of `python -m cxdash.ui.serve`): its uploads and media would be open to
    anyone, so a login is not enough there."""
    if signed_in.watching() or (session := _session_id()) is None:
        return False
    try:
        client = Runtime.instance().get_client(session)
    except RuntimeError:  # no runtime at all
        return False
    return client is not None and type(client).__module__.startswith("streamlit.web.server")


def gate() -> None:
    """Stop the script with a sign-in screen unless the visitor may see the dashboard."""
    current = mode()
    if current != "none" and served_unguarded():
        _record(False)
        st.title("cxdash")
        st.error("A login is configured, but this server was started without cxdash's guards "
                 "(file uploads and downloads would be open to anyone who has not signed in). "
                 "Start it with `python3 dev.py start` or `python -m cxdash.ui.serve`.",
                 icon=":material/lock:")  # fmt: skip
        st.stop()
    if current == "none":
        if not loopback_only() and os.environ.get("CXDASH_ALLOW_OPEN") != "1":
            st.title("cxdash")
            st.error("This server is reachable from other machines but has no login. Set "
                     "`CXDASH_PASSWORD` (or `app_password` / an `[auth]` section in "
                     "`.streamlit/secrets.toml`), or bind it to 127.0.0.1. To accept the risk "
                     "on a trusted network, set `CXDASH_ALLOW_OPEN=1`.",
                     icon=":material/lock:")  # fmt: skip
            st.stop()
        return
    if current == "oidc":
        if st.user.get("is_logged_in"):
            _record(True)
            st.sidebar.caption(f"Signed in as {md(identity())}")  # a name is text, not Markdown
            st.sidebar.button("Sign out", on_click=st.logout, icon=":material/logout:")
            return
        _record(False)
        st.title("cxdash")
        st.write("Sign in to see the dashboard.")
        st.button("Sign in", type="primary", on_click=st.login, icon=":material/login:")
        st.stop()
    if st.session_state.get(IDENTITY):
        _record(True)
        st.sidebar.caption(f"Signed in as {md(st.session_state[IDENTITY])}")
        if st.sidebar.button("Sign out", icon=":material/logout:"):
            del st.session_state[IDENTITY]
            _record(False)
            st.rerun()
        return
    _record(False)
    _password_form()
    st.stop()


def _password_form() -> None:
    st.title("cxdash")
    with st.form("sign_in"):
        name = st.text_input("Your name", help="Recorded with the changes you make.",
                             key="sign_in_name")  # fmt: skip
        given = st.text_input("Password", type="password", key="sign_in_password")
        if st.form_submit_button("Sign in", type="primary"):
            expected = password() or ""
            if expected and password_matches(given, expected):
                st.session_state[IDENTITY] = name.strip() or "signed-in user"
                st.rerun()
            time.sleep(FAILED_DELAY_S)
            st.error("Wrong password.", icon=":material/lock:")
