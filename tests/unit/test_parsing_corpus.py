"""CPython's own email test corpus: every odd message parses and gets a disposition.

The corpus is the ``data`` folder beside ``test.test_email`` in the running
interpreter's standard library (found through importlib, not a copied path).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from consultant.inbound.rules import INBOUND_CHAIN, InboundContext, run_inbound_chain
from consultant.mail.parsing import parse_message

DISPOSITIONS = {"accepted", *(disposition for _, disposition in INBOUND_CHAIN)}


def _corpus_dir() -> Path:
    spec = importlib.util.find_spec("test.test_email")
    assert spec is not None and spec.origin is not None, "test.test_email is not installed"
    return Path(spec.origin).parent / "data"


CORPUS = sorted(_corpus_dir().glob("msg_*.txt"))


def test_the_corpus_is_there() -> None:
    # CPython 3.11 ships msg_01 .. msg_47 plus msg_12a.
    assert len(CORPUS) == 48


@pytest.mark.parametrize("path", CORPUS, ids=[path.name for path in CORPUS])
@pytest.mark.parametrize("known_sender", [True, False])
def test_corpus_message_parses_and_gets_a_disposition(path: Path, known_sender: bool) -> None:
    raw = path.read_bytes()
    parsed = parse_message(raw)
    context = InboundContext(
        our_address="consultant@example.org",
        raw_size=len(raw),
        max_bytes=5 * 1024 * 1024,
        is_duplicate=False,
        is_known_sender=known_sender,
        loop_marker="consultant@example.org",
    )
    result = run_inbound_chain(parsed, context)
    assert result.disposition in DISPOSITIONS
    assert "\x00" not in parsed.text
    assert all(hit.reason for hit in result.hits)
    if result.disposition != "accepted":
        assert result.hits[0].rule == result.disposition
    else:
        assert parsed.new_text.strip() and parsed.from_address


def test_known_corpus_cases_are_classified_as_a_person_would() -> None:
    by_name = {path.name: parse_message(path.read_bytes()) for path in CORPUS}
    assert by_name["msg_16.txt"].is_multipart_report  # a DSN from postmaster
    assert by_name["msg_25.txt"].from_address == "mailer-daemon@zinfandel.lacita.com"
    # A multipart with no boundary at all: the body is still the text.
    assert by_name["msg_41.txt"].new_text == "Blah blah blah"
    # A multipart whose boundary never appears: the text, without MIME debris.
    assert by_name["msg_17.txt"].new_text.startswith("Hi there,")
    assert "no_headers" in by_name["msg_19.txt"].defects
