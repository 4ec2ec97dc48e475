"""Root causes in Chromium against a real `streamlit run`: a cause added through the page's form
is written to the store with its change history and marked on Playing to win's contact-rate
chart; "Where to play next" opens the form for its top driver; a cause the register's rules
refuse shows why and leaves the store file as it was."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from cxdash import store
from tests.browser.conftest import Server, screenshot, wait_for_app
from tests.storebuilder import build_store

pytestmark = pytest.mark.browser

VIEWPORT = {"width": 1366, "height": 900}
FIRST_DAY = dt.date(2026, 3, 23)  # a Monday; ten full weeks up to Sunday 31 May 2026
DAYS = 70
FIX_DAY = dt.date(2026, 5, 11)  # damaged items drop from here on (the label printer is fixed)
TOP_DRIVER = "Where is my order"  # the largest preventable driver in the last 28 days
CATALOG = [
    {"reason": "Where is my order", "value_to_customer": "low", "value_to_business": "low",
     "preventable": True},
    {"reason": "Damaged item", "value_to_customer": "low", "value_to_business": "low",
     "preventable": True},
    {"reason": "Product question", "value_to_customer": "high", "value_to_business": "high",
     "preventable": False},
]  # fmt: skip
UNRELATED = {"cause_id": "RC-1", "title": "Size chart unclear", "reasons": ["Wrong size"],
             "owner": "Mia", "status": "in_progress",
             "identified_on": dt.date(2026, 4, 1)}  # fmt: skip


def small_store(path: Path) -> Path:
    """420 contacts and 1,400 orders over ten weeks, three drivers in the catalog, one cause
    (in progress, no fix date, on another driver)."""
    contacts, orders = [], []
    channels = ("chat", "email", "phone")
    for d in range(DAYS):
        day = FIRST_DAY + dt.timedelta(days=d)
        reasons = [TOP_DRIVER, TOP_DRIVER, "Product question",
                   "Wrong size" if d % 2 else "Address change"]  # fmt: skip
        if day < FIX_DAY or d % 3 == 0:
            reasons.append("Damaged item")
        if day < FIX_DAY:
            reasons.append("Damaged item")
        at = dt.datetime.combine(day, dt.time(9))
        for i, reason in enumerate(reasons):
            contacts.append({"contact_id": f"c{d}-{i}", "reason": reason,
                             "created_at": at + dt.timedelta(minutes=47 * i),
                             "channel": channels[(d + i) % 3]})  # fmt: skip
        orders += [{"order_id": f"o{d}-{i}", "ordered_at": at + dt.timedelta(minutes=29 * i)}
                   for i in range(20)]  # fmt: skip
    return build_store(path, contacts, orders, CATALOG, [UNRELATED])


@pytest.fixture(scope="module")
def shared(serve, tmp_path_factory: pytest.TempPathFactory) -> tuple[Server, Path]:
    """A store no test here writes to, and its server."""
    db = small_store(tmp_path_factory.mktemp("causes") / "cxdash.duckdb")
    return serve(db), db


def new_cause_form(page: Page) -> Locator:
    # The edit form of the cause on show is drawn too (in a closed expander).
    return page.get_by_test_id("stForm").filter(has=page.get_by_role("button", name="Add cause"))


def type_date(form: Locator, label: str, day: dt.date) -> None:
    """Streamlit's date input is a react-aria date field: one spin button per part, and typing
    the digits into the year moves on to the month and the day by itself."""
    form.get_by_role("group", name=label).get_by_role("spinbutton", name=f"year, {label}").click()
    form.page.keyboard.type(day.strftime("%Y%m%d"))
    form.page.keyboard.press("Tab")
    field = form.get_by_test_id("stDateInput").filter(has_text=label)
    expect(field).to_contain_text(re.compile(day.strftime(r"%Y\s*-\s*%m\s*-\s*%d")))


def pick(page: Page, box: Locator, label: str, chosen: Locator) -> None:
    """Open a selectbox's or multiselect's list and pick `label`, until `chosen` shows it. A
    list does not always open on the first click, nor take the pick: not when the box sits at
    the bottom edge of the window (Playwright scrolls only just enough), nor on a busy machine
    when a rerun redraws the list under the click. So centre the box and try again."""
    box.evaluate("box => box.scrollIntoView({block: 'center'})")
    option = page.get_by_role("option", name=label, exact=True)
    for _ in range(3):
        if chosen.is_visible():  # a pick that took after the wait below
            return
        if not option.is_visible():
            box.click()
        try:
            option.click(timeout=3_000)
        except PlaywrightTimeout:
            page.keyboard.press("Escape")
            continue
        page.keyboard.press("Escape")  # a multiselect shows its chips once its list closes
        try:
            expect(chosen).to_be_visible(timeout=3_000)
        except AssertionError:
            continue
        return
    raise AssertionError(f"the list never took the pick {label!r}")


def choose_status(page: Page, form: Locator, label: str) -> None:
    status = form.get_by_role("combobox", name="Status", exact=True)
    pick(page, status, label, form.locator(f"input[value='{label}']"))
    expect(status).to_have_value(label)


def chips(multiselect: Locator) -> Locator:
    return multiselect.locator("[data-tag]")


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_cause_added_in_the_form_is_stored_and_marked_on_the_contact_rate_chart(
    browser: Browser, serve, tmp_path: Path
) -> None:
    db = small_store(tmp_path / "store" / "cxdash.duckdb")
    server = serve(db)
    page = browser.new_page(viewport=VIEWPORT)
    page.goto(f"{server.url}/root_causes?new=Damaged+item")
    wait_for_app(page)
    form = new_cause_form(page)
    expect(form).to_be_visible()
    expect(form.get_by_role("textbox", name="Id", exact=True)).to_have_value("RC-2")  # after RC-1
    expect(chips(form.get_by_test_id("stMultiSelect"))).to_have_text(["Damaged item"])

    form.get_by_role("textbox", name="Title", exact=True).fill("Label printer jams")
    form.get_by_role("textbox", name="Owner", exact=True).fill("Sam")
    choose_status(page, form, "Eliminated (fixed)")
    # Identified on starts at the data's last day (31 May): a fix inside it needs an earlier one.
    type_date(form, "Identified on", dt.date(2026, 4, 20))
    type_date(form, "Fixed on", FIX_DAY)
    form.get_by_role("button", name="Add cause").click()

    flash = page.get_by_test_id("stAlert").filter(has_text="RC-2 added")
    expect(flash).to_contain_text("RC-2 added (Id, Title, Contact reasons, Owner, Status, "
                                  "Identified on, Fixed on).", timeout=30_000)  # fmt: skip
    wait_for_app(page)
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(page.get_by_role("heading", name="RC-2 · Label printer jams")).to_be_visible()
    flash.scroll_into_view_if_needed()
    screenshot(page, "causes-added-1366x900")

    with contextlib.closing(store.open_read(db)) as con:
        causes = con.execute("SELECT cause_id, title, reasons, owner, status, identified_on, "
                             "fixed_on, notes FROM root_causes ORDER BY 1").fetchall()  # fmt: skip
        history = con.execute("SELECT changed_by, field, old_value, new_value "
                              "FROM root_cause_changes WHERE cause_id = 'RC-2' "
                              "ORDER BY field").fetchall()  # fmt: skip
    assert causes == [
        ("RC-1", "Size chart unclear", ["Wrong size"], "Mia", "in_progress",
         dt.date(2026, 4, 1), None, None),
        ("RC-2", "Label printer jams", ["Damaged item"], "Sam", "eliminated",
         dt.date(2026, 4, 20), FIX_DAY, None),
    ]  # fmt: skip
    assert history == [
        ("local", "cause_id", None, "RC-2"),
        ("local", "fixed_on", None, "2026-05-11"),
        ("local", "identified_on", None, "2026-04-20"),
        ("local", "owner", None, "Sam"),
        ("local", "reasons", None, "Damaged item"),
        ("local", "status", None, "eliminated"),
        ("local", "title", None, "Label printer jams"),
    ]

    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Playing to win").click()
    expect(page).to_have_url(re.compile(r"/playing_to_win\b"))
    wait_for_app(page)
    chart = page.get_by_test_id("stPlotlyChart").filter(has_text="Contact rate per week")
    expect(chart).to_have_count(1)
    expect(chart.locator("g.annotation text")).to_have_text(["fix: Label printer jams"])
    expect(chart.locator(".shapelayer path[style*='stroke-dasharray']")).to_have_count(1)
    expect(page.get_by_test_id("stException")).to_have_count(0)
    page.wait_for_timeout(500)  # let Plotly finish drawing
    screenshot(page, "playing-to-win-fix-marked-1366x900")
    page.close()


def test_where_to_play_next_opens_a_new_cause_for_its_top_driver(
    browser: Browser, shared: tuple[Server, Path]
) -> None:
    server, _ = shared
    page = browser.new_page(viewport=VIEWPORT)
    page.goto(f"{server.url}/playing_to_win")
    wait_for_app(page)
    expect(page.get_by_role("heading", name="Where to play next")).to_be_visible()
    table = page.get_by_test_id("stDataFrame").first
    rows = table.locator("table[role=grid] tbody tr")
    expect(rows).not_to_have_count(0)
    drivers = [r.locator("td").nth(1).text_content() for r in rows.all()]
    assert drivers[0] == TOP_DRIVER, drivers
    assert "Damaged item" in drivers and "Product question" not in drivers, drivers
    link = page.get_by_role("link", name=re.compile(f"Open a root cause for {TOP_DRIVER}$"))
    link.scroll_into_view_if_needed()
    screenshot(page, "playing-to-win-where-to-play-1366x900")

    link.click()
    expect(page).to_have_url(re.compile(r"/root_causes\?(.*&)?new=Where\+is\+my\+order\b"))
    wait_for_app(page)
    expect(page.get_by_role("heading", name="Root causes")).to_be_visible()
    expander = page.get_by_test_id("stExpander").filter(has_text="New cause")
    expect(expander.locator("details")).to_have_attribute("open", "")
    form = new_cause_form(page)
    expect(form).to_be_visible()
    expect(chips(form.get_by_test_id("stMultiSelect"))).to_have_text([TOP_DRIVER])
    expect(form.get_by_role("textbox", name="Title", exact=True)).to_have_value("")
    form.scroll_into_view_if_needed()
    screenshot(page, "causes-new-from-where-to-play-1366x900")
    page.close()


def test_an_eliminated_cause_without_a_fix_date_is_refused_and_nothing_is_written(
    browser: Browser, shared: tuple[Server, Path]
) -> None:
    server, db = shared
    before = file_digest(db)
    page = browser.new_page(viewport=VIEWPORT)
    page.goto(f"{server.url}/root_causes")
    wait_for_app(page)
    expander = page.get_by_test_id("stExpander").filter(has_text="New cause")
    expander.get_by_text("New cause", exact=True).click()
    form = new_cause_form(page)
    expect(form).to_be_visible()
    wait_for_app(page)  # a run still drawing the page can redraw the form under the picks
    expect(chips(form.get_by_test_id("stMultiSelect"))).to_have_count(0)
    reasons = form.get_by_test_id("stMultiSelect")
    pick(page, reasons, "Damaged item", chips(reasons).filter(has_text="Damaged item"))
    expect(chips(form.get_by_test_id("stMultiSelect"))).to_have_text(["Damaged item"])
    form.get_by_role("textbox", name="Title", exact=True).fill("Label printer jams")
    choose_status(page, form, "Eliminated (fixed)")
    form.get_by_role("button", name="Add cause").click()

    error = expander.get_by_test_id("stAlert")
    expect(error).to_contain_text("needs the date it was fixed", timeout=30_000)
    expect(error).to_contain_text("Not saved: cause 'RC-2'")
    expect(error).to_be_visible()  # the expander stays open, the form keeps what was typed
    expect(form.get_by_role("textbox", name="Title", exact=True)).to_have_value(
        "Label printer jams")  # fmt: skip
    wait_for_app(page)
    expect(page.get_by_test_id("stAlert").filter(has_text="added")).to_have_count(0)
    error.scroll_into_view_if_needed()
    screenshot(page, "causes-refused-1366x900")
    page.close()

    assert file_digest(db) == before
    assert not [p for p in db.parent.iterdir() if ".tmp-" in p.name]
    with contextlib.closing(store.open_read(db)) as con:
        assert con.execute("SELECT cause_id FROM root_causes").fetchall() == [("RC-1",)]
        assert con.execute("SELECT count(*) FROM root_cause_changes").fetchone() == (0,)
