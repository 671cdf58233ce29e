"""``consultant draft``: the reply a question on stdin would get (nothing is stored or sent)."""

from __future__ import annotations

import datetime as dt
import json
import sys

import click


def register(main: click.Group) -> None:
    """Add the ``draft`` command to the ``consultant`` group."""
    main.add_command(draft)


@click.command("draft")
@click.option("--subject", default="", help="The question's subject line.")
@click.option("--html", "as_html", is_flag=True, help="Print the HTML part instead of the text.")
@click.option("--json", "as_json", is_flag=True, help="Print the facts the reply used, as JSON.")
@click.option("--release", default=None, help="Answer from this release for its kind.")
@click.option(
    "--date",
    "arrived",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="The day the question arrived (YYYY-MM-DD; default today): the date of service "
    "when the question names none, and the day 'yesterday' is read against.",
)
def draft(
    subject: str, as_html: bool, as_json: bool, release: str | None, arrived: dt.datetime | None
) -> None:
    """Draft the reply to the question text read from stdin.

    The date of service is the one the question names ("DOS 02/18/2025", "seen
    yesterday"), else the day it arrived; the reply uses the data releases in
    force on that date and says which date it used.
    """
    from consultant.clock import utc_now
    from consultant.codes.lookup import UnknownReleaseError
    from consultant.command_exits import settings_or_exit
    from consultant.consultations.drafting import draft_reply
    from consultant.db import unit_of_work
    from consultant.extraction.dates import date_of_service_for_message

    settings = settings_or_exit()
    question = sys.stdin.read()
    moment = arrived.replace(tzinfo=dt.UTC) if arrived is not None else utc_now()
    service = date_of_service_for_message(question, None, moment)
    try:
        # Read-only: the unit of work commits nothing but keeps the boundary rule.
        with unit_of_work(settings.resolved_database_url) as session:
            reply = draft_reply(
                session,
                question,
                subject=subject,
                release=release,
                service_date=service.date,
                service_date_source=service.source,
            )
    except UnknownReleaseError as exc:
        click.echo(f"consultant draft: {exc}", err=True)
        sys.exit(1)
    if as_json:
        click.echo(json.dumps(reply.facts, indent=2))
    elif as_html:
        click.echo(reply.html, nl=False)
    else:
        click.echo(f"Subject: {reply.subject}", err=True)
        click.echo(reply.text, nl=False)
