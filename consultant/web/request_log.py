"""One log line per request: method, path, status, milliseconds; never the query string,
a cookie or a form (they can hold addresses, tokens or a patient's details)."""

from __future__ import annotations

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

_log = logging.getLogger("consultant.web.requests")


class RequestLog:
    """Logs each HTTP request after its response started (uvicorn's access log is off)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        began = time.perf_counter()
        status = 500

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_noting_status)
        finally:
            took = (time.perf_counter() - began) * 1000
            _log.info("%s %s %d %.0f ms", scope["method"], scope["path"], status, took)
