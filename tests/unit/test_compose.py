"""The reply's bytes: threaded, and nothing from the asker can add a header or a recipient."""

from __future__ import annotations

from email import message_from_bytes
from email.header import decode_header, make_header
from email.policy import default

from consultant.mail.compose import ReplyHeaders, compose_reply, html_from_text, reply_subject


def _headers(**changes: object) -> ReplyHeaders:
    values: dict[str, object] = {
        "from_name": "CaseConsultant",
        "from_address": "consult@example.com",
        "to_address": "coder@clinic.example",
        "subject": "Coding question",
        "message_id": "<cc.7.abc.def@example.com>",
        "in_reply_to": "<q1@clinic.example>",
        "references": ("<q0@clinic.example>", "<q1@clinic.example>"),
        "loop_marker": "consult@example.com",
    }
    values.update(changes)
    return ReplyHeaders(**values)  # type: ignore[arg-type]


def test_a_reply_threads_to_the_question_and_carries_our_markers() -> None:
    parsed = message_from_bytes(compose_reply(_headers(), "Hello Pat,\n\nYes."), policy=default)
    assert parsed["Subject"] == "Re: Coding question"
    assert parsed["In-Reply-To"] == "<q1@clinic.example>"
    assert parsed["References"] == "<q0@clinic.example> <q1@clinic.example>"
    assert parsed["Message-ID"] == "<cc.7.abc.def@example.com>"
    assert parsed["From"] == "CaseConsultant <consult@example.com>"
    assert parsed["X-Loop"] == "consult@example.com"
    assert parsed["Auto-Submitted"] == "no"
    assert parsed.get_content_type() == "multipart/alternative"
    text = parsed.get_body(("plain",))
    html = parsed.get_body(("html",))
    assert text is not None and "Hello Pat," in text.get_content()
    assert html is not None and "<p>Hello Pat,</p>" in html.get_content()


def test_an_encoded_crlf_in_the_subject_adds_no_header_and_no_recipient() -> None:
    # What a hostile asker writes: RFC 2047 hides CR LF and a Bcc header in the subject.
    hostile = str(make_header(decode_header("=?utf-8?q?Hi=0D=0ABcc=3A_victim=40evil.example?=")))
    assert "\r\n" in hostile
    raw = compose_reply(
        _headers(subject=hostile, to_address="coder@clinic.example\r\nCc: x@y"), "t"
    )
    parsed = message_from_bytes(raw, policy=default)
    assert parsed["Bcc"] is None and parsed["Cc"] is None
    assert parsed["Subject"] == "Re: Hi Bcc: victim@evil.example"
    assert b"\r\nBcc:" not in raw and b"\nBcc:" not in raw
    assert b"\nCc:" not in raw
    assert all(a.addr_spec != "x@y" for a in parsed["To"].addresses)


def test_reply_prefixes_are_not_repeated() -> None:
    assert reply_subject("Re: RE: Fwd: units of 96372") == "Re: units of 96372"
    assert reply_subject("") == "Re: your coding question"


def test_the_html_part_is_rebuilt_escaped_from_the_edited_text() -> None:
    html = html_from_text("<script>alert(1)</script>\n\nSecond & last")
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<p>Second &amp; last</p>" in html
