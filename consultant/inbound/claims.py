"""Claiming a ledger row for ingest, so that every run started is counted, even one that dies.

A run that raises records its failure, but a run whose process is killed
(kill -9, the OOM killer, a hard time limit) records nothing: its transaction
is simply rolled back. So the attempt is counted by a claim that is committed
*before* the work starts: :func:`claim` moves the row to "ingesting" and adds
one to ``attempts``. A row whose attempts are used up when it is claimed again
was being worked on when its process died, every time: it is parked for an
operator instead of killing one more worker.

The work itself then runs in its own transaction that starts with
:func:`lock_claimed`, the status guard (and row lock) that makes a second run
of the same row wait and then find it done.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import BindParameter, Table, bindparam, exists, or_, select, update
from sqlalchemy.engine import Connection

from consultant.clock import as_utc
from consultant.inbound.models import InboundMessage
from consultant.inbound.states import Disposition, InboundStatus

#: After this many runs (failed or died) a row is parked for an operator (``consultant requeue``).
MAX_ATTEMPTS = 3
#: Dispositions whose message became part of a consultation.
ACCEPTED_DISPOSITIONS = (Disposition.ACCEPTED, Disposition.FOLLOW_UP)

_inbound = InboundMessage.__table__
assert isinstance(_inbound, Table)
_c = _inbound.c
_OPEN = (InboundStatus.STORED, InboundStatus.INGESTING)
# Written out rather than IN (...): an IN list is an "expanding" parameter that
# SQLAlchemy re-renders into the SQL on every execution.
_IS_OPEN = or_(_c.status == InboundStatus.STORED, _c.status == InboundStatus.INGESTING)


@dataclass(frozen=True)
class ClaimedRow:
    """What ingest needs of a claimed ledger row, read once by the claim."""

    id: int
    sha256: str
    size: int
    raw: bytes | None
    headers: bytes | None
    attempts: int
    #: When the poller stored the message: the question's date when it names none.
    fetched_at: dt.datetime | None = None


@dataclass(frozen=True)
class Claim:
    """The result of a claim: the row to work on, or why there is none."""

    row: ClaimedRow | None
    #: Set when this claim parked the row: its attempts were used up by dead runs.
    parked_reason: str | None = None


# Built once: building and compiling a statement costs more than running it.
_CLAIM = (
    update(_inbound)
    .where(
        _c.id == bindparam("row_id"),
        _IS_OPEN,
        _c.attempts < MAX_ATTEMPTS,
    )
    .values(status=InboundStatus.INGESTING, attempts=_c.attempts + 1)
    .returning(_c.id, _c.sha256, _c.size, _c.raw, _c.headers, _c.attempts, _c.fetched_at)
)
_PARK_EXHAUSTED = (
    update(_inbound)
    .where(
        _c.id == bindparam("row_id"),
        _IS_OPEN,
        _c.attempts >= MAX_ATTEMPTS,
    )
    .values(status=InboundStatus.PARKED, last_error=bindparam("reason"))
    .returning(_c.id)
)
_other = _inbound.alias("other_inbound")
_row_id: BindParameter[int] = bindparam("row_id")
_ACCEPTED_ELSEWHERE = exists().where(
    # Bound values, not the outer row's columns: SQLite's RETURNING
    # cannot name the updated table inside a subquery.
    _other.c.sha256 == bindparam("content_sha256"),
    _other.c.id != _row_id,
    or_(*(_other.c.disposition == accepted for accepted in ACCEPTED_DISPOSITIONS)),
)
_READ_ACCEPTED_ELSEWHERE = select(_ACCEPTED_ELSEWHERE.label("is_duplicate"))
# The status guard of the work's transaction; it also says whether the same
# bytes were already accepted from another ledger row (a second delivery, a
# copy in two folders). A reused Message-ID with other bytes is not one.
_LOCK = (
    update(_inbound)
    .where(_c.id == _row_id, _IS_OPEN)
    .values(status=InboundStatus.INGESTING)
    .returning(_ACCEPTED_ELSEWHERE.label("is_duplicate"))
)


def died_reason(attempts: int, last_error: str | None) -> str:
    """Why a row was parked at claim time: its last run ended without a word."""
    if last_error is None:
        return f"worker died {attempts} times while ingesting"
    return f"worker died while ingesting, after {attempts} attempts (earlier: {last_error})"


def claim(connection: Connection, inbound_id: int) -> Claim:
    """Count one attempt on the row and load it, or park it when no attempt is left.

    The caller commits before working on the row, so a dying run still counts.
    A row that is done or parked is left alone (``Claim(None)``).
    """
    found = connection.execute(_CLAIM, {"row_id": inbound_id}).one_or_none()
    if found is None:
        return Claim(None, park_exhausted(connection, inbound_id))
    row = ClaimedRow(
        id=int(found.id),
        sha256=found.sha256,
        size=int(found.size),
        raw=found.raw,
        headers=found.headers,
        attempts=int(found.attempts),
        fetched_at=as_utc(found.fetched_at) if found.fetched_at is not None else None,
    )
    return Claim(row)


def park_exhausted(connection: Connection, inbound_id: int) -> str | None:
    """Park the row if it is still owed work but every attempt was used; the reason if so."""
    exhausted = (_c.id == inbound_id, _IS_OPEN, _c.attempts >= MAX_ATTEMPTS)
    found = connection.execute(select(_c.last_error).where(*exhausted)).one_or_none()
    if found is None:
        return None  # done, parked, or unknown: nothing owed
    reason = died_reason(MAX_ATTEMPTS, found.last_error)
    parked = connection.execute(_PARK_EXHAUSTED, {"row_id": inbound_id, "reason": reason})
    return reason if parked.one_or_none() is not None else None


def lock_claimed(connection: Connection, row: ClaimedRow) -> bool | None:
    """Lock a claimed row for the work's transaction.

    Returns whether the row's bytes were already accepted from another ledger
    row, or None when the row is no longer owed work (a concurrent run of the
    same row finished it first).
    """
    found = connection.execute(_LOCK, {"row_id": row.id, "content_sha256": row.sha256})
    locked = found.one_or_none()
    return None if locked is None else bool(locked.is_duplicate)


def accepted_elsewhere(connection: Connection, row: ClaimedRow) -> bool:
    """Whether the row's bytes were already accepted from another ledger row (a read only).

    The reading before the write transaction uses this; :func:`lock_claimed`
    answers the same question again under the lock.
    """
    found = connection.execute(
        _READ_ACCEPTED_ELSEWHERE, {"row_id": row.id, "content_sha256": row.sha256}
    )
    return bool(found.scalar())
