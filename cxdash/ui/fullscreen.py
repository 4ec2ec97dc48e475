"""A page on a shared screen or a wall: no sidebar, no Streamlit chrome, one window's height.

`hide_chrome()` hides the sidebar (its filters still read the URL: app.py declares them before
the page runs), the header with its toolbar and menu, and the coloured decoration line, and
lets the page use the whole width. The rules are emitted only by the page that calls it, so
they leave with it: every other page keeps its sidebar.

Sizes in a room scale with the window's height (`vh`), with a floor in pixels: the same screen
reads the same at 1366×768 and 1920×1080 (both 16:9), only larger.
"""

from __future__ import annotations

import streamlit as st

CHROME_CSS = """<style>
[data-testid="stElementContainer"]:has(.cx-fullscreen) { margin-bottom: -1rem; }
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
[data-testid="stExpandSidebarButton"], [data-testid="stHeader"], [data-testid="stToolbar"],
[data-testid="stDecoration"], [data-testid="stStatusWidget"] { display: none !important; }
[data-testid="stMainBlockContainer"] {
  max-width: none !important; padding: 1.4vh 3vw 0 !important; }
</style>"""


def hide_chrome(css: str = "", body: str = "", script: str = "") -> None:
    """Hide the sidebar and Streamlit's chrome on this page, with the page's own rules, markup
    and script (a constant of ours, never data), in one element that takes no room."""
    html = f'{CHROME_CSS}<style>{css}</style><span class="cx-fullscreen"></span>{body}{script}'
    st.html(html, unsafe_allow_javascript=bool(script))


def chart_box_css(prefix: str, heights: dict[str, str]) -> str:
    """Rules that give the chart boxes keyed `<prefix><name>…` their height in window units:
    `st.container(height=…)` draws a fixed box; this makes it, and the chart stretched inside
    it (`height="stretch"`), follow the window instead."""
    rules = []
    for name, height in heights.items():
        selector = f'[data-testid="stLayoutWrapper"]:has(> [class*="st-key-{prefix}{name}"])'
        rules.append(f"{selector} {{ flex: 0 0 {height} !important; height: {height} "
                     f"!important; }}")  # fmt: skip
    return "\n".join(rules)
