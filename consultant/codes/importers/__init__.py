"""Importers of code data: CMS files as published and as shared, licensed CPT, our summaries.

``import_file`` is the one entry point; each format has a small reader module,
``detection`` tells a file's kind and release, ``loader`` writes a release in
one transaction.
"""

from consultant.codes.importers.loader import import_file
from consultant.codes.importers.records import (
    ImportFileError,
    ImportResult,
    ReleaseConflictError,
    UnreadableFileError,
)

__all__ = [
    "ImportFileError",
    "ImportResult",
    "ReleaseConflictError",
    "UnreadableFileError",
    "import_file",
]
