"""The outbox table: one row per approved reply, holding the exact bytes that are sent."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, ForeignKey, Index, Integer, LargeBinary, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from consultant.db import Base
from consultant.outbound.states import OutboundStatus


class OutboundMessage(Base):
    """An approved reply: its pre-generated Message-ID and bytes never change, so a retry
    sends the very same email."""

    __tablename__ = "outbound_message"
    __table_args__ = (Index("ix_outbound_message_status_send_after", "status", "send_after"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # One outbound row per draft: a second approval finds it and is refused.
    draft_id: Mapped[int] = mapped_column(ForeignKey("draft.id", ondelete="RESTRICT"), unique=True)
    consultation_id: Mapped[int | None] = mapped_column(
        ForeignKey("consultation.id", ondelete="SET NULL"), index=True
    )
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    sender: Mapped[str] = mapped_column(String(320))  # the envelope sender
    recipient: Mapped[str] = mapped_column(String(320))
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(16), default=OutboundStatus.APPROVED.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    server_answer: Mapped[str | None] = mapped_column(Text)
    approved_by: Mapped[int | None] = mapped_column(
        ForeignKey("staff_user.id", ondelete="SET NULL")
    )
    approved_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    # Not sent before this instant: the undo window, then each retry's backoff.
    send_after: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    # When retries stop and the send is marked failed.
    retry_until: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    sending_since: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    copied_to_sent_folder: Mapped[bool] = mapped_column(default=False)
