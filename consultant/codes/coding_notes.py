"""The coding notes in force for a question: its codes, the modifiers written on them, its date.

Notes come from the newest notes release (or the one ``release`` names) and
are quoted in the order of the notes file. A note is in force from its
``effective_from`` through its ``effective_to`` (its last day). The notes of a
release are read once per process and release (a release is never changed in
place; one imported again is told apart by its import time).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from consultant.codes.facts import ReleaseRef
from consultant.codes.kinds import ReleaseKind
from consultant.codes.lookup import current_releases, normalize_codes
from consultant.codes.lookup_facts import in_force
from consultant.codes.models import CodingNote
from consultant.codes.note_terms import Term, note_matches, parse_terms

_CACHED_RELEASES = 64
_lock = threading.Lock()
_cache: dict[tuple[str, int, str, object], list[_StoredNote]] = {}


@dataclass(frozen=True, slots=True)
class NoteFact:
    """One coding note that matches a question, with its source and the release it came from."""

    note_id: str
    kind: str
    codes: tuple[str, ...]
    effective_from: dt.date
    effective_to: dt.date | None
    text: str
    citation: str
    url: str | None
    release: str

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.note_id,
            "kind": self.kind,
            "codes": list(self.codes),
            "effective_from": self.effective_from.isoformat(),
            "effective_to": self.effective_to.isoformat() if self.effective_to else None,
            "text": self.text,
            "citation": self.citation,
            "url": self.url,
            "release": self.release,
        }


@dataclass(frozen=True, slots=True)
class _StoredNote:
    fact: NoteFact
    terms: tuple[Term, ...]


def notes_in_force(
    session: Session,
    codes: Sequence[str],
    modifiers: Collection[str] = (),
    *,
    on: dt.date,
    edits: Collection[tuple[str, str]] = (),
    release: str | None = None,
    releases: dict[str, ReleaseRef] | None = None,
) -> list[NoteFact]:
    """Every note of the answering notes release that matches ``codes`` and ``modifiers``
    and is in force on ``on`` (the date of service), in the notes file's order.

    ``edits``: (column 1, column 2) of the PTP edits in force between ``codes``, for
    notes about an edit (``*>99202-99499``).
    ``releases``: the answering releases as :func:`current_releases` gave them a moment
    ago (ignored when ``release`` names one).
    """
    if releases is None or release is not None:
        releases = current_releases(session, release)
    notes_release = releases.get(ReleaseKind.NOTES)
    if notes_release is None:
        return []
    wanted = normalize_codes(codes)
    written_modifiers = {m.strip().upper() for m in modifiers}
    return [
        note.fact
        for note in _stored_notes(session, notes_release)
        if in_force(note.fact.effective_from, note.fact.effective_to, on)
        and note_matches(note.terms, wanted, written_modifiers, edits)
    ]


def _stored_notes(session: Session, release: ReleaseRef) -> list[_StoredNote]:
    # Kept per process: reading and parsing a release's notes cost 0.7 ms, a quarter of a
    # whole draft on SQLite. A release is never changed in place, and one deleted and
    # imported again has a new import time, so the key tells them apart.
    url = session.get_bind().engine.url.render_as_string(hide_password=False)
    key = (url, release.id, release.name, release.imported_at)
    with _lock:
        cached = _cache.get(key)
    if cached is not None:
        return cached
    rows = session.execute(
        select(
            CodingNote.note_id,
            CodingNote.kind,
            CodingNote.codes,
            CodingNote.effective_from,
            CodingNote.effective_to,
            CodingNote.text,
            CodingNote.citation,
            CodingNote.citation_url,
        )
        .where(CodingNote.release_id == release.id)
        .order_by(CodingNote.id)
    ).all()
    notes = []
    for note_id, kind, codes, start, end, text, citation, url in rows:
        # Checked when imported; parsed again here, where a reply depends on it.
        terms = parse_terms(codes)
        fact = NoteFact(
            note_id, kind, tuple(codes.split()), start, end, text, citation, url, release.name
        )
        notes.append(_StoredNote(fact, terms))
    with _lock:
        if len(_cache) >= _CACHED_RELEASES:
            _cache.clear()  # a process that sees this many notes releases is a test run
        _cache[key] = notes
    return notes
