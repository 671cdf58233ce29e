"""Signatures at the end of a message: "-- " blocks, sign-offs with a name and contact lines,
mobile footers, confidentiality notices, and the writer's own name on its own.

A signature is no part of the question: its phone numbers, zip codes and
suite numbers look like codes, and its name is no answer.
"""

from __future__ import annotations

import re

# No marker, attribution or header line is longer: longer lines are never one (the
# patterns here and in quoting are linear on any line; this only saves running them on
# a pasted file).
MAX_MARKER_LENGTH = 400
_MAX_SIGNATURE_LINES = 8
# What stands between the words of a name: "Becker, Tom", "-Tom", "Dana W."
_NAME_SEPARATORS = re.compile(r"[\s,.\-–—~]+")

_SIGNATURE_DELIMITER = re.compile(r"^--\s*$")
_MOBILE_FOOTER = re.compile(
    r"^\s*+(Sent from my \w+|Sent from (Outlook|Mail for Windows|Yahoo Mail|my mobile|Samsung)"
    r"|Get Outlook for (iOS|Android)|Sent via .{1,40}|Sent from ProtonMail)\b",
    re.IGNORECASE,
)
_NOTICE = re.compile(
    r"^\s*+(\**+\s*+CONFIDENTIALITY (NOTICE|STATEMENT)|CONFIDENTIAL\s*:|DISCLAIMER\s*:"
    r"|PRIVILEGED AND CONFIDENTIAL"
    r"|This (e-?mail|message|communication)\b.{0,60}\b(confidential|intended (only )?for))",
    re.IGNORECASE,
)
_SIGN_OFF = re.compile(
    r"^\s*+(?i:thanks|thank you|thanks so much|thank you so much|thanks in advance"
    r"|thanks again|thank you in advance|thanks for your help|thank you for your help"
    r"|many thanks|thx|ty|regards|best regards|kind regards|warm regards|warmest regards"
    r"|best wishes|best|cheers|sincerely|respectfully|cordially|take care|all the best"
    r"|with thanks|appreciate it|appreciate your help|v/r)"
    r"[\s,.!:;-]*+([A-Z][\w.'-]*+(\s++[A-Z][\w.'-]*+){0,2})?[\s,.!]*+$"
)
_PHONE = re.compile(r"\(?\b\d{3}\)?[\s.-]\d{3}[\s.-]\d{4}\b")
# An address is found from its "@" (not from every letter before it, each of which would
# read the whole word again): one name character before, a domain with a dot after.
_EMAIL_OR_URL = re.compile(r"(?<=[\w.+-])@[\w-]++\.[\w.]|https?://|www\.", re.IGNORECASE)
# A code-like token (99213, G2211, 0001U) means the lines are part of the question.
_CODE_LIKE = re.compile(r"\b([A-Z]\d{4}|\d{4}[A-Z]|\d{5})\b")
_ZIP_CODE = re.compile(r"\b[A-Z]{2}\s+\d{5}(-\d{4})?\b")


def _is_contact_line(line: str) -> bool:
    return bool(_PHONE.search(line) or _EMAIL_OR_URL.search(line))


def _looks_like_signature(block: list[str]) -> bool:
    """Short lines, no question, no codes (outside phone, mail and ZIP-code lines)."""
    if len(block) > _MAX_SIGNATURE_LINES:
        return False
    for line in block:
        if "?" in line or len(line.strip()) > 70:
            return False
        if not _is_contact_line(line) and _CODE_LIKE.search(_ZIP_CODE.sub("", line)):
            return False
    return True


def _contact_block_start(lines: list[str]) -> int | None:
    """Start of a trailing name/title/phone paragraph without a sign-off above it.

    Only a block of two or more lines with a phone number, a mail address or a
    web address counts: a short last paragraph of the question must stay.
    """
    end = len(lines)
    while end and not lines[end - 1].strip():
        end -= 1
    start = end
    while start and lines[start - 1].strip():
        start -= 1
    block = lines[start:end]
    if start == 0 or len(block) < 2 or not any(_is_contact_line(line) for line in block):
        return None
    return start if _looks_like_signature(block) else None


def strip_signature(lines: list[str], sender_name: str = "") -> list[str]:
    """``lines`` without the signature, sign-off, mobile footer or notice that ends them."""
    for index, line in enumerate(lines):
        if len(line) > MAX_MARKER_LENGTH:
            continue
        if _SIGNATURE_DELIMITER.match(line) or _MOBILE_FOOTER.match(line) or _NOTICE.match(line):
            lines = lines[:index]
            break
    # A sign-off followed only by a short name/contact block ends the message.
    for index in range(len(lines) - 1, -1, -1):
        if len(lines[index]) > MAX_MARKER_LENGTH or not _SIGN_OFF.match(lines[index]):
            continue
        if _looks_like_signature([line for line in lines[index + 1 :] if line.strip()]):
            lines = lines[:index]
        break
    contact_start = _contact_block_start(lines)
    if contact_start is not None:
        lines = lines[:contact_start]
    return _without_own_name(lines, sender_name)


def _name_words(sender_name: str) -> frozenset[str]:
    return frozenset(word.lower() for word in _NAME_SEPARATORS.split(sender_name) if word)


def _without_own_name(lines: list[str], sender_name: str) -> list[str]:
    """``lines`` without a last line that is only the sender's name ("Dana", "-Tom").

    Only the name in the From header counts: a one-word last line such as
    "Medicare." answering a quoted question must stay.
    """
    name_words = _name_words(sender_name)
    end = len(lines)
    while end and not lines[end - 1].strip():
        end -= 1
    if not name_words or end < 2 or len(lines[end - 1]) > MAX_MARKER_LENGTH:
        return lines
    words = [word for word in _NAME_SEPARATORS.split(lines[end - 1]) if word]
    if not words or len(words) > 3 or any(word.lower() not in name_words for word in words):
        return lines
    return lines[: end - 1] if any(line.strip() for line in lines[: end - 1]) else lines
