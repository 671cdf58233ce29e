"""Fixtures for pipeline tests: real Dovecot and Redis, and the env the processes share.

``pipeline`` is a fixture of every integration test (imported by conftest.py);
its servers are conftest's ``dovecot`` and ``redis_server``.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from consultant.config import Settings
from consultant.consultations.models import Consultation, ConsultationMessage, Draft
from consultant.db import unit_of_work
from consultant.inbound.models import InboundMessage, PollerLease
from consultant.inbound.requeue import sweep_stuck
from tests.integration.pipeline_processes import PipelineEnv, log_tail, wait_until
from tests.servers import DovecotServer, RedisServer
from workers.app import make_app
from workers.queue import CeleryTaskQueue

ASKER = "coder@clinic.example"


@pytest.fixture
def pipeline(
    database_url: str, tmp_path: Path, dovecot: DovecotServer, redis_server: RedisServer
) -> PipelineEnv:
    """Env for poller and worker processes on real Dovecot, Redis and the test database."""
    env = PipelineEnv(
        database_url=database_url,
        var_dir=tmp_path / "var",
        broker_url=redis_server.url,
        imap_url=dovecot.url(),
    )
    env.var_dir.mkdir()
    env.consultant("accounts", "create", ASKER, "--name", "Pat")
    return env


def sweep(env: PipelineEnv, stuck_after: float = 5.0) -> int:
    """What the beat sweeper does, run now with a short timeout; returns how many it re-enqueued."""
    celery_app = make_app(Settings(broker_url=env.broker_url, var_dir=env.var_dir))
    try:
        with unit_of_work(env.database_url) as session:
            ids = sweep_stuck(
                session, dt.timedelta(seconds=stuck_after), queue=CeleryTaskQueue(celery_app)
            )
    finally:
        celery_app.close()
    return len(ids)


def expire_poller_leases(database_url: str) -> None:
    """A killed poller's lease would expire after its TTL; fast-forward that for the test."""
    with unit_of_work(database_url) as session:
        session.execute(
            update(PollerLease).values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1))
        )


def ledger_statuses(database_url: str) -> Counter[str]:
    with unit_of_work(database_url) as session:
        rows = session.execute(
            select(InboundMessage.status, func.count()).group_by(InboundMessage.status)
        )
        return Counter({status: count for status, count in rows})


def dispositions(database_url: str) -> Counter[str]:
    with unit_of_work(database_url) as session:
        rows = session.execute(
            select(InboundMessage.disposition, func.count()).group_by(InboundMessage.disposition)
        )
        return Counter({str(disposition): count for disposition, count in rows})


def all_done(database_url: str, expected: int) -> bool:
    statuses = ledger_statuses(database_url)
    return sum(statuses.values()) >= expected and statuses["done"] == sum(statuses.values())


def sweep_until_all_done(
    env: PipelineEnv, expected: int, *, stuck_after: float, timeout: float, interval: float = 1.0
) -> int:
    """Sweep as beat does until every ledger row is done; fail with the process logs if not.

    Returns how many rows the sweeps re-enqueued in all.
    """
    swept = 0

    def finished() -> bool:
        nonlocal swept
        swept += sweep(env, stuck_after=stuck_after)
        return all_done(env.database_url, expected)

    try:
        wait_until(finished, timeout=timeout, interval=interval)
    except TimeoutError:
        pytest.fail(log_tail(env))
    return swept


def assert_exactly_once(database_url: str, expected_messages: int) -> Counter[str]:
    """Every ledger row ended with one disposition; one consultation message and one
    draft per accepted row; no draft twice. Returns the dispositions."""
    with unit_of_work(database_url) as session:
        rows = session.execute(select(InboundMessage.status, InboundMessage.disposition)).all()
        assert len(rows) == expected_messages, f"{len(rows)} ledger rows"
        assert all(status == "done" and disposition for status, disposition in rows), Counter(rows)
        found = Counter(disposition for _, disposition in rows)
        threaded = found["accepted"] + found["follow_up"]
        count = func.count()
        assert session.scalar(select(count).select_from(ConsultationMessage)) == threaded
        assert session.scalar(select(count).select_from(Consultation)) == found["accepted"]
        drafts_per_row = session.execute(
            select(Draft.inbound_message_id, func.count()).group_by(Draft.inbound_message_id)
        ).all()
        assert all(n == 1 for _, n in drafts_per_row)
        answers = session.scalar(select(count).select_from(Draft).where(Draft.kind == "answer"))
        assert answers == threaded
        sha_per_message = session.execute(
            select(ConsultationMessage.content_sha256, func.count()).group_by(
                ConsultationMessage.content_sha256
            )
        ).all()
        assert all(n == 1 for _, n in sha_per_message)
    return found
