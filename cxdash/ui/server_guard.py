"""Guards on Streamlit's own server, which a script cannot give: installed by
`cxdash.ui.serve` (what `dev.py start` runs) before Streamlit's command line starts it.

A login (`cxdash.ui.auth`) lives in a session: the script of a visitor who has not signed in
stops at the sign-in form. Streamlit's HTTP routes do not run the script, so without these
guards a client that never signs in could still
- PUT files to `/_stcore/upload_file/<session>/<file>` for its own session (each held in the
  server's memory until the session ends, any number of them),
- fetch `/media/<file>` (a download button's CSV, a generated report) with the link, also
  after the session that made it has ended,
- read `/_stcore/metrics` (the names and sizes of every cache).

With a login configured, each of these now needs a browser that holds a connected, signed-in
session: the request must carry the `cxdash_browser` cookie (random, HttpOnly, set with the
page itself) of the browser whose websocket opened that session — the upload's session
(its id is in the URL), a session that was given the media file, or any signed-in session
(metrics). Otherwise it is refused with 403 before a byte of the body is read. Without a
login (the loopback default) they are answered as before. Either way a session holds at most
MAX_FILES uploaded files and `server.maxUploadSize` + 1 MB in all, its oldest files giving
way to a new one (a PUT without a Content-Length is refused), so memory per session is
bounded.

The server also makes no outside request: Streamlit's origin check for a websocket from
another site, and its start banner on a wildcard address, would ask checkip.amazonaws.com for
the machine's external address (and probe a route to 8.8.8.8 for the internal one); here the
answers are "none", so such an origin is simply refused.

And it refuses to start when the configuration weakens the browser's protections
(`server.enableCORS = false`, `server.enableXsrfProtection = false`,
`global.developmentMode = true`): then any web page the user visits could open the dashboard's
websocket and read its data, login or not. `CXDASH_ALLOW_WEAK_ORIGIN=1` accepts that risk
(a warning is printed at start).
"""

from __future__ import annotations

import contextlib
import functools
import os
import secrets
import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from cxdash.ui import auth, signed_in

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send
    from streamlit.runtime import Runtime

BROWSER_COOKIE = "cxdash_browser"
MAX_FILES = 8  # uploaded files one session holds at once (the app asks for one at a time)
OVERHEAD = 1024 * 1024  # multipart framing on top of server.maxUploadSize
ALLOW_WEAK = "CXDASH_ALLOW_WEAK_ORIGIN"
EXIT_WEAK = 2

_installed = False


def install() -> None:
    """Put the guards in place; run before Streamlit's command line starts the server.
    Fails loudly if this Streamlit has moved what it wraps, rather than serve unguarded."""
    global _installed
    if _installed:
        return
    from streamlit import net_util
    from streamlit.web import bootstrap
    from streamlit.web.server.starlette import starlette_server

    replacements: list[tuple[Any, str, Callable[[Any], Any]]] = [
        # No outside request, ever: the origin check and the start banner ask for these.
        (net_util, "get_external_ip", lambda _lookup: _no_address),
        (net_util, "get_internal_ip", lambda _lookup: _no_address),
        (bootstrap, "run", _refusing_weak_config),
        (starlette_server, "create_starlette_app", _guarded_app),
    ]
    for owner, name, _ in replacements:
        if not callable(getattr(owner, name, None)):
            raise RuntimeError(f"cxdash's server guards need {owner.__name__}.{name}, which "
                               "this Streamlit does not have")  # fmt: skip
    for owner, name, wrap in replacements:
        setattr(owner, name, wrap(getattr(owner, name)))
    _installed = True


def _no_address() -> str | None:
    return None


# --- configuration that weakens the browser's protections -----------------------------------


def weakened() -> list[str]:
    """The settings now in force that let another web site's page talk to the server."""
    from streamlit import config

    found = []
    for key, bad, why in (
        ("server.enableCORS", False, "a page of any web site may open the dashboard's "
                                     "websocket and read what it shows"),
        ("server.enableXsrfProtection", False, "requests from other web sites (file uploads) "
                                               "are not checked"),
        ("global.developmentMode", True, "a page of any web site may open the dashboard's "
                                         "websocket"),
    ):
        if bool(config.get_option(key)) is bad:
            found.append(f"{key} = {str(bad).lower()} (set in {config.get_where_defined(key)}): "
                         f"{why}")  # fmt: skip
    return found


