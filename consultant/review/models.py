"""The review audit trail and the claim a reviewer holds on a draft."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, String, func
from sqlalchemy.orm import Mapped, mapped_column

from consultant.db import Base


class ReviewEvent(Base):
    """Who did what to a draft, and when: a view, a claim, an approval, a rejection, a send.

    ``detail`` holds ids, reasons and the reviewer's edit as a diff against the
    automatic draft, so the team can see what reviewers change most.
    """

    __tablename__ = "review_event"
    __table_args__ = (Index("ix_review_event_draft_id_id", "draft_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("draft.id", ondelete="CASCADE"))
    staff_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_user.id", ondelete="SET NULL"), index=True
    )
    action: Mapped[str] = mapped_column(String(32))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class DraftClaim(Base):
    """A reviewer's hold on a draft until ``expires_at``: one reviewer at a time."""

    __tablename__ = "draft_claim"

    draft_id: Mapped[int] = mapped_column(
        ForeignKey("draft.id", ondelete="CASCADE"), primary_key=True
    )
    staff_user_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id", ondelete="CASCADE"))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
