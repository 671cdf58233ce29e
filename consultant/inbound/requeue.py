"""Putting ledger rows back in the queue: requeue parked rows, sweep stuck ones, purge raw mail.

The database is the source of truth: a row not yet "done" is work owed. The
sweeper re-enqueues rows left "stored" or "ingesting" too long, which covers
every way a queue message can vanish (a broker error at enqueue, a restarted
Redis without persistence, a worker killed mid-task, the embedded broker that
never redelivers). Duplicate queue messages are harmless: ingest is
idempotent by its status guard.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from consultant.db import TaskQueue, enqueue_after_commit
from consultant.inbound.models import InboundMessage
from consultant.inbound.states import HELD_DISPOSITIONS, InboundStatus

#: A row not done this long after its last change is presumed to have lost its queue message.
DEFAULT_STUCK_AFTER = dt.timedelta(minutes=2)
#: Upper bound per sweep, so one sweep never floods the broker.
SWEEP_BATCH = 1000


class RequeueError(Exception):
    """A row cannot be requeued (unknown id, or not parked or held)."""


def requeue(
    session: Session,
    ids: Sequence[int] = (),
    *,
    all_parked: bool = False,
    queue: TaskQueue,
) -> list[int]:
    """Reset parked rows (and held ones named by id) to "stored" and enqueue them.

    A row named by id must be parked, or done with a held disposition (an
    operator created the account, or the quote reading was fixed, and wants
    the question answered now).
    """
    chosen: list[int] = []
    if all_parked:
        chosen.extend(
            session.scalars(
                select(InboundMessage.id)
                .where(InboundMessage.status == InboundStatus.PARKED)
                .order_by(InboundMessage.id)
            )
        )
    for row_id in ids:
        row = session.get(InboundMessage, row_id)
        if row is None:
            raise RequeueError(f"no inbound message {row_id}")
        held = row.status == InboundStatus.DONE and row.disposition in HELD_DISPOSITIONS
        if row.status != InboundStatus.PARKED and not held:
            raise RequeueError(f"inbound message {row_id} is {row.status}, not parked or held")
        if row_id not in chosen:
            chosen.append(row_id)
    if chosen:
        session.execute(
            update(InboundMessage)
            .where(InboundMessage.id.in_(chosen))
            .values(status=InboundStatus.STORED, attempts=0, disposition=None, rule_hits=[])
        )
        enqueue_after_commit(session, "ingest", chosen, queue)
    return chosen


def sweep_stuck(
    session: Session,
    stuck_after: dt.timedelta = DEFAULT_STUCK_AFTER,
    *,
    now: dt.datetime | None = None,
    queue: TaskQueue,
) -> list[int]:
    """Re-enqueue rows "stored" or "ingesting" for longer than ``stuck_after``."""
    now = now or dt.datetime.now(dt.UTC)
    ids = list(
        session.scalars(
            select(InboundMessage.id)
            .where(
                InboundMessage.status.in_((InboundStatus.STORED, InboundStatus.INGESTING)),
                InboundMessage.updated_at < now - stuck_after,
            )
            .order_by(InboundMessage.id)
            .limit(SWEEP_BATCH)
        )
    )
    if ids:
        # Touch them, so the next sweep waits another stuck_after before re-enqueueing.
        session.execute(
            update(InboundMessage).where(InboundMessage.id.in_(ids)).values(updated_at=now)
        )
        enqueue_after_commit(session, "ingest", ids, queue)
    return ids


def purge_raw_mail(session: Session, retention_days: int, *, now: dt.datetime | None = None) -> int:
    """Drop the raw bytes (and stored headers) of ingested rows older than ``retention_days``.

    Only "done" rows: a row still owed work, or parked for an operator, keeps
    its bytes so requeue can still read them. Returns how many rows were purged.
    """
    now = now or dt.datetime.now(dt.UTC)
    result = session.execute(
        update(InboundMessage)
        .where(
            InboundMessage.status == InboundStatus.DONE,
            InboundMessage.raw.is_not(None),
            InboundMessage.fetched_at < now - dt.timedelta(days=retention_days),
        )
        .values(raw=None, headers=None)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
