"""``consultant draft``: the reply a question on stdin would get (nothing is stored or sent)."""

from __future__ import annotations

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
def draft(subject: str, as_html: bool, as_json: bool, release: str | None) -> None:
    """Draft the reply to the question text read from stdin."""
    from consultant.codes.lookup import UnknownReleaseError
    from consultant.command_exits import settings_or_exit
    from consultant.consultations.drafting import draft_reply
    from consultant.db import unit_of_work

    settings = settings_or_exit()
    question = sys.stdin.read()
    try:
        # Read-only: the unit of work commits nothing but keeps the boundary rule.
        with unit_of_work(settings.resolved_database_url) as session:
            reply = draft_reply(session, question, subject=subject, release=release)
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
