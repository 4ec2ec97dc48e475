"""AppTest helpers.

streamlit 1.67's AppTest resets `PagesManager.uses_pages_directory` before every run, so with
a `pages/` folder beside app.py every *rerun* falls back to the old pages-directory mode and
skips app.py (its sidebar vanishes). The real server sets the flag to False for good as soon as
`st.navigation` runs; this patch gives AppTest the same behaviour.
"""

from __future__ import annotations

import pytest
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import app_test


class _NavigationPagesManager(PagesManager):
    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        PagesManager.uses_pages_directory = False


def use_navigation_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(app_test, "PagesManager", _NavigationPagesManager)
