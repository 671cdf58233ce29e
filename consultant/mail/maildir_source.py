"""The Maildir mailbox source: the embedded default (``var/mail/``), and real for servers
that deliver into a Maildir.

Maildir has no UIDs, so this source keeps its own, the way Dovecot does: a
``consultant-uidlist`` file in the Maildir maps each message's unique base
name (the file name before ``:2,``, which stays the same when a mail client
moves it from ``new/`` to ``cur/``) to a UID assigned in arrival order. Its
first line holds the UIDVALIDITY (the time the list was created) and the next
UID. Losing the file is a UIDVALIDITY change: the poller re-scans and dedupes
by content hash. Processed mail is moved to the ``.Processed`` Maildir++
folder, never deleted.
"""

from __future__ import annotations

import fcntl
import itertools
import os
import socket
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from consultant.mail.sources import MailboxUnavailable, PendingMessage

UIDLIST_NAME = "consultant-uidlist"
_SUBDIRS = ("tmp", "new", "cur")
_delivery_counter = itertools.count()


def _base_name(file_name: str) -> str:
    return file_name.split(":", 1)[0]


class MaildirSource:
    """A Maildir folder; ``root`` holds ``new/``, ``cur/`` and ``tmp/``."""

    def __init__(
        self, root: Path, processed_folder: str = ".Processed", poll_interval: float = 0.1
    ):
        self.root = root.resolve()
        self.processed = self.root / processed_folder
        self.poll_interval = poll_interval
        self._uidvalidity = 0
        self._known: set[str] = set()

    @property
    def identity(self) -> str:
        return f"maildir:{self.root}"

    def open(self) -> None:
        try:
            for folder in (self.root, self.processed):
                for sub in _SUBDIRS:
                    (folder / sub).mkdir(parents=True, exist_ok=True)
            with self._locked_uidlist() as (uidvalidity, _, _):
                self._uidvalidity = uidvalidity
        except OSError as exc:
            raise MailboxUnavailable(f"Maildir: {type(exc).__name__}") from exc

    def close(self) -> None:
        self._known = set()

    def uidvalidity(self) -> int:
        with self._locked_uidlist() as (uidvalidity, _, _):
            self._uidvalidity = uidvalidity
        return uidvalidity

    def list_pending(self, after_uid: int = 0) -> list[PendingMessage]:
        pending = []
        paths = self._assign_uids()
        # What wait_for_new compares against: only what a listing has shown the poller.
        self._known = {_base_name(path.name) for path in paths.values()}
        for uid, path in paths.items():
            if uid <= after_uid:
                continue
            try:
                pending.append(PendingMessage(uid=uid, size=path.stat().st_size))
            except FileNotFoundError:
                continue  # moved away since the scan
        return sorted(pending, key=lambda message: message.uid)

    def fetch(self, uids: Sequence[int]) -> dict[int, bytes]:
        paths = self._assign_uids()
        fetched = {}
        for uid in uids:
            if uid in paths:
                try:
                    fetched[uid] = paths[uid].read_bytes()
                except FileNotFoundError:
                    continue
        return fetched

    def fetch_headers(self, uids: Sequence[int]) -> dict[int, bytes]:
        headers = {}
        for uid, path in self._assign_uids().items():
            if uid not in uids:
                continue
            try:
                headers[uid] = _read_header_section(path)
            except FileNotFoundError:
                continue
        return headers

    def mark_processed(self, uids: Sequence[int]) -> None:
        paths = self._assign_uids()
        for uid in uids:
            path = paths.get(uid)
            if path is None:
                continue  # already moved
            info = path.name.split(":", 1)[1] if ":" in path.name else "2,"
            try:
                os.rename(path, self.processed / "cur" / f"{_base_name(path.name)}:{info}")
            except FileNotFoundError:
                continue

    def wait_for_new(self, timeout: float) -> bool:
        # No inotify in the standard library; a directory listing every 0.1 s is cheap.
        deadline = time.monotonic() + timeout
        while True:
            if self._unseen_names():
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            time.sleep(min(self.poll_interval, remaining))

    def deliver(self, raw: bytes) -> None:
        """Deliver the Maildir way: write into ``tmp/``, then rename into ``new/`` (atomic)."""
        for sub in _SUBDIRS:
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        now = time.time()
        name = (
            f"{int(now)}.M{int(now % 1 * 1_000_000):06d}P{os.getpid()}"
            f"Q{next(_delivery_counter)}.{socket.gethostname()}"
        )
        tmp_path = self.root / "tmp" / name
        with open(tmp_path, "wb") as handle:
            handle.write(raw)
            handle.flush()
            os.fsync(handle.fileno())
        os.rename(tmp_path, self.root / "new" / f"{name},S={len(raw)}")

    def _message_files(self) -> dict[str, Path]:
        files = {}
        for sub in ("new", "cur"):
            try:
                entries = os.scandir(self.root / sub)
            except FileNotFoundError:
                continue
            with entries:
                for entry in entries:
                    if not entry.name.startswith(".") and entry.is_file():
                        files[_base_name(entry.name)] = Path(entry.path)
        return files

    def _unseen_names(self) -> bool:
        return bool(set(self._message_files()) - self._known)

    def _assign_uids(self) -> dict[int, Path]:
        """UID -> current path of every message in new/ and cur/, giving new ones the next UIDs."""
        with self._locked_uidlist() as (uidvalidity, next_uid, uids):
            self._uidvalidity = uidvalidity
            files = self._message_files()
            # Assign in arrival order: modification time, then name (names start with
            # the delivery time, but not every deliverer pads the microseconds).
            for base in sorted(set(files) - set(uids), key=lambda b: _arrival_key(files[b])):
                uids[base] = next_uid
                next_uid += 1
            # Forget messages that have left (moved to Processed); keep the list short.
            for base in set(uids) - set(files):
                del uids[base]
            self._write_uidlist(uidvalidity, next_uid, uids)
        return {uid: files[base] for base, uid in uids.items()}

    @contextmanager
    def _locked_uidlist(self) -> Iterator[tuple[int, int, dict[str, int]]]:
        # Two processes (two pollers, or a poller and `consultant ask --once`) may scan at once.
        lock_path = self.root / f"{UIDLIST_NAME}.lock"
        with open(lock_path, "a") as lock:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
            try:
                yield self._read_uidlist()
            finally:
                fcntl.flock(lock.fileno(), fcntl.LOCK_UN)

    def _read_uidlist(self) -> tuple[int, int, dict[str, int]]:
        path = self.root / UIDLIST_NAME
        try:
            lines = path.read_text().splitlines()
        except FileNotFoundError:
            lines = []
        if not lines:
            uidvalidity = int(time.time())
            self._write_uidlist(uidvalidity, 1, {})
            return uidvalidity, 1, {}
        # "V<uidvalidity> N<next uid>"
        header = {field[0]: field[1:] for field in lines[0].split()}
        uids = {}
        for line in lines[1:]:
            uid, _, base = line.partition(" ")
            uids[base] = int(uid)
        return int(header["V"]), int(header["N"]), uids

    def _write_uidlist(self, uidvalidity: int, next_uid: int, uids: dict[str, int]) -> None:
        path = self.root / UIDLIST_NAME
        tmp_path = path.with_name(f"{UIDLIST_NAME}.tmp")
        body = "".join(f"{uid} {base}\n" for base, uid in sorted(uids.items(), key=lambda i: i[1]))
        tmp_path.write_text(f"V{uidvalidity} N{next_uid}\n{body}")
        os.replace(tmp_path, path)


def _arrival_key(path: Path) -> tuple[int, str]:
    try:
        return path.stat().st_mtime_ns, path.name
    except FileNotFoundError:
        return 0, path.name


def _read_header_section(path: Path) -> bytes:
    header = bytearray()
    with open(path, "rb") as handle:
        for line in handle:
            header += line
            if line in (b"\n", b"\r\n"):
                break
    return bytes(header)
