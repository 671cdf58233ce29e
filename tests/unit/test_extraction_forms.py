"""Every way people write a code, a modifier, a unit count, a list or a range."""

from __future__ import annotations

import pytest

from consultant.extraction import extract


def codes(text: str) -> list[str]:
    return extract(text).code_strings


@pytest.mark.parametrize(
    ("text", "code", "system"),
    [
        ("Please look at 27446 for me.", "27446", "CPT-I"),
        ("Anesthesia line 00790 was cut.", "00790", "CPT-I"),
        ("Measure 1036F was reported.", "1036F", "CPT-II"),
        ("Is 0596T still a tracking code?", "0596T", "CPT-III"),
        ("The lab sent 0037U on the claim.", "0037U", "PLA"),
        ("Supply line A4550 keeps denying.", "A4550", "HCPCS-II"),
        ("What about T1015 at the clinic?", "T1015", "HCPCS-II"),
    ],
)
def test_each_code_system_is_told_by_its_shape(text: str, code: str, system: str) -> None:
    extraction = extract(text)
    assert extraction.code_strings == [code]
    assert extraction.codes[0].system == system


@pytest.mark.parametrize(
    "text",
    [
        "CPT® 29827 was denied.",
        "CPT(R) 29827 was denied.",
        "CPT code 29827 was denied.",
        "cpt: 29827 was denied.",
        "HCPCS code G0439 was denied.",
    ],
)
def test_a_code_label_is_a_reason(text: str) -> None:
    mention = extract(text).codes[0]
    assert "code label" in mention.reasons


def test_add_on_mark_and_resequenced_hash() -> None:
    extraction = extract("Does +22632 need a primary, and is #99416 a real line item?")
    assert extraction.code_strings == ["22632", "99416"]
    assert extraction.codes[0].add_on_mark is True
    assert extraction.codes[1].add_on_mark is False
    assert "# mark" in extraction.codes[1].reasons


def test_plus_between_two_codes_is_not_an_add_on_mark() -> None:
    extraction = extract("We sent 99205+99418 on one claim.")
    assert extraction.code_strings == ["99205", "99418"]
    assert not any(m.add_on_mark for m in extraction.codes)


@pytest.mark.parametrize("dash", ["-", "\u2011", "\u2013", "\u2014", "\u2212", " - ", " "])
def test_a_modifier_after_any_dash_or_a_space(dash: str) -> None:
    mention = extract(f"They billed 64721{dash}59 last week.").codes[0]
    assert (mention.code, mention.modifiers) == ("64721", ["59"])


def test_modifier_chains_and_lower_case_after_a_dash() -> None:
    extraction = extract("Right side 27130-RT-GA, left 27132 -LT -KX, then 20611-rt.")
    assert [(m.code, m.modifiers) for m in extraction.codes] == [
        ("27130", ["RT", "GA"]),
        ("27132", ["LT", "KX"]),
        ("20611", ["RT"]),
    ]


def test_word_like_modifiers_after_a_space() -> None:
    extraction = extract("Chiro visit 98941 AT and 97140 GP; 97110 PT eval; 27447 AS.")
    assert [(m.code, m.modifiers) for m in extraction.codes] == [
        ("98941", ["AT"]),
        ("97140", ["GP"]),
        ("97110", []),
        ("27447", ["AS"]),
    ]
    assert extract("BILL 99213 AS SOON AS WE CAN").codes[0].modifiers == []


def test_category_ii_takes_performance_modifiers() -> None:
    assert extract("We reported 1125F-8P for the measure.").codes[0].modifiers == ["8P"]


@pytest.mark.parametrize(
    "text",
    [
        "Is modifier 59 needed on 64721?",
        "Should 64721 carry modifier 59?",
        "Bill 64721 with 59 or XS?",
        "Was 64721 25 minutes long?",
        "We did 64721 PT follow-up after.",
    ],
)
def test_a_modifier_only_talked_about_is_not_written_onto_the_code(text: str) -> None:
    assert extract(text).codes[0].modifiers == []


@pytest.mark.parametrize(
    ("written", "units"),
    [
        ("22614x2", 2),
        ("22614 x2", 2),
        ("22614 x 3", 3),
        ("22614 X4", 4),
        ("22614 ×2", 2),
        ("22614 (x2)", 2),
        ("22614 * 2", 2),
        ("22614 3 units", 3),
        ("22614 x 2 levels", 2),
    ],
)
def test_unit_counts_written_after_a_code(written: str, units: int) -> None:
    mention = extract(f"For the fusion we billed {written} and a graft.").codes[0]
    assert (mention.code, mention.units, mention.modifiers) == ("22614", units, [])


def test_modifiers_and_units_together() -> None:
    extraction = extract("Lines: 64484-50 x 2 and 20610-RT x1.")
    assert [(m.code, m.modifiers, m.units) for m in extraction.codes] == [
        ("64484", ["50"], 2),
        ("20610", ["RT"], 1),
    ]


def test_repeats_merge_and_disagreeing_units_stay_open() -> None:
    text = "We sent 88307 x2 with 88341 x1. Or should it be 88307 x3? Later 88341-59 again."
    extraction = extract(text)
    first, second = extraction.codes
    assert (first.code, first.units, first.units_written) == ("88307", None, [2, 3])
    assert (second.code, second.units, second.modifiers) == ("88341", 1, ["59"])
    assert len(second.spans) == 2


