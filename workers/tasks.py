"""Thin Celery tasks: each takes ids, calls one consultant service, and owns no logic.

Arguments are row ids only (no mail content in the broker or the logs).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded

from consultant.config import get_settings
from consultant.db import enqueue_after_commit, unit_of_work
from consultant.inbound import requeue as requeue_service
from consultant.inbound.ingest import IngestFailedError, run_ingest, run_ingest_batch
from consultant.mail.outbound_transports import transport_for
from consultant.outbound import sending
from consultant.outbound.sent_copy import copy_to_sent_folder
from workers.app import app
from workers.queue import CeleryTaskQueue

logger = logging.getLogger(__name__)

# Celery ships no type information, hence the ignores on its decorator below.

#: Seconds before retry n (1, 2, ...) of a failed ingest: 5, 20, 60.
RETRY_BACKOFF = (5, 20, 60)


@app.task(  # type: ignore[untyped-decorator]
    bind=True, name="workers.tasks.ingest", acks_late=True, max_retries=None
)
def ingest(self: Any, inbound_id: int) -> str | None:
    """Ingest ledger row ``inbound_id``; retried with backoff until ingest parks it."""
    settings = get_settings()
    try:
        outcome = run_ingest(settings.resolved_database_url, int(inbound_id), settings)
    except IngestFailedError as exc:
        if exc.parked:
            return "parked"
        delay = RETRY_BACKOFF[min(self.request.retries, len(RETRY_BACKOFF) - 1)]
        raise self.retry(countdown=delay, exc=None) from None
    return outcome.disposition


@app.task(name="workers.tasks.ingest_batch", acks_late=True)  # type: ignore[untyped-decorator]
def ingest_batch(inbound_ids: list[int]) -> dict[str, int]:
    """Ingest several ledger rows in one task (the poller sends one per stored batch).

    Each row still has its own transactions and time budget, so one bad email
    never blocks the others; a row that failed without being parked is
    retried on its own, through :func:`ingest` and its backoff. Should the
    task's soft time limit fire anyway, it is charged to the row it hit and
    the rows not yet started go back to the queue, unclaimed.
    """
    settings = get_settings()
    ids = [int(i) for i in inbound_ids]
    done = run_ingest_batch(
        settings.resolved_database_url, ids, settings, stop_on=(SoftTimeLimitExceeded,)
    )
    for failure in done.failures:
        if not failure.parked:
            _retry_alone(failure.inbound_id)
    if done.unstarted:
        try:
            CeleryTaskQueue().enqueue_many("ingest", done.unstarted)
        except Exception as exc:  # the rows are "stored", unclaimed: the sweeper has them
            logger.warning(
                "re-queue of %d rows failed (%s)", len(done.unstarted), type(exc).__name__
            )
    return {"done": len(done.outcomes), "failed": len(done.failures)}


def _retry_alone(inbound_id: int) -> None:
    try:
        ingest.apply_async(args=[inbound_id], countdown=RETRY_BACKOFF[0])
    except Exception as exc:  # the broker is down: the row is "stored", the sweeper has it
        logger.warning(
            "retry of inbound %d not queued (%s); the sweeper will", inbound_id, type(exc).__name__
        )


@app.task(name="workers.tasks.sweep_stuck", acks_late=True)  # type: ignore[untyped-decorator]
def sweep_stuck(stuck_after_seconds: float | None = None) -> int:
    """Re-enqueue ledger rows stuck in a non-final state (beat, every minute)."""
    settings = get_settings()
    stuck_after = (
        dt.timedelta(seconds=stuck_after_seconds)
        if stuck_after_seconds is not None
        else requeue_service.DEFAULT_STUCK_AFTER
    )
    with unit_of_work(settings.resolved_database_url) as session:
        ids = requeue_service.sweep_stuck(session, stuck_after, queue=CeleryTaskQueue())
    if ids:
        logger.info("sweeper re-enqueued %d stuck inbound rows", len(ids))
    return len(ids)


@app.task(name="workers.tasks.purge_raw_mail", acks_late=True)  # type: ignore[untyped-decorator]
def purge_raw_mail() -> int:
    """Drop raw mail older than the retention setting (beat, hourly)."""
    settings = get_settings()
    with unit_of_work(settings.resolved_database_url) as session:
        count = requeue_service.purge_raw_mail(session, settings.raw_mail_retention_days)
    if count:
        logger.info("purged the raw bytes of %d inbound rows", count)
    return count


@app.task(  # type: ignore[untyped-decorator]
    bind=True, name="workers.tasks.send", acks_late=True, max_retries=None
)
def send(self: Any, outbound_id: int) -> str:
    """Send approved reply ``outbound_id`` once its undo window has passed; retried with backoff.

    The status guard in :func:`consultant.outbound.sending.send_one` makes a
    duplicate or late message harmless: only an ``approved`` row is sent.
    """
    settings = get_settings()
    transport = transport_for(settings.smtp_url, settings.outbox_dir)
    outcome = sending.send_one(settings.resolved_database_url, int(outbound_id), transport)
    if outcome.retry_in is not None:
        raise self.retry(countdown=max(outcome.retry_in, 0.05), exc=None) from None
    if outcome.status == "sent":
        copy_to_sent_folder(settings, int(outbound_id))
    return outcome.status


@app.task(name="workers.tasks.sweep_sends", acks_late=True)  # type: ignore[untyped-decorator]
def sweep_sends() -> int:
    """Re-enqueue sends that are due but not queued, or lost with their worker (beat)."""
    settings = get_settings()
    with unit_of_work(settings.resolved_database_url) as session:
        ids = sending.sends_to_resume(session)
        enqueue_after_commit(session, "send", ids, CeleryTaskQueue())
    if ids:
        logger.info("sweeper re-enqueued %d sends", len(ids))
    return len(ids)
