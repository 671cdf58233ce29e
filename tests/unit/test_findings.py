"""Findings from facts, the release periods, drug stems and words of a question: no database."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from consultant.codes.facts import ReleaseRef
from consultant.codes.successors import drug_stem
from consultant.consultations.drug_units import descriptor_dose
from consultant.consultations.findings import bypass_modifiers, findings
from consultant.consultations.question_words import asks_about_both_sides, modifiers_asked_about
from consultant.consultations.release_periods import release_warnings


def _code(code: str, **fields: Any) -> dict[str, Any]:
    facts: dict[str, Any] = {
        "code": code,
        "known": True,
        "status": "A",
        "modifiers": [],
        "units": None,
        "mue": None,
        "add_on": None,
        "bilateral": "0",
        "global_days": "XXX",
        "descriptor_source": "none",
        "descriptor": None,
        "dose": None,
    }
    return {**facts, **fields}


def _facts(*codes: dict[str, Any], **fields: Any) -> dict[str, Any]:
    facts: dict[str, Any] = {
        "codes": list(codes),
        "pair_edits": [],
        "pairs_without_edit": [],
        "unknown_codes": [],
        "ptp_release": "ptp",
        "icd10": [],
        "both_sides": False,
    }
    return {**facts, **fields}


def _edit(one: str, two: str, indicator: int) -> dict[str, Any]:
    return {"column_1": one, "column_2": two, "modifier_indicator": indicator}


def _kinds(facts: dict[str, Any]) -> list[str]:
    return [f["kind"] for f in findings(facts)]


def test_an_em_service_takes_25_and_57_before_major_surgery() -> None:
    visit, minor, major = _code("99213"), _code("20610", global_days="000"), _code("27447")
    assert bypass_modifiers(minor, visit) == ["25"]
    assert bypass_modifiers(_code("27447", global_days="090"), visit) == ["57"]
    assert "59" not in bypass_modifiers(visit, major)


def test_anatomic_modifiers_only_where_the_anatomy_has_them() -> None:
    assert bypass_modifiers(_code("26055"), _code("26160"))[-10:][0] == "F1"
    assert "T1" in bypass_modifiers(_code("28285"), _code("28290"))
    assert "LC" in bypass_modifiers(_code("92928"), _code("92920"))
    plain = bypass_modifiers(_code("11042"), _code("97597"))
    assert plain == ["59", "XE", "XP", "XS", "XU"]
    # Sides only when both codes can be done on either side.
    assert bypass_modifiers(_code("20610", bilateral="1"), _code("96372"))[-1] == "XU"
    assert bypass_modifiers(_code("29881", bilateral="1"), _code("20610", bilateral="1"))[-2:] == [
        "LT",
        "RT",
    ]


def test_pairs_by_indicator_and_no_pair_line_for_an_ended_code() -> None:
    facts = _facts(
        _code("63047"),
        _code("69990"),
        _code("99354", status="D"),
        pair_edits=[_edit("63047", "69990", 0), _edit("63047", "99354", 1)],
        pairs_without_edit=[["69990", "99354"]],
    )
    found = findings(facts)
    assert [f["kind"] for f in found] == ["pair_not_payable_together"]
    assert found[0]["codes"] == ["63047", "69990"]


def test_pairs_without_edit_come_last_and_need_a_ptp_release() -> None:
    codes = (_code("99213"), _code("J1885"), _code("12345", known=False))
    with_release = _facts(*codes, pairs_without_edit=[["99213", "J1885"]], unknown_codes=["12345"])
    assert _kinds(with_release) == ["pair_no_edit", "code_unknown"]
    without = {**with_release, "ptp_release": None}
    assert _kinds(without) == ["code_unknown"]


def test_units_over_the_mue_name_its_indicator() -> None:
    mue = {"value": 1, "adjudication_indicator": 2}
    (found,) = findings(_facts(_code("64483", units=2, mue=mue)))
    assert found == {
        "kind": "units_over_mue",
        "codes": ["64483"],
        "units": 2,
        "mue": 1,
        "adjudication_indicator": 2,
    }
    assert findings(_facts(_code("64483", units=1, mue=mue))) == []


@pytest.mark.parametrize(
    ("description", "dose", "units"),
    [
        ("Injection, ketorolac tromethamine, per 15 mg", ("60", "mg"), 4),
        ("Injection, ketorolac tromethamine, per 15 mg", ("50", "mg"), 4),  # 3.33 rounds up
        ("Injection, naloxone hydrochloride, per 1 mg", ("0.4", "mg"), 1),
        ("Injection, furosemide, up to 20 mg", ("40", "mg"), 2),
        ("Injection, cephalothin sodium, up to 1 gram", ("1500", "mg"), 2),
        ("Injection, romiplostim, 10 micrograms", ("0.25", "mg"), 25),
        ("Injection, epinephrine, 0.1 mg", ("300", "mcg"), 3),
    ],
)
def test_a_dose_in_billing_units(description: str, dose: tuple[str, str], units: int) -> None:
    code = _code(
        "J9999",
        descriptor_source="hcpcs",
        descriptor=description,
        dose={"amount": dose[0], "unit": dose[1]},
        mue={"value": 3, "adjudication_indicator": 3},
    )
    found = findings(_facts(code))
    drug = found[0]
    assert (drug["kind"], drug["units"], drug["within_mue"]) == ("drug_units", units, units <= 3)
    over = [f for f in found if f["kind"] == "units_over_mue"]
    assert bool(over) == (units > 3)


def test_a_dose_in_another_measure_is_not_converted() -> None:
    code = _code(
        "J2150",
        descriptor_source="hcpcs",
        descriptor="Injection, mannitol, 25% in 50 ml",
        dose={"amount": "60", "unit": "mg"},
    )
    (drug,) = findings(_facts(code))
    assert (drug["units"], drug["per_unit"]) == (None, None)
    other_measure = {**code, "descriptor": "Injection, example, per 50 ml"}
    (drug,) = findings(_facts(other_measure))
    assert (drug["units"], drug["per_unit"]) == (None, "50 mL")


def test_descriptor_doses() -> None:
    assert descriptor_dose("Injection, ketorolac tromethamine, per 15 mg") == (Decimal(15), "mg")
    assert descriptor_dose("Injection, sincalide, 5 micrograms") == (Decimal(5), "mcg")
    assert descriptor_dose("Garment, belt, sleeve, each") is None
    assert descriptor_dose("Cyanocobalamin, up to 1,000 mcg") == (Decimal(1000), "mcg")
    # Only a last clause of its own is a unit dose: a strength per volume is not.
    assert descriptor_dose("Injection, example, 0.5 mg/0.5 ml") is None
    assert descriptor_dose("Injection, example, 20 mg in 2 ml") is None
    assert descriptor_dose("Injection, alglucosidase alfa, 10 mg, not otherwise specified") == (
        Decimal(10),
        "mg",
    )


def test_statuses_medicare_does_not_pay_and_status_e_is_not_one() -> None:
    assert _kinds(_facts(_code("99242", status="I"))) == ["not_payable_medicare"]
    assert _kinds(_facts(_code("A4550", status="B"))) == ["not_payable_medicare"]
    assert _kinds(_facts(_code("J1885", status="E"))) == []


def test_ended_codes_split_by_the_date_of_service() -> None:
    ended = _code("J2310", ended_on="2025-06-30", successor="J2312", valid_on_service_date=False)
    (found,) = findings(_facts(ended))
    assert found["kind"] == "code_ended"
    assert (found["ended_on"], found["likely_successor"]) == ("2025-06-30", "J2312")
    assert found["valid_on_service_date"] is False


def test_bilateral_only_when_both_sides_are_asked_about() -> None:
    knee = _code("20610", bilateral="1", modifiers=["RT", "LT"])
    assert _kinds(_facts(knee)) == ["bilateral_one_line"]
    assert _kinds(_facts(_code("20610", bilateral="1"), both_sides=True)) == ["bilateral_one_line"]
    assert _kinds(_facts(_code("20610", bilateral="1"))) == []
    assert _kinds(_facts(_code("27447", bilateral="2"), both_sides=True)) == []


def test_add_ons_with_and_without_their_primary() -> None:
    add_on = {
        "active": True,
        "primaries": ["63045", "63046", "63047"],
        "primary_in_question": True,
        "primaries_in_question": ["63047"],
        "contractor_decides": False,
    }
    with_primary = _code("63048", add_on=add_on)
    assert findings(_facts(with_primary))[0] == {
        "kind": "addon_with_primary",
        "codes": ["63048", "63047"],
    }
    alone = _code("63048", add_on={**add_on, "primary_in_question": False})
    assert findings(_facts(alone))[0]["primaries"] == ["63045", "63046", "63047"]


def test_what_the_data_cannot_answer() -> None:
    assert findings(_facts(_code("01382", status="J")))[0]["topic"] == "anesthesia_base_units"
    assert findings(_facts(_code("20610"), icd10=["M17.11"]))[0]["topic"] == "diagnosis_coverage"


def _release(kind: str, effective: dt.date) -> ReleaseRef:
    return ReleaseRef(1, kind, f"{kind}-release", effective)


def test_release_warnings_after_the_quarter_and_before_the_release() -> None:
    ptp = _release("ptp", dt.date(2024, 7, 1))
    assert release_warnings([ptp], dt.date(2024, 9, 30)) == []
    (after,) = release_warnings([ptp], dt.date(2024, 10, 1))
    assert (after["when"], after["covers_through"]) == ("after", "2024-09-30")
    (before,) = release_warnings([ptp], dt.date(2024, 6, 30))
    assert before["when"] == "before"
    # The HCPCS file carries each code's own dates, and notes their own.
    hcpcs = _release("hcpcs", dt.date(2025, 10, 1))
    assert (
        release_warnings([hcpcs, _release("notes", dt.date(2020, 1, 1))], dt.date(2025, 1, 2)) == []
    )


def test_drug_stems_leave_out_the_dose_and_not_otherwise_specified() -> None:
    old = drug_stem("Injection, naloxone hydrochloride, per 1 mg")
    new = drug_stem("Injection, naloxone hydrochloride, not otherwise specified, 0.01 mg")
    assert old == new == "injection, naloxone hydrochloride"
    assert drug_stem("Injection, furosemide, up to 20 mg") == "injection, furosemide"


@pytest.mark.parametrize(
    ("text", "both"),
    [
        ("injected both knees", True),
        ("bilateral carpal tunnel", True),
        ("RT/LT knees", True),
        ("left and right shoulder", True),
        ("the right knee only", False),
        ("both of us", False),
    ],
)
def test_both_sides(text: str, both: bool) -> None:
    assert asks_about_both_sides(text) is both


def test_modifiers_named_in_words() -> None:
    assert modifiers_asked_about("When do I use modifier 59 vs XS?") == {"59", "XS"}
    assert modifiers_asked_about("Is the 25 modifier needed?") == {"25"}
    assert modifiers_asked_about("mod is fine, modified date") == set()


def test_review_lines_show_the_date_and_each_finding_shortly() -> None:
    from consultant.review.fact_lines import describe_facts

    primaries = [f"6130{n}" for n in range(8)]
    facts = _facts(
        _code("69990", add_on={"active": True, "primaries": primaries, "primary_in_question": False,
                               "primaries_in_question": [], "contractor_decides": False,
                               "edit_types": [1], "release": "addon"}),
        service_date="2024-07-10",
        service_date_source="question",
        releases=[],
    )  # fmt: skip
    facts["findings"] = findings(facts)
    lines = describe_facts(facts)
    assert lines[0] == "  date of service 2024-07-10 (question)"
    assert lines[1] == (
        "  finding: addon without primary 69990 (primaries 8 codes, contractor decides False)"
    )
