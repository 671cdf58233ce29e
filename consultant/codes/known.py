"""The set of every code the code knowledge holds, for the extractor's confidence.

Loaded with one query and kept per database until a release is added or
removed, so a worker drafting many replies pays for it once: with the full CMS
data, 54 ms uncached against 0.4 ms to check the cache on PostgreSQL (38 ms
against 0.2 ms on SQLite), where a whole draft takes a few milliseconds. The NCCI PTP
table is left out on purpose: reading its 2.5 million rows costs seconds (on
SQLite, every ``consultant extract`` would pay them), and the only codes it
adds are about 1,800 deleted long ago, which the MUE, fee schedule, add-on and
HCPCS releases no longer carry.
"""

from __future__ import annotations

import threading

import sqlalchemy as sa
from sqlalchemy.orm import Session

from consultant.codes.lookup import releases_fingerprint
from consultant.codes.models import (
    AddOnEdit,
    Code,
    Descriptor,
    FeeScheduleIndicator,
    MedicallyUnlikelyEdit,
)

_CODE_COLUMNS = (
    Code.code,
    Descriptor.code,
    AddOnEdit.add_on_code,
    AddOnEdit.primary_code,
    MedicallyUnlikelyEdit.code,
    FeeScheduleIndicator.code,
)

Fingerprint = frozenset[tuple[int, str, object]]
_lock = threading.Lock()
_cache: dict[str, tuple[Fingerprint, frozenset[str]]] = {}


def known_code_set(session: Session) -> frozenset[str]:
    """Every code in the code knowledge (upper case); empty when none is loaded.

    Reads codes, descriptors, add-on edits, MUEs and fee schedule indicators
    (not the PTP pairs: see the module note).
    """
    bind = session.get_bind()
    key = bind.engine.url.render_as_string(hide_password=False)
    # Releases are only ever added or deleted whole, so the set of codes changes only
    # with the set of releases; reading that set is a query the lookup makes anyway.
    fingerprint = releases_fingerprint(session)
    with _lock:
        cached = _cache.get(key)
        if cached is not None and cached[0] == fingerprint:
            return cached[1]
    codes: set[str] = set()
    if fingerprint:
        query = sa.union(*(sa.select(column).distinct() for column in _CODE_COLUMNS))
        for (code,) in session.execute(query):
            if code:
                codes.add(code.strip().upper())
    known = frozenset(codes)
    with _lock:
        _cache[key] = (fingerprint, known)
    return known
