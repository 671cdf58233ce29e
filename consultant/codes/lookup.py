"""Look codes up in the loaded data releases: one query for every fact of every code.

By default each kind of fact comes from the newest release of that kind (by
effective date, then the latest imported); ``release`` names a release that
answers for its kind instead. Releases are read once per session (0.14 ms a
lookup saved on PostgreSQL): a lookup runs inside one unit of work, and a
fresh session sees a new import.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from consultant.codes import lookup_facts, lookup_queries
from consultant.codes.facts import (
    AddOnFacts,
    CodeFacts,
    DescriptorFact,
    FeeScheduleFacts,
    LookupResult,
    ReleaseRef,
)
from consultant.codes.kinds import CodeSystem, DescriptorSource, ReleaseKind, is_drug_code
from consultant.codes.lookup_facts import CodeRow
from consultant.codes.models import DataRelease
from consultant.codes.successors import likely_successor

_SHAPES = (
    (re.compile(r"\d{5}"), CodeSystem.CPT_I),
    (re.compile(r"\d{4}F"), CodeSystem.CPT_II),
    (re.compile(r"\d{4}T"), CodeSystem.CPT_III),
    (re.compile(r"\d{4}U"), CodeSystem.PLA),
    (re.compile(r"[A-Z]\d{4}"), CodeSystem.HCPCS_II),
)
_SESSION_CACHE_KEY = "consultant.codes.releases"
_r = DataRelease.__table__.c
_RELEASES = select(_r.id, _r.kind, _r.name, _r.effective_on, _r.imported_at)
_LOADED_KEY = "consultant.codes.loaded_releases"


class UnknownReleaseError(LookupError):
    """The release named for a lookup is not loaded."""


def system_of(code: str) -> str | None:
    """The code system a code belongs to by its shape, or None if it has no code's shape."""
    for pattern, system in _SHAPES:
        if pattern.fullmatch(code):
            return system.value
    return None


def normalize_codes(codes: Iterable[str]) -> list[str]:
    """Upper-cased, stripped, de-duplicated codes in the order given."""
    seen: dict[str, None] = {}
    for code in codes:
        cleaned = code.strip().upper()
        if cleaned:
            seen.setdefault(cleaned, None)
    return list(seen)


def current_releases(
    session: Session, release: str | None = None, *, on: dt.date | None = None
) -> dict[str, ReleaseRef]:
    """The release answering for each kind: the newest, or the one ``release`` names.

    ``on`` (a date of service) picks, per kind, the newest release in force that day:
    effective on or before it; a kind with none in force by then answers from its
    oldest release, the nearest the data comes.
    """
    cache: dict[tuple[str | None, dt.date | None], dict[str, ReleaseRef]] = session.info.setdefault(
        _SESSION_CACHE_KEY, {}
    )
    if (release, on) in cache:
        return cache[(release, on)]
    refs = loaded_releases(session)
    chosen: dict[str, ReleaseRef] = {}
    for ref in sorted(refs, key=lambda r: (r.effective_on or dt.date.min, r.id)):
        in_force = on is None or ref.effective_on is None or ref.effective_on <= on
        if in_force or ref.kind not in chosen:
            chosen[ref.kind] = ref  # later effective date (then later import) wins
    if release is not None:
        named = [r for r in refs if r.name == release]
        if not named:
            raise UnknownReleaseError(f"no data release named {release!r} is loaded")
        chosen[named[0].kind] = named[0]
    cache[(release, on)] = chosen
    return chosen


def loaded_releases(session: Session) -> tuple[ReleaseRef, ...]:
    """Every loaded release, read once per session (a fresh session sees a new import)."""
    loaded: tuple[ReleaseRef, ...] | None = session.info.get(_LOADED_KEY)
    if loaded is None:
        rows = session.connection().execute(_RELEASES).all()
        loaded = tuple(
            ReleaseRef(id=r[0], kind=r[1], name=r[2], effective_on=r[3], imported_at=r[4])
            for r in rows
        )
        session.info[_LOADED_KEY] = loaded
    return loaded


def releases_fingerprint(session: Session) -> frozenset[tuple[int, str, object]]:
    """What changes whenever a release is added, deleted or imported again: for caches
    of what the releases hold, checked without a query of their own."""
    return frozenset((r.id, r.name, r.imported_at) for r in loaded_releases(session))


