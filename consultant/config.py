"""One typed settings object, read from ``CONSULTANT_*`` variables.

Nothing else in the code base reads ``os.environ``. With no variable set the
service runs on its embedded defaults: a SQLite file under ``var/``, a broker
that needs no server, a Maildir mailbox and a file outbox, so a newcomer needs
nothing but Python.
"""

from __future__ import annotations

from email.utils import getaddresses
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

#: Where the embedded defaults keep their files, unless CONSULTANT_VAR_DIR says otherwise.
DEFAULT_VAR_DIR = Path("var")

_DATABASE_SCHEMES = ("sqlite", "postgresql")
_BROKER_SCHEMES = ("redis", "rediss", "sqla+sqlite", "sqla+postgresql", "filesystem", "memory")
_IMAP_SCHEMES = ("imap", "imaps", "maildir")
_SMTP_SCHEMES = ("smtp", "smtps", "file")


class SettingsError(Exception):
    """A setting has a value the service cannot start with; the message names the variable."""


def _check_scheme(value: str, allowed: tuple[str, ...], what: str) -> str:
    scheme = urlsplit(value).scheme
    # "postgresql+psycopg" names a driver after the "+": the part before it is the scheme.
    if scheme not in allowed and scheme.split("+", 1)[0] not in allowed:
        raise ValueError(f"{what} must start with one of {', '.join(s + '://' for s in allowed)}")
    return value


def without_password(url: str) -> str:
    """``url`` with its password replaced by ``***``, fit for a message or a log."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    return parts._replace(netloc=f"{parts.username}:***@{host}").geturl()


def _check_mailbox_url(value: str) -> str:
    # Every message shows the URL (without its password): which host was meant is the clue.
    shown = without_password(value)
    try:
        _check_scheme(value, _IMAP_SCHEMES, "a mailbox URL")
        parts = urlsplit(value)
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"{shown}: {exc}") from None
    if parts.scheme in ("imap", "imaps"):
        if not parts.hostname:
            raise ValueError(f"{shown} names no host: write imap://user:pass@host:143/INBOX")
        if not parts.username:
            where = f"{parts.hostname}:{port}" if port else parts.hostname
            raise ValueError(
                f"{shown} names no user for host {parts.hostname}: "
                f"write {parts.scheme}://user:pass@{where}/INBOX"
            )
    return value


class Settings(BaseSettings):
    """Every setting the service reads, with its embedded default."""

    model_config = SettingsConfigDict(env_prefix="CONSULTANT_", extra="ignore")

    var_dir: Path = Field(DEFAULT_VAR_DIR, description="Folder for the embedded defaults' files.")
    database_url: str = Field("", description="SQLAlchemy URL; empty means SQLite under var/.")
    broker_url: str = Field("", description="Celery broker URL; empty means a local one.")
    imap_url: str = Field("", description="imap://user:pass@host:143/INBOX, imaps://..., or empty.")
    smtp_url: str = Field(
        "",
        description="smtps://user:pass@host:465, smtp://user:pass@host:587 (STARTTLS, "
        "required; ?starttls=no only for a relay on this machine), or empty for var/outbox/.",
    )
    send_delay: float = Field(
        10.0, ge=0, description="Seconds an approval can be taken back before its send starts."
    )
    send_retry_minutes: float = Field(
        240.0, gt=0, description="How long temporary send failures are retried before 'failed'."
    )
    sent_folder: str = Field(
        "Sent", description="IMAP folder a copy of each sent reply goes to ('' for none)."
    )
    review_claim_minutes: float = Field(
        15.0, gt=0, description="How long a reviewer's claim on a draft lasts unless renewed."
    )
    review_target_minutes: float = Field(
        240.0, gt=0, description="The answer time the queue colours each draft's age against."
    )
    reply_from: str = Field(
        "consultant@localhost",
        description="From address of replies, bare or with a display name "
        "(CaseConsultant <consult@example.com>); checked by what sends or compares it.",
    )
    secret_key: str = Field(
        "embedded-development-key-change-me",
        description="Signs our Message-IDs and reply tokens; use a long random value.",
    )
    max_message_bytes: int = Field(5 * 1024 * 1024, gt=0, description="Larger mail is not fetched.")
    message_time_budget: float = Field(
        10.0,
        gt=0,
        description="Seconds of reading (parse, rules, codes, draft) one message may take; "
        "a message over it is parked with that reason while the rest flow on.",
    )
    raw_mail_retention_days: int = Field(30, gt=0, description="Raw mail purged after this.")
    unknown_sender_policy: str = Field(
        "hold", description="'hold' for an operator, or 'invite' to draft an invitation."
    )
    cms_data_dir: str = Field(
        "",
        description="Folder of the shared public CMS files the tests, benches and sample "
        "builder read in place; empty: a shared/data/cms folder beside the checkout.",
    )
    web_host: str = Field("127.0.0.1", description="Address `consultant serve` listens on.")
    web_port: int = Field(8000, gt=0, lt=65536, description="Port `consultant serve` listens on.")
    web_secure_cookies: bool = Field(
        False,
        description="Mark cookies Secure even on plain HTTP requests (behind a TLS proxy that "
        "does not say so); HTTPS requests get Secure cookies anyway.",
    )
    web_session_hours: float = Field(
        12.0, gt=0, description="A staff sign-in lasts at most this long (a working day)."
    )
    web_session_idle_minutes: float = Field(
        120.0, gt=0, description="A staff sign-in unused for this long ends."
    )
    login_failures_per_address: int = Field(
        5, gt=0, description="Failed sign-ins for one address within the window before refusal."
    )
    login_failures_per_client: int = Field(
        20, gt=0, description="Failed sign-ins from one client address within the window."
    )
    login_failure_window_minutes: float = Field(
        15.0, gt=0, description="The window the two limits above count failures in."
    )

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        return _check_scheme(value, _DATABASE_SCHEMES, "a database URL") if value else value

    @field_validator("broker_url")
    @classmethod
    def _broker_url(cls, value: str) -> str:
        return _check_scheme(value, _BROKER_SCHEMES, "a broker URL") if value else value

    @field_validator("imap_url")
    @classmethod
    def _imap_url(cls, value: str) -> str:
        return _check_mailbox_url(value) if value else value

    @field_validator("smtp_url")
    @classmethod
    def _smtp_url(cls, value: str) -> str:
        return _check_scheme(value, _SMTP_SCHEMES, "an SMTP URL") if value else value

    @field_validator("unknown_sender_policy")
    @classmethod
    def _unknown_sender_policy(cls, value: str) -> str:
        if value not in ("hold", "invite"):
            raise ValueError("must be 'hold' or 'invite'")
        return value

    @property
    def resolved_database_url(self) -> str:
        """The database URL, with the embedded SQLite file when none is set."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.var_dir / 'consultant.sqlite3').resolve()}"

    @property
    def reply_address(self) -> str:
        """The bare address of CONSULTANT_REPLY_FROM, lower case: what the loop rule compares.

        Raises SettingsError naming the variable when the value is not one address;
        only what sends or compares the address asks for it, so a wrong value does
        not stop commands that never use it.
        """
        return parse_reply_from(self.reply_from)[1]

    @property
    def uses_embedded_database(self) -> bool:
        return not self.database_url

    @property
    def mail_dir(self) -> Path:
        """The embedded Maildir mailbox."""
        return self.var_dir / "mail"

    @property
    def outbox_dir(self) -> Path:
        """Where the embedded file outbox writes sent replies as .eml files."""
        return self.var_dir / "outbox"


