"""Real servers for tests, started on free loopback ports and stopped after.

Dovecot (IMAP with IDLE and MOVE, Maildir storage), an SMTP sink (aiosmtpd)
that keeps what it receives, and Redis. Each gets its own temporary folder,
so several test processes can run side by side and the machine's own
configuration (/etc/dovecot, the system Redis) is never touched.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pwd
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

from imapclient import IMAPClient

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
DOVEADM = shutil.which("doveadm") or "/usr/bin/doveadm"
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
# Dovecot refuses to run mail processes as root; the tests' mail user is nobody.
MAIL_USER = "nobody"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, timeout: float = 15.0) -> None:
    """Block until something accepts connections on 127.0.0.1:``port``."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise TimeoutError(f"nothing listens on 127.0.0.1:{port}") from None
            time.sleep(0.05)


def _world_readable_tempdir(prefix: str) -> Path:
    # pytest's tmp_path is mode 0700 under root; the mail user must reach its home.
    root = Path(tempfile.mkdtemp(prefix=prefix))
    root.chmod(0o755)
    return root


_DOVECOT_CONF = """\
# Written by tests/servers.py: one throwaway Dovecot, nothing from /etc/dovecot.
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
instance_name = dovecot-test-{port}
log_path = {root}/dovecot.log
{ssl_settings}
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:~/Maildir
mail_uid = {uid}
mail_gid = {gid}
first_valid_uid = 1
first_valid_gid = 1
imap_idle_notify_interval = 10 secs
auth_failure_delay = 0
passdb {{
  driver = static
  args = password={password}
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%n
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port}
  }}
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0666
  }}
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
"""


@dataclass
class DovecotServer:
    """One Dovecot IMAP server with a static password and Maildir storage."""

    user: str = "coder"
    password: str = "secret-imap-password"
    port: int = field(default_factory=free_port)
    root: Path = field(default_factory=lambda: _world_readable_tempdir("dovecot-"))
    process: subprocess.Popen[bytes] | None = None
    #: With TLS: STARTTLS on ``port`` and implicit TLS (imaps) on ``tls_port``, with a
    #: self-signed certificate for 127.0.0.1 at ``certificate_path``.
    tls: bool = False
    tls_port: int = 0

    @property
    def certificate_path(self) -> Path:
        return self.root / "cert.pem"

    def client_ssl_context(self) -> ssl.SSLContext:
        """A context that trusts this server's self-signed certificate (and nothing else)."""
        return ssl.create_default_context(cafile=str(self.certificate_path))

    def _make_certificate(self) -> None:
        make_certificate(self.root)

    @property
    def config_path(self) -> Path:
        return self.root / "dovecot.conf"

    @property
    def maildir(self) -> Path:
        """The user's Maildir on disk (INBOX is its top level, Processed is .Processed)."""
        return self.root / "home" / self.user / "Maildir"

    def url(self, folder: str = "INBOX", scheme: str = "imap", query: str = "") -> str:
        """The CONSULTANT_IMAP_URL of this server's ``folder`` (imaps: the TLS port if any)."""
        suffix = f"?{query}" if query else ""
        port = self.tls_port if scheme == "imaps" and self.tls else self.port
        return f"{scheme}://{self.user}:{self.password}@127.0.0.1:{port}/{folder}{suffix}"

    def start(self) -> None:
        mail = pwd.getpwnam(MAIL_USER)
        (self.root / "home").mkdir(exist_ok=True)
        home = self.root / "home" / self.user
        home.mkdir(exist_ok=True)
        os.chown(home, mail.pw_uid, mail.pw_gid)
        if self.tls:
            if not self.certificate_path.exists():
                self._make_certificate()
            self.tls_port = self.tls_port or free_port()
            ssl_settings = (
                f"ssl = yes\nssl_cert = <{self.certificate_path}\nssl_key = <{self.root}/key.pem"
            )
        else:
            ssl_settings = "ssl = no"
        self.config_path.write_text(
            _DOVECOT_CONF.format(
                ssl_settings=ssl_settings,
                tls_port=self.tls_port,
                root=self.root,
                port=self.port,
                uid=mail.pw_uid,
                gid=mail.pw_gid,
                password=self.password,
            )
        )
        with open(self.root / "dovecot.stderr", "ab") as stderr:
            self.process = subprocess.Popen(
                [DOVECOT, "-F", "-c", str(self.config_path)],
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                # Its own process group, so stop() can end the imap children too.
                start_new_session=True,
            )
        try:
            wait_for_port(self.port)
        except TimeoutError:
            self.stop()
            raise RuntimeError(f"dovecot did not start: {self.log_tail()}") from None

    def stop(self, graceful: bool = True) -> None:
        """Stop the server; ``graceful=False`` kills it at once (test teardown, a crash)."""
        if self.process is None:
            return
        self.process.send_signal(signal.SIGTERM if graceful else signal.SIGKILL)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        # Sessions still running (imap processes) go too, as when a real server goes down.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process = None
        # The master has gone; wait until its listener is closed too, so a
        # restart on the same port never races the old one.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    time.sleep(0.05)
            except OSError:
                return

    def restart(self) -> None:
        self.stop()
        self.start()

    def cleanup(self) -> None:
        self.stop(graceful=False)
        shutil.rmtree(self.root, ignore_errors=True)

    def log_tail(self, lines: int = 20) -> str:
        text = ""
        for name in ("dovecot.stderr", "dovecot.log"):
            path = self.root / name
            if path.exists():
                text += path.read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def client(self) -> IMAPClient:
        """A logged-in IMAP client (the caller logs out)."""
        imap = IMAPClient("127.0.0.1", port=self.port, ssl=False, timeout=30)
        imap.login(self.user, self.password)
        return imap

    def append(self, raw: bytes, folder: str = "INBOX") -> int:
        """APPEND ``raw`` to ``folder`` as a mail client would; returns its UID."""
        with contextlib.closing(_LoggingOut(self.client())) as session:
            if not session.imap.folder_exists(folder):
                session.imap.create_folder(folder)
            response = session.imap.append(folder, raw)
        # Dovecot answers "[APPENDUID <uidvalidity> <uid>] Append completed."
        text = response.decode() if isinstance(response, bytes) else str(response)
        return int(text.split("]")[0].split()[-1])

    def append_many(self, raws: list[bytes], folder: str = "INBOX") -> None:
        """APPEND each of ``raws`` over one connection (fast: for runs of thousands)."""
        with contextlib.closing(_LoggingOut(self.client())) as session:
            if not session.imap.folder_exists(folder):
                session.imap.create_folder(folder)
            for raw in raws:
                session.imap.append(folder, raw)

    def uids(self, folder: str = "INBOX") -> list[int]:
        """The UIDs now in ``folder`` (empty if it does not exist)."""
        with contextlib.closing(_LoggingOut(self.client())) as session:
            if not session.imap.folder_exists(folder):
                return []
            session.imap.select_folder(folder, readonly=True)
            return sorted(int(uid) for uid in session.imap.search("ALL"))

    def messages(self, folder: str = "INBOX") -> list[bytes]:
        """The raw bytes of every message in ``folder``, in UID order."""
        with contextlib.closing(_LoggingOut(self.client())) as session:
            if not session.imap.folder_exists(folder):
                return []
            session.imap.select_folder(folder, readonly=True)
            fetched = session.imap.fetch(session.imap.search("ALL"), ["BODY.PEEK[]"])
            return [fetched[uid][b"BODY[]"] for uid in sorted(fetched)]

    def uidvalidity(self, folder: str = "INBOX") -> int:
        with contextlib.closing(_LoggingOut(self.client())) as session:
            status = session.imap.folder_status(folder, ["UIDVALIDITY"])
            return int(status[b"UIDVALIDITY"])

    def set_uidvalidity(self, value: int, folder: str = "INBOX") -> None:
        """Change ``folder``'s UIDVALIDITY, as a server rebuild or migration would."""
        subprocess.run(
            [
                DOVEADM,
                "-c",
                str(self.config_path),
                "mailbox",
                "update",
                "-u",
                self.user,
                "--uid-validity",
                str(value),
                folder,
            ],
            check=True,
            capture_output=True,
        )


