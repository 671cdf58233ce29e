"""Security headers on every response, error pages and crashes included (an ASGI middleware).

The policy allows scripts and styles from this site only: no inline script or
style anywhere, so an address or a question that slipped through escaping still
cannot run. Pages are ``Cache-Control: no-store`` (a shared machine's back button
or disk cache must not show a patient's question after sign-out); ``/static/``
files are revalidated instead.
"""

from __future__ import annotations

import logging

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_log = logging.getLogger(__name__)

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "frame-src 'self'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}
STATIC_PREFIX = "/static/"
_CRASH_PAGE = (
    b"<!doctype html><html lang='en'><meta charset='utf-8'><title>Something went wrong</title>"
    b"<h1>Something went wrong</h1><p>The error was logged. Try again, or tell an admin.</p>"
    b"</html>"
)


class SecurityHeaders:
    """Adds :data:`SECURITY_HEADERS` and a ``Cache-Control`` to every HTTP response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cache_control = "no-cache" if scope["path"].startswith(STATIC_PREFIX) else "no-store"
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    # A route may send its own, stricter policy (the sandboxed question frame).
                    if name not in headers:
                        headers[name] = value
                headers["Cache-Control"] = cache_control
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            # Starlette's own 500 page is sent outside every middleware, without our headers:
            # send ours, then let the error reach the server, which logs it.
            if not started:
                await send_with_headers(
                    {
                        "type": "http.response.start",
                        "status": 500,
                        "headers": [(b"content-type", b"text/html; charset=utf-8")],
                    }
                )
                await send({"type": "http.response.body", "body": _CRASH_PAGE})
            raise
