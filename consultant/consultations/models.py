"""Tables of consultations: a question thread, its messages, and the drafts made for it.

Idempotency lives in unique keys, so a task run twice (a redelivered Celery
message, a sweeper re-enqueue) cannot make a second row:
``consultation_message.inbound_message_id`` (one message per ledger row),
``consultation_message.content_sha256`` (the same bytes never start two
threads), and ``draft.inbound_message_id`` (one draft per source message).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consultant.consultations.states import DraftKind, DraftStatus
from consultant.db import Base

# Matches inbound_message.id: BIGINT on PostgreSQL, INTEGER on SQLite.
_InboundId = BigInteger().with_variant(Integer(), "sqlite")


class Consultation(Base):
    """One question thread with one asker."""

    __tablename__ = "consultation"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("account.id", ondelete="SET NULL"), index=True
    )
    asker_address: Mapped[str] = mapped_column(String(320), index=True)
    subject: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class ConsultationMessage(Base):
    """A message received on a consultation: the new text only, linked to its ledger row."""

    __tablename__ = "consultation_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultation.id", ondelete="CASCADE"), index=True
    )
    inbound_message_id: Mapped[int] = mapped_column(
        _InboundId, ForeignKey("inbound_message.id", ondelete="RESTRICT"), unique=True
    )
    content_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    consultation: Mapped[Consultation] = relationship()
    # Indexed: a follow-up naming the asker's own earlier question finds its consultation.
    message_id_header: Mapped[str | None] = mapped_column(Text, index=True)
    sender_address: Mapped[str] = mapped_column(String(320))
    new_text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class Draft(Base):
    """A reply waiting for a reviewer: what was drafted, to whom, and the facts it used."""

    __tablename__ = "draft"
    __table_args__ = (
        Index("ix_draft_status_created_at", "status", "created_at"),
        Index("ix_draft_kind_to_address", "kind", "to_address"),
        # One draft of each kind per source message: ingest's answer (or notice) once, and
        # a reviewer's rejection notice or question for more information once.
        UniqueConstraint("inbound_message_id", "kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    inbound_message_id: Mapped[int] = mapped_column(
        _InboundId, ForeignKey("inbound_message.id", ondelete="RESTRICT")
    )
    consultation_id: Mapped[int | None] = mapped_column(
        ForeignKey("consultation.id", ondelete="CASCADE"), index=True
    )
    consultation: Mapped[Consultation | None] = relationship()
    kind: Mapped[str] = mapped_column(String(16), default=DraftKind.ANSWER.value)
    status: Mapped[str] = mapped_column(String(16), default=DraftStatus.PENDING.value)
    to_address: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(Text)
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text, default="")
    template: Mapped[str] = mapped_column(String(64))
    facts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The codes of ``facts``, space-separated with a space at each end (" 63047 69990 "):
    # the queue's code filter reads this short column instead of every draft's JSON.
    code_list: Mapped[str] = mapped_column(Text, default="", server_default=text("''"))
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
