"""The Data page's import in Chromium against a real `streamlit run`: a CSV goes through the
real file input, a mapping cell is changed in the grid's own dropdown, the import writes the
rows, and the freshness panel and the history show them without a restart."""

from __future__ import annotations

import contextlib
import datetime as dt
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from cxdash import store
from tests.browser.conftest import screenshot, wait_for_app
from tests.storebuilder import build_store, ts

pytestmark = pytest.mark.browser

JUNE = (
    "Ticket ID,Created,Channel,Notes\n"
    "T1,2026-06-01 09:00,chat,late parcel\n"
    "T2,2026-06-02 09:00,email,refund\n"
    "T3,2026-06-03 09:00,phone,wrong size\n"
)
ROW, HEADER = 35, 35  # the data grid's row and header heights in px


def choose_in_grid(page: Page, grid: Locator, *, row: int, column: int, option: str) -> None:
    """Open a selectbox cell's dropdown from the keyboard and pick `option`. The canvas grid
    may still be settling after a rerun and drop the first click (Streamlit's own e2e helpers
    retry for the same reason), so try a few times."""
    box = grid.bounding_box()
    assert box is not None
    choice = page.get_by_role("option", name=option, exact=True)
    for _ in range(4):
        page.mouse.click(box["x"] + 20, box["y"] + HEADER + ROW * row + ROW // 2)
        for _ in range(column):
            page.keyboard.press("ArrowRight")
        page.keyboard.press("Enter")
        try:
            choice.wait_for(timeout=3_000)
        except PlaywrightTimeout:
            page.keyboard.press("Escape")
            continue
        choice.click()
        return
    raise AssertionError(f"the dropdown of row {row}, column {column} never opened")


def test_upload_map_and_import_through_the_browser(
    browser: Browser, serve, tmp_path: Path
) -> None:
    t0 = ts("2026-05-01 09:00")
    db = build_store(tmp_path / "store" / "cxdash.duckdb",
                     [{"contact_id": f"c{i}", "created_at": t0 + dt.timedelta(days=i)}
                      for i in range(5)])  # fmt: skip
    csv = tmp_path / "june.csv"
    csv.write_text(JUNE)
    server = serve(db)
    page = browser.new_page(viewport={"width": 1366, "height": 3000})
    page.goto(f"{server.url}/data")
    wait_for_app(page)
    expect(page.get_by_text("Files up to 200 MB")).to_be_visible()

    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(csv))
    expect(page.get_by_text("Check before importing")).to_be_visible(timeout=60_000)
    wait_for_app(page)
    unused = page.get_by_text("Columns not imported (no field uses them): Notes")
    expect(unused).to_be_visible()

    # comment ← Notes: select the comment row (the last of 23), move to "source column",
    # open its dropdown and pick the file's column.
    editor = _grids(page).nth(1)
    rows = editor.locator("table[role=grid] tbody tr")
    expect(rows).to_have_count(23)
    assert rows.last.locator("td").first.text_content() == "comment"
    choose_in_grid(page, editor, row=22, column=2, option="Notes")
    expect(unused).to_have_count(0, timeout=30_000)  # Notes is used now
    wait_for_app(page)
    screenshot(page, "data-import-review-1366x3000")

    page.get_by_role("button", name="Import 3 rows into contacts").click()
    expect(page.get_by_test_id("stAlert").filter(has_text="Imported june.csv")).to_contain_text(
        "3 of 3 rows written to contacts", timeout=60_000)  # fmt: skip
    wait_for_app(page)
    stored = page.get_by_test_id("stMetric").filter(has_text="Contacts stored")
    expect(stored.get_by_test_id("stMetricValue")).to_have_text("8")  # 5 before + 3
    history = _grids(page).first.locator("table[role=grid] tbody tr")
    expect(history).to_have_count(1)
    cells = [c.text_content() for c in history.first.locator("td").all()]
    assert cells[0] == "june.csv" and cells[2:6] == ["contacts", "3", "3", "0"], cells
    screenshot(page, "data-import-done-1366x3000")
    page.close()

    with contextlib.closing(store.open_read(db)) as con:
        rows_in_store = con.execute("SELECT contact_id, comment FROM contacts "
                                    "WHERE contact_id LIKE 'T%' ORDER BY 1").fetchall()  # fmt: skip
    assert rows_in_store == [("T1", "late parcel"), ("T2", "refund"), ("T3", "wrong size")]
    assert not [p for p in db.parent.iterdir() if p.name.startswith(".cxdash-upload-")]


def _grids(page):  # type: ignore[no-untyped-def]
    """The page's tables after "What your data holds" (the field table, always first)."""
    return page.get_by_test_id("stDataFrame").filter(has_not_text="In your data?")


def test_a_command_line_import_shows_up_in_the_running_dashboard(
    browser: Browser, serve, tmp_path: Path
) -> None:
    """DuckDB allows one writer: the import builds a new file and swaps it in while the server
    keeps reading the old one, and the next page run reads the new version."""
    import subprocess
    import sys

    t0 = ts("2026-05-01 09:00")
    db = build_store(tmp_path / "store" / "cxdash.duckdb",
                     [{"contact_id": f"c{i}", "created_at": t0 + dt.timedelta(days=i)}
                      for i in range(5)])  # fmt: skip
    server = serve(db)
    page = browser.new_page(viewport={"width": 1366, "height": 1200})
    page.goto(f"{server.url}/data")
    wait_for_app(page)
    stored = page.get_by_test_id("stMetric").filter(has_text="Contacts stored")
    expect(stored.get_by_test_id("stMetricValue")).to_have_text("5")
    csv = tmp_path / "june.csv"
    csv.write_text(JUNE)
    proc = subprocess.run([sys.executable, "-m", "cxdash", "import", str(csv), "--db", str(db),
                           "--quiet"], capture_output=True, text=True)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    page.reload()
    wait_for_app(page)
    expect(stored.get_by_test_id("stMetricValue")).to_have_text("8")
    history = _grids(page).first.locator("table[role=grid] tbody tr")
    expect(history).to_have_count(1)
    page.close()
