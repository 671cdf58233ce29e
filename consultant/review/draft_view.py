"""Everything the draft page shows about one draft, read from the stored rows.

The original message is read with mail-parser (the design's parser) for its
attachments, parsing defects and Authentication-Results; its HTML is cleaned
with nh3 before it reaches the page's sandboxed frame.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from consultant.accounts.staff import StaffUser
from consultant.clock import as_utc, utc_now
from consultant.consultations.models import ConsultationMessage, Draft
from consultant.consultations.states import DraftStatus
from consultant.inbound.models import InboundMessage
from consultant.outbound.models import OutboundMessage
from consultant.review.audit import events_of, record
from consultant.review.decisions import holder_of

#: Someone who opened the draft this recently counts as viewing it.
VIEWING_WINDOW = dt.timedelta(minutes=5)
_AUTH_RESULT = re.compile(r"\b(spf|dkim|dmarc)\s*=\s*([a-z]+)", re.IGNORECASE)


@dataclass(frozen=True)
class Attachment:
    index: int
    filename: str
    content_type: str
    size: int


@dataclass(frozen=True)
class ThreadEntry:
    at: dt.datetime | None
    who: str
    text: str
    outgoing: bool


@dataclass
class DraftView:
    draft: Draft
    question: str | None
    has_question_html: bool  # the frame (question_html) is offered only when there is one
    attachments: list[Attachment]
    defects: list[str]
    authentication: dict[str, str]
    thread: list[ThreadEntry]
    events: list[dict[str, Any]]
    claimed_by: str | None
    viewers: list[str]
    newer_draft_id: int | None
    next_draft_id: int | None  # the oldest other pending draft: where "next" goes
    outbound: OutboundMessage | None
    facts: dict[str, Any] = field(default_factory=dict)


def _parsed(raw: bytes | None) -> Any:
    if not raw:
        return None
    import mailparser  # type: ignore[import-untyped]

    try:
        return mailparser.parse_from_bytes(raw)
    except Exception:  # a message mail-parser cannot read still has its stored text
        return None


def sanitized_html(html: str) -> str:
    """The question's HTML with nh3: no scripts, no event handlers, no remote content."""
    import nh3

    # No URL may reach outside the message: no remote images (they tell the sender the
    # question was read, and from where), no relative ones, no links to follow in the frame.
    cleaned = nh3.clean(
        html, url_schemes={"cid", "data"}, url_relative="deny", link_rel="noopener noreferrer"
    )
    return str(cleaned)


def _parsed_question(session: Session, draft: Draft) -> Any:
    """The stored question as mail-parser reads it (None once its raw bytes are purged)."""
    inbound = session.get(InboundMessage, draft.inbound_message_id)
    return _parsed(inbound.raw if inbound else None)


def question_html(session: Session, draft: Draft) -> str | None:
    """The question's HTML part, cleaned for the sandboxed frame; None when it has none."""
    parsed = _parsed_question(session, draft)
    if parsed is None or not parsed.text_html:
        return None
    return sanitized_html("\n".join(parsed.text_html))


def attachment_bytes(session: Session, draft: Draft, index: int) -> tuple[Attachment, bytes] | None:
    """One attachment of the question, for a staff download."""
    parsed = _parsed_question(session, draft)
    if parsed is None or not 0 <= index < len(parsed.attachments):
        return None
    item = parsed.attachments[index]
    payload = item.get("payload") or ""
    data = base64.b64decode(payload) if item.get("binary") else str(payload).encode()
    return _attachment(index, item, len(data)), data


def _attachment(index: int, item: dict[str, Any], size: int) -> Attachment:
    name = str(item.get("filename") or f"attachment-{index + 1}")
    return Attachment(index, name, str(item.get("mail_content_type") or "?"), size)


