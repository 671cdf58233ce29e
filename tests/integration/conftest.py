"""Fixtures with real servers: Dovecot IMAP, an SMTP sink, Redis; and a recording task queue.

Each server runs on a free loopback port in its own temporary folder and is
stopped when the test (or module) is done. Reuse them from any integration
test: ``def test_x(dovecot: DovecotServer, database_url: str): ...``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from tests.servers import DovecotServer, RedisServer, SmtpSink


class RecordingQueue:
    """A real in-process TaskQueue that keeps what was enqueued and lets a test wait for it."""

    def __init__(self) -> None:
        self.enqueued: list[tuple[str, int]] = []
        self.enqueued_at: list[float] = []
        self._changed = threading.Condition()

    def enqueue(self, task_name: str, row_id: int) -> None:
        with self._changed:
            self.enqueued.append((task_name, row_id))
            self.enqueued_at.append(time.monotonic())
            self._changed.notify_all()

    def wait_for(self, count: int, timeout: float = 15.0) -> list[tuple[str, int]]:
        """Block until ``count`` tasks were enqueued; raise TimeoutError otherwise."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self.enqueued) >= count, timeout):
                raise TimeoutError(f"{len(self.enqueued)} of {count} tasks enqueued")
            return list(self.enqueued)

    @property
    def row_ids(self) -> list[int]:
        with self._changed:
            return [row_id for _, row_id in self.enqueued]


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
