"""``/review``: the queue, oldest first, with filters, counts per status and pages."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from consultant.review.held_mail import held_count
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
            "held_count": held_count(db),
        },
    )


@router.get("/review/held")
def held_queue(request: Request, staff: ReviewerStaff, db: DatabaseSession) -> HTMLResponse:
    """Mail held for staff, with the reason it was held, and a way to put it back in the flow."""
    from consultant.review.held_mail import held_mail

    done = request.query_params.get("requeued", "")
    return render_page(
        request,
        "review_held.html",
        {"held": held_mail(db), "requeued": done if done.isdigit() else ""},
    )


@router.post("/review/held/{inbound_id}/requeue")
def requeue_held(inbound_id: int, staff: ReviewerStaff, db: DatabaseSession) -> Response:
    """Send a held message through ingest again (after its sender got an account, say)."""
    from consultant.inbound.requeue import RequeueError, requeue
    from workers.queue import CeleryTaskQueue  # the boundary picks the queue

    try:
        requeue(db, (inbound_id,), all_parked=False, queue=CeleryTaskQueue())
    except RequeueError as exc:
        raise HTTPException(409, str(exc)) from None
    return RedirectResponse(f"/review/held?requeued={inbound_id}", status_code=303)
