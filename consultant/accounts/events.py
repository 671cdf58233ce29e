"""An account's history: the one place its events are written (DESIGN section 3, step 7).

Append-only rows tagged ``account:<object>:<what happened>`` (after PyPI's
event tags), holding ids only, never mail text: who asked, what was drafted,
and, as review and sending arrive, who viewed, approved or sent what, when.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import Table, insert
from sqlalchemy.engine import Connection

from consultant.accounts.models import AccountEvent

ACCOUNT_CREATED = "account:account:created"
CONSULTATION_CREATED = "account:consultation:created"
CONSULTATION_FOLLOW_UP = "account:consultation:follow_up"
DRAFT_CREATED = "account:draft:created"
DRAFT_APPROVED = "account:draft:approved"
DRAFT_REJECTED = "account:draft:rejected"

_EVENTS = AccountEvent.__table__
assert isinstance(_EVENTS, Table)
_APPEND = insert(_EVENTS)


def append_events(
    connection: Connection,
    account_id: int,
    events: Sequence[tuple[str, Mapping[str, int]]],
    *,
    consultation_id: int | None = None,
) -> None:
    """Append ``(tag, ids)`` events to the account's history, in one statement."""
    connection.execute(
        _APPEND,
        [
            {
                "account_id": account_id,
                "tag": tag,
                "consultation_id": consultation_id,
                "additional": dict(ids),
            }
            for tag, ids in events
        ],
    )
