"""Street addresses in a question: whether a number is a zip code written after one.

Signatures and letterheads hold addresses ("4100 Main St, Houston TX 77002",
"940 Birch Lane" over "Springfield 62704"), and their house numbers and zip
codes have the shape of codes. :class:`StreetLines` reads each line of a text
for street addresses once, however many numbers the line holds.
"""

from __future__ import annotations

import bisect
import re

from consultant.extraction.shapes import DASH_CLASS

_LONG_LINE = 2000

_STREET_SUFFIX = (
    r"(?:St|Street|Ave|Avenue|Rd|Road|Blvd|Boulevard|Dr|Drive|Ln|Lane|Way|Ct|Court|Pl|Place|"
    r"Pkwy|Parkway|Hwy|Highway|Fwy|Freeway|Expy|Expressway|Ter|Terrace|Trl|Trail|Cir|Circle|"
    r"Sq|Square|Plaza|Pike|Loop|Row|Turnpike|Tpke|Broadway|ST|STREET|AVE|RD|BLVD|DR|LN|HWY|PKWY)\b"
)
# The address patterns run once per code-shaped number, often on the same line: their runs
# of letters, digits and blanks are possessive (``*+``, ``++``), so none is tried more than
# one way (a line of 160 capitals before a code once took 25 s; it takes microseconds).
# A street name word: capitalised or an ordinal ("5th"), never another code-shaped number.
_NAME_WORD = r"(?:(?!\d{5}\b)[A-Z0-9][A-Za-z0-9.'\-]*+|[NSEW]\.?)"
# What follows a street suffix in an address: a comma, the line end, a suite, a direction.
# "We are at 20610 Lakeview Blvd. Billed 29826": a sentence may end right after the suffix.
_AFTER_SUFFIX = (
    r"\.?(?=[ \t]*+(?:[,#\n.;:!?)]|$|Suite\b|Ste\b|Apt\b|Unit\b|Bldg\b|Fl\b|Floor\b|[NSEW]\b))"
)
#: A street name and suffix after a house number: "20610 Lakeview Blvd".
STREET_AFTER = re.compile(
    r"[ \t]++(?:" + _NAME_WORD + r"[ \t]++){1,3}" + _STREET_SUFFIX + _AFTER_SUFFIX
)
# A house number or "PO Box" starting a word. The class comes first, and the word start is
# checked looking back: the engine then skips to the digits and P's of a line, where a
# pattern starting with \b tried every position (a line is searched for every number in it
# that ends a clause, and this was a tenth of the extraction).
_STREET_IN_LINE = re.compile(
    r"[0-9Pp](?<![A-Za-z0-9_][0-9Pp])(?:(?<=[0-9])\d{0,5}+[ \t]++(?:"
    + _NAME_WORD
    + r"[ \t]++){1,3}"
    + _STREET_SUFFIX
    + _AFTER_SUFFIX
    + r"|(?<=[Pp])\.?[ \t]*+[Oo]\.?[ \t]*+[Bb][Oo][Xx][ \t]++\d++)",
    re.ASCII,
)
_ADDRESS_TAIL = re.compile(r"[\w .,#'\-]{0,60}$")
# A line before a number that is only one to three capitalised words and maybe a comma:
# "Springfield" on the line after "940 Birch Lane". Runs of letters, each starting with a
# capital; the line up to the number is a prefix of the longest match (see StreetLines).
_CITY_START = re.compile(r"[ \t]*+[A-Z]")
_CITY_REST = re.compile(r"[A-Za-z.'\-]*+(?:[ \t]++[A-Z][A-Za-z.'\-]*+){0,2}[ \t]*+,?[ \t]*+")
# A line that is only a house number, one to five capitalised words, a comma, and one to
# three more: "3001 N Broadway, Fresno 93701". Read the same way: the part up to the first
# capital after the comma, then the longest run of words the number may stand after.
_NUMBERED_START = re.compile(
    r"[ \t]*+\d{1,6}+[ \t]++[A-Z][\w.'\-]*+(?:[ \t]++[A-Z][\w.'\-]*+){0,4}[ \t]*+,[ \t]*+[A-Z]"
)
_NUMBERED_REST = re.compile(r"[\w.'\-]*+(?:[ \t]++[A-Z][\w.'\-]*+){0,2}[ \t]*+")
_ADDRESS_END = re.compile(r"[ \t]*(?:[\n,.;:)?!|]|$|USA\b|U\.S\.)")
_SENTENCE_BREAK = re.compile(r"[.!?][ \t]+[A-Z][a-z]")
#: What ends an address line after a zip code: the line end, a comma, a ZIP+4 extension.
LINE_END = re.compile(r"[ \t]*(?:$|\n|,|" + DASH_CLASS + r"\d{4})")


