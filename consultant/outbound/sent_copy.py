"""A copy of each sent reply in the mailbox's Sent folder, so the team sees it in its mail client.

Only where the mailbox is IMAP; the copy is best effort after the send (a reply
is never held back for it), recorded on the row so it is made once.
"""

from __future__ import annotations

import logging

from sqlalchemy import update

from consultant.config import Settings
from consultant.db import rows_changed, unit_of_work
from consultant.mail.imap_source import ImapSource
from consultant.outbound.models import OutboundMessage
from consultant.outbound.states import OutboundStatus

_log = logging.getLogger(__name__)


def copy_to_sent_folder(settings: Settings, outbound_id: int) -> bool:
    """Append the sent reply to ``CONSULTANT_SENT_FOLDER``; False when there is nothing to do."""
    if not settings.imap_url.startswith("imap") or not settings.sent_folder:
        return False
    url = settings.resolved_database_url
    with unit_of_work(url) as session:
        row = session.get(OutboundMessage, outbound_id)
        if row is None or row.status != OutboundStatus.SENT or row.copied_to_sent_folder:
            return False
        raw = row.raw
    try:
        ImapSource.from_url(settings.imap_url).append_to(settings.sent_folder, raw)
    except Exception as exc:  # the reply is sent; a missing copy must not fail the send
        _log.warning("outbound %d: Sent copy failed (%s)", outbound_id, type(exc).__name__)
        return False
    with unit_of_work(url) as session:
        marked = session.execute(
            update(OutboundMessage)
            .where(OutboundMessage.id == outbound_id)
            .values(copied_to_sent_folder=True)
        )
        return rows_changed(marked) == 1
