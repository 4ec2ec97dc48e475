"""A real cxdash server (`python -m cxdash.ui.serve`, what `dev.py start` runs) and a client
that speaks Streamlit's protocol the way a script would, not a browser: HTTP with its own
cookie jar, the `/_stcore/stream` websocket with Streamlit's protobuf messages, file PUTs.

For tests that attack the server itself (uploads, media, metrics, origins): nothing of
Streamlit is mocked.
"""

from __future__ import annotations

import contextlib
import http.cookiejar
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.sync.client import ClientConnection, connect

ROOT = Path(__file__).parents[1]
XSRF_COOKIE = "_streamlit_xsrf"


# Loaded into a server through PYTHONPATH: every connection, datagram and name lookup the
# process attempts towards anything but this machine is written to $CXDASH_NET_AUDIT.
NET_AUDIT = '''
import ipaddress, os, sys

_LOG = os.environ.get("CXDASH_NET_AUDIT")
_LOOKUPS = ("socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyname_ex",
            "socket.gethostbyaddr", "socket.getnameinfo")


def _local(host):
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if host is None or host in ("", "localhost"):
        return True
    try:
        address = ipaddress.ip_address(str(host).split("%")[0])
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def _hook(event, args):
    if event in ("socket.connect", "socket.sendto", "socket.sendmsg"):
        address = args[-1]
        if isinstance(address, tuple) and not _local(address[0]):
            _write(f"{event} {address!r}")
    elif event in _LOOKUPS:
        host = args[0][0] if event == "socket.getnameinfo" else args[0]
        if not _local(host):
            _write(f"{event} {host!r}")


def _write(line):
    with open(_LOG, "a") as out:
        out.write(line + "\\n")


if _LOG:
    sys.addaudithook(_hook)
'''


