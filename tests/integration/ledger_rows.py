"""Writing ledger rows straight into a test database, as the poller would."""

from __future__ import annotations

import hashlib
import itertools

from consultant.db import unit_of_work
from consultant.mail.models import InboundMessage

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
    """A real in-process TaskQueue that keeps what was enqueued, in order."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, int]] = []

    def enqueue(self, task_name: str, row_id: int) -> None:
        self.sent.append((task_name, row_id))
