"""Fixtures with real servers: Dovecot IMAP, an SMTP sink, Redis; and a recording task queue.

Each server runs on a free loopback port in its own temporary folder and is
stopped when the test (or module) is done. Reuse them from any integration
test: ``def test_x(dovecot: DovecotServer, database_url: str): ...``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.ledger_rows import RecordingQueue
from tests.integration.pipeline_fixtures import pipeline  # noqa: F401 - a fixture, found here
from tests.servers import DovecotServer, RedisServer, SmtpSink


@pytest.fixture
def recording_queue() -> RecordingQueue:
    return RecordingQueue()


@pytest.fixture
def dovecot() -> Iterator[DovecotServer]:
    """A fresh Dovecot with an empty mailbox for one test."""
    server = DovecotServer()
    server.start()
    yield server
    server.cleanup()


@pytest.fixture
def tls_dovecot() -> Iterator[DovecotServer]:
    """A Dovecot offering STARTTLS and imaps, with a self-signed certificate for 127.0.0.1."""
    server = DovecotServer(tls=True)
    server.start()
    yield server
    server.cleanup()


@pytest.fixture(scope="module")
def shared_dovecot() -> Iterator[DovecotServer]:
    """One Dovecot for a whole module (tests must use their own folders or users)."""
    server = DovecotServer()
    server.start()
    yield server
    server.cleanup()


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    """An SMTP server that keeps every message it receives (``smtp_sink.wait_for(n)``)."""
    sink = SmtpSink()
    sink.start()
    yield sink
    sink.stop()


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    """A Redis without persistence: ``redis_server.restart()`` loses every queued message."""
    server = RedisServer()
    server.start()
    yield server
    server.cleanup()
