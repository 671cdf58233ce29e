"""``/review/{draft_id}``: one draft to read, edit and decide; its question frame; attachments.

A refused decision (already approved, stale, claimed by someone else) shows
the page again with the reason, status 409; a decision made redirects back to
the page (post/redirect/get), which then says what happened.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from consultant.accounts.staff import StaffUser
from consultant.consultations.models import Draft
from consultant.review.decisions import (
    ReviewRefused,
    approve,
    ask_for_information,
    claim,
    reject,
    retry_send,
    send_policy,
    withdraw,
)
from consultant.review.draft_view import attachment_bytes, draft_view, question_html
from consultant.review.fact_lines import describe_facts
from consultant.web.auth import ReviewerStaff
from consultant.web.database import AppSettings, DatabaseSession
from consultant.web.rendering import render_page
from consultant.web.review_lookup import draft_or_404, staff_user
from workers.queue import CeleryTaskQueue  # the boundary picks the queue

router = APIRouter()

#: The question's HTML frame: sandboxed, no script, no remote content, only this site may frame it.
QUESTION_FRAME_POLICY = "sandbox; default-src 'none'; img-src data:; frame-ancestors 'self'"
_DONE = {
    "claimed": "You hold this draft now.",
    "approved": "Approved. It is sent when the undo window has passed.",
    "rejected": "Rejected. Nothing is sent.",
    "undone": "Approval taken back: the draft is pending again.",
    "notice": "The answer was rejected. This is the notice to the asker: approve it to send it.",
    "asking": "The answer was set aside. This is the question to the asker: approve it to send.",
    "retried": "The send was queued again, with the same Message-ID.",
}


def _page(
    request: Request,
    db: DatabaseSession,
    settings: AppSettings,
    draft: Draft,
    staff_id: int,
    *,
    message: str | None = None,
    edited_text: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    view = draft_view(db, draft, staff_id)
    done = _DONE.get(request.query_params.get("done", ""))
    return render_page(
        request,
        "review_draft.html",
        {
            "view": view,
            "draft": draft,
            "message": message,
            "done": done,
            "body_text": edited_text if edited_text is not None else draft.body_text,
            "send_delay": settings.send_delay,
            "fact_lines": describe_facts(view.facts) if draft.kind == "answer" else [],
        },
        status_code=status_code,
    )


@router.get("/review/{draft_id}")
def draft_page(
    request: Request,
    draft_id: int,
    staff: ReviewerStaff,
    db: DatabaseSession,
    settings: AppSettings,
) -> HTMLResponse:
    """One draft: the question, the facts, the thread, the reply to edit, the decisions."""
    return _page(request, db, settings, draft_or_404(db, draft_id), staff.id)


@router.get("/review/{draft_id}/question.html")
def question_frame(draft_id: int, staff: ReviewerStaff, db: DatabaseSession) -> HTMLResponse:
    """The question's own HTML, cleaned with nh3, for the page's sandboxed frame."""
    html = question_html(db, draft_or_404(db, draft_id))
    view_html = html if html is not None else "<p>This question has no HTML part.</p>"
    document = (
        f"<!doctype html><meta charset='utf-8'><title>Question</title><body>{view_html}</body>"
    )
    return HTMLResponse(
        document,
        headers={
            "Content-Security-Policy": QUESTION_FRAME_POLICY,
            "X-Frame-Options": "SAMEORIGIN",
        },
    )


@router.get("/review/{draft_id}/attachments/{index}")
def attachment(draft_id: int, index: int, staff: ReviewerStaff, db: DatabaseSession) -> Response:
    """An attachment of the question, downloaded (never shown inline), for staff only."""
    found = attachment_bytes(db, draft_or_404(db, draft_id), index)
    if found is None:
        raise HTTPException(404, "There is no such attachment.")
    item, data = found
    safe_name = "".join(c if c.isalnum() or c in "._-" else "_" for c in item.filename)[:120]
    return Response(
        data,
        media_type="application/octet-stream",
        headers={"Content-Disposition": f'attachment; filename="{safe_name or "attachment"}"'},
    )


def _decide(
    request: Request,
    db: DatabaseSession,
    settings: AppSettings,
    draft_id: int,
    staff_id: int,
    decision: Callable[[StaffUser], int],
    done: str,
    *,
    edited_text: str | None = None,
) -> Response:
    """Make ``decision`` (it returns the draft to show next), then redirect there; refused,
    the page again with the reason (409) and the reviewer's text kept."""
    draft = draft_or_404(db, draft_id)
    try:
        shown = decision(staff_user(db, staff_id))
    except ReviewRefused as exc:
        db.rollback()
        return _page(
            request, db, settings, draft, staff_id, message=str(exc), edited_text=edited_text,
            status_code=409,
        )  # fmt: skip
    return RedirectResponse(f"/review/{shown}?done={done}", status_code=303)


