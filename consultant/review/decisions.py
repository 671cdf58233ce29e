"""A reviewer's decisions on a draft: claim, approve (which writes the outbox row), reject.

Every decision is guarded by the draft's status in the same UPDATE that makes
it, so of two reviewers approving at once exactly one wins, and the other is
told why. Approval writes, in the same transaction, the outbound row with the
exact bytes to send; the send runs after the commit.
"""

from __future__ import annotations

import datetime as dt
import difflib
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from email.policy import default as default_policy
from email.utils import make_msgid

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from consultant.accounts.staff import StaffUser
from consultant.config import Settings, parse_reply_from
from consultant.consultations.models import Consultation, ConsultationMessage, Draft
from consultant.consultations.states import DraftKind, DraftStatus
from consultant.db import TaskQueue, enqueue_after_commit, rows_changed
from consultant.inbound.models import InboundMessage
from consultant.mail.compose import ReplyHeaders, compose_reply, one_line
from consultant.mail.message_ids import make_message_id
from consultant.outbound.models import OutboundMessage
from consultant.outbound.sending import as_utc, utc_now
from consultant.outbound.states import OutboundStatus
from consultant.review.audit import record
from consultant.review.models import DraftClaim


class ReviewRefused(Exception):
    """The decision cannot be made; the message says why in one line."""


@dataclass(frozen=True)
class SendPolicy:
    """What the settings decide about an approved reply (built by the boundary)."""

    from_name: str
    from_address: str
    secret_key: str
    send_delay: dt.timedelta  # the undo window
    retry_window: dt.timedelta  # how long temporary failures are retried
    claim_time: dt.timedelta = dt.timedelta(minutes=15)


def send_policy(settings: Settings) -> SendPolicy:
    """The policy the settings make; SettingsError when CONSULTANT_REPLY_FROM is not one address."""
    name, address = parse_reply_from(settings.reply_from)
    return SendPolicy(
        from_name=name,
        from_address=address,
        secret_key=settings.secret_key,
        send_delay=dt.timedelta(seconds=settings.send_delay),
        retry_window=dt.timedelta(minutes=settings.send_retry_minutes),
        claim_time=dt.timedelta(minutes=settings.review_claim_minutes),
    )


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
    headers = _reply_headers(session, draft, policy)
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


def _reviewer_draft(
    session: Session, answered: Draft, kind: DraftKind, template: str, context: dict[str, str]
) -> int:
    """A pending draft of ``kind`` to the same asker, on the same source message."""
    from consultant.accounts.models import Account
    from consultant.consultations.drafting import original_subject, render_email

    consultation = (
        session.get(Consultation, answered.consultation_id) if answered.consultation_id else None
    )
    account = (
        session.get(Account, consultation.account_id)
        if consultation and consultation.account_id
        else None
    )
    subject, text, html = render_email(
        template,
        {
            **context,
            "original_subject": original_subject(consultation.subject if consultation else None),
            "greeting_name": account.name if account and account.name else "",
        },
    )
    made = Draft(
        inbound_message_id=answered.inbound_message_id,
        consultation_id=answered.consultation_id,
        kind=kind.value,
        status=DraftStatus.PENDING.value,
        to_address=answered.to_address,
        subject=subject,
        body_text=text,
        body_html=html,
        template=template,
        facts={"answers_draft": answered.id},
    )
    try:
        with session.begin_nested():  # a savepoint: the refusal leaves the transaction usable
            session.add(made)
    except IntegrityError:
        raise ReviewRefused(f"draft #{answered.id} already has its {kind.value} draft") from None
    return made.id


#: The sentence a sent reply carries, and only a sent one (a preview was never reviewed).
REVIEWED_SENTENCE = "A certified coder reviewed this reply before it was sent."
_SIGNATURE = "CaseConsultant"


def reviewed_text(text: str) -> str:
    """The approved text with the reviewed sentence before the signature (once)."""
    if REVIEWED_SENTENCE in text:
        return text
    lines = text.rstrip("\n").split("\n")
    for n, line in enumerate(lines):
        if line.strip() == _SIGNATURE:
            return "\n".join([*lines[:n], REVIEWED_SENTENCE, "", *lines[n:]]) + "\n"
    return "\n".join([*lines, "", REVIEWED_SENTENCE]) + "\n"


def reviewed_html(html: str) -> str:
    """The draft's HTML with the reviewed sentence before the signature (once)."""
    if REVIEWED_SENTENCE in html:
        return html
    sentence = f"<p>{REVIEWED_SENTENCE}</p>\n"
    for marker in (f"<p>{_SIGNATURE}</p>", "</body>"):
        if marker in html:
            return html.replace(marker, sentence + marker, 1)
    return html + sentence


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


def edit_diff(automatic: str, edited: str) -> str:
    """The reviewer's edit as a unified diff against the automatic draft."""
    lines = difflib.unified_diff(
        automatic.splitlines(), edited.splitlines(), "draft", "approved", lineterm="", n=1
    )
    return "\n".join(lines)[:20000]


def _reply_headers(session: Session, draft: Draft, policy: SendPolicy) -> ReplyHeaders:
    question = session.get(InboundMessage, draft.inbound_message_id)
    parsed = BytesHeaderParser(policy=default_policy).parsebytes(
        (question.headers or question.raw or b"") if question is not None else b""
    )
    question_id = _header(parsed, "Message-ID") or one_line(
        session.scalar(
            select(ConsultationMessage.message_id_header).where(
                ConsultationMessage.inbound_message_id == draft.inbound_message_id
            )
        )
        or ""
    )
    references = tuple(_header(parsed, "References").split())
    if question_id:
        references += (question_id,)
    domain = policy.from_address.rsplit("@", 1)[-1]
    if draft.consultation_id is not None:
        message_id = make_message_id(draft.consultation_id, policy.secret_key, domain)
    else:
        message_id = make_msgid(domain=domain)
    consultation = (
        session.get(Consultation, draft.consultation_id) if draft.consultation_id else None
    )
    subject = _header(parsed, "Subject") or (consultation.subject if consultation else "")
    return ReplyHeaders(
        from_name=policy.from_name,
        from_address=policy.from_address,
        to_address=draft.to_address,
        subject=subject or draft.subject,
        message_id=message_id,
        in_reply_to=question_id or None,
        references=references,
        loop_marker=policy.from_address,
    )


def _header(parsed: object, name: str) -> str:
    # A malformed header must not stop an approval: no value is then the answer.
    try:
        value = parsed.get(name)  # type: ignore[attr-defined]
    except Exception:
        return ""
    return one_line(str(value)) if value is not None else ""


__all__ = [
    "ReviewRefused",
    "SendPolicy",
    "approve",
    "ask_for_information",
    "claim",
    "reject",
    "withdraw",
]
