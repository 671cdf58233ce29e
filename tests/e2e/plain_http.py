"""Plain HTTP requests without a browser (no redirects followed, cookies handled by hand):
for what a browser would never send, such as a POST without its CSRF token."""

from __future__ import annotations

import http.client
import re
from dataclasses import dataclass
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit

_LOGIN_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: str

    def cookie(self, name: str) -> str | None:
        """The value this answer sets for cookie ``name`` (None when it sets none)."""
        for header in self.headers.get_all("Set-Cookie") or []:
            jar: SimpleCookie = SimpleCookie()
            jar.load(header)
            if name in jar:
                return jar[name].value
        return None

    def set_cookie_header(self, name: str) -> str:
        """The whole Set-Cookie header for ``name``, flags included."""
        for header in self.headers.get_all("Set-Cookie") or []:
            if header.startswith(f"{name}="):
                return header
        raise AssertionError(f"no Set-Cookie for {name}: {self.headers.get_all('Set-Cookie')}")


def request(
    base_url: str,
    method: str,
    path: str,
    *,
    cookies: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    body: str | None = None,
) -> Answer:
    """One request to the live server; the answer as it came (a redirect is not followed)."""
    parts = urlsplit(base_url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=10)
    sent = dict(headers or {})
    if cookies:
        sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    if form is not None:
        body = urlencode(form)
        sent["Content-Type"] = "application/x-www-form-urlencoded"
    try:
        connection.request(method, path, body=body, headers=sent)
        response = connection.getresponse()
        return Answer(response.status, response.headers, response.read().decode())
    finally:
        connection.close()


def sign_in(
    base_url: str, email: str, password: str, *, cookies: dict[str, str] | None = None
) -> Answer:
    """GET the sign-in form, then POST it as a browser would; the POST's answer."""
    form_page = request(base_url, "GET", "/")
    nonce = form_page.cookie("cc_login_csrf")
    found = _LOGIN_TOKEN.search(form_page.body)
    assert nonce and found, form_page.body[:500]
    jar = {"cc_login_csrf": nonce, **(cookies or {})}
    return request(
        base_url,
        "POST",
        "/login",
        cookies=jar,
        form={"email": email, "password": password, "csrf_token": found.group(1)},
    )
