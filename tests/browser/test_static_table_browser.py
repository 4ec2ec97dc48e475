"""`st.table` renders cells and headers as Markdown (an image in a driver's name is fetched):
every static table goes through `cxdash.ui.tables.static_table`, which shows them as text."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from tests.browser.conftest import Server, wait_for_app

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def table_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = Server(None, tmp_path_factory.mktemp("table") / "streamlit.log",
                    script=Path(__file__).with_name("static_table_app.py"))
    yield server
    server.stop()


def test_static_table_cells_are_text(browser: Browser, table_app: Server) -> None:
    page = browser.new_page()
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url) if "127.0.0.1" not in r.url
            and not r.url.startswith("data:") else None)  # fmt: skip
    page.goto(table_app.url)
    wait_for_app(page)
    table = page.get_by_test_id("stTable")
    table.wait_for()
    assert table.locator("img, a, strong, b, h1, .katex").count() == 0
    text = table.inner_text().replace("\u2060", "")
    for shown in ("#", "![x](http://evil.example/pixel.png)", "[click](javascript:alert(1))",
                  "**loud** <b>tag</b>", "$x^2$ :red[alarm]", "a@evil.example"):
        assert shown in text, shown
    assert outside == []
