"""``/healthz`` (the process answers) and ``/readyz`` (and can use its database)."""

from __future__ import annotations

import logging

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse
from starlette.concurrency import run_in_threadpool

from consultant.database_checks import DatabaseUnavailable
from consultant.migrations import check_schema
from consultant.web.database import AppSettings

router = APIRouter()
_log = logging.getLogger(__name__)


@router.get("/healthz", response_class=PlainTextResponse)
def healthz() -> str:
    """200 ``ok`` while the process serves requests; touches nothing else."""
    return "ok"


@router.get("/readyz", response_class=PlainTextResponse)
async def readyz(settings: AppSettings) -> PlainTextResponse:
    """200 when the database answers and its schema is at this code's revision, else 503."""
    try:
        await run_in_threadpool(check_schema, settings.resolved_database_url)
    except DatabaseUnavailable as problem:
        # The message names the setting and the host, never a password or a row.
        _log.warning("not ready: %s", problem)
        return PlainTextResponse("not ready: database unavailable\n", status_code=503)
    return PlainTextResponse("ok\n")
