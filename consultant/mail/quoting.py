"""The new part of a message: quoted history and signatures removed.

Codes are extracted from the new text only, so a follow-up that quotes our own
earlier reply must not bring the codes of that reply back in. The rules are
line-based and cover what the common clients write: Gmail and Apple Mail's
"On ... wrote:", Outlook's "-----Original Message-----" and From:/Sent: blocks,
"> " quoting, "-- " signatures, sign-offs followed by a name and contact block,
mobile footers and confidentiality notices.

A forward is different from a reply: the forwarded text is someone else's
question (a physician's note, a colleague's mail), not our history, so it is
kept, with its header block removed and its own history stripped in turn.
"""

from __future__ import annotations

import re

# No pattern here may try one stretch of a line many ways: runs are possessive ("\s*+",
# "-{3,}+") where what follows cannot be part of them, and no "up to 200 of anything"
# (".{0,200}") stands before a pattern anchored at the line's end, which it would try from
# each of those places; such ends are read from the end in Python instead (a 5 MB message
# once took minutes).
_ATTRIBUTION_START = re.compile(r"^\s*+(On|Le|Am|El|Il|Op|Em|Den|W dniu)\s", re.IGNORECASE)
_WROTE = re.compile(
    r"(wrote|a écrit|escribió|ha scritto|schreef|skrev|napisał|escreveu)\s*+:\s*+$", re.IGNORECASE
)
# German puts the name after the verb: "Am <date> schrieb <name>:" (up to 200 characters).
_SCHRIEB = re.compile(r"\bschrieb\b", re.IGNORECASE)
_ORIGINAL_MESSAGE = re.compile(r"^\s*+-{3,}+\s*+Original Message\s*+-{3,}+\s*+$", re.IGNORECASE)
_FORWARD_MARKER = re.compile(
    r"^\s*+(-{3,}+\s*+Forwarded message\s*+-{3,}+|Begin forwarded message:"
    r"|-{3,}+\s*+Start of forwarded message\s*+-{3,}+)\s*+$",
    re.IGNORECASE,
)
# "---------- Forwarded by <name> on <date> ----------": up to 200 characters between.
_FORWARDED_BY = re.compile(r"^\s*+-{3,}+\s*+Forwarded by\b", re.IGNORECASE)
_UNDERSCORE_RULE = re.compile(r"^\s*+_{10,}+\s*+$")
_HEADER_FROM = re.compile(r"^\s*+\*?From:\*?\s", re.IGNORECASE)
_HEADER_DATE = re.compile(r"^\s*+\*?(Sent|Date):\*?\s", re.IGNORECASE)
_HEADER_TO = re.compile(r"^\s*+\*?(To|Subject|Cc):\*?(\s|$)", re.IGNORECASE)
_HEADER_LINE = re.compile(r"^\s*+\*?(From|Sent|Date|To|Cc|Bcc|Subject|Reply-To):\*?(\s|$)", re.I)
_FORWARD_SUBJECT = re.compile(r"^\s*+(fwd?|fw)\s*:", re.IGNORECASE)

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
_QUOTED = re.compile(r"^[ \t]*+>(?!\d)")
_MAX_SIGNATURE_LINES = 8
# No marker, attribution or header line is longer: longer lines are never one (the
# patterns above are linear on any line; this only saves running them on a pasted file).
_MAX_MARKER_LENGTH = 400
_MAX_BETWEEN = 200
_MAX_FORWARD_DEPTH = 3


def _is_quoted(line: str) -> bool:
    # ">30 minutes" in pasted documentation is a comparison, not a quote marker.
    return _QUOTED.match(line) is not None


def _is_forward_marker(line: str) -> bool:
    if _FORWARD_MARKER.match(line):
        return True
    opening = _FORWARDED_BY.match(line)
    if opening is None:
        return False
    # The closing dashes end the line, up to 200 characters after "by".
    line = line.rstrip()
    before_dashes = line.rstrip("-")
    if len(line) - len(before_dashes) < 3:
        return False
    between_end = len(before_dashes.rstrip())
    return (
        between_end - opening.end() <= _MAX_BETWEEN
        and "\n" not in line[opening.end() : between_end]
    )


def _ends_attribution(text: str) -> bool:
    """Whether ``text`` ends like an attribution: "... wrote:", "... schrieb Maria Klein:"."""
    if _WROTE.search(text):
        return True
    ending = text.rstrip()
    colon = len(ending) - 1
    if not ending.endswith(":"):
        return False
    # "schrieb" ending at most 200 characters before the colon, on the same line.
    window_start = max(0, colon - _MAX_BETWEEN - len("schrieb"))
    line_start = text.rfind("\n", window_start, colon) + 1
    for word in _SCHRIEB.finditer(text, max(window_start, line_start), colon):
        if colon - word.end() <= _MAX_BETWEEN:
            return True
    return False


