"""AppTest helpers.

streamlit 1.67's AppTest resets `PagesManager.uses_pages_directory` before every run, so with
a `pages/` folder beside app.py every *rerun* falls back to the old pages-directory mode and
skips app.py (its sidebar vanishes). The real server sets the flag to False for good as soon as
`st.navigation` runs; this patch gives AppTest the same behaviour.

Every AppTest also scans all installed packages' metadata for Streamlit components (about
0.2 s, once per AppTest; the server does it once per process). The installed packages do not
change while the tests run, so the scan is done once per test process.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from streamlit.components.v2 import manifest_scanner
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest, app_test

APP = str(Path(__file__).parents[1] / "app.py")


class _NavigationPagesManager(PagesManager):
    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        PagesManager.uses_pages_directory = False


manifest_scanner.scan_component_manifests = functools.cache(  # type: ignore[method-assign]
    manifest_scanner.scan_component_manifests
)


def use_navigation_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(app_test, "PagesManager", _NavigationPagesManager)


@pytest.fixture
def app_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Navigation pages as the server has them, and caches that do not leak between tests
    (Streamlit's caches are process-wide, so one test's store would answer the next)."""
    use_navigation_pages(monkeypatch)
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


def open_app(monkeypatch: pytest.MonkeyPatch, db: Path, timeout: int = 120) -> AppTest:
    """Run app.py against the store at `db`."""
    monkeypatch.setenv("CXDASH_DB", str(db))
    at = AppTest.from_file(APP, default_timeout=timeout)
    at.run()
    return at
