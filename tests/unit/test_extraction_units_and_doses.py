"""Unit counts written before a code or spelled out; doses given to their drug codes."""

from __future__ import annotations

from decimal import Decimal

import pytest

from consultant.extraction import extract


@pytest.mark.parametrize(
    "text",
    [
        "We gave 2 units of 96372 for the two injections.",
        "Billed two units of 96372 today.",
        "Billed 2 units 96372, is that right?",
        "Line 2: x2 96372 with the visit.",
        "Line 2: 2x 96372 with the visit.",
        "Is 2 units of CPT 96372 allowed?",
        "We billed 96372 times two.",
        "We billed 96372 x two.",
        "We billed 96372 times 2 on one line.",
        "We billed 96372 twice.",
        "We billed 96372 x 2.",
    ],
)
def test_unit_counts_before_the_code_or_spelled_out(text: str) -> None:
    [mention] = extract(text).codes
    assert (mention.code, mention.units) == ("96372", 2)
    assert "units written" in mention.reasons


def test_a_count_after_the_previous_code_is_not_read_again_before_the_next() -> None:
    extraction = extract("Lines: 97110 2 units 97140 and 97530.")
    assert [(m.code, m.units) for m in extraction.codes] == [
        ("97110", 2),
        ("97140", None),
        ("97530", None),
    ]


def test_a_count_in_prose_yields_to_the_count_written_on_the_line() -> None:
    # "63082 x 2" is what was billed; "one unit of 63082" is what the payer paid.
    extraction = extract("We billed 63081 and 63082 x 2. They paid one unit of 63082. Why?")
    mention = extraction.code("63082")
    assert mention is not None
    assert (mention.units, mention.units_written) == (2, [2, 1])


def test_a_measurement_in_units_is_still_no_count_for_the_next_code() -> None:
    extraction = extract("Heparin 15000 units of flush, then 96372.")
    assert [(m.code, m.units) for m in extraction.codes] == [("96372", None)]


@pytest.mark.parametrize(
    ("text", "code", "dose"),
    [
        ("Toradol 60 mg IM, billed J1885 and 96372.", "J1885", (Decimal(60), "mg")),
        ("J1885 60mg given in the office.", "J1885", (Decimal(60), "mg")),
        ("Kenalog 40mg (J3301) into the knee.", "J3301", (Decimal(40), "mg")),
        ("Ceftriaxone 1 g IM, J0696 x4?", "J0696", (Decimal(1), "g")),
        ("B12 1,000 mcg: J3420.", "J3420", (Decimal(1000), "mcg")),
        ("Dexamethasone 0.5 mg, J1100.", "J1100", (Decimal("0.5"), "mg")),
        ("Ondansetron 4 milligrams, J2405.", "J2405", (Decimal(4), "mg")),
    ],
)
def test_a_dose_in_the_sentence_goes_to_the_drug_code(
    text: str, code: str, dose: tuple[Decimal, str]
) -> None:
    mention = extract(text).code(code)
    assert mention is not None and mention.dose is not None
    assert (mention.dose.amount, mention.dose.unit) == dose


def test_each_drug_code_takes_the_nearest_dose_and_other_codes_take_none() -> None:
    extraction = extract("Kenalog J3301 40 mg and Decadron J1100 10 mg, with 20610 and 96372.")
    doses = {m.code: m.dose and (m.dose.amount, m.dose.unit) for m in extraction.codes}
    assert doses == {
        "J3301": (Decimal(40), "mg"),
        "J1100": (Decimal(10), "mg"),
        "20610": None,
        "96372": None,
    }
    clauses = extract("0.5 mg of J2405; 0.25 mg of J1100.")
    assert [m.dose and m.dose.amount for m in clauses.codes] == [Decimal("0.5"), Decimal("0.25")]


def test_one_drug_code_and_one_dose_in_different_sentences_belong_together() -> None:
    extraction = extract("Toradol 60 mg IM this morning. We billed J1885 and 96372.")
    assert [(m.code, m.dose and m.dose.amount) for m in extraction.codes] == [
        ("J1885", Decimal(60)),
        ("96372", None),
    ]
    assert [(d.amount, d.unit) for d in extraction.doses] == [(Decimal(60), "mg")]


def test_a_dose_goes_to_the_nearest_of_two_drug_codes_and_another_sentences_to_none() -> None:
    extraction = extract("We gave 80 mg. Then we billed J1885 and J3301 40 mg.")
    assert [(m.code, m.dose and m.dose.amount) for m in extraction.codes] == [
        ("J1885", None),
        ("J3301", Decimal(40)),
    ]
    assert [d.amount for d in extraction.doses] == [Decimal(80), Decimal(40)]


def test_without_a_drug_code_no_code_takes_a_dose() -> None:
    assert [m.dose for m in extract("Toradol 60 mg with 96372, which code?").codes] == [None]


def test_a_needle_gauge_is_no_dose() -> None:
    assert extract("Used an 18 G needle for J1885.").codes[0].dose is None
