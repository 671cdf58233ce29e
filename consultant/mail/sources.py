"""Mailbox sources: where questions arrive, behind one small protocol.

Two implementations, chosen by ``CONSULTANT_IMAP_URL``: an IMAP mailbox
(:mod:`consultant.mail.imap_source`) and a local Maildir
(:mod:`consultant.mail.maildir_source`, the embedded default ``var/mail/``).
The poller only speaks this protocol, so it treats both the same: list what
is pending with sizes, fetch bodies, mark processed (move, never delete),
wait for news.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

from consultant.config import Settings


class MailboxError(Exception):
    """A mailbox problem the poller cannot fix by retrying (bad URL, TLS not offered)."""


class MailboxUnavailable(Exception):
    """The mailbox cannot be reached right now (network, server restart); retry later."""


@dataclass(frozen=True)
class PendingMessage:
    """A message waiting in the mailbox: its UID and its size in bytes (RFC822.SIZE)."""

    uid: int
    size: int


class MailboxSource(Protocol):
    """A mailbox the poller reads from and ``consultant ask`` delivers to."""

    @property
    def identity(self) -> str:
        """Where the mail lives, without credentials (the ledger's ``mailbox`` column)."""
        ...

    def open(self) -> None:
        """Connect (or prepare the folders); safe to call again after :meth:`close`."""
        ...

    def close(self) -> None:
        """Disconnect; never raises."""
        ...

    def uidvalidity(self) -> int:
        """The mailbox's UIDVALIDITY: UIDs are only comparable while it stays the same."""
        ...

    def list_pending(self, after_uid: int = 0) -> list[PendingMessage]:
        """Messages not yet marked processed with a UID above ``after_uid``, in UID order."""
        ...

    def fetch(self, uids: Sequence[int]) -> dict[int, bytes]:
        """The raw bytes of ``uids`` without changing any flag; vanished ones are left out."""
        ...

    def fetch_headers(self, uids: Sequence[int]) -> dict[int, bytes]:
        """Only the header section of ``uids`` (for messages too large to download)."""
        ...

    def mark_processed(self, uids: Sequence[int]) -> None:
        """Move ``uids`` out of the way (a Processed folder), or flag them; never delete."""
        ...

    def wait_for_new(self, timeout: float) -> bool:
        """Block up to ``timeout`` seconds; True if the mailbox may have new mail."""
        ...

    def deliver(self, raw: bytes) -> None:
        """Put a new message into the mailbox, as a mail server would (``consultant ask``)."""
        ...


def source_from_url(url: str, default_maildir: Path) -> MailboxSource:
    """The source a mailbox URL names; an empty URL means the Maildir ``default_maildir``.

    ``imap://user:pass@host:143/INBOX``, ``imap://...?starttls=1``, ``imaps://...:993/INBOX``
    (``?processed=Folder`` names the folder processed mail is moved to), or
    ``maildir:/absolute/path``.
    """
    if not url:
        from consultant.mail.maildir_source import MaildirSource

        return MaildirSource(default_maildir)
    parts = urlsplit(url)
    if parts.scheme == "maildir":
        from consultant.mail.maildir_source import MaildirSource

        path = unquote(parts.path or parts.netloc)
        if not path:
            raise MailboxError("a maildir: URL needs a path, such as maildir:/srv/mail/questions")
        return MaildirSource(Path(path))
    if parts.scheme in ("imap", "imaps"):
        from consultant.mail.imap_source import ImapSource

        return ImapSource.from_url(url)
    raise MailboxError(f"unknown mailbox URL scheme {parts.scheme!r}")


def source_from_settings(settings: Settings) -> MailboxSource:
    """The mailbox the settings configure: ``CONSULTANT_IMAP_URL`` or the embedded Maildir."""
    return source_from_url(settings.imap_url, settings.mail_dir)
