"""A pool child killed with SIGKILL (the OOM killer) loses nothing and stops nothing.

A real worker (``celery -A workers.app worker``, concurrency 2, a SQLite
database) ingests a few hundred stored messages, on the embedded broker and
on Redis. One pool child is killed while work is in flight; then, with the
pool idle, each child in turn, so that one of the kills is sure to hit the
child that is waiting for the next task. Every message must still end done
exactly once (the beat sweeper, run here with a short timeout, may finish
what the broker did not redeliver), the worker must go on consuming new work
without the sweeper's help, and SIGTERM must still stop it.

The embedded broker used to fail this: its transport is not asynchronous,
so Celery ran its blocking loop with billiard's threaded pool, whose children
share one task pipe behind one lock, held by the child that waits for a task.
Killing that child left the others waiting on the lock forever, shutdown
included (see workers.filesystem_transport).

The recovery times are printed (``pytest -s``); they are figures, not assertions.
"""

from __future__ import annotations

import functools
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil
import pytest

from consultant.config import Settings
from tests.databases import drop_database, make_database
from tests.integration.ledger_rows import store_inbound
from tests.integration.pipeline_fixtures import (
    ASKER,
    assert_exactly_once,
    ledger_statuses,
    sweep,
)
from tests.integration.pipeline_processes import (
    PipelineEnv,
    kill_hard,
    log_tail,
    start_worker,
    wait_until,
)
from tests.integration.question_mail import question_bytes
from workers.app import make_app
from workers.queue import CeleryTaskQueue

TOTAL = 600
MORE = 20  # stored after the kills: the worker must still consume new work
CONCURRENCY = 2
#: The sweeper's timeout here (beat's is minutes): a row untouched this long is re-enqueued.
STUCK_AFTER = 20.0
SWEEP_EVERY = 5.0
#: Generous bounds for a loaded 2-core machine; a healthy run needs a fraction of them.
ALL_DONE_WITHIN = 180.0
NEW_WORK_WITHIN = 90.0
STOPS_WITHIN = 30.0


@pytest.fixture(params=["embedded", "redis"])
def worker_env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[PipelineEnv]:
    """The env of a worker on ``request.param``'s broker and a fresh SQLite database."""
    broker_url = ""  # no setting: the embedded broker under var/
    if request.param == "redis":
        broker_url = request.getfixturevalue("redis_server").url
    database_url = make_database("sqlite", tmp_path)
    env = PipelineEnv(database_url=database_url, var_dir=tmp_path / "var", broker_url=broker_url)
    env.var_dir.mkdir()
    env.consultant("accounts", "create", ASKER, "--name", "Pat")
    yield env
    drop_database(database_url)


def test_a_killed_pool_child_loses_nothing_and_stops_nothing(worker_env: PipelineEnv) -> None:
    env = worker_env
    broker = "redis" if env.broker_url else "embedded"
    ids = _store(env, TOTAL)
    worker = start_worker(env, concurrency=CONCURRENCY)
    try:
        _pool_children(worker, env)
        _enqueue(env, ids)
        _wait(env, lambda: _done(env) > 0, "the first message done", 120.0)

        # 1. Work in flight: kill the busier child, in the middle of a batch.
        victim = _busiest(_pool_children(worker, env))
        done_before, killed_at = _done(env), time.monotonic()
        victim.kill()
        next_done, all_done, swept = _sweep_until_done(env, TOTAL, done_before, killed_at)

        # 2. The pool idle: kill each child in turn, waiting for its replacement.
        for child in _pool_children(worker, env):
            child.kill()
            replaced = functools.partial(_replaced, worker, child.pid)
            _wait(env, replaced, "the killed child replaced", 30.0)

        # 3. New work is consumed, without the sweeper's help.
        more = _store(env, MORE)
        started = time.monotonic()
        _enqueue(env, more)
        _wait(
            env,
            lambda: _done(env) == TOTAL + MORE,
            "new work done after the kills",
            NEW_WORK_WITHIN,
        )
        new_work = time.monotonic() - started

        # 4. SIGTERM still stops the worker.
        started = time.monotonic()
        os.kill(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=STOPS_WITHIN)
        except subprocess.TimeoutExpired:
            pytest.fail(f"SIGTERM did not stop the worker in {STOPS_WITHIN:.0f} s\n{log_tail(env)}")
        stopped = time.monotonic() - started
    finally:
        if worker.poll() is None:
            kill_hard(worker)
    print(
        f"\n[{broker}] child killed with {TOTAL - done_before} messages to go: next one done "
        f"after {next_done:.1f} s, "
        f"all {TOTAL} done after {all_done:.1f} s ({swept} re-enqueued by the sweeper); "
        f"{MORE} new after the idle kills done in {new_work:.1f} s; SIGTERM stopped it in "
        f"{stopped:.1f} s"
    )
    assert assert_exactly_once(env.database_url, TOTAL + MORE) == {"accepted": TOTAL + MORE}


