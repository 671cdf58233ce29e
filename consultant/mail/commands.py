"""``consultant poll`` and ``consultant ask``: the mailbox from the command line."""

from __future__ import annotations

import logging
import signal
import sys
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from types import FrameType
from typing import NoReturn

import click

from consultant.config import Settings
from consultant.inbound.lease import MailboxLease
from consultant.inbound.poll_loop import StopSignal, run_forever
from consultant.inbound.poller import poll_once
from consultant.mail.sources import (
    MailboxError,
    MailboxSource,
    MailboxUnavailable,
    source_from_settings,
)


def register(main: click.Group) -> None:
    """Add the mail commands to the ``consultant`` group."""
    main.add_command(poll)
    main.add_command(ask)


@click.command()
@click.option("--once", is_flag=True, help="One pass over the mailbox, then exit.")
@click.option(
    "--safety-poll",
    type=float,
    default=60.0,
    show_default=True,
    help="Seconds between full passes even when IDLE reports nothing.",
)
@click.option(
    "--lease-seconds",
    type=float,
    default=60.0,
    show_default=True,
    help="How long this poller's claim on the mailbox lasts unless renewed (after a crash, "
    "another poller takes over once it expires).",
)
@click.option(
    "--batch-size",
    type=click.IntRange(1, 1000),
    default=100,
    show_default=True,
    help="Messages stored per transaction.",
)
def poll(once: bool, safety_poll: float, lease_seconds: float, batch_size: int) -> None:
    """Take new mail from the configured mailbox into the ledger and queue it for ingest."""
    from consultant.cli import settings_or_exit
    from consultant.migrations import check_schema
    from workers.queue import CeleryTaskQueue  # the boundary picks the queue

    settings = settings_or_exit()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    database_url = settings.resolved_database_url
    # A database that cannot be used stops the poller at once, in one line (consultant.cli),
    # rather than retrying forever; once running, an outage is retried (poll_loop).
    check_schema(database_url)
    try:
        source = source_from_settings(settings)
    except MailboxError as exc:
        _mailbox_failed(settings, exc)
    if once:
        _poll_one_pass(database_url, source, settings, batch_size)
        return
    stop = StopSignal()

    def stop_on_signal(signum: int, _frame: FrameType | None) -> None:
        logging.getLogger(__name__).info("signal %d: finishing the current step", signum)
        stop.stop()

    signal.signal(signal.SIGTERM, stop_on_signal)
    signal.signal(signal.SIGINT, stop_on_signal)
    try:
        run_forever(
            database_url,
            source,
            settings,
            CeleryTaskQueue(),
            stop=stop,
            lease=MailboxLease(database_url, source.identity, ttl=lease_seconds),
            safety_poll_seconds=safety_poll,
            batch_size=batch_size,
        )
    except MailboxError as exc:
        _mailbox_failed(settings, exc)


def _mailbox_failed(settings: Settings, exc: Exception, doing: str = "") -> NoReturn:
    """Stop with one line naming the mailbox setting and its host (never its password)."""
    from consultant.cli import CONFIGURATION_EXIT, fail
    from consultant.config import without_password

    where = (
        f"CONSULTANT_IMAP_URL ({without_password(settings.imap_url)})"
        if settings.imap_url
        else f"the embedded mailbox {settings.mail_dir}"
    )
    fail(f"{where}: {doing}{exc}", CONFIGURATION_EXIT)


def _poll_one_pass(
    database_url: str, mailbox: MailboxSource, settings: Settings, batch_size: int
) -> None:
    from workers.queue import CeleryTaskQueue

    lease = MailboxLease(database_url, mailbox.identity)
    if not lease.acquire():
        click.echo("Another poller holds the lease on this mailbox; nothing done.", err=True)
        sys.exit(3)
    try:
        mailbox.open()
        report = poll_once(
            database_url,
            mailbox,
            settings,
            CeleryTaskQueue(),
            batch_size=batch_size,
            keep_lease=lease.keep,
        )
    except MailboxError as exc:
        _mailbox_failed(settings, exc)
    except MailboxUnavailable as exc:
        _mailbox_failed(settings, exc, "cannot reach the mailbox: ")
    finally:
        mailbox.close()
        lease.release()
    click.echo(
        f"{report.stored} stored, {report.too_large} too large, "
        f"{report.already_stored} already stored, {report.same_content} same content, "
        f"{report.moved} moved to Processed",
        err=True,
    )


@click.command()
@click.option("--from", "from_address", required=True, help="The asker's email address.")
@click.option("--subject", default="Coding question", show_default=True)
def ask(from_address: str, subject: str) -> None:
    """Put a question (text on stdin) into the configured mailbox, as if it had been emailed."""
    from consultant.cli import fail, settings_or_exit
    from consultant.config import SettingsError

    settings = settings_or_exit()
    try:
        settings.reply_address  # noqa: B018 - the question goes to it: it must be one address
    except SettingsError as exc:
        fail(exc)
    if "@" not in from_address or any(c in from_address for c in "\r\n <>"):
        raise click.BadParameter(
            "must be a bare address such as coder@example.com", param_hint="--from"
        )
    text = sys.stdin.read()
    if not text.strip():
        raise click.UsageError("write the question on standard input")
    message = EmailMessage()
    message["From"] = from_address
    message["To"] = settings.reply_from.strip()
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=from_address.rsplit("@", 1)[1])
    message.set_content(text)
    try:
        source = source_from_settings(settings)
        source.deliver(message.as_bytes())
    except MailboxError as exc:
        _mailbox_failed(settings, exc)
    except MailboxUnavailable as exc:
        _mailbox_failed(settings, exc, "cannot reach the mailbox: ")
    click.echo(f"Question delivered to {source.identity}.", err=True)
