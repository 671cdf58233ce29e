"""Reading a message takes time in proportion to its size, whatever the message holds.

Each adversarial input is built at about 2k, 20k and 200k characters and read by
the extractor, the quote stripper, HTML to text and ``parse_message``. Each step
up may cost at most ``_GROWTH`` times the step below (linear work costs 10x;
a quadratic pattern costs 100x, the regular-expression blow-ups of the past far
more). Time is CPU time of a forked child, so other work on a loaded machine
counts little, and a pattern that never finishes fails at ``_DEADLINE`` instead
of hanging the run (the ``re`` engine does not look at signals while it matches).

HTML nested thousands of elements deep is tested in ``test_poison_mail.py``: the
sanitiser (nh3, that is html5ever) is quadratic in nesting depth, so ``html_text``
flattens nesting deeper than any mail client writes before calling it.
"""

from __future__ import annotations

import datetime
import gc
import itertools
import multiprocessing
import time
from collections.abc import Callable
from multiprocessing.connection import Connection

import pytest

from consultant.extraction import extract
from consultant.extraction.dates import read_date_of_service
from consultant.mail.html_text import html_to_text
from consultant.mail.parsing import parse_message
from consultant.mail.quoting import extract_new_text

_SIZES = (2_000, 20_000, 200_000)
#: A step up in size (10x) may cost at most this many times the step below it.
_GROWTH = 30
#: Below this a time is noise (a timer tick, a collection, a cache miss).
_FLOOR = 0.01
#: A whole series taking longer than this has no linear bound.
_DEADLINE = 60.0

Build = Callable[[int], str]
Read = Callable[[str], object]


