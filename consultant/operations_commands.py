"""``consultant requeue``: the operator puts parked (or held) inbound mail back in the queue."""

from __future__ import annotations

import sys

import click

from consultant.cli import settings_or_exit


def register(main: click.Group) -> None:
    """Add the operator's ``requeue`` command to the command line."""
    main.add_command(requeue_command)


@click.command("requeue")
@click.argument("ids", nargs=-1, type=int)
@click.option("--all-parked", is_flag=True, help="Every parked inbound message.")
def requeue_command(ids: tuple[int, ...], all_parked: bool) -> None:
    """Re-queue inbound messages by ID (parked, or held as unknown sender), or --all-parked."""
    from consultant.db import unit_of_work
    from consultant.mail.requeue import RequeueError, requeue

    if not ids and not all_parked:
        raise click.UsageError("name inbound message IDs or give --all-parked")
    settings = settings_or_exit()
    try:
        with unit_of_work(settings.resolved_database_url) as session:
            chosen = requeue(session, ids, all_parked=all_parked)
    except RequeueError as exc:
        click.echo(f"consultant: {exc}", err=True)
        sys.exit(1)
    click.echo(f"Re-queued {len(chosen)} inbound message(s): {' '.join(map(str, chosen)) or '-'}")
