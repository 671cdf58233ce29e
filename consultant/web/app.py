"""The web app: :func:`create_app` assembles routers, CSRF, errors, headers and static files."""

from __future__ import annotations

from fastapi import APIRouter, Depends, FastAPI
from fastapi.staticfiles import StaticFiles

from consultant.config import Settings
from consultant.web import (
    admin_pages,
    draft_pages,
    health,
    login_pages,
    review_api,
    review_pages,
    staff_api,
)
from consultant.web.csrf import verify_csrf
from consultant.web.errors import add_error_handlers
from consultant.web.rendering import web_templates_dir
from consultant.web.request_log import RequestLog
from consultant.web.security_headers import SecurityHeaders

#: Every router of the app, included in this order; a new page module adds its router here.
ROUTERS: tuple[APIRouter, ...] = (
    health.router,
    login_pages.router,
    review_pages.router,
    draft_pages.router,
    admin_pages.router,
    staff_api.router,
    review_api.router,
)


def create_app(settings: Settings) -> FastAPI:
    """The app for ``settings``: each request one unit of work on their database."""
    app = FastAPI(
        title="CaseConsultant",
        # The generated docs pages load scripts from a CDN and inline: the policy forbids both.
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        # On every route: an unsafe request without its CSRF token never reaches a route.
        dependencies=[Depends(verify_csrf)],
    )
    app.state.settings = settings
    for router in ROUTERS:
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=web_templates_dir() / "static"), name="static")
    add_error_handlers(app)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(RequestLog)  # outermost: times the whole request
    return app
