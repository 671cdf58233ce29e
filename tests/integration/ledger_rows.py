"""Writing ledger rows straight into a test database, as the poller would."""

from __future__ import annotations

import hashlib
import itertools
import threading
import time
from collections.abc import Sequence

from consultant.db import unit_of_work
from consultant.inbound.models import InboundMessage

_uids = itertools.count(1)


def store_inbound(
    database_url: str, raw: bytes | None, *, size: int | None = None, **fields: object
) -> int:
    """Add one ledger row as the poller stores it ("stored"); returns its id."""
    with unit_of_work(database_url) as session:
        row = InboundMessage(
            mailbox="maildir:/test",
            uidvalidity=1,
            uid=next(_uids),
            sha256=hashlib.sha256(raw or b"").hexdigest(),
            size=size if size is not None else len(raw or b""),
            raw=raw,
            status="stored",
            rule_hits=[],
            attempts=0,
            **fields,
        )
        session.add(row)
        session.flush()
        return row.id


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

    def enqueue_many(self, task_name: str, row_ids: Sequence[int]) -> None:
        for row_id in row_ids:
            self.enqueue(task_name, row_id)
