"""Field parsers shared by the CMS formats: codes, dates in their four spellings, indicators.

Each parser raises :class:`BadValue` with a reason a person can act on; the
reader turns it into a bad line with its file and line number. Dates come out
as ISO ``YYYY-MM-DD`` strings, the form both SQLite (through SQLAlchemy's Date
type) and PostgreSQL's COPY read, so the 2.5 million PTP rows never pay for a
``date`` object on the way in.
"""

from __future__ import annotations

import datetime as dt
import re

from consultant.codes.kinds import CodeSystem

# CPT: four digits and a digit or F/T/U...; HCPCS Level II: a letter and four digits.
_CODE = re.compile(r"[0-9]{4}[0-9A-Z]|[A-Z][0-9]{4}")
_MODIFIER = re.compile(r"[0-9A-Z]{2}")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_COMPACT_DATE = re.compile(r"\d{8}")
_JULIAN_DATE = re.compile(r"\d{7}")
_YEAR = re.compile(r"\d{4}")
_NUMBER_WITH_ZERO_FRACTION = re.compile(r"(\d+)\.0+")


class BadValue(ValueError):
    """A field that does not hold what its column promises."""


def looks_like_code(text: str) -> bool:
    """True for the shape of a CPT code (four digits first) or a HCPCS code (a letter first)."""
    return _CODE.fullmatch(text) is not None


def procedure_code(text: str, column: str) -> str:
    """A five-character CPT or HCPCS code, upper-cased and trimmed."""
    code = text.strip().upper()
    if not _CODE.fullmatch(code):
        raise BadValue(f"{column} {text!r} is not a CPT or HCPCS code")
    return code


def modifier_code(text: str, column: str) -> str:
    """A two-character modifier, or '' where none is given."""
    modifier = text.strip().upper()
    if modifier and not _MODIFIER.fullmatch(modifier):
        raise BadValue(f"{column} {text!r} is not a 2-character modifier")
    return modifier


def system_of(code: str) -> CodeSystem:
    """The code set a code belongs to, told by its shape (CPT categories end in F, T or U)."""
    if len(code) == 2:
        return CodeSystem.MODIFIER
    if code.isdigit():
        return CodeSystem.CPT_I
    if code[:4].isdigit():
        return {"F": CodeSystem.CPT_II, "T": CodeSystem.CPT_III, "U": CodeSystem.PLA}.get(
            code[4], CodeSystem.CPT_I
        )
    return CodeSystem.HCPCS_II


def iso_date(text: str, column: str) -> str | None:
    """``YYYY-MM-DD`` or empty (None)."""
    text = text.strip()
    if not text:
        return None
    if not _ISO_DATE.fullmatch(text):
        raise BadValue(f"{column} {text!r} is not a date YYYY-MM-DD")
    return _checked(text, column)


def compact_date(text: str, column: str) -> str | None:
    """``YYYYMMDD`` (the CMS text files) or empty (None)."""
    text = text.strip()
    if not text:
        return None
    if not _COMPACT_DATE.fullmatch(text):
        raise BadValue(f"{column} {text!r} is not a date YYYYMMDD")
    return _checked(f"{text[:4]}-{text[4:6]}-{text[6:]}", column)


def julian_date(text: str, column: str) -> str | None:
    """``YYYYDDD``, year and day of the year (the add-on files), or empty (None)."""
    text = text.strip()
    if text.endswith(".0"):  # a spreadsheet cell typed as a number
        text = text[:-2]
    if not text:
        return None
    if not _JULIAN_DATE.fullmatch(text):
        raise BadValue(f"{column} {text!r} is not a Julian date YYYYDDD")
    year, day = int(text[:4]), int(text[4:])
    if not 1 <= day <= (366 if _is_leap(year) else 365):
        raise BadValue(f"{column} {text!r}: day {day} does not exist in {year}")
    return (dt.date(year, 1, 1) + dt.timedelta(days=day - 1)).isoformat()


def year_start(text: str, column: str) -> str | None:
    """A year given alone, as an effective date: 1 January (see codes/models.py)."""
    year = _year(text, column)
    return None if year is None else f"{year}-01-01"


def year_end(text: str, column: str) -> str | None:
    """A year given alone, as a deletion date: 31 December (see codes/models.py)."""
    year = _year(text, column)
    return None if year is None else f"{year}-12-31"


def choice(text: str, column: str, allowed: tuple[int, ...]) -> int:
    """A small integer that must be one of ``allowed`` (edit type, modifier indicator, MAI)."""
    text = _without_zero_fraction(text.strip())
    if not text.isdigit() or int(text) not in allowed:
        shown = ", ".join(str(a) for a in allowed)
        raise BadValue(f"{column} {text!r} is not one of {shown}")
    return int(text)


def whole_number(text: str, column: str) -> int:
    """A non-negative integer (MUE values)."""
    text = _without_zero_fraction(text.strip())
    if not text.isdigit():
        raise BadValue(f"{column} {text!r} is not a whole number")
    return int(text)


def indicator(text: str, column: str, width: int) -> str | None:
    """A fee schedule indicator as CMS writes it ("9", "090", "ZZZ"); None when empty.

    The shared CSV was decoded through a numeric type, so "9" arrives as
    "9.0": the zero fraction is dropped to give back the published value.
    """
    text = _without_zero_fraction(text.strip())
    if not text:
        return None
    if len(text) > width:
        raise BadValue(f"{column} {text!r} is longer than {width} characters")
    return text


def optional_text(text: str) -> str | None:
    text = text.strip()
    return text or None


def _without_zero_fraction(text: str) -> str:
    match = _NUMBER_WITH_ZERO_FRACTION.fullmatch(text)
    return match.group(1) if match else text


def _year(text: str, column: str) -> int | None:
    text = _without_zero_fraction(text.strip())
    if not text:
        return None
    if not _YEAR.fullmatch(text):
        raise BadValue(f"{column} {text!r} is not a year YYYY")
    return int(text)


def _checked(iso: str, column: str) -> str:
    try:
        dt.date.fromisoformat(iso)
    except ValueError:
        raise BadValue(f"{column} {iso} is not a real date") from None
    return iso


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
