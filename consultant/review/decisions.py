"""A reviewer's decisions on a draft: claim, approve (which writes the outbox row), reject.

Every decision is guarded by the draft's status in the same UPDATE that makes
it, so of two reviewers approving at once exactly one wins, and the other is
told why. Approval writes, in the same transaction, the outbound row with the
exact bytes to send; the send runs after the commit.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from consultant.accounts.events import DRAFT_APPROVED, DRAFT_REJECTED, append_events
from consultant.accounts.staff import StaffUser
from consultant.clock import as_utc, utc_now
from consultant.consultations.models import Consultation, Draft
from consultant.consultations.states import DraftKind, DraftStatus
from consultant.db import TaskQueue, enqueue_after_commit, rows_changed
from consultant.mail.compose import compose_reply, one_line
from consultant.outbound.models import OutboundMessage
from consultant.outbound.sending import retry_failed
from consultant.outbound.states import OutboundStatus
from consultant.review.audit import record
from consultant.review.models import DraftClaim
from consultant.review.replies import (
    REVIEWED_SENTENCE,
    SendPolicy,
    edit_diff,
    reply_headers,
    reviewed_html,
    reviewed_text,
    send_policy,
)
from consultant.review.reviewer_drafts import DraftExists, reviewer_draft


class ReviewRefused(Exception):
    """The decision cannot be made; the message says why in one line."""


def _draft_or_refuse(session: Session, draft_id: int) -> Draft:
    draft = session.get(Draft, draft_id)
    if draft is None:
        raise ReviewRefused(f"no draft #{draft_id}")
    return draft


def _why_not_pending(session: Session, draft: Draft) -> str:
    if draft.status == DraftStatus.STALE:
        newer = session.scalar(
            select(Draft.id)
            .where(Draft.consultation_id == draft.consultation_id, Draft.id > draft.id)
            .order_by(Draft.id.desc())
        )
        also = f"; review draft #{newer} instead" if newer else ""
        return f"draft #{draft.id} is stale: a newer message arrived on its consultation{also}"
    return f"draft #{draft.id} is already {draft.status}"


def claim(session: Session, draft_id: int, reviewer: StaffUser, policy: SendPolicy) -> DraftClaim:
    """Hold ``draft_id`` for ``reviewer`` for the claim time; refused while another holds it."""
    draft = _draft_or_refuse(session, draft_id)
    if draft.status != DraftStatus.PENDING:
        raise ReviewRefused(_why_not_pending(session, draft))
    now = utc_now()
    held = session.get(DraftClaim, draft_id, with_for_update=True)
    if held is not None and held.staff_user_id != reviewer.id and as_utc(held.expires_at) > now:
        holder = session.get(StaffUser, held.staff_user_id)
        raise ReviewRefused(
            f"draft #{draft_id} is claimed by {holder.email if holder else 'another reviewer'} "
            f"until {as_utc(held.expires_at):%H:%M} UTC"
        )
    if held is None:
        held = DraftClaim(draft_id=draft_id, staff_user_id=reviewer.id, expires_at=now)
        session.add(held)
    held.staff_user_id = reviewer.id
    held.expires_at = now + policy.claim_time
    record(session, draft_id, reviewer.id, "claimed")
    session.flush()
    return held


def holder_of(session: Session, draft_id: int) -> StaffUser | None:
    """Who holds an unexpired claim on the draft, if anyone."""
    held = session.get(DraftClaim, draft_id)
    if held is None or as_utc(held.expires_at) <= utc_now():
        return None
    return session.get(StaffUser, held.staff_user_id)


def _check_claim(session: Session, draft_id: int, reviewer: StaffUser) -> None:
    holder = holder_of(session, draft_id)
    if holder is not None and holder.id != reviewer.id:
        raise ReviewRefused(f"draft #{draft_id} is claimed by {holder.email}")


def _decide(session: Session, draft: Draft, status: DraftStatus) -> None:
    # The status guard: one UPDATE decides, so two decisions at once cannot both win.
    changed = rows_changed(
        session.execute(
            update(Draft)
            .where(Draft.id == draft.id, Draft.status == DraftStatus.PENDING)
            .values(status=status.value, updated_at=utc_now())
            .execution_options(synchronize_session=False)
        )
    )
    if changed != 1:
        session.refresh(draft)
        raise ReviewRefused(_why_not_pending(session, draft))
    session.execute(delete(DraftClaim).where(DraftClaim.draft_id == draft.id))


def approve(
    session: Session,
    draft_id: int,
    reviewer: StaffUser,
    policy: SendPolicy,
    queue: TaskQueue,
    *,
    body_text: str | None = None,
) -> OutboundMessage:
    """Approve the draft (with the reviewer's edited text) and write its outbox row."""
    draft = _draft_or_refuse(session, draft_id)
    _check_claim(session, draft_id, reviewer)
    text = draft.body_text if body_text is None else body_text.replace("\r\n", "\n")
    if not text.strip():
        raise ReviewRefused("the reply text is empty")
    _decide(session, draft, DraftStatus.APPROVED)
    edited = text.strip() != draft.body_text.strip()
    headers = reply_headers(session, draft, policy)
    html = None if edited or not draft.body_html else reviewed_html(draft.body_html)
    raw = compose_reply(headers, reviewed_text(text), html)
    now = utc_now()
    outbound = OutboundMessage(
        draft_id=draft.id,
        consultation_id=draft.consultation_id,
        message_id=headers.message_id,
        sender=policy.from_address,
        recipient=one_line(draft.to_address),
        raw=raw,
        status=OutboundStatus.APPROVED.value,
        attempts=0,
        approved_by=reviewer.id,
        approved_at=now,
        send_after=now + policy.send_delay,
        retry_until=now + policy.send_delay + policy.retry_window,
    )
    session.add(outbound)
    session.flush()
    detail: dict[str, object] = {"outbound_id": outbound.id, "edited": edited}
    if edited:
        detail["diff"] = edit_diff(draft.body_text, text)
    record(session, draft.id, reviewer.id, "approved", detail)
    _account_event(
        session, draft, DRAFT_APPROVED, {"draft_id": draft.id, "outbound_id": outbound.id}
    )
    enqueue_after_commit(session, "send", [outbound.id], queue)
    return outbound


def reject(
    session: Session, draft_id: int, reviewer: StaffUser, reason: str, *, notify: bool = False
) -> int | None:
    """Reject the draft with a reason (kept in the audit trail); nothing of it is sent.

    With ``notify``, a notice telling the asker (with the reason) becomes a new pending
    draft, which needs its own approval; its id is returned.
    """
    reason = " ".join(reason.split())
    if not reason:
        raise ReviewRefused("give a reason for the rejection")
    draft = _draft_or_refuse(session, draft_id)
    _check_claim(session, draft_id, reviewer)
    if notify and draft.kind != DraftKind.ANSWER:
        raise ReviewRefused(
            f"draft #{draft_id} is a {draft.kind} draft: only an answer gets a notice"
        )
    _decide(session, draft, DraftStatus.REJECTED)
    notice_id = None
    if notify:
        notice_id = _reviewer_draft(
            session, draft, DraftKind.REJECTION_NOTICE, "rejection-notice", {"reason": reason}
        )
    detail: dict[str, object] = {"reason": reason[:2000]}
    if notice_id is not None:
        detail["notice_draft_id"] = notice_id
    record(session, draft.id, reviewer.id, "rejected", detail)
    _account_event(session, draft, DRAFT_REJECTED, {"draft_id": draft.id})
    return notice_id


def ask_for_information(session: Session, draft_id: int, reviewer: StaffUser, question: str) -> int:
    """Set the answer aside and draft the reviewer's question to the asker (pending approval).

    The asker's reply joins the consultation and gets a new answer draft.
    """
    question = question.strip()
    if not question:
        raise ReviewRefused("write the question to ask the asker")
    draft = _draft_or_refuse(session, draft_id)
    _check_claim(session, draft_id, reviewer)
    if draft.kind != DraftKind.ANSWER:
        raise ReviewRefused(f"draft #{draft_id} is a {draft.kind} draft: only an answer can ask")
    _decide(session, draft, DraftStatus.REJECTED)
    asking = _reviewer_draft(
        session, draft, DraftKind.MORE_INFORMATION, "more-information", {"question": question}
    )
    record(
        session,
        draft.id,
        reviewer.id,
        "asked_for_information",
        {"question": question[:4000], "question_draft_id": asking},
    )
    return asking


def _account_event(session: Session, draft: Draft, tag: str, ids: dict[str, int]) -> None:
    """The asker's history: what happened to a draft on their consultation (ids only)."""
    consultation = (
        session.get(Consultation, draft.consultation_id) if draft.consultation_id else None
    )
    if consultation is None or consultation.account_id is None:
        return
    append_events(
        session.connection(), consultation.account_id, [(tag, ids)], consultation_id=consultation.id
    )


def _reviewer_draft(
    session: Session, answered: Draft, kind: DraftKind, template: str, context: dict[str, str]
) -> int:
    try:
        return reviewer_draft(session, answered, kind, template, context)
    except DraftExists as exc:
        raise ReviewRefused(str(exc)) from None


def retry_send(
    session: Session,
    draft_id: int,
    reviewer: StaffUser | None,
    window: dt.timedelta,
    queue: TaskQueue,
) -> int:
    """Queue the failed reply of ``draft_id`` again (same bytes, same Message-ID); its outbox id."""
    outbound_id = session.scalar(
        select(OutboundMessage.id).where(OutboundMessage.draft_id == draft_id)
    )
    if outbound_id is None or not retry_failed(session, outbound_id, window):
        raise ReviewRefused(f"draft #{draft_id} has no failed send to retry")
    record(
        session,
        draft_id,
        reviewer.id if reviewer else None,
        "send_retried",
        {"outbound_id": outbound_id},
    )
    enqueue_after_commit(session, "send", [outbound_id], queue)
    return outbound_id


def withdraw(session: Session, draft_id: int, reviewer: StaffUser) -> None:
    """Take an approval back while its send has not started (the undo window)."""
    draft = _draft_or_refuse(session, draft_id)
    removed = rows_changed(
        session.execute(
            delete(OutboundMessage).where(
                OutboundMessage.draft_id == draft_id,
                OutboundMessage.status == OutboundStatus.APPROVED,
                OutboundMessage.attempts == 0,
            )
        )
    )
    if removed != 1:
        raise ReviewRefused(f"draft #{draft_id}: the send has started or is over; too late to undo")
    session.execute(
        update(Draft)
        .where(Draft.id == draft_id, Draft.status == DraftStatus.APPROVED)
        .values(status=DraftStatus.PENDING.value, updated_at=utc_now())
        .execution_options(synchronize_session=False)
    )
    session.refresh(draft)
    record(session, draft_id, reviewer.id, "approval_withdrawn")


__all__ = [
    "REVIEWED_SENTENCE",
    "ReviewRefused",
    "SendPolicy",
    "approve",
    "ask_for_information",
    "claim",
    "reject",
    "retry_send",
    "send_policy",
    "withdraw",
]
