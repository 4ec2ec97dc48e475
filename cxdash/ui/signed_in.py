"""Which Streamlit sessions have signed in, for the server's own routes to ask.

Sign-in lives in a session (`cxdash.ui.auth.gate`: a password in its session state, or the
provider's identity in `st.user`), which the script sees but Streamlit's HTTP routes (file
uploads, media, metrics) do not. `gate()` records here, on every run, whether the session it
runs for may see the dashboard; `cxdash.ui.server_guard` asks before it lets a request through.
A session that ended is not asked about: the guard also requires it to be connected.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

_lock = threading.Lock()
_sessions: set[str] = set()
# Ended sessions' ids are dropped once this many are held (until then they are only refused:
# the guard asks the runtime whether a session is still connected).
PRUNE_AT = 1_000
_connected: Callable[[str], bool] | None = None


def watch(connected: Callable[[str], bool]) -> None:
    """How to tell a session that is still connected (the server's runtime, set at start)."""
    global _connected
    _connected = connected


def mark(session_id: str, signed_in: bool) -> None:
    with _lock:
        if not signed_in:
            _sessions.discard(session_id)
            return
        if len(_sessions) >= PRUNE_AT and _connected is not None:
            _sessions.intersection_update({s for s in _sessions if _connected(s)})
        _sessions.add(session_id)


def is_signed_in(session_id: str) -> bool:
    with _lock:
        return session_id in _sessions


def sessions() -> list[str]:
    with _lock:
        return list(_sessions)


def watching() -> bool:
    """Whether the server's guards are in place (they set how to tell a connected session)."""
    return _connected is not None
