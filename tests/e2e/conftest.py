"""Browser tests against the real web app: fixtures.

* ``live_server`` (module): ``consultant serve`` on a free port against a fresh migrated
  database (a copy of the session's template, on SQLite and on PostgreSQL: each module runs
  once per backend). ``live_server.url(path)``, ``.database_url``, ``.add_staff(...)``,
  ``.log()``. Stopped at the module's end, and must exit 0.
* ``reviewer`` / ``admin`` (module): :class:`StaffCredentials` of users in that database.
* ``browser`` (session): headless Debian Chromium through Playwright's sync API.
* ``page`` (test): a new browser context (no cookies) with ``base_url`` set, so
  ``page.goto("/review")`` works; after the test it fails if the console reported a Content
  Security Policy violation or the page threw an uncaught error.
* ``sign_in`` (test): ``sign_in(reviewer)`` signs ``page`` in through the form and waits
  for ``/review`` (``start=`` another first page, ``landing=`` another URL pattern).
* ``console`` (test): the :class:`ConsoleWatch` of ``page`` (``.messages``, ``.page_errors``).

Plain HTTP without a browser (a POST without its token, raw headers): tests/e2e/plain_http.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Playwright, expect, sync_playwright

from consultant.accounts.roles import StaffRole
from tests.databases import MigratedTemplate, drop_database
from tests.e2e.live_server import LiveServer, StaffCredentials

CHROMIUM = "/usr/bin/chromium"
#: Playwright waits (expect, wait_for_url) give up after this many milliseconds.
WAIT_MS = 10_000
expect.set_options(timeout=WAIT_MS)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def web_database_url(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    migrated_templates: dict[str, MigratedTemplate],
) -> Iterator[str]:
    """A fresh migrated database for one module's server, on each backend in turn."""
    url = migrated_templates[str(request.param)].copy(tmp_path_factory.mktemp("web-db"))
    yield url
    drop_database(url)


@pytest.fixture(scope="module")
def live_server(
    web_database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """``consultant serve`` on a free port, shared by the module's tests."""
    server = LiveServer(web_database_url, tmp_path_factory.mktemp("web-var"))
    server.start()
    try:
        yield server
    finally:
        status = server.stop()
    assert status == 0, f"consultant serve exited {status}:\n{server.log()[-4000:]}"


@pytest.fixture(scope="module")
def reviewer(live_server: LiveServer) -> StaffCredentials:
    return live_server.add_staff("reviewer@clinic.example", StaffRole.REVIEWER, "reviewer-pass-1")


@pytest.fixture(scope="module")
def admin(live_server: LiveServer) -> StaffCredentials:
    return live_server.add_staff("admin@clinic.example", StaffRole.ADMIN, "admin-pass-1")


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as running:
        yield running


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """Headless Chromium (Debian's: Playwright cannot download its own here)."""
    launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
    yield launched
    launched.close()


class ConsoleWatch:
    """What a page's console said: CSP violations and uncaught errors fail the test."""

    def __init__(self) -> None:
        self.messages: list[str] = []
        self.page_errors: list[str] = []

    def on_console(self, message: ConsoleMessage) -> None:
        self.messages.append(f"{message.type}: {message.text}")

    def on_page_error(self, error: Exception) -> None:
        self.page_errors.append(str(error))

    @property
    def csp_violations(self) -> list[str]:
        return [m for m in self.messages if "Content Security Policy" in m]


@pytest.fixture
def console() -> ConsoleWatch:
    return ConsoleWatch()


@pytest.fixture
def page(browser: Browser, live_server: LiveServer, console: ConsoleWatch) -> Iterator[Page]:
    """A fresh context and page on the live server; no CSP violation or page error allowed."""
    context = browser.new_context(base_url=live_server.base_url)
    context.set_default_timeout(WAIT_MS)
    opened = context.new_page()
    opened.on("console", console.on_console)
    opened.on("pageerror", console.on_page_error)
    try:
        yield opened
    finally:
        context.close()
    assert console.csp_violations == [], console.csp_violations
    assert console.page_errors == [], console.page_errors


SignIn = Callable[..., None]


@pytest.fixture
def sign_in(page: Page) -> SignIn:
    """``sign_in(who, start="/", landing="**/review")``: open ``start``, sign in through the
    form as a person would, and wait for the page it leads to."""

    def signing_in(who: StaffCredentials, start: str = "/", landing: str = "**/review") -> None:
        page.goto(start)
        page.get_by_label("Email address").fill(who.email)
        page.get_by_label("Password").fill(who.password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(landing)

    return signing_in