def draft_view(session: Session, draft: Draft, viewer_id: int) -> DraftView:
    """The draft page's content; records that ``viewer_id`` viewed the question."""
    record(session, draft.id, viewer_id, "viewed")
    message = session.scalar(
        select(ConsultationMessage).where(
            ConsultationMessage.inbound_message_id == draft.inbound_message_id
        )
    )
    parsed = _parsed_question(session, draft)
    attachments: list[Attachment] = []
    defects: list[str] = []
    authentication: dict[str, str] = {}
    if parsed is not None:
        for index, item in enumerate(parsed.attachments):
            payload = item.get("payload") or ""
            size = len(base64.b64decode(payload)) if item.get("binary") else len(str(payload))
            attachments.append(_attachment(index, item, size))
        defects = sorted({str(d) for d in parsed.defects_categories})
        results = parsed.headers.get("Authentication-Results") or ""
        for method, verdict in _AUTH_RESULT.findall(str(results)):
            authentication.setdefault(method.upper(), verdict.lower())
    newer = None
    if draft.status == DraftStatus.STALE and draft.consultation_id is not None:
        newer = session.scalar(
            select(Draft.id)
            .where(Draft.consultation_id == draft.consultation_id, Draft.id > draft.id)
            .order_by(Draft.id.desc())
        )
    holder = holder_of(session, draft.id)
    events = list(events_of(session, draft.id))
    names = _staff_names(session, {e.staff_user_id for e in events if e.staff_user_id})
    since = utc_now() - VIEWING_WINDOW
    viewers = sorted(
        {
            names[e.staff_user_id]
            for e in events
            if e.action == "viewed"
            and e.staff_user_id
            and e.staff_user_id != viewer_id
            and as_utc(e.created_at) > since
        }
    )
    return DraftView(
        draft=draft,
        question=message.new_text if message else None,
        has_question_html=bool(parsed is not None and parsed.text_html),
        attachments=attachments,
        defects=defects,
        authentication=authentication,
        thread=_thread(session, draft),
        events=[
            {
                "at": as_utc(e.created_at),
                "who": names.get(e.staff_user_id or 0, "system"),
                "action": e.action.replace("_", " "),
                "detail": e.detail,
            }
            for e in events
            if e.action != "viewed" or e.staff_user_id != viewer_id or e is events[-1]
        ],
        claimed_by=holder.email if holder else None,
        viewers=viewers,
        newer_draft_id=newer,
        next_draft_id=session.scalar(
            select(Draft.id)
            .where(Draft.status == DraftStatus.PENDING, Draft.id != draft.id)
            .order_by(Draft.created_at, Draft.id)
            .limit(1)
        ),
        outbound=session.scalar(
            select(OutboundMessage).where(OutboundMessage.draft_id == draft.id)
        ),
        facts=draft.facts if isinstance(draft.facts, dict) else {},
    )


def _staff_names(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = session.execute(select(StaffUser.id, StaffUser.email).where(StaffUser.id.in_(ids)))
    return {staff_id: email for staff_id, email in rows}


def _thread(session: Session, draft: Draft) -> list[ThreadEntry]:
    """The consultation so far: the asker's messages and the replies we sent, in order."""
    if draft.consultation_id is None:
        return []
    entries = [
        ThreadEntry(as_utc(m.created_at), m.sender_address, m.new_text, False)
        for m in session.scalars(
            select(ConsultationMessage)
            .where(ConsultationMessage.consultation_id == draft.consultation_id)
            .order_by(ConsultationMessage.id)
        )
    ]
    for sent, raw in session.execute(
        select(OutboundMessage.sent_at, OutboundMessage.raw).where(
            OutboundMessage.consultation_id == draft.consultation_id,
            OutboundMessage.status == "sent",
        )
    ):
        entries.append(
            ThreadEntry(as_utc(sent) if sent else None, "CaseConsultant", _text_of(raw), True)
        )
    entries.sort(key=lambda e: e.at or dt.datetime.max.replace(tzinfo=dt.UTC))
    return entries


def _text_of(raw: bytes) -> str:
    """The text part of a reply as it was sent (the reviewer's edit included)."""
    from email import message_from_bytes
    from email.policy import default

    body = message_from_bytes(raw, policy=default).get_body(("plain",))
    return str(body.get_content()) if body is not None else ""
