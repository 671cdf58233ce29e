"""Drafts a reviewer makes: the notice of a rejection and the question back to the asker.

Each is a new pending draft on the same source message and consultation, to the
same asker, rendered from ``templates/email/<name>/``; it needs its own approval.
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from consultant.consultations.models import Consultation, Draft
from consultant.consultations.states import DraftKind, DraftStatus


class DraftExists(Exception):
    """The source message already has a draft of that kind."""


def reviewer_draft(
    session: Session, answered: Draft, kind: DraftKind, template: str, context: dict[str, str]
) -> int:
    """A pending draft of ``kind`` to the same asker, on the same source message."""
    from consultant.accounts.models import Account
    from consultant.consultations.drafting import original_subject, render_email

    consultation = (
        session.get(Consultation, answered.consultation_id) if answered.consultation_id else None
    )
    account = (
        session.get(Account, consultation.account_id)
        if consultation and consultation.account_id
        else None
    )
    subject, text, html = render_email(
        template,
        {
            **context,
            "original_subject": original_subject(consultation.subject if consultation else None),
            "greeting_name": account.name if account and account.name else "",
        },
    )
    made = Draft(
        inbound_message_id=answered.inbound_message_id,
        consultation_id=answered.consultation_id,
        kind=kind.value,
        status=DraftStatus.PENDING.value,
        to_address=answered.to_address,
        subject=subject,
        body_text=text,
        body_html=html,
        template=template,
        facts={"answers_draft": answered.id},
    )
    try:
        with session.begin_nested():  # a savepoint: the refusal leaves the transaction usable
            session.add(made)
    except IntegrityError:
        raise DraftExists(f"draft #{answered.id} already has its {kind.value} draft") from None
    return made.id
