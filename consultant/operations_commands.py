"""The operator's view of inbound mail: ``consultant inbound list`` and ``consultant requeue``.

Parked rows (failed three times) and held ones (unknown senders under the
"hold" policy) wait here for an operator, with the rules that fired and the
last error; ``requeue`` puts them back in the queue.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from consultant.cli import settings_or_exit
from consultant.inbound.models import InboundStatus

#: ``inbound list --status``: the ledger's states.
INBOUND_STATUSES = [status.value for status in InboundStatus]  # values: click matches enum names


def register(main: click.Group) -> None:
    """Add ``inbound list`` and ``requeue`` to the command line."""
    main.add_command(inbound)
    main.add_command(requeue_command)


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
@click.option("--disposition", default=None, help="e.g. unknown_sender, too_large, bounce.")
@click.option("--limit", default=200, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON array of rows.")
def inbound_list(status: str | None, disposition: str | None, limit: int, as_json: bool) -> None:
    """List ledger rows, newest first (ids, states and rule hits; no mail content)."""
    from sqlalchemy import select

    from consultant.db import unit_of_work
    from consultant.inbound.models import InboundMessage

    settings = settings_or_exit()
    query = select(InboundMessage).order_by(InboundMessage.id.desc()).limit(limit)
    if status:
        query = query.where(InboundMessage.status == status)
    if disposition:
        query = query.where(InboundMessage.disposition == disposition)
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
        rules = ",".join(hit.get("rule", "?") for hit in entry["rule_hits"] or []) or "-"
        click.echo(
            f"#{entry['id']:<7} {entry['status']:<9} {entry['disposition'] or '-':<15} "
            f"attempts={entry['attempts']} rules={rules} {entry['last_error'] or ''}".rstrip()
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
