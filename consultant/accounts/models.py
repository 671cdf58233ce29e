"""Tables of accounts: the account, the addresses it mails from, its event history.

A known sender is an address in ``account_address``; ingest looks senders up
there. Events are append-only: nothing updates or deletes them, so they are
the account's history and the audit trail (who did what, when).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, func
from sqlalchemy.orm import Mapped, mapped_column

from consultant.db import Base


class Account(Base):
    """A person or practice that asks questions by email."""

    __tablename__ = "account"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str | None] = mapped_column(String(200))
    plan: Mapped[str] = mapped_column(String(32), default="standard")
    # scrypt parameters and salt travel with the hash: "scrypt$n$r$p$salt_hex$hash_hex".
    password_hash: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class AccountAddress(Base):
    """An address an account mails from, stored lowercase; unique across accounts."""

    __tablename__ = "account_address"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    address: Mapped[str] = mapped_column(String(320), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class AccountEvent(Base):
    """One thing that happened to an account, tagged like ``account:consultation:created``."""

    __tablename__ = "account_event"
    __table_args__ = (Index("ix_account_event_account_id_created_at", "account_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    tag: Mapped[str] = mapped_column(String(64))
    # Ids only (consultation, draft, inbound message): the history never copies mail text.
    additional: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    consultation_id: Mapped[int | None] = mapped_column(Integer)