def net_audit(folder: Path) -> tuple[dict[str, str], Path]:
    """The environment that makes a Python process record its outside network attempts, and
    the file they go to (empty: none)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sitecustomize.py").write_text(NET_AUDIT)
    log = folder / "outside.log"
    log.write_text("")
    path = os.pathsep.join(p for p in (str(folder), os.environ.get("PYTHONPATH", "")) if p)
    return {"PYTHONPATH": path, "CXDASH_NET_AUDIT": str(log)}, log


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rss_bytes(pid: int) -> int:
    """The resident memory of a process (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for {pid}")


class Server:
    """`python -m cxdash.ui.serve` on 127.0.0.1 and a free port, output in `log`."""

    def __init__(self, db: Path, log: Path, env: dict[str, str | None] | None = None,
                 args: tuple[str, ...] = (), wait: bool = True,
                 command: tuple[str, ...] = ("-m", "cxdash.ui.serve")) -> None:  # fmt: skip
        """`env`: added to this process's environment (None: a variable taken out);
        `command`: Python's arguments before Streamlit's options (`-m streamlit run app.py`:
        Streamlit without cxdash's start)."""
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self._out = log.open("w")
        merged: dict[str, str | None] = {**os.environ, "CXDASH_DB": str(db), **(env or {})}
        full_env = {k: v for k, v in merged.items() if v is not None}
        self.proc = subprocess.Popen(
            [sys.executable, *command,
             "--server.headless", "true", "--server.port", str(self.port),
             "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
             "--server.fileWatcherType", "none", *args],
            cwd=ROOT, env=full_env, stdout=self._out, stderr=subprocess.STDOUT,
        )  # fmt: skip
        if wait:
            self.wait_healthy()

    def wait_healthy(self, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited: {self.log.read_text()}")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as resp:
                    if resp.read() == b"ok":
                        return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"the server is not healthy after {seconds} s: {self.log.read_text()}")

    def output(self) -> str:
        self._out.flush()
        return self.log.read_text()

    def rss(self) -> int:
        return rss_bytes(self.proc.pid)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._out.close()


class Response:
    def __init__(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.status, self.body, self.headers = status, body, headers


class Visitor:
    """One client with its own cookies, as a browser tab that never runs the page's script."""

    def __init__(self, base: str, origin: str | None = None) -> None:
        self.base = base
        self.origin = origin if origin is not None else base
        self.jar = http.cookiejar.CookieJar()
        self._opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.session_id: str | None = None
        self.ws: ClientConnection | None = None
        self.messages: list[ForwardMsg] = []

    def cookie(self, name: str) -> str | None:
        return next((c.value for c in self.jar if c.name == name), None)

    def cookie_header(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> Response:  # fmt: skip
        req = urllib.request.Request(self.base + path, data=body, method=method,
                                     headers=headers or {})  # fmt: skip
        try:
            with self._opener.open(req, timeout=60) as resp:
                return Response(resp.status, resp.read(), dict(resp.headers))
        except urllib.error.HTTPError as exc:
            return Response(exc.code, exc.read(), dict(exc.headers))

    def get(self, path: str, headers: dict[str, str] | None = None) -> Response:
        return self.request("GET", path, headers=headers)

    def open(self, timeout: float = 30) -> str:
        """Load the page (cookies), open the websocket, ask for a script run and wait for the
        session's id: what the browser does before anything is shown."""
        self.get("/")
        self.get("/_stcore/health")
        xsrf = self.cookie(XSRF_COOKIE) or ""
        host = self.base.removeprefix("http://")
        self.ws = connect(
            f"ws://{host}/_stcore/stream", origin=self.origin,  # type: ignore[arg-type]
            subprotocols=["streamlit", xsrf] if xsrf else ["streamlit"],  # type: ignore[list-item]
            additional_headers={"Cookie": self.cookie_header()}, open_timeout=timeout,
            max_size=None, legacy=True,
        )  # fmt: skip
        self.rerun()
        deadline = time.monotonic() + timeout
        while self.session_id is None and time.monotonic() < deadline:
            self.receive(deadline - time.monotonic())
        if self.session_id is None:
            raise RuntimeError("no new_session message")
        return self.session_id

    def rerun(self) -> None:
        msg = BackMsg()
        msg.rerun_script.query_string = ""
        msg.rerun_script.page_script_hash = ""
        self.send(msg)

    def send(self, msg: BackMsg) -> None:
        assert self.ws is not None
        self.ws.send(msg.SerializeToString())

    def receive(self, timeout: float) -> ForwardMsg | None:
        assert self.ws is not None
        try:
            raw = self.ws.recv(timeout=max(timeout, 0.01))
        except TimeoutError:
            return None
        msg = ForwardMsg()
        msg.ParseFromString(raw if isinstance(raw, bytes) else raw.encode())
        self.messages.append(msg)
        if msg.WhichOneof("type") == "new_session":
            self.session_id = msg.new_session.initialize.session_id
        return msg

    def wait_script_finished(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            msg = self.receive(deadline - time.monotonic())
            if msg is not None and msg.WhichOneof("type") == "script_finished":
                return
        raise RuntimeError("the script did not finish")

    def elements(self, kind: str) -> list[Any]:
        """The `kind` elements (text_input, button, download_button …) the runs sent."""
        found = []
        for msg in self.messages:
            if msg.WhichOneof("type") != "delta" or msg.delta.WhichOneof("type") != "new_element":
                continue
            element = msg.delta.new_element
            if element.WhichOneof("type") == kind:
                found.append(getattr(element, kind))
        return found

    def run_until(self, predicate: Callable[[], bool], timeout: float = 90) -> None:
        """Receive until `predicate()` holds and the run that made it so has finished."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            msg = self.receive(deadline - time.monotonic())
            if msg is not None and msg.WhichOneof("type") == "script_finished" and predicate():
                return
        raise RuntimeError(f"timed out; the session showed {self.texts()[:2000]}")

    def sign_in(self, name: str, password: str) -> None:
        """Fill the password form and press Sign in, as the browser's widgets would."""
        self.run_until(lambda: bool(self.elements("text_input")))
        inputs = {e.label: e.id for e in self.elements("text_input")}
        [submit] = [b for b in self.elements("button") if b.is_form_submitter]
        msg = BackMsg()
        msg.rerun_script.query_string = ""
        states = msg.rerun_script.widget_states.widgets
        for label, value in (("Your name", name), ("Password", password)):
            state = states.add()
            state.id, state.string_value = inputs[label], value
        state = states.add()
        state.id, state.trigger_value = submit.id, True
        self.messages.clear()
        self.send(msg)

    def signed_in(self) -> bool:
        return "Signed in as" in self.texts()

    def goto(self, page_name: str) -> None:
        """Open a page of the app's navigation (a fresh run of it)."""
        pages = [p for m in self.messages if m.WhichOneof("type") == "navigation"
                 for p in m.navigation.app_pages]  # fmt: skip
        [page] = [p for p in pages if p.page_name == page_name]
        msg = BackMsg()
        msg.rerun_script.query_string = ""
        msg.rerun_script.page_script_hash = page.page_script_hash
        self.messages.clear()
        self.send(msg)

    def texts(self) -> str:
        """Every markdown, title, text and error the session's runs sent, joined."""
        return json.dumps([str(m.delta) for m in self.messages if m.WhichOneof("type") == "delta"])

    def close(self) -> None:
        if self.ws is not None:
            self.ws.close()
            self.ws = None

    def put_file(self, session_id: str, data: bytes, name: str = "x.csv",
                 file_id: str | None = None, xsrf: bool = True,
                 other_cookies: str = "") -> Response:  # fmt: skip
        """PUT one file to `/_stcore/upload_file/<session>/<file>` as the frontend does
        (multipart, the XSRF token in a header)."""
        boundary = uuid.uuid4().hex
        body = b"".join([
            f"--{boundary}\r\n".encode(),
            f'Content-Disposition: form-data; name="file"; filename="{name}"\r\n'.encode(),
            b"Content-Type: text/csv\r\n\r\n", data, f"\r\n--{boundary}--\r\n".encode(),
        ])  # fmt: skip
        headers = {"Content-Type": f"multipart/form-data; boundary={boundary}",
                   "Origin": self.origin}  # fmt: skip
        if xsrf and (token := self.cookie(XSRF_COOKIE)):
            headers["X-Xsrftoken"] = token
        return self.send_body("PUT", f"/_stcore/upload_file/{session_id}/{file_id or uuid.uuid4()}",
                              body, headers, other_cookies=other_cookies)  # fmt: skip

    def send_body(self, method: str, path: str, body: bytes, headers: dict[str, str],
                  chunked: bool = False, other_cookies: str = "") -> Response:  # fmt: skip
        """A request with a body over a plain socket, so a server that answers before reading
        the body (and then drops the connection) is seen answering: the answer is read after
        the headers, before the body is sent. `chunked`: no Content-Length; `other_cookies`:
        sent before this client's own, as other sites on the host leave them."""
        host, port = self.base.removeprefix("http://").split(":")
        cookies = "; ".join(c for c in (other_cookies, self.cookie_header()) if c)
        lines = [f"{method} {path} HTTP/1.1", f"Host: {host}:{port}", "Connection: close",
                 f"Cookie: {cookies}", *(f"{k}: {v}" for k, v in headers.items()),
                 "Transfer-Encoding: chunked" if chunked else f"Content-Length: {len(body)}"]
        with socket.create_connection((host, int(port)), timeout=60) as sock:
            sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
            sock.settimeout(1.0)
            answer = b""
            with contextlib.suppress(TimeoutError):
                answer = sock.recv(65536)  # an answer before the body: a refusal
            sock.settimeout(60)
            if not answer:
                try:
                    step = 1 << 16
                    for start in range(0, len(body), step):
                        piece = body[start:start + step]
                        sock.sendall(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
                    if chunked:
                        sock.sendall(b"0\r\n\r\n")
                except OSError:  # dropped while sending: read what it said
                    pass
                answer = _read_all(sock)
        head, _, rest = answer.partition(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        parsed = dict(line.split(": ", 1) for line in header_lines if ": " in line)
        return Response(int(status_line.split()[1]) if status_line else 0, rest, parsed)


def _read_all(sock: socket.socket) -> bytes:
    chunks = []
    try:
        while piece := sock.recv(65536):
            chunks.append(piece)
    except OSError:
        pass
    return b"".join(chunks)


@contextmanager
def running(db: Path, log: Path, **kw: object) -> Iterator[Server]:
    server = Server(db, log, **kw)  # type: ignore[arg-type]
    try:
        yield server
    finally:
        server.stop()
