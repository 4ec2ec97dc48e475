"""Screenshots of every page at 1920×1080 and 1366×768, for people to look at.

    python -m tests.browser.shoot --db /tmp/demo.duckdb [--out test-results/screenshots]
                                  [--upload tickets.csv]

With --upload, the Data page is also captured with that file uploaded and under review
(first rows, mapping, check), as `data-upload-<size>-<screen|full>.png`.

Each page is captured with a tall viewport, because Streamlit scrolls inside its own
container and a plain full-page screenshot would stop at the first screen.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, SHOTS, Server, wait_for_app

PAGES = ("scoreboard", "playing_to_win", "root_causes", "driver_catalog", "explore", "defense",
         "speed_to_happiness", "data", "weekly_review")  # fmt: skip
SIZES = ((1920, 1080), (1366, 768))


def upload_for_review(page: Page, path: Path) -> None:
    """Upload through the real file input and scroll the review into view."""
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(path))
    page.get_by_text("Check before importing").wait_for(timeout=60_000)
    wait_for_app(page)
    page.get_by_text("First rows of the file").scroll_into_view_if_needed()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--out", type=Path, default=SHOTS)
    parser.add_argument("--tall", type=int, default=2600, help="viewport height for full pages")
    parser.add_argument("--query", default="", help="query string, e.g. period=90d")
    parser.add_argument("--upload", type=Path, help="a file to upload on the Data page")
    parser.add_argument("--only", nargs="*", help="capture only these, e.g. data data-upload")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    server = Server(args.db, args.out / "streamlit.log")
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            shots = [(name, name) for name in PAGES]
            if args.upload:
                shots.append(("data-upload", "data"))
            shots = [s for s in shots if not args.only or s[0] in args.only]
            for width, height in SIZES:
                for name, url_path in shots:
                    for label, h in (("screen", height), ("full", args.tall)):
                        page = browser.new_page(viewport={"width": width, "height": h})
                        if url_path == "scoreboard":
                            url_path = ""  # the default page is /
                        page.goto(f"{server.url}/{url_path}?{args.query}")
                        wait_for_app(page)
                        if name == "data-upload":
                            upload_for_review(page, args.upload)
                        page.wait_for_timeout(800)  # let Plotly finish drawing
                        path = args.out / f"{name}-{width}x{height}-{label}.png"
                        page.screenshot(path=str(path), animations="disabled")
                        errors = page.get_by_test_id("stException").count()
                        print(f"{path} exceptions={errors}")
                        page.close()
            browser.close()
    finally:
        server.stop()


if __name__ == "__main__":
    main()
