"""A draft's stored facts as lines of text, each naming the release it came from.

``consultant review show`` prints them; the draft page lists them beside the question.
"""

from __future__ import annotations

from typing import Any

#: Primary codes listed per add-on (the JSON has them all).
SHOWN_PRIMARIES = 12


def _from(release: object) -> str:
    return f"  [{release}]" if release else ""


def _words(finding: object) -> str:
    return str(finding).replace("_", " ")


def describe_facts(facts: dict[str, Any]) -> list[str]:
    """One line per fact (indented lines belong to the code above them)."""
    lines: list[str] = []
    if facts.get("service_date"):
        lines.append(
            f"  date of service {facts['service_date']} ({facts.get('service_date_source')})"
        )
    for finding in facts.get("findings") or []:
        lines.append(f"  finding: {_finding(finding)}")
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


def _finding(finding: dict[str, Any]) -> str:
    """``kind codes (field value, ...)``: long lists (primaries) cut to a count."""
    details = []
    for name, value in finding.items():
        if name in ("kind", "codes") or value is None:
            continue
        shown = f"{len(value)} codes" if isinstance(value, list) and len(value) > 6 else value
        if isinstance(shown, list):
            shown = " ".join(str(item) for item in shown) or "none"
        details.append(f"{name.replace('_', ' ')} {shown}")
    codes = " / ".join(finding.get("codes") or [])
    extra = f" ({', '.join(details)})" if details else ""
    return f"{_words(finding['kind'])} {codes}{extra}".replace("  ", " ")


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
