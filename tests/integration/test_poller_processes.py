"""``consultant poll`` as real processes: kill -9 mid-run, two started at once, SIGTERM."""

from __future__ import annotations

import hashlib
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from consultant.db import unit_of_work
from consultant.inbound.models import InboundMessage, PollerLease
from tests.integration.test_mailbox_imap import make_mail
from tests.servers import DovecotServer

CONSULTANT = str(Path(sys.executable).parent / "consultant")


class Pollers:
    """Starts ``consultant poll`` processes against one mailbox and database."""

    def __init__(self, database_url: str, imap_url: str, var_dir: Path) -> None:
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("CONSULTANT_")}
        self.env.update(
            CONSULTANT_DATABASE_URL=database_url,
            CONSULTANT_IMAP_URL=imap_url,
            CONSULTANT_VAR_DIR=str(var_dir),
        )
        self.var_dir = var_dir
        self.started: list[subprocess.Popen[bytes]] = []

    def start(self, lease_seconds: float = 2.0, batch_size: int = 100) -> subprocess.Popen[bytes]:
        log_path = self.var_dir / f"poller-{len(self.started)}.log"
        with open(log_path, "ab") as log:
            process = subprocess.Popen(
                [
                    CONSULTANT,
                    "poll",
                    "--safety-poll",
                    "2",
                    "--lease-seconds",
                    str(lease_seconds),
                    "--batch-size",
                    str(batch_size),
                ],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.started.append(process)
        return process

    def log(self, index: int) -> str:
        return (self.var_dir / f"poller-{index}.log").read_text(errors="replace")

    def stop_all(self) -> None:
        for process in self.started:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@pytest.fixture
def pollers(database_url: str, dovecot: DovecotServer, tmp_path: Path) -> Iterator[Pollers]:
    var_dir = tmp_path / "var"
    var_dir.mkdir()
    running = Pollers(database_url, dovecot.url(), var_dir)
    yield running
    running.stop_all()


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        time.sleep(0.1)


def lease_holder(database_url: str) -> str:
    with unit_of_work(database_url) as session:
        return session.scalar(sa.select(PollerLease.holder)) or ""


def ledger_hashes(database_url: str) -> list[str]:
    with unit_of_work(database_url) as session:
        return list(session.scalars(sa.select(InboundMessage.sha256)))


def test_kill_9_during_a_run_then_restart_stores_every_message_exactly_once(
    database_url: str, dovecot: DovecotServer, pollers: Pollers
) -> None:
    mails = [make_mail(n) for n in range(300)]
    for mail in mails[:100]:
        dovecot.append(mail)
    appender = threading.Thread(
        target=lambda: [dovecot.append(mail) or time.sleep(0.01) for mail in mails[100:]]
    )
    appender.start()
    rng = random.Random(5)
    for kill in range(10):
        poller = pollers.start(batch_size=7)
        wait_until(
            lambda pid=poller.pid: f":{pid}:" in lease_holder(database_url),
            timeout=30,
            what="a restarted poller to take the lease",
        )
        if kill % 2 == 0:
            # Kill it in the middle of a pass: right after it committed a batch.
            # Once every message is stored no batch is left to commit: do not wait for one.
            stored = len(ledger_hashes(database_url))
            wait_until(
                lambda before=stored: (
                    len(ledger_hashes(database_url)) > before or before >= len(mails)
                ),
                timeout=30,
                what="the poller to commit a batch",
            )
        else:
            time.sleep(rng.uniform(0.0, 0.4))
        os.killpg(poller.pid, signal.SIGKILL)
        poller.wait()
    poller = pollers.start(batch_size=7)
    appender.join()
    wait_until(
        lambda: len(ledger_hashes(database_url)) >= len(mails) and not dovecot.uids("INBOX"),
        timeout=60,
        what="the restarted poller to take every message",
    )
    # SIGTERM once it is surely running (holding the lease), not while it still imports.
    wait_until(
        lambda: f":{poller.pid}:" in lease_holder(database_url),
        timeout=30,
        what="the last poller to take the lease",
    )
    poller.send_signal(signal.SIGTERM)
    assert poller.wait(timeout=15) == 0
    hashes = ledger_hashes(database_url)
    assert sorted(hashes) == sorted(hashlib.sha256(mail).hexdigest() for mail in mails)
    assert sorted(dovecot.messages("Processed")) == sorted(mails)
    # The clean stop released the lease.
    with unit_of_work(database_url) as session:
        assert session.scalars(sa.select(PollerLease)).all() == []


def test_two_pollers_started_at_once_store_nothing_twice(
    database_url: str, dovecot: DovecotServer, pollers: Pollers
) -> None:
    first, second = pollers.start(lease_seconds=30), pollers.start(lease_seconds=30)
    mails = [make_mail(n) for n in range(30)]
    for mail in mails:
        dovecot.append(mail)
    wait_until(
        lambda: len(ledger_hashes(database_url)) >= len(mails) and not dovecot.uids("INBOX"),
        timeout=30,
        what="the pollers to take every message",
    )
    assert sorted(ledger_hashes(database_url)) == sorted(
        hashlib.sha256(mail).hexdigest() for mail in mails
    )
    # Exactly one of them held the lease; the other waited.
    wait_until(
        lambda: "holds the lease" in pollers.log(0) + pollers.log(1),
        timeout=30,
        what="the second poller to report that it waits",
    )
    waiting = [i for i in (0, 1) if "holds the lease" in pollers.log(i)]
    working = [i for i in (0, 1) if "stored" in pollers.log(i)]
    assert len(waiting) == 1 and working == [1 - waiting[0]]
    for process in (first, second):
        process.send_signal(signal.SIGTERM)
    assert [first.wait(timeout=15), second.wait(timeout=15)] == [0, 0]
