"""``consultant review ...``: the review queue from the command line."""

from __future__ import annotations

import json

import click

from consultant.cli import settings_or_exit


def register(main: click.Group) -> None:
    """Add the ``review`` group to the command line."""
    main.add_command(review)


@click.group()
def review() -> None:
    """Drafts waiting for a certified coder's review."""


@review.command("list")
@click.option(
    "--status",
    default="pending",
    show_default=True,
    help="pending, stale, approved, rejected, or 'all'.",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON array of drafts.")
@click.option("--limit", default=500, show_default=True, help="At most this many drafts.")
def list_command(status: str, as_json: bool, limit: int) -> None:
    """List drafts, oldest first."""
    from consultant.db import unit_of_work
    from consultant.review.queue import draft_summary, list_drafts

    settings = settings_or_exit()
    with unit_of_work(settings.resolved_database_url) as session:
        rows = [
            draft_summary(d)
            for d in list_drafts(session, None if status == "all" else status, limit)
        ]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo(f"No {status} drafts.")
    for row in rows:
        codes = " ".join(str(c) for c in row["codes"]) or "-"
        click.echo(f"#{row['id']:<6} {row['status']:<9} {row['kind']:<10} {row['to']:<30} {codes}")
