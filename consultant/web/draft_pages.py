"""``/review/{draft_id}``: one draft to read, edit and decide; its question frame; attachments.

A refused decision (already approved, stale, claimed by someone else) shows
the page again with the reason, status 409; a decision made redirects back to
the page (post/redirect/get), which then says what happened.
"""

from __future__ import annotations

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
    send_policy,
    withdraw,
)
from consultant.review.draft_view import attachment_bytes, draft_view
from consultant.review.fact_lines import describe_facts
from consultant.web.auth import ReviewerStaff
from consultant.web.database import AppSettings, DatabaseSession
from consultant.web.rendering import render_page
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


def _draft(db: DatabaseSession, draft_id: int) -> Draft:
    draft = db.get(Draft, draft_id)
    if draft is None:
        raise HTTPException(404, "There is no such draft.")
    return draft


def _staff_user(db: DatabaseSession, staff_id: int) -> StaffUser:
    user = db.get(StaffUser, staff_id)
    if user is None:
        raise HTTPException(403, "Your staff account no longer exists.")
    return user


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
    return _page(request, db, settings, _draft(db, draft_id), staff.id)


@router.get("/review/{draft_id}/question.html")
def question_frame(draft_id: int, staff: ReviewerStaff, db: DatabaseSession) -> HTMLResponse:
    """The question's own HTML, cleaned with nh3, for the page's sandboxed frame."""
    view_html = _question_html(db, _draft(db, draft_id))
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


def _question_html(db: DatabaseSession, draft: Draft) -> str:
    from consultant.inbound.models import InboundMessage
    from consultant.review.draft_view import _parsed, sanitized_html

    inbound = db.get(InboundMessage, draft.inbound_message_id)
    parsed = _parsed(inbound.raw if inbound else None)
    if parsed is None or not parsed.text_html:
        return "<p>This question has no HTML part.</p>"
    return sanitized_html("\n".join(parsed.text_html))


@router.get("/review/{draft_id}/attachments/{index}")
def attachment(draft_id: int, index: int, staff: ReviewerStaff, db: DatabaseSession) -> Response:
    """An attachment of the question, downloaded (never shown inline), for staff only."""
    found = attachment_bytes(db, _draft(db, draft_id), index)
    if found is None:
        raise HTTPException(404, "There is no such attachment.")
    item, data = found
    safe_name = "".join(c if c.isalnum() or c in "._-" else "_" for c in item.filename)[:120]
    return Response(
        data,
        media_type="application/octet-stream",
        headers={"Content-Disposition": f'attachment; filename="{safe_name or "attachment"}"'},
    )


def _decided(draft_id: int, done: str) -> RedirectResponse:
    return RedirectResponse(f"/review/{draft_id}?done={done}", status_code=303)


@router.post("/review/{draft_id}/claim")
def claim_draft(
    request: Request,
    draft_id: int,
    staff: ReviewerStaff,
    db: DatabaseSession,
    settings: AppSettings,
) -> Response:
    draft = _draft(db, draft_id)
    try:
        claim(db, draft_id, _staff_user(db, staff.id), send_policy(settings))
    except ReviewRefused as exc:
        return _page(request, db, settings, draft, staff.id, message=str(exc), status_code=409)
    return _decided(draft_id, "claimed")


@router.post("/review/{draft_id}/approve")
def approve_draft(
    request: Request,
    draft_id: int,
    staff: ReviewerStaff,
    db: DatabaseSession,
    settings: AppSettings,
    body_text: Annotated[str, Form(max_length=200_000)] = "",
) -> Response:
    draft = _draft(db, draft_id)
    try:
        approve(
            db,
            draft_id,
            _staff_user(db, staff.id),
            send_policy(settings),
            CeleryTaskQueue(),
            body_text=body_text or None,
        )
    except ReviewRefused as exc:
        db.rollback()
        return _page(
            request, db, settings, draft, staff.id, message=str(exc), edited_text=body_text,
            status_code=409,
        )  # fmt: skip
    return _decided(draft_id, "approved")


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
    draft = _draft(db, draft_id)
    try:
        notice = reject(db, draft_id, _staff_user(db, staff.id), reason, notify=bool(notify))
    except ReviewRefused as exc:
        db.rollback()
        return _page(request, db, settings, draft, staff.id, message=str(exc), status_code=409)
    if notice is not None:
        return _decided(notice, "notice")
    return _decided(draft_id, "rejected")


@router.post("/review/{draft_id}/ask")
def ask_asker(
    request: Request,
    draft_id: int,
    staff: ReviewerStaff,
    db: DatabaseSession,
    settings: AppSettings,
    question: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    draft = _draft(db, draft_id)
    try:
        asking = ask_for_information(db, draft_id, _staff_user(db, staff.id), question)
    except ReviewRefused as exc:
        db.rollback()
        return _page(request, db, settings, draft, staff.id, message=str(exc), status_code=409)
    return _decided(asking, "asking")


@router.post("/review/{draft_id}/retry-send")
def retry_send(
    request: Request,
    draft_id: int,
    staff: ReviewerStaff,
    db: DatabaseSession,
    settings: AppSettings,
) -> Response:
    """An operator's retry of a failed send: the same bytes and Message-ID."""
    import datetime as dt

    from sqlalchemy import select

    from consultant.db import enqueue_after_commit
    from consultant.outbound.models import OutboundMessage
    from consultant.outbound.sending import retry_failed
    from consultant.review.audit import record

    draft = _draft(db, draft_id)
    outbound_id = db.scalar(select(OutboundMessage.id).where(OutboundMessage.draft_id == draft_id))
    window = dt.timedelta(minutes=settings.send_retry_minutes)
    if outbound_id is None or not retry_failed(db, outbound_id, window):
        message = "This draft has no failed send to retry."
        return _page(request, db, settings, draft, staff.id, message=message, status_code=409)
    record(db, draft_id, staff.id, "send_retried", {"outbound_id": outbound_id})
    enqueue_after_commit(db, "send", [outbound_id], CeleryTaskQueue())
    return _decided(draft_id, "retried")


@router.post("/review/{draft_id}/undo")
def undo_approval(
    request: Request,
    draft_id: int,
    staff: ReviewerStaff,
    db: DatabaseSession,
    settings: AppSettings,
) -> Response:
    draft = _draft(db, draft_id)
    try:
        withdraw(db, draft_id, _staff_user(db, staff.id))
    except ReviewRefused as exc:
        db.rollback()
        return _page(request, db, settings, draft, staff.id, message=str(exc), status_code=409)
    return _decided(draft_id, "undone")
