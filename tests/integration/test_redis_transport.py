"""A worker outlives Redis going away while a task runs (workers.redis_transport).

With kombu's stock Redis transport this exact sequence ends the worker with
"Unrecoverable error: AttributeError", after which nothing is consumed.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from consultant.config import Settings
from tests.integration.pipeline_processes import (
    PipelineEnv,
    log_tail,
    start_worker,
    stop,
    wait_until,
)
from tests.servers import RedisServer
from workers.app import make_app
from workers.redis_transport import TRANSPORT_PATH


def test_the_redis_broker_uses_the_repaired_transport(tmp_path: Path) -> None:
    redis_app = make_app(Settings(broker_url="redis://127.0.0.1:1/0", var_dir=tmp_path))
    tls_app = make_app(Settings(broker_url="rediss://127.0.0.1:1/0", var_dir=tmp_path))
    assert redis_app.conf.broker_transport == TRANSPORT_PATH
    assert tls_app.conf.broker_transport is None


def test_a_worker_survives_redis_stopping_while_a_task_runs(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    env = PipelineEnv(
        database_url=f"sqlite:///{tmp_path / 'unused.sqlite3'}",
        var_dir=tmp_path / "var",
        broker_url=redis_server.url,
    )
    env.var_dir.mkdir()
    markers = tmp_path / "markers"
    markers.mkdir()
    producer = make_app(Settings(broker_url=redis_server.url, var_dir=env.var_dir))
    worker = start_worker(env, app="tests.integration.slow_task_app")
    try:
        producer.send_task("tests.slow_touch", args=[str(markers), "first", 3.0])
        wait_until(lambda: (markers / "first.started").exists(), timeout=60)
        redis_server.stop()  # the task is running, its message unacknowledged
        time.sleep(2)
        assert worker.poll() is None, log_tail(env)
        redis_server.start()
        producer.send_task("tests.slow_touch", args=[str(markers), "second", 0.0])
        try:
            wait_until(lambda: (markers / "second.done").exists(), timeout=60)
        except TimeoutError:
            pytest.fail(log_tail(env))
        assert worker.poll() is None
        assert "Unrecoverable error" not in log_tail(env, lines=10_000)
    finally:
        stop(worker)
