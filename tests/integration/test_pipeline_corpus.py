"""CPython's own odd email corpus through the whole pipeline: each ends recorded, none lost.

The corpus is the ``data`` folder beside ``test.test_email`` in the running
Python (found through importlib, never copied): malformed MIME, odd charsets,
missing boundaries, multipart/report and more. After it, a normal question
still becomes a draft, so no message left the pipeline stuck.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
from pathlib import Path
from typing import Any

from sqlalchemy import select

from consultant.accounts.services import create_account
from consultant.db import unit_of_work
from consultant.inbound.models import InboundMessage
from consultant.mail.parsing import parse_message
from tests.integration.pipeline_fixtures import ASKER, assert_exactly_once, sweep_until_all_done
from tests.integration.pipeline_processes import (
    PipelineEnv,
    start_poller,
    start_worker,
    stop,
)
from tests.integration.question_mail import question_bytes
from tests.servers import DovecotServer, RedisServer


def _corpus() -> list[bytes]:
    spec = importlib.util.find_spec("test.test_email")
    assert spec is not None and spec.origin is not None, "test.test_email is not installed"
    data = Path(spec.origin).parent / "data"
    files = sorted(data.glob("msg_*.txt"))
    assert len(files) >= 45, f"only {len(files)} corpus files in {data}"
    return [path.read_bytes() for path in files]


def test_cpython_email_corpus_each_ends_with_a_disposition(
    pipeline: PipelineEnv, dovecot: DovecotServer
) -> None:
    corpus = _corpus()
    for raw in corpus:
        dovecot.append(raw)
    dovecot.append(question_bytes(ASKER, "After the corpus: is 63057 an add-on?"))
    total = len(corpus) + 1
    worker, poller = start_worker(pipeline), start_poller(pipeline)
    try:
        sweep_until_all_done(pipeline, total, stuck_after=10.0, timeout=180)
    finally:
        stop(poller)
        stop(worker)
    found = assert_exactly_once(pipeline.database_url, total)
    assert "None" not in found and sum(found.values()) == total
    assert found["accepted"] >= 1  # at least the question after the corpus
    assert any(draft["to"] == ASKER for draft in pipeline.pending_drafts())
    assert dovecot.uids("INBOX") == []


EML_DIR = Path(__file__).resolve().parents[1] / "data" / "eml"


def _normalised_hash(raw: bytes) -> str:
    # Dovecot stores what IMAP carries, CRLF line ends; the fixture files have LF.
    return hashlib.sha256(raw.replace(b"\r\n", b"\n")).hexdigest()


def test_real_client_mail_gets_the_expected_disposition_through_the_pipeline(
    database_url: str, tmp_path: Path, dovecot: DovecotServer, redis_server: RedisServer
) -> None:
    """The .eml fixtures of real clients and servers (tests/data/eml/expected.json), end to end."""
    expected: dict[str, dict[str, Any]] = json.loads((EML_DIR / "expected.json").read_text())
    env = PipelineEnv(
        database_url=database_url,
        var_dir=tmp_path / "var",
        broker_url=redis_server.url,
        imap_url=dovecot.url(),
        # The address and size cap the fixtures' table was written for.
        extra={
            "CONSULTANT_REPLY_FROM": "consultant@example.org",
            "CONSULTANT_MAX_MESSAGE_BYTES": "50000",
        },
    )
    env.var_dir.mkdir()
    by_hash: dict[str, str] = {}
    senders = set()
    for name in sorted(expected):
        raw = (EML_DIR / name).read_bytes()
        by_hash[_normalised_hash(raw)] = name
        sender = parse_message(raw).from_address
        if sender and expected[name].get("known_sender", True):
            senders.add(sender)
        dovecot.append(raw)
    with unit_of_work(env.database_url) as session:
        for sender in sorted(senders - {"consultant@example.org"}):
            create_account(session, sender)

    worker, poller = start_worker(env), start_poller(env)
    try:
        sweep_until_all_done(env, len(expected), stuck_after=10.0, timeout=180)
    finally:
        stop(poller)
        stop(worker)
    assert_exactly_once(env.database_url, len(expected))
    with unit_of_work(env.database_url) as session:
        rows = session.execute(select(InboundMessage.raw, InboundMessage.disposition)).all()
    got, unmatched = {}, []
    for raw, disposition in rows:
        # A message over the cap was never downloaded: it is the one too-large fixture.
        name = by_hash.get(_normalised_hash(raw)) if raw is not None else "huge_message.eml"
        if name is None:
            unmatched.append(disposition)  # bytes IMAP cannot carry as they were (NULs)
        else:
            got[name] = disposition
    wanted = {name: entry["disposition"] for name, entry in expected.items()}
    assert got == {name: wanted[name] for name in got}
    left = sorted(wanted[name] for name in set(wanted) - set(got))
    assert sorted(unmatched) == left and len(unmatched) <= 1
