"""Writing a new consultation with its first message, its draft and the account's events.

Plain Core inserts, the same on both databases. (A PostgreSQL-only statement
of data-modifying CTEs once wrote all four in one round trip; measured with
``bench/pipeline.py`` it did not pay for a second code path: see the issue's
closing note.)
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.engine import Connection

from consultant.accounts.events import CONSULTATION_CREATED, DRAFT_CREATED, append_events
from consultant.consultations.models import Consultation, ConsultationMessage, Draft


def _table(model: type[Any]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


# The tables a new thread and a follow-up (answering) both write.
CONSULTATIONS, MESSAGES = _table(Consultation), _table(ConsultationMessage)
DRAFTS = _table(Draft)
_NEW_CONSULTATION = insert(CONSULTATIONS).returning(CONSULTATIONS.c.id)
_NEW_MESSAGE = insert(MESSAGES)
_NEW_DRAFT = insert(DRAFTS).returning(DRAFTS.c.id)


def insert_draft(connection: Connection, values: dict[str, Any]) -> int:
    """Insert one draft (every kind ingest makes is written here); its id."""
    values = {**values, "code_list": code_list(values.get("facts"))}
    return int(connection.execute(_NEW_DRAFT, values).scalar_one())


def code_list(facts: object) -> str:
    """The codes a draft's facts name, as the queue's code filter searches them."""
    listed = facts.get("codes") if isinstance(facts, dict) else None
    if not isinstance(listed, list):
        return ""
    codes = [str(c.get("code")) if isinstance(c, dict) else str(c) for c in listed]
    return f" {' '.join(codes)} " if codes else ""


def write_new_thread(
    connection: Connection,
    *,
    account_id: int | None,
    consultation: dict[str, Any],
    message: dict[str, Any],
    draft: dict[str, Any],
) -> tuple[int, int]:
    """Insert the consultation, its message and draft (and events); their ids.

    ``consultation``, ``message`` and ``draft`` hold column values, without
    the consultation id, which is the new one.
    """
    consultation = {**consultation, "account_id": account_id}
    consultation_id = int(connection.execute(_NEW_CONSULTATION, consultation).scalar_one())
    draft_id = add_message_and_draft(
        connection,
        consultation_id,
        account_id=account_id,
        thread_event=CONSULTATION_CREATED,
        message=message,
        draft=draft,
    )
    return consultation_id, draft_id


def add_message_and_draft(
    connection: Connection,
    consultation_id: int,
    *,
    account_id: int | None,
    thread_event: str,
    message: dict[str, Any],
    draft: dict[str, Any],
) -> int:
    """Insert a message and its draft into a consultation, and the account's two events.

    ``thread_event`` says what the message did to the thread (created it, or
    followed up). The events hold ids only. Returns the new draft's id.
    """
    connection.execute(_NEW_MESSAGE, {**message, "consultation_id": consultation_id})
    draft_id = insert_draft(connection, {**draft, "consultation_id": consultation_id})
    if account_id is not None:
        events = [
            (thread_event, {"inbound_id": int(message["inbound_message_id"])}),
            (DRAFT_CREATED, {"draft_id": draft_id}),
        ]
        append_events(connection, account_id, events, consultation_id=consultation_id)
    return draft_id
