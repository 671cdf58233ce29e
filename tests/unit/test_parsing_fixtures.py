"""Mail as clients and servers write it: each .eml fixture gets the disposition a person expects.

The table is tests/data/eml/expected.json: per file the disposition and, where
it matters, what the new text must and must not contain, the attachments, the
decoded subject and sender, and header values.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from consultant.inbound.rules import InboundContext, run_inbound_chain
from consultant.mail.parsing import parse_message

EML_DIR = Path(__file__).resolve().parents[1] / "data" / "eml"
EXPECTED: dict[str, dict[str, Any]] = json.loads((EML_DIR / "expected.json").read_text("utf-8"))
OUR_ADDRESS = "consultant@example.org"
DEFAULT_MAX_BYTES = 5 * 1024 * 1024


def _context(raw: bytes, expected: dict[str, Any]) -> InboundContext:
    return InboundContext(
        our_address=OUR_ADDRESS,
        raw_size=len(raw),
        max_bytes=expected.get("max_bytes", DEFAULT_MAX_BYTES),
        is_duplicate=False,
        is_known_sender=expected.get("known_sender", True),
        loop_marker=OUR_ADDRESS,
    )


def test_every_fixture_is_in_the_table_and_the_table_covers_every_disposition() -> None:
    on_disk = {path.name for path in EML_DIR.glob("*.eml")}
    assert on_disk == set(EXPECTED)
    dispositions = {entry["disposition"] for entry in EXPECTED.values()}
    assert dispositions >= {
        "accepted",
        "too_large",
        "unparseable",
        "loop",
        "bounce",
        "auto_reply",
        "bulk",
        "unknown_sender",
        "no_text",
    }


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_gets_the_expected_disposition_and_text(name: str) -> None:
    expected = EXPECTED[name]
    raw = (EML_DIR / name).read_bytes()
    parsed = parse_message(raw)
    result = run_inbound_chain(parsed, _context(raw, expected))

    assert result.disposition == expected["disposition"], result.hits
    if result.disposition != "accepted":
        assert result.hits[0].rule == result.disposition
    for fragment in expected.get("new_text_contains", []):
        assert fragment in parsed.new_text
    for fragment in expected.get("new_text_excludes", []):
        assert fragment not in parsed.new_text
    for field in ("subject", "from_name", "from_address", "is_multipart_report"):
        if field in expected:
            assert getattr(parsed, field) == expected[field]
    if "attachments" in expected:
        listed = [[a.filename, a.content_type, a.size] for a in parsed.attachments]
        assert listed == expected["attachments"]
    for header, value in expected.get("header", {}).items():
        assert parsed.header(header) == value


def test_outlook_html_only_mail_becomes_sanitised_text() -> None:
    parsed = parse_message((EML_DIR / "outlook_html_cp1252.eml").read_bytes())
    assert "<" not in parsed.text and "never run" not in parsed.text
    assert "mso" not in parsed.text.lower()
    assert parsed.from_address == "rdelgado@lakeside-ortho.example"


def test_gmail_reply_keeps_threading_headers() -> None:
    parsed = parse_message((EML_DIR / "gmail_alternative_quoted.eml").read_bytes())
    signed = "<cc.41.0a1b2c3d4e5f.000000000000000000000000@example.org>"
    assert parsed.in_reply_to == signed
    assert parsed.references == ("<q1.jordan@gmail.example>", signed)
    # The plain alternative is used, not both: the question appears once.
    assert parsed.text.count("by video") == 1


def test_forward_as_the_question_keeps_the_forwarded_text_only_once() -> None:
    parsed = parse_message((EML_DIR / "outlook_forward.eml").read_bytes())
    assert parsed.new_text.startswith("Tom, the payer denied 97110")
    assert parsed.new_text.count("97110") == 1


def test_huge_message_is_too_large_even_when_the_body_was_not_downloaded() -> None:
    raw = (EML_DIR / "huge_message.eml").read_bytes()
    context = _context(raw, EXPECTED["huge_message.eml"])
    assert run_inbound_chain(None, context).disposition == "too_large"
    assert run_inbound_chain(parse_message(raw), context).disposition == "too_large"


def test_duplicate_delivery_of_a_good_question_is_a_duplicate() -> None:
    raw = (EML_DIR / "mobile_base64.eml").read_bytes()
    context = _context(raw, {})
    context.is_duplicate = True
    assert run_inbound_chain(parse_message(raw), context).disposition == "duplicate"
