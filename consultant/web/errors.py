"""How refusals and errors look: a page for people, JSON for ``/api``.

* not signed in: a page redirects to ``/?next=<this page>``; ``/api`` answers 401;
* CSRF refused: 403 with what to do;
* HTTP errors (403 role, 404, 405): the status with a short page;
* the database not answering: 503 ("try again in a moment").
"""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from consultant.web.auth import NotSignedIn
from consultant.web.csrf import CsrfRefused
from consultant.web.rendering import render_page

_log = logging.getLogger(__name__)

_TITLES = {
    400: "This request could not be read",
    401: "Sign in first",
    403: "Not allowed",
    404: "Page not found",
    405: "Not allowed here",
    429: "Too many requests",
    503: "Try again in a moment",
}


def wants_json(request: Request) -> bool:
    """Whether the request is an API call (its answers are JSON, never a page or a redirect)."""
    return request.url.path == "/api" or request.url.path.startswith("/api/")


def error_response(request: Request, status_code: int, message: str) -> Response:
    """The error as JSON ``{"detail": message}`` for ``/api``, as a page otherwise."""
    if wants_json(request):
        return JSONResponse({"detail": message}, status_code=status_code)
    title = _TITLES.get(status_code, "Something went wrong")
    return render_page(
        request, "error.html", {"title": title, "message": message}, status_code=status_code
    )


async def _not_signed_in(request: Request, _exc: Exception) -> Response:
    if wants_json(request):
        return JSONResponse({"detail": "not signed in"}, status_code=401)
    wanted = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/?{urlencode({'next': wanted})}", status_code=303)


async def _csrf_refused(request: Request, exc: Exception) -> Response:
    _log.warning("CSRF token missing or wrong on %s %s", request.method, request.url.path)
    return error_response(request, 403, str(exc))


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    message = exc.detail if isinstance(exc.detail, str) else _TITLES.get(exc.status_code, "")
    if exc.status_code == 404 and exc.detail == "Not Found":
        message = "There is no page at this address."
    response = error_response(request, exc.status_code, message)
    for name, value in (exc.headers or {}).items():
        response.headers[name] = value
    return response


async def _invalid_request(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    if wants_json(request):
        return JSONResponse({"detail": exc.errors()}, status_code=422)
    return error_response(request, 400, "Some of the form's fields were missing or too long.")


async def _database_unavailable(request: Request, exc: Exception) -> Response:
    # The class only: an OperationalError's text can hold a statement's context.
    _log.error("database error during %s %s: %s", request.method, request.url.path, type(exc))
    return error_response(request, 503, "The database is not answering. Try again in a moment.")


def add_error_handlers(app: FastAPI) -> None:
    """Install the handlers above on ``app``."""
    app.add_exception_handler(NotSignedIn, _not_signed_in)
    app.add_exception_handler(CsrfRefused, _csrf_refused)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(OperationalError, _database_unavailable)
