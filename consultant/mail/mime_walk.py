"""Walking a parsed MIME tree: the body text, the attachment list, the defects.

Clients nest parts in many ways (Apple Mail splits the text around an inline
PDF, Outlook forwards a question as an attached message, Gmail sends
multipart/alternative inside multipart/mixed). The walk keeps the text a person
would read, lists everything else as an attachment without opening it, and
repairs the most common MIME breakage: a multipart without a usable boundary.
"""

from __future__ import annotations

import email.errors
import email.message
import email.utils
import re
from dataclasses import dataclass

from consultant.mail.charsets import decode_bytes, decode_header_text, one_line
from consultant.mail.flowed import unflow
from consultant.mail.html_text import html_to_text

#: Set when a text part's base64 was broken beyond recovery and nothing else was readable.
UNDECODABLE_TEXT = "undecodable_text"
#: Set when the walk stopped at a limit: the parts past it were never read, so
#: the text may be missing a question; ingest holds such mail for staff.
TOO_MANY_PARTS = "too_many_parts"
TOO_DEEP = "mime_too_deep"

MAX_PARTS = 500
MAX_DEPTH = 60
_MAX_EMBEDDING = 4
_BASE64_DEFECTS = (
    email.errors.InvalidBase64CharactersDefect,
    email.errors.InvalidBase64LengthDefect,
)
_BOUNDARY_DEFECTS = (
    email.errors.NoBoundaryInMultipartDefect,
    email.errors.StartBoundaryNotFoundDefect,
)
_DELIMITER_LINE = re.compile(r"^--([0-9A-Za-z'()+_,\-./:=?]{1,70})[ \t]*\r?$", re.MULTILINE)
# What is left of MIME structure in a body the parser could not split.
# Possessive: the boundary's characters include the blank that may end its line.
_MIME_DEBRIS = re.compile(
    r"^(--[0-9A-Za-z'()+_,\-./:=? ]{6,72}+|Content-[\w-]+:.*|[ \t]+[\w-]+=.*)[ \t]*+$",
    re.MULTILINE | re.IGNORECASE,
)
_HEADER_END = re.compile(rb"\r?\n\r?\n")
_MULTIPART_TYPE = re.compile(rb"(?im)^(content-type:[ \t]*multipart/[\w.+-]+)")
# C0 controls other than tab, newline, form feed and carriage return: NUL in
# particular cannot be stored in a PostgreSQL text column.
_CONTROL_CHARS = dict.fromkeys([*range(0, 9), 11, *range(14, 32), 127])
_FORWARD_HEADERS = ("From", "Date", "Subject", "To")


@dataclass(frozen=True)
class AttachmentInfo:
    """An attachment as listed to reviewers; its bytes are never opened or run."""

    filename: str
    content_type: str
    size: int


def _defect_names(part: email.message.Message) -> list[str]:
    return [type(defect).__name__ for defect in part.defects]


def _filename(part: email.message.Message) -> str | None:
    # Most body parts name no file; skip the (slow) parameter parsing for them.
    if "name" not in str(part.get("Content-Disposition", "")) + str(part.get("Content-Type", "")):
        return None
    try:
        name = part.get_filename() or part.get_param("name")
    except (LookupError, ValueError, UnicodeError):
        return None
    if isinstance(name, tuple):  # an RFC 2231 value the stdlib did not collapse
        name = email.utils.collapse_rfc2231_value(name)
    return one_line(decode_header_text(str(name))) if name else None


def _looks_garbled(text: str) -> bool:
    controls = sum(1 for char in text if ord(char) < 32 and char not in "\t\n\r\f")
    return controls > len(text) * 0.05


def guess_missing_boundary(raw: bytes, message: email.message.Message) -> bytes | None:
    """``raw`` with a boundary parameter added when the declared one is absent or wrong.

    Returns None when the message needs no repair or no delimiter line is found.
    """
    if message.get_content_maintype() != "multipart":
        return None
    if not any(isinstance(defect, _BOUNDARY_DEFECTS) for defect in message.defects):
        return None
    payload = message.get_payload()
    if not isinstance(payload, str):
        return None
    found = _DELIMITER_LINE.search(payload)
    header_end = _HEADER_END.search(raw)
    if found is None or header_end is None:
        return None
    boundary = found.group(1).removesuffix("--")
    headers, body = raw[: header_end.start()], raw[header_end.start() :]
    # Our parameter goes first: the stdlib uses the first boundary it finds.
    repaired, count = _MULTIPART_TYPE.subn(
        lambda match: match.group(1) + b'; boundary="' + boundary.encode("ascii") + b'"',
        headers,
        count=1,
    )
    return repaired + body if count else None


def _parameter(part: email.message.Message, name: str) -> str:
    """A Content-Type parameter in lower case, "" when absent."""
    value = part.get_param(name)
    return value.strip().lower() if isinstance(value, str) else ""


