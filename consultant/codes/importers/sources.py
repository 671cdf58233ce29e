"""Open a data file as CMS ships it: plain text, gzip, zip (one or several parts) or xlsx.

Everything streams: text a line at a time, spreadsheets through openpyxl's
read-only mode, so memory stays flat whatever the file's size. The position
in the file on disk (compressed bytes) drives the progress bar.
"""

from __future__ import annotations

import codecs
import contextlib
import gzip
import hashlib
import io
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, NamedTuple, cast

import openpyxl

_XLSX_SUFFIXES = (".xlsx", ".xlsm")


class TextPart(NamedTuple):
    """One text file, or one member of a zip: its name for messages and its lines."""

    where: str
    lines: Iterator[str]


def file_sha256(path: Path) -> str:
    """SHA-256 of the bytes on disk: the same download twice is the same release."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _cp1252_fallback(error: UnicodeError) -> tuple[str, int]:
    """Read bytes that are not UTF-8 as Windows-1252, the encoding of older CMS text files."""
    assert isinstance(error, UnicodeDecodeError)
    return error.object[error.start : error.end].decode("cp1252", errors="replace"), error.end


codecs.register_error("consultant-cp1252", _cp1252_fallback)


class Source:
    """A file to import; knows how far through it the reading is."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.total_bytes = max(path.stat().st_size, 1)
        self._raw: IO[bytes] | None = None
        self._sheet_fraction: float | None = None

    @property
    def is_spreadsheet(self) -> bool:
        return self.path.suffix.lower() in _XLSX_SUFFIXES

    @property
    def is_zip(self) -> bool:
        return self.path.suffix.lower() == ".zip"

    def position(self) -> int:
        """Bytes of the file on disk read so far (an estimate for spreadsheets)."""
        if self._sheet_fraction is not None:
            return int(self.total_bytes * self._sheet_fraction)
        if self._raw is None or self._raw.closed:
            return 0
        return self._raw.tell()

    def text_parts(self, member: re.Pattern[str]) -> Iterator[TextPart]:
        """The file's text: itself, its gunzipped content, or each zip member ``member`` matches."""
        with self.path.open("rb") as raw:
            self._raw = raw
            if self.is_zip:
                yield from self._zip_parts(raw, member)
            elif self.path.suffix.lower() == ".gz":
                with gzip.GzipFile(fileobj=raw) as unzipped:
                    yield TextPart(str(self.path), _lines(cast(IO[bytes], unzipped)))
            else:
                yield TextPart(str(self.path), _lines(raw))

    def _zip_parts(self, raw: IO[bytes], member: re.Pattern[str]) -> Iterator[TextPart]:
        with zipfile.ZipFile(raw) as archive:
            names = sorted(n for n in archive.namelist() if member.search(n.lower()))
            if not names:
                listed = ", ".join(archive.namelist()) or "nothing"
                raise FileNotFoundError(f"{self.path}: no member of the expected form in {listed}")
            for name in names:
                with archive.open(name) as part:
                    yield TextPart(f"{self.path}!{name}", _lines(part))

    def sheet_rows(self) -> Iterator[tuple[int, tuple[str, ...]]]:
        """Rows of the first worksheet as text cells, with their row numbers."""
        workbook = openpyxl.load_workbook(self.path, read_only=True, data_only=True)
        try:
            sheet = workbook.worksheets[0]
            last_row = max(sheet.max_row or 1, 1)
            self._sheet_fraction = 0.0
            for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
                self._sheet_fraction = min(number / last_row, 1.0)
                yield number, tuple(_cell_text(value) for value in row)
        finally:
            workbook.close()

    def first_text(self, member: re.Pattern[str], max_lines: int = 12) -> list[str]:
        """The first lines (or header row) of the file, to tell its kind and form."""
        if self.is_spreadsheet:
            head: list[str] = []
            for _number, cells in self.sheet_rows():
                head.append(",".join(cells))
                if len(head) >= max_lines:
                    break
            return head
        head = []
        for part in self.text_parts(member):
            for line in part.lines:
                head.append(line)
                if len(head) >= max_lines:
                    return head
            break
        return head


def _lines(handle: IO[bytes]) -> Iterator[str]:
    """Lines without their ends; UTF-8 (a BOM dropped), falling back to Windows-1252 per byte."""
    text = io.TextIOWrapper(handle, encoding="utf-8-sig", errors="consultant-cp1252")
    try:
        for line in text:
            yield line.rstrip("\r\n")
    finally:
        # The caller owns the binary handle and closes it (it may be closed already).
        with contextlib.suppress(ValueError):
            text.detach()


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
