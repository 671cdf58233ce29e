"""The poller lease: one poller per mailbox at a time, even on several machines.

A row per mailbox names its holder and when the claim expires. A poller
takes the lease when the row is free or expired, renews it well before it
expires, and lets it go on a clean exit; a poller killed with ``kill -9``
simply lets it expire. The database clock decides expiry (PostgreSQL's
``now()``), so machines with skewed clocks still agree. The lease keeps
pollers from doing the same work twice; correctness does not depend on it:
the ledger's unique key stops a second store even if two pollers overlap.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import time
import uuid

from sqlalchemy import Table, delete, or_, update

from consultant.db import unit_of_work
from consultant.inbound.models import PollerLease
from consultant.inbound.store import database_now, insert_ignoring_conflict


def new_holder_id() -> str:
    """A name for this poller that says where it runs: host, process id and a random part."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class MailboxLease:
    """The lease on one mailbox for one holder; call :meth:`acquire`, then :meth:`keep`."""

    def __init__(
        self, database_url: str, mailbox: str, holder: str | None = None, ttl: float = 60.0
    ) -> None:
        self.database_url = database_url
        self.mailbox = mailbox
        self.holder = holder or new_holder_id()
        self.ttl = ttl
        self._renew_after = 0.0

    def acquire(self) -> bool:
        """Take (or renew) the lease if it is free, expired or already ours."""
        with unit_of_work(self.database_url) as session:
            now = database_now(session)
            expires_at = now + dt.timedelta(seconds=self.ttl)
            table = PollerLease.__table__
            assert isinstance(table, Table)
            inserted = insert_ignoring_conflict(
                session,
                table,
                {"mailbox": self.mailbox, "holder": self.holder, "expires_at": expires_at},
                ["mailbox"],
            )
            if inserted is None:
                # One UPDATE decides atomically: both databases lock the row, and
                # PostgreSQL re-checks the WHERE on the row a concurrent winner wrote.
                result = session.execute(
                    update(PollerLease)
                    .where(
                        PollerLease.mailbox == self.mailbox,
                        or_(PollerLease.holder == self.holder, PollerLease.expires_at < now),
                    )
                    .values(holder=self.holder, expires_at=expires_at)
                    .execution_options(synchronize_session=False)
                )
                if result.rowcount != 1:  # type: ignore[attr-defined]
                    return False
        # Renew after a third of the time-to-live: two chances before it expires.
        self._renew_after = time.monotonic() + self.ttl / 3
        return True

    def keep(self) -> bool:
        """Renew the lease when a third of its life has passed; False if it was lost."""
        if time.monotonic() < self._renew_after:
            return True
        return self.acquire()

    def seconds_until_renewal(self) -> float:
        return max(0.0, self._renew_after - time.monotonic())

    def release(self) -> None:
        """Give the lease up (only if still ours), so another poller can start at once."""
        with unit_of_work(self.database_url) as session:
            session.execute(
                delete(PollerLease).where(
                    PollerLease.mailbox == self.mailbox, PollerLease.holder == self.holder
                )
            )
        self._renew_after = 0.0