class BodyCollector:
    """Collects text parts and attachments from a parsed message, depth first."""

    def __init__(self, embedding: int = 0) -> None:
        self.parts: list[str] = []
        self.attachments: list[AttachmentInfo] = []
        self.defects: list[str] = []
        self.is_multipart_report = False
        self.undecodable_parts = 0
        self.embedding = embedding
        self.seen_parts = 0

    def merge(self, other: BodyCollector) -> None:
        self.parts.extend(other.parts)
        self.attachments.extend(other.attachments)
        self.defects.extend(other.defects)
        self.undecodable_parts += other.undecodable_parts
        self.seen_parts += other.seen_parts

    def text(self) -> str:
        """The collected body text; marks the message undecodable if that left nothing."""
        text = "\n\n".join(part.strip("\n") for part in self.parts if part.strip())
        if not text and self.undecodable_parts and UNDECODABLE_TEXT not in self.defects:
            self.defects.append(UNDECODABLE_TEXT)
        return text

    def collect(self, part: email.message.Message, depth: int = 0, in_report: bool = False) -> None:
        """Walk ``part`` and everything under it."""
        self.seen_parts += 1
        if self.seen_parts > MAX_PARTS or depth > MAX_DEPTH:
            limit = TOO_DEEP if depth > MAX_DEPTH else TOO_MANY_PARTS
            if limit not in self.defects:
                self.defects.append(limit)
            return
        self.defects.extend(_defect_names(part))
        content_type = part.get_content_type()
        if content_type == "multipart/report":
            self.is_multipart_report = self.is_multipart_report or depth <= 1
            in_report = True
        if content_type in ("message/rfc822", "message/global"):
            self._collect_embedded(part, in_report)
        elif content_type.startswith("message/") or content_type == "text/rfc822-headers":
            return  # delivery-status and friends: machine data for bounces, not text
        elif part.is_multipart():
            subparts = [sub for sub in part.get_payload() if isinstance(sub, email.message.Message)]
            if content_type == "multipart/alternative":
                self._collect_alternative(subparts, depth + 1, in_report)
            else:
                for sub in subparts:
                    self.collect(sub, depth + 1, in_report)
        elif part.get_content_maintype() == "multipart":
            # A multipart whose boundary never appears: the stdlib leaves the body as one string.
            self._collect_leaf(part, "text/plain", broken_mime=True)
        else:
            has_boundary = "boundary" in str(part.get("Content-Type", "")).lower()
            self._collect_leaf(
                part, content_type, has_boundary and bool(part.get_param("boundary"))
            )

    def _collect_alternative(
        self, subparts: list[email.message.Message], depth: int, in_report: bool
    ) -> None:
        # Prefer what the sender wrote as plain text; fall back to the HTML version.
        def preference(sub: email.message.Message) -> int:
            kind = sub.get_content_type()
            return 0 if kind == "text/plain" else 1 if kind == "text/html" else 2

        last: BodyCollector | None = None
        for sub in sorted(subparts, key=preference):
            candidate = BodyCollector(self.embedding)
            candidate.collect(sub, depth, in_report)
            last = candidate
            if candidate.text():
                break
        if last is not None:
            self.merge(last)

    def _collect_embedded(self, part: email.message.Message, in_report: bool) -> None:
        payload = part.get_payload()
        embedded = payload[0] if isinstance(payload, list) and payload else None
        size = 0
        if isinstance(embedded, email.message.Message):
            try:
                size = len(embedded.as_bytes())
            except (LookupError, ValueError, UnicodeError, TypeError):
                size = 0
        filename = _filename(part) or "forwarded message"
        self.attachments.append(AttachmentInfo(filename, part.get_content_type(), size))
        if in_report or not isinstance(embedded, email.message.Message):
            return
        if self.embedding >= _MAX_EMBEDDING:
            return
        inner = BodyCollector(self.embedding + 1)
        inner.collect(embedded)
        body = inner.text()
        inner.parts = []
        self.merge(inner)
        # Written like a client's inline forward so that quoting keeps it as a forward.
        lines = ["---------- Forwarded message ---------"]
        for name, value in embedded.raw_items():
            if name.title() in _FORWARD_HEADERS:
                lines.append(f"{name.title()}: {one_line(decode_header_text(str(value)))}")
        self.parts.append("\n".join(lines) + "\n\n" + body)

    def _collect_leaf(
        self, part: email.message.Message, content_type: str, broken_mime: bool = False
    ) -> None:
        filename = _filename(part)
        disposition = part.get_content_disposition()
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        # Mutt and VM mark inline text parts with a file name; a bare file name means a file.
        is_body = content_type in ("text/plain", "text/html") and (
            disposition == "inline" or (disposition is None and not filename) or broken_mime
        )
        if not is_body:
            self.attachments.append(AttachmentInfo(filename or "", content_type, len(data)))
            return
        # get_payload(decode=True) records base64 problems on the part just now.
        self.defects.extend(name for name in _defect_names(part) if name not in self.defects)
        text, problem = decode_bytes(data, part.get_content_charset())
        if problem:
            self.defects.append(problem)
        broken_base64 = any(isinstance(defect, _BASE64_DEFECTS) for defect in part.defects)
        if broken_base64 and (problem or _looks_garbled(text)):
            self.undecodable_parts += 1
            self.defects.append("undecodable_part")
            return
        text = text.translate(_CONTROL_CHARS)
        if broken_mime:
            text = _MIME_DEBRIS.sub("", text)
        if content_type == "text/html":
            text = html_to_text(text)
        elif _parameter(part, "format") == "flowed":
            text = unflow(text, delete_space=_parameter(part, "delsp") == "yes")
        self.parts.append(text)
