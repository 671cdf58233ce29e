"""A lookup as text for a terminal (``consultant lookup`` without ``--json``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from consultant.codes.facts import CodeFacts, LookupResult, PtpEditFact

if TYPE_CHECKING:
    from consultant.codes.coding_notes import NoteFact


def describe(result: LookupResult) -> str:
    """A terminal-friendly account of a lookup, one block per code, then the pair edits."""
    lines: list[str] = []
    for facts in result.codes:
        lines.extend(_code_lines(facts))
        lines.append("")
    if len(result.codes) > 1:
        lines.append("PTP edits between the codes:")
        lines.extend(f"  {_edit_line(e)}" for e in result.pair_edits)
        if not result.pair_edits:
            lines.append("  none active")
        lines.extend(f"  deleted: {_edit_line(e)}" for e in result.past_pair_edits)
        lines.append("")
    lines.append("Releases: " + (", ".join(r.name for r in result.releases) or "none"))
    return "\n".join(lines)


def describe_notes(notes: Sequence[NoteFact]) -> str:
    """The coding notes in force, each with its source and release."""
    lines = ["", "Coding notes:"]
    for note in notes:
        lines.append(f"  [{note.note_id}, {' '.join(note.codes)}] {note.text}")
        lines.append(f"    source: {note.citation} ({note.release})")
    return "\n".join(lines)


def _code_lines(c: CodeFacts) -> list[str]:
    if not c.known:
        return [f"{c.code}: unknown (no loaded release has it)"]
    status = c.status or "no status in the loaded data"
    if c.deleted and c.deleted_on:
        status += f" (deleted {c.deleted_on.year})"
    if c.deleted and c.replaced_by:
        status += f", replaced by {c.replaced_by}"
    lines = [f"{c.code} [{c.system or 'unrecognised shape'}] status {status}"]
    best = c.best_descriptor
    lines.append(
        f"  descriptor ({best.source}, {best.release}): {best.text}"
        if best
        else "  descriptor: none loaded"
    )
    if c.add_on is not None:
        a = c.add_on
        state = "active" if a.active else f"edits deleted {a.edits_deleted_year}"
        primaries = ", ".join(f"{p.code} (type {p.edit_type})" for p in a.primaries) or "none"
        types = "/".join(str(t) for t in sorted(set(a.edit_types)))
        lines.append(f"  add-on, edit type {types}, {state}; primaries: {primaries}")
        if a.contractor_decides:
            lines.append("  the contractor may accept (other) primaries")
    if c.mue is not None:
        lines.append(
            f"  MUE {c.mue.value} per {c.mue.per} (MAI {c.mue.adjudication_indicator}, "
            f"{c.mue.rationale or 'no rationale'}; {c.mue.release})"
        )
    if c.fee_schedule is not None:
        f = c.fee_schedule
        lines.append(
            f"  global {f.global_days}, mult proc {f.mult_proc}, bilateral {f.bilateral}, "
            f"assistant {f.assistant}, co-surgeon {f.co_surgeon}, team {f.team_surgeon} "
            f"({f.release})"
        )
    return lines


def _edit_line(e: PtpEditFact) -> str:
    deleted = f", deleted {e.deleted_on.isoformat()}" if e.deleted_on else ""
    return (
        f"column 1 {e.column_1}, column 2 {e.column_2}: modifier indicator "
        f"{e.modifier_indicator}, {e.rationale or 'no rationale'}{deleted} ({e.release})"
    )
