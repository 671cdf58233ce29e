"""Signing in and out: ``GET /`` (the form), ``POST /login``, ``POST /logout``.

A sign-in replaces whatever session the browser presented (a new token: a token
planted before sign-in is never a signed-in one). Failed sign-ins are counted per
address and per client; past the limits the form says so and no password is checked.
Nothing here logs an address, a password or a token.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse

from consultant.accounts.login_throttle import (
    LoginLimits,
    forget_failed_logins,
    login_refused,
    record_failed_login,
)
from consultant.accounts.staff import authenticate
from consultant.accounts.web_sessions import end_session, start_session
from consultant.config import Settings
from consultant.web.auth import SignedInOrNone, session_limits
from consultant.web.cookies import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    delete_app_cookie,
    set_app_cookie,
)
from consultant.web.csrf import login_form_token, new_login_nonce
from consultant.web.database import AppSettings, DatabaseSession
from consultant.web.rendering import render_page

router = APIRouter()
_log = logging.getLogger(__name__)

#: Where a sign-in leads when no (acceptable) ``next`` was asked for.
HOME_PATH = "/review"
_LOGIN_NONCE_LENGTH = 43  # secrets.token_urlsafe(32)


def safe_next(value: str | None) -> str:
    """``value`` if it is a path on this site (``/review/12?x=1``), else :data:`HOME_PATH`.

    No scheme, no host, no ``//`` or ``/\\`` (browsers read both as another host), no
    control characters: a crafted sign-in link cannot send the reviewer elsewhere.
    """
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")):
        return HOME_PATH
    if any(ord(c) < 0x20 or c == "\\" for c in value):
        return HOME_PATH
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return HOME_PATH
    return value


def login_limits(settings: Settings) -> LoginLimits:
    return LoginLimits(
        per_address=settings.login_failures_per_address,
        per_client=settings.login_failures_per_client,
        window=dt.timedelta(minutes=settings.login_failure_window_minutes),
    )


def _sign_in_form(
    request: Request,
    settings: Settings,
    *,
    next_path: str,
    email: str = "",
    message: str = "",
    status_code: int = 200,
) -> Response:
    nonce = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    fresh = len(nonce) != _LOGIN_NONCE_LENGTH
    if fresh:
        nonce = new_login_nonce()
    response = render_page(
        request,
        "sign_in.html",
        {
            "login_token": login_form_token(settings, nonce),
            "email": email,
            "message": message,
            "next_path": next_path,
        },
        status_code=status_code,
    )
    if fresh:
        set_app_cookie(response, request, settings, LOGIN_CSRF_COOKIE, nonce)
    return response


@router.get("/")
def sign_in_page(
    request: Request, found: SignedInOrNone, settings: AppSettings, next: str | None = None
) -> Response:
    """The sign-in form; a signed-in user goes on to the review queue (or ``next``)."""
    if found is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return _sign_in_form(request, settings, next_path=safe_next(next) if next else "")


@router.get("/login")
def sign_in_address() -> RedirectResponse:
    """``/login`` typed or bookmarked: the form lives at ``/``."""
    return RedirectResponse("/", status_code=303)


@router.post("/login")
def sign_in(
    request: Request,
    db: DatabaseSession,
    settings: AppSettings,
    email: Annotated[str, Form(max_length=1000)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Check the address and password; a new session on success, the form again otherwise."""
    client = request.client.host if request.client else "unknown"
    limits = login_limits(settings)
    email = email.strip()
    if login_refused(db, email, client, limits):
        _log.warning("sign-in refused: too many failures lately")
        minutes = round(limits.window.total_seconds() / 60)
        return _sign_in_form(
            request,
            settings,
            next_path=next,
            email=email,
            message=f"Too many failed sign-ins. Wait {minutes} minutes, then try again.",
            status_code=429,
        )
    user = authenticate(db, email, password) if email and password else None
    if user is None:
        record_failed_login(db, email, client, limits)
        _log.info("sign-in failed")
        return _sign_in_form(
            request,
            settings,
            next_path=next,
            email=email,
            message="Wrong email address or password.",
        )
    forget_failed_logins(db, email)
    token = start_session(
        db, user.id, session_limits(settings), replacing=request.cookies.get(SESSION_COOKIE)
    )
    _log.info("staff user %d signed in", user.id)
    response = RedirectResponse(safe_next(next), status_code=303)
    set_app_cookie(response, request, settings, SESSION_COOKIE, token)
    delete_app_cookie(response, request, settings, LOGIN_CSRF_COOKIE)
    return response


@router.post("/logout")
def sign_out(request: Request, db: DatabaseSession, settings: AppSettings) -> Response:
    """End the session (its row is deleted) and go back to the sign-in page."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        end_session(db, token)
    response = RedirectResponse("/", status_code=303)
    delete_app_cookie(response, request, settings, SESSION_COOKIE)
    return response
