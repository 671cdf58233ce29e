"""Where the whole-text searches start reading: at a word's start, in any case where it should.

The searches for codes, dates, street numbers and sentence ends each jump to a
class of first characters and check what stands before it looking back; these
cases pin the edges of that look (a letter or underscore before a code, a
month name inside a word, a relative day in capitals).
"""

from __future__ import annotations

import datetime as dt

import pytest

from consultant.extraction import extract
from consultant.extraction.dates import read_date_of_service

# A Wednesday.
WRITTEN = dt.date(2025, 2, 19)


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("99213 at the start of the text", ["99213"]),
        ("x99213 and 99214", ["99214"]),  # a letter before it: part of a word
        ("_99213 and 99214", ["99214"]),
        ("é99213 billed", ["99213"]),  # codes are ASCII: a non-ASCII letter ends a word
        ("code 0275T, 3074F and 0001U", ["0275T", "3074F", "0001U"]),
        ("A1234 5", ["A1234"]),
    ],
)
def test_a_code_starts_a_word(text: str, codes: list[str]) -> None:
    assert extract(text).code_strings == codes


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("SEEN YESTERDAY for 99213.", dt.date(2025, 2, 18)),
        ("Seen LAST TUESDAY for 99213.", dt.date(2025, 2, 18)),
        ("seen This\tPast Friday", dt.date(2025, 2, 14)),
        ("seen xyesterday for 99213", None),
        ("Seen on_Monday for 99213", None),
        ("Seen (May 5, 2025) for 99213.", dt.date(2025, 5, 5)),
        ("Seen XMay 5, 2025 for 99213.", None),
        ("done Sept. 3rd, 2024", dt.date(2024, 9, 3)),
        ("done Septe 3", None),
        ("Seen on 5/6/2025.", dt.date(2025, 5, 6)),
        ("Seen on 1-2/3/2025 for 99213", None),
        ("Surgery Dec-12-2024: 29881", None),
    ],
)
def test_a_date_starts_a_word(text: str, expected: dt.date | None) -> None:
    assert read_date_of_service(text, WRITTEN) == expected


def test_a_street_number_starts_a_word() -> None:
    text = (
        "Suite 5 at 20610 Lakeview Blvd. Billed 29826\n12345 Main St, 62704\nx12345 Main St, 63030"
    )
    extraction = extract(text)
    assert extraction.code_strings == ["29826", "63030"]  # "x12345" is no house number
    assert [(aside.text, aside.reason) for aside in extraction.set_aside] == [
        ("20610", "street number"),
        ("12345", "street number"),
        ("62704", "zip code in an address"),
    ]


def test_doses_stay_in_their_sentence_across_blank_lines() -> None:
    extraction = extract("J1885 60 mg. Then\n\nJ3301 10 mg; and J1100 4 mg!")
    doses = {m.code: (str(m.dose.amount), m.dose.unit) for m in extraction.codes if m.dose}
    assert doses == {"J1885": ("60", "mg"), "J3301": ("10", "mg"), "J1100": ("4", "mg")}
