"""The web app's defences seen from outside: CSRF, security headers, cookies, readiness, CSP."""

from __future__ import annotations

import json
import re

from playwright.sync_api import Page, expect

from consultant.web.security_headers import SECURITY_HEADERS
from tests.databases import set_postgres_connections
from tests.e2e.conftest import SignIn
from tests.e2e.live_server import LiveServer, StaffCredentials
from tests.e2e.plain_http import Answer, request, sign_in


def _session_of(live_server: LiveServer, who: StaffCredentials) -> str:
    answer = sign_in(live_server.base_url, who.email, who.password)
    assert answer.status == 303, answer.body[:500]
    token = answer.cookie("cc_session")
    assert token
    return token


def _csrf_token(live_server: LiveServer, session: str) -> str:
    me = request(live_server.base_url, "GET", "/api/me", cookies={"cc_session": session})
    assert me.status == 200, me.body
    return str(json.loads(me.body)["csrf_token"])


def test_a_post_without_its_csrf_token_is_refused(
    live_server: LiveServer, reviewer: StaffCredentials
) -> None:
    base, session = live_server.base_url, _session_of(live_server, reviewer)
    cookies = {"cc_session": session}

    missing = request(base, "POST", "/logout", cookies=cookies, form={})
    assert missing.status == 403
    assert "did not carry its security token" in missing.body
    wrong = request(base, "POST", "/logout", cookies=cookies, form={"csrf_token": "guess"})
    assert wrong.status == 403
    assert request(base, "GET", "/review", cookies=cookies).status == 200  # still signed in

    token = _csrf_token(live_server, session)
    done = request(base, "POST", "/logout", cookies=cookies, headers={"X-CSRF-Token": token})
    assert done.status == 303 and done.headers["Location"] == "/"
    assert request(base, "GET", "/review", cookies=cookies).status == 303  # signed out


def test_the_sign_in_form_needs_its_own_token(
    live_server: LiveServer, reviewer: StaffCredentials
) -> None:
    base = live_server.base_url
    credentials = {"email": reviewer.email, "password": reviewer.password}
    bare = request(base, "POST", "/login", form=credentials)
    assert bare.status == 403
    assert "sign-in form has expired" in bare.body
    assert bare.cookie("cc_session") is None

    # A token made for another nonce (another browser's form) does not fit this cookie.
    other = request(base, "GET", "/")
    token = re.search(r'name="csrf_token" value="([^"]+)"', other.body)
    assert token
    mixed = request(
        base,
        "POST",
        "/login",
        cookies={"cc_login_csrf": "a" * 43},
        form={**credentials, "csrf_token": token.group(1)},
    )
    assert mixed.status == 403 and mixed.cookie("cc_session") is None


def test_an_unsafe_request_without_a_session_is_refused(live_server: LiveServer) -> None:
    answer = request(live_server.base_url, "POST", "/logout", form={"csrf_token": "x"})
    assert answer.status == 403
    assert "Your session has ended" in answer.body


def test_the_api_answers_json_and_401_when_not_signed_in(
    live_server: LiveServer, reviewer: StaffCredentials
) -> None:
    anonymous = request(live_server.base_url, "GET", "/api/me")
    assert anonymous.status == 401
    assert anonymous.headers["Content-Type"] == "application/json"
    assert json.loads(anonymous.body) == {"detail": "not signed in"}
    session = _session_of(live_server, reviewer)
    me = request(live_server.base_url, "GET", "/api/me", cookies={"cc_session": session})
    assert json.loads(me.body)["email"] == reviewer.email
    assert json.loads(me.body)["role"] == "reviewer"


def test_signing_in_again_replaces_the_session(
    live_server: LiveServer, reviewer: StaffCredentials
) -> None:
    base = live_server.base_url
    first = _session_of(live_server, reviewer)
    again = sign_in(base, reviewer.email, reviewer.password, cookies={"cc_session": first})
    second = again.cookie("cc_session")
    assert again.status == 303 and second and second != first
    assert request(base, "GET", "/review", cookies={"cc_session": first}).status == 303
    assert request(base, "GET", "/review", cookies={"cc_session": second}).status == 200


def _assert_security_headers(answer: Answer, cache_control: str = "no-store") -> None:
    for name, value in SECURITY_HEADERS.items():
        assert answer.headers[name] == value, (name, answer.status)
    assert answer.headers["Cache-Control"] == cache_control, answer.status