_REPLY_FROM_EXAMPLE = "consultant@example.com or CaseConsultant <consultant@example.com>"


def parse_reply_from(value: str) -> tuple[str, str]:
    """The display name and the bare address (lower case) of a From value, as mail clients write it.

    ``consult@example.com``, ``<consult@example.com>``, ``CaseConsultant <consult@example.com>``
    or ``"Case, Consultant" <consult@example.com>``; anything else raises SettingsError
    naming ``CONSULTANT_REPLY_FROM``.
    """
    text = value.strip()

    def wrong(why: str) -> SettingsError:
        return SettingsError(
            f"CONSULTANT_REPLY_FROM: {why}: {value!r}; write one address such as "
            f"{_REPLY_FROM_EXAMPLE}"
        )

    if not text:
        raise wrong("empty")
    if any(c in text for c in "\r\n\0"):
        raise wrong("a line break or NUL in the address")
    # getaddresses is lenient ("a <b@c" parses): the angle brackets must close the value.
    if ("<" in text or ">" in text) and not (
        text.endswith(">") and text.count("<") == 1 and text.count(">") == 1
    ):
        raise wrong("unbalanced angle brackets")
    pairs = getaddresses([text])
    if len(pairs) != 1:
        raise wrong("more than one address")
    name, address = pairs[0]
    local, _, domain = address.partition("@")
    if (
        not local
        or not domain
        or "@" in domain
        or any(c.isspace() or c in '<>,;"' for c in address)
    ):
        raise wrong("not an email address")
    return name, address.lower()


def load_settings() -> Settings:
    """Read and validate the settings; raise SettingsError naming the bad variable."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else "?"
            message = str(error["msg"]).removeprefix("Value error, ")
            problems.append(f"CONSULTANT_{field.upper()}: {message}")
        raise SettingsError("; ".join(problems)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, validated once."""
    return load_settings()