@pytest.mark.parametrize(
    "text",
    [
        "Which is right: 99204, 99205 and 99215?",
        "Which is right: 99204/99205/99215?",
        "Which is right (99204) or (99205), or 99215?",
        "Which is right: 99204 & 99205 vs 99215?",
    ],
)
def test_lists_of_codes(text: str) -> None:
    extraction = extract(text)
    assert extraction.code_strings == ["99204", "99205", "99215"]
    assert all("list with codes" in m.reasons for m in extraction.codes)


def test_table_rows_carry_units_and_modifiers() -> None:
    text = "| Code | Mod | Units |\n| 22612 | | 1 |\n| 22614 | 59 | 2 |\n| 20931 |"
    extraction = extract(text)
    assert [(m.code, m.modifiers, m.units) for m in extraction.codes] == [
        ("22612", [], 1),
        ("22614", ["59"], 2),
        ("20931", [], None),
    ]


def test_numbered_and_bulleted_lines() -> None:
    text = "Our lines:\n1. 43235\n2) 43239-59\n- 43248 x1\n* 91110"
    extraction = extract(text)
    assert extraction.code_strings == ["43235", "43239", "43248", "91110"]
    assert extraction.code("43239").modifiers == ["59"]
    assert extraction.code("43248").units == 1


@pytest.mark.parametrize(
    "text",
    [
        "New visits 99202-99205 changed.",
        "New visits 99202\u201399205 changed.",
        "New visits 99202 - 99205 changed.",
        "New visits 99202 through 99205 changed.",
        "New visits 99202 thru 99205 changed.",
        "New visits from 99202 to 99205 changed.",
    ],
)
def test_ranges_are_reported_with_both_ends_never_expanded(text: str) -> None:
    extraction = extract(text)
    assert [(r.start, r.end) for r in extraction.ranges] == [("99202", "99205")]
    assert extraction.code_strings == ["99202", "99205"]


@pytest.mark.parametrize("dash", ["-", "\u2013", " - "])
def test_a_range_written_short_names_its_full_end(dash: str) -> None:
    text = f"Office visits 99202{dash}05 for new and 99212{dash}15 for established patients."
    extraction = extract(text)
    ranges = [(r.start, r.end) for r in extraction.ranges]
    assert ranges == [("99202", "99205"), ("99212", "99215")]
    assert extraction.code_strings == ["99202", "99205", "99212", "99215"]
    start, end = extraction.code("99205").span
    assert text[start:end] == "05"


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("Bill 99213-25 and 99214-59 today.", ["99213", "99214"]),  # modifiers
        ("Bill 99213-15 minutes of counselling.", ["99213"]),  # a quantity
        ("Is 99205-02 right?", ["99205"]),  # does not rise: no range
        ("Bill 99213-15.5 today.", ["99213"]),  # a decimal number
    ],
)
def test_two_digits_after_a_dash_are_no_short_range_end_when_they_mean_something_else(
    text: str, codes: list[str]
) -> None:
    extraction = extract(text)
    assert extraction.ranges == []
    assert extraction.code_strings == codes


def test_a_short_range_end_falls_with_a_look_alike_start() -> None:
    extraction = extract("Ticket 10542-48 was closed; our zip is 75201-12.")
    assert extraction.code_strings == []


def test_a_dash_and_a_modifier_is_not_a_range() -> None:
    extraction = extract("Bill 99215-25 today.")
    assert extraction.ranges == []
    assert extraction.code("99215").modifiers == ["25"]


def test_two_codes_in_falling_order_or_joined_by_to_are_a_pair() -> None:
    extraction = extract("Is 29881-29880 a pair? We changed 99214 to 99213.")
    assert extraction.ranges == []
    assert extraction.code_strings == ["29881", "29880", "99214", "99213"]


def test_ranges_of_other_shapes() -> None:
    extraction = extract("Tracking codes 0714T-0717T and supplies A4206-A4209.")
    assert [(r.start, r.end) for r in extraction.ranges] == [("0714T", "0717T"), ("A4206", "A4209")]


def test_spans_point_into_the_text() -> None:
    text = "Then 97530-GP x3 for the session."
    mention = extract(text).codes[0]
    start, end = mention.span
    assert text[start:end] == "97530"


def test_lower_case_letter_codes_need_support() -> None:
    assert codes("Bill g0439 with 99397 for the wellness visit.") == ["G0439", "99397"]
    assert codes("I saw e0601 somewhere.") == []
    assert codes("We billed j1885 today.") == ["J1885"]
    assert codes("Is CPT-99213 the same?") == ["99213"]


def test_plural_codes_and_punctuation_around_them() -> None:
    text = "How many 99213s per day? [99214], '99215', \"G0439\"; 99212: fine. (+22614)"
    assert codes(text) == ["99213", "99214", "99215", "G0439", "99212", "22614"]


def test_windows_line_ends_and_no_break_spaces() -> None:
    text = "Bill 63057\xa059 and 63056\u202fx2\r\nThanks\r\n940 Birch Lane\r\nSpringfield 62704\r\n"
    extraction = extract(text)
    assert [(m.code, m.modifiers, m.units) for m in extraction.codes] == [
        ("63057", ["59"], None),
        ("63056", [], 2),
    ]
    start, end = extraction.codes[0].span
    assert text[start:end] == "63057"


def test_codes_in_shouting_text() -> None:
    text = "CAN WE BILL 99214 AND 11102 SAME DAY DR SAYS YES"
    assert codes(text) == ["99214", "11102"]
