"""Mail held for staff (unknown sender, no new text, too complex), for the review queue's
"held" tab until the operations pages exist: the ledger's ids, dispositions and the deciding
rule's reason (rules word their reasons without mail content)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from consultant.clock import as_utc
from consultant.inbound.models import InboundMessage
from consultant.inbound.states import HELD_DISPOSITIONS, InboundStatus

#: Held rows shown at once (newest first); `consultant inbound list --held` has them all.
SHOWN = 200


@dataclass(frozen=True)
class HeldMail:
    id: int
    disposition: str
    reason: str
    fetched_at: dt.datetime | None


def _held() -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    return (
        InboundMessage.status == InboundStatus.DONE,
        InboundMessage.disposition.in_(HELD_DISPOSITIONS),
    )


def held_count(session: Session) -> int:
    """How many messages wait for staff."""
    return session.scalar(select(func.count(InboundMessage.id)).where(*_held())) or 0


def held_mail(session: Session) -> list[HeldMail]:
    """The held messages, newest first."""
    rows = session.execute(
        select(
            InboundMessage.id,
            InboundMessage.disposition,
            InboundMessage.rule_hits,
            InboundMessage.fetched_at,
        )
        .where(*_held())
        .order_by(InboundMessage.id.desc())
        .limit(SHOWN)
    )
    return [
        HeldMail(
            id=row_id,
            disposition=str(disposition),
            reason=str(hits[0].get("reason", "")) if hits and isinstance(hits[0], dict) else "",
            fetched_at=as_utc(fetched) if fetched else None,
        )
        for row_id, disposition, hits, fetched in rows
    ]
