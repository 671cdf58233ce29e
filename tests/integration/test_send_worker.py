"""Sends through a real Celery worker on Redis to a real SMTP server, including kill -9 mid-send."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from pathlib import Path

from sqlalchemy import func, select

from consultant.config import Settings
from consultant.db import enqueue_after_commit, unit_of_work
from consultant.outbound.models import OutboundMessage
from consultant.outbound.sending import sends_to_resume
from consultant.review.decisions import approve
from tests.integration.pipeline_processes import (
    PipelineEnv,
    kill_hard,
    log_tail,
    start_worker,
    stop,
    wait_until,
)
from tests.integration.review_fixtures import REPLY_FROM, make_pending_drafts, policy, reviewer_of
from tests.servers import RedisServer, SmtpSink
from workers.app import make_app
from workers.queue import CeleryTaskQueue

KILLS = 10


def _env(database_url: str, tmp_path: Path, redis: RedisServer, sink: SmtpSink) -> PipelineEnv:
    env = PipelineEnv(
        database_url=database_url,
        var_dir=tmp_path / "var",
        broker_url=redis.url,
        extra={
            "CONSULTANT_SMTP_URL": f"{sink.url}?starttls=no",
            "CONSULTANT_REPLY_FROM": REPLY_FROM,
        },
    )
    env.var_dir.mkdir()
    return env


def _approve_all(env: PipelineEnv, count: int) -> list[int]:
    drafts = make_pending_drafts(env.database_url, count)
    celery_app = make_app(Settings(broker_url=env.broker_url, var_dir=env.var_dir))
    try:
        with unit_of_work(env.database_url) as session:
            ids = [
                approve(
                    session,
                    d.draft_id,
                    reviewer_of(session, d),
                    policy(),
                    CeleryTaskQueue(celery_app),
                ).id
                for d in drafts
            ]
    finally:
        celery_app.close()
    return ids


def _statuses(database_url: str) -> dict[str, int]:
    with unit_of_work(database_url) as session:
        rows = session.execute(
            select(OutboundMessage.status, func.count()).group_by(OutboundMessage.status)
        )
        return {status: count for status, count in rows}


def _resume_as_the_sweeper_would_later(env: PipelineEnv) -> int:
    # The sweeper's timeouts have passed: run it as if it were ten minutes later.
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=10)
    celery_app = make_app(Settings(broker_url=env.broker_url, var_dir=env.var_dir))
    try:
        with unit_of_work(env.database_url) as session:
            ids = sends_to_resume(session, now=later)
            enqueue_after_commit(session, "send", ids, CeleryTaskQueue(celery_app))
    finally:
        celery_app.close()
    return len(ids)


def test_a_worker_sends_each_approved_reply_once(
    database_url: str, tmp_path: Path, redis_server: RedisServer, smtp_sink: SmtpSink
) -> None:
    env = _env(database_url, tmp_path, redis_server, smtp_sink)
    worker = start_worker(env)
    try:
        ids = _approve_all(env, 5)
        try:
            smtp_sink.wait_for(5, timeout=60)
            wait_until(lambda: _statuses(database_url) == {"sent": 5}, timeout=30)
        except TimeoutError:
            raise AssertionError(log_tail(env)) from None
    finally:
        stop(worker)
    with unit_of_work(database_url) as session:
        expected = set(session.scalars(select(OutboundMessage.message_id)).all())
    assert len(ids) == 5 and len(smtp_sink.received) == 5
    assert {_message_id(raw) for _, _, raw in smtp_sink.received} == expected


def test_kill_9_of_the_worker_during_sends_loses_no_reply_and_changes_no_message_id(
    database_url: str, tmp_path: Path, redis_server: RedisServer, smtp_sink: SmtpSink
) -> None:
    env = _env(database_url, tmp_path, redis_server, smtp_sink)
    smtp_sink.data_delay = 0.2  # each send takes a while, so kills land mid-send
    count = 12
    ids = _approve_all(env, count)
    for _kill in range(KILLS):
        worker = start_worker(env)
        arrived = len(smtp_sink.received)
        try:
            # Wait for progress (or for the end), then kill the worker hard.
            wait_until(
                lambda arrived=arrived: (
                    len(smtp_sink.received) > arrived
                    or _statuses(database_url).get("sent") == count
                ),
                timeout=60,
            )
        except TimeoutError:
            raise AssertionError(log_tail(env)) from None
        finally:
            kill_hard(worker)
        _resume_as_the_sweeper_would_later(env)
    worker = start_worker(env)
    try:
        try:
            wait_until(lambda: _statuses(database_url) == {"sent": count}, timeout=120)
        except TimeoutError:
            _resume_as_the_sweeper_would_later(env)
            wait_until(lambda: _statuses(database_url) == {"sent": count}, timeout=60)
    finally:
        stop(worker)
    # Nothing lost: every approved reply reached the server; nothing different: each
    # Message-ID was only ever sent with its one set of bytes.
    with unit_of_work(database_url) as session:
        rows = session.execute(select(OutboundMessage.message_id, OutboundMessage.raw)).all()
    assert len(rows) == len(ids) == count
    bodies_by_id: dict[str, set[bytes]] = defaultdict(set)
    for _, _, raw in smtp_sink.received:
        bodies_by_id[_message_id(raw)].add(raw.replace(b"\r\n", b"\n"))
    assert set(bodies_by_id) == {message_id for message_id, _ in rows}
    for message_id, raw in rows:
        assert bodies_by_id[message_id] == {raw.replace(b"\r\n", b"\n")}


def _message_id(raw: bytes) -> str:
    from email import message_from_bytes

    return str(message_from_bytes(raw)["Message-ID"]).strip()
