"""The whole pipeline with its real processes: Dovecot -> poller -> Redis -> worker -> database.

No step is faked: mail is APPENDed over IMAP, `consultant poll` and
`celery -A workers.app worker` run as subprocesses, and the result is read
with `consultant review list --json`, as an operator would.
"""

from __future__ import annotations

import pytest

from tests.integration.pipeline_fixtures import ASKER, assert_exactly_once, sweep_until_all_done
from tests.integration.pipeline_processes import (
    PipelineEnv,
    log_tail,
    start_poller,
    start_worker,
    stop,
    wait_until,
)
from tests.integration.question_mail import question_bytes
from tests.servers import DovecotServer, RedisServer


def test_a_question_appended_over_imap_becomes_a_pending_draft(
    pipeline: PipelineEnv, dovecot: DovecotServer
) -> None:
    worker, poller = start_worker(pipeline), start_poller(pipeline)
    try:
        dovecot.append(
            question_bytes(ASKER, "Can 63057 be billed with 63056 for the second level?")
        )
        try:
            wait_until(lambda: bool(pipeline.pending_drafts()), timeout=60, interval=0.3)
        except TimeoutError:
            pytest.fail(log_tail(pipeline))
        [draft] = pipeline.pending_drafts()
        assert draft["kind"] == "answer" and draft["to"] == ASKER
        assert {"63056", "63057"} <= set(draft["codes"])
        assert dovecot.uids("INBOX") == []
        assert len(dovecot.uids("Processed")) == 1
    finally:
        stop(poller)
        stop(worker)
    # PHI: the processes logged ids and dispositions, never the address, subject or text.
    logs = log_tail(pipeline, lines=10_000)
    assert "ingested: accepted" in logs
    for secret in (ASKER, "Coding question", "second level", "63057"):
        assert secret not in logs, secret


def test_redis_restarted_mid_run_loses_nothing(
    pipeline: PipelineEnv, dovecot: DovecotServer, redis_server: RedisServer
) -> None:
    total = 120
    worker, poller = start_worker(pipeline), start_poller(pipeline)
    try:
        for n in range(total):
            dovecot.append(question_bytes(ASKER, f"Question {n}: is 63057 an add-on?"))
            if n == total // 3:
                redis_server.stop()  # queued and in-flight messages vanish
            if n == total // 2:
                redis_server.start()
        sweep_until_all_done(pipeline, total, stuck_after=3.0, timeout=240)
    finally:
        stop(poller)
        stop(worker)
    found = assert_exactly_once(pipeline.database_url, total)
    assert found == {"accepted": total}
