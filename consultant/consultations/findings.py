"""The answer before the facts: what the looked-up facts mean for the question, as findings.

Each finding is a dict with a ``kind``, the ``codes`` it concerns (in the order
its kind defines) and the fields of that kind; ``consultant draft --json``
prints them and the reply opens with one sentence per finding ("In short").
They are computed from the stored facts alone, so a stored draft re-renders
exactly, and every one rests on a value of a CMS file or on a published
definition of that value:

- ``addon_with_primary`` (add-on, primary) / ``addon_without_primary`` (add-on; ``primaries``)
- ``pair_not_payable_together`` (column 1, column 2): an active PTP edit, indicator 0
- ``pair_bypass_modifier`` (column 1, column 2; ``modifiers``): indicator 1
- ``pair_no_edit`` (code, code): two codes with no active PTP edit between them
- ``units_over_mue`` (code; ``units``, ``mue``, ``adjudication_indicator``)
- ``bilateral_one_line`` (code): bilateral indicator 1, asked for both sides
- ``code_ended`` (code; ``ended_on``, ``likely_successor``, ``successor_published``,
  ``valid_on_service_date``)
- ``drug_units`` (code; ``dose``, ``per_unit``, ``units``, ``mue``, ``within_mue``): see
  :mod:`consultant.consultations.drug_units`
- ``not_payable_medicare`` (code; ``status``, ``replaced_by``)
- ``data_cannot_answer`` (code; ``topic``): what the files do not hold, and where to look
- ``code_unknown`` (code)
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from consultant.codes.kinds import is_evaluation_and_management
from consultant.consultations.drug_units import drug_units

Finding = dict[str, Any]
Facts = dict[str, Any]

#: PFS statuses under which Medicare pays nothing for the code itself.
NOT_PAYABLE_STATUSES = frozenset({"B", "I", "M", "N", "P", "X"})
_BYPASS_MODIFIERS = ["59", "XE", "XP", "XS", "XU"]
# Where anatomy applies, the anatomic modifiers NCCI accepts for a PTP edit (NCCI Policy
# Manual, Chapter I): by the part of CPT that codes that anatomy.
_ANATOMIC_RANGES = (
    (("26010", "26989"), ["F1", "F2", "F3", "F4", "F5", "F6", "F7", "F8", "F9", "FA"]),
    (("28001", "28899"), ["T1", "T2", "T3", "T4", "T5", "T6", "T7", "T8", "T9", "TA"]),
    (("67700", "67999"), ["E1", "E2", "E3", "E4"]),
    (("92920", "92944"), ["LC", "LD", "LM", "RC", "RI"]),
)
_ANESTHESIA = ("00100", "01999")


# The dose in a HCPCS drug description: ", per 15 mg", ", up to 20 mg", ", 0.1 mg", ", 1 gram".
def findings(facts: Facts) -> list[Finding]:
    """The findings of a reply's facts, most consequential first."""
    codes = [c for c in facts["codes"] if c["known"]]
    found: list[Finding] = []
    for c in codes:
        found.extend(_ended(c))
    for c in codes:
        found.extend(_not_payable(c))
    pairs = list(_pairs(facts, codes))
    found.extend(f for f in pairs if f["kind"] != "pair_no_edit")
    for c in codes:
        found.extend(_add_on(c))
    for c in codes:
        found.extend(_units(c))
        found.extend(_bilateral(c, facts.get("both_sides", False)))
        found.extend(_cannot_answer(c))
    # Least consequential: pairs that nothing stands between.
    found.extend(f for f in pairs if f["kind"] == "pair_no_edit")
    if facts["icd10"]:
        # Whether a diagnosis supports a service is an LCD's or NCD's list, not in these files.
        found.append({"kind": "data_cannot_answer", "codes": [], "topic": "diagnosis_coverage"})
    found.extend({"kind": "code_unknown", "codes": [code]} for code in facts["unknown_codes"])
    return found


def _ended(c: Facts) -> Iterator[Finding]:
    if c.get("ended_on") is None:
        return
    yield {
        "kind": "code_ended",
        "codes": [c["code"]],
        "ended_on": c["ended_on"],
        "likely_successor": c.get("successor"),
        "successor_published": bool(c.get("successor_published")),
        "valid_on_service_date": bool(c.get("valid_on_service_date")),
    }


def _not_payable(c: Facts) -> Iterator[Finding]:
    if c["status"] in NOT_PAYABLE_STATUSES:
        yield {
            "kind": "not_payable_medicare",
            "codes": [c["code"]],
            "status": c["status"],
            # What the HCPCS file cross-references the code to, where it names one.
            "replaced_by": c.get("cross_reference") or c.get("replaced_by"),
        }


