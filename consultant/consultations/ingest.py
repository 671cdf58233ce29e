"""Ingest one ledger row: parse, run the inbound rules, thread, draft (DESIGN section 3).

:func:`run_ingest` is the boundary a task calls with a row id. It owns the
transactions: one for the whole ingest, so the disposition, the consultation
message and the draft become visible together or not at all, and another to
record a failure. Idempotency: the first statement only matches a row still
"stored" or "ingesting", and it is an UPDATE, so it also takes the row's write
lock (PostgreSQL) or the database write lock (SQLite) before anything is read;
a second run of the same row waits, then finds it "done" and does nothing.
Unique keys back this up. Nothing here sends mail, and nothing logs mail
content: ids, dispositions and exception class names only.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy import exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from consultant.accounts.models import Account
from consultant.accounts.services import account_for_address
from consultant.config import Settings, get_settings
from consultant.consultations.answering import answer_question
from consultant.consultations.notice_drafts import draft_invitation, draft_too_large
from consultant.db import unit_of_work
from consultant.mail.models import InboundMessage, InboundStatus
from consultant.mail.parsing import ParsedMessage, parse_message
from consultant.mail.rules import InboundContext, run_inbound_chain

logger = logging.getLogger(__name__)

#: After this many failed runs a row is parked for an operator (``consultant requeue``).
MAX_ATTEMPTS = 3
#: RFC 5321's limit; a longer "address" is junk, never worth an invitation.
MAX_ADDRESS_LENGTH = 320
#: Rules that mark mail no person wrote; such mail never gets a drafted reply.
AUTOMATED_MAIL_RULES = frozenset({"loop", "bounce", "auto_reply", "bulk"})
#: Dispositions whose message became part of a consultation.
ACCEPTED_DISPOSITIONS = ("accepted", "follow_up")


@dataclass(frozen=True)
class IngestOutcome:
    """What one ingest run did; ``disposition`` is None when there was nothing to do."""

    inbound_id: int
    disposition: str | None
    consultation_id: int | None = None
    draft_id: int | None = None


class IngestFailedError(Exception):
    """An ingest run failed; the failure is recorded on the row, parked or not."""

    def __init__(self, inbound_id: int, parked: bool, reason: str) -> None:
        super().__init__(f"ingest of inbound message {inbound_id} failed: {reason}")
        self.inbound_id = inbound_id
        self.parked = parked
        self.reason = reason


def run_ingest(
    database_url: str, inbound_id: int, settings: Settings | None = None
) -> IngestOutcome:
    """Ingest ledger row ``inbound_id`` in its own transaction; idempotent.

    Raises IngestFailedError after recording the failure (parking the row at
    the MAX_ATTEMPTS-th failure); the caller decides whether to retry.
    """
    settings = settings or get_settings()
    try:
        try:
            with unit_of_work(database_url) as session:
                return ingest_inbound(session, inbound_id, settings)
        except IntegrityError:
            # A concurrent run (a redelivered message, the same bytes in another
            # row) won a unique key first; running again sees its committed result.
            with unit_of_work(database_url) as session:
                return ingest_inbound(session, inbound_id, settings)
    except Exception as exc:
        reason = type(exc).__name__
        with unit_of_work(database_url) as session:
            parked = record_failure(session, inbound_id, reason)
        logger.warning("ingest of inbound %d failed (%s), parked=%s", inbound_id, reason, parked)
        raise IngestFailedError(inbound_id, parked, reason) from exc


def ingest_inbound(session: Session, inbound_id: int, settings: Settings) -> IngestOutcome:
    """Decide what ledger row ``inbound_id`` is and record it; a no-op if already done."""
    # One round trip claims, locks and loads the row (RETURNING: PostgreSQL, SQLite >= 3.35).
    row = session.scalars(
        update(InboundMessage)
        .where(
            InboundMessage.id == inbound_id,
            InboundMessage.status.in_((InboundStatus.STORED, InboundStatus.INGESTING)),
        )
        .values(status=InboundStatus.INGESTING)
        .returning(InboundMessage)
    ).one_or_none()
    if row is None:
        return IngestOutcome(inbound_id, None)
    parsed = parse_message(row.raw) if row.raw is not None else None
    # A message over the size cap was never downloaded: only its headers were
    # fetched, enough to know whom to ask for a smaller one.
    envelope = parsed or (parse_message(row.headers) if row.headers else None)
    sender = envelope.from_address if envelope is not None else None
    account = account_for_address(session, sender)
    context = InboundContext(
        our_address=settings.reply_from,
        raw_size=row.size,
        max_bytes=settings.max_message_bytes,
        is_duplicate=_is_duplicate(session, row),
        is_known_sender=account is not None,
        loop_marker=settings.reply_from,
    )
    # For mail over the cap the rules see the headers, so an oversized bounce or
    # newsletter is still told apart from a person's question.
    chain = run_inbound_chain(parsed or envelope, context)
    row.rule_hits = [{"rule": hit.rule, "reason": hit.reason} for hit in chain.hits]
    fired = {hit.rule for hit in chain.hits}
    outcome = _act_on(session, row, parsed, envelope, account, chain.disposition, fired, settings)
    row.disposition = outcome.disposition
    row.status = InboundStatus.DONE
    row.last_error = None
    session.flush()
    logger.info("inbound %d ingested: %s", inbound_id, outcome.disposition)
    return outcome


def _act_on(
    session: Session,
    row: InboundMessage,
    parsed: ParsedMessage | None,
    envelope: ParsedMessage | None,
    account: Account | None,
    disposition: str,
    fired: set[str],
    settings: Settings,
) -> IngestOutcome:
    if disposition == "accepted" and parsed is not None:
        answered = answer_question(session, row, parsed, account, settings)
        return IngestOutcome(
            row.id, answered.disposition, answered.consultation_id, answered.draft_id
        )
    sender = envelope.from_address if envelope is not None else None
    if not sender or len(sender) > MAX_ADDRESS_LENGTH or fired & AUTOMATED_MAIL_RULES:
        return IngestOutcome(row.id, disposition)  # nobody to write to, or not a person
    subject = envelope.subject if envelope is not None else None
    invite = settings.unknown_sender_policy == "invite"
    draft = None
    if disposition == "too_large" and "unknown_sender" not in fired:
        draft = draft_too_large(
            session, row.id, sender, subject, row.size, settings.max_message_bytes
        )
    elif "unknown_sender" in fired and disposition in ("too_large", "unknown_sender") and invite:
        draft = draft_invitation(session, row.id, sender, subject)
    if draft is not None:
        session.flush()
    return IngestOutcome(row.id, disposition, None, draft.id if draft is not None else None)


def _is_duplicate(session: Session, row: InboundMessage) -> bool:
    # Same bytes already accepted from another ledger row (a second delivery,
    # a copy in two folders). A reused Message-ID with other bytes is not one.
    return bool(
        session.scalar(
            select(
                exists().where(
                    InboundMessage.sha256 == row.sha256,
                    InboundMessage.id != row.id,
                    InboundMessage.disposition.in_(ACCEPTED_DISPOSITIONS),
                )
            )
        )
    )


def record_failure(session: Session, inbound_id: int, reason: str) -> bool:
    """Count a failed run on the row; park it at MAX_ATTEMPTS. Returns whether it is parked."""
    row = session.get(InboundMessage, inbound_id)
    if row is None or row.status == InboundStatus.DONE:
        return False
    row.attempts = (row.attempts or 0) + 1
    row.last_error = f"{reason} at {dt.datetime.now(dt.UTC).isoformat(timespec='seconds')}"
    row.status = InboundStatus.PARKED if row.attempts >= MAX_ATTEMPTS else InboundStatus.STORED
    session.flush()
    return row.status == InboundStatus.PARKED
