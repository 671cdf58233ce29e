"""The facts a reply rests on: modifier and unit checks, add-on primaries, pairs without edits."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from consultant.codes.facts import (
    AddOnFacts,
    AddOnPrimary,
    CodeFacts,
    FeeScheduleFacts,
    LookupResult,
    MueFact,
    PtpEditFact,
)
from consultant.consultations.drafting import render_reply
from consultant.consultations.reply_facts import QuestionCodes, WrittenCode, build_facts

PFS = "pfs-test"


def _fee(bilateral: str | None) -> FeeScheduleFacts:
    return FeeScheduleFacts("A", "090", "0", "2", bilateral, "1", "0", "0", PFS)


def _code(code: str, **extra: Any) -> CodeFacts:
    return CodeFacts(code=code, system="CPT-I", known=True, status="A", **extra)


def _edit(column_1: str, column_2: str, indicator: int) -> PtpEditFact:
    return PtpEditFact(column_1, column_2, indicator, "Mutually exclusive procedures", None, None,
                       True, "ptp-test")  # fmt: skip


@pytest.mark.parametrize(
    ("bilateral", "finding"),
    [
        ("0", "bilateral_adjustment_does_not_apply"),
        ("1", "bilateral_adjustment_applies"),
        ("2", "bilateral_by_definition"),
        ("3", "bilateral_each_side"),
        ("9", "bilateral_concept_does_not_apply"),
        (None, "bilateral_indicator_unknown"),
    ],
)
def test_modifier_50_against_the_bilateral_indicator(bilateral: str | None, finding: str) -> None:
    result = LookupResult((_code("27447", fee_schedule=_fee(bilateral)),), (), ())
    facts = build_facts(QuestionCodes([WrittenCode("27447", ("50",))]), result, dt.date(2024, 7, 1))
    assert facts["codes"][0]["modifier_checks"] == [{"modifier": "50", "finding": finding}]
    reply = render_reply(facts, question_text="27447-50", subject="s")
    assert "Modifier 50: the" in reply.text


def test_other_modifiers_and_pairs_without_an_edit() -> None:
    result = LookupResult((_code("11042"), _code("97597"), _code("99213")), (), (), (),
                          "ptp-test")  # fmt: skip
    written = [WrittenCode("11042", ("59", "GA")), WrittenCode("97597"), WrittenCode("99213")]
    facts = build_facts(QuestionCodes(written), result, dt.date(2024, 7, 1))
    checks = facts["codes"][0]["modifier_checks"]
    assert checks == [
        {"modifier": "59", "finding": "no_pair_edit_to_bypass"},
        {"modifier": "GA", "finding": "not_checked"},
    ]
    assert facts["pairs_without_edit"] == [["11042", "97597"], ["11042", "99213"],
                                           ["97597", "99213"]]  # fmt: skip
    text = render_reply(facts, question_text="q", subject="s").text
    assert (
        "No NCCI PTP edit stands between 11042 and 97597; 11042 and 99213; 97597 and 99213"
        " (ptp-test)." in text
    )
    assert "Modifier GA: the loaded data holds no rule to check it against." in text


def test_pair_findings_by_indicator_and_modifier() -> None:
    codes = (_code("29881"), _code("20610"), _code("63047"), _code("69990"))
    edits = (_edit("29881", "20610", 1), _edit("63047", "69990", 0), _edit("29881", "63047", 9))
    written = [WrittenCode("29881"), WrittenCode("20610", ("RT",)), WrittenCode("63047"),
               WrittenCode("69990", ("XS",))]  # fmt: skip
    facts = build_facts(
        QuestionCodes(written), LookupResult(codes, edits, (), (), "ptp-test"), dt.date(2024, 7, 1)
    )
    findings = {(e["column_1"], e["column_2"]): e["finding"] for e in facts["pair_edits"]}
    assert findings == {
        ("29881", "20610"): "bypass_modifier_written",
        ("63047", "69990"): "modifier_cannot_bypass",
        ("29881", "63047"): "edit_not_applicable",
    }
    text = render_reply(facts, question_text="q", subject="s").text
    assert "may bypass it when the record supports a separate service; you wrote RT." in text
    assert "no modifier bypasses this edit, so the XS you wrote does not change it." in text
    assert "Modifier indicator 9: the edit does not apply." in text


def test_add_on_with_type_1_and_type_3_edits_and_units_at_the_mue() -> None:
    add_on = AddOnFacts(
        edit_types=(1, 3, 3),
        primaries=(AddOnPrimary("11010", 1), AddOnPrimary("11043", 3), AddOnPrimary("13100", 3)),
        contractor_decides=True,
        active_edit_count=3,
        deleted_edit_count=0,
        add_on_deleted_year=None,
        edits_deleted_year=None,
        release="addon-test",
    )
    mue = MueFact(2, 1, "Clinical: Data", "mue-test")
    result = LookupResult((_code("20701", add_on=add_on, mue=mue), _code("11043")), (), ())
    question = QuestionCodes([WrittenCode("20701", (), 2), WrittenCode("11043")])
    facts = build_facts(question, result, dt.date(2024, 7, 1))
    code = facts["codes"][0]
    assert code["add_on"]["edit_type"] == 3 and code["add_on"]["edit_types"] == [1, 3]
    assert code["add_on"]["primaries_by_type"] == {"1": ["11010"], "3": ["11043", "13100"]}
    assert code["add_on"]["primaries_in_question"] == ["11043"]
    assert (code["units"], code["units_over_mue"], code["mue"]["per"]) == (2, False, "line")
    text = render_reply(facts, question_text="q", subject="s").text
    assert "NCCI add-on edit type 1: report it only with one of these primary codes: 11010." in text
    assert "these primary codes are listed: 11043, 13100; the payer's contractor may" in text
    assert "20701 is an add-on code, and 11043 in your question is one of its primary" in text
    assert "MUE: at most 2 units per claim line" in text
    assert "The 2 units you wrote are within the MUE." in text
