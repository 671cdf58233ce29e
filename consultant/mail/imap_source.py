"""The IMAP mailbox source (imapclient), with IDLE, MOVE and an honest TLS policy.

``imaps://`` is TLS from the first byte; ``imap://...?starttls=1`` upgrades
with STARTTLS before logging in and fails, rather than sending the password
in the clear, when the server does not offer it. Messages are read with
``BODY.PEEK[]`` so ``\\Seen`` is never touched (a person may read the
mailbox too), and processed mail is moved to a folder, never deleted.
"""

from __future__ import annotations

import contextlib
import functools
import ssl
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ParamSpec, TypeVar
from urllib.parse import parse_qs, unquote, urlsplit

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from consultant.mail.sources import MailboxError, MailboxUnavailable, PendingMessage

#: The keyword that marks a processed message on servers without MOVE.
PROCESSED_KEYWORD = b"$CaseConsultantProcessed"
_TRUE = ("1", "true", "yes", "on")
# UIDs per FETCH command: keeps the command line well under servers' limits (Dovecot: 64 kB).
_FETCH_CHUNK = 1000
_P = ParamSpec("_P")
_R = TypeVar("_R")


def _unavailable_on_network_errors(method: Callable[_P, _R]) -> Callable[_P, _R]:
    """Turn a dropped connection or a server error into MailboxUnavailable (the poller retries)."""

    @functools.wraps(method)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            return method(*args, **kwargs)
        except IMAPClientError as exc:
            # The server's own words ("Mailbox doesn't exist", "Authentication failed")
            # tell the operator what is wrong; they never echo a password or a message.
            raise MailboxUnavailable(
                f"IMAP {_server_of(args)}: {type(exc).__name__}: {str(exc)[:200]}"
            ) from exc
        except (OSError, EOFError) as exc:
            # "Connection refused", "Name or service not known", a certificate that does
            # not verify: the system's words, which never hold a password either.
            reason = f"{type(exc).__name__}: {str(exc)[:200]}" if str(exc) else type(exc).__name__
            raise MailboxUnavailable(f"IMAP {_server_of(args)}: {reason}") from exc

    return wrapper


def _server_of(args: tuple[object, ...]) -> str:
    """``host:port`` of the ImapSource a method was called on: which server failed."""
    source = args[0] if args else None
    if isinstance(source, ImapSource):
        return f"{source.host}:{source.port}"
    return "server"


