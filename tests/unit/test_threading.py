"""Threading: signed Message-IDs, reply tokens and subject tags."""

from __future__ import annotations

import re

from consultant.mail.message_ids import (
    consultation_id_from_message_ids,
    consultation_id_from_reply_address,
    consultation_id_from_subject,
    make_message_id,
    make_reply_address,
    make_reply_token,
    subject_tag,
)

SECRET = "test-secret-for-threading"


def test_message_id_round_trips_and_is_unique() -> None:
    first = make_message_id(42, SECRET, "example.org")
    second = make_message_id(42, SECRET, "example.org")
    assert re.fullmatch(r"<cc\.42\.[0-9a-f]{12}\.[0-9a-f]{24}@example\.org>", first)
    assert first != second
    assert consultation_id_from_message_ids([first], SECRET) == 42
    assert consultation_id_from_message_ids([first.strip("<>")], SECRET) == 42


def test_message_id_signed_with_another_secret_or_altered_is_refused() -> None:
    message_id = make_message_id(42, SECRET, "example.org")
    assert consultation_id_from_message_ids([message_id], "another-secret") is None
    forged = message_id.replace("<cc.42.", "<cc.43.")
    assert consultation_id_from_message_ids([forged], SECRET) is None


def test_first_signed_id_in_a_references_list_wins() -> None:
    ours = make_message_id(7, SECRET, "example.org")
    references = f"<a@gmail.example> {ours} <b@gmail.example>"
    assert consultation_id_from_message_ids(["<x@y>", references], SECRET) == 7
    assert consultation_id_from_message_ids(["<x@y>", "", "garbage"], SECRET) is None
    assert consultation_id_from_message_ids([], SECRET) is None


def test_a_message_id_key_cannot_be_used_as_a_reply_token() -> None:
    message_id = make_message_id(9, SECRET, "example.org")
    signature = message_id.split(".")[3].split("@")[0][:16]
    assert consultation_id_from_reply_address(f"q+t.9.{signature}@example.org", SECRET) is None


def test_reply_address_round_trips_even_when_a_server_changes_the_case() -> None:
    address = make_reply_address("questions@example.org", 123, SECRET)
    assert address == f"questions+t.{make_reply_token(123, SECRET)}@example.org"
    assert consultation_id_from_reply_address(address, SECRET) == 123
    assert consultation_id_from_reply_address(address.upper(), SECRET) == 123
    assert consultation_id_from_reply_address(f"<{address}>", SECRET) == 123


def test_reply_address_without_or_with_a_bad_token_is_refused() -> None:
    assert consultation_id_from_reply_address("questions@example.org", SECRET) is None
    assert consultation_id_from_reply_address("questions+news@example.org", SECRET) is None
    token = make_reply_token(123, SECRET)
    tampered = token.replace("123.", "124.")
    assert consultation_id_from_reply_address(f"q+t.{tampered}@example.org", SECRET) is None
    assert consultation_id_from_reply_address(f"q+t.{token}@example.org", "other") is None


def test_subject_tag() -> None:
    assert subject_tag(123) == "[CC-123]"
    assert consultation_id_from_subject("Re: [CC-123] Modifier 25") == 123
    assert consultation_id_from_subject("RE: FW: [cc-77] x [CC-78]") == 77
    assert consultation_id_from_subject("Question about CC-123") is None
    assert consultation_id_from_subject("") is None
