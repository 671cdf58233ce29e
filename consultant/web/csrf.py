"""CSRF: every unsafe request (POST, PUT, PATCH, DELETE) carries a token, or is refused with 403.

Signed in, the token is the session's (``web_session.csrf_token``): forms send it
as the field ``csrf_token``, ``/api`` calls and htmx as the header ``X-CSRF-Token``
(the base layout sets ``hx-headers`` for htmx). Before sign-in there is no
session, so the sign-in form uses a signed double submit: a random nonce in an
HttpOnly cookie, and in the form the nonce's HMAC under ``CONSULTANT_SECRET_KEY``.
A site that cannot read our cookie or knows no key cannot make a matching pair.

:func:`verify_csrf` is a dependency of the whole app, so a new route cannot forget it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from fastapi import Request

from consultant.config import Settings
from consultant.web.auth import NotSignedIn, SignedInOrNone
from consultant.web.cookies import LOGIN_CSRF_COOKIE
from consultant.web.database import AppSettings

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
#: The one unsafe route taken without a session: it checks the sign-in form's token instead.
LOGIN_PATH = "/login"
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class CsrfRefused(Exception):
    """An unsafe request without a valid token; the message tells the person what to do."""


def new_login_nonce() -> str:
    """A fresh nonce for the sign-in form's cookie."""
    return secrets.token_urlsafe(32)


def login_form_token(settings: Settings, nonce: str) -> str:
    """The sign-in form's token for the cookie's ``nonce``."""
    key = settings.secret_key.encode()
    return hmac.new(key, f"login-csrf:{nonce}".encode(), hashlib.sha256).hexdigest()


async def presented_token(request: Request) -> str:
    """The token the request carries: the header, else the form field; empty when none."""
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    if request.headers.get("content-type", "").startswith(_FORM_TYPES):
        value = (await request.form()).get(CSRF_FIELD)  # Starlette keeps the parsed form
        return value if isinstance(value, str) else ""
    return ""


def _is_api(request: Request) -> bool:
    return request.url.path == "/api" or request.url.path.startswith("/api/")


async def verify_csrf(request: Request, found: SignedInOrNone, settings: AppSettings) -> None:
    """Refuse an unsafe request whose token is missing or wrong (raises :class:`CsrfRefused`)."""
    if request.method in SAFE_METHODS:
        return
    token = await presented_token(request)
    if request.url.path == LOGIN_PATH:
        nonce = request.cookies.get(LOGIN_CSRF_COOKIE, "")
        if not (nonce and token and hmac.compare_digest(token, login_form_token(settings, nonce))):
            raise CsrfRefused(
                "The sign-in form has expired or was not sent from this site. "
                "Reload the sign-in page and try again."
            )
        return
    if found is None:
        if _is_api(request):
            raise NotSignedIn()
        raise CsrfRefused("Your session has ended, so this was not done. Sign in again.")
    if not (token and hmac.compare_digest(token, found.csrf_token)):
        raise CsrfRefused(
            "This request did not carry its security token, so it was not done. "
            "Reload the page and try again."
        )
