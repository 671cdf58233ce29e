"""Open a data file as CMS ships it: plain text, gzip, zip (one or several parts) or xlsx.

Everything streams: text a line at a time, spreadsheets through openpyxl's
read-only mode, so memory stays flat whatever the file's size. The position
in the file on disk (compressed bytes) drives the progress bar.

A file that cannot be read as what its name says (a truncated download, a
text file named .xlsx, a damaged zip) raises :class:`UnreadableFileError`
naming the file and what is wrong, wherever in the reading that shows.
"""

from __future__ import annotations

import codecs
import contextlib
import gzip
import hashlib
import io
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, NamedTuple, cast

import openpyxl

from consultant.codes.importers.records import UnreadableFileError

_XLSX_SUFFIXES = (".xlsx", ".xlsm")
#: Errors of decompressing or unpacking, as the gzip and zip modules raise them.
_CONTAINER_ERRORS = (EOFError, gzip.BadGzipFile, zlib.error, zipfile.BadZipFile, OSError)


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
        try:
            raw = self.path.open("rb")
        except OSError as exc:
            raise UnreadableFileError(self.path, os_reason(exc)) from None
        with raw:
            self._raw = raw
            where = str(self.path)
            if self.is_zip:
                yield from self._zip_parts(raw, member)
            elif self.path.suffix.lower() == ".gz":
                with gzip.GzipFile(fileobj=raw) as unzipped:
                    yield TextPart(where, _lines(cast(IO[bytes], unzipped), where, _gzip_reason))
            else:
                yield TextPart(where, _lines(raw, where, _plain_reason))

    def _zip_parts(self, raw: IO[bytes], member: re.Pattern[str]) -> Iterator[TextPart]:
        try:
            archive = zipfile.ZipFile(raw)
        except _CONTAINER_ERRORS as exc:
            raise UnreadableFileError(self.path, _zip_reason(exc)) from None
        with archive:
            names = sorted(n for n in archive.namelist() if member.search(n.lower()))
            if not names:
                listed = ", ".join(archive.namelist()) or "nothing"
                raise UnreadableFileError(
                    self.path, f"no member of the expected form ({member.pattern}) in {listed}"
                )
            for name in names:
                where = f"{self.path}!{name}"
                try:
                    part = archive.open(name)
                except _CONTAINER_ERRORS as exc:
                    raise UnreadableFileError(where, _zip_reason(exc)) from None
                with part:
                    yield TextPart(where, _lines(part, where, _zip_reason))

    def sheet_rows(self) -> Iterator[tuple[int, tuple[str, ...]]]:
        """Rows of the first worksheet as text cells, with their row numbers."""
        try:
            workbook = openpyxl.load_workbook(self.path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl's many ways to fail on a file that is no workbook
            raise UnreadableFileError(self.path, _xlsx_reason(exc)) from None
        try:
            if not workbook.worksheets:
                raise UnreadableFileError(self.path, "the workbook has no worksheet")
            sheet = workbook.worksheets[0]
            last_row = max(sheet.max_row or 1, 1)
            self._sheet_fraction = 0.0
            rows = sheet.iter_rows(values_only=True)
            number = 0
            while True:
                try:
                    row = next(rows, None)
                except Exception as exc:  # a damaged sheet shows only as it is read
                    raise UnreadableFileError(self.path, _xlsx_reason(exc)) from None
                if row is None:
                    break
                number += 1
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


def _lines(handle: IO[bytes], where: str, reason: Callable[[BaseException], str]) -> Iterator[str]:
    """Lines without their ends; UTF-8 (a BOM dropped), falling back to Windows-1252 per byte.

    An error of reading (a truncated or damaged container) becomes :class:`UnreadableFileError`
    for ``where``, worded by ``reason``.
    """
    text = io.TextIOWrapper(handle, encoding="utf-8-sig", errors="consultant-cp1252")
    lines = iter(text)
    try:
        while True:
            try:
                line = next(lines, None)
            except _CONTAINER_ERRORS as exc:
                raise UnreadableFileError(where, reason(exc)) from None
            if line is None:
                return
            yield line.rstrip("\r\n")
    finally:
        # The caller owns the binary handle and closes it (it may be closed already).
        with contextlib.suppress(ValueError):
            text.detach()


def os_reason(exc: OSError) -> str:
    """What an operating-system error says of a file, without repeating its name."""
    if isinstance(exc, FileNotFoundError):
        return "no such file"
    if isinstance(exc, IsADirectoryError):
        return "is a folder, not a file"
    if isinstance(exc, PermissionError):
        return "permission denied"
    return f"cannot be read ({exc.strerror or type(exc).__name__})"


def _gzip_reason(exc: BaseException) -> str:
    if isinstance(exc, EOFError):
        return "the gzip file ends early (truncated download?)"
    if isinstance(exc, gzip.BadGzipFile):
        return "not a gzip file, though its name ends in .gz"
    if isinstance(exc, zlib.error):
        return "the gzip file is damaged (its compressed data does not decompress)"
    return _plain_reason(exc)


def _zip_reason(exc: BaseException) -> str:
    if isinstance(exc, EOFError):
        return "the zip file ends early (truncated download?)"
    if isinstance(exc, zipfile.BadZipFile) and "not a zip file" in str(exc):
        return "not a zip file, or a truncated one (truncated download?)"
    if isinstance(exc, zipfile.BadZipFile | zlib.error):
        return f"the zip file is damaged ({str(exc).rstrip('.')})"
    return _plain_reason(exc)


def _plain_reason(exc: BaseException) -> str:
    if isinstance(exc, OSError):
        return os_reason(exc)
    return f"cannot be read ({type(exc).__name__})"


def _xlsx_reason(exc: BaseException) -> str:
    if isinstance(exc, zipfile.BadZipFile):
        return "not an xlsx workbook (a text file named .xlsx, or a truncated download?)"
    if isinstance(exc, KeyError):
        return "not an xlsx workbook (a zip file without a workbook's parts)"
    if isinstance(exc, EOFError | zlib.error):
        return "the xlsx workbook is damaged (truncated download?)"
    if isinstance(exc, OSError):
        return os_reason(exc)
    return f"not a readable xlsx workbook ({type(exc).__name__})"


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
