"""kill -9 of pollers and workers, again and again, during a 500-message run.

Two pollers run at once on the same mailbox the whole time (only the lease
holder works; the ledger's unique key stops a second store anyway). At the
end every message has exactly one ledger row with one disposition, every
accepted one exactly one consultation message and one draft.
"""

from __future__ import annotations

import random
import time

import pytest

from tests.integration import pipeline_fixtures
from tests.integration.pipeline_fixtures import (
    ASKER,
    all_done,
    assert_exactly_once,
    expire_poller_leases,
    sweep,
)
from tests.integration.pipeline_processes import (
    PipelineEnv,
    kill_hard,
    log_tail,
    start_poller,
    start_worker,
    stop,
    wait_until,
)
from tests.integration.question_mail import question_bytes
from tests.servers import DovecotServer

pipeline = pipeline_fixtures.pipeline
pipeline_dovecot = pipeline_fixtures.pipeline_dovecot
pipeline_redis = pipeline_fixtures.pipeline_redis

TOTAL = 500
DUPLICATES = 30  # the same bytes delivered twice: one consultation, one "duplicate"
AUTO_REPLIES = 30
ROUNDS = 12  # each round kills every poller and the worker with SIGKILL


def _messages() -> list[bytes]:
    questions = [
        question_bytes(ASKER, f"Question {n}: can 63057 be billed with 63056?")
        for n in range(TOTAL - DUPLICATES - AUTO_REPLIES)
    ]
    replies = [
        question_bytes(
            ASKER,
            f"I am out of the office until Monday ({n}).",
            subject="Out of office",
            extra_headers={"Auto-Submitted": "auto-replied"},
        )
        for n in range(AUTO_REPLIES)
    ]
    messages = questions + replies + random.Random(5).sample(questions, DUPLICATES)
    random.Random(7).shuffle(messages)
    return messages


@pytest.mark.slow
def test_kill_9_of_pollers_and_workers_loses_and_duplicates_nothing(
    pipeline: PipelineEnv, pipeline_dovecot: DovecotServer
) -> None:
    messages = _messages()
    chunk = -(-len(messages) // ROUNDS)
    pollers = [start_poller(pipeline), start_poller(pipeline)]  # two pollers at once
    worker = start_worker(pipeline)
    kills = 0
    jitter = random.Random(11)
    try:
        for start in range(0, len(messages), chunk):
            for raw in messages[start : start + chunk]:
                pipeline_dovecot.append(raw)
            # Let the pipeline get into the middle of the chunk, then crash it.
            time.sleep(jitter.uniform(0.2, 1.5))
            for process in [*pollers, worker]:
                kill_hard(process)
                kills += 1
            expire_poller_leases(pipeline.database_url)
            pollers = [start_poller(pipeline), start_poller(pipeline)]
            worker = start_worker(pipeline)

        def finished() -> bool:
            sweep(pipeline, stuck_after=10.0)  # what beat does every minute
            return all_done(pipeline.database_url, TOTAL)

        try:
            wait_until(finished, timeout=400, interval=2.0)
        except TimeoutError:
            pytest.fail(log_tail(pipeline))
    finally:
        for process in [*pollers, worker]:
            stop(process)
    assert kills >= 3 * 10
    found = assert_exactly_once(pipeline.database_url, TOTAL)
    assert found == {
        "accepted": TOTAL - DUPLICATES - AUTO_REPLIES,
        "duplicate": DUPLICATES,
        "auto_reply": AUTO_REPLIES,
    }
    assert pipeline_dovecot.uids("INBOX") == []
    assert len(pipeline_dovecot.uids("Processed")) == TOTAL
