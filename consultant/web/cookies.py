"""The app's cookies: HttpOnly, SameSite=Lax, and Secure on HTTPS (or when the settings say so)."""

from __future__ import annotations

from fastapi import Request, Response

from consultant.config import Settings

#: The signed-in session's random token (the table keeps only its SHA-256).
SESSION_COOKIE = "cc_session"
#: The sign-in form's double-submit nonce (see :mod:`consultant.web.csrf`).
LOGIN_CSRF_COOKIE = "cc_login_csrf"


def cookies_secure(request: Request, settings: Settings) -> bool:
    """Whether cookies get the Secure flag: on HTTPS (as the proxy says, when trusted)."""
    return settings.web_secure_cookies or request.url.scheme == "https"


def set_app_cookie(
    response: Response,
    request: Request,
    settings: Settings,
    name: str,
    value: str,
    *,
    max_age: int | None = None,
) -> None:
    """Set one of the app's cookies with the flags every one of them has."""
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="lax",
        secure=cookies_secure(request, settings),
    )


def delete_app_cookie(response: Response, request: Request, settings: Settings, name: str) -> None:
    """Expire one of the app's cookies (same flags, so the browser matches it)."""
    response.delete_cookie(
        name,
        path="/",
        httponly=True,
        samesite="lax",
        secure=cookies_secure(request, settings),
    )
