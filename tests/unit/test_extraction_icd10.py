"""ICD-10-CM codes: dotted anywhere, undotted only in a diagnosis list."""

from __future__ import annotations

import pytest

from consultant.extraction import extract


def diagnoses(text: str) -> list[str]:
    return [mention.code for mention in extract(text).icd10]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Knee pain, coded M25.561, then 20610.", ["M25.561"]),
        ("Pregnancy weeks Z3A.28 on the claim.", ["Z3A.28"]),
        ("Fracture S52.501A, later S52.501D.", ["S52.501A", "S52.501D"]),
        ("Loosening T84.84XA after the hip.", ["T84.84XA"]),
        ("Gout M1A.071 in the ankle.", ["M1A.071"]),
    ],
)
def test_dotted_codes_are_taken_anywhere(text: str, expected: list[str]) -> None:
    assert diagnoses(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Dx M25561 for the knee.", ["M25.561"]),
        ("Diagnosis: E119, I10 and Z794.", ["E11.9", "I10", "Z79.4"]),
        ("ICD-10 codes R51 / G4489", ["R51", "G44.89"]),
        ("dx is m17.11 (primary osteoarthritis) and m17.12", ["M17.11", "M17.12"]),
        ("Diagnoses:\nK5730\nK5790", ["K57.30", "K57.90"]),
    ],
)
def test_undotted_codes_in_a_diagnosis_list(text: str, expected: list[str]) -> None:
    assert diagnoses(text) == expected


def test_written_form_is_kept_beside_the_dotted_form() -> None:
    mention = extract("Dx M25561 today.").icd10[0]
    assert (mention.code, mention.written) == ("M25.561", "M25561")


def test_undotted_diagnosis_is_not_also_a_supply_code() -> None:
    extraction = extract("Dx M5412 for the neck; we billed 64490.")
    assert extraction.code_strings == ["64490"]
    assert [m.code for m in extraction.icd10] == ["M54.12"]


def test_a_supply_code_after_dotted_diagnoses_stays_a_supply_code() -> None:
    extraction = extract("Dx K57.30 and G0105 was the screening line.")
    assert [m.code for m in extraction.icd10] == ["K57.30"]
    assert extraction.code_strings == ["G0105"]


def test_a_known_code_ends_an_undotted_diagnosis_list() -> None:
    extraction = extract("dx R1031 and J1885 given", known_codes={"J1885"})
    assert [m.code for m in extraction.icd10] == ["R10.31"]
    assert extraction.code_strings == ["J1885"]


@pytest.mark.parametrize(
    "text",
    [
        "Decompression at L4-L5 and T11-T12 with 63047.",
        "Fusion C5-6, C6-7 and S1 screws with 22551.",
        "Code 63047 x2 on the right.",
        "Version 2.1 of the policy, section 3.4.",
        "The E/M level was 99214.",
        "We saw M5416 in the note as a supply line.",
    ],
)
def test_no_diagnosis_where_none_is_written(text: str) -> None:
    assert diagnoses(text) == []
