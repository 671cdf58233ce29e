"""Make the README's screenshots: the review queue and a draft page, in Debian's Chromium.

Run: .venv/bin/python docs/screenshots.py  (writes docs/review-queue.png, docs/review-draft.png)
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from consultant.migrations import upgrade_database  # noqa: E402
from tests.e2e.live_server import LiveServer  # noqa: E402
from tests.integration.review_fixtures import REVIEWER, make_pending_drafts  # noqa: E402


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/screens.sqlite3"
        upgrade_database(url)
        drafts = make_pending_drafts(url, 4)
        server = LiveServer(url, Path(folder) / "var")
        server.start()
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path="/usr/bin/chromium", args=["--no-sandbox"]
                )
                page = browser.new_page(
                    base_url=server.base_url, viewport={"width": 1400, "height": 800}
                )
                page.goto("/")
                page.get_by_label("Email address").fill(REVIEWER)
                page.get_by_label("Password").fill("a long password 1")
                page.get_by_role("button", name="Sign in").click()
                page.wait_for_url("**/review")
                page.screenshot(path=str(ROOT / "docs" / "review-queue.png"))
                page.goto(f"/review/{drafts[0].draft_id}")
                page.get_by_role("button", name="Claim").click()
                page.wait_for_url("**done=claimed")
                page.screenshot(path=str(ROOT / "docs" / "review-draft.png"), full_page=True)
                browser.close()
        finally:
            server.stop()


if __name__ == "__main__":
    main()
