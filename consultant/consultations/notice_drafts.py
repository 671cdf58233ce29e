"""Drafts that answer no coding question: "send it smaller" and the invitation to register.

Like every draft they wait for a reviewer; nothing here sends mail. Texts are
templates under ``templates/email/<name>/`` (subject, text, HTML); Python only
builds the context.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sqlalchemy import exists, select
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Session

from consultant.consultations.models import Draft, DraftKind, DraftStatus

TEMPLATE_DIR = Path(__file__).resolve().parents[2] / "templates" / "email"
#: An unknown sender gets at most one invitation draft in this period.
INVITATION_PERIOD = dt.timedelta(days=7)


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(str(TEMPLATE_DIR)),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )


def _render(name: str, context: dict[str, object]) -> tuple[str, str, str]:
    env = _environment()
    subject = env.get_template(f"{name}/subject.txt").render(context)
    # One line, no CR/LF: a subject must never be able to inject a header.
    subject = " ".join(subject.split())
    text = env.get_template(f"{name}/body.txt").render(context)
    html = env.get_template(f"{name}/body.html").render(context)
    return subject, text, html


def _reply_subject(original: str | None) -> str:
    original = " ".join((original or "").split())
    while original.lower().startswith("re:"):
        original = original[3:].lstrip()
    return original or "your message"


def draft_too_large(
    session: Session, inbound_id: int, to_address: str, subject: str | None, size: int, limit: int
) -> Draft:
    """A pending draft asking the sender to send the question again, smaller."""
    context: dict[str, object] = {
        "original_subject": _reply_subject(subject),
        "size_mb": f"{size / 1_048_576:.1f}",
        "limit_mb": f"{limit / 1_048_576:.0f}",
    }
    subject_line, text, html = _render("too-large", context)
    draft = Draft(
        inbound_message_id=inbound_id,
        kind=DraftKind.TOO_LARGE.value,
        status=DraftStatus.PENDING.value,
        to_address=to_address,
        subject=subject_line,
        body_text=text,
        body_html=html,
        template="too-large",
        facts={"size": size, "limit": limit},
    )
    session.add(draft)
    return draft


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
) -> Draft | None:
    """A pending invitation draft for an unknown sender, unless one was drafted this week."""
    if session.get_bind().dialect.name == "postgresql":
        # Two questions from one stranger ingested at once must not both invite:
        # serialise on the address until commit. (SQLite: ingest holds the write lock.)
        session.execute(sql_text("SELECT pg_advisory_xact_lock(hashtext(:a))"), {"a": to_address})
    if invited_recently(session, to_address, dt.datetime.now(dt.UTC)):
        return None
    context: dict[str, object] = {
        "original_subject": _reply_subject(subject),
        "address": to_address,
    }
    subject_line, text, html = _render("invitation", context)
    draft = Draft(
        inbound_message_id=inbound_id,
        kind=DraftKind.INVITATION.value,
        status=DraftStatus.PENDING.value,
        to_address=to_address,
        subject=subject_line,
        body_text=text,
        body_html=html,
        template="invitation",
        facts={},
    )
    session.add(draft)
    return draft
