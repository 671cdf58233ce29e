"""Writing a new consultation with its first message, its draft and the account's events.

Four rows, and on PostgreSQL one statement: data-modifying CTEs insert the
consultation, then the message, the draft and the two events that need its
id (and the draft's), in one round trip instead of four. Ingest spends most of
its time on round trips, and a new question is the common case. Elsewhere
(SQLite, or a sender without an account) they are four plain inserts.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import String, Table, bindparam, func, insert, literal_column, select, union_all
from sqlalchemy.engine import Connection
from sqlalchemy.sql.expression import CTE, BindParameter, Select

from consultant.accounts.models import AccountEvent
from consultant.accounts.services import CONSULTATION_CREATED, DRAFT_CREATED
from consultant.consultations.models import Consultation, ConsultationMessage, Draft


def _table(model: type[Any]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


# The tables a new thread and a follow-up (answering) both write.
CONSULTATIONS, MESSAGES = _table(Consultation), _table(ConsultationMessage)
DRAFTS, EVENTS = _table(Draft), _table(AccountEvent)
_NEW_CONSULTATION = insert(CONSULTATIONS).returning(CONSULTATIONS.c.id)
_NEW_MESSAGE = insert(MESSAGES)
_NEW_DRAFT = insert(DRAFTS).returning(DRAFTS.c.id)
_NEW_EVENT = insert(EVENTS)


def _bound(table: Table, column: str) -> BindParameter[Any]:
    # Typed like the column it fills (JSON needs its serializer); the "p_" prefix
    # keeps the names clear of the columns SQLAlchemy itself binds.
    return bindparam(f"p_{table.name}_{column}", type_=table.c[column].type)


def _constant(value: str) -> Any:
    # Our own constants, written into the SQL: a bare parameter in a SELECT
    # list leaves PostgreSQL to guess its type.
    assert "'" not in value
    return literal_column(f"'{value}'", String)


def _insert_from(table: Table, thread: CTE, columns: list[str]) -> Any:
    values = select(thread.c.id, *(_bound(table, c) for c in columns))
    return insert(table).from_select(["consultation_id", *columns], values)


def _one_statement() -> Select[Any]:
    thread = (
        insert(CONSULTATIONS)
        .from_select(
            ["account_id", "asker_address", "subject", "status"],
            select(*(_bound(CONSULTATIONS, c) for c in ("account_id", "asker_address", "subject")),
                   _constant("open")),
        )
        .returning(CONSULTATIONS.c.id)
        .cte("new_consultation")
    )  # fmt: skip
    message_columns = [
        "inbound_message_id", "content_sha256", "message_id_header", "sender_address", "new_text"
    ]  # fmt: skip
    message = _insert_from(MESSAGES, thread, message_columns).cte("new_message")
    draft_columns = [
        "inbound_message_id", "kind", "status", "to_address", "subject", "body_text",
        "body_html", "template", "facts",
    ]  # fmt: skip
    draft = (
        _insert_from(DRAFTS, thread, draft_columns)
        .returning(DRAFTS.c.id, DRAFTS.c.consultation_id)
        .cte("new_draft")
    )
    account = bindparam("p_account", type_=EVENTS.c.account_id.type)
    events = insert(EVENTS).from_select(
        ["account_id", "tag", "consultation_id", "additional"],
        union_all(
            select(
                account,
                _constant(CONSULTATION_CREATED),
                draft.c.consultation_id,
                bindparam("p_created", type_=EVENTS.c.additional.type),
            ),
            select(
                account,
                _constant(DRAFT_CREATED),
                draft.c.consultation_id,
                func.json_build_object(literal_column("'draft_id'"), draft.c.id),
            ),
        ),
    )
    return select(draft.c.consultation_id, draft.c.id).add_cte(message, events.cte("new_events"))


_NEW_THREAD_IN_ONE = _one_statement()


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
    if connection.dialect.name == "postgresql" and account_id is not None:
        params: dict[str, Any] = {"p_account": account_id}
        for table, values in ((CONSULTATIONS, consultation), (MESSAGES, message), (DRAFTS, draft)):
            params.update({f"p_{table.name}_{k}": v for k, v in values.items()})
        params["p_created"] = {"inbound_id": message["inbound_message_id"]}
        consultation_id, draft_id = connection.execute(_NEW_THREAD_IN_ONE, params).one()
        return int(consultation_id), int(draft_id)
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
    followed up). The events hold ids only, as accounts.services.record_event
    writes them. Returns the new draft's id.
    """
    connection.execute(_NEW_MESSAGE, {**message, "consultation_id": consultation_id})
    inserted = connection.execute(_NEW_DRAFT, {**draft, "consultation_id": consultation_id})
    draft_id = int(inserted.scalar_one())
    if account_id is not None:
        events = [
            (thread_event, {"inbound_id": message["inbound_message_id"]}),
            (DRAFT_CREATED, {"draft_id": draft_id}),
        ]
        connection.execute(
            _NEW_EVENT,
            [
                {
                    "account_id": account_id,
                    "tag": tag,
                    "consultation_id": consultation_id,
                    "additional": additional,
                }
                for tag, additional in events
            ],
        )
    return draft_id
