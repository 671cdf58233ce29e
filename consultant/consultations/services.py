"""Accepted mail: start a consultation or continue one, and draft the reply for review.

The draft is made from the new text only (quoted history and signature
already stripped by the parser), with the earlier questions of the thread as
context. A follow-up makes any pending draft of the thread stale: a reviewer
must not approve an answer to a question that has since changed.

Drafting is CPU work (extraction, look-ups, templates), so ingest does it with
:func:`plan_answer` before its write transaction starts: on SQLite a write
transaction holds the one database-wide write lock, and every other worker,
the poller and the sweeper would wait on it. :func:`answer_question` then
checks, under the write lock, that the thread is still as planned and writes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from consultant.accounts.events import CONSULTATION_FOLLOW_UP
from consultant.accounts.services import KnownAccount
from consultant.clock import utc_now
from consultant.config import Settings
from consultant.consultations.drafting import CodeData, DraftReply, draft_reply
from consultant.consultations.matching import find_consultation
from consultant.consultations.new_rows import (
    CONSULTATIONS,
    DRAFTS,
    MESSAGES,
    add_message_and_draft,
    write_new_thread,
)
from consultant.consultations.states import DraftKind, DraftStatus
from consultant.extraction.dates import date_of_service_for_message
from consultant.inbound.claims import ClaimedRow
from consultant.inbound.states import Disposition
from consultant.mail.parsing import ParsedMessage

# Plain Core statements, built once: these rows need nothing the ORM adds
# (no relationships to load, no identity map), and a flush of three new
# objects costs several times the round trips it sends.
#: The longest Message-ID stored (and matched) for a consultation's message.
MAX_MESSAGE_ID = 998

_EARLIER_TEXTS = (
    select(MESSAGES.c.new_text)
    .where(MESSAGES.c.consultation_id == bindparam("consultation_id"))
    .order_by(MESSAGES.c.id)
)
_STALE_PENDING = (
    update(DRAFTS)
    .where(
        DRAFTS.c.consultation_id == bindparam("thread_id"),
        DRAFTS.c.status == DraftStatus.PENDING.value,
    )
    .values(status=DraftStatus.STALE.value, updated_at=bindparam("now"))
)
_TOUCH_CONSULTATION = (
    update(CONSULTATIONS)
    .where(CONSULTATIONS.c.id == bindparam("thread_id"))
    .values(updated_at=bindparam("now"))
)


@dataclass(frozen=True)
class Answered:
    """The consultation and draft an accepted message led to."""

    disposition: Disposition  # ACCEPTED for a new consultation, FOLLOW_UP for a reply on one
    consultation_id: int
    draft_id: int


@dataclass(frozen=True)
class AnswerPlan:
    """A draft made before the write transaction, and the thread it was made for."""

    consultation_id: int | None
    earlier: tuple[str, ...]
    reply: DraftReply


def _draft(
    session: Session,
    parsed: ParsedMessage,
    earlier: tuple[str, ...],
    account: KnownAccount | None,
    code_data: CodeData | None,
    arrived: dt.datetime | None,
) -> DraftReply:
    # The date of service the question names, read against its Date header; else the day
    # it arrived.
    service = date_of_service_for_message(parsed.new_text, parsed.date, arrived or utc_now())
    return draft_reply(
        session,
        parsed.new_text,
        subject=parsed.subject or "",
        earlier_messages=earlier,
        account=account,
        code_data=code_data,
        service_date=service.date,
        service_date_source=service.source,
    )


def plan_answer(
    session: Session,
    parsed: ParsedMessage,
    account: KnownAccount | None,
    settings: Settings,
    code_data: CodeData | None = None,
    arrived: dt.datetime | None = None,
) -> AnswerPlan:
    """Find the thread and draft the reply, reading only (no lock, no write).

    ``arrived``: when the message was fetched (default: now), its date of service
    when the question names none.
    """
    consultation = find_consultation(session, parsed, settings.secret_key)
    if consultation is None:
        return AnswerPlan(None, (), _draft(session, parsed, (), account, code_data, arrived))
    earlier = tuple(
        session.connection().execute(_EARLIER_TEXTS, {"consultation_id": consultation.id}).scalars()
    )
    reply = _draft(session, parsed, earlier, account, code_data, arrived)
    return AnswerPlan(consultation.id, earlier, reply)


def answer_question(
    session: Session,
    row: ClaimedRow,
    parsed: ParsedMessage,
    account: KnownAccount | None,
    settings: Settings,
    code_data: CodeData | None = None,
    plan: AnswerPlan | None = None,
) -> Answered:
    """Record ``parsed`` on its consultation (new or found by threading) with its draft.

    ``plan`` is the draft made before the transaction; it is used when the
    thread is still the one it was made for, and drafted again otherwise.
    """
    sender = parsed.from_address or ""
    connection = session.connection()
    consultation = find_consultation(session, parsed, settings.secret_key)
    earlier: tuple[str, ...] = ()
    if consultation is not None:
        # Lock the thread (PostgreSQL; SQLite already holds the write lock) so two
        # follow-ups arriving together cannot both leave a pending draft.
        session.refresh(consultation, with_for_update=True)
        earlier = tuple(
            connection.execute(_EARLIER_TEXTS, {"consultation_id": consultation.id}).scalars()
        )
    thread_id = consultation.id if consultation is not None else None
    if plan is not None and (plan.consultation_id, plan.earlier) == (thread_id, earlier):
        reply = plan.reply
    else:
        # No plan, or a message joined the thread since it was made: draft
        # again (rare), before writing anything so a failure leaves nothing behind.
        reply = _draft(session, parsed, earlier, account, code_data, row.fetched_at)
    message = {
        "inbound_message_id": row.id,
        "content_sha256": row.sha256,
        # RFC 5322 keeps a line under 998 characters; a longer "id" is no id, and
        # would not fit the index that follow-ups are matched by.
        "message_id_header": parsed.message_id
        if parsed.message_id and len(parsed.message_id) <= MAX_MESSAGE_ID
        else None,
        "sender_address": sender,
        "new_text": parsed.new_text,
    }
    draft = {
        "inbound_message_id": row.id,
        "kind": DraftKind.ANSWER.value,
        "status": DraftStatus.PENDING.value,
        "to_address": sender,
        "subject": reply.subject,
        "body_text": reply.text,
        "body_html": reply.html,
        "template": reply.template,
        "facts": reply.facts,
    }
    account_id = account.id if account is not None else None
    if consultation is None:
        thread = {"asker_address": sender, "subject": parsed.subject or "", "status": "open"}
        consultation_id, draft_id = write_new_thread(
            connection, account_id=account_id, consultation=thread, message=message, draft=draft
        )
        return Answered(Disposition.ACCEPTED, consultation_id, draft_id)
    consultation_id = consultation.id
    stamp = {"thread_id": consultation_id, "now": dt.datetime.now(dt.UTC)}
    connection.execute(_TOUCH_CONSULTATION, stamp)
    connection.execute(_STALE_PENDING, stamp)
    new_draft = add_message_and_draft(
        connection,
        consultation_id,
        account_id=account_id,
        thread_event=CONSULTATION_FOLLOW_UP,
        message=message,
        draft=draft,
    )
    return Answered(Disposition.FOLLOW_UP, consultation_id, new_draft)
