"""ICD-10-CM diagnosis codes: ``M51.16`` anywhere, ``M5116`` only where a diagnosis is named.

A dotted code (a letter, a digit, a digit or letter, a dot, one to four more)
is distinctive enough to take anywhere. Without the dot, ``M5116`` is also the
shape of a HCPCS code and ``T12`` of a spine level, so undotted codes are taken
only in a diagnosis list: after "Dx", "diagnosis" or "ICD-10", or next to a
dotted code in the same list.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from consultant.extraction.mentions import Icd10Mention

# No look-behind here: checked in Python on the few matches, it costs nothing at every position.
# Anchored on the dot, the rarest character of the shape: the engine jumps from dot to dot
# (several times faster than trying the letter class at every position); the match
# starts at the dot, so the code starts three characters earlier.
_DOTTED = re.compile(r"\.(?<=[A-Z]\d[0-9A-Z]\.)[0-9A-Z]{1,4}(?![A-Za-z0-9]|\.\d)")
_GLUED_BEFORE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.")
_ANY_ICD = re.compile(
    r"(?<![A-Za-z0-9.])[A-Za-z]\d[0-9A-Za-z](?:\.[0-9A-Za-z]{1,4}|[0-9A-Za-z]{0,4})"
    r"(?![A-Za-z0-9]|\.\d)"
)
# Matched only where a substring search found "dx", "diag" or "icd": scanning every d and i
# of the text with a regular expression costs more than the rest of the ICD-10 search.
_DX_KEYWORD = re.compile(
    r"(?:dx|dxs|diagnos[ie]s|diag|icd[- ]?10(?:[- ]?cm)?|icd)\b(?:[ \t]+codes?)?", re.IGNORECASE
)
_DX_NEEDLES = ("dx", "diag", "icd")
# What may sit between the codes of one diagnosis list.
_LIST_GAP = re.compile(
    r"(?:[ \t\r\n:;,#=&/+]|" + "[-\u2010\u2011\u2012\u2013\u2014]"
    r"|\([^()\n]{0,60}\)|\b(?:and|or|codes?|is|are|was|were|of|primary|secondary|plus)\b)*",
    re.IGNORECASE | re.ASCII,
)
_HCPCS_SHAPE = re.compile(r"[A-Za-z]\d{4}")


def dotted_form(written: str) -> str:
    """The code in its standard form: upper case, a dot after the third character."""
    code = written.upper().replace(".", "")
    return code if len(code) <= 3 else f"{code[:3]}.{code[3:]}"


def _keyword_ends(text: str) -> list[int]:
    """Where each "Dx", "diagnosis" or "ICD-10" keyword (and a following "code") ends."""
    lowered = text.lower()
    ends = []
    for needle in _DX_NEEDLES:
        at = lowered.find(needle)
        while at >= 0:
            if not (at and lowered[at - 1].isalnum()):
                match = _DX_KEYWORD.match(text, at)
                if match is not None:
                    ends.append(match.end())
            at = lowered.find(needle, at + 1)
    return sorted(ends)


def find_icd10(text: str, is_code: Callable[[str], bool] | None = None) -> list[Icd10Mention]:
    """Every ICD-10-CM code in ``text``, in text order, once per place written.

    ``is_code`` says whether an undotted token such as ``J1885`` is a known
    procedure or supply code; such a token then ends a diagnosis list instead of
    joining it.
    """
    found: dict[int, Icd10Mention] = {}
    starts = [(end, False) for end in _keyword_ends(text)]
    for match in _DOTTED.finditer(text):
        start, end = match.start() - 3, match.end()
        if start and text[start - 1] in _GLUED_BEFORE:
            continue
        written = text[start:end]
        found[start] = Icd10Mention(dotted_form(written), (start, end), written)
        starts.append((end, True))
    # Lists are read from every keyword and every dotted code, and "A11.1 A11.2 A11.3 ..."
    # starts a list at each code: a walk stops where an earlier one went on from the same
    # place in the same state, so the text is read once, not once per code in the list.
    walked: set[tuple[int, bool]] = set()
    for start, dotted_seen in starts:
        pos = start
        while True:
            gap = _LIST_GAP.match(text, pos)
            pos = gap.end() if gap is not None else pos
            if (pos, dotted_seen) in walked:
                break
            walked.add((pos, dotted_seen))
            token = _ANY_ICD.match(text, pos)
            if token is None:  # (its second character is a digit: no need to look for one)
                break
            written = token.group(0)
            if _HCPCS_SHAPE.fullmatch(written) and (
                # One who dots their diagnoses wrote "G0121" after "K63.5" as a HCPCS code.
                dotted_seen or (is_code is not None and is_code(written.upper()))
            ):
                break
            dotted_seen = dotted_seen or "." in written
            if token.start() not in found:
                found[token.start()] = Icd10Mention(dotted_form(written), token.span(), written)
            pos = token.end()
    return [found[key] for key in sorted(found)]
