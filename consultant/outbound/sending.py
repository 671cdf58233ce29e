"""Sending one approved reply, guarded by its status: approved -> sending -> sent | failed.

Each step is its own short transaction, and the SMTP conversation happens
between them, outside any transaction. A worker killed mid-send leaves the
row in ``sending``; the sweeper puts it back to ``approved`` after
:data:`STUCK_SENDING` and it is sent again with the same bytes and the same
Message-ID, so a receiver sees at most one extra copy of the same email,
never a different one.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from consultant.clock import as_utc, utc_now
from consultant.db import rows_changed, unit_of_work
from consultant.mail.outbound_transports import (
    OutboundTransport,
    PermanentSendError,
    TemporarySendError,
)
from consultant.outbound.models import OutboundMessage
from consultant.outbound.states import OutboundStatus

_log = logging.getLogger(__name__)

#: Seconds before retry n (1, 2, ...) after a temporary failure; the last repeats.
RETRY_BACKOFF = (10, 30, 60, 120, 300, 600)
#: A send still ``sending`` this long after it started is taken to be lost with its worker.
STUCK_SENDING = dt.timedelta(minutes=5)
#: A due send still ``approved`` this long is taken to have lost its queue message.
LOST_MESSAGE = dt.timedelta(minutes=1)


@dataclass(frozen=True)
class SendOutcome:
    """What one send attempt did; ``retry_in`` is set when the task should run again."""

    status: str  # sent | failed | retry | not_due | gone
    retry_in: float | None = None


def send_one(
    database_url: str,
    outbound_id: int,
    transport: OutboundTransport,
    now: dt.datetime | None = None,
) -> SendOutcome:
    """Send ``outbound_id`` if it is ``approved`` and due; record what the server said."""
    now = now or utc_now()
    with unit_of_work(database_url) as session:
        row = session.get(OutboundMessage, outbound_id)
        if row is None or row.status != OutboundStatus.APPROVED:
            return SendOutcome("gone")  # sent, failed, withdrawn, or taken by another worker
        due = as_utc(row.send_after)
        if due > now:
            return SendOutcome("not_due", retry_in=(due - now).total_seconds())
        sender, recipient, raw, message_id = row.sender, row.recipient, row.raw, row.message_id
        retry_until, attempts = as_utc(row.retry_until), row.attempts + 1
        # The guard: of two workers given the same row, one moves it to "sending".
        taken = rows_changed(
            session.execute(
                update(OutboundMessage)
                .where(
                    OutboundMessage.id == outbound_id,
                    OutboundMessage.status == OutboundStatus.APPROVED,
                )
                .values(
                    status=OutboundStatus.SENDING,
                    sending_since=now,
                    attempts=OutboundMessage.attempts + 1,
                )
                .execution_options(synchronize_session=False)
            )
        )
        if taken != 1:
            return SendOutcome("gone")
    try:
        answer = transport.send(sender, [recipient], raw, message_id)
    except PermanentSendError as exc:
        _finish(database_url, outbound_id, OutboundStatus.FAILED, error=str(exc))
        _log.warning("outbound %d refused for good: %s", outbound_id, exc)
        return SendOutcome("failed")
    except TemporarySendError as exc:
        delay = RETRY_BACKOFF[min(attempts - 1, len(RETRY_BACKOFF) - 1)]
        if utc_now() + dt.timedelta(seconds=delay) > retry_until:
            _finish(database_url, outbound_id, OutboundStatus.FAILED, error=f"gave up: {exc}")
            _log.warning("outbound %d failed after %d attempts", outbound_id, attempts)
            return SendOutcome("failed")
        _finish(
            database_url,
            outbound_id,
            OutboundStatus.APPROVED,
            error=str(exc),
            send_after=utc_now() + dt.timedelta(seconds=delay),
        )
        _log.info("outbound %d: temporary failure, retry in %d s", outbound_id, delay)
        return SendOutcome("retry", retry_in=delay)
    _finish(database_url, outbound_id, OutboundStatus.SENT, answer=answer)
    return SendOutcome("sent")


def _finish(
    database_url: str,
    outbound_id: int,
    status: OutboundStatus,
    *,
    error: str | None = None,
    answer: str | None = None,
    send_after: dt.datetime | None = None,
) -> None:
    values: dict[str, object] = {"status": status, "sending_since": None}
    if error is not None:
        values["last_error"] = error[:1000]
    if answer is not None:
        values["server_answer"] = answer[:1000]
        values["sent_at"] = utc_now()
    if send_after is not None:
        values["send_after"] = send_after
    with unit_of_work(database_url) as session:
        session.execute(
            update(OutboundMessage)
            .where(
                OutboundMessage.id == outbound_id, OutboundMessage.status == OutboundStatus.SENDING
            )
            .values(**values)
        )


def retry_failed(session: Session, outbound_id: int, retry_window: dt.timedelta) -> bool:
    """An operator's retry of a failed send: the same bytes, from now on. False if not failed."""
    now = utc_now()
    changed = rows_changed(
        session.execute(
            update(OutboundMessage)
            .where(
                OutboundMessage.id == outbound_id, OutboundMessage.status == OutboundStatus.FAILED
            )
            .values(status=OutboundStatus.APPROVED, send_after=now, retry_until=now + retry_window)
        )
    )
    return changed == 1


def sends_to_resume(
    session: Session, now: dt.datetime | None = None, limit: int = 1000
) -> list[int]:
    """Sends the sweeper re-enqueues: due ``approved`` rows, and ``sending`` rows left by a crash.

    A stuck ``sending`` row goes back to ``approved`` here, in the caller's transaction.
    """
    now = now or utc_now()
    stuck = session.scalars(
        select(OutboundMessage.id)
        .where(
            OutboundMessage.status == OutboundStatus.SENDING,
            OutboundMessage.sending_since < now - STUCK_SENDING,
        )
        .limit(limit)
    ).all()
    if stuck:
        session.execute(
            update(OutboundMessage)
            .where(OutboundMessage.id.in_(stuck), OutboundMessage.status == OutboundStatus.SENDING)
            .values(status=OutboundStatus.APPROVED, sending_since=None)
        )
    due = session.scalars(
        select(OutboundMessage.id)
        .where(
            OutboundMessage.status == OutboundStatus.APPROVED,
            OutboundMessage.send_after <= now - LOST_MESSAGE,
        )
        .order_by(OutboundMessage.id)
        .limit(limit)
    ).all()
    return list(due)
