"""Reads and writes of the inbound ledger and the mailbox watermark, for the poller.

These take a session and flush, never commit: the poller step owns the
transaction. Inserts ignore a conflict on the unique key instead of failing,
so two pollers, or one poller re-running after a crash, can never store a
message twice and never abort a batch because of it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from consultant.inbound.models import InboundMessage, MailboxState
from consultant.inbound.states import InboundStatus


def insert_ignoring_conflict(
    session: Session, table: Table, values: Mapping[str, Any], unique_columns: list[str]
) -> int | None:
    """INSERT ``values`` unless a row with equal ``unique_columns`` exists; the new id or None."""
    statement = (
        _insert(session)(table)
        .values(**values)
        .on_conflict_do_nothing(index_elements=unique_columns)
        .returning(table.c.id)
    )
    new_id = session.execute(statement).scalar_one_or_none()
    return None if new_id is None else int(new_id)


def _insert(session: Session) -> Any:
    """The dialect's INSERT, which has ON CONFLICT DO NOTHING on both databases."""
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def database_now(session: Session) -> dt.datetime:
    """The current time as the database sees it (one clock for pollers on several machines)."""
    if session.get_bind().dialect.name == "postgresql":
        now = session.execute(select(func.now())).scalar_one()
        assert isinstance(now, dt.datetime)
        return now
    # SQLite lives on one machine: its clock is this machine's.
    return dt.datetime.now(dt.UTC)


def stored_uids(session: Session, mailbox: str, uidvalidity: int, uids: Iterable[int]) -> set[int]:
    """Which of ``uids`` already have a ledger row under this mailbox and UIDVALIDITY."""
    uid_list = list(uids)
    if not uid_list:
        return set()
    rows = session.execute(
        select(InboundMessage.uid).where(
            InboundMessage.mailbox == mailbox,
            InboundMessage.uidvalidity == uidvalidity,
            InboundMessage.uid.in_(uid_list),
        )
    )
    return {int(uid) for uid in rows.scalars()}


def stored_hashes(session: Session, mailbox: str, hashes: Iterable[str]) -> set[str]:
    """Which content hashes this mailbox's ledger already holds (under any UIDVALIDITY)."""
    hash_list = list(set(hashes))
    if not hash_list:
        return set()
    rows = session.execute(
        select(InboundMessage.sha256)
        .where(InboundMessage.mailbox == mailbox, InboundMessage.sha256.in_(hash_list))
        .distinct()
    )
    return set(rows.scalars())


#: The ledger's key: a message is stored once per mailbox, UIDVALIDITY and UID.
LEDGER_KEY = ["mailbox", "uidvalidity", "uid"]
#: A multi-row INSERT carries at most this many rows, or this many bytes of mail.
_INSERT_ROWS = 100
_INSERT_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class FetchedMessage:
    """What the poller fetched of one message: the body, or only the headers when too large."""

    uid: int
    sha256: str
    size: int
    raw: bytes | None
    headers: bytes | None


def record_inbound(
    session: Session, mailbox: str, uidvalidity: int, messages: Sequence[FetchedMessage]
) -> dict[int, int]:
    """Write ledger rows in status "stored"; the new row ids by UID.

    One multi-row INSERT per chunk. A UID already in the ledger (another
    poller, a re-run after a crash) is left as it is and is not in the result:
    never stored twice. fetched_at and updated_at come from the database's
    clock (server defaults).
    """
    table = InboundMessage.__table__
    assert isinstance(table, Table)
    rows: list[dict[str, Any]] = [
        {
            "mailbox": mailbox,
            "uidvalidity": uidvalidity,
            "uid": m.uid,
            "sha256": m.sha256,
            "size": m.size,
            "raw": m.raw,
            "headers": m.headers,
            "status": InboundStatus.STORED,
            "rule_hits": [],
            "attempts": 0,
        }
        for m in messages
    ]
    new_ids: dict[int, int] = {}
    for chunk in _chunks(rows):
        statement = (
            _insert(session)(table)
            .values(chunk)
            .on_conflict_do_nothing(index_elements=LEDGER_KEY)
            .returning(table.c.id, table.c.uid)
        )
        for row_id, uid in session.execute(statement):
            new_ids[int(uid)] = int(row_id)
    return new_ids


def _chunks(rows: Sequence[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    chunks: list[list[dict[str, Any]]] = []
    size = 0
    for row in rows:
        length = len(row["raw"] or b"") + len(row["headers"] or b"")
        if not chunks or len(chunks[-1]) >= _INSERT_ROWS or size + length > _INSERT_BYTES:
            chunks.append([])
            size = 0
        chunks[-1].append(row)
        size += length
    return chunks


def load_mailbox_state(session: Session, mailbox: str) -> MailboxState | None:
    """The stored UIDVALIDITY and watermark of ``mailbox``, if it was ever polled."""
    return session.execute(
        select(MailboxState).where(MailboxState.mailbox == mailbox)
    ).scalar_one_or_none()


def save_watermark(session: Session, mailbox: str, uidvalidity: int, last_uid: int) -> None:
    """Record ``last_uid`` as the highest UID stored under ``uidvalidity`` (never lowers it)."""
    state = load_mailbox_state(session, mailbox)
    if state is None:
        table = MailboxState.__table__
        assert isinstance(table, Table)
        insert_ignoring_conflict(
            session,
            table,
            {
                "mailbox": mailbox,
                "uidvalidity": uidvalidity,
                "last_uid": last_uid,
                "updated_at": database_now(session),
            },
            ["mailbox"],
        )
        state = load_mailbox_state(session, mailbox)
        assert state is not None
    if state.uidvalidity != uidvalidity:
        state.uidvalidity, state.last_uid = uidvalidity, last_uid
    else:
        state.last_uid = max(state.last_uid, last_uid)
    session.flush()
