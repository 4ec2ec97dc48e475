"""Discover drivers on the Driver catalog page in Chromium against a real `streamlit run`:
discovery runs from the page, the biggest driver is renamed, one driver is unticked in the
review grid (a click on its checkbox in the canvas grid), the accepted drivers are written,
and the store's driver map and the page's change history show exactly those."""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from cxdash import store
from cxdash.drivers import review
from tests.browser.conftest import screenshot, wait_for_app
from tests.storebuilder import build_store, ts
from tests.ui.test_driver_review_page import VARIANTS

pytestmark = pytest.mark.browser
ROW, HEADER = 35, 35  # the data grid's row and header heights in px


def _store(path: Path) -> Path:
    texts = [t for vs in VARIANTS.values() for t in vs]
    reasons = [t for t, n in zip(texts, itertools.cycle([1, 2, 3]), strict=False)
               for _ in range(n)]  # fmt: skip
    t0 = ts("2026-03-02 09:00")
    return build_store(path, [{"contact_id": f"c{i}", "reason": reasons[i % len(reasons)],
                               "created_at": t0 + dt.timedelta(minutes=17 * i)}
                              for i in range(200)])  # fmt: skip


def _grid_rows(page: Page) -> list[str]:
    """The review grid's driver column, as its accessible table has it."""
    grid = page.get_by_test_id("stExpander").get_by_test_id("stDataFrame").first
    rows = grid.locator("table[role=grid] tbody tr")
    expect(rows).not_to_have_count(0)
    return [str(r.locator("td").nth(1).text_content()) for r in rows.all()]


def test_discover_rename_untick_and_write_in_the_browser(
    browser: Browser, serve, tmp_path: Path
) -> None:
    db = _store(tmp_path / "cxdash.duckdb")
    with contextlib.closing(store.open_read(db)) as con:
        _, proposal = review.draft(con, (), 4)  # what the page will propose (seeded)
    biggest = proposal.drivers[0].label
    renamed = review.rename(proposal, biggest, "Top driver")
    dropped = renamed.drivers[-1]  # the smallest: unticked below
    server = serve(db)
    page = browser.new_page(viewport={"width": 1366, "height": 1800})
    page.goto(f"{server.url}/driver_catalog")
    wait_for_app(page)

    section = page.get_by_test_id("stExpander")
    page.get_by_text("Discover drivers in free-text reasons or comments").click()
    section.get_by_label("Drivers", exact=True).fill("4")
    section.get_by_label("Drivers", exact=True).press("Enter")
    wait_for_app(page)
    section.get_by_role("button", name="Discover drivers").click()
    expect(section.get_by_role("tab", name="Look inside")).to_be_visible(timeout=90_000)
    wait_for_app(page)
    assert _grid_rows(page) == [d.label for d in proposal.drivers]

    section.get_by_role("tab", name="Rename").click()
    rename = section.get_by_role("tabpanel", name="Rename")
    rename.get_by_label("New name").fill("Top driver")
    rename.get_by_label("New name").press("Enter")
    wait_for_app(page)
    rename.get_by_role("button", name="Rename").click()
    wait_for_app(page)
    expect(section.get_by_text("Top driver").first).to_be_attached()
    assert _grid_rows(page) == [d.label for d in renamed.drivers]

    # Untick the last row's checkbox (the Accept column is the grid's first, 76 px wide).
    grid = section.get_by_test_id("stDataFrame").first
    box = grid.bounding_box()
    assert box is not None
    row = len(renamed.drivers) - 1
    caption = section.get_by_text(f"{row} of {row + 1} drivers accepted")
    for _ in range(3):  # a canvas grid still settling after the rerun drops a click
        page.wait_for_timeout(1000)
        page.mouse.click(box["x"] + 38, box["y"] + HEADER + ROW * row + ROW // 2)
        try:
            caption.wait_for(timeout=8_000)
            break
        except PlaywrightTimeout:
            continue
    expect(caption).to_be_visible()
    screenshot(page, "driver-review-unticked-1366x1800")

    section.get_by_role("button", name="Write accepted drivers").click()
    wait_for_app(page)
    expect(page.get_by_text("Drivers written:")).to_be_visible(timeout=60_000)
    accepted = [d for d in renamed.drivers if d is not dropped]
    with contextlib.closing(store.open_read(db)) as con:
        mapped = dict(con.execute("SELECT reason, driver FROM driver_map").fetchall())
    assert mapped == {k: d.label for d in accepted for k in d.keys}
    assert not set(dropped.keys) & set(mapped)

    expect(page.get_by_text(f"{len(mapped)} raw reasons mapped to {len(accepted)} drivers."))\
        .to_be_visible()  # fmt: skip
    history = page.get_by_test_id("stDataFrame").last.locator("table[role=grid] tbody tr")
    expect(history.first).to_contain_text("local")
    screenshot(page, "driver-review-written-1366x1800")
