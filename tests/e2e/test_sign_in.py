"""Signing in and out in a real browser: the form, wrong passwords, the limit, roles, cookies."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from consultant.accounts.roles import StaffRole
from tests.e2e.conftest import SignIn
from tests.e2e.live_server import LiveServer, StaffCredentials


def test_sign_in_shows_the_user_and_sign_out_ends_the_session(
    page: Page, sign_in: SignIn, reviewer: StaffCredentials
) -> None:
    sign_in(reviewer)
    expect(page.get_by_role("heading", name="Review queue")).to_be_visible()
    header = page.locator("header")
    expect(header).to_contain_text(reviewer.email)
    expect(header).to_contain_text("reviewer")

    page.goto("/")  # signed in: the sign-in page leads on to the queue
    page.wait_for_url("**/review")

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert [c for c in page.context.cookies() if c["name"] == "cc_session"] == []

    page.goto("/review")  # the session is gone: back to the form, which remembers the page
    page.wait_for_url(re.compile(r"/\?next=%2Freview$"))


def test_a_page_asked_for_before_sign_in_is_where_sign_in_leads(
    page: Page, sign_in: SignIn, admin: StaffCredentials
) -> None:
    sign_in(admin, start="/admin", landing="**/admin")
    expect(page.get_by_role("heading", name="Staff")).to_be_visible()


def test_a_link_to_another_site_after_sign_in_is_not_followed(
    page: Page, sign_in: SignIn, reviewer: StaffCredentials, live_server: LiveServer
) -> None:
    sign_in(reviewer, start="/?next=//evil.example/review", landing="**/review")
    assert page.url == live_server.url("/review")


def test_a_wrong_password_shows_the_form_again_with_the_address_kept(
    page: Page, reviewer: StaffCredentials
) -> None:
    page.goto("/")
    page.get_by_label("Email address").fill(reviewer.email)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("Wrong email address or password.")
    expect(page.get_by_label("Email address")).to_have_value(reviewer.email)
    expect(page.get_by_label("Password")).to_have_value("")
    expect(page.get_by_label("Password")).to_be_focused()


def test_after_too_many_failures_even_the_right_password_is_refused(
    page: Page, live_server: LiveServer
) -> None:
    who = live_server.add_staff("limited@clinic.example", StaffRole.REVIEWER, "the-right-one")
    page.goto("/")
    for attempt in range(5):  # CONSULTANT_LOGIN_FAILURES_PER_ADDRESS
        page.get_by_label("Email address").fill(who.email)
        page.get_by_label("Password").fill(f"wrong {attempt}")
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("alert")).to_have_text("Wrong email address or password.")
    page.get_by_label("Password").fill(who.password)
    with page.expect_response("**/login") as answer:
        page.get_by_role("button", name="Sign in").click()
    assert answer.value.status == 429
    expect(page.get_by_role("alert")).to_contain_text("Too many failed sign-ins. Wait 15 minutes")
    assert not page.url.endswith("/review")


def test_an_address_that_is_a_script_is_shown_never_run(page: Page) -> None:
    payload = '"><img src=x onerror="window.__xss=1"><script>window.__xss=2</script>'
    page.goto("/?next=" + '/review"><script>window.__xss=3</script>')
    page.get_by_label("Email address").fill(payload)
    page.get_by_label("Password").fill("whatever")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("Wrong email address or password.")
    expect(page.get_by_label("Email address")).to_have_value(payload)
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert page.locator("img[src='x']").count() == 0
    assert page.locator("main script").count() == 0


def test_a_reviewer_cannot_open_the_admin_pages(
    page: Page, sign_in: SignIn, reviewer: StaffCredentials
) -> None:
    sign_in(reviewer)
    expect(page.get_by_role("link", name="Staff")).to_have_count(0)
    answer = page.goto("/admin")
    assert answer is not None and answer.status == 403
    expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Your role cannot open this page")


def test_an_admin_sees_the_staff_list(
    page: Page, sign_in: SignIn, admin: StaffCredentials, reviewer: StaffCredentials
) -> None:
    sign_in(admin)
    page.get_by_role("link", name="Staff").click()
    page.wait_for_url("**/admin")
    rows = page.locator("tbody tr")
    expect(rows.filter(has_text=reviewer.email)).to_contain_text("reviewer")
    expect(rows.filter(has_text=admin.email)).to_contain_text("admin")


def test_the_session_cookie_is_httponly_lax_and_new_at_each_sign_in(
    page: Page, sign_in: SignIn, reviewer: StaffCredentials, live_server: LiveServer
) -> None:
    # A token planted before sign-in (session fixation) is never the signed-in one.
    page.context.add_cookies(
        [{"name": "cc_session", "value": "planted-by-someone", "url": live_server.base_url}]
    )
    sign_in(reviewer)
    (cookie,) = [c for c in page.context.cookies() if c["name"] == "cc_session"]
    assert cookie["value"] != "planted-by-someone"
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Lax"
    assert cookie["secure"] is False  # plain HTTP here; see test_web_security for HTTPS
    assert page.evaluate("document.cookie") == ""  # HttpOnly: no script can read it
