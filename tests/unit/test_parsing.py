"""parse_message: headers, charsets, structure, and never raising on malformed mail."""

from __future__ import annotations

import base64
import random
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from consultant.inbound.rules import InboundContext, run_inbound_chain
from consultant.mail.charsets import decode_bytes, decode_header_text, python_codec
from consultant.mail.html_text import html_to_text
from consultant.mail.parsing import parse_message

EML_DIR = Path(__file__).resolve().parents[1] / "data" / "eml"


def _mail(headers: str, body: str = "Body text.\n") -> bytes:
    return (headers.strip("\n") + "\n\n" + body).encode("utf-8")


def test_headers_are_looked_up_without_regard_to_case() -> None:
    parsed = parse_message(_mail("From: a@clinic.example\nX-Loop: one\nx-loop: two"))
    assert parsed.header("x-LOOP") == "one"
    assert parsed.headers.get_all("X-Loop") == ("one", "two")
    assert "FROM" in parsed.headers and parsed.header("Missing") is None


@pytest.mark.parametrize(
    ("raw", "decoded"),
    [
        ("=?UTF-8?B?Q2Fmw6k?=", "Café"),  # base64 without its padding
        ("=?iso-8859-1?q?Ren=E9e_L=F6we?=", "Renée Löwe"),
        ("=?utf-8?q?a?=  \r\n =?utf-8?q?b?=", "ab"),  # RFC 2047 6.2: space between words drops
        ("Re: =?utf-8?q?caf=C3=A9?= visit", "Re: café visit"),
        ("=?x-no-such-charset?q?caf=C3=A9?=", "café"),  # unknown charset: fallbacks
        ("=?utf-8*en?q?hello?=", "hello"),  # RFC 2231 language suffix
        ("=?utf-8?b?!!!not-base64?=", "=?utf-8?b?!!!not-base64?="),
        ("caf\udcc3\udca9 au lait", "café au lait"),  # raw 8-bit UTF-8
        ("Praxis L\udcf6we", "Praxis Löwe"),  # raw 8-bit latin-1
    ],
)
def test_header_decoding(raw: str, decoded: str) -> None:
    assert decode_header_text(raw) == decoded


def test_subject_is_one_decoded_line() -> None:
    raw = _mail("From: a@clinic.example\nSubject: =?utf-8?q?Frage?=\n\tzu\n  =?utf-8?q?G=C3=A4?=")
    assert parse_message(raw).subject == "Frage zu Gä"


@pytest.mark.parametrize(
    ("label", "codec"),
    [
        ("UTF8", "utf-8"),
        ('"utf-8";', "utf-8"),
        ("windows1252", "cp1252"),
        ("ISO-8859-1", "cp1252"),
        ("us-ascii", "utf-8"),
        ("x-unknown", None),
        ("base64", None),
        (None, None),
    ],
)
def test_charset_labels(label: str | None, codec: str | None) -> None:
    assert python_codec(label) == codec


def test_decode_bytes_falls_back_and_says_so() -> None:
    assert decode_bytes("café".encode(), "utf-8") == ("café", None)
    assert decode_bytes("café".encode(), "x-unknown") == ("café", "charset_unknown:x-unknown")
    assert decode_bytes("it’s".encode("cp1252"), "utf-8") == ("it’s", "charset_mismatch:utf-8")
    assert decode_bytes(b"\x81\x8d", "utf-8")[0] == "\x81\x8d"  # latin-1 takes any byte


def test_addresses_names_and_recipients() -> None:
    raw = _mail(
        "From: =?utf-8?q?Ren=C3=A9e?= <Renee@Clinic.Example>\n"
        "To: Consultant <consultant@example.org>, b@clinic.example\n"
        "Cc: B@clinic.example, q+t.1.abc@example.org\n"
    )
    parsed = parse_message(raw)
    assert (parsed.from_name, parsed.from_address) == ("Renée", "renee@clinic.example")
    assert parsed.to_addresses == (
        "consultant@example.org",
        "b@clinic.example",
        "q+t.1.abc@example.org",
    )


def test_sender_falls_back_to_the_sender_header_and_bad_from_is_none() -> None:
    assert parse_message(_mail("Sender: s@clinic.example")).from_address == "s@clinic.example"
    parsed = parse_message(_mail("From: not an address"))
    assert parsed.from_address is None and parsed.from_name is None


