"""The inbound ledger: every message the poller took from a mailbox, and the poller's own state.

A message is keyed by where it came from, (mailbox, UIDVALIDITY, UID), so
storing it twice is impossible whatever crashes or races happen; its raw
bytes are kept until ingest is done with them (and purged later).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from consultant.db import Base
from consultant.inbound.states import InboundStatus

# BIGINT on PostgreSQL, but INTEGER on SQLite so the column is the rowid alias.
_BigId = BigInteger().with_variant(Integer(), "sqlite")


class InboundMessage(Base):
    """One message taken from a mailbox: its raw bytes and what ingest decided about it."""

    __tablename__ = "inbound_message"
    __table_args__ = (UniqueConstraint("mailbox", "uidvalidity", "uid"),)

    id: Mapped[int] = mapped_column(_BigId, primary_key=True)
    # The source identity, never credentials: "imap://user@host:port/INBOX", "maildir:/abs/path".
    mailbox: Mapped[str] = mapped_column(String(255))
    uidvalidity: Mapped[int] = mapped_column(BigInteger)
    uid: Mapped[int] = mapped_column(BigInteger)
    # Of the raw bytes; of the header section for a message too large to download.
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(Integer)
    # None when the message was over the size cap (never downloaded) or purged.
    raw: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    # Only for messages over the size cap: their header section, so ingest can
    # answer the sender ("please send it smaller") without the body.
    headers: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    fetched_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )
    status: Mapped[str] = mapped_column(String(16), default=InboundStatus.STORED, index=True)
    disposition: Mapped[str | None] = mapped_column(String(32), nullable=True)
    rule_hits: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)


class MailboxState(Base):
    """Per mailbox: the UIDVALIDITY seen last and the highest UID stored under it."""

    __tablename__ = "mailbox_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    mailbox: Mapped[str] = mapped_column(String(255), unique=True)
    uidvalidity: Mapped[int] = mapped_column(BigInteger)
    last_uid: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class PollerLease(Base):
    """Who may poll a mailbox until when: one poller per mailbox, even across machines."""

    __tablename__ = "poller_lease"

    id: Mapped[int] = mapped_column(primary_key=True)
    mailbox: Mapped[str] = mapped_column(String(255), unique=True)
    holder: Mapped[str] = mapped_column(String(255))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
