"""The inbound ledger from the command line: ``poll``, ``ask``, ``inbound list``, ``requeue``.

Parked rows (failed three times) and held ones (unknown senders under the
"hold" policy, an account holder's mail with no new text, MIME past the walk's
limits) wait in the ledger for an operator, with the rules that fired, their
reasons and the last error; ``requeue`` puts them back in the queue.
"""

from __future__ import annotations

import json
import logging
import signal
import sys
from types import FrameType
from typing import TYPE_CHECKING, Any, NoReturn

import click

from consultant.command_exits import settings_or_exit
from consultant.inbound.states import HELD_DISPOSITIONS, InboundStatus

if TYPE_CHECKING:
    from consultant.config import Settings
    from consultant.mail.sources import MailboxSource

# The poller, the mail sources and the database are imported by the commands
# that use them, so that `consultant --help` does not pay for them.


def register(main: click.Group) -> None:
    """Add the mail commands to the ``consultant`` group."""
    main.add_command(poll)
    main.add_command(ask)
    main.add_command(inbound)
    main.add_command(requeue_command)


#: ``inbound list --status``: the ledger's states.
INBOUND_STATUSES = [status.value for status in InboundStatus]  # values: click matches enum names


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
    from consultant.inbound.lease import MailboxLease
    from consultant.inbound.poll_loop import StopSignal, run_forever
    from consultant.mail.sources import MailboxError, source_from_settings
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
    from consultant.command_exits import CONFIGURATION_EXIT, fail
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
    from consultant.inbound.lease import MailboxLease
    from consultant.inbound.poller import poll_once
    from consultant.mail.sources import MailboxError, MailboxUnavailable
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
    from email.message import EmailMessage
    from email.utils import formatdate, make_msgid

    from consultant.command_exits import fail
    from consultant.config import SettingsError
    from consultant.mail.sources import MailboxError, MailboxUnavailable, source_from_settings

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


@click.group()
def inbound() -> None:
    """The inbound ledger: every message taken from the mailbox."""


@inbound.command("list")
@click.option(
    "--status",
    type=click.Choice(INBOUND_STATUSES),
    default=None,
    help="Only rows in this state.",
)
@click.option("--disposition", default=None, help="e.g. unknown_sender, no_text, bounce.")
@click.option(
    "--held",
    is_flag=True,
    help="Only mail held for staff: " + ", ".join(HELD_DISPOSITIONS) + ".",
)
@click.option("--limit", default=200, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON array of rows.")
def inbound_list(
    status: str | None, disposition: str | None, held: bool, limit: int, as_json: bool
) -> None:
    """List ledger rows, newest first (ids, states, rule hits and reasons; no mail content)."""
    from sqlalchemy import select

    from consultant.db import unit_of_work
    from consultant.inbound.models import InboundMessage

    settings = settings_or_exit()
    query = select(InboundMessage).order_by(InboundMessage.id.desc()).limit(limit)
    if status:
        query = query.where(InboundMessage.status == status)
    if disposition:
        query = query.where(InboundMessage.disposition == disposition)
    if held:
        query = query.where(InboundMessage.disposition.in_(HELD_DISPOSITIONS))
    with unit_of_work(settings.resolved_database_url) as session:
        rows: list[dict[str, Any]] = [
            {
                "id": row.id,
                "mailbox": row.mailbox,
                "uid": row.uid,
                "size": row.size,
                "status": row.status,
                "disposition": row.disposition,
                "rule_hits": row.rule_hits,
                "attempts": row.attempts,
                "last_error": row.last_error,
                "fetched_at": row.fetched_at.isoformat() if row.fetched_at else None,
            }
            for row in session.scalars(query)
        ]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo("No inbound messages.")
        return
    click.echo(f"{'ID':<8} {'STATUS':<9} {'DISPOSITION':<15} DETAILS")
    for entry in rows:
        hits = entry["rule_hits"] or []
        rules = ",".join(hit.get("rule", "?") for hit in hits) or "-"
        # The deciding rule's reason: rules word their reasons without mail content.
        reason = f'reason="{hits[0].get("reason", "")}" ' if hits else ""
        click.echo(
            f"#{entry['id']:<7} {entry['status']:<9} {entry['disposition'] or '-':<15} "
            f"attempts={entry['attempts']} rules={rules} {reason}"
            f"{entry['last_error'] or ''}".rstrip()
        )


@click.command("requeue")
@click.argument("ids", nargs=-1, type=int)
@click.option("--all-parked", is_flag=True, help="Every parked inbound message.")
def requeue_command(ids: tuple[int, ...], all_parked: bool) -> None:
    """Re-queue inbound messages by ID (parked, or held as unknown sender), or --all-parked."""
    from consultant.db import unit_of_work
    from consultant.inbound.requeue import RequeueError, requeue
    from workers.queue import CeleryTaskQueue  # the boundary picks the queue

    if not ids and not all_parked:
        raise click.UsageError("name inbound message IDs or give --all-parked")
    settings = settings_or_exit()
    try:
        with unit_of_work(settings.resolved_database_url) as session:
            chosen = requeue(session, ids, all_parked=all_parked, queue=CeleryTaskQueue())
    except RequeueError as exc:
        click.echo(f"consultant: {exc}", err=True)
        sys.exit(1)
    click.echo(f"Re-queued {len(chosen)} inbound message(s): {' '.join(map(str, chosen)) or '-'}")
