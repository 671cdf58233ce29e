"""A code-shaped token while the extractor weighs it, and where a question's signature starts."""

from __future__ import annotations

from dataclasses import dataclass, field

from consultant.extraction.attachments import Attachments
from consultant.extraction.lookalikes import LookAlike
from consultant.extraction.mentions import Span

_SIGNATURE_TAIL = 1500
_SIGNATURE_LINES = 8
_SIGN_OFFS = (
    "--", "—", "__", "thanks", "thank you", "regards", "best", "sincerely", "cheers",
    "respectfully", "sent from", "kind regards", "warm regards", "many thanks", "thx",
)  # fmt: skip


@dataclass(slots=True)
class Candidate:
    """A code-shaped token, what is written onto it, and the evidence for and against it."""

    code: str
    written: str
    system: str
    span: Span
    attachments: Attachments
    reasons: list[str] = field(default_factory=list)
    against: LookAlike | None = None
    known: bool | None = None
    add_on_mark: bool = False
    range_end: int | None = None  # index of the candidate that closes a range from this one
    taken: bool = False
    short_end: bool = False  # the "05" of "99202-05": stands or falls with its range's start
    units_before: int | None = None  # "2 units of 96372": a count written before the code

    @property
    def units(self) -> int | None:
        """The count written after the code, else the one written before it."""
        after = self.attachments.units
        return after if after is not None else self.units_before

    @property
    def has_evidence(self) -> bool:
        """Evidence strong enough to overrule a weak look-alike reason."""
        return len(self.reasons) > self.reasons.count("code context")


def signature_start(text: str) -> int:
    """Where the signature starts: after a short closing line ("Thanks,", "Regards", "--")
    followed only by a few short lines without a question; ``len(text)`` when there is none."""
    tail_start = max(0, len(text) - _SIGNATURE_TAIL)
    line_end = len(text)
    lines_after = 0
    while line_end > tail_start and lines_after <= _SIGNATURE_LINES:
        line_start = text.rfind("\n", tail_start, line_end) + 1
        line = text[line_start:line_end].strip().lower()
        if "?" in line or len(line) > 80:
            break  # a question or a paragraph: this is still the message
        if line and len(line) <= 30 and line.startswith(_SIGN_OFFS):
            return line_end  # the closing line itself ("Thanks, Maria") is no signature
        lines_after += 1
        if line_start <= tail_start:
            break
        line_end = line_start - 1
    return len(text)