def test_every_response_carries_the_security_headers(
    live_server: LiveServer, reviewer: StaffCredentials
) -> None:
    base = live_server.base_url
    assert "script-src 'self';" in SECURITY_HEADERS["Content-Security-Policy"]
    signed = {"cc_session": _session_of(live_server, reviewer)}
    answers = {
        "sign-in page": (request(base, "GET", "/"), 200),
        "queue": (request(base, "GET", "/review", cookies=signed), 200),
        "redirect to sign-in": (request(base, "GET", "/review"), 303),
        "not found": (request(base, "GET", "/no-such-page"), 404),
        "role refused": (request(base, "GET", "/admin", cookies=signed), 403),
        "CSRF refused": (request(base, "POST", "/logout", cookies=signed, form={}), 403),
        "API 401": (request(base, "GET", "/api/me"), 401),
        "method not allowed": (request(base, "DELETE", "/review", cookies=signed), 405),
        "health": (request(base, "GET", "/healthz"), 200),
    }
    for what, (answer, status) in answers.items():
        assert answer.status == status, what
        _assert_security_headers(answer)
    stylesheet = request(base, "GET", "/static/app.css")
    assert stylesheet.status == 200
    assert stylesheet.headers["Content-Type"].startswith("text/css")
    _assert_security_headers(stylesheet, cache_control="no-cache")


def test_cookies_are_httponly_lax_and_secure_once_the_proxy_says_https(
    live_server: LiveServer,
) -> None:
    plain = request(live_server.base_url, "GET", "/").set_cookie_header("cc_login_csrf")
    assert "HttpOnly" in plain and "SameSite=lax" in plain and "Secure" not in plain
    # uvicorn trusts X-Forwarded-Proto from 127.0.0.1 (a TLS proxy on the same machine).
    https = request(live_server.base_url, "GET", "/", headers={"X-Forwarded-Proto": "https"})
    assert "Secure" in https.set_cookie_header("cc_login_csrf")


def test_ready_only_while_the_database_answers(live_server: LiveServer) -> None:
    ready = request(live_server.base_url, "GET", "/readyz")
    assert (ready.status, ready.body) == (200, "ok\n")
    if not live_server.database_url.startswith("postgresql"):
        return  # a SQLite file cannot go away the way a server can
    set_postgres_connections(live_server.database_url, allowed=False)
    try:
        down = request(live_server.base_url, "GET", "/readyz")
        assert down.status == 503 and "database unavailable" in down.body
        _assert_security_headers(down)
    finally:
        set_postgres_connections(live_server.database_url, allowed=True)
    assert request(live_server.base_url, "GET", "/readyz").status == 200
    assert request(live_server.base_url, "GET", "/healthz").status == 200


def test_the_pages_load_their_styles_and_scripts_without_a_csp_violation(
    page: Page, sign_in: SignIn, admin: StaffCredentials
) -> None:
    # The page fixture fails the test on any CSP violation the console reports.
    page.goto("/")
    expect(page.locator("header")).to_have_css("background-color", "rgb(29, 36, 48)")
    sign_in(admin)
    for path in ("/review", "/admin", "/no-such-page"):
        page.goto(path)
        expect(page.locator("header")).to_have_css("background-color", "rgb(29, 36, 48)")
        assert page.evaluate("typeof window.htmx") == "object"
        assert page.evaluate("htmx.config.includeIndicatorStyles") is False


def test_keyboard_shortcuts_click_list_and_ignore_typing(
    page: Page, sign_in: SignIn, admin: StaffCredentials, live_server: LiveServer
) -> None:
    sign_in(admin, start="/?next=/admin", landing="**/admin")
    help_list = page.locator("#shortcut-help")
    page.keyboard.press("?")
    expect(help_list).to_be_visible()
    expect(help_list.locator("dt", has_text="q")).to_be_visible()
    expect(help_list.locator("dd", has_text="Review queue")).to_be_visible()
    page.keyboard.press("Escape")
    expect(help_list).to_be_hidden()

    # Typed into a field, "q" is a letter, not a shortcut.
    page.evaluate(
        "() => { const f = document.createElement('input'); f.id = 'typed';"
        " document.querySelector('main').append(f); f.focus(); }"
    )
    page.keyboard.type("q")
    expect(page.locator("#typed")).to_have_value("q")
    assert page.url == live_server.url("/admin")
    page.keyboard.press("Escape")  # leaves the field

    page.keyboard.press("q")
    page.wait_for_url("**/review")
