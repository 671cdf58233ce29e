"""Drafts that answer no coding question: "send it smaller" and the invitation to register.

Like every draft they wait for a reviewer; nothing here sends mail. Texts are
templates under ``templates/email/<name>/`` (subject, text, HTML); Python only
builds the context.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Session

from consultant.consultations.drafting import original_subject, render_email
from consultant.consultations.models import Draft
from consultant.consultations.new_rows import insert_draft
from consultant.consultations.states import DraftKind, DraftStatus

#: An unknown sender gets at most one invitation draft in this period.
INVITATION_PERIOD = dt.timedelta(days=7)


def _pending_draft(
    session: Session,
    inbound_id: int,
    kind: DraftKind,
    template: str,
    to_address: str,
    context: dict[str, object],
    facts: dict[str, object],
) -> int:
    """A pending draft of ``kind``, rendered from ``templates/email/<template>/``; its id."""
    subject_line, text, html = render_email(template, context)
    values: dict[str, Any] = {
        "inbound_message_id": inbound_id,
        "kind": kind.value,
        "status": DraftStatus.PENDING.value,
        "to_address": to_address,
        "subject": subject_line,
        "body_text": text,
        "body_html": html,
        "template": template,
        "facts": facts,
    }
    return insert_draft(session.connection(), values)


def draft_too_large(
    session: Session, inbound_id: int, to_address: str, subject: str | None, size: int, limit: int
) -> int:
    """A pending draft asking the sender to send the question again, smaller."""
    context: dict[str, object] = {
        "original_subject": original_subject(subject, default="your message"),
        "size_mb": f"{size / 1_048_576:.1f}",
        "limit_mb": f"{limit / 1_048_576:.0f}",
    }
    facts: dict[str, object] = {"size": size, "limit": limit}
    return _pending_draft(
        session, inbound_id, DraftKind.TOO_LARGE, "too-large", to_address, context, facts
    )


def invited_recently(session: Session, address: str, now: dt.datetime) -> bool:
    """Whether ``address`` already got an invitation draft within INVITATION_PERIOD."""
    return bool(
        session.scalar(
            select(
                exists().where(
                    Draft.kind == DraftKind.INVITATION.value,
                    Draft.to_address == address,
                    Draft.created_at >= now - INVITATION_PERIOD,
                )
            )
        )
    )


def draft_invitation(
    session: Session, inbound_id: int, to_address: str, subject: str | None
) -> int | None:
    """A pending invitation draft for an unknown sender, unless one was drafted this week."""
    if session.get_bind().dialect.name == "postgresql":
        # Two questions from one stranger ingested at once must not both invite:
        # serialise on the address until commit. (SQLite: ingest holds the write lock.)
        session.execute(sql_text("SELECT pg_advisory_xact_lock(hashtext(:a))"), {"a": to_address})
    if invited_recently(session, to_address, dt.datetime.now(dt.UTC)):
        return None
    context: dict[str, object] = {
        "original_subject": original_subject(subject, default="your message"),
        "address": to_address,
    }
    return _pending_draft(
        session, inbound_id, DraftKind.INVITATION, "invitation", to_address, context, {}
    )