def test_message_ids_and_references() -> None:
    raw = _mail(
        "From: a@clinic.example\nMessage-ID: bare-id@clinic.example\n"
        "In-Reply-To: <p@x.example> (comment)\nReferences: <a@x.example>\n <b@x.example>"
    )
    parsed = parse_message(raw)
    assert parsed.message_id == "<bare-id@clinic.example>"
    assert parsed.in_reply_to == "<p@x.example>"
    assert parsed.references == ("<a@x.example>", "<b@x.example>")


def test_dates() -> None:
    parsed = parse_message(_mail("From: a@x.example\nDate: Tue, 03 Nov 2026 09:14:22 -0500"))
    assert parsed.date == datetime(2026, 11, 3, 9, 14, 22, tzinfo=timezone(timedelta(hours=-5)))
    unknown_zone = parse_message(_mail("From: a@x.example\nDate: Tue, 03 Nov 2026 09:14:22 -0000"))
    assert unknown_zone.date == datetime(2026, 11, 3, 9, 14, 22, tzinfo=UTC)
    assert parse_message(_mail("From: a@x.example\nDate: next tuesday-ish")).date is None


def test_control_characters_are_removed_from_text() -> None:
    parsed = parse_message(_mail("From: a@x.example", "Is\x00 99213\x07 ok?\n"))
    assert parsed.text == "Is 99213 ok?"


def test_html_only_mail_is_converted_and_sanitised() -> None:
    html = (
        "<html><head><title>t</title><style>p{color:red}</style></head><body>"
        "<p>Is <b>J1100</b>&nbsp;per&#160;mg?</p><img src=x onerror=alert(1)>"
        "<script>alert('x')</script><blockquote><p>old answer</p></blockquote></body></html>"
    )
    raw = _mail("From: a@x.example\nContent-Type: text/html; charset=utf-8", html)
    parsed = parse_message(raw)
    assert parsed.text == "Is J1100 per mg?\n\n> old answer"
    assert parsed.new_text == "Is J1100 per mg?"


def test_html_lists_tables_and_line_breaks() -> None:
    html = "<ul><li>99213</li><li>G2211</li></ul><table><tr><td>a</td><td>b</td></tr></table>x<br>y"
    assert html_to_text(html) == "- 99213\n- G2211\n\na b\n\nx\ny"
    assert html_to_text("<p") == "" and html_to_text("") == ""


def test_a_question_forwarded_as_an_attached_message_is_kept() -> None:
    inner = "From: Dr. Chen <chen@clinic.example>\nSubject: units\n\nHow many units of J3420?\n"
    raw = _mail(
        "From: maya@clinic.example\nSubject: Fwd: units\n"
        'Content-Type: multipart/mixed; boundary="b"',
        "--b\nContent-Type: text/plain\n\nSee attached.\n--b\nContent-Type: message/rfc822\n"
        'Content-Disposition: attachment; filename="units.eml"\n\n' + inner + "--b--\n",
    )
    parsed = parse_message(raw)
    assert parsed.new_text == "See attached.\n\nHow many units of J3420?"
    assert [(a.filename, a.content_type) for a in parsed.attachments] == [
        ("units.eml", "message/rfc822")
    ]


def test_inline_text_with_a_file_name_is_body_but_an_attached_text_file_is_not() -> None:
    raw = _mail(
        'From: a@x.example\nContent-Type: multipart/mixed; boundary="b"',
        "--b\nContent-Type: text/plain\nContent-Disposition: inline; filename=note.txt\n\n"
        "Inline question about 99214?\n--b\nContent-Type: text/plain\n"
        "Content-Disposition: attachment; filename=codes.txt\n\n99999\n--b--\n",
    )
    parsed = parse_message(raw)
    assert parsed.text == "Inline question about 99214?"
    assert [a.filename for a in parsed.attachments] == ["codes.txt"]


def test_broken_base64_in_one_part_does_not_hide_the_other_text() -> None:
    garbage = "\x01\x02%%%% not base64 \xff\n"
    raw = _mail(
        'From: a@x.example\nContent-Type: multipart/mixed; boundary="b"',
        "--b\nContent-Type: text/plain\n\nReadable question about 36415?\n"
        "--b\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n"
        + garbage
        + "--b--\n",
    )
    parsed = parse_message(raw)
    assert parsed.new_text == "Readable question about 36415?"
    assert "undecodable_part" in parsed.defects and not parsed.is_unreadable


