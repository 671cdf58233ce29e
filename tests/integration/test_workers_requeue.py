"""Sweeper, requeue and raw-mail purge on real databases (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import update

from consultant.db import unit_of_work
from consultant.inbound.models import InboundMessage
from consultant.inbound.requeue import RequeueError, purge_raw_mail, requeue, sweep_stuck
from tests.integration.ledger_rows import RecordingQueue, store_inbound


def _age(database_url: str, row_id: int, **delta: float) -> None:
    past = dt.datetime.now(dt.UTC) - dt.timedelta(**delta)
    with unit_of_work(database_url) as session:
        session.execute(
            update(InboundMessage)
            .where(InboundMessage.id == row_id)
            .values(updated_at=past, fetched_at=past)
        )


def _set(database_url: str, row_id: int, **values: object) -> None:
    with unit_of_work(database_url) as session:
        session.execute(update(InboundMessage).where(InboundMessage.id == row_id).values(**values))


def test_sweeper_reenqueues_only_rows_stuck_past_the_timeout(database_url: str) -> None:
    stuck_stored = store_inbound(database_url, b"a")
    stuck_ingesting = store_inbound(database_url, b"b")
    fresh = store_inbound(database_url, b"c")
    done = store_inbound(database_url, b"d")
    _set(database_url, stuck_ingesting, status="ingesting")
    _set(database_url, done, status="done", disposition="accepted")
    for row_id in (stuck_stored, stuck_ingesting, done):
        _age(database_url, row_id, minutes=10)

    queue = RecordingQueue()
    with unit_of_work(database_url) as session:
        swept = sweep_stuck(session, dt.timedelta(minutes=2), queue=queue)
        assert queue.enqueued == []  # nothing is enqueued before the commit
    assert swept == [stuck_stored, stuck_ingesting]
    assert queue.enqueued == [("ingest", stuck_stored), ("ingest", stuck_ingesting)]
    assert fresh not in swept

    # Swept rows were touched: the next sweep leaves them alone for another period.
    with unit_of_work(database_url) as session:
        assert sweep_stuck(session, dt.timedelta(minutes=2), queue=queue) == []


def test_a_rolled_back_sweep_enqueues_nothing(database_url: str) -> None:
    row_id = store_inbound(database_url, b"a")
    _age(database_url, row_id, minutes=10)
    queue = RecordingQueue()
    with pytest.raises(RuntimeError), unit_of_work(database_url) as session:
        sweep_stuck(session, dt.timedelta(minutes=2), queue=queue)
        raise RuntimeError("the boundary failed after the sweep")
    assert queue.enqueued == []


def test_requeue_resets_parked_rows_and_refuses_others(database_url: str) -> None:
    parked = store_inbound(database_url, b"p")
    held = store_inbound(database_url, b"h")
    done = store_inbound(database_url, b"d")
    _set(database_url, parked, status="parked", attempts=3, last_error="ValueError")
    _set(database_url, held, status="done", disposition="unknown_sender")
    _set(database_url, done, status="done", disposition="accepted")

    queue = RecordingQueue()
    with unit_of_work(database_url) as session:
        assert requeue(session, all_parked=True, queue=queue) == [parked]
    with unit_of_work(database_url) as session:
        row = session.get_one(InboundMessage, parked)
        assert (row.status, row.attempts, row.disposition) == ("stored", 0, None)
        assert requeue(session, [held], queue=queue) == [held]
    assert queue.enqueued == [("ingest", parked), ("ingest", held)]

    with pytest.raises(RequeueError, match="not parked"), unit_of_work(database_url) as session:
        requeue(session, [done], queue=queue)
    with pytest.raises(RequeueError, match="no inbound"), unit_of_work(database_url) as session:
        requeue(session, [done + 1000], queue=queue)


def test_purge_drops_raw_bytes_of_old_done_rows_only(database_url: str) -> None:
    old_done = store_inbound(database_url, b"old done")
    old_parked = store_inbound(database_url, b"old parked")
    new_done = store_inbound(database_url, b"new done")
    _set(database_url, old_done, status="done", disposition="accepted")
    _set(database_url, old_parked, status="parked")
    _set(database_url, new_done, status="done", disposition="accepted")
    _age(database_url, old_done, days=31)
    _age(database_url, old_parked, days=31)

    with unit_of_work(database_url) as session:
        assert purge_raw_mail(session, 30) == 1
    with unit_of_work(database_url) as session:
        assert session.get_one(InboundMessage, old_done).raw is None
        assert session.get_one(InboundMessage, old_parked).raw == b"old parked"
        assert session.get_one(InboundMessage, new_done).raw == b"new done"