def _store(env: PipelineEnv, count: int) -> list[int]:
    """``count`` ledger rows as the poller stores them, each a different question."""
    first = len(list(ledger_statuses(env.database_url).elements()))
    return [
        store_inbound(
            env.database_url, question_bytes(ASKER, f"Question {first + n}: 63057 with 63056?")
        )
        for n in range(count)
    ]


def _enqueue(env: PipelineEnv, ids: list[int]) -> None:
    """Enqueue ``ingest`` for ``ids`` as the poller does (batches of ids through the broker)."""
    celery_app = make_app(Settings(broker_url=env.broker_url, var_dir=env.var_dir))
    try:
        CeleryTaskQueue(celery_app).enqueue_many("ingest", ids)
    finally:
        celery_app.close()


def _done(env: PipelineEnv) -> int:
    return ledger_statuses(env.database_url)["done"]


def _pids(worker: subprocess.Popen[bytes]) -> set[int]:
    if worker.poll() is not None:
        pytest.fail(f"the worker exited ({worker.returncode})")
    return {child.pid for child in psutil.Process(worker.pid).children()}


def _replaced(worker: subprocess.Popen[bytes], pid: int) -> bool:
    pids = _pids(worker)
    return pid not in pids and len(pids) == CONCURRENCY


def _pool_children(worker: subprocess.Popen[bytes], env: PipelineEnv) -> list[psutil.Process]:
    """The worker's pool processes, once all CONCURRENCY of them are up."""
    _wait(env, lambda: len(_pids(worker)) == CONCURRENCY, "the pool started", 60.0)
    return [psutil.Process(pid) for pid in sorted(_pids(worker))]


def _busiest(children: list[psutil.Process]) -> psutil.Process:
    """The child that used the most CPU over a short look: the one mid-task, if either is."""
    before = {child.pid: sum(child.cpu_times()[:2]) for child in children}
    time.sleep(0.3)
    return max(children, key=lambda child: sum(child.cpu_times()[:2]) - before[child.pid])


def _sweep_until_done(
    env: PipelineEnv, expected: int, done_before: int, since: float
) -> tuple[float, float, int]:
    """Wait until ``expected`` rows are done, sweeping as beat would; returns the seconds from
    ``since`` to the next row done and to all done, and how many rows the sweeps re-enqueued."""
    next_done: float | None = None
    swept = 0
    last_sweep = time.monotonic()
    deadline = since + ALL_DONE_WITHIN
    while time.monotonic() < deadline:
        done = _done(env)
        now = time.monotonic()
        if next_done is None and done > done_before:
            next_done = now - since
        if done == expected:
            return next_done or 0.0, now - since, swept
        if now - last_sweep >= SWEEP_EVERY:
            swept += sweep(env, stuck_after=STUCK_AFTER)
            last_sweep = now
        time.sleep(0.1)
    progress = "no row done" if next_done is None else f"next row done after {next_done:.1f} s"
    pytest.fail(
        f"{_done(env)} of {expected} done {ALL_DONE_WITHIN:.0f} s after the kill ({progress}; "
        f"{dict(ledger_statuses(env.database_url))}; {swept} swept)\n{log_tail(env)}"
    )


def _wait(env: PipelineEnv, predicate: Callable[[], bool], what: str, timeout: float) -> None:
    try:
        wait_until(predicate, timeout=timeout)
    except TimeoutError:
        pytest.fail(
            f"{what}: not within {timeout:.0f} s "
            f"({dict(ledger_statuses(env.database_url))})\n{log_tail(env)}"
        )
