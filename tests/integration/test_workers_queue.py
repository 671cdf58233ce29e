"""The Celery-backed task queue against a real Redis: ids only; a down broker after a commit
is logged once and the committed rows are left to the sweeper."""

from __future__ import annotations

import base64
import json
import logging
from pathlib import Path

import kombu.exceptions
import pytest
import redis

from consultant.config import Settings
from consultant.db import enqueue_after_commit, unit_of_work
from consultant.inbound.models import InboundMessage
from tests.integration.ledger_rows import store_inbound
from tests.integration.question_mail import question_bytes
from tests.servers import RedisServer, free_port
from workers.app import TASK_TIME_LIMIT, VISIBILITY_TIMEOUT, make_app
from workers.queue import BATCH_SIZE, CeleryTaskQueue


def test_enqueue_sends_only_the_task_name_and_row_id(redis_server: RedisServer) -> None:
    celery_app = make_app(Settings(broker_url=redis_server.url))
    CeleryTaskQueue(celery_app).enqueue("ingest", 42)

    client = redis.Redis.from_url(redis_server.url)
    queued = client.lrange("celery", 0, -1)
    assert len(queued) == 1
    envelope = json.loads(queued[0])
    assert envelope["headers"]["task"] == "workers.tasks.ingest"
    assert envelope["content-type"] == "application/json"
    body = json.loads(base64.b64decode(envelope["body"]))
    assert body[0] == [42] and body[1] == {}  # args, kwargs: the id and nothing else
    celery_app.close()


def test_enqueue_after_commit_with_the_broker_down_logs_and_keeps_the_rows(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    nobody_listens = f"redis://127.0.0.1:{free_port()}/0"
    celery_app = make_app(Settings(broker_url=nobody_listens))
    with pytest.raises(kombu.exceptions.OperationalError):
        CeleryTaskQueue(celery_app).enqueue("ingest", 7)  # the adapter itself says so
    row_id = store_inbound(database_url, question_bytes())
    with (
        caplog.at_level(logging.WARNING, logger="consultant.db"),
        unit_of_work(database_url) as session,
    ):
        enqueue_after_commit(session, "ingest", [row_id], CeleryTaskQueue(celery_app))
    assert "the sweeper will re-enqueue them" in caplog.text
    assert "for 1 rows failed (OperationalError)" in caplog.text
    with unit_of_work(database_url) as session:
        assert session.get_one(InboundMessage, row_id).status == "stored"
    celery_app.close()


def test_reliability_settings() -> None:
    conf = make_app(Settings(broker_url="redis://127.0.0.1:1/0")).conf
    assert conf.task_acks_late and conf.task_reject_on_worker_lost
    assert conf.worker_prefetch_multiplier == 1
    assert conf.accept_content == ["json"] and conf.task_serializer == "json"
    assert conf.broker_transport_options["visibility_timeout"] > TASK_TIME_LIMIT
    assert VISIBILITY_TIMEOUT > conf.task_time_limit > conf.task_soft_time_limit
    assert {"sweep-stuck-inbound", "purge-raw-mail"} <= set(conf.beat_schedule)


def test_embedded_default_is_a_filesystem_broker_under_var(tmp_path: Path) -> None:
    var_dir = tmp_path / "var"
    conf = make_app(Settings(var_dir=var_dir)).conf
    assert conf.broker_url == "filesystem://"
    queue_dir = Path(conf.broker_transport_options["data_folder_in"])
    assert queue_dir == (var_dir / "broker" / "queue").resolve() and queue_dir.is_dir()


def test_enqueue_many_sends_batches_of_ids_only(redis_server: RedisServer) -> None:
    celery_app = make_app(Settings(broker_url=redis_server.url))
    CeleryTaskQueue(celery_app).enqueue_many("ingest", list(range(1, BATCH_SIZE + 6)))

    client = redis.Redis.from_url(redis_server.url)
    sent = [json.loads(raw) for raw in reversed(client.lrange("celery", 0, -1))]
    assert [envelope["headers"]["task"] for envelope in sent] == ["workers.tasks.ingest_batch"] * 2
    bodies = [json.loads(base64.b64decode(envelope["body"])) for envelope in sent]
    assert [body[0] for body in bodies] == [
        [list(range(1, BATCH_SIZE + 1))],
        [list(range(BATCH_SIZE + 1, BATCH_SIZE + 6))],
    ]
    assert all(body[1] == {} for body in bodies)
    celery_app.close()
