"""A task's soft time limit firing mid-batch, in a real worker on a real Redis.

It used to charge the next row of the batch an attempt (with an empty
``last_error``) and give it only the seconds left before the hard limit. Now the
row it hit records the reason, and the rows after it go back to the queue
unclaimed and are done by a later task.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from consultant.config import Settings
from consultant.db import unit_of_work
from consultant.inbound.models import InboundMessage
from tests.integration.ledger_rows import store_inbound
from tests.integration.pipeline_processes import (
    PipelineEnv,
    log_tail,
    start_worker,
    stop,
    wait_until,
)
from tests.integration.question_mail import question_bytes
from tests.integration.soft_limit_app import SLOW_MARKER
from tests.servers import RedisServer
from workers.app import make_app
from workers.queue import CeleryTaskQueue

ASKER = "coder@clinic.example"


def _rows(database_url: str, ids: list[int]) -> list[InboundMessage]:
    with unit_of_work(database_url) as session:
        return [session.get_one(InboundMessage, row_id) for row_id in ids]


def test_the_soft_limit_charges_only_the_row_it_hit(
    database_url: str, redis_server: RedisServer, tmp_path: Path
) -> None:
    env = PipelineEnv(
        database_url=database_url,
        var_dir=tmp_path / "var",
        broker_url=redis_server.url,
        # The message's own budget is longer than the task's soft limit here.
        extra={"CONSULTANT_MESSAGE_TIME_BUDGET": "120"},
    )
    env.var_dir.mkdir()
    env.consultant("accounts", "create", ASKER)
    slow = store_inbound(database_url, question_bytes(ASKER, f"Is 63057 ok? {SLOW_MARKER}"))
    after = [store_inbound(database_url, question_bytes(ASKER, f"Is 6305{n} ok?")) for n in (6, 7)]
    worker = start_worker(env, concurrency=1, app="tests.integration.soft_limit_app")
    celery_app = make_app(Settings(broker_url=redis_server.url, var_dir=env.var_dir))
    try:
        CeleryTaskQueue(celery_app).enqueue_many("ingest", [slow, *after])  # one batch message

        def rest_done() -> bool:
            return all(row.status == "done" for row in _rows(database_url, after))

        try:
            wait_until(rest_done, timeout=90, interval=0.3)
        except TimeoutError:
            pytest.fail(log_tail(env))
        hit = _rows(database_url, [slow])[0]
        assert hit.attempts >= 1
        assert hit.last_error is not None and hit.last_error.startswith("SoftTimeLimitExceeded")
        for row in _rows(database_url, after):
            assert (row.status, row.disposition, row.attempts) == ("done", "accepted", 1)
            assert row.last_error is None
        # The batch the limit hit ended there; its other rows were done by a later task.
        assert "{'done': 0, 'failed': 1}" in log_tail(env, lines=10_000)
    finally:
        stop(worker)
        celery_app.close()
