"""Whether the data releases that answered a question cover its date of service.

CMS publishes the NCCI edits, the MUEs, the add-on edits, the fee schedule
indicators and the HCPCS file every quarter. A release answers for the quarter
that starts on its effective date; when the date of service falls after that
quarter and no newer release is loaded, a newer quarter may change the answer,
and the reply says so. (A loaded newer release in force on that date would have
answered instead: :func:`consultant.codes.lookup.current_releases`.)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from consultant.codes.facts import ReleaseRef
from consultant.codes.kinds import ReleaseKind

#: Months a release of each kind answers for; kinds not named (notes, CPT, summaries)
#: carry their own dates or change once a year.
_QUARTERLY = 3
_PERIOD_MONTHS = {
    ReleaseKind.PTP: _QUARTERLY,
    ReleaseKind.MUE: _QUARTERLY,
    ReleaseKind.ADDON: _QUARTERLY,
    ReleaseKind.PFS: _QUARTERLY,
    ReleaseKind.HCPCS: _QUARTERLY,
    ReleaseKind.CPT: 12,
}


def _months_later(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    return dt.date(day.year + month // 12, month % 12 + 1, 1)


def release_warnings(releases: Iterable[ReleaseRef], on: dt.date) -> list[dict[str, Any]]:
    """One warning per release whose period ``on`` falls outside: after it, or before it."""
    warnings = []
    for release in releases:
        months = _PERIOD_MONTHS.get(ReleaseKind(release.kind))
        if months is None or release.effective_on is None:
            continue
        start = release.effective_on
        ends = _months_later(start.replace(day=1), months) - dt.timedelta(days=1)
        if on > ends:
            when = "after"
        elif on < start and release.kind != ReleaseKind.HCPCS:
            # The HCPCS file carries every code's own added and ended dates, which answer
            # for earlier days; the other kinds hold one quarter's edits.
            when = "before"
        else:
            continue
        warnings.append(
            {
                "release": release.name,
                "kind": release.kind,
                "effective_on": start.isoformat(),
                "covers_through": ends.isoformat(),
                "when": when,
            }
        )
    return warnings
