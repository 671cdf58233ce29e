"""The date of service a question names: "DOS 02/18/2025", "date of service 2025-02-18",
"seen on 11/04/2024", "injection given yesterday", "done last Tuesday".

A date counts when a label says it is the date of service, or when it stands
after "on" or near a word of care given ("seen", "done", "injection"), and no
birth, effective or payment word says it is another date. Relative dates
("today", "yesterday", "last Tuesday") are read against a reference, the date
the writer sent the message (its Date header, in the writer's own time zone);
without a reference only written-out dates are read. With no date of service in
the question, callers use the date the message arrived
(:func:`date_of_service_for_message` does both).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import NamedTuple

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_WEEKDAYS = ("mon", "tues", "wednes", "thurs", "fri", "satur", "sun")
# US order (month first) or ISO: "02/18/2025", "2/18/25", "2025-02-18". Found from the
# separators ("/18/2"), since most digits in a question start no date, then read whole
# from at most four digits back.
_NUMERIC_DATE = re.compile(
    r"(?:(?P<m>\d{1,2})[/-](?P<d>\d{1,2})[/-](?P<y>\d{4}|\d{2})"
    r"|(?P<iy>\d{4})-(?P<im>\d{1,2})-(?P<id>\d{1,2}))(?![\w/-]|\.\d)"
)
# "Feb 18, 2025", "February 18th": a capitalised month name (a lower-case "may" is a verb).
_MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December", "Jan", "Feb", "Mar", "Apr", "Jun", "Jul", "Aug",
    "Sept", "Sep", "Oct", "Nov", "Dec",
)  # fmt: skip
_NAMED_DATE = re.compile(
    r"(?P<name>" + "|".join(_MONTH_NAMES) + r")\b\.?[ \t]+"
    r"(?P<nd>\d{1,2})(?:st|nd|rd|th)?\b(?:,?[ \t]+(?P<ny>\d{4})\b)?"
)
# Where a date may start, in one pass: the separators of a numeric date, or a capitalised
# month name. The class comes first, so the engine skips from one such character to the
# next (an alternation of the two patterns tries every position); a month name is then
# read whole by _NAMED_DATE (so first letters and endings may pair loosely here). Searching
# the text once for each kind cost half as much again, and most questions name no date.
_DATE_START = re.compile(
    "[-/" + "".join(sorted({name[0] for name in _MONTH_NAMES})) + r"]"
    r"(?:(?<=[/-])\d{1,2}[/-]\d|(?<=[A-Z])(?:"
    + "|".join(sorted({name[1:] for name in _MONTH_NAMES}))
    + r")\b)"
)
_NOT_BEFORE_A_DATE = frozenset("0123456789/.-_") | frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
)
# The first letter is a class of its own (a case-insensitive one cannot lead the search) and
# the word start is checked looking back: the engine skips to the t, y, l and o of the
# text, where a pattern starting with \b tried every position (four times as long as the
# numeric and named dates together). Each group holds its words but the first letter.
_RELATIVE = re.compile(
    r"[TtYyLlOo](?<!\w.)(?i:"
    r"(?P<today>(?<=t)(?:oday|his[ \t]+(?:morning|afternoon|evening)|onight))"
    r"|(?P<yesterday>(?<=y)esterday)"
    r"|(?:(?<=l)ast|(?<=t)his[ \t]+past|(?<=o)n)[ \t]+"
    r"(?P<weekday>mon|tues|wednes|thurs|fri|satur|sun)day)\b"
)
_WINDOW = 40
# What stands right before a date to make it the date of service.
_LABEL_BEFORE = re.compile(
    r"\b(?:DOS|D\.O\.S\.?|dates?[ \t]+of[ \t]+service|service[ \t]+date|visit[ \t]+date)"
    r"[ \t]*+[:#=-]?[ \t]*+(?:(?:was|is|of|on|:)[ \t]*+)?\Z",
    re.IGNORECASE,
)
_ON_BEFORE = re.compile(r"\bon[ \t]*+\Z", re.IGNORECASE)
_CARE_WORDS = re.compile(
    r"\b(?:seen|saw|see|visit|visited|performed|done|did|had|treated|injected|injection|"
    r"given|gave|administered|procedure|surgery|infusion|encounter|came[ \t]+in|admitted)\b",
    re.IGNORECASE,
)
# Words that make a date something else: a birth date, a policy's start, a payment's day.
_OTHER_DATE_BEFORE = re.compile(
    r"\b(?:DOB|D\.O\.B|born|birth|birthday|effective|since|until|through|thru|before|after|"
    r"denied|paid|received|submitted|updated|changed|expires?|expired|starting|due|deadline|"
    r"posted|dated|remit|eob|letter|from)\b[^.!?\n]{0,16}\Z",
    re.IGNORECASE,
)
_SENTENCE_BREAK = re.compile(r"[.!?\n]")


class DateOfService(NamedTuple):
    """The date of service used, and where it came from: "question" or "arrival"."""

    date: dt.date
    source: str


def _written_dates(text: str) -> Iterator[re.Match[str]]:
    """The numeric and named dates written in ``text``, in text order."""
    searched_to = 0  # where the last numeric date ended: none starts before it
    for date_start in _DATE_START.finditer(text):
        at = date_start.start()
        if text[at] not in "/-":
            if not at or not text[at - 1].isalpha():
                named = _NAMED_DATE.match(text, at)
                if named is not None:
                    yield named
            continue
        for start in range(max(searched_to, at - 4), at):
            if start and text[start - 1] in _NOT_BEFORE_A_DATE:
                continue
            numeric = _NUMERIC_DATE.match(text, start)
            if numeric is not None:
                searched_to = numeric.end()
                yield numeric
                break


def _written_date(match: re.Match[str], reference: dt.date | None) -> dt.date | None:
    groups = match.groupdict()
    try:
        if groups.get("m"):
            year = int(match.group("y"))
            year = year + 2000 if year < 100 else year
            return dt.date(year, int(match.group("m")), int(match.group("d")))
        if groups.get("iy"):
            return dt.date(int(match.group("iy")), int(match.group("im")), int(match.group("id")))
        month = _MONTHS.index(match.group("name")[:3].lower()) + 1
        day = int(match.group("nd"))
        if match.group("ny"):
            return dt.date(int(match.group("ny")), month, day)
        if reference is None:
            return None
        written = dt.date(reference.year, month, day)
        # "Feb 18" written in January is last year's.
        return written if written <= reference else dt.date(reference.year - 1, month, day)
    except ValueError:
        return None  # "02/30/2025", "13/01/2025": no such date


def _relative_date(match: re.Match[str], reference: dt.date) -> dt.date:
    if match.group("today"):
        return reference
    if match.group("yesterday"):
        return reference - dt.timedelta(days=1)
    weekday = _WEEKDAYS.index(match.group("weekday").lower())
    # The most recent such day before the message: "last Tuesday" written on a Tuesday is
    # a week ago.
    back = (reference.weekday() - weekday - 1) % 7 + 1
    return reference - dt.timedelta(days=back)


def _context(text: str, start: int) -> str | None:
    """ "label", "care" or None: what the words before ``start`` make of a date there."""
    window_start = max(0, start - _WINDOW)
    if _LABEL_BEFORE.search(text, window_start, start):
        return "label"
    if _OTHER_DATE_BEFORE.search(text, window_start, start):
        return None
    if _ON_BEFORE.search(text, window_start, start):
        return "care"
    breaks = [m.end() for m in _SENTENCE_BREAK.finditer(text, window_start, start)]
    clause_start = breaks[-1] if breaks else window_start
    return "care" if _CARE_WORDS.search(text, clause_start, start) else None


def read_date_of_service(text: str, reference: dt.date | None = None) -> dt.date | None:
    """The date of service ``text`` names, or None; relative dates need ``reference``.

    A labelled date ("DOS ...") wins over the others; among equals, the first.
    """
    found: list[tuple[bool, int, dt.date]] = []
    for match in _written_dates(text):
        kind = _context(text, match.start())
        written = _written_date(match, reference) if kind else None
        if written is not None:
            found.append((kind == "label", match.start(), written))
    if reference is not None:
        for match in _RELATIVE.finditer(text):
            kind = _context(text, match.start())
            if kind:
                found.append((kind == "label", match.start(), _relative_date(match, reference)))
    if not found:
        return None
    # Labelled first, then text order.
    return min(found, key=lambda entry: (not entry[0], entry[1]))[2]


def date_of_service_for_message(
    text: str, sent: dt.datetime | None, arrived: dt.datetime
) -> DateOfService:
    """The date of service of a question: as the question names it, else the arrival date.

    ``sent`` is the message's Date header (aware, in the writer's zone), the
    reference for "yesterday"; without one the arrival date is the reference.
    """
    reference = (sent or arrived).date()
    named = read_date_of_service(text, reference)
    if named is not None:
        return DateOfService(named, "question")
    return DateOfService(arrived.date(), "arrival")