def _pairs(facts: Facts, codes: list[Facts]) -> Iterator[Finding]:
    ended = {c["code"] for c in codes if c["status"] == "D"}
    by_code = {c["code"]: c for c in codes}
    for e in facts["pair_edits"]:
        pair = [e["column_1"], e["column_2"]]
        if ended & set(pair):
            continue  # an edit on a code that cannot be reported answers nothing
        if e["modifier_indicator"] == 0:
            yield {"kind": "pair_not_payable_together", "codes": pair}
        elif e["modifier_indicator"] == 1:
            yield {
                "kind": "pair_bypass_modifier",
                "codes": pair,
                "modifiers": bypass_modifiers(by_code.get(pair[0]), by_code.get(pair[1])),
                "on_code": _modifier_goes_on(pair),
                "anesthesia": any(is_anesthesia(code) for code in pair),
            }
    if facts.get("ptp_release") is None:
        return
    for pair in facts["pairs_without_edit"]:
        if not ended & set(pair):
            yield {"kind": "pair_no_edit", "codes": list(pair)}


def _modifier_goes_on(pair: list[str]) -> str:
    """The code the bypass modifier is written on: the E/M, else the column 2 code."""
    return next((code for code in pair if is_evaluation_and_management(code)), pair[1])


def bypass_modifiers(column_1: Facts | None, column_2: Facts | None) -> list[str]:
    """The NCCI-associated modifiers that fit an indicator-1 pair (NCCI Policy Manual, ch. I).

    An E/M service takes 25 (57 when the procedure has a 90-day global period,
    the decision for major surgery), never 59 or X{EPSU}; other pairs take 59 or
    the more specific X{EPSU}, plus the anatomic modifiers where the codes' anatomy
    has them.
    """
    codes = [c for c in (column_1, column_2) if c is not None]
    evaluation = [c for c in codes if is_evaluation_and_management(c["code"])]
    if evaluation:
        others = [c for c in codes if c not in evaluation]
        return ["57"] if any(c.get("global_days") == "090" for c in others) else ["25"]
    if any(is_anesthesia(c["code"]) for c in codes):
        # NCCI Policy Manual, ch. II: a block or line besides the anesthesia is paid only when
        # it is not the anesthesia itself (postoperative pain management): 59, or XU.
        return ["59", "XU"]
    modifiers = list(_BYPASS_MODIFIERS)
    for c in codes:
        for (low, high), anatomic in _ANATOMIC_RANGES:
            if c["code"].isdigit() and low <= c["code"] <= high:
                modifiers += [m for m in anatomic if m not in modifiers]
    # Sides tell two services apart only when both codes can be done on either side.
    if len(codes) == 2 and all(c.get("bilateral") in ("1", "3") for c in codes):
        modifiers += ["LT", "RT"]
    return modifiers


def is_anesthesia(code: str) -> bool:
    """Whether ``code`` is in CPT's anesthesia section (00100-01999)."""
    return code.isdigit() and _ANESTHESIA[0] <= code <= _ANESTHESIA[1]


def _add_on(c: Facts) -> Iterator[Finding]:
    a = c.get("add_on")
    if not a or not a["active"]:
        return
    if a["primary_in_question"]:
        yield {
            "kind": "addon_with_primary",
            "codes": [c["code"], a["primaries_in_question"][0]],
        }
    else:
        yield {
            "kind": "addon_without_primary",
            "codes": [c["code"]],
            "primaries": list(a["primaries"]),
            "contractor_decides": bool(a["contractor_decides"]),
        }


def _units(c: Facts) -> Iterator[Finding]:
    mue = c.get("mue")
    drug = drug_units(c)
    if drug is not None:
        yield drug
    units = c.get("units")
    if drug is not None and drug.get("units") is not None and units is None:
        units = drug["units"]
    if mue is not None and units is not None and units > mue["value"]:
        yield {
            "kind": "units_over_mue",
            "codes": [c["code"]],
            "units": units,
            "mue": mue["value"],
            "adjudication_indicator": mue["adjudication_indicator"],
        }


def _bilateral(c: Facts, both_sides: bool) -> Iterator[Finding]:
    sides = {"RT", "LT"} <= set(c["modifiers"]) or "50" in c["modifiers"]
    if c.get("bilateral") == "1" and (both_sides or sides):
        yield {
            "kind": "bilateral_one_line",
            "codes": [c["code"]],
            "mue": None if c.get("mue") is None else c["mue"]["value"],
        }


def _cannot_answer(c: Facts) -> Iterator[Finding]:
    if is_anesthesia(c["code"]):
        yield {"kind": "data_cannot_answer", "codes": [c["code"]], "topic": "anesthesia_base_units"}
