"""The reviewers' queue: one page of drafts with what a reviewer needs to pick one.

Oldest first, filtered by status, code, reviewer and kind, with the counts per
status. Every page costs a fixed number of queries whatever the queue's length:
the page of drafts, the counts, and one query each for the page's claims,
rule hits and send states.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consultant.accounts.staff import StaffUser
from consultant.clock import as_utc, utc_now
from consultant.consultations.models import Draft
from consultant.consultations.states import DraftStatus
from consultant.inbound.models import InboundMessage
from consultant.outbound.models import OutboundMessage
from consultant.review.models import DraftClaim, ReviewEvent
from consultant.review.services import SEND_STATES, send_states

PAGE_SIZE = 50
#: The statuses the queue's filter offers, in this order.
QUEUE_STATUSES = (*(s.value for s in DraftStatus), *SEND_STATES, "all")


@dataclass(frozen=True)
class QueueFilter:
    status: str = DraftStatus.PENDING.value
    code: str = ""
    reviewer: str = ""  # a staff address: drafts that reviewer claimed or decided
    kind: str = ""
    page: int = 1


@dataclass(frozen=True)
class QueueRow:
    id: int
    status: str
    kind: str
    asker: str
    subject: str
    codes: list[str]
    rules: list[str]
    created_at: dt.datetime
    age_minutes: int
    age_class: str  # fresh, due, late: against the target answer time
    claimed_by: str | None
    send_status: str | None
    send_error: str | None


@dataclass
class QueuePage:
    rows: list[QueueRow]
    counts: dict[str, int]
    total: int
    page: int
    pages: int
    filters: QueueFilter
    statuses: tuple[str, ...] = field(default=QUEUE_STATUSES)


def _filtered(query: Any, filters: QueueFilter, session: Session) -> Any:
    """``query`` (over drafts) narrowed by ``filters``: plain conditions on the draft's own
    columns, so the database walks the (status, created_at) index in the queue's order."""
    if filters.status in SEND_STATES:
        query = query.join(OutboundMessage, OutboundMessage.draft_id == Draft.id).where(
            OutboundMessage.status == filters.status
        )
    elif filters.status != "all":
        query = query.where(Draft.status == filters.status)
    if filters.kind:
        query = query.where(Draft.kind == filters.kind)
    if filters.code:
        code = filters.code.strip().upper()
        query = query.where(Draft.code_list.contains(f" {code} ", autoescape=True))
    if filters.reviewer:
        staff_id = session.scalar(
            select(StaffUser.id).where(StaffUser.email == filters.reviewer.strip().lower())
        )
        touched = select(ReviewEvent.draft_id).where(ReviewEvent.staff_user_id == staff_id)
        query = query.where(Draft.id.in_(touched))
    return query


def queue_page(
    session: Session, filters: QueueFilter, target: dt.timedelta, now: dt.datetime | None = None
) -> QueuePage:
    """One page of the queue for ``filters``, ages coloured against ``target``."""
    now = now or utc_now()
    total = session.scalar(_filtered(select(func.count(Draft.id)), filters, session)) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(filters.page, 1), pages)
    drafts = session.scalars(
        _filtered(select(Draft), filters, session)
        .order_by(Draft.created_at, Draft.id)
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    counts: dict[str, int] = {
        status: count
        for status, count in session.execute(
            select(Draft.status, func.count()).group_by(Draft.status)
        )
    }
    for status, count in session.execute(
        select(OutboundMessage.status, func.count())
        .where(OutboundMessage.status.in_(SEND_STATES))
        .group_by(OutboundMessage.status)
    ):
        counts[status] = count
    ids = [d.id for d in drafts]
    claims = _claims(session, ids, now)
    rules = _rules(session, [d.inbound_message_id for d in drafts])
    sends = send_states(session, ids)
    rows = []
    for draft in drafts:
        created = as_utc(draft.created_at)
        age = max(0, int((now - created).total_seconds() // 60))
        send_status, send_error = sends.get(draft.id, (None, None))
        rows.append(
            QueueRow(
                id=draft.id,
                status=draft.status,
                kind=draft.kind,
                asker=draft.to_address,
                subject=draft.subject,
                codes=draft.code_list.split(),
                rules=rules.get(draft.inbound_message_id, []),
                created_at=created,
                age_minutes=age,
                age_class=_age_class(age, target),
                claimed_by=claims.get(draft.id),
                send_status=send_status,
                send_error=send_error,
            )
        )
    return QueuePage(rows, counts, total, page, pages, filters)


def _age_class(age_minutes: int, target: dt.timedelta) -> str:
    target_minutes = target.total_seconds() / 60
    if age_minutes >= target_minutes:
        return "late"
    return "due" if age_minutes >= target_minutes / 2 else "fresh"


def _claims(session: Session, draft_ids: list[int], now: dt.datetime) -> dict[int, str]:
    if not draft_ids:
        return {}
    rows = session.execute(
        select(DraftClaim.draft_id, DraftClaim.expires_at, StaffUser.email)
        .join(StaffUser, StaffUser.id == DraftClaim.staff_user_id)
        .where(DraftClaim.draft_id.in_(draft_ids))
    )
    return {draft_id: email for draft_id, expires, email in rows if as_utc(expires) > now}


def _rules(session: Session, inbound_ids: list[int]) -> dict[int, list[str]]:
    if not inbound_ids:
        return {}
    rows = session.execute(
        select(InboundMessage.id, InboundMessage.rule_hits).where(
            InboundMessage.id.in_(inbound_ids)
        )
    )
    return {
        inbound_id: [str(hit.get("rule", "?")) for hit in hits or [] if isinstance(hit, dict)]
        for inbound_id, hits in rows
    }