def check_config() -> str | None:
    """The message to refuse the start with, or None (printing a warning when the risk was
    accepted with CXDASH_ALLOW_WEAK_ORIGIN=1)."""
    found = weakened()
    if not found:
        return None
    listed = "; ".join(found)
    if os.environ.get(ALLOW_WEAK) == "1":
        print(f"cxdash: warning: {listed} ({ALLOW_WEAK}=1 accepts this risk).",
              file=sys.stderr, flush=True)  # fmt: skip
        return None
    return (f"cxdash: error: not starting: {listed}. Remove the setting (from "
            "`.streamlit/config.toml`, ~/.streamlit/config.toml, a STREAMLIT_* variable or a "
            f"--server.* option), or set {ALLOW_WEAK}=1 to accept the risk.")  # fmt: skip


def _refusing_weak_config(run: Callable[..., None]) -> Callable[..., None]:
    @functools.wraps(run)
    def checked(*args: Any, **kwargs: Any) -> None:
        refusal = check_config()
        if refusal is not None:
            print(refusal, file=sys.stderr, flush=True)
            raise SystemExit(EXIT_WEAK)
        run(*args, **kwargs)

    return checked


# --- the ASGI guard --------------------------------------------------------------------------


def _guarded_app(create: Callable[[Runtime], ASGIApp]) -> Callable[[Runtime], ASGIApp]:
    @functools.wraps(create)
    def guarded(runtime: Runtime) -> ASGIApp:
        return Guard(create(runtime), runtime)

    return guarded


class MediaOwners:
    """Which sessions were given each media file (a download's data, an image): recorded as
    Streamlit's media manager hands them out."""

    PRUNE_EVERY = 256

    def __init__(self, runtime: Runtime) -> None:
        self._mgr = runtime.media_file_mgr
        self._owners: dict[str, set[str]] = {}
        self._lock = threading.Lock()
        self._added = 0
        add, execute_deferred = self._mgr.add, self._mgr.execute_deferred

        @functools.wraps(add)
        def recorded_add(*args: Any, **kwargs: Any) -> str:
            url = add(*args, **kwargs)
            from streamlit.runtime.scriptrunner import get_script_run_ctx

            ctx = get_script_run_ctx()
            if ctx is not None:
                self._record(url, ctx.session_id)
            return url

        @functools.wraps(execute_deferred)
        def recorded_deferred(file_id: str) -> str:
            # A download whose data is made on the click: its session is the button's.
            entry = getattr(self._mgr, "_deferred_callables", {}).get(file_id) or {}
            url = execute_deferred(file_id)
            if session := entry.get("session_id"):
                self._record(url, str(session))
            return url

        self._mgr.add = recorded_add  # type: ignore[method-assign]
        self._mgr.execute_deferred = recorded_deferred  # type: ignore[method-assign]

    @staticmethod
    def file_id(name: str) -> str:
        """`/media/<id>.<ext>` or `<id>.<ext>` → `<id>`, as Streamlit's storage reads it."""
        return os.path.splitext(name.rsplit("/", 1)[-1])[0]

    def _record(self, url: str, session_id: str) -> None:
        with self._lock:
            self._owners.setdefault(self.file_id(url), set()).add(session_id)
            self._added += 1
            if self._added % self.PRUNE_EVERY:
                return
            gone = [f for f in self._owners if self._mgr.read_file(f) is None]
            for file_id in gone:
                del self._owners[file_id]

    def owners(self, file_id: str) -> set[str]:
        with self._lock:
            return set(self._owners.get(file_id, ()))


def _cookie(headers: list[tuple[bytes, bytes]], name: str) -> str | None:
    """A cookie of the request, parsed as Starlette parses the websocket's (leniently, as
    browsers send them: another app's odd cookie on this host does not hide ours)."""
    from starlette.requests import cookie_parser

    for key, value in headers:
        if key.lower() == b"cookie" and (found := cookie_parser(value.decode("latin-1")).get(name)):
            return found
    return None


def _header(headers: list[tuple[bytes, bytes]], name: bytes) -> str | None:
    return next((v.decode("latin-1") for k, v in headers if k.lower() == name), None)


