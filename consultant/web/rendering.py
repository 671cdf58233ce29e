"""Pages from the Jinja2 templates under ``templates/web/`` (autoescaped, shipped in the wheel).

:func:`render_page` gives every template the signed-in user and the session's CSRF token
(``staff`` and ``csrf_token``), so a form in any page writes
``<input type="hidden" name="csrf_token" value="{{ csrf_token }}">``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from consultant.shipped import shipped_folder


def web_templates_dir() -> Path:
    """``templates/web/``: the pages' templates and, under ``static/``, CSS and scripts."""
    return shipped_folder("consultant_templates") / "web"


@lru_cache(maxsize=1)
def page_templates() -> Environment:
    """The templates' environment: autoescape on for every file, undefined names are errors."""
    return Environment(
        loader=FileSystemLoader(str(web_templates_dir())),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def page_context(request: Request) -> dict[str, Any]:
    """What every page may use: the signed-in user (or None) and the session's CSRF token."""
    signed_in = getattr(request.state, "signed_in", None)
    return {
        "request_path": request.url.path,
        "staff": signed_in.user if signed_in else None,
        "csrf_token": signed_in.csrf_token if signed_in else "",
    }


def render_page(
    request: Request, template: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> HTMLResponse:
    """``template`` rendered with :func:`page_context` and ``context``."""
    values = page_context(request) | (context or {})
    html = page_templates().get_template(template).render(values)
    return HTMLResponse(html, status_code=status_code)
