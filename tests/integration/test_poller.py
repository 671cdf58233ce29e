"""The poller against a real Dovecot and a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
import sqlalchemy as sa

from consultant.config import Settings
from consultant.db import unit_of_work
from consultant.inbound.lease import MailboxLease
from consultant.inbound.models import InboundMessage, MailboxState
from consultant.inbound.poll_loop import StopSignal, run_forever
from consultant.inbound.poller import poll_once
from consultant.mail.imap_source import ImapSource
from tests.conftest import drop_database, make_database
from tests.databases import set_postgres_connections
from tests.integration.ledger_rows import RecordingQueue
from tests.integration.test_mailbox_imap import make_mail
from tests.servers import DovecotServer


class FetchCountingSource(ImapSource):
    """The real IMAP source, noting which UIDs had their body downloaded."""

    fetched: list[int]

    def fetch(self, uids: Sequence[int]) -> dict[int, bytes]:
        self.fetched.extend(uids)
        return super().fetch(uids)


class CrashBeforeMoveSource(ImapSource):
    """The real IMAP source whose first move fails, as if the poller died right after commit."""

    crashed = False

    def mark_processed(self, uids: Sequence[int]) -> None:
        if not self.crashed:
            self.crashed = True
            raise RuntimeError("killed between commit and move")
        super().mark_processed(uids)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(var_dir=tmp_path / "var", max_message_bytes=2000)


@pytest.fixture
def imap(dovecot: DovecotServer) -> Iterator[ImapSource]:
    source = ImapSource.from_url(dovecot.url())
    source.open()
    yield source
    source.close()


def ledger(database_url: str) -> list[InboundMessage]:
    with unit_of_work(database_url) as session:
        return list(session.scalars(sa.select(InboundMessage).order_by(InboundMessage.uid)))


def test_appended_mail_is_stored_queued_and_moved(
    database_url: str,
    dovecot: DovecotServer,
    imap: ImapSource,
    settings: Settings,
    recording_queue: RecordingQueue,
) -> None:
    mails = [make_mail(n) for n in range(3)]
    uids = [dovecot.append(mail) for mail in mails]
    report = poll_once(database_url, imap, settings, recording_queue, batch_size=2)
    assert (report.stored, report.moved) == (3, 3)
    rows = ledger(database_url)
    assert [row.uid for row in rows] == uids
    assert [row.raw for row in rows] == mails
    assert [row.sha256 for row in rows] == [hashlib.sha256(m).hexdigest() for m in mails]
    assert {row.mailbox for row in rows} == {imap.identity}
    assert {row.uidvalidity for row in rows} == {dovecot.uidvalidity()}
    assert {row.status for row in rows} == {"stored"}
    assert {row.disposition for row in rows} == {None}
    assert recording_queue.enqueued == [("ingest", row.id) for row in rows]
    assert dovecot.uids("INBOX") == []
    assert dovecot.messages("Processed") == mails
    with unit_of_work(database_url) as session:
        state = session.scalars(sa.select(MailboxState)).one()
        assert (state.uidvalidity, state.last_uid) == (dovecot.uidvalidity(), uids[-1])
    # A second pass finds nothing and stores nothing.
    assert poll_once(database_url, imap, settings, recording_queue).stored == 0
    assert len(ledger(database_url)) == 3


def test_too_large_mail_is_recorded_without_downloading_its_body(
    database_url: str, dovecot: DovecotServer, settings: Settings, recording_queue: RecordingQueue
) -> None:
    small, large = make_mail(1), make_mail(2, body_size=5000)
    dovecot.append(small)
    large_uid = dovecot.append(large)
    source = FetchCountingSource.from_url(dovecot.url())
    assert isinstance(source, FetchCountingSource)
    source.fetched = []
    source.open()
    try:
        report = poll_once(database_url, source, settings, recording_queue)
    finally:
        source.close()
    assert (report.stored, report.too_large) == (1, 1)
    assert large_uid not in source.fetched
    row = next(row for row in ledger(database_url) if row.uid == large_uid)
    assert row.raw is None
    assert row.size == len(large)
    assert row.status == "stored"
    assert row.headers is not None and b"Subject: question 2" in row.headers
    assert b"xxxx" not in row.headers
    assert row.sha256 == hashlib.sha256(row.headers).hexdigest()
    assert len(recording_queue.enqueued) == 2
    assert dovecot.uids("INBOX") == []


def test_crash_between_commit_and_move_stores_once_then_moves(
    database_url: str, dovecot: DovecotServer, settings: Settings, recording_queue: RecordingQueue
) -> None:
    dovecot.append(make_mail(1))
    source = CrashBeforeMoveSource.from_url(dovecot.url())
    source.open()
    try:
        with pytest.raises(RuntimeError):
            poll_once(database_url, source, settings, recording_queue)
        assert len(ledger(database_url)) == 1
        assert len(dovecot.uids("INBOX")) == 1  # stored, not moved
        report = poll_once(database_url, source, settings, recording_queue)
    finally:
        source.close()
    assert (report.stored, report.already_stored, report.moved) == (0, 1, 1)
    assert len(ledger(database_url)) == 1
    assert len(recording_queue.enqueued) == 1
    assert dovecot.uids("INBOX") == []


def test_uidvalidity_change_rescans_and_dedupes_by_content(
    database_url: str,
    dovecot: DovecotServer,
    settings: Settings,
    recording_queue: RecordingQueue,
    caplog: pytest.LogCaptureFixture,
) -> None:
    dovecot.append(make_mail(1))
    source = CrashBeforeMoveSource.from_url(dovecot.url())
    source.open()
    with pytest.raises(RuntimeError):
        poll_once(database_url, source, settings, recording_queue)
    source.close()
    old_uidvalidity = dovecot.uidvalidity()
    # The server renumbers the mailbox (a rebuild or a migration) before our move happened.
    dovecot.set_uidvalidity(old_uidvalidity + 1000)
    dovecot.append(make_mail(2))
    source.open()
    try:
        with caplog.at_level(logging.WARNING, logger="consultant.inbound.poller"):
            report = poll_once(database_url, source, settings, recording_queue)
    finally:
        source.close()
    assert "UIDVALIDITY" in caplog.text
    assert (report.stored, report.same_content, report.moved) == (1, 1, 2)
    rows = ledger(database_url)
    assert sorted(row.raw or b"" for row in rows) == [make_mail(1), make_mail(2)]
    assert {row.uidvalidity for row in rows} == {old_uidvalidity, old_uidvalidity + 1000}
    assert dovecot.uids("INBOX") == []
    with unit_of_work(database_url) as session:
        assert session.scalars(sa.select(MailboxState)).one().uidvalidity == old_uidvalidity + 1000


def test_two_pollers_at_once_never_store_a_message_twice(
    database_url: str, dovecot: DovecotServer, settings: Settings, recording_queue: RecordingQueue
) -> None:
    """Even without the lease (as when a lease expired under a stalled poller)."""
    mails = [make_mail(n) for n in range(40)]
    for mail in mails:
        dovecot.append(mail)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def one_poller() -> None:
        source = ImapSource.from_url(dovecot.url())
        source.open()
        try:
            barrier.wait()
            poll_once(database_url, source, settings, recording_queue, batch_size=5)
        except BaseException as exc:
            errors.append(exc)
        finally:
            source.close()

    threads = [threading.Thread(target=one_poller) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    rows = ledger(database_url)
    assert sorted(row.raw or b"" for row in rows) == sorted(mails)
    assert len(recording_queue.enqueued) == len(mails)
    assert len(set(recording_queue.row_ids)) == len(mails)
    assert dovecot.uids("INBOX") == []


def test_run_forever_wakes_on_idle_reconnects_and_holds_the_lease(
    database_url: str, dovecot: DovecotServer, settings: Settings, recording_queue: RecordingQueue
) -> None:
    stop = StopSignal()
    source = ImapSource.from_url(dovecot.url())
    lease = MailboxLease(database_url, source.identity, ttl=6)
    poller = threading.Thread(
        target=run_forever,
        args=(database_url, source, settings, recording_queue),
        kwargs={"stop": stop, "lease": lease, "backoff_seconds": (0.2, 1.0)},
    )
    poller.start()
    try:
        # A second poller on the same mailbox does not get the lease while the first runs.
        second = MailboxLease(database_url, source.identity, ttl=6)
        deadline = time.monotonic() + 10
        while not lease.seconds_until_renewal() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert second.acquire() is False

        latencies = []
        for n in range(3):
            appended = time.monotonic()
            dovecot.append(make_mail(n))
            recording_queue.wait_for(n + 1, timeout=10)
            latencies.append(recording_queue.enqueued_at[n] - appended)
        # Dovecot announces new mail to IDLE about 0.5 s after it arrives.
        assert max(latencies) < 2.0, latencies

        dovecot.restart()
        dovecot.append(make_mail(99))
        recording_queue.wait_for(4, timeout=15)
    finally:
        stop.stop()
        poller.join(timeout=15)
    assert not poller.is_alive()
    assert len(ledger(database_url)) == 4
    assert dovecot.uids("INBOX") == []
    # A clean stop gives the lease up at once.
    assert second.acquire() is True


def test_run_forever_survives_the_database_going_away(
    dovecot: DovecotServer, settings: Settings, recording_queue: RecordingQueue, tmp_path: Path
) -> None:
    """PostgreSQL refuses connections for a while (a restart, a failover); nothing is lost."""
    database_url = make_database("postgresql", tmp_path)
    stop = StopSignal()
    source = ImapSource.from_url(dovecot.url())
    poller = threading.Thread(
        target=run_forever,
        args=(database_url, source, settings, recording_queue),
        kwargs={"stop": stop, "backoff_seconds": (0.2, 0.5), "safety_poll_seconds": 1},
    )
    poller.start()
    try:
        dovecot.append(make_mail(1))
        recording_queue.wait_for(1)
        set_postgres_connections(database_url, allowed=False)
        dovecot.append(make_mail(2))
        time.sleep(1.5)  # the poller fails and backs off meanwhile
        assert len(recording_queue.enqueued) == 1
        set_postgres_connections(database_url, allowed=True)
        recording_queue.wait_for(2, timeout=15)
    finally:
        stop.stop()
        poller.join(timeout=15)
        drop_database(database_url)
    assert dovecot.uids("INBOX") == []
