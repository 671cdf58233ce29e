"""Any bytes are a message and any text a question: reading never raises and never stalls.

Random bytes, and messages put together from real pieces (headers, encoded
words, folding, MIME parts nested and broken, charsets real, misspelt and
hostile, base64 and quoted-printable whole and broken), go through
``parse_message``; its text, and random text of the characters codes are written
with, go through ``extract``. Each call must return within ``_BUDGET`` seconds of
CPU time: the inputs are a few kilobytes, which take milliseconds.
"""

from __future__ import annotations

import base64
import binascii
import time
from collections.abc import Callable
from typing import TypeVar

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from consultant.extraction import Extraction, extract
from consultant.mail.parsing import ParsedMessage, parse_message

_BUDGET = 2.0
_SETTINGS = settings(
    deadline=None,  # the budget below is CPU time, which a loaded machine does not inflate
    database=None,  # nothing written into the working tree
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

T = TypeVar("T", str, bytes)


def _within_budget(read: Callable[[T], object], value: T) -> object:
    started = time.process_time()
    result = read(value)
    elapsed = time.process_time() - started
    assert elapsed < _BUDGET, f"{elapsed:.2f} s of CPU time for {len(value)} characters"
    return result


def _parse(raw: bytes) -> ParsedMessage:
    parsed = _within_budget(parse_message, raw)
    assert isinstance(parsed, ParsedMessage)
    assert isinstance(parsed.text, str) and isinstance(parsed.new_text, str)
    assert isinstance(parsed.subject, str) and isinstance(parsed.defects, tuple)
    return parsed


def _extract(text: str) -> Extraction:
    extraction = _within_budget(extract, text)
    assert isinstance(extraction, Extraction)
    for mention in extraction.codes:
        for start, end in mention.spans:
            assert 0 <= start < end <= len(text)
    return extraction


# --- pieces of messages ---------------------------------------------------------------------

_CHARSETS = [
    "utf-8", "UTF-8", "utf8", "us-ascii", "iso-8859-1", "windows-1252", "cp1252", "latin1",
    "koi8-r", "shift_jis", "iso-2022-jp", "gb2312", "big5", "utf-16", "utf-7", "x-unknown",
    "unicode_escape", "base64", "rot13", "idna", '"utf-8;"', "utf-8*en", "", "\x00",
]  # fmt: skip
_WORDS = [
    "99213", "99214-25", "63047 x2", "J1885", "M51.16", "Dx:", "CPT", "RT", "units",
    "3001 N Broadway,", "Fresno 93701", "940 Birch Lane", "Springfield", "Thanks,", "--",
    "> quoted", "On Monday Dana wrote:", "-----Original Message-----", "From: x", "Sent: y",
    "schrieb", "(555) 123-4567", "a@b.org",
    "www.x.org", "é", "\u00a0", "\u2013", "×", "\t", " ", "  ", "\n", "\r\n", ";", '"', "<", ">",
    "=", "?", "&amp;", "<p>", "</p>", "<div>", "<blockquote>", "<br>", "<!--", "-->",
]  # fmt: skip
_HEADER_NAMES = [
    "From", "To", "Cc", "Subject", "Date", "Message-ID", "In-Reply-To", "References", "Sender",
    "Reply-To", "Content-Type", "Content-Transfer-Encoding", "Content-Disposition", "MIME-Version",
    "Auto-Submitted", "Return-Path", "X-Failed-Recipients", "Precedence", "List-Id", "X-Loop",
]  # fmt: skip
_CONTENT_TYPES = [
    "text/plain", "text/html", "TEXT/PLAIN", "application/pdf", "application/octet-stream",
    "message/rfc822", "message/delivery-status", "text/rfc822-headers", "image/png", "text",
    "multipart/mixed", "multipart/alternative", "multipart/report", "",
]  # fmt: skip
_ENCODINGS = ["7bit", "8bit", "binary", "base64", "quoted-printable", "x-uuencode", "bogus", ""]

_words = st.lists(st.sampled_from(_WORDS), max_size=40).map(" ".join)
_text = st.one_of(_words, st.text(max_size=300))
_line_ending = st.sampled_from(["\r\n", "\n", "\r"])


@st.composite
def _encoded_word(draw: st.DrawFn) -> str:
    charset = draw(st.sampled_from(_CHARSETS))
    data = draw(st.binary(max_size=40))
    if draw(st.booleans()):
        payload = base64.b64encode(data).decode().rstrip("=" if draw(st.booleans()) else "")
        return f"=?{charset}?B?{payload}?="
    return f"=?{charset}?Q?{binascii.b2a_qp(data, header=True).decode()}?="


_header_value = st.lists(
    st.one_of(_text, _encoded_word(), st.sampled_from(["\r\n ", "\r\n\t", "<a@b>", ",", ";"])),
    max_size=6,
).map("".join)


@st.composite
def _headers(draw: st.DrawFn) -> bytes:
    names = draw(st.lists(st.one_of(st.sampled_from(_HEADER_NAMES), st.text(max_size=12))))
    lines = []
    for name in names:
        value = draw(_header_value).encode("utf-8", "surrogateescape")
        if draw(st.booleans()):
            value += draw(st.binary(max_size=20))  # 8-bit bytes as mailers send them
        lines.append(name.encode("utf-8", "surrogateescape") + b": " + value)
    return b"\r\n".join(lines)


def _encode(body: bytes, encoding: str, broken: bool) -> bytes:
    if encoding == "base64":
        encoded = base64.encodebytes(body)
        return encoded[: len(encoded) // 2] + b"!*\x00" if broken else encoded
    if encoding == "quoted-printable":
        encoded = binascii.b2a_qp(body)
        return encoded + b"=Z=\r\n=" if broken else encoded
    return body


@st.composite
def _part(draw: st.DrawFn, depth: int) -> bytes:
    content_type = draw(st.sampled_from(_CONTENT_TYPES))
    charset = draw(st.sampled_from(_CHARSETS))
    encoding = draw(st.sampled_from(_ENCODINGS))
    headers = [f"Content-Type: {content_type}; charset={charset}".encode()]
    if draw(st.booleans()):
        headers.append(f"Content-Transfer-Encoding: {encoding}".encode())
    if draw(st.booleans()):
        disposition = draw(st.sampled_from(["inline", "attachment", "bogus"]))
        name = draw(st.one_of(_text, _encoded_word()))
        headers.append(f'Content-Disposition: {disposition}; filename="{name}"'.encode())
    if content_type.startswith("multipart/") and depth < 3:
        boundary = draw(st.sampled_from(["b1", "b2", "=_x", "a b", "", "--"])) + str(depth)
        declared = boundary if draw(st.integers(0, 9)) else "wrong"
        headers[0] = f'Content-Type: {content_type}; boundary="{declared}"'.encode()
        parts = draw(st.lists(_part(depth + 1), max_size=4))
        ending = b"" if draw(st.integers(0, 4)) == 0 else f"\r\n--{boundary}--\r\n".encode()
        body = b"preamble\r\n" + b"".join(f"\r\n--{boundary}\r\n".encode() + part for part in parts)
        body += ending
    elif content_type == "message/rfc822" and depth < 3:
        body = draw(_message(depth + 1))
    else:
        text = draw(_text)
        codec = charset.strip('"; ').split("*")[0] or "utf-8"
        try:
            raw = text.encode(codec, "replace")
        except (LookupError, TypeError, ValueError):
            raw = text.encode("utf-8", "surrogatepass")
        if draw(st.booleans()):
            raw += draw(st.binary(max_size=30))
        body = _encode(raw, encoding, broken=draw(st.integers(0, 4)) == 0)
    return b"\r\n".join(headers) + b"\r\n\r\n" + body


@st.composite
def _message(draw: st.DrawFn, depth: int = 0) -> bytes:
    raw = draw(_headers()) + b"\r\n" + draw(_part(depth))
    ending = draw(_line_ending)
    return raw.replace(b"\r\n", ending.encode()) if ending != "\r\n" else raw


# Long runs of one piece are what made reading slow before: a regular expression that can
# split a run many ways tries them all when what follows the run does not fit.
_RUN_PIECES = [
    "A", "Ab ", "A.", "1", "a", "a.", " ", "\t", "-", "- ", ">", "<@", "(", ")", ".", ",", "\n",
    "a\n", "99213 ", "99213,", "99213-", "A11.1 ", "--- ", "Thanks ", "schrieb ", "wrote ",
]  # fmt: skip
_run = st.builds(
    lambda piece, count: piece * count, st.sampled_from(_RUN_PIECES), st.integers(1, 1500)
)
_runs = st.lists(st.one_of(st.sampled_from(_WORDS), _run), max_size=8).map("".join)


def _plain_message(body: str, content_type: str = "text/plain; charset=utf-8") -> bytes:
    head = "From: Dana <dana@example.org>\r\nSubject: question\r\n"
    return f"{head}Content-Type: {content_type}\r\n\r\n{body}".encode()


# --- properties -----------------------------------------------------------------------------


@settings(_SETTINGS, max_examples=400)
@given(st.binary(max_size=3000))
def test_any_bytes_parse_without_raising(raw: bytes) -> None:
    parsed = _parse(raw)
    _extract(parsed.new_text)


@settings(_SETTINGS, max_examples=400)
@given(st.one_of(_message(), _runs.map(_plain_message)))
# Inputs that once took seconds to minutes: a last paragraph of one long word (the
# address pattern read the word again from each letter); a quoted file name of ";".
@example(_plain_message("Hi\n\n" + "a" * 60_000 + "\nb"))
@example(_plain_message("hi", 'text/plain; name="' + "a;" * 50_000))
def test_messages_of_real_pieces_parse_without_raising(raw: bytes) -> None:
    parsed = _parse(raw)
    _extract(parsed.text)
    _extract(parsed.new_text)


@settings(_SETTINGS, max_examples=400)
@given(st.one_of(st.lists(st.sampled_from(_WORDS), max_size=120).map("".join), _runs))
# Inputs that once took seconds to minutes: capitals between a house number and a code;
# capitals on the line under a street; blanks after a code; a list of dotted diagnoses.
@example("Hi\n1 " + "A" * 120 + " 99213\n")
@example("940 Birch Lane\n" + "A" * 1000 + "1 99213\n")
@example("99213" + " " * 30_000 + "x")
@example("A11.1 " * 2_500)
def test_questions_of_real_pieces_extract_without_raising(text: str) -> None:
    _extract(text)


@settings(_SETTINGS, max_examples=300)
@given(st.text(max_size=2000))
def test_any_text_extracts_without_raising(text: str) -> None:
    _extract(text)