class StreetLines:
    """Street addresses in the lines of one text, looked for once per line.

    A paragraph holding several codes is searched once instead of once per code;
    a line longer than ``_LONG_LINE`` (a pasted file) is searched near each number.
    Whether a line up to a number is an address line is also read once per line:
    both patterns take every prefix of their longest match, so a number qualifies
    when it stands between the first place such a prefix may end and the last.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self._ends: dict[int, list[int]] = {}
        self._numbered: dict[int, tuple[int, int]] = {}
        self._city: dict[int, tuple[int, int]] = {}
        self._street_above: dict[int, bool] = {}

    def _street_ends(self, line_start: int, line_end: int) -> list[int]:
        ends = self._ends.get(line_start)
        if ends is None:
            found = _STREET_IN_LINE.finditer(self.text, line_start, line_end)
            ends = self._ends[line_start] = [street.end() for street in found]
        return ends

    def _prefixes(
        self,
        cache: dict[int, tuple[int, int]],
        first: re.Pattern[str],
        rest: re.Pattern[str],
        line_start: int,
    ) -> tuple[int, int]:
        """Where ``text[line_start:p]`` may end (``low <= p <= high``) to be a line ``first``
        then ``rest`` read whole; ``(1, 0)`` when no prefix of the line is one."""
        span = cache.get(line_start)
        if span is None:
            head = first.match(self.text, line_start)
            if head is None:
                span = (1, 0)
            else:
                tail = rest.match(self.text, head.end())
                span = (head.end(), tail.end() if tail is not None else head.end())
            cache[line_start] = span
        return span

    def _numbered_address(self, line_start: int, start: int) -> bool:
        """ "3001 N Broadway, Fresno " from the line start to ``start``."""
        low, high = self._prefixes(self._numbered, _NUMBERED_START, _NUMBERED_REST, line_start)
        return low <= start <= high

    def _city_line(self, line_start: int, start: int) -> bool:
        """ "Springfield " from the line start to ``start``."""
        low, high = self._prefixes(self._city, _CITY_START, _CITY_REST, line_start)
        return low <= start <= high

    def _street_on_line_above(self, line_start: int) -> bool:
        above = self._street_above.get(line_start)
        if above is None:
            text = self.text
            previous_start = text.rfind("\n", max(0, line_start - 160), line_start - 1) + 1
            found = _STREET_IN_LINE.search(text, previous_start, line_start - 1)
            above = self._street_above[line_start] = found is not None
        return above

    def after_street(self, start: int) -> bool:
        """Whether the number at ``start`` follows a street address on its line (a zip code)."""
        text = self.text
        # A zip code ends its line or clause; a code in a sentence is usually followed by words.
        if not _ADDRESS_END.match(text, start + 5):
            return False
        line_start = text.rfind("\n", max(0, start - _LONG_LINE), start) + 1
        line_end = text.find("\n", start, start + _LONG_LINE)
        if (line_end < 0 and len(text) - start >= _LONG_LINE) or line_start < start - _LONG_LINE:
            ends = [m.end() for m in _STREET_IN_LINE.finditer(text, max(0, start - 160), start)]
        else:
            ends = self._street_ends(line_start, len(text) if line_end < 0 else line_end)
        # Street ends from 60 characters before the number up to it, nearest last (most lines
        # that hold a number hold no street).
        if ends:
            first, last = bisect.bisect_left(ends, start - 60), bisect.bisect_right(ends, start)
            for end in ends[first:last]:
                tail = text[end:start]
                if _ADDRESS_TAIL.fullmatch(tail) and not _SENTENCE_BREAK.search(tail):
                    return True
        if LINE_END.match(text, start + 5) and self._numbered_address(line_start, start):
            return True  # "3001 N Broadway, Fresno 93701": no suffix, but an address line
        if line_start and self._city_line(line_start, start):
            # "Springfield 62704" on the line after "940 Birch Lane".
            return self._street_on_line_above(line_start)
        return False
