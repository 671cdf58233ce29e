"""Code mentions in a coding question: procedure and supply codes, modifiers, units, ranges, ICD-10.

``extract(text)`` is the one entry point; see :mod:`consultant.extraction.extractor`
for how a code-shaped number is told from a zip code, a claim number or a dose.
"""

from consultant.extraction.extractor import KnownCodes, extract
from consultant.extraction.mentions import (
    CodeMention,
    CodeRange,
    Extraction,
    Icd10Mention,
    SetAside,
    Span,
)

__all__ = [
    "CodeMention",
    "CodeRange",
    "Extraction",
    "Icd10Mention",
    "KnownCodes",
    "SetAside",
    "Span",
    "extract",
]
