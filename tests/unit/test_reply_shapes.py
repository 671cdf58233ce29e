"""Replies as mail clients write them: the new text is what is not quoted, wherever it stands.

Each fixture in tests/data/replies/ is a whole message as a client sends it
(Thunderbird format=flowed, Gmail, Apple Mail, Outlook; top-posted,
bottom-posted, interleaved). The new text must be exactly what the person
typed: no attribution line, no Outlook header block, no quoted history and no
signature; and the codes of the quoted history never reach the question.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from consultant.extraction import extract
from consultant.inbound.rules import InboundContext, run_inbound_chain
from consultant.mail.parsing import parse_message

REPLIES = Path(__file__).resolve().parents[1] / "data" / "replies"

#: file -> (the new text, the codes the question names)
EXPECTED: dict[str, tuple[str, list[str]]] = {
    "thunderbird_bottom_posted_flowed.eml": (
        "Thanks. Follow-up on the same patient: the doctor also gave a Toradol injection, "
        "60 mg, so we have J1885 and 96372. DOS 02/18/2025. Can 96372 be billed with 20610 "
        "that day?",
        ["J1885", "96372", "20610"],
    ),
    "thunderbird_interleaved_flowed.eml": (
        "Right knee. Yes, the chondroplasty was in the lateral compartment, the meniscectomy "
        "medial.\n\nOne line only, the 29877-59-RT.",
        ["29877"],
    ),
    "thunderbird_french_bottom_posted_flowed.eml": (
        "Our cardiologist only read the tracing done at the hospital last Tuesday. So 93010 alone?",
        ["93010"],
    ),
    "gmail_bottom_posted.eml": (
        "Got it. And for 2 units of 96372 on the same day, do we need modifier 59\n"
        "on the second line? Seen yesterday.",
        ["96372"],
    ),
    "apple_mail_bottom_posted.eml": (
        "So for MMR with counseling on 11/04/2024, is that 90460 x1 plus 90461 x2?",
        ["90460", "90461"],
    ),
    "apple_mail_top_posted.eml": (
        "Does the same hold when the sick part is minor, say 99212 with 99392?",
        ["99212", "99392"],
    ),
    "outlook_top_posted.eml": (
        "Thanks, that helps. What about 97140 and 97530 on the same day, both timed?",
        ["97140", "97530"],
    ),
    "outlook_prefixed_bottom_posted.eml": (
        "Understood. On 03/05/2025 the nurse hung the second bag after the push, "
        "so is that 96366 x2 or 96367?",
        ["96366", "96367"],
    ),
}


def _context(size: int) -> InboundContext:
    return InboundContext(
        our_address="consultant@example.org",
        raw_size=size,
        max_bytes=5 * 1024 * 1024,
        is_duplicate=False,
        is_known_sender=True,
        loop_marker="consultant@example.org",
    )


def test_every_fixture_is_in_the_table() -> None:
    on_disk = {path.name for path in REPLIES.glob("*.eml")}
    assert on_disk == {*EXPECTED, "thunderbird_bottom_posted_no_new_text.eml"}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_the_new_text_is_what_was_typed_wherever_it_stands(name: str) -> None:
    raw = (REPLIES / name).read_bytes()
    parsed = parse_message(raw)
    new_text, codes = EXPECTED[name]
    assert parsed.new_text == new_text
    assert run_inbound_chain(parsed, _context(len(raw))).disposition == "accepted"
    # Codes of the quoted history (99213, G0289, 97110, 96365...) never reach the question.
    assert extract(parsed.new_text).code_strings == codes


def test_a_bottom_posted_reply_with_only_a_signature_has_no_new_text() -> None:
    raw = (REPLIES / "thunderbird_bottom_posted_no_new_text.eml").read_bytes()
    parsed = parse_message(raw)
    assert parsed.new_text == ""
    result = run_inbound_chain(parsed, _context(len(raw)))
    assert result.disposition == "no_text"
    assert result.hits[-1].reason == "no new text once quotes and signature are removed"
