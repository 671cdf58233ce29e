"""The likely successor of an ended HCPCS drug code: the same drug at another dose.

CMS ends a drug code and adds one for the same drug on the next day, often at a
finer dose ("naloxone hydrochloride, per 1 mg" ended 2025-06-30; "naloxone
hydrochloride, not otherwise specified, 0.01 mg" added 2025-07-01). The HCPCS
file names no successor for most of them, so this matches descriptions: a code
of the same release whose description, without its dose and without "not
otherwise specified", is the ended code's, added around the day the old code
ended. A reply always calls it *likely*: only the HCPCS cross-reference column
(``replaced_by``) is a published crosswalk.
"""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select
from sqlalchemy.engine import Connection

from consultant.codes.facts import ReleaseRef
from consultant.codes.kinds import DescriptorSource
from consultant.codes.models import Code, Descriptor

# The trailing dose of a drug description: ", per 1 mg", ", up to 20 mg", ", 0.1 mg".
_DOSE_TAIL = re.compile(r",\s*(?:per\s+|up\s+to\s+)?[\d.,]+\s*[a-z]*\s*\Z", re.IGNORECASE)
_NOT_SPECIFIED = re.compile(r",\s*not otherwise specified\b", re.IGNORECASE)
#: A successor is added at most this long before the old code's last day (CMS announces
#: a quarter ahead, and some new codes overlap the old one for a quarter) or after it.
_OVERLAP = dt.timedelta(days=92)
_GAP = dt.timedelta(days=1)


def drug_stem(description: str) -> str:
    """A drug description without its dose or "not otherwise specified", lower-cased."""
    stem = _DOSE_TAIL.sub("", description.strip())
    return " ".join(_NOT_SPECIFIED.sub("", stem).lower().split())


def likely_successor(
    connection: Connection,
    release: ReleaseRef,
    code: str,
    description: str,
    ended_on: dt.date,
) -> str | None:
    """The code of ``release`` most likely to replace ``code`` after ``ended_on``, or None.

    None when no code, or more than one, fits: naming one of several would be a guess.
    """
    stem = drug_stem(description)
    if not stem or "(" in stem:
        return None  # a brand-specific code has no generic successor to name
    c, d = Code.__table__.c, Descriptor.__table__.c
    rows = connection.execute(
        select(c.code, d.text)
        .join(
            Descriptor.__table__,
            (d.code == c.code)
            & (d.release_id == c.release_id)
            & (d.source == DescriptorSource.HCPCS_LONG.value),
        )
        .where(
            c.release_id == release.id,
            c.code.like(f"{code[0]}%"),
            c.code != code,
            c.added_on.between(ended_on - _OVERLAP, ended_on + _GAP),
        )
    ).all()
    fits = sorted({str(other) for other, text in rows if drug_stem(str(text)) == stem})
    return fits[0] if len(fits) == 1 else None
