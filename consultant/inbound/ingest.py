"""Ingest ledger rows: parse, run the inbound rules, thread, draft (DESIGN section 3).

:func:`run_ingest_batch` is the boundary a task calls with row ids (and
:func:`run_ingest` with one). Each row gets its own transactions, so one bad
email never blocks the others:

1. the claim (:mod:`consultant.inbound.claims`) counts the attempt and
   is committed before any work, so a run killed outright still counts, and a
   row that killed its worker three times is parked instead of retried;
2. the work: the status guard locks the row (a second run of the same row
   waits, then finds it done), then disposition, consultation message and
   draft are written and become visible together at commit, or not at all. The
   claim of the next row of the batch rides on this commit, which saves a
   commit per message;
3. on failure, another transaction records it (parking at the last attempt).

Every transaction is a :func:`consultant.db.unit_of_work`, the one mechanism;
a batch reads the code knowledge once and remembers the accounts it found.
Reading and drafting (CPU) happen before the write transaction, within the
message's time budget (:mod:`consultant.inbound.reading`). Unique keys
back up the status guard. Nothing here sends mail, and nothing
logs mail content: ids, dispositions and exception class names only.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import Table, bindparam, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from consultant.config import Settings, get_settings
from consultant.consultations.drafting import load_code_data
from consultant.consultations.notice_drafts import draft_invitation, draft_too_large
from consultant.consultations.services import AnswerPlan, answer_question
from consultant.db import SharedConnection, unit_of_work
from consultant.inbound.claims import (
    MAX_ATTEMPTS,
    Claim,
    ClaimedRow,
    claim,
    lock_claimed,
)
from consultant.inbound.models import InboundMessage
from consultant.inbound.reading import BatchState, Reading, read_row, rule_chain
from consultant.inbound.states import Disposition, InboundStatus
from consultant.inbound.time_budget import MessageOverBudgetError, time_budget

logger = logging.getLogger(__name__)

__all__ = ["MAX_ATTEMPTS", "IngestFailedError", "IngestOutcome", "run_ingest", "run_ingest_batch"]

#: RFC 5321's limit; a longer "address" is junk, never worth an invitation.
MAX_ADDRESS_LENGTH = 320
#: Rules that mark mail no person wrote; such mail never gets a drafted reply.
AUTOMATED_MAIL_RULES = frozenset({"loop", "bounce", "auto_reply", "bulk"})
#: Dispositions of an unknown sender's mail that may earn an invitation (policy "invite").
_INVITED_ON = (Disposition.TOO_LARGE, Disposition.UNKNOWN_SENDER)

_inbound = InboundMessage.__table__
assert isinstance(_inbound, Table)
_FINISH = (
    update(_inbound)
    .where(_inbound.c.id == bindparam("row_id"))
    .values(
        status=InboundStatus.DONE,
        disposition=bindparam("disposition"),
        rule_hits=bindparam("rule_hits"),
        last_error=None,
    )
)


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


@dataclass
class BatchOutcome:
    """What a batch did: one outcome per row done (or found done), one error per failure."""

    outcomes: list[IngestOutcome] = field(default_factory=list)
    failures: list[IngestFailedError] = field(default_factory=list)
    #: Rows not started because the batch was stopped (``stop_on``): the caller re-queues them.
    unstarted: list[int] = field(default_factory=list)


def run_ingest(
    database_url: str, inbound_id: int, settings: Settings | None = None
) -> IngestOutcome:
    """Ingest ledger row ``inbound_id``; idempotent.

    Raises IngestFailedError after recording the failure (parking the row at
    the MAX_ATTEMPTS-th attempt); the caller decides whether to retry.
    """
    done = run_ingest_batch(database_url, [inbound_id], settings)
    if done.failures:
        raise done.failures[0]
    return done.outcomes[0]


def run_ingest_batch(
    database_url: str,
    inbound_ids: Sequence[int],
    settings: Settings | None = None,
    stop_on: tuple[type[BaseException], ...] = (),
) -> BatchOutcome:
    """Ingest each ledger row of ``inbound_ids``, in order, each in its own transactions.

    A row that fails is recorded (and parked at its last attempt, or at once
    when it outlasted its time budget) and the batch goes on; the caller
    decides whether to retry the failed ones. An exception in ``stop_on`` (the
    caller's own time running out) is recorded on the row it hit and ends the
    batch: the rows after it are left unclaimed in ``unstarted``, untouched,
    so none is charged an attempt it never had.
    """
    settings = settings or get_settings()
    ids = list(dict.fromkeys(int(i) for i in inbound_ids))  # a repeated id is one row
    # One connection for the batch: measured with bench/pipeline.py on SQLite, a
    # connection per transaction (three per message: claim, reading, writing) cost
    # the worker 80% more CPU and a third of the backlog-drain rate.
    with SharedConnection(database_url) as link:
        return _ingest_each(link, ids, settings, stop_on)


def _ingest_each(
    link: SharedConnection,
    ids: list[int],
    settings: Settings,
    stop_on: tuple[type[BaseException], ...],
) -> BatchOutcome:
    database_url = link.database_url
    result = BatchOutcome()
    state = BatchState()  # read once per batch, reused by each row
    claims: dict[int, Claim] = {}  # committed claims, by row id
    for position, inbound_id in enumerate(ids):
        if inbound_id not in claims:
            with link.unit_of_work() as session:
                claims[inbound_id] = claim(session.connection(), inbound_id)
        taken = claims.pop(inbound_id)
        if taken.row is None:
            if taken.parked_reason is not None:
                logger.warning("inbound %d parked: %s", inbound_id, taken.parked_reason)
                result.failures.append(IngestFailedError(inbound_id, True, taken.parked_reason))
            else:
                result.outcomes.append(IngestOutcome(inbound_id, None))
            continue
        following = ids[position + 1] if position + 1 < len(ids) else None
        try:
            outcome, next_claim = _work_on(link, taken.row, following, settings, state)
        except stop_on as exc:
            link.discard()
            result.failures.append(_record_failure(database_url, inbound_id, exc))
            result.unstarted = ids[position + 1 :]
            break
        except Exception as exc:
            link.discard()
            result.failures.append(_record_failure(database_url, inbound_id, exc))
            continue
        if following is not None and next_claim is not None:
            claims[following] = next_claim
        result.outcomes.append(outcome)
    return result


def _work_on(
    link: SharedConnection,
    row: ClaimedRow,
    following: int | None,
    settings: Settings,
    state: BatchState,
) -> tuple[IngestOutcome, Claim | None]:
    """Read a claimed row within its time budget, then record it in one write transaction.

    The write transaction also claims the ``following`` row.
    """
    with time_budget(settings.message_time_budget), link.unit_of_work() as session:
        reading = read_row(session, row, settings, state)  # reads only: no write lock

    def attempt() -> tuple[IngestOutcome, Claim | None]:
        with link.unit_of_work() as session:
            outcome = _ingest_claimed(session, row, settings, state, reading)
            next_claim = None if following is None else claim(session.connection(), following)
        return outcome, next_claim

    try:
        return attempt()
    except IntegrityError:
        # A concurrent run (a redelivered message, the same bytes in another
        # row) won a unique key first; running again sees its committed result.
        return attempt()


def _ingest_claimed(
    session: Session, row: ClaimedRow, settings: Settings, state: BatchState, reading: Reading
) -> IngestOutcome:
    """Record what the claimed row is, as read; a no-op if it was done meanwhile."""
    connection = session.connection()
    is_duplicate = lock_claimed(connection, row)
    if is_duplicate is None:
        return IngestOutcome(row.id, None)
    chain = reading.chain
    plan = reading.plan
    if is_duplicate != reading.is_duplicate:
        # The same bytes were accepted from another row since the reading: decide again.
        chain = rule_chain(
            reading.parsed, reading.envelope, row, reading.account, is_duplicate, settings
        )
        plan = None
    fired = {hit.rule for hit in chain.hits}
    outcome = _act_on(session, row, reading, plan, chain.disposition, fired, settings, state)
    connection.execute(
        _FINISH,
        {
            "row_id": row.id,
            "disposition": outcome.disposition,
            "rule_hits": [{"rule": hit.rule, "reason": hit.reason} for hit in chain.hits],
        },
    )
    logger.info("inbound %d ingested: %s", row.id, outcome.disposition)
    return outcome


def _act_on(
    session: Session,
    row: ClaimedRow,
    reading: Reading,
    plan: AnswerPlan | None,
    disposition: str,
    fired: set[str],
    settings: Settings,
    state: BatchState,
) -> IngestOutcome:
    parsed, envelope, account = reading.parsed, reading.envelope, reading.account
    if disposition == Disposition.ACCEPTED and parsed is not None:
        if state.code_data is None:
            state.code_data = load_code_data(session)
        answered = answer_question(
            session, row, parsed, account, settings, state.code_data, plan=plan
        )
        return IngestOutcome(
            row.id, answered.disposition, answered.consultation_id, answered.draft_id
        )
    sender = envelope.from_address if envelope is not None else None
    if not sender or len(sender) > MAX_ADDRESS_LENGTH or fired & AUTOMATED_MAIL_RULES:
        return IngestOutcome(row.id, disposition)  # nobody to write to, or not a person
    subject = envelope.subject if envelope is not None else None
    invite = settings.unknown_sender_policy == "invite"
    draft: int | None = None
    if disposition == Disposition.TOO_LARGE and "unknown_sender" not in fired:
        draft = draft_too_large(
            session, row.id, sender, subject, row.size, settings.max_message_bytes
        )
    unknown = "unknown_sender" in fired
    if draft is None and unknown and invite and disposition in _INVITED_ON:
        draft = draft_invitation(session, row.id, sender, subject)
    return IngestOutcome(row.id, disposition, None, draft)


def _record_failure(database_url: str, inbound_id: int, exc: BaseException) -> IngestFailedError:
    # Class names and our own fixed messages only: an exception's text may quote mail.
    over_budget = isinstance(exc, MessageOverBudgetError)
    reason = str(exc) if over_budget else type(exc).__name__
    with unit_of_work(database_url) as session:
        parked = record_failure(session, inbound_id, reason, park=over_budget)
    logger.warning("ingest of inbound %d failed (%s), parked=%s", inbound_id, reason, parked)
    error = IngestFailedError(inbound_id, parked, reason)
    error.__cause__ = exc
    return error


def record_failure(session: Session, inbound_id: int, reason: str, park: bool = False) -> bool:
    """Record a failed run on the row (its claim counted the attempt); park it at the last.

    ``park`` parks it now: retrying would only fail the same way (over its time
    budget). Returns whether the row is parked.
    """
    row = session.get(InboundMessage, inbound_id)
    if row is None or row.status in (InboundStatus.DONE, InboundStatus.PARKED):
        return row is not None and row.status == InboundStatus.PARKED
    row.last_error = f"{reason} at {dt.datetime.now(dt.UTC).isoformat(timespec='seconds')}"
    exhausted = park or row.attempts >= MAX_ATTEMPTS
    row.status = InboundStatus.PARKED if exhausted else InboundStatus.STORED
    session.flush()
    return row.status == InboundStatus.PARKED