def _repeat(unit: str, size: int, head: str = "", tail: str = "") -> str:
    """``head``, then ``unit`` as often as fits in ``size`` characters, then ``tail``."""
    return head + unit * max(1, (size - len(head) - len(tail)) // len(unit)) + tail


def _nested(opening: str, closing: str) -> Build:
    return lambda size: (
        opening * (size // (2 * len(opening))) + closing * (size // (2 * len(closing)))
    )


# Text read by the extractor, the quote stripper and parse_message.
TEXTS: dict[str, Build] = {
    # The two found first: a house number and capitals before a code; capitals under an address.
    "numbered_address": lambda n: _repeat("A", n, "Hi\n1 ", " 99213\n"),
    "city_under_a_street": lambda n: _repeat("A", n, "940 Birch Lane\n", "1 99213\n"),
    # The same, repeated at the worst line lengths (lines over 2,000 characters are not read).
    "numbered_address_lines": lambda n: _repeat("1 " + "A" * 60 + " 99213\n", n),
    "city_lines": lambda n: _repeat("940 Birch Lane\n" + "A" * 1900 + "1 99213\n", n),
    "capital_words_then_comma": lambda n: _repeat("Ab ", n, "1 ", ", Cd 99213\n"),
    "capitals_and_dots": lambda n: _repeat("A.", n, "1 ", " 99213\n"),
    "capitals": lambda n: _repeat("A", n, "", " 99213"),
    "digits": lambda n: _repeat("1", n, "", " 99213"),
    "hyphens": lambda n: _repeat("-", n, "99213"),
    "hyphens_and_blanks": lambda n: _repeat("- ", n, "99213 "),
    "blanks_after_a_code": lambda n: _repeat(" ", n, "99213", "x"),
    "tabs_after_a_code": lambda n: _repeat("\t", n, "99213", "(1 units"),
    "quote_marks": lambda n: _repeat(">", n),
    "quoted_lines": lambda n: _repeat("> 99213\n", n),
    "angle_at": lambda n: _repeat("<@", n),
    "nested_parentheses": _nested("(", ")"),
    "open_parentheses": lambda n: _repeat("(", n, "", "99213"),
    "codes_and_spaces": lambda n: _repeat("99213 ", n),
    "codes_and_commas": lambda n: _repeat("99213, ", n),
    "codes_and_dashes": lambda n: _repeat("99213-", n),
    "codes_and_spaced_dashes": lambda n: _repeat("99213 - ", n),
    "codes_and_modifiers": lambda n: _repeat("99213-25-", n),
    "codes_in_a_table": lambda n: _repeat("| 99213 | 25 | 1 |\n", n),
    "street_lines": lambda n: _repeat("940 Birch Lane\n", n),
    "street_names": lambda n: _repeat("Main ", n, "12 ", "St, Springfield 62704\n"),
    "addresses_and_zips": lambda n: _repeat("3001 N Broadway, Fresno 93701\n", n),
    "long_line": lambda n: _repeat("the patient had 99213 and ", n),
    "short_lines": lambda n: _repeat("a\n", n),
    "dotted_diagnoses": lambda n: _repeat("A11.1 ", n),
    "diagnosis_list": lambda n: _repeat("A111 ", n, "Dx: "),
    "last_paragraph_one_word": lambda n: _repeat("a", n, "Hi\n\n", "\nb"),
    "last_paragraph_dots": lambda n: _repeat("a.", n, "Hi\n\n", "\nb"),
    "sign_offs_and_dots": lambda n: _repeat("Thanks Bob" + "." * 380 + "!x\n", n),
    "forwarded_by_and_dashes": lambda n: _repeat("--- Forwarded by " + "-" * 300 + "x\n", n),
    "schrieb": lambda n: _repeat("Am Montag schrieb " + "x" * 150 + " schrieb :x\n", n),
    "wrote_and_blanks": lambda n: _repeat("Dana wrote" + " " * 300 + "x\n", n),
    # Bottom-posted and interleaved replies: every opening and quote is read past, not cut at.
    "attributions_and_quotes": lambda n: _repeat(
        "On Mon, Feb 3, 2025, Dana <d@x.org> wrote:\n> 99213\nAnd 99214?\n", n
    ),
    "header_blocks_and_quotes": lambda n: _repeat(
        "-----Original Message-----\nFrom: a\nSent: b\nTo: c\nSubject: d\n\n> 99213\nok 99214\n", n
    ),
    "blank_lines_after_a_header_block": lambda n: _repeat(
        "\n", n, "From: a\nSent: b\nTo: c\nSubject: d\n", "> 99213\nok\n"
    ),
    # What the writer says a number is: a phrase after each number, cut short each time.
    "numbers_said_to_be_almost_identifiers": lambda n: _repeat("12345 is our own ticket ", n),
    "numbers_in_open_parentheses": lambda n: _repeat("12345 (the pt ", n),
    "consultation_numbers": lambda n: _repeat("consultation 45380 ", n),
    # Unit counts before codes, doses beside drug codes, dates of service.
    "unit_counts_before_codes": lambda n: _repeat("2 units of ", n, "", "96372"),
    "counts_and_codes": lambda n: _repeat("x2 96372 2 units ", n),
    "doses_and_drug_codes": lambda n: _repeat(f"J{n % 9000 + 1000} 60 mg ", n),
    "many_drug_codes_and_doses": lambda n: "".join(
        f"J{1000 + i % 9000} {i % 90 + 1} mg " for i in range(n // 14)
    ),
    "digits_before_a_dose_unit": lambda n: _repeat("1", n, "", " mg J1885"),
    "dates_of_service": lambda n: _repeat("DOS 02/18/2025 seen on 11/04/2024 ", n),
    "slashed_numbers": lambda n: _repeat("1/", n),
    "months_and_days": lambda n: _repeat("seen May 1 ", n),
    "relative_days": lambda n: _repeat("seen last Tuesday yesterday ", n),
    "name_words_on_the_last_line": lambda n: _repeat("Dana ", n, "Is 99213 ok?\n"),
}

# HTML read by html_to_text and by parse_message as a text/html body.
HTMLS: dict[str, Build] = {
    "tags": lambda n: _repeat("<p>99213</p>", n),
    "table_cells": lambda n: _repeat("<tr><td>99213</td><td>25</td></tr>", n, "<table>"),
    "unclosed_tags": lambda n: _repeat("<div", n),
    "entities": lambda n: _repeat("&amp;", n),
    "comment_openings": lambda n: _repeat("<!--", n),
    "angle_at": lambda n: _repeat("<@", n),
    "blanks_between_tags": lambda n: _repeat(" \u00a0 <br>", n),
}

_HEAD = "From: Dana <dana@example.org>\r\nTo: questions@example.org\r\nSubject: question\r\n"


def _message(content_type: str, body: str) -> bytes:
    return f"{_HEAD}Content-Type: {content_type}\r\n\r\n{body}".encode()


# Whole messages, for what parse_message reads beyond the body: headers and MIME parameters.
MESSAGES: dict[str, Callable[[int], bytes]] = {
    "content_type_of_semicolons": lambda n: _message(
        "multipart/mixed; boundary=b" + _repeat("&amp;", n), "--b\r\n\r\nhi\r\n--b--\r\n"
    ),
    "quoted_file_name_of_semicolons": lambda n: _message(
        'text/plain; charset=utf-8; name="' + _repeat("a;", n), "hi 99213\r\n"
    ),
    "from_of_blanks": lambda n: (
        f"From: a{' ' * n}b <dana@example.org>\r\nSubject: q\r\n\r\nhi\r\n"
    ).encode(),
    "to_of_addresses": lambda n: _message("text/plain", "hi\r\n").replace(
        b"To: questions@example.org", b"To: " + _repeat("a@b.org, ", n).encode()
    ),
    "flowed_soft_breaks": lambda n: _message(
        "text/plain; charset=utf-8; format=flowed; delsp=yes", _repeat("a 99213 \r\n", n)
    ),
    "flowed_quote_depths": lambda n: _message(
        "text/plain; charset=utf-8; format=flowed", _repeat(">", n, "", " 99213 \r\n>x\r\n")
    ),
    "flowed_alternating_depths": lambda n: _message(
        "text/plain; charset=utf-8; format=flowed", _repeat("> a \r\nb \r\n", n)
    ),
    "many_parts": lambda n: _message(
        "multipart/mixed; boundary=b",
        _repeat("--b\r\nContent-Type: text/plain\r\n\r\nx 99213\r\n", n) + "--b--\r\n",
    ),
}


def _measure(read: Callable[[int], object], sizes: tuple[int, ...], out: Connection) -> None:
    """In the child: CPU time of ``read(size)`` for each size (best of 3 below the largest)."""
    # The forked child shares the test run's whole heap copy-on-write. A full collection
    # would walk (and so copy) every page of it, and once cost a 200k read 0.3 s of CPU
    # against 0.05 s measured alone: freeze what was inherited, collect before each read.
    gc.freeze()
    for size in sizes:
        runs = 3 if size < sizes[-1] else 1
        best = float("inf")
        for _ in range(runs):
            gc.collect()
            started = time.process_time()
            read(size)
            best = min(best, time.process_time() - started)
        out.send(best)
    out.close()


def _series(read: Callable[[int], object]) -> list[float]:
    """CPU seconds per size, measured in a forked child; shorter if the deadline passed."""
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_measure, args=(read, _SIZES, sender), daemon=True)
    child.start()
    sender.close()
    times: list[float] = []
    deadline = time.monotonic() + _DEADLINE
    try:
        while len(times) < len(_SIZES):
            if not receiver.poll(max(0.0, deadline - time.monotonic())):
                break
            times.append(receiver.recv())
    except EOFError:
        pass  # the child died: the assertion below says so
    finally:
        receiver.close()
        if child.is_alive():
            child.kill()
        child.join()
    return times


def _assert_linear(read: Callable[[int], object]) -> None:
    times = _series(read)
    if len(times) == len(_SIZES) and not _grows_linearly(times):
        # One more series before failing: a collection or a stalled core is no bug.
        times = [min(pair) for pair in zip(times, _series(read), strict=False)]
    measured = zip(_SIZES, times, strict=False)
    shown = ", ".join(f"{size:,}: {seconds:.4f} s" for size, seconds in measured)
    assert len(times) == len(_SIZES), f"no answer within {_DEADLINE:.0f} s ({shown})"
    assert _grows_linearly(times), f"time grows faster than the size ({shown})"


def _grows_linearly(times: list[float]) -> bool:
    return all(
        larger <= _GROWTH * max(smaller, _FLOOR) for smaller, larger in itertools.pairwise(times)
    )


@pytest.mark.parametrize("name", sorted(TEXTS))
def test_extraction_is_linear(name: str) -> None:
    build = TEXTS[name]
    _assert_linear(lambda size: extract(build(size)))


@pytest.mark.parametrize("name", sorted(TEXTS))
def test_quote_stripping_is_linear(name: str) -> None:
    build = TEXTS[name]
    _assert_linear(lambda size: extract_new_text(build(size), "Fwd: question"))


@pytest.mark.parametrize("name", sorted(TEXTS))
def test_parsing_a_plain_text_message_is_linear(name: str) -> None:
    build = TEXTS[name]
    _assert_linear(lambda size: parse_message(_message("text/plain; charset=utf-8", build(size))))


@pytest.mark.parametrize("name", sorted(HTMLS))
def test_html_to_text_is_linear(name: str) -> None:
    build = HTMLS[name]
    _assert_linear(lambda size: html_to_text(build(size)))


@pytest.mark.parametrize("name", sorted(HTMLS))
def test_parsing_an_html_message_is_linear(name: str) -> None:
    build = HTMLS[name]
    _assert_linear(lambda size: parse_message(_message("text/html; charset=utf-8", build(size))))


@pytest.mark.parametrize("name", sorted(MESSAGES))
def test_parsing_headers_and_parameters_is_linear(name: str) -> None:
    build = MESSAGES[name]
    _assert_linear(lambda size: parse_message(build(size)))


def test_the_bound_tells_linear_from_quadratic() -> None:
    assert _grows_linearly([0.0001, 0.001, 0.01])
    assert _grows_linearly([0.002, 0.03, 0.5])  # tiny times are noise, and 10x is 10x
    assert not _grows_linearly([0.001, 0.1, 10.0])  # quadratic
    assert not _grows_linearly([0.05, 0.2, 8.0])  # quadratic from where it shows


def test_a_series_measures_every_size() -> None:
    times = _series(lambda size: "a" * size)
    assert len(times) == len(_SIZES)
    assert all(seconds >= 0 for seconds in times)


@pytest.mark.parametrize(
    "name", ["dates_of_service", "relative_days", "months_and_days", "slashed_numbers"]
)
def test_reading_the_date_of_service_against_a_message_date_is_linear(name: str) -> None:
    build = TEXTS[name]
    written = datetime.date(2025, 2, 19)  # relative dates are read only against a date
    _assert_linear(lambda size: read_date_of_service(build(size), written))
