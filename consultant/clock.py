"""The one clock of the domain: now in UTC, and stored instants read back as UTC.

SQLite keeps a timezone-aware value without its zone and gives it back naive;
every instant the service stores is UTC, so a naive one read back is UTC too.
"""

from __future__ import annotations

import datetime as dt


def utc_now() -> dt.datetime:
    """Now, in UTC."""
    return dt.datetime.now(dt.UTC)


def as_utc(moment: dt.datetime) -> dt.datetime:
    """``moment`` as an aware UTC instant (SQLite returns stored instants without their zone)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)
