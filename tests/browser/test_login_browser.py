"""A password in Chromium against a real server under cxdash's guards: the signed-in browser
downloads and uploads as before; another browser holding the download's link gets nothing,
nor does the signed-in browser once its session has ended."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.conftest import wait_for_app
from tests.live_server import Server

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def locked(demo_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = Server(demo_store, tmp_path_factory.mktemp("locked") / "streamlit.log",
                    env={"CXDASH_PASSWORD": PASSWORD})  # fmt: skip
    yield server
    server.stop()


def test_the_signed_in_browser_downloads_and_uploads_and_no_other_gets_the_file(
    browser: Browser, locked: Server, tmp_path: Path
) -> None:
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    page.goto(f"{locked.url}/root_causes")
    page.get_by_role("textbox", name="Your name").fill("Ana")
    page.get_by_role("textbox", name="Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Signed in as Ana")).to_be_visible(timeout=60_000)
    wait_for_app(page)
    cookies = {c["name"]: c for c in context.cookies()}
    assert cookies["cxdash_browser"]["httpOnly"] and cookies["cxdash_browser"]["sameSite"] == "Lax"

    with page.expect_download() as download:
        page.get_by_role("button", name="Register (CSV)").click()
    url = download.value.url
    assert "/media/" in url and Path(download.value.path()).read_text().lstrip("\ufeff") \
        .startswith("cause_id,")  # fmt: skip

    other = browser.new_context()  # the link, in another browser
    assert other.request.get(url).status == 403
    other.new_page().goto(locked.url)  # that browser opens the app (its own cookie)
    assert other.request.get(url).status == 403
    assert context.request.get(url).status == 200

    csv = tmp_path / "june.csv"
    csv.write_text("Ticket ID,Created,Channel\nT1,2026-06-01 09:00,chat\n")
    page.get_by_role("link", name="Data and settings").click()  # in-app: the same session
    wait_for_app(page)
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(csv))
    expect(page.get_by_text("Check before importing")).to_be_visible(timeout=60_000)

    page.close()  # the session ends with its websocket
    time.sleep(1)
    assert context.request.get(url).status == 403
    other.close()
    context.close()
