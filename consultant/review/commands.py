"""``consultant review ...``: the review queue from the command line."""

from __future__ import annotations

import json
import textwrap
from typing import Any

import click

from consultant.command_exits import fail, settings_or_exit
from consultant.consultations.states import DraftStatus
from consultant.outbound.states import OutboundStatus
from consultant.review import decision_commands
from consultant.review.fact_lines import describe_facts

#: ``review list --status``: a draft status, where an approved reply's send is, or every draft.
SEND_CHOICES = [
    OutboundStatus.SENDING.value,
    OutboundStatus.SENT.value,
    OutboundStatus.FAILED.value,
]
STATUS_CHOICES = [*(status.value for status in DraftStatus), *SEND_CHOICES, "all"]
#: The exit status of ``review show`` for a draft that does not exist.
NOT_FOUND_EXIT = 1
#: ``review show`` wraps the question and the facts to this width; the reply is shown as is.
SHOW_WIDTH = 100


def register(main: click.Group) -> None:
    """Add the ``review`` group to the command line."""
    decision_commands.register(review)
    main.add_command(review)


@click.group()
def review() -> None:
    """Drafts waiting for a certified coder's review."""


@review.command("list")
@click.option(
    "--status",
    type=click.Choice(STATUS_CHOICES),
    default=DraftStatus.PENDING.value,
    show_default=True,
    help="Drafts in this state; sending, sent or failed: approved drafts whose reply is; or 'all'.",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON array of drafts.")
@click.option("--limit", default=500, show_default=True, help="At most this many drafts.")
def list_command(status: str, as_json: bool, limit: int) -> None:
    """List drafts, oldest first."""
    from consultant.db import unit_of_work
    from consultant.review.services import draft_summary, list_drafts, send_states

    settings = settings_or_exit()
    with unit_of_work(settings.resolved_database_url) as session:
        drafts = list_drafts(session, None if status == "all" else status, limit)
        sends = send_states(session, [d.id for d in drafts])
        rows = []
        for draft in drafts:
            row = draft_summary(draft)
            send_status, send_error = sends.get(draft.id, (None, None))
            row["send_status"], row["send_error"] = send_status, send_error
            rows.append(row)
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo(f"No {status} drafts." if status != "all" else "No drafts.")
        return
    click.echo(f"{'ID':<7} {'STATUS':<9} {'KIND':<10} {'TO':<30} CODES")
    for row in rows:
        codes = " ".join(str(c) for c in row["codes"]) or "-"
        sent = f"  send {row['send_status']}" if row["send_status"] else ""
        error = f": {row['send_error']}" if row["send_status"] == "failed" else ""
        click.echo(
            f"#{row['id']:<6} {row['status']:<9} {row['kind']:<10} {row['to']:<30} {codes}"
            f"{sent}{error}"
        )


@review.command("show")
@click.argument("draft_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="The draft, its question and facts as JSON.")
def show_command(draft_id: int, as_json: bool) -> None:
    """Show one draft as the reviewer sees it: the question, the stored facts, the reply."""
    from consultant.db import unit_of_work
    from consultant.review.services import draft_detail, get_draft, question_of

    settings = settings_or_exit()
    with unit_of_work(settings.resolved_database_url) as session:
        draft = get_draft(session, draft_id)
        if draft is None:
            fail(f"no draft #{draft_id}", NOT_FOUND_EXIT)
        detail = draft_detail(draft, question_of(session, draft))
    if as_json:
        click.echo(json.dumps(detail, indent=2))
        return
    click.echo(describe_draft(detail), nl=False)


def describe_draft(detail: dict[str, Any]) -> str:
    """A draft for a terminal: header, question, codes and facts with their releases, reply."""
    lines = [
        f"Draft #{detail['id']}  {detail['status']}  {detail['kind']}",
        f"To:       {detail['to']}",
        f"Created:  {detail['created_at'] or '-'}",
    ]
    if detail["consultation_id"] is not None:
        lines.append(f"Thread:   consultation #{detail['consultation_id']}")
    lines += ["", "Question"]
    question = detail["question"]
    if question is None:
        lines.append("  (no question: this draft answers no coding question)")
    else:
        for line in question.strip().splitlines() or [""]:
            lines += _wrapped(line, "  > ", "  > ")
    facts = detail["facts"]
    if detail["kind"] == "answer":
        lines += ["", "Codes and facts (as stored with the draft, [the release each came from])"]
        for line in describe_facts(facts):
            indent = " " * (len(line) - len(line.lstrip()))
            lines += _wrapped(line.lstrip(), indent, indent + "    ")
    lines += ["", "Reply", f"  Subject: {detail['subject']}", ""]
    lines += [f"  {line}".rstrip() for line in detail["body_text"].splitlines()]
    return "\n".join(lines) + "\n"


def _wrapped(text: str, first: str, rest: str) -> list[str]:
    return textwrap.wrap(
        text,
        SHOW_WIDTH,
        initial_indent=first,
        subsequent_indent=rest,
        break_long_words=False,
        break_on_hyphens=False,
    ) or [first.rstrip()]
