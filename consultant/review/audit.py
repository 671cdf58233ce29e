"""The review audit trail: the one place review events are written and read."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from consultant.review.models import ReviewEvent


def record(
    session: Session,
    draft_id: int,
    staff_user_id: int | None,
    action: str,
    detail: Mapping[str, object] | None = None,
) -> None:
    """Append one event: who (a staff user, or None for the system) did ``action`` to the draft."""
    session.add(
        ReviewEvent(
            draft_id=draft_id, staff_user_id=staff_user_id, action=action, detail=dict(detail or {})
        )
    )


def events_of(session: Session, draft_id: int) -> Sequence[ReviewEvent]:
    """The draft's events, oldest first."""
    return session.scalars(
        select(ReviewEvent).where(ReviewEvent.draft_id == draft_id).order_by(ReviewEvent.id)
    ).all()