@dataclass
class ImapSource:
    """One folder of an IMAP mailbox."""

    host: str
    port: int
    username: str
    password: str = field(repr=False)
    folder: str = "INBOX"
    use_ssl: bool = False
    starttls: bool = False
    processed_folder: str = "Processed"
    ssl_context: ssl.SSLContext | None = None
    timeout: float = 30.0
    _client: IMAPClient | None = field(default=None, repr=False)
    _uidvalidity: int = 0
    _processed_ready: bool = False
    # The highest UID listed so far, and whether a command ran since the last check.
    _highest_listed: int = 0
    _check_before_idle: bool = False

    @classmethod
    def from_url(cls, url: str, ssl_context: ssl.SSLContext | None = None) -> ImapSource:
        """Parse ``imap[s]://user:pass@host[:port]/FOLDER[?starttls=1&processed=Folder]``."""
        parts = urlsplit(url)
        if not parts.hostname or parts.username is None:
            raise MailboxError(
                f"an IMAP URL needs a user and a host (imap://user:pass@host/INBOX), "
                f"not {parts.scheme}://{parts.netloc.rpartition('@')[2]}{parts.path}"
            )
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        use_ssl = parts.scheme == "imaps"
        starttls = query.get("starttls", "").lower() in _TRUE
        if use_ssl and starttls:
            raise MailboxError("imaps:// is already TLS; starttls=1 is for imap://")
        return cls(
            host=parts.hostname,
            port=parts.port or (993 if use_ssl else 143),
            username=unquote(parts.username),
            password=unquote(parts.password or ""),
            folder=unquote(parts.path.lstrip("/")) or "INBOX",
            use_ssl=use_ssl,
            starttls=starttls,
            processed_folder=query.get("processed", "Processed"),
            ssl_context=ssl_context,
        )

    @property
    def identity(self) -> str:
        scheme = "imaps" if self.use_ssl else "imap"
        return f"{scheme}://{self.username}@{self.host}:{self.port}/{self.folder}"

    def _connected(self) -> IMAPClient:
        if self._client is None:
            raise MailboxUnavailable("IMAP: not connected")
        return self._client

    @_unavailable_on_network_errors
    def open(self) -> None:
        self.close()
        context = self.ssl_context or (ssl.create_default_context() if self.use_ssl else None)
        client = IMAPClient(
            self.host, port=self.port, ssl=self.use_ssl, ssl_context=context, timeout=self.timeout
        )
        try:
            if self.starttls:
                # Never fall back to plain text when TLS was asked for.
                if not client.has_capability("STARTTLS"):
                    raise MailboxError(
                        "the IMAP server does not offer STARTTLS; refusing to log in"
                    )
                client.starttls(self.ssl_context or ssl.create_default_context())
            client.login(self.username, self.password)
            selected = client.select_folder(self.folder)
        except BaseException:
            _close_quietly(client)
            raise
        self._client = client
        self._uidvalidity = int(selected[b"UIDVALIDITY"])
        self._processed_ready = False
        self._highest_listed = 0
        self._check_before_idle = True

    def close(self) -> None:
        if self._client is not None:
            client, self._client = self._client, None
            _close_quietly(client)

    def uidvalidity(self) -> int:
        self._connected()
        return self._uidvalidity

    @_unavailable_on_network_errors
    def list_pending(self, after_uid: int = 0) -> list[PendingMessage]:
        client = self._connected()
        # NOOP makes the server show this session mail that arrived since the last
        # command (RFC 3501 6.1.2); without it a long-lived session can miss it.
        client.noop()
        # "N:*" always matches the last message even when its UID is below N (RFC 3501
        # 6.4.8), so the UIDs are filtered again below.
        uids = sorted(int(uid) for uid in client.search(["UID", f"{after_uid + 1}:*"]))
        uids = [uid for uid in uids if uid > after_uid]
        self._highest_listed = max([self._highest_listed, *uids])
        self._check_before_idle = True
        pending = []
        for start in range(0, len(uids), _FETCH_CHUNK):
            fetched = client.fetch(uids[start : start + _FETCH_CHUNK], ["RFC822.SIZE", "FLAGS"])
            for uid, data in fetched.items():
                if uid <= after_uid or PROCESSED_KEYWORD in data.get(b"FLAGS", ()):
                    continue
                pending.append(PendingMessage(uid=int(uid), size=int(data[b"RFC822.SIZE"])))
        return sorted(pending, key=lambda message: message.uid)

    @_unavailable_on_network_errors
    def fetch(self, uids: Sequence[int]) -> dict[int, bytes]:
        return self._fetch_part(uids, "BODY.PEEK[]", b"BODY[]")

    @_unavailable_on_network_errors
    def fetch_headers(self, uids: Sequence[int]) -> dict[int, bytes]:
        return self._fetch_part(uids, "BODY.PEEK[HEADER]", b"BODY[HEADER]")

    def _fetch_part(self, uids: Sequence[int], item: str, key: bytes) -> dict[int, bytes]:
        if not uids:
            return {}
        fetched = self._connected().fetch(list(uids), [item])
        wanted = set(uids)
        return {
            int(uid): bytes(data[key])
            for uid, data in fetched.items()
            if uid in wanted and data.get(key) is not None
        }

    @_unavailable_on_network_errors
    def mark_processed(self, uids: Sequence[int]) -> None:
        if not uids:
            return
        client = self._connected()
        if client.has_capability("MOVE"):
            self._ensure_processed_folder(client)
            try:
                client.move(list(uids), self.processed_folder)
            except IMAPClientError:
                # Dovecot answers NO [EXPUNGEISSUED] when another session moved some
                # of them first: move the ones still here (none left is success).
                client.noop()
                remaining = client.search(["UID", ",".join(str(uid) for uid in uids)])
                if remaining:
                    client.move(remaining, self.processed_folder)
        else:
            client.add_flags(list(uids), [PROCESSED_KEYWORD], silent=True)

    def _ensure_processed_folder(self, client: IMAPClient) -> None:
        if self._processed_ready:
            return
        if not client.folder_exists(self.processed_folder):
            try:
                client.create_folder(self.processed_folder)
            except IMAPClientError:
                # Another poller may have created it a moment ago.
                if not client.folder_exists(self.processed_folder):
                    raise
        self._processed_ready = True

    @_unavailable_on_network_errors
    def wait_for_new(self, timeout: float) -> bool:
        client = self._connected()
        if not client.has_capability("IDLE"):
            time.sleep(timeout)
            client.noop()
            return True
        if self._check_before_idle:
            # Mail that arrived while the last pass ran was announced in the reply to
            # some other command (MOVE, FETCH), where imaplib keeps it; IDLE will not
            # announce it again. Look for it once, directly.
            self._check_before_idle = False
            highest = self._highest_listed
            if any(uid > highest for uid in client.search(["UID", f"{highest + 1}:*"])):
                return True
        client.idle()
        try:
            responses = client.idle_check(timeout=timeout)
        finally:
            _, late = client.idle_done()
        return any(_announces_mail(response) for response in [*responses, *late])

    @_unavailable_on_network_errors
    @_unavailable_on_network_errors
    def append_to(self, folder: str, raw: bytes) -> None:
        """Append ``raw``, marked read, to ``folder`` (created when missing): the Sent copy."""
        opened_here = self._client is None
        if opened_here:
            self.open()
        try:
            client = self._connected()
            if not client.folder_exists(folder):
                client.create_folder(folder)
            client.append(folder, raw, flags=(b"\\Seen",))
        finally:
            if opened_here:
                self.close()

    def deliver(self, raw: bytes) -> None:
        opened_here = self._client is None
        if opened_here:
            self.open()
        try:
            self._connected().append(self.folder, raw)
        finally:
            if opened_here:
                self.close()


def _announces_mail(response: Any) -> bool:
    # Untagged "* 3 EXISTS" / "* 1 RECENT" mean new mail; "* OK Still here" does not.
    return (
        isinstance(response, tuple) and len(response) >= 2 and response[1] in (b"EXISTS", b"RECENT")
    )


def _close_quietly(client: IMAPClient) -> None:
    try:
        client.logout()
    except (TimeoutError, IMAPClientError, OSError, EOFError):
        with contextlib.suppress(IMAPClientError, OSError, EOFError):
            client.shutdown()
        # shutdown() can fail before closing the socket when the peer is gone.
        with contextlib.suppress(OSError):
            client.socket().close()