def _quote_follows(lines: list[str], index: int) -> bool:
    following = [line for line in lines[index + 1 : index + 4] if line.strip()]
    return bool(following) and _is_quoted(following[0])


def _attribution_end(lines: list[str], index: int) -> int | None:
    """The last line of an "On <date>, <name> wrote:" that starts at ``index`` (clients wrap it).

    "On Monday the physician wrote:" in a question is not an attribution: a
    real one names an address or is followed by quoted lines.
    """
    if not _ATTRIBUTION_START.match(lines[index]):
        return None
    joined = ""
    for end in range(index, min(index + 3, len(lines))):
        joined = f"{joined} {lines[end].strip()}"
        if len(joined) > 400:
            return None
        if _ends_attribution(joined):
            return end if "@" in joined or _quote_follows(lines, end) else None
    return None


def _is_header_block(lines: list[str], index: int) -> bool:
    """True if an Outlook-style "From: / Sent: / To: / Subject:" block starts at ``index``."""
    if not _HEADER_FROM.match(lines[index]):
        return False
    window = lines[index + 1 : index + 7]
    return any(_HEADER_DATE.match(line) for line in window) and any(
        _HEADER_TO.match(line) for line in window
    )


def _find_history(lines: list[str], subject: str) -> tuple[int, bool] | None:
    """Where quoted history or a forward starts, and whether it is a forward."""
    forwarding = bool(_FORWARD_SUBJECT.match(subject))
    for index, line in enumerate(lines):
        if len(line) > _MAX_MARKER_LENGTH:
            continue
        if _is_forward_marker(line):
            return index, True
        if _ORIGINAL_MESSAGE.match(line):
            return index, forwarding
        if _UNDERSCORE_RULE.match(line) and any(
            _HEADER_FROM.match(following) for following in lines[index + 1 : index + 3]
        ):
            return index, forwarding
        if _is_header_block(lines, index):
            return index, forwarding
        if _attribution_end(lines, index) is not None:
            return index, False
        # "Name <address> wrote:" without an "On" directly above a quoted block.
        if _ends_attribution(line) and _quote_follows(lines, index):
            return index, False
    return None


def _forwarded_body(lines: list[str]) -> list[str]:
    """The forwarded text: the lines after the marker and the forwarded header block."""
    index = 0
    if lines and (
        _is_forward_marker(lines[0])
        or _ORIGINAL_MESSAGE.match(lines[0])
        or _UNDERSCORE_RULE.match(lines[0])
    ):
        index = 1
    while index < len(lines) and (not lines[index].strip() or _HEADER_LINE.match(lines[index])):
        index += 1
    return lines[index:]


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


def _strip_signature(lines: list[str]) -> list[str]:
    for index, line in enumerate(lines):
        if len(line) > _MAX_MARKER_LENGTH:
            continue
        if _SIGNATURE_DELIMITER.match(line) or _MOBILE_FOOTER.match(line) or _NOTICE.match(line):
            lines = lines[:index]
            break
    # A sign-off followed only by a short name/contact block ends the message.
    for index in range(len(lines) - 1, -1, -1):
        if len(lines[index]) > _MAX_MARKER_LENGTH or not _SIGN_OFF.match(lines[index]):
            continue
        if _looks_like_signature([line for line in lines[index + 1 :] if line.strip()]):
            lines = lines[:index]
        break
    contact_start = _contact_block_start(lines)
    if contact_start is not None:
        lines = lines[:contact_start]
    return lines


def _tidy(lines: list[str]) -> str:
    text = "\n".join(line.rstrip() for line in lines)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip("\n").strip()


def _new_lines(lines: list[str], subject: str, depth: int) -> list[str]:
    history = _find_history(lines, subject)
    forwarded: list[str] = []
    if history is not None:
        index, is_forward = history
        if is_forward and depth < _MAX_FORWARD_DEPTH:
            forwarded = _new_lines(_forwarded_body(lines[index:]), "", depth + 1)
        lines = lines[:index]
    lines = _strip_signature([line for line in lines if not _is_quoted(line)])
    if forwarded:
        lines = [*lines, "", *forwarded] if _tidy(lines) else forwarded
    return lines


def extract_new_text(text: str, subject: str = "") -> str:
    """The new text a person wrote in this message; ``subject`` tells forwards from replies.

    Replies lose their quoted history; forwards keep the forwarded text.
    Signatures, sign-offs with contact blocks, mobile footers and
    confidentiality notices are removed from both.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return _tidy(_new_lines(lines, subject, 0))