def look_up_codes(
    session: Session,
    codes: Sequence[str],
    *,
    release: str | None = None,
    today: dt.date | None = None,
    releases: dict[str, ReleaseRef] | None = None,
) -> LookupResult:
    """Every fact the loaded releases hold on ``codes`` and the PTP edits between each pair.

    ``today`` decides which edits are in force (default: the current date). An
    edit is in force from its effective date through its deletion date.
    ``releases``: the answering releases as :func:`current_releases` gave them
    a moment ago, for a caller drafting many replies in a row (ignored when
    ``release`` names one).
    """
    today = today or dt.date.today()
    wanted = normalize_codes(codes)
    if releases is None or release is not None:
        releases = current_releases(session, release, on=today)
    if not wanted:
        return LookupResult(codes=(), pair_edits=(), past_pair_edits=())
    used: dict[int, ReleaseRef] = {}
    by_id = {r.id: r for r in releases.values()}

    def answered_by(release_id: int) -> str:
        used[release_id] = by_id[release_id]
        return by_id[release_id].name

    # One connection for every query: the session's, inside its transaction.
    connection = session.connection()
    rows = lookup_queries.fetch_fact_rows(connection, releases, wanted)
    code_rows = lookup_facts.code_rows(rows["code"], releases, answered_by)
    descriptors = lookup_facts.descriptors(rows["descriptor"], answered_by)
    add_ons = lookup_facts.add_on_facts(
        rows["addon"], releases.get(ReleaseKind.ADDON), today, answered_by
    )
    mues = lookup_facts.mues(rows["mue"], releases.get(ReleaseKind.MUE), answered_by)
    fees = lookup_facts.fee_schedule(rows["pfs"], releases.get(ReleaseKind.PFS), answered_by)
    ptp_release = releases.get(ReleaseKind.PTP)
    searched = ptp_release if len(wanted) > 1 else None
    edits = lookup_facts.ptp_edits(rows["ptp"], searched, wanted, today, answered_by)
    if searched is not None:
        answered_by(searched.id)  # "no edit between them" is an answer too

    seen = set(code_rows) | set(descriptors) | set(add_ons) | set(mues) | set(fees)
    seen |= {e.column_1 for e in edits} | {e.column_2 for e in edits}
    seen |= lookup_queries.in_ptp(connection, ptp_release, [c for c in wanted if c not in seen])

    facts = []
    for code in wanted:
        row = code_rows.get(code)
        add_on = add_ons.get(code)
        fee = fees.get(code)
        status, status_release, deleted_on = _status(row, add_on, fee, today)
        successor, published = _successor(connection, releases, code, row, descriptors)
        facts.append(
            CodeFacts(
                code=code,
                system=system_of(code),
                known=code in seen,
                status=status,
                status_release=status_release,
                deleted_on=deleted_on,
                replaced_by=row.replaced_by if row else None,
                ends_on=row.deleted_on if row else None,
                successor=successor,
                successor_published=published,
                hcpcs_action=row.action if row else None,
                descriptors=tuple(descriptors.get(code, ())),
                add_on=add_on,
                mue=mues.get(code),
                fee_schedule=fee,
            )
        )
    return LookupResult(
        codes=tuple(facts),
        pair_edits=tuple(e for e in edits if e.active),
        past_pair_edits=tuple(e for e in edits if not e.active),
        releases=tuple(sorted(used.values(), key=lambda r: (r.kind, r.name))),
        ptp_release=searched.name if searched is not None else None,
    )


def _successor(
    connection: Connection,
    releases: dict[str, ReleaseRef],
    code: str,
    row: CodeRow | None,
    descriptors: dict[str, list[DescriptorFact]],
) -> tuple[str | None, bool]:
    """What replaces an ended code, and whether a published crosswalk says so."""
    if row is None or row.deleted_on is None:
        return None, False
    if row.replaced_by:
        return row.replaced_by.split()[0], True
    hcpcs = releases.get(ReleaseKind.HCPCS)
    long_text = next(
        (d.text for d in descriptors.get(code, ()) if d.source == DescriptorSource.HCPCS_LONG),
        None,
    )
    if hcpcs is None or long_text is None or not is_drug_code(code):
        return None, False
    return likely_successor(connection, hcpcs, code, long_text, row.deleted_on), False


def _status(
    row: CodeRow | None, add_on: AddOnFacts | None, fee: FeeScheduleFacts | None, today: dt.date
) -> tuple[str | None, str | None, dt.date | None]:
    """Status letter, the release that gave it, and the deletion date when the data names one."""
    # A deletion date is the last day a code may be used.
    if row is not None and (
        (row.deleted_on is not None and row.deleted_on < today)
        or (row.action == "D" and row.deleted_on is None)
    ):
        return "D", row.release, row.deleted_on
    if add_on is not None and add_on.add_on_deleted_year is not None:
        last_day = dt.date(add_on.add_on_deleted_year, 12, 31)
        if last_day < today and (fee is None or fee.status == "D"):
            return "D", add_on.release, last_day
    if fee is not None:
        return fee.status, fee.release, None
    return None, None, None
