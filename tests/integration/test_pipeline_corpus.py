"""CPython's own odd email corpus through the whole pipeline: each ends recorded, none lost.

The corpus is the ``data`` folder beside ``test.test_email`` in the running
Python (found through importlib, never copied): malformed MIME, odd charsets,
missing boundaries, multipart/report and more. After it, a normal question
still becomes a draft, so no message left the pipeline stuck.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from tests.integration import pipeline_fixtures
from tests.integration.pipeline_fixtures import ASKER, all_done, assert_exactly_once, sweep
from tests.integration.pipeline_processes import (
    PipelineEnv,
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


def _corpus() -> list[bytes]:
    spec = importlib.util.find_spec("test.test_email")
    assert spec is not None and spec.origin is not None, "test.test_email is not installed"
    data = Path(spec.origin).parent / "data"
    files = sorted(data.glob("msg_*.txt"))
    assert len(files) >= 45, f"only {len(files)} corpus files in {data}"
    return [path.read_bytes() for path in files]


def test_cpython_email_corpus_each_ends_with_a_disposition(
    pipeline: PipelineEnv, pipeline_dovecot: DovecotServer
) -> None:
    corpus = _corpus()
    for raw in corpus:
        pipeline_dovecot.append(raw)
    pipeline_dovecot.append(question_bytes(ASKER, "After the corpus: is 63057 an add-on?"))
    total = len(corpus) + 1
    worker, poller = start_worker(pipeline), start_poller(pipeline)
    try:

        def finished() -> bool:
            sweep(pipeline, stuck_after=10.0)
            return all_done(pipeline.database_url, total)

        try:
            wait_until(finished, timeout=180, interval=1.0)
        except TimeoutError:
            pytest.fail(log_tail(pipeline))
    finally:
        stop(poller)
        stop(worker)
    found = assert_exactly_once(pipeline.database_url, total)
    assert "None" not in found and sum(found.values()) == total
    assert found["accepted"] >= 1  # at least the question after the corpus
    assert any(draft["to"] == ASKER for draft in pipeline.pending_drafts())
    assert pipeline_dovecot.uids("INBOX") == []