def test_too_deep_or_too_many_parts_are_cut_off_not_fatal() -> None:
    nested = "".join(
        f'Content-Type: multipart/mixed; boundary="b{i}"\n\n--b{i}\n' for i in range(200)
    )
    parsed = parse_message(("From: a@x.example\n" + nested + "\nhello\n").encode())
    assert "mime_too_deep" in parsed.defects
    many = "".join(f"--x\nContent-Type: text/plain\n\npart {i}\n" for i in range(1500))
    raw = _mail('From: a@x.example\nContent-Type: multipart/mixed; boundary="x"', many + "--x--\n")
    assert "too_many_parts" in parse_message(raw).defects


def test_nesting_deeper_than_the_stdlib_parser_can_go_is_unparseable_not_an_exception() -> None:
    nested = "".join(
        f'Content-Type: multipart/mixed; boundary="b{i}"\n\n--b{i}\n' for i in range(3000)
    )
    parsed = parse_message(("From: a@x.example\n" + nested + "\nhello\n").encode())
    assert parsed.is_unreadable
    assert parsed.defects[0].startswith("parser_failed:")


def _mangled(raw: bytes, rng: random.Random) -> bytes:
    data = bytearray(raw)
    for _ in range(rng.randint(1, 20)):
        position = rng.randrange(len(data))
        data[position] = rng.choice([0, 10, 13, 45, 61, 63, 255, rng.randrange(256)])
    cut = rng.randrange(len(data))
    return bytes(data[:cut]) if rng.random() < 0.3 else bytes(data)


def test_mangled_and_truncated_fixtures_never_raise_and_always_get_a_disposition() -> None:
    rng = random.Random(20261103)
    context = InboundContext("consultant@example.org", 1, 10**9, False, True, "x")
    fixtures = [path.read_bytes()[:20000] for path in sorted(EML_DIR.glob("*.eml"))]
    for raw in fixtures:
        for _ in range(30):
            parsed = parse_message(_mangled(raw, rng))
            assert run_inbound_chain(parsed, context).disposition
    for raw in (b"", b"\n", b"\r\n\r\n", b"From:", base64.b64encode(bytes(range(256)))):
        assert run_inbound_chain(parse_message(raw), context).disposition


@pytest.mark.parametrize(
    "body",
    [
        " " * 1_000_000 + "x\n",
        "-----Forwarded by " + " " * 500_000 + "\n",
        "Thanks" + " " * 500_000 + "x\n",
        "On " * 300_000 + "\n",
        ("wrote " + " " * 50) * 10_000 + "\n",
        "*" * 500_000 + " CONFIDENTIALITY\n",
    ],
    ids=["spaces", "forwarded-by", "sign-off", "attribution", "wrote", "stars"],
)
def test_pathological_lines_cost_linear_time(body: str) -> None:
    # Each of these once made a regex backtrack quadratically (minutes per message).
    raw = ("From: a@x.example\nSubject: long\n\n" + body).encode()
    started = time.perf_counter()
    parse_message(raw)
    assert time.perf_counter() - started < 5


def test_attachment_names_in_rfc_2231_and_rfc_2047_forms_are_decoded() -> None:
    raw = _mail(
        'From: a@x.example\nContent-Type: multipart/mixed; boundary="b"',
        "--b\nContent-Type: text/plain\n\nScans attached, is 76140 right?\n"
        "--b\nContent-Type: application/pdf\n"
        "Content-Disposition: attachment; filename*=utf-8''r%C3%B6ntgen.pdf\n\n%PDF\n"
        '--b\nContent-Type: image/png; name="=?utf-8?q?R=C3=B6ntgen_2.png?="\n'
        "Content-Transfer-Encoding: base64\n\niVBORw0KGgo=\n--b--\n",
    )
    parsed = parse_message(raw)
    assert [(a.filename, a.content_type, a.size) for a in parsed.attachments] == [
        ("röntgen.pdf", "application/pdf", 4),
        ("Röntgen 2.png", "image/png", 8),
    ]
    assert parsed.new_text == "Scans attached, is 76140 right?"


def test_control_characters_in_headers_become_spaces() -> None:
    raw = b"From: Ro\x00sa <rosa@clinic.example>\nSubject: =?utf-8?q?a=00b=07c?=\n\nIs 99213 ok?\n"
    parsed = parse_message(raw)
    assert parsed.subject == "a b c"
    assert parsed.from_name == "Ro sa" and parsed.from_address == "rosa@clinic.example"
