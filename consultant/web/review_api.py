"""``/api/review``: the queue and the decisions as JSON, with the pages' permissions.

Unsafe calls carry the session's CSRF token in ``X-CSRF-Token`` (checked for every
route by :mod:`consultant.web.csrf`); a refused decision is 409 with its reason.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from fastapi import APIRouter, Body
from fastapi.responses import JSONResponse

from consultant.review.decisions import ReviewRefused, approve, claim, reject, send_policy, withdraw
from consultant.review.queue import queue_page
from consultant.review.services import draft_detail, question_of
from consultant.web.auth import ReviewerStaff
from consultant.web.database import AppSettings, DatabaseSession
from consultant.web.review_lookup import draft_or_404, staff_user
from consultant.web.review_pages import QueueFilters
from workers.queue import CeleryTaskQueue  # the boundary picks the queue

router = APIRouter(prefix="/api/review")


def _json(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json(v) for v in value]
    return value


@router.get("")
def queue(
    staff: ReviewerStaff, db: DatabaseSession, settings: AppSettings, filters: QueueFilters
) -> dict[str, Any]:
    """One page of the queue, as the page shows it."""
    found = queue_page(db, filters, dt.timedelta(minutes=settings.review_target_minutes))
    return {
        "drafts": [_json(dataclasses.asdict(row)) for row in found.rows],
        "counts": found.counts,
        "total": found.total,
        "page": found.page,
        "pages": found.pages,
    }


@router.get("/{draft_id}")
def one_draft(draft_id: int, staff: ReviewerStaff, db: DatabaseSession) -> dict[str, Any]:
    """The draft, its question and its stored facts."""
    draft = draft_or_404(db, draft_id)
    detail: dict[str, Any] = draft_detail(draft, question_of(db, draft))
    return detail


def _refused(db: DatabaseSession, exc: ReviewRefused) -> JSONResponse:
    db.rollback()
    return JSONResponse({"error": str(exc)}, status_code=409)


@router.post("/{draft_id}/claim", response_model=None)
def claim_draft(
    draft_id: int, staff: ReviewerStaff, db: DatabaseSession, settings: AppSettings
) -> dict[str, Any] | JSONResponse:
    draft_or_404(db, draft_id)
    try:
        held = claim(db, draft_id, staff_user(db, staff.id), send_policy(settings))
    except ReviewRefused as exc:
        return _refused(db, exc)
    return {"draft_id": draft_id, "claimed_until": held.expires_at.isoformat()}


@router.post("/{draft_id}/approve", response_model=None)
def approve_draft(
    draft_id: int,
    staff: ReviewerStaff,
    db: DatabaseSession,
    settings: AppSettings,
    body_text: str | None = Body(default=None, embed=True, max_length=200_000),
) -> dict[str, Any] | JSONResponse:
    draft_or_404(db, draft_id)
    try:
        outbound = approve(
            db,
            draft_id,
            staff_user(db, staff.id),
            send_policy(settings),
            CeleryTaskQueue(),
            body_text=body_text,
        )
    except ReviewRefused as exc:
        return _refused(db, exc)
    return {
        "draft_id": draft_id,
        "outbound_id": outbound.id,
        "message_id": outbound.message_id,
        "send_after": outbound.send_after.isoformat(),
    }


@router.post("/{draft_id}/reject", response_model=None)
def reject_draft(
    draft_id: int,
    staff: ReviewerStaff,
    db: DatabaseSession,
    reason: str = Body(embed=True, max_length=2000),
) -> dict[str, Any] | JSONResponse:
    draft_or_404(db, draft_id)
    try:
        reject(db, draft_id, staff_user(db, staff.id), reason)
    except ReviewRefused as exc:
        return _refused(db, exc)
    return {"draft_id": draft_id, "status": "rejected"}


@router.post("/{draft_id}/undo", response_model=None)
def undo_approval(
    draft_id: int, staff: ReviewerStaff, db: DatabaseSession
) -> dict[str, Any] | JSONResponse:
    draft_or_404(db, draft_id)
    try:
        withdraw(db, draft_id, staff_user(db, staff.id))
    except ReviewRefused as exc:
        return _refused(db, exc)
    return {"draft_id": draft_id, "status": "pending"}
