"""The Maildir mailbox source and the poller on it (the embedded default)."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import sqlalchemy as sa
from click.testing import CliRunner

from consultant.cli import main
from consultant.config import Settings
from consultant.db import unit_of_work
from consultant.inbound.models import InboundMessage
from consultant.inbound.poll_loop import StopSignal, run_forever
from consultant.inbound.poller import poll_once
from consultant.mail.maildir_source import UIDLIST_NAME, MaildirSource
from consultant.mail.sources import source_from_url
from tests.integration.conftest import RecordingQueue
from tests.integration.test_mailbox_imap import make_mail


def test_uids_are_stable_across_new_to_cur_and_processed_is_a_move(tmp_path: Path) -> None:
    source = MaildirSource(tmp_path / "mail")
    source.open()
    source.deliver(make_mail(1))
    source.deliver(make_mail(2, body_size=3000))
    pending = source.list_pending()
    assert [(m.uid, m.size) for m in pending] == [
        (1, len(make_mail(1))),
        (2, len(make_mail(2, body_size=3000))),
    ]
    # A mail client reading the Maildir moves the file to cur/ and adds flags.
    (new_file,) = [p for p in (tmp_path / "mail" / "new").iterdir() if p.stat().st_size < 500]
    os.rename(new_file, tmp_path / "mail" / "cur" / f"{new_file.name}:2,S")
    assert [m.uid for m in source.list_pending()] == [1, 2]
    assert source.fetch([1]) == {1: make_mail(1)}
    assert source.fetch_headers([2])[2].endswith(b"\r\n\r\n")
    source.mark_processed([1])
    source.mark_processed([1])  # again: a no-op
    assert [m.uid for m in source.list_pending()] == [2]
    assert [m.uid for m in source.list_pending(after_uid=2)] == []
    processed = list((tmp_path / "mail" / ".Processed" / "cur").iterdir())
    assert [p.read_bytes() for p in processed] == [make_mail(1)]
    # A new message gets the next UID, never a reused one.
    source.deliver(make_mail(3))
    assert [m.uid for m in source.list_pending()] == [2, 3]


def test_losing_the_uid_list_is_a_uidvalidity_change(tmp_path: Path) -> None:
    source = MaildirSource(tmp_path / "mail")
    source.open()
    first = source.uidvalidity()
    source.deliver(make_mail(1))
    assert [m.uid for m in source.list_pending()] == [1]
    (tmp_path / "mail" / UIDLIST_NAME).unlink()
    time.sleep(1.01)  # UIDVALIDITY is a time in seconds, as Dovecot's
    assert source.uidvalidity() != first


def test_wait_for_new_sees_a_delivery(tmp_path: Path) -> None:
    source = MaildirSource(tmp_path / "mail")
    source.open()
    source.list_pending()
    assert source.wait_for_new(0.2) is False
    delivered: list[float] = []

    def deliver_soon() -> None:
        time.sleep(0.2)
        MaildirSource(tmp_path / "mail").deliver(make_mail(1))
        delivered.append(time.monotonic())

    thread = threading.Thread(target=deliver_soon)
    thread.start()
    assert source.wait_for_new(5.0) is True
    woke = time.monotonic()
    thread.join()
    assert woke - delivered[0] < 0.5


def test_url_names_a_maildir(tmp_path: Path) -> None:
    source = source_from_url(f"maildir:{tmp_path}/box", tmp_path / "default")
    assert source.identity == f"maildir:{tmp_path}/box"
    assert source_from_url("", tmp_path / "default").identity == f"maildir:{tmp_path}/default"


def test_poller_on_maildir_stores_queues_and_moves(
    database_url: str, tmp_path: Path, recording_queue: RecordingQueue
) -> None:
    settings = Settings(var_dir=tmp_path / "var", max_message_bytes=2000)
    source = MaildirSource(settings.mail_dir)
    source.open()
    for n in range(3):
        source.deliver(make_mail(n))
    source.deliver(make_mail(9, body_size=5000))
    report = poll_once(database_url, source, settings, recording_queue)
    assert (report.stored, report.too_large, report.moved) == (3, 1, 4)
    with unit_of_work(database_url) as session:
        rows = list(session.scalars(sa.select(InboundMessage).order_by(InboundMessage.uid)))
    assert [row.raw for row in rows[:3]] == [make_mail(n) for n in range(3)]
    assert rows[3].raw is None and rows[3].headers is not None
    assert {row.mailbox for row in rows} == {f"maildir:{settings.mail_dir.resolve()}"}
    assert recording_queue.row_ids == [row.id for row in rows]
    assert source.list_pending() == []
    assert poll_once(database_url, source, settings, recording_queue).stored == 0


def test_ask_then_poll_once_from_the_command_line(database_url: str, tmp_path: Path) -> None:
    env = {"CONSULTANT_VAR_DIR": str(tmp_path / "var"), "CONSULTANT_DATABASE_URL": database_url}
    runner = CliRunner()
    from consultant.config import get_settings

    get_settings.cache_clear()
    try:
        asked = runner.invoke(
            main,
            ["ask", "--from", "coder@example.com", "--subject", "Modifier 59?"],
            input="Can 11042 and 11045 be billed together?\n",
            env=env,
        )
        assert asked.exit_code == 0, asked.output
        get_settings.cache_clear()
        polled = runner.invoke(main, ["poll", "--once"], env=env)
        assert polled.exit_code == 0, polled.output
        assert "1 stored" in polled.output
    finally:
        get_settings.cache_clear()
    with unit_of_work(database_url) as session:
        (row,) = session.scalars(sa.select(InboundMessage)).all()
    assert row.raw is not None
    assert b"From: coder@example.com" in row.raw
    assert b"Subject: Modifier 59?" in row.raw
    assert b"Message-ID: <" in row.raw
    assert b"Can 11042 and 11045 be billed together?" in row.raw


def test_run_forever_on_maildir_takes_mail_as_it_is_delivered(
    database_url: str, tmp_path: Path, recording_queue: RecordingQueue
) -> None:
    settings = Settings(var_dir=tmp_path / "var")
    stop = StopSignal()
    poller = threading.Thread(
        target=run_forever,
        args=(database_url, MaildirSource(settings.mail_dir), settings, recording_queue),
        kwargs={"stop": stop, "safety_poll_seconds": 30},
    )
    poller.start()
    try:
        delivery = MaildirSource(settings.mail_dir)
        for n in range(3):
            delivered = time.monotonic()
            delivery.deliver(make_mail(n))
            recording_queue.wait_for(n + 1, timeout=10)
            assert recording_queue.enqueued_at[n] - delivered < 1.5
    finally:
        stop.stop()
        poller.join(timeout=10)
    assert not poller.is_alive()
    assert MaildirSource(settings.mail_dir).list_pending() == []
    assert len(list((settings.mail_dir / ".Processed" / "cur").iterdir())) == 3
