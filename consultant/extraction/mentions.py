"""What the extractor returns: code mentions, ranges, diagnoses, and what it set aside."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

#: A half-open character span ``(start, end)`` in the text given to :func:`extract`.
Span = tuple[int, int]


class Dose(NamedTuple):
    """A dose written in the text: ``amount`` of ``unit`` ("mg", "mcg", "g", "mL", "IU", ...)."""

    amount: Decimal
    unit: str
    span: Span


@dataclass(slots=True)
class CodeMention:
    """One distinct procedure or supply code named in the text, with what was written onto it.

    ``span`` is the first mention; ``spans`` holds every mention. ``units`` is the
    count written after the code (``x2``), or else before it (``2 units of``);
    when repeats disagree it is ``None`` and ``units_written`` keeps every value
    seen. ``known`` is ``None`` when no
    code knowledge was given, else whether the knowledge holds the code.
    """

    code: str
    system: str
    span: Span
    modifiers: list[str] = field(default_factory=list)
    units: int | None = None
    add_on_mark: bool = False
    reasons: list[str] = field(default_factory=list)
    known: bool | None = None
    spans: list[Span] = field(default_factory=list)
    units_written: list[int] = field(default_factory=list)
    #: For a drug code, the dose written in a sentence that names it ("J1885 60 mg").
    dose: Dose | None = None


# Named tuples rather than frozen dataclasses: the extractor makes many, and a frozen
# dataclass pays for object.__setattr__ on every field.
class CodeRange(NamedTuple):
    """A written range such as ``99202-99205``: its two ends, never expanded."""

    start: str
    end: str
    span: Span


class Icd10Mention(NamedTuple):
    """An ICD-10-CM diagnosis code: ``code`` in its dotted form, ``written`` as typed."""

    code: str
    span: Span
    written: str


class SetAside(NamedTuple):
    """A code-shaped token the extractor did not take, and why (a zip code, a claim number...)."""

    text: str
    span: Span
    reason: str


@dataclass
class Extraction:
    """Everything :func:`consultant.extraction.extract` found in one text."""

    codes: list[CodeMention] = field(default_factory=list)
    ranges: list[CodeRange] = field(default_factory=list)
    icd10: list[Icd10Mention] = field(default_factory=list)
    set_aside: list[SetAside] = field(default_factory=list)
    #: Every dose written, whether or not a drug code took it; read only when the text
    #: names a drug code (without one, no code can take a dose).
    doses: list[Dose] = field(default_factory=list)
    #: The date of service the question names ("DOS 02/18/2025", "seen yesterday"), if any.
    date_of_service: dt.date | None = None

    def code(self, code: str) -> CodeMention | None:
        """The mention of ``code`` (any case), or ``None`` when the text does not name it."""
        wanted = code.upper()
        return next((mention for mention in self.codes if mention.code == wanted), None)

    @property
    def code_strings(self) -> list[str]:
        """The codes found, in text order."""
        return [mention.code for mention in self.codes]
