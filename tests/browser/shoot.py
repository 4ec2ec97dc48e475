"""Screenshots of every page at 1920×1080 and 1366×768, for people to look at.

    python -m tests.browser.shoot --db /tmp/demo.duckdb [--out test-results/screenshots]

Each page is captured with a tall viewport, because Streamlit scrolls inside its own
container and a plain full-page screenshot would stop at the first screen.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from playwright.sync_api import sync_playwright

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, SHOTS, Server, wait_for_app

PAGES = ("scoreboard", "playing_to_win", "defense", "speed_to_happiness", "data")
SIZES = ((1920, 1080), (1366, 768))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--out", type=Path, default=SHOTS)
    parser.add_argument("--tall", type=int, default=2600, help="viewport height for full pages")
    parser.add_argument("--query", default="", help="query string, e.g. period=90d")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    server = Server(args.db, args.out / "streamlit.log")
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for width, height in SIZES:
                for name in PAGES:
                    for label, h in (("screen", height), ("full", args.tall)):
                        page = browser.new_page(viewport={"width": width, "height": h})
                        url_path = "" if name == "scoreboard" else name  # the default page is /
                        page.goto(f"{server.url}/{url_path}?{args.query}")
                        wait_for_app(page)
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
