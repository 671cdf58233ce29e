"""The facts a draft rests on, as JSON: what the lookup said, checked against what was written.

This dict is stored with the draft and is the only input of the reply's
templates, so every sentence of a reply comes from it, and a later data
release never changes what a reviewer approved. Its keys are the shape of
``consultant draft --json`` (issue 4); extra keys carry what the wording needs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

from consultant.codes.facts import CodeFacts, LookupResult, PtpEditFact
from consultant.codes.kinds import is_drug_code

#: Modifiers NCCI associates with PTP edits: with indicator 1 one of these may bypass an edit
#: when the documentation supports it (NCCI Policy Manual, chapter I; CMS NCCI FAQ).
NCCI_ASSOCIATED_MODIFIERS = frozenset(
    {"24", "25", "27", "57", "58", "59", "78", "79", "91", "XE", "XP", "XS", "XU"}
    | {"E1", "E2", "E3", "E4", "FA", "F1", "F2", "F3", "F4", "F5", "F6", "F7", "F8", "F9"}
    | {"LC", "LD", "LM", "LT", "RC", "RI", "RT", "TA", "T1", "T2", "T3", "T4", "T5"}
    | {"T6", "T7", "T8", "T9"}
)
_DESCRIPTOR_SOURCE = {
    "licensed": "licensed",
    "hcpcs_long": "hcpcs",
    "hcpcs_short": "hcpcs",
    "summary": "summary",
}


@dataclass(frozen=True)
class WrittenCode:
    """A code as the question wrote it: its modifiers and units (from the extractor)."""

    code: str
    modifiers: Sequence[str] = ()
    units: int | None = None
    #: A drug code's dose as written: (amount as text, unit), e.g. ("60", "mg").
    dose: tuple[str, str] | None = None


@dataclass(frozen=True)
class QuestionCodes:
    """What the question named: codes in text order, diagnoses, and where the codes came from."""

    codes: Sequence[WrittenCode]
    icd10: Sequence[str] = ()
    from_earlier_message: bool = False
    ranges: Sequence[tuple[str, str]] = field(default=())
    #: The question asks about both sides ("bilateral", "both knees", "RT and LT").
    both_sides: bool = False


def build_facts(
    question: QuestionCodes, result: LookupResult, service_date: dt.date
) -> dict[str, Any]:
    """The facts JSON of a reply: per code, per pair, the unknown codes and the releases,
    as they stand on ``service_date``."""
    written = {w.code: w for w in question.codes}
    named = [w.code for w in question.codes]
    by_code = {c.code: c for c in result.codes}
    edits_of: dict[str, list[PtpEditFact]] = {}
    for edit in result.pair_edits:
        edits_of.setdefault(edit.column_1, []).append(edit)
        edits_of.setdefault(edit.column_2, []).append(edit)
    codes = [
        _code_facts(by_code[code], written[code], named, bool(edits_of.get(code)), service_date)
        for code in named
        if code in by_code
    ]
    known = [c for c in named if c in by_code and by_code[c].known]
    with_edit = {frozenset((e.column_1, e.column_2)) for e in result.pair_edits}
    return {
        "codes": codes,
        "pair_edits": [_pair_facts(e, written) for e in result.pair_edits],
        "pairs_without_edit": [
            [a, b] for a, b in combinations(known, 2) if frozenset((a, b)) not in with_edit
        ],
        "unknown_codes": result.unknown_codes,
        "ptp_release": result.ptp_release,
        "releases": [r.name for r in result.releases],
        "icd10": list(question.icd10),
        "ranges": [list(r) for r in question.ranges],
        "codes_from_earlier_message": question.from_earlier_message,
        "both_sides": question.both_sides,
        # The coding notes in force (consultant.codes.coding_notes); drafting fills them in.
        "notes": [],
    }


def _code_facts(
    c: CodeFacts, written: WrittenCode, named: list[str], has_pair_edit: bool, on: dt.date
) -> dict[str, Any]:
    best = c.best_descriptor
    fee = c.fee_schedule
    units = written.units
    ended_on = c.ends_on or c.deleted_on
    return {
        "code": c.code,
        "system": _family(c.system),
        "kind": c.system,
        "drug": is_drug_code(c.code),
        "status": c.status,
        "known": c.known,
        "descriptor_source": _DESCRIPTOR_SOURCE.get(best.source, "none") if best else "none",
        "descriptor": best.text if best else None,
        "descriptor_release": best.release if best else None,
        "status_release": c.status_release,
        "deleted_year": c.deleted_on.year if c.deleted and c.deleted_on else None,
        "replaced_by": c.replaced_by if c.deleted else None,
        "cross_reference": c.replaced_by,
        "ended_on": ended_on.isoformat() if ended_on else None,
        "valid_on_service_date": ended_on is None or on <= ended_on,
        "successor": c.successor,
        "successor_published": c.successor_published,
        "dose": None
        if written.dose is None
        else {"amount": written.dose[0], "unit": written.dose[1]},
        "add_on": _add_on_facts(c, named),
        "mue": None if c.mue is None else c.mue.to_json(),
        "global_days": fee.global_days if fee else None,
        "bilateral": fee.bilateral if fee else None,
        "fee_schedule_release": fee.release if fee else None,
        "modifiers": list(written.modifiers),
        "units": units,
        "units_over_mue": None if units is None or c.mue is None else units > c.mue.value,
        "modifier_checks": [
            {
                "modifier": m,
                "finding": _modifier_finding(m, fee.bilateral if fee else None, has_pair_edit),
            }
            for m in written.modifiers
        ],
    }


def _family(system: str | None) -> str | None:
    """ "CPT" for every CPT category and PLA, "HCPCS" for Level II (the JSON's ``system``)."""
    if system is None:
        return None
    return "HCPCS" if system == "HCPCS-II" else "CPT"


def _add_on_facts(c: CodeFacts, named: list[str]) -> dict[str, Any] | None:
    a = c.add_on
    if a is None:
        return None
    primaries = [p.code for p in a.primaries]
    in_question = [p for p in primaries if p in named]
    return {
        "is_add_on": True,
        "edit_type": a.main_edit_type,
        "edit_types": sorted(set(a.edit_types)),
        "primaries": primaries,
        "primaries_by_type": {
            str(t): [p.code for p in a.primaries if p.edit_type == t]
            for t in sorted(set(a.edit_types))
        },
        "primary_in_question": bool(in_question),
        "primaries_in_question": in_question,
        "contractor_decides": a.contractor_decides,
        "active": a.active,
        "edits_deleted_year": a.edits_deleted_year,
        "release": a.release,
    }


def _modifier_finding(modifier: str, bilateral: str | None, has_pair_edit: bool) -> str:
    """What the loaded facts say about one modifier written on a code."""
    if modifier == "50":
        return {
            "0": "bilateral_adjustment_does_not_apply",
            "1": "bilateral_adjustment_applies",
            "2": "bilateral_by_definition",
            "3": "bilateral_each_side",
            "9": "bilateral_concept_does_not_apply",
        }.get(bilateral or "", "bilateral_indicator_unknown")
    if modifier in NCCI_ASSOCIATED_MODIFIERS:
        return "see_pair_edits" if has_pair_edit else "no_pair_edit_to_bypass"
    return "not_checked"


def _pair_facts(edit: PtpEditFact, written: dict[str, WrittenCode]) -> dict[str, Any]:
    bypass = sorted(
        {
            m
            for code in (edit.column_1, edit.column_2)
            for m in written[code].modifiers
            if m in NCCI_ASSOCIATED_MODIFIERS
        }
    )
    if edit.modifier_indicator == 0:
        finding = "modifier_cannot_bypass" if bypass else "no_modifier_bypasses"
    elif edit.modifier_indicator == 1:
        finding = "bypass_modifier_written" if bypass else "bypass_modifier_possible"
    else:
        finding = "edit_not_applicable"
    return {
        "column_1": edit.column_1,
        "column_2": edit.column_2,
        "modifier_indicator": edit.modifier_indicator,
        "rationale": edit.rationale,
        "release": edit.release,
        "bypass_modifiers_written": bypass,
        "finding": finding,
    }
