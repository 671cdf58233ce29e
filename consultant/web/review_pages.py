"""``/review``: the queue, oldest first, with filters, counts per status and pages."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from consultant.review.queue import QueueFilter, queue_page
from consultant.web.auth import ReviewerStaff
from consultant.web.database import AppSettings, DatabaseSession
from consultant.web.rendering import render_page

router = APIRouter()


def queue_filter(
    status: str = "pending", code: str = "", reviewer: str = "", kind: str = "", page: int = 1
) -> QueueFilter:
    """The filters from the query string; an unknown status shows everything."""
    from consultant.review.queue import QUEUE_STATUSES

    return QueueFilter(
        status=status if status in QUEUE_STATUSES else "all",
        code=code.strip()[:10],
        reviewer=reviewer.strip()[:320],
        kind=kind.strip()[:16],
        page=max(1, page),
    )


#: The queue's filters from the query string (``status``, ``code``, ``reviewer``, ``kind``,
#: ``page``), for the page and the API alike.
QueueFilters = Annotated[QueueFilter, Depends(queue_filter)]


@router.get("/review")
def review_queue(
    request: Request,
    staff: ReviewerStaff,
    db: DatabaseSession,
    settings: AppSettings,
    filters: QueueFilters,
) -> HTMLResponse:
    """The drafts waiting for review, oldest first."""
    target = dt.timedelta(minutes=settings.review_target_minutes)
    return render_page(
        request,
        "review_queue.html",
        {
            "queue": queue_page(db, filters, target),
            "target_minutes": settings.review_target_minutes,
        },
    )
