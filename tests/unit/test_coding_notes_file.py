"""The shipped coding notes: every line whole and cited; the codes grammar; bad lines say why."""

from __future__ import annotations

import csv
import datetime as dt
import re
from pathlib import Path

import pytest

from consultant.codes.importers.notes import NOTE_KINDS, NOTES_HEADER, note_values, read_notes
from consultant.codes.importers.records import Fact
from consultant.codes.importers.sources import Source
from consultant.codes.importers.values import BadValue
from consultant.codes.note_terms import BadNoteTerm, note_matches, parse_terms

PACKAGE = Path(__file__).resolve().parents[2] / "consultant" / "codes"
NOTES_FILE = PACKAGE / "notes" / "notes.csv"
SAMPLE_ADDON = PACKAGE / "sample" / "ncci-addon-code-edits-2024q2.csv"


def _sentences(text: str) -> list[str]:
    # A sentence ends at . ! or ? before a space and a capital, a digit or an opening mark.
    return re.split(r"(?<=[.!?])\s+(?=[A-Z0-9(\"])", text)


def test_the_sentence_count_sees_every_sentence() -> None:
    assert (
        len(_sentences("One two three four. Five six seven eight! Nine ten? (Eleven) twelve.")) == 4
    )


def shipped_notes() -> list[dict[str, str]]:
    with NOTES_FILE.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_the_file_has_the_documented_header_and_six_to_twelve_notes() -> None:
    with NOTES_FILE.open(newline="", encoding="utf-8") as handle:
        assert next(csv.reader(handle)) == NOTES_HEADER
    assert 6 <= len(shipped_notes()) <= 12


@pytest.mark.parametrize("note", shipped_notes(), ids=lambda note: note["id"])
def test_every_shipped_note_has_a_source_a_kind_dates_and_codes_of_a_codes_shape(
    note: dict[str, str],
) -> None:
    assert note["source"].strip(), "a note without its public source"
    assert note["kind"] in NOTE_KINDS
    start = dt.date.fromisoformat(note["effective_from"])
    if note["effective_to"]:
        assert dt.date.fromisoformat(note["effective_to"]) >= start
    terms = parse_terms(note["codes"])  # raises on anything without a code's shape
    assert terms
    for term in terms:
        for part in term.parts:
            assert part.kind in ("code", "modifier", "range", "any"), part
    assert not note["url"] or note["url"].startswith("https://")
    text = note["text"].strip()
    assert text.endswith("."), "a note is whole sentences"
    sentences = _sentences(text)
    assert len(sentences) <= 3, f"one to three sentences, not {len(sentences)}"
    assert all(len(sentence.split()) >= 4 for sentence in sentences), sentences


def test_the_importer_reads_every_shipped_line_as_a_note() -> None:
    items = list(read_notes(Source(NOTES_FILE)))
    assert all(isinstance(item, Fact) for item in items), [
        i for i in items if not isinstance(i, Fact)
    ]
    assert len(items) == len(shipped_notes())


def test_the_notes_the_issue_asks_for_are_there_and_cite_what_they_should() -> None:
    by_id = {note["id"]: note for note in shipped_notes()}
    g2211_2024, g2211_2025 = by_id["g2211-modifier-25-2024"], by_id["g2211-modifier-25-2025"]
    assert (g2211_2024["effective_from"], g2211_2024["effective_to"]) == (
        "2024-01-01",
        "2024-12-31",
    )
    assert (g2211_2025["effective_from"], g2211_2025["effective_to"]) == ("2025-01-01", "")
    assert "88 FR 78818" in g2211_2024["source"] and "89 FR 97710" in g2211_2025["source"]
    assert "Chapter IV" in by_id["knee-scope-chondroplasty-included"]["source"]
    assert "29880+G0289" in by_id["knee-scope-g0289-with-meniscectomy"]["codes"].split()
    assert by_id["em-column-2-modifier-25"]["codes"] == "*>99202-99499"
    assert set(by_id["modifier-59-or-x"]["codes"].split()) == {"59", "XE", "XP", "XS", "XU"}
    assert "Section 40.8" in by_id["co-surgery-modifier-62"]["source"]