class _LoggingOut:
    """Log out of an IMAP client on close (for contextlib.closing)."""

    def __init__(self, imap: IMAPClient) -> None:
        self.imap = imap

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.imap.logout()


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 in ``folder``: (cert.pem, key.pem)."""
    certificate, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
            "-keyout", str(key), "-out", str(certificate),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return certificate, key


class SmtpSink:
    """An aiosmtpd server on a free port that keeps every message it receives.

    ``tls="starttls"`` offers (and requires) STARTTLS, ``tls="implicit"`` speaks TLS from
    the first byte (smtps); both with a self-signed certificate made in ``tls_dir``,
    whose path is :attr:`certificate`.
    """

    def __init__(self, tls: str = "", tls_dir: Path | None = None) -> None:
        from aiosmtpd.controller import Controller

        self.port = free_port()
        self.received: list[tuple[str, list[str], bytes]] = []
        #: The reply to DATA, e.g. "550 5.7.1 refused" or "451 4.3.0 try later" (kept or not).
        self.answer = "250 Message accepted for delivery"
        #: Keep the message, then drop the connection without answering DATA.
        self.drop_after_data = False
        #: Seconds to wait before answering DATA: a slow server, so a kill lands mid-send.
        self.data_delay = 0.0
        self._arrived = threading.Condition()
        self.tls = tls
        self.certificate: Path | None = None
        options: dict[str, Any] = {}
        if tls:
            assert tls_dir is not None, "a TLS sink needs a folder for its certificate"
            self.certificate, key = make_certificate(tls_dir)
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(self.certificate, key)
            if tls == "implicit":
                options["ssl_context"] = context
            else:
                options.update(tls_context=context, require_starttls=True)
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port, **options)

    @property
    def url(self) -> str:
        return f"{'smtps' if self.tls == 'implicit' else 'smtp'}://127.0.0.1:{self.port}"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content = envelope.original_content or envelope.content
        if self.data_delay:
            await asyncio.sleep(self.data_delay)
        if not self.answer.startswith("250"):
            return self.answer  # refused: nothing kept
        with self._arrived:
            self.received.append((envelope.mail_from, list(envelope.rcpt_tos), bytes(content)))
            self._arrived.notify_all()
        if self.drop_after_data:
            server.transport.close()
        return self.answer

    def start(self) -> None:
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Message]:
        """Block until ``count`` messages have arrived; return them parsed."""
        with self._arrived:
            if not self._arrived.wait_for(lambda: len(self.received) >= count, timeout):
                raise TimeoutError(f"{len(self.received)} of {count} messages arrived")
            return [message_from_bytes(raw) for _, _, raw in self.received]


@dataclass
class RedisServer:
    """A redis-server without persistence on a free port."""

    port: int = field(default_factory=free_port)
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="redis-")))
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                REDIS_SERVER,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.root),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port)

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def restart(self) -> None:
        """Stop and start again on the same port: every queued message is gone."""
        self.stop()
        self.start()

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)