@router.post("/review/{draft_id}/claim")
def claim_draft(
    request: Request,
    draft_id: int,
    staff: ReviewerStaff,
    db: DatabaseSession,
    settings: AppSettings,
) -> Response:
    def decision(reviewer: StaffUser) -> int:
        claim(db, draft_id, reviewer, send_policy(settings))
        return draft_id

    return _decide(request, db, settings, draft_id, staff.id, decision, "claimed")


@router.post("/review/{draft_id}/approve")
def approve_draft(
    request: Request,
    draft_id: int,
    staff: ReviewerStaff,
    db: DatabaseSession,
    settings: AppSettings,
    body_text: Annotated[str, Form(max_length=200_000)] = "",
) -> Response:
    def decision(reviewer: StaffUser) -> int:
        policy = send_policy(settings)
        approve(db, draft_id, reviewer, policy, CeleryTaskQueue(), body_text=body_text or None)
        return draft_id

    return _decide(
        request, db, settings, draft_id, staff.id, decision, "approved", edited_text=body_text
    )


@router.post("/review/{draft_id}/reject")
def reject_draft(
    request: Request,
    draft_id: int,
    staff: ReviewerStaff,
    db: DatabaseSession,
    settings: AppSettings,
    reason: Annotated[str, Form(max_length=2000)] = "",
    notify: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    def decision(reviewer: StaffUser) -> int:
        notice = reject(db, draft_id, reviewer, reason, notify=bool(notify))
        return notice if notice is not None else draft_id

    return _decide(
        request, db, settings, draft_id, staff.id, decision, "notice" if notify else "rejected"
    )


@router.post("/review/{draft_id}/ask")
def ask_asker(
    request: Request,
    draft_id: int,
    staff: ReviewerStaff,
    db: DatabaseSession,
    settings: AppSettings,
    question: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    def decision(reviewer: StaffUser) -> int:
        return ask_for_information(db, draft_id, reviewer, question)

    return _decide(request, db, settings, draft_id, staff.id, decision, "asking")


@router.post("/review/{draft_id}/retry-send")
def retry_failed_send(
    request: Request,
    draft_id: int,
    staff: ReviewerStaff,
    db: DatabaseSession,
    settings: AppSettings,
) -> Response:
    """An operator's retry of a failed send: the same bytes and Message-ID."""

    def decision(reviewer: StaffUser) -> int:
        window = dt.timedelta(minutes=settings.send_retry_minutes)
        retry_send(db, draft_id, reviewer, window, CeleryTaskQueue())
        return draft_id

    return _decide(request, db, settings, draft_id, staff.id, decision, "retried")


@router.post("/review/{draft_id}/undo")
def undo_approval(
    request: Request,
    draft_id: int,
    staff: ReviewerStaff,
    db: DatabaseSession,
    settings: AppSettings,
) -> Response:
    def decision(reviewer: StaffUser) -> int:
        withdraw(db, draft_id, reviewer)
        return draft_id

    return _decide(request, db, settings, draft_id, staff.id, decision, "undone")