def test_the_69990_note_cites_the_section_the_add_on_file_names() -> None:
    with SAMPLE_ADDON.open(newline="", encoding="utf-8") as handle:
        active = [
            row
            for row in csv.DictReader(handle)
            if row["add_on_code"] == "69990" and not row["edit_deleted_year"]
        ]
    assert len(active) > 100
    named = {row["notes"] for row in active}
    assert named == {
        "Based on Internet-Only Manual, Medicare Claims Processing Manual, Publication 100-04, "
        "Chapter 12, Section 20.4.5 Allowable Adjustments"
    }
    source = {n["id"]: n for n in shipped_notes()}["microscope-69990-payment-limit"]["source"]
    assert "Pub. 100-04), Chapter 12, Section 20.4.5 (Allowable Adjustments)" in source


@pytest.mark.parametrize(
    ("cell", "codes", "modifiers", "edits", "matches"),
    [
        ("G2211", ["99214", "G2211"], set(), [], True),
        ("G2211", ["99214"], {"25"}, [], False),
        ("25", ["99214"], {"25"}, [], True),
        ("59 XS", ["20610"], {"XU"}, [], False),
        ("99202-99215", ["99214"], set(), [], True),
        ("99202-99215", ["99221"], set(), [], False),
        ("99202-99215", ["9921F"], set(), [], False),  # another form of code, not in the range
        ("29880+G0289", ["29880"], set(), [], False),
        ("29880+G0289", ["G0289", "29880"], set(), [], True),
        ("*+99202-99215", ["99214"], set(), [], False),  # * is some other code
        ("*+99202-99215", ["99214", "99213"], set(), [], True),
        ("*>99202-99499", ["29881", "99214"], set(), [], False),  # no edit between them
        ("*>99202-99499", ["29881", "99214"], set(), [("29881", "99214")], True),
        ("*>99202-99499", ["29881", "99214"], set(), [("99214", "29881")], False),
        ("G2211+25", ["G2211"], {"25"}, [], True),
    ],
)
def test_when_a_term_matches(
    cell: str, codes: list[str], modifiers: set[str], edits: list[tuple[str, str]], matches: bool
) -> None:
    assert note_matches(parse_terms(cell), codes, modifiers, edits) is matches


@pytest.mark.parametrize(
    ("cell", "reason"),
    [
        ("", "no codes"),
        ("knee", "'KNEE' is not a code"),
        ("99215-99202", "ends before it starts"),
        ("99202-G2211", "two codes of the same form"),
        ("*", "names no code"),
        ("*+*+99213", "more than one *"),
        ("25>99213", "an edit term is two codes"),
    ],
)
def test_bad_terms_say_why(cell: str, reason: str) -> None:
    with pytest.raises(BadNoteTerm, match=reason):
        parse_terms(cell)


GOOD = ["n-1", "modifier", "G2211", "2024-01-01", "", "A note.", "A source", ""]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({0: "Bad Id"}, "id 'Bad Id' must be lower-case"),
        ({1: "advice"}, "note n-1: kind 'advice' is not one of"),
        ({2: "G22"}, "note n-1: codes: 'G22' is not a code"),
        ({3: ""}, "note n-1: effective_from is empty"),
        ({3: "2024-13-01"}, "note n-1: effective_from 2024-13-01 is not a real date"),
        ({4: "2023-12-31"}, "note n-1: effective_to 2023-12-31 is before 2024-01-01"),
        ({5: " "}, "note n-1: text is empty"),
        ({5: "x" * 701}, "note n-1: text has 701 characters"),
        ({6: ""}, "note n-1: source is empty: every note cites its public source"),
        ({7: "http://example.org"}, "must start with https://"),
    ],
)
def test_each_bad_value_says_which_note_and_why(change: dict[int, str], reason: str) -> None:
    fields = [change.get(n, value) for n, value in enumerate(GOOD)]
    with pytest.raises(BadValue, match=reason.replace("(", r"\(")):
        note_values(fields)
    assert note_values(GOOD)[0] == "n-1"
