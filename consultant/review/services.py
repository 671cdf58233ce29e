"""Drafts for reviewers and operators: the queue (``review list``), one draft (``review show``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from consultant.consultations.models import ConsultationMessage, Draft
from consultant.consultations.states import DraftStatus
from consultant.outbound.models import OutboundMessage
from consultant.outbound.states import OutboundStatus

#: ``review list --status`` also takes where an approved reply is on its way out.
SEND_STATES = (OutboundStatus.SENDING.value, OutboundStatus.SENT.value, OutboundStatus.FAILED.value)


def list_drafts(
    session: Session, status: str | None = DraftStatus.PENDING.value, limit: int = 500
) -> Sequence[Draft]:
    """Drafts with ``status`` (all when None), oldest first: the order reviewers work in.

    A send state (sending, sent, failed) lists the approved drafts whose reply is in it.
    """
    query = select(Draft).order_by(Draft.created_at, Draft.id).limit(limit)
    if status in SEND_STATES:
        query = query.join(OutboundMessage, OutboundMessage.draft_id == Draft.id).where(
            OutboundMessage.status == status
        )
    elif status is not None:
        query = query.where(Draft.status == status)
    return session.scalars(query).all()


def send_states(session: Session, draft_ids: Sequence[int]) -> dict[int, tuple[str, str | None]]:
    """For each approved draft among ``draft_ids``: its send status and last error."""
    if not draft_ids:
        return {}
    rows = session.execute(
        select(OutboundMessage.draft_id, OutboundMessage.status, OutboundMessage.last_error).where(
            OutboundMessage.draft_id.in_(draft_ids)
        )
    )
    return {draft_id: (status, error) for draft_id, status, error in rows}


def draft_summary(draft: Draft) -> dict[str, Any]:
    """A draft as JSON for the command line and the API: what a reviewer needs to pick it."""
    codes = draft.facts.get("codes") if isinstance(draft.facts, dict) else None
    return {
        "id": draft.id,
        "kind": draft.kind,
        "status": draft.status,
        "consultation_id": draft.consultation_id,
        "inbound_message_id": draft.inbound_message_id,
        "to": draft.to_address,
        "subject": draft.subject,
        "template": draft.template,
        "codes": [_code_of(entry) for entry in codes] if isinstance(codes, list) else [],
        "created_at": draft.created_at.isoformat() if draft.created_at else None,
    }


def _code_of(entry: Any) -> Any:
    # The drafting facts list each code as an object with a "code" key; keep anything else as is.
    return entry.get("code", entry) if isinstance(entry, dict) else entry


def get_draft(session: Session, draft_id: int) -> Draft | None:
    """The draft with ``draft_id``, or None."""
    return session.get(Draft, draft_id)


def question_of(session: Session, draft: Draft) -> str | None:
    """The new text of the message the draft answers (None for a notice with no question)."""
    return session.scalar(
        select(ConsultationMessage.new_text).where(
            ConsultationMessage.inbound_message_id == draft.inbound_message_id
        )
    )


def draft_detail(draft: Draft, question: str | None) -> dict[str, Any]:
    """A draft as the reviewer sees it: the question, the stored facts and the reply text.

    The facts are the ones stored with the draft, each naming the data release that
    answered it: a release loaded since never changes what the reviewer approves.
    """
    return {
        **draft_summary(draft),
        "question": question,
        "facts": draft.facts if isinstance(draft.facts, dict) else {},
        "body_text": draft.body_text,
        "body_html": draft.body_html,
    }
