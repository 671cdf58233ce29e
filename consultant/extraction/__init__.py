"""Code mentions in a coding question: procedure and supply codes, modifiers, units, ranges,
doses, ICD-10, and the date of service.

``extract(text)`` is the one entry point; see :mod:`consultant.extraction.extractor`
for how a code-shaped number is told from a zip code, a claim number or a dose.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from consultant.extraction.mentions import (
    CodeMention,
    CodeRange,
    Dose,
    Extraction,
    Icd10Mention,
    SetAside,
    Span,
)

if TYPE_CHECKING:
    from consultant.extraction.extractor import KnownCodes, extract


def __getattr__(name: str) -> Any:
    # The extractor compiles its patterns at import (40 ms): loaded on first use, so
    # that importing `consultant.extraction.commands` for `consultant --help` is free.
    if name in ("KnownCodes", "extract"):
        from consultant.extraction import extractor

        return getattr(extractor, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "CodeMention",
    "CodeRange",
    "Dose",
    "Extraction",
    "Icd10Mention",
    "KnownCodes",
    "SetAside",
    "Span",
    "extract",
]
