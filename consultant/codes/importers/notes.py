"""The curated coding notes: a CSV a coding expert reviews line by line.

Columns ``id,kind,codes,effective_from,effective_to,text,source,url``: a
stable id, what sort of note it is, the codes it applies to (see
:mod:`consultant.codes.note_terms`), the first and last dates of service it
holds for (the last may be empty: still in force), the note in the project's
own words, the public source it rests on, and that source's address where
known. Every line must be whole: a note without its source or its dates would
be advice nobody can check, so it stops the import with its line and reason.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator

from consultant.codes.importers.records import CODING_NOTES, BadLine, Fact, ReadItem
from consultant.codes.importers.sources import Source
from consultant.codes.importers.tabular import KeySet, header_mismatch
from consultant.codes.importers.values import BadValue, iso_date
from consultant.codes.note_terms import BadNoteTerm, parse_terms, written_terms

ZIP_MEMBERS = re.compile(r"\.csv$")
NOTES_HEADER = ["id", "kind", "codes", "effective_from", "effective_to", "text", "source", "url"]
#: What a note is about; the reply does not depend on it, a reviewer sorts by it.
NOTE_KINDS = frozenset({"modifier", "bundling", "payment_limit", "add_on", "billing"})
#: A few sentences, not a policy chapter: a longer note belongs in its source.
MAX_TEXT_CHARS = 700
_NOTE_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")


def read_notes(source: Source) -> Iterator[ReadItem]:
    """One fact per note; a line that is not a whole note is a BadLine saying why."""
    ids = KeySet("note id")
    for part in source.text_parts(ZIP_MEMBERS):
        reader = csv.reader(part.lines)
        found = next(reader, [])
        if [name.strip().lower() for name in found] != NOTES_HEADER:
            yield BadLine(part.where, 1, header_mismatch(NOTES_HEADER, found), fatal=True)
            return
        for fields in reader:
            if not any(field.strip() for field in fields):
                continue
            try:
                values = note_values(fields)
                ids.claim(values[0])
                yield Fact(CODING_NOTES, values)
            except BadValue as exc:
                yield BadLine(part.where, reader.line_num, str(exc))


def note_values(fields: list[str]) -> tuple[object, ...]:
    """A note's values in ``CODING_NOTES`` order, or BadValue naming the note and the problem."""
    if len(fields) != len(NOTES_HEADER):
        raise BadValue(f"expected {len(NOTES_HEADER)} columns, found {len(fields)}")
    note_id, kind, codes, start, end, text, citation, url = (f.strip() for f in fields)
    if not _NOTE_ID.fullmatch(note_id):
        raise BadValue(f"id {note_id!r} must be lower-case letters, digits and dashes")
    where = f"note {note_id}:"
    if kind not in NOTE_KINDS:
        raise BadValue(f"{where} kind {kind!r} is not one of {', '.join(sorted(NOTE_KINDS))}")
    try:
        terms = parse_terms(codes)
    except BadNoteTerm as exc:
        raise BadValue(f"{where} codes: {exc}") from None
    try:
        effective_from = iso_date(start, "effective_from")
        effective_to = iso_date(end, "effective_to")
    except BadValue as exc:
        raise BadValue(f"{where} {exc}") from None
    if effective_from is None:
        raise BadValue(f"{where} effective_from is empty: give the first date it holds for")
    if effective_to is not None and effective_to < effective_from:
        raise BadValue(f"{where} effective_to {effective_to} is before {effective_from}")
    if not text:
        raise BadValue(f"{where} text is empty")
    if len(text) > MAX_TEXT_CHARS:
        raise BadValue(f"{where} text has {len(text)} characters, over {MAX_TEXT_CHARS}")
    if not citation:
        raise BadValue(f"{where} source is empty: every note cites its public source")
    if url and not url.startswith("https://"):
        raise BadValue(f"{where} url {url!r} must start with https://")
    return (
        note_id,
        kind,
        written_terms(terms),
        effective_from,
        effective_to,
        text,
        citation,
        url or None,
    )
