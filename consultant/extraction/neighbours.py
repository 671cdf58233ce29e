"""What neighbouring candidates say about each other, and the verdict on each candidate.

A dash, "through" or "thru" between two codes of one kind makes a range
(``99202-99205``); codes joined only by list punctuation and conjunctions make
a list, and a code in a list with codes is one too ("63030, 63035 and 20936");
a label before the first of several numbers covers them all ("claims 12345,
12346 and 12347").
"""

from __future__ import annotations

import itertools
import re

from consultant.extraction.attachments import RANGE_CONNECTORS, range_end_after
from consultant.extraction.candidates import Candidate
from consultant.extraction.lookalikes import LABELLED

# What may stand between two codes of one list: "99213, 99214 and 99215", "99213/99214",
# "(63030)", a new numbered or bulleted line, a table's next row.
# Possessive runs: the blanks after a connector and the brackets after them overlap, and
# must not be split every way before a gap is refused.
_LIST_GAP = re.compile(
    r"[ \t()\[\]|]*+(?:(?:[,;/&+]|and|or|vs\.?|versus|plus|with|then|,[ \t]*+(?:and|or))[ \t]*+)?"
    r"[ \t()\[\]]*+"
    r"|[ \t|]*+\n[ \t|]*+(?:(?:\d{1,2}[.)]|[-*•])[ \t]*+)?",
    re.IGNORECASE | re.ASCII,
)
# A gap that continues an enumeration of one kind of thing: "claims 12345, 12346 and 12347".
_ENUMERATION_GAP = re.compile(r"[ \t]*(?:,|/|&|and|,[ \t]*and)[ \t]*", re.IGNORECASE)
_MAX_LIST_GAP = 24


def _closes_range(text: str, candidate: Candidate, following: Candidate) -> bool:
    """Whether ``following`` is the other end of a range written from ``candidate``."""
    if following.short_end:
        return True
    start, end = candidate.span
    # Most neighbours stand further apart than a range connector: a look at the gap
    # spares reading one there (a call for each pair cost 3% of the extraction).
    if text[end : following.span[0]].strip(" \t").lower() not in RANGE_CONNECTORS:
        return False
    other = range_end_after(text, start, end, candidate.code)
    # Only a connector stands between a range's ends: the end is the next candidate.
    return other is not None and following.span[0] == other[1]


def ranges_and_lists(text: str, candidates: list[Candidate]) -> list[list[int]]:
    """Link each range's start to its end (``range_end``), and return the runs of candidates
    joined only by list punctuation, conjunctions or a range connector.

    One walk over the neighbours does both: a range joins its ends into a list.
    """
    groups: list[list[int]] = [[0]] if candidates else []
    for index, (previous, candidate) in enumerate(itertools.pairwise(candidates), start=1):
        attachments = previous.attachments
        bare = not attachments.modifiers and attachments.units is None
        if bare and _closes_range(text, previous, candidate):
            previous.range_end = index
            groups[-1].append(index)
            continue
        gap_start = attachments.end
        gap_end = candidate.span[0]
        joined = gap_end - gap_start <= _MAX_LIST_GAP and (
            _LIST_GAP.fullmatch(text, gap_start, gap_end) is not None
        )
        if joined:
            groups[-1].append(index)
        else:
            groups.append([index])
    return groups


def decide(text: str, candidates: list[Candidate], groups: list[list[int]]) -> None:
    """Whether each candidate is taken as a code (``taken``), from its own evidence and
    look-alike reason, then from the enumeration, list and range it stands in."""
    for candidate in candidates:
        against = candidate.against
        candidate.taken = against is None or (not against.strong and candidate.has_evidence)
    for previous, candidate in itertools.pairwise(candidates):
        # "claims 12345, 12346 and 12347": the label covers the whole enumeration.
        label = previous.against
        if label is None or label.reason != LABELLED or candidate.has_evidence:
            continue
        gap = (previous.attachments.end, candidate.span[0])
        if _ENUMERATION_GAP.fullmatch(text, *gap):
            candidate.taken = False
            candidate.against = label
    for group in groups:
        if len(group) < 2:
            continue  # most codes stand alone: no list to read
        members = [candidates[i] for i in group]
        if any(m.against is not None and m.against.reason == LABELLED for m in members):
            continue
        if len(members) < 2 or not any(m.taken for m in members):
            continue
        for member in members:
            # With code knowledge, an unknown number with a weak reason against it stays out.
            rescuable = member.known is not False
            weak = member.against is not None and not member.against.strong
            if not member.taken and weak and rescuable:
                member.taken = True
            if member.taken:
                member.reasons.append("list with codes")
    for candidate in candidates:
        if candidate.range_end is None:
            continue
        end = candidates[candidate.range_end]
        if not candidate.taken or not end.taken:
            # "ticket 10542 - 58558": no range; each end stands on its own.
            candidate.range_end = None
            if end.short_end:  # "ticket 10542-48": the "48" was never a code by itself
                end.taken = False
                end.against = candidate.against
