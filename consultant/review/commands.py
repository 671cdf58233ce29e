"""``consultant review ...``: the review queue from the command line."""

from __future__ import annotations

import json
import textwrap
from typing import Any

import click

from consultant.command_exits import fail, settings_or_exit
from consultant.consultations.states import DraftStatus
from consultant.review import decision_commands

#: ``review list --status``: a draft status, or every draft.
STATUS_CHOICES = [*(status.value for status in DraftStatus), "all"]
#: The exit status of ``review show`` for a draft that does not exist.
NOT_FOUND_EXIT = 1
#: ``review show`` wraps the question and the facts to this width; the reply is shown as is.
SHOW_WIDTH = 100
#: Primary codes listed per add-on in ``review show`` (--json has them all).
SHOWN_PRIMARIES = 12


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
    help="Drafts in this state, or 'all'.",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON array of drafts.")
@click.option("--limit", default=500, show_default=True, help="At most this many drafts.")
def list_command(status: str, as_json: bool, limit: int) -> None:
    """List drafts, oldest first."""
    from consultant.db import unit_of_work
    from consultant.review.services import draft_summary, list_drafts

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
        click.echo(f"No {status} drafts." if status != "all" else "No drafts.")
        return
    click.echo(f"{'ID':<7} {'STATUS':<9} {'KIND':<10} {'TO':<30} CODES")
    for row in rows:
        codes = " ".join(str(c) for c in row["codes"]) or "-"
        click.echo(f"#{row['id']:<6} {row['status']:<9} {row['kind']:<10} {row['to']:<30} {codes}")


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
        for line in _describe_facts(facts):
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


def _from(release: object) -> str:
    return f"  [{release}]" if release else ""


def _words(finding: object) -> str:
    return str(finding).replace("_", " ")


def _describe_facts(facts: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    codes = facts.get("codes") or []
    if not codes and not facts.get("unknown_codes"):
        lines.append("  no code named")
    for code in codes:
        lines += _describe_code(code)
    for edit in facts.get("pair_edits") or []:
        lines.append(
            f"  pair {edit['column_1']} (column 1) / {edit['column_2']} (column 2): "
            f"modifier indicator {edit['modifier_indicator']}, {_words(edit['finding'])}"
            f"{_from(edit.get('release'))}"
        )
        if edit.get("rationale"):
            lines.append(f"    rationale: {edit['rationale']}")
    pairs = facts.get("pairs_without_edit") or []
    if pairs:
        joined = ", ".join(" + ".join(pair) for pair in pairs)
        lines.append(f"  no PTP edit between: {joined}{_from(facts.get('ptp_release'))}")
    shown = {code.get("code") for code in codes}
    unknown = [code for code in facts.get("unknown_codes") or [] if code not in shown]
    if unknown:
        lines.append(f"  not in the loaded data: {', '.join(unknown)}")
    if facts.get("icd10"):
        lines.append(f"  diagnoses named: {', '.join(facts['icd10'])}")
    releases = facts.get("releases") or []
    lines.append(f"  releases used: {', '.join(releases) if releases else 'none'}")
    return lines


def _describe_code(code: dict[str, Any]) -> list[str]:
    written = "".join(f"-{m}" for m in code.get("modifiers") or [])
    if code.get("units") is not None:
        written += f" x {code['units']}"
    if not code.get("known"):
        return [f"  {code['code']}{written}  {code.get('kind') or '?'}  not in the loaded data"]
    status = code.get("status") or "-"
    lines = [
        f"  {code['code']}{written}  {code.get('kind') or '?'}  status {status}"
        f"{_from(code.get('status_release'))}"
    ]
    if code.get("descriptor"):
        lines.append(
            f"    descriptor ({code.get('descriptor_source')}): {code['descriptor']}"
            f"{_from(code.get('descriptor_release'))}"
        )
    else:
        lines.append("    descriptor: none loaded")
    if code.get("deleted_year"):
        successor = f", replaced by {code['replaced_by']}" if code.get("replaced_by") else ""
        lines.append(f"    deleted in {code['deleted_year']}{successor}")
    add_on = code.get("add_on")
    if add_on:
        listed = add_on.get("primaries") or []
        primaries = ", ".join(listed[:SHOWN_PRIMARIES]) or "none listed"
        if len(listed) > SHOWN_PRIMARIES:
            primaries += f" and {len(listed) - SHOWN_PRIMARIES} more"
        in_question = ", ".join(add_on.get("primaries_in_question") or []) or "none"
        state = "active" if add_on.get("active") else "edits deleted"
        lines.append(
            f"    add-on ({state}), edit type {add_on.get('edit_type')}: primaries {primaries}; "
            f"in the question: {in_question}{_from(add_on.get('release'))}"
        )
    mue = code.get("mue")
    if mue:
        over = " (units written are over it)" if code.get("units_over_mue") else ""
        lines.append(
            f"    MUE {mue['value']} per {mue['per']} (indicator {mue['adjudication_indicator']})"
            f"{over}{_from(mue.get('release'))}"
        )
    if code.get("fee_schedule_release"):
        lines.append(
            f"    fee schedule: global {code.get('global_days') or '-'}, "
            f"bilateral indicator {code.get('bilateral') or '-'}"
            f"{_from(code.get('fee_schedule_release'))}"
        )
    for check in code.get("modifier_checks") or []:
        lines.append(f"    modifier {check['modifier']}: {_words(check['finding'])}")
    return lines