class Guard:
    """ASGI middleware around Streamlit's whole app (its routes, the websocket, the assets)."""

    def __init__(self, app: ASGIApp, runtime: Runtime) -> None:
        from streamlit import config

        self.app = app
        self.runtime = runtime
        self.media = MediaOwners(runtime)
        self.uploads = runtime.uploaded_file_mgr
        base = str(config.get_option("server.baseUrlPath") or "").strip("/")
        self.base = f"/{base}" if base else ""
        self.max_held = int(config.get_option("server.maxUploadSize")) * 1024 * 1024 + OVERHEAD
        self.secure = bool(config.get_option("server.sslCertFile"))
        signed_in.watch(runtime.is_active_session)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        from starlette._utils import get_route_path

        path = get_route_path(scope)
        if self.base and path.startswith(self.base + "/"):
            path = path[len(self.base):]
        refusal = self.refusal(scope, path)
        if refusal is not None:
            await _respond(send, *refusal)
            return
        await self.app(scope, receive, self._with_browser_cookie(scope, send))

    # Which requests need what.

    def refusal(self, scope: Scope, path: str) -> tuple[int, str] | None:
        method = scope["method"]
        headers = scope["headers"]
        if path.startswith("/_stcore/upload_file/") and method in ("PUT", "DELETE"):
            parts = path.removeprefix("/_stcore/upload_file/").split("/")
            session = parts[0] if len(parts) == 2 else ""
            if self.login() and not self.browser_has(headers, session):
                return 403, "Sign in first."
            if method == "PUT":
                return self.make_room(session, _header(headers, b"content-length"))
            return None
        if path.startswith("/media/") and method in ("GET", "HEAD"):
            owners = self.media.owners(MediaOwners.file_id(path))
            if self.login() and not any(self.browser_has(headers, s) for s in owners):
                return 403, "Sign in first."
            return None
        if path.rstrip("/") == "/_stcore/metrics" and method == "GET" and self.login():
            cookie = _cookie(headers, BROWSER_COOKIE)
            if cookie is None or not any(self.browser_has(headers, s)
                                         for s in self._sessions_of(cookie)):  # fmt: skip
                return 403, "Sign in first."
        return None

    @staticmethod
    def login() -> bool:
        """A login is configured: a password or OIDC (`cxdash.ui.auth`)."""
        return auth.mode() != "none"

    def _client_cookie(self, session_id: str) -> str | None:
        """The browser cookie the websocket of a connected session came with."""
        if not session_id or not self.runtime.is_active_session(session_id):
            return None
        client = self.runtime.get_client(session_id)
        context = getattr(client, "client_context", None)
        cookies = getattr(context, "cookies", None)
        value = cookies.get(BROWSER_COOKIE) if cookies is not None else None
        return str(value) if value else None

    def browser_has(self, headers: list[tuple[bytes, bytes]], session_id: str) -> bool:
        """The request comes from the browser of `session_id`, which is connected and signed
        in."""
        cookie = _cookie(headers, BROWSER_COOKIE)
        if cookie is None or not signed_in.is_signed_in(session_id):
            return False
        theirs = self._client_cookie(session_id)
        return theirs is not None and secrets.compare_digest(theirs, cookie)

    def _sessions_of(self, cookie: str) -> list[str]:
        """The signed-in sessions whose websocket came with this browser cookie."""
        return [s for s in signed_in.sessions() if self._client_cookie(s) == cookie]

    def make_room(self, session_id: str, length: str | None) -> tuple[int, str] | None:
        """Before a PUT: a session holds at most MAX_FILES files and maxUploadSize (+ framing)
        in all, so its oldest files give way to the new one (the app's uploaders take one
        file at a time; an earlier import's file is still held until the session ends). A PUT
        that does not say its size is refused."""
        if length is None or not length.isdigit():
            return 411, "A Content-Length is required."
        storage: dict[str, dict[str, Any]] = getattr(self.uploads, "file_storage", {})
        with getattr(self.uploads, "_lock", None) or contextlib.nullcontext():
            held = [(file_id, len(rec.data))
                    for file_id, rec in (storage.get(session_id) or {}).items()]  # fmt: skip
        total = sum(size for _, size in held) + int(length)
        while held and (len(held) >= MAX_FILES or total > self.max_held):
            file_id, size = held.pop(0)
            getattr(self.uploads, "remove_file")(session_id, file_id)  # noqa: B009
            total -= size
        return None

    # The browser cookie: set with the page (an HTML answer) for a browser that has none, so
    # the requests the page makes next, its websocket first, all carry the same one.

    def _with_browser_cookie(self, scope: Scope, send: Send) -> Send:
        if _cookie(scope["headers"], BROWSER_COOKIE) is not None:
            return send
        value = secrets.token_urlsafe(32)
        attributes = "; Path=/; HttpOnly; SameSite=Lax" + ("; Secure" if self.secure else "")

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                kind = _header(headers, b"content-type") or ""
                if kind.startswith("text/html"):
                    cookie = f"{BROWSER_COOKIE}={value}{attributes}".encode()
                    message = {**message, "headers": [*headers, (b"set-cookie", cookie)]}
            await send(message)

        return sending


async def _respond(send: Send, status: int, text: str) -> None:
    body = text.encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode()),
                            (b"cache-control", b"no-store")]})  # fmt: skip
    await send({"type": "http.response.body", "body": body})
