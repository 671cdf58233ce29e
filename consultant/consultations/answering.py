"""Accepted mail: start a consultation or continue one, and draft the reply for review.

The draft is made from the new text only (quoted history and signature
already stripped by the parser), with the earlier questions of the thread as
context. A follow-up makes any pending draft of the thread stale: a reviewer
must not approve an answer to a question that has since changed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from consultant.accounts.models import Account
from consultant.accounts.services import (
    CONSULTATION_CREATED,
    CONSULTATION_FOLLOW_UP,
    DRAFT_CREATED,
    record_event,
)
from consultant.config import Settings
from consultant.consultations.drafting import draft_reply
from consultant.consultations.models import (
    Consultation,
    ConsultationMessage,
    Draft,
    DraftKind,
    DraftStatus,
)
from consultant.consultations.threading_lookup import find_consultation
from consultant.mail.models import InboundMessage
from consultant.mail.parsing import ParsedMessage


@dataclass(frozen=True)
class Answered:
    """The consultation and draft an accepted message led to."""

    disposition: str  # "accepted" for a new consultation, "follow_up" for a reply on one
    consultation_id: int
    draft_id: int


def answer_question(
    session: Session,
    row: InboundMessage,
    parsed: ParsedMessage,
    account: Account | None,
    settings: Settings,
) -> Answered:
    """Record ``parsed`` on its consultation (new or found by threading) and draft a reply."""
    sender = parsed.from_address or ""
    consultation = find_consultation(session, parsed, settings.secret_key)
    earlier: tuple[str, ...] = ()
    if consultation is not None:
        # Lock the thread (PostgreSQL; SQLite already holds the write lock) so two
        # follow-ups arriving together cannot both leave a pending draft.
        session.refresh(consultation, with_for_update=True)
        earlier = tuple(
            session.scalars(
                select(ConsultationMessage.new_text)
                .where(ConsultationMessage.consultation_id == consultation.id)
                .order_by(ConsultationMessage.id)
            )
        )
    # Draft before writing anything: the drafting queries then find nothing to
    # autoflush, and every row below is written in one flush.
    reply = draft_reply(
        session,
        parsed.new_text,
        subject=parsed.subject or "",
        earlier_messages=earlier,
        account=account,
    )
    if consultation is None:
        disposition = "accepted"
        consultation = Consultation(
            account_id=account.id if account is not None else None,
            asker_address=sender,
            subject=parsed.subject or "",
        )
        session.add(consultation)
    else:
        disposition = "follow_up"
        now = dt.datetime.now(dt.UTC)
        consultation.updated_at = now
        session.execute(
            update(Draft)
            .where(
                Draft.consultation_id == consultation.id,
                Draft.status == DraftStatus.PENDING.value,
            )
            .values(status=DraftStatus.STALE.value, updated_at=now)
        )
    message = ConsultationMessage(
        consultation=consultation,
        inbound_message_id=row.id,
        content_sha256=row.sha256,
        message_id_header=parsed.message_id,
        sender_address=sender,
        new_text=parsed.new_text,
    )
    draft = Draft(
        consultation=consultation,
        inbound_message_id=row.id,
        kind=DraftKind.ANSWER.value,
        status=DraftStatus.PENDING.value,
        to_address=sender,
        subject=reply.subject,
        body_text=reply.text,
        body_html=reply.html,
        template=reply.template,
        facts=reply.facts,
    )
    session.add_all([message, draft])
    session.flush()
    if account is not None:
        tag = CONSULTATION_CREATED if disposition == "accepted" else CONSULTATION_FOLLOW_UP
        record_event(session, account.id, tag, consultation_id=consultation.id, inbound_id=row.id)
        record_event(
            session, account.id, DRAFT_CREATED, consultation_id=consultation.id, draft_id=draft.id
        )
    return Answered(disposition, consultation.id, draft.id)
