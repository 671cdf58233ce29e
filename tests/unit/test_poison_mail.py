"""Mail built to poison storage or hide a question: every case ends storable and visible.

Each case was a real defect: a charset that decodes to lone surrogates made
every attempt fail on both databases; 500 nested MIME levels dropped the
question silently as "no text"; a rule copied the sender's header text into
the operator ledger; an IDNA domain did not find its account.
"""

from __future__ import annotations

import gc
import signal
import time

import pytest

from consultant.inbound.rules import InboundContext, run_inbound_chain
from consultant.inbound.time_budget import MessageOverBudgetError, time_budget
from consultant.mail.addresses import normalise_address
from consultant.mail.charsets import decode_bytes, decode_header_text, python_codec
from consultant.mail.parsing import parse_message
from tests.attack_mail import nested_mime

POISON_CHARSETS = ("unicode_escape", "raw_unicode_escape", "utf-7", "UTF-7", "idna", "punycode")


def _storable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in text


def _context(**changes: object) -> InboundContext:
    values: dict[str, object] = {
        "our_address": "consultant@localhost",
        "raw_size": 1000,
        "max_bytes": 5_000_000,
        "is_duplicate": False,
        "is_known_sender": True,
        "loop_marker": "consultant@localhost",
    }
    values.update(changes)
    return InboundContext(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize("charset", POISON_CHARSETS)
def test_a_body_in_a_poison_charset_decodes_to_storable_text(charset: str) -> None:
    body = b"Is 99213 ok? \\ud800 \\udfff +2AA- +3ABhAA- \\x00 end"
    raw = (
        b"From: a@clinic.example\r\nSubject: q\r\nContent-Type: text/plain; charset="
        + charset.encode()
        + b"\r\n\r\n"
        + body
        + b"\r\n"
    )
    parsed = parse_message(raw)
    assert _storable(parsed.text) and _storable(parsed.new_text)
    assert "99213" in parsed.new_text


@pytest.mark.parametrize("charset", POISON_CHARSETS)
def test_an_encoded_word_in_a_poison_charset_decodes_to_storable_text(charset: str) -> None:
    for word in (
        f"=?{charset}?q?=5Cud800x?=",
        f"=?{charset}?b?XHVkODAwIA==?=",
        f"=?{charset}?q?+2AA-?=",
    ):
        raw = (
            f"From: =?{charset}?q?=5Cudc00?= <a@clinic.example>\r\nSubject: {word}\r\n"
            f"Content-Type: application/pdf; name*={charset}''%5Cud800.pdf\r\n\r\nx\r\n"
        ).encode()
        parsed = parse_message(raw)
        assert _storable(parsed.subject)
        assert all(_storable(a.filename) for a in parsed.attachments)
        assert parsed.from_name is None or _storable(parsed.from_name)


def test_only_real_text_charsets_may_decode_mail() -> None:
    for label in ("unicode_escape", "raw-unicode-escape", "idna", "punycode", "base64", "rot13"):
        assert python_codec(label) is None, label
    assert python_codec("utf-7") == "utf-7"  # a real (rare) mail charset, made storable after
    text, problem = decode_bytes(b"a +2AA- b +3ABhAA-", "utf-7")
    assert _storable(text) and problem == "unstorable_characters_replaced"
    assert _storable(decode_header_text("=?utf-7?q?+2AA-?= =?utf-7?b?KzNBQS0=?="))


@pytest.mark.parametrize("levels", [61, 500])
def test_mime_nested_past_the_limit_is_held_with_that_reason(levels: int) -> None:
    result = run_inbound_chain(parse_message(nested_mime(levels)), _context())
    assert result.disposition == "too_complex"
    assert result.hits[0].reason == "MIME parts nested more than 60 levels deep"


def test_mime_within_the_limit_is_answered() -> None:
    parsed = parse_message(nested_mime(40))
    assert "99213" in parsed.new_text
    assert run_inbound_chain(parsed, _context()).disposition == "accepted"


def test_too_many_parts_is_held_not_answered_in_part() -> None:
    parts = "".join(f"--x\r\nContent-Type: text/plain\r\n\r\npart {i}\r\n" for i in range(600))
    raw = (
        'From: a@clinic.example\r\nContent-Type: multipart/mixed; boundary="x"\r\n\r\n'
        + parts
        + "--x--\r\n"
    ).encode()
    result = run_inbound_chain(parse_message(raw), _context())
    assert result.disposition == "too_complex"
    assert result.hits[0].reason == "more than 500 MIME parts"


SENDER_TEXT = "patient-jane-doe-dob-1970-ssn-123"


@pytest.mark.parametrize(
    "header",
    [
        f"Auto-Submitted: auto-replied; {SENDER_TEXT}",
        f"Precedence: bulk {SENDER_TEXT}",
        f"X-Autoreply: {SENDER_TEXT}",
        f"List-Id: <{SENDER_TEXT}.example>",
        f"X-Failed-Recipients: {SENDER_TEXT}@example.com",
    ],
)
def test_rule_reasons_never_copy_the_senders_text(header: str) -> None:
    raw = f"From: a@clinic.example\r\nSubject: {SENDER_TEXT}\r\n{header}\r\n\r\nhi\r\n".encode()
    result = run_inbound_chain(parse_message(raw), _context(is_known_sender=False))
    assert result.hits
    assert all(SENDER_TEXT not in hit.reason and "jane" not in hit.reason for hit in result.hits)


def test_an_idna_domain_is_the_same_address_in_either_form() -> None:
    unicode_form = normalise_address("Dr.Ng@Klinik-Müller.de")
    assert unicode_form == normalise_address("dr.ng@xn--klinik-mller-klb.de")
    assert unicode_form == normalise_address(" DR.NG@XN--KLINIK-MLLER-KLB.DE ")
    assert normalise_address("a@bücher。de") == normalise_address("a@xn--bcher-kva.de")
    assert normalise_address("plain@Clinic.Example") == "plain@clinic.example"
    # Not valid IDNA: compared as written, never an error.
    assert normalise_address("a@xn--invalid-.de") == "a@xn--invalid-.de"
    parsed = parse_message(b"From: Dr Ng <dr.ng@xn--klinik-mller-klb.de>\r\n\r\nhi\r\n")
    assert parsed.from_address == unicode_form


def test_a_time_budget_stops_even_a_backtracking_regex() -> None:
    import re

    started = time.monotonic()
    with pytest.raises(MessageOverBudgetError), time_budget(0.2):
        re.fullmatch(r"(a+)+b", "a" * 64)
    assert time.monotonic() - started < 5


def test_a_time_budget_gives_back_the_enclosing_timer_and_handler() -> None:
    fired: list[int] = []
    previous = signal.signal(signal.SIGALRM, lambda signum, _frame: fired.append(signum))
    previous_delay, _ = signal.setitimer(signal.ITIMER_REAL, 30)
    try:
        with time_budget(5):
            pass
        handler = signal.getsignal(signal.SIGALRM)
        left, _ = signal.getitimer(signal.ITIMER_REAL)
        assert callable(handler) and handler.__name__ == "<lambda>"
        assert 20 < left <= 30 and not fired
        with time_budget(60):  # the enclosing timer fires first: no budget of its own
            assert signal.getsignal(signal.SIGALRM) is handler
    finally:
        signal.setitimer(signal.ITIMER_REAL, previous_delay)
        signal.signal(signal.SIGALRM, previous)


@pytest.mark.parametrize("tag", ["div", "blockquote", "ul", "dl", "pre", "custom-tag"])
def test_deeply_nested_html_reads_in_linear_time(tag: str) -> None:
    """nh3's tree builder was quadratic in nesting depth (2 MB of <blockquote>: 429 s)."""
    from consultant.mail.html_text import html_to_text

    def seconds(size: int) -> float:
        html = f"<{tag}>" * (size // (len(tag) + 2)) + "Is 99213 billable?"
        gc.collect()  # a full collection of the test run's heap is not the reader's time
        started = time.process_time()
        text = html_to_text(html)
        assert "99213" in text
        return time.process_time() - started

    small, large = seconds(20_000), seconds(200_000)
    assert large < 10
    assert large < 30 * max(small, 0.01)
