"""The new part of a message: quoted history and signatures removed.

Codes are extracted from the new text only, so a follow-up that quotes our own
earlier reply must not bring the codes of that reply back in. The rules are
line-based and cover what the common clients write: Gmail and Apple Mail's
"On ... wrote:", Outlook's "-----Original Message-----" and From:/Sent: blocks,
"> " quoting, "-- " signatures, sign-offs followed by a name and contact block,
mobile footers and confidentiality notices.

The new text is what is not quoted, wherever it stands. An attribution (or an
Outlook header block) followed by "> " lines opens a quoted block, not the end
of the message: Thunderbird and Apple Mail users often write below the quote
(bottom-posting) or answer between its lines, so the unquoted lines after it
are kept. Only history that is not marked line by line (Outlook's top-posted
"From: / Sent:" block with the old message under it) ends the new text.

A forward is different from a reply: the forwarded text is someone else's
question (a physician's note, a colleague's mail), not our history, so it is
kept, with its header block removed and its own history stripped in turn.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from consultant.mail.signatures import MAX_MARKER_LENGTH, strip_signature

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

_QUOTED = re.compile(r"^[ \t]*+>(?!\d)")
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


@dataclass(frozen=True)
class _History:
    """Where history starts, whether it is a forward, and where its opening lines end."""

    start: int
    is_forward: bool
    #: The last line of the attribution or header block (the quoted lines come after).
    opening_end: int


def _header_block_end(lines: list[str], index: int) -> int:
    """The last line of a marker and its "From: / Sent: / To: / Subject:" lines at ``index``."""
    end = index
    position = index + 1
    while position < len(lines) and (
        not lines[position].strip() or _HEADER_LINE.match(lines[position])
    ):
        if lines[position].strip():
            end = position
        position += 1
    return end


def _find_history(lines: list[str], subject: str, begin: int = 0) -> _History | None:
    """Where quoted history or a forward starts at or after ``begin``."""
    forwarding = bool(_FORWARD_SUBJECT.match(subject))
    for index in range(begin, len(lines)):
        line = lines[index]
        if len(line) > MAX_MARKER_LENGTH or _is_quoted(line):
            continue
        if _is_forward_marker(line):
            return _History(index, True, index)
        if _ORIGINAL_MESSAGE.match(line) or _is_header_block(lines, index):
            return _History(index, forwarding, _header_block_end(lines, index))
        if _UNDERSCORE_RULE.match(line) and any(
            _HEADER_FROM.match(following) for following in lines[index + 1 : index + 3]
        ):
            return _History(index, forwarding, _header_block_end(lines, index))
        attribution_end = _attribution_end(lines, index)
        if attribution_end is not None:
            return _History(index, False, attribution_end)
        # "Name <address> wrote:" without an "On" directly above a quoted block.
        if _ends_attribution(line) and _quote_follows(lines, index):
            return _History(index, False, index)
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


def _tidy(lines: list[str]) -> str:
    text = "\n".join(line.rstrip() for line in lines)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip("\n").strip()


def _unquoted_lines(lines: list[str], subject: str) -> tuple[list[str], _History | None]:
    """The lines outside quoted history, and the history that ends the new text, if any.

    An opening followed by "> " lines is dropped and reading goes on after it:
    the quoted lines are dropped below, and what follows them (a bottom-posted
    question, answers between quoted lines) is new. An opening followed by
    unmarked text ends the new text: everything after it is history.
    """
    kept: list[str] = []
    begin = 0
    while True:
        history = _find_history(lines, subject, begin)
        if history is None:
            kept.extend(lines[begin:])
            return kept, None
        kept.extend(lines[begin : history.start])
        if history.is_forward or not _quote_follows(lines, history.opening_end):
            return kept, history
        begin = history.opening_end + 1


def _new_lines(lines: list[str], subject: str, depth: int, sender_name: str = "") -> list[str]:
    kept, history = _unquoted_lines(lines, subject)
    forwarded: list[str] = []
    if history is not None and history.is_forward and depth < _MAX_FORWARD_DEPTH:
        forwarded = _new_lines(_forwarded_body(lines[history.start :]), "", depth + 1)
    lines = strip_signature([line for line in kept if not _is_quoted(line)], sender_name)
    if forwarded:
        lines = [*lines, "", *forwarded] if _tidy(lines) else forwarded
    return lines


def extract_new_text(text: str, subject: str = "", sender_name: str = "") -> str:
    """The new text a person wrote in this message; ``subject`` tells forwards from replies.

    Replies lose their quoted history, wherever it stands; forwards keep the
    forwarded text. Signatures, sign-offs with contact blocks, mobile footers,
    confidentiality notices and a last line that is only ``sender_name`` (the
    From header's name, or part of it) are removed from both.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return _tidy(_new_lines(lines, subject, 0, sender_name))
