"""Bad input gets an empty or partial result quickly, never an exception."""

from __future__ import annotations

import random
import time

from consultant.extraction import extract


def test_empty_and_blank_text() -> None:
    for text in ("", " ", "\n\n\t", "\x00"):
        extraction = extract(text)
        assert (extraction.codes, extraction.icd10, extraction.ranges) == ([], [], [])


def test_binary_junk_yields_nothing_or_codes_but_never_fails() -> None:
    rng = random.Random(20261124)
    junk = bytes(rng.getrandbits(8) for _ in range(200_000)).decode("latin-1")
    extraction = extract(junk)
    assert all(len(m.code) == 5 for m in extraction.codes)


def test_replacement_characters_and_surrogates_do_not_break_it() -> None:
    text = "Bill \ufffd99213\ufffd-25 and \udc8099214 x2 \ud800"
    extraction = extract(text)
    assert extraction.code_strings == ["99213", "99214"]


def test_non_ascii_digits_are_not_codes() -> None:
    assert extract("Full width \uff16\uff13\uff10\uff14\uff17 and 63047").code_strings == ["63047"]


def test_a_five_megabyte_paste_is_linear() -> None:
    prose = "The note describes the approach and the levels in some detail. " * 12
    question = "Can 63047 go with 63048 x2 at 4100 Main St, Houston, TX 77002? Dx M48.061. " + prose
    paste = (question * (5_000_000 // len(question)))[:5_000_000]
    started = time.perf_counter()
    extraction = extract(paste)
    elapsed = time.perf_counter() - started
    assert extraction.code_strings == ["63047", "63048"]
    assert extraction.code("63048").units == 2
    assert len(extraction.code("63047").spans) > 5_000
    # Several seconds on a loaded CI machine; a quadratic pass would take minutes.
    assert elapsed < 60


def test_a_wall_of_numbers() -> None:
    wall = " ".join(str(n) for n in range(10000, 60000))
    extraction = extract(wall)
    assert len(extraction.codes) + len(extraction.set_aside) == 50000


def test_a_range_is_never_expanded() -> None:
    extraction = extract("Everything from 10004 through 69990 is surgery.")
    assert [(r.start, r.end) for r in extraction.ranges] == [("10004", "69990")]
    assert extraction.code_strings == ["10004", "69990"]


def test_random_mixtures_of_code_like_pieces_keep_spans_true() -> None:
    written = (
        "99213 - – 25 RT x2 × | \n ( ) # + Dx M51.16 M5116 ICD-10 , and through TX Houston 77002 "
        "Suite ext $ 12000 claims St 4100 Main . 0275T 3074F G2211 g2211 \r\n \xa0 X4 AS from to "
        "99205 1 units mg : ID CLM / é \x00 0001U 00100 1234-5678"
    )
    pieces = written.split(" ")
    rng = random.Random(11)
    for _ in range(2000):
        text = "".join(
            rng.choice(pieces) + rng.choice(("", " ")) for _ in range(rng.randint(1, 30))
        )
        extraction = extract(text)
        for mention in extraction.codes:
            start, end = mention.span
            assert text[start:end].upper() == mention.code, text
        for diagnosis in extraction.icd10:
            assert text[diagnosis.span[0] : diagnosis.span[1]] == diagnosis.written, text
        assert all(r.start < r.end for r in extraction.ranges), text


def test_a_capital_whose_lower_case_is_two_characters_before_an_address() -> None:
    # "İ".lower() is "i" and a combining dot: the tokens as written and in lower case no
    # longer line up from the start, and reading the state once raised IndexError.
    extraction = extract("İ Houston, TX 77030. Is 99213 ok?")
    assert extraction.code_strings == ["99213"]
    assert [aside.reason for aside in extraction.set_aside] == ["zip code after a state"]
