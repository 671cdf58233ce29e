"""Where an approved reply's bytes go: an SMTP server, or the embedded file outbox.

``CONSULTANT_SMTP_URL``:

- ``smtps://user:password@host:465``: TLS from the first byte;
- ``smtp://user:password@host:587``: STARTTLS, required. A server that does not
  offer it, or a handshake that fails, is an error: the reply is never sent in
  plain text instead. ``?starttls=no`` turns TLS off on purpose, for a relay on
  this machine; ``?cafile=PATH`` trusts a private certificate authority;
- empty: the embedded default, each reply written to ``var/outbox/`` as ``.eml``.

A transport says whether a failure is worth retrying (:class:`TemporarySendError`:
a 4xx answer, a refused or dropped connection, a failed TLS handshake) or not
(:class:`PermanentSendError`: a 5xx answer, whose text the operator sees).
"""

from __future__ import annotations

import os
import re
import smtplib
import ssl
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit

#: Seconds an SMTP conversation may stall before it counts as a dropped connection.
SMTP_TIMEOUT = 30


class TemporarySendError(Exception):
    """Worth retrying later; the message is one line without the reply's content."""


class PermanentSendError(Exception):
    """The server refused the reply for good (5xx); the message is its answer."""


class OutboundTransport(Protocol):
    """Sends one reply's exact bytes; returns the server's acceptance, for the record."""

    def send(self, sender: str, recipients: list[str], raw: bytes, message_id: str) -> str: ...


class FileOutbox:
    """The embedded default: one ``.eml`` per reply, named by its Message-ID.

    A second send of the same reply rewrites the same file, so a retry after a
    crash never leaves two copies. Files are written under a temporary name and
    renamed into place, so a reader never sees half a message.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def send(self, sender: str, recipients: list[str], raw: bytes, message_id: str) -> str:
        self.folder.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9._-]", "_", message_id.strip("<> ")) + ".eml"
        target = self.folder / name
        handle, temporary = tempfile.mkstemp(dir=self.folder, prefix=".sending-", suffix=".eml")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(raw)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, target)
        except OSError as exc:
            Path(temporary).unlink(missing_ok=True)
            raise TemporarySendError(
                f"outbox folder {self.folder}: {exc.strerror or exc}"
            ) from None
        return f"written to {target}"


class SmtpTransport:
    """An SMTP server reached with ``smtplib``: one connection per reply."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        query = parse_qs(parts.query)
        self.implicit_tls = parts.scheme == "smtps"
        self.starttls = not self.implicit_tls and query.get("starttls", ["yes"])[0] != "no"
        self.host = parts.hostname or "localhost"
        self.port = parts.port or (465 if self.implicit_tls else 587)
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.cafile = query.get("cafile", [None])[0]

    @property
    def tls_context(self) -> ssl.SSLContext:
        return tls_context(self.cafile)

    def send(self, sender: str, recipients: list[str], raw: bytes, message_id: str) -> str:
        try:
            return self._send(sender, recipients, raw)
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()))
            raise _answer_error(code, text) from None
        except smtplib.SMTPResponseException as exc:
            raise _answer_error(exc.smtp_code, exc.smtp_error) from None
        except smtplib.SMTPNotSupportedError:
            raise TemporarySendError(
                f"{self.host}:{self.port} does not offer STARTTLS; not sending in plain text"
            ) from None
        except ssl.SSLError as exc:
            raise TemporarySendError(
                f"TLS with {self.host}:{self.port} failed: {exc.reason}"
            ) from None
        except (smtplib.SMTPException, OSError) as exc:
            raise TemporarySendError(
                f"{self.host}:{self.port}: {type(exc).__name__}: {exc}"
            ) from None

    def _send(self, sender: str, recipients: list[str], raw: bytes) -> str:
        client: smtplib.SMTP
        if self.implicit_tls:
            client = smtplib.SMTP_SSL(
                self.host, self.port, timeout=SMTP_TIMEOUT, context=self.tls_context
            )
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=SMTP_TIMEOUT)
        with client:
            client.ehlo()
            if self.starttls:
                # Raises SMTPNotSupportedError when not offered: never a silent plain-text send.
                client.starttls(context=self.tls_context)
                client.ehlo()
            if self.username is not None:
                client.login(self.username, self.password or "")
            client.mail(sender)
            for recipient in recipients:
                code, text = client.rcpt(recipient)
                if code >= 300:
                    raise smtplib.SMTPRecipientsRefused({recipient: (code, text)})
            code, text = client.data(raw)
            if code != 250:
                raise smtplib.SMTPDataError(code, text)
            return f"{code} {text.decode('utf-8', 'replace')}"[:500]


@lru_cache(maxsize=8)
def tls_context(cafile: str | None) -> ssl.SSLContext:
    """The client TLS context for ``cafile`` (the system's CAs when None), made once per
    process: loading the CA bundle costs 25-45 ms, which made it 80% of a send's CPU
    (bench/review.py: 37 ms a send before, 7 ms after; 44 sends/s before, 137 after)."""
    return ssl.create_default_context(cafile=cafile)


def _answer_error(code: int, text: bytes | str) -> Exception:
    reason = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    answer = f"{code} {' '.join(reason.split())}"[:500]
    return PermanentSendError(answer) if 500 <= code < 600 else TemporarySendError(answer)


def transport_for(smtp_url: str, outbox_dir: Path) -> OutboundTransport:
    """The transport ``CONSULTANT_SMTP_URL`` names; the file outbox when it is empty."""
    if not smtp_url:
        return FileOutbox(outbox_dir)
    if smtp_url.startswith("file:"):
        return FileOutbox(Path(unquote(urlsplit(smtp_url).path)))
    return SmtpTransport(smtp_url)
