"""Staff users (reviewers and admins), their web sessions and failed sign-ins: tables and use cases.

Passwords are argon2id hashes (argon2-cffi's defaults, rehashed at sign-in when
those defaults change). Services add and flush; the caller's unit of work commits.
"""

from __future__ import annotations

import datetime as dt
import secrets
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import DateTime, ForeignKey, Index, String, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from consultant.accounts.roles import StaffRole
from consultant.db import Base

#: The reviewer `make run` creates on an empty embedded database.
DEMO_REVIEWER = "reviewer@localhost"
_MAX_ADDRESS = 320
_PASSWORDS = PasswordHasher()  # argon2id, RFC 9106's second recommended parameters


class StaffUser(Base):
    """A person who signs in to the web app: a reviewer or an admin."""

    __tablename__ = "staff_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(_MAX_ADDRESS), unique=True)  # lower case
    role: Mapped[str] = mapped_column(String(16), default=StaffRole.REVIEWER)
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    disabled_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class WebSession(Base):
    """A signed-in browser. The cookie holds a random token; only its SHA-256 is stored, so a
    copy of the database signs nobody in."""

    __tablename__ = "web_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    staff_user_id: Mapped[int] = mapped_column(
        ForeignKey("staff_user.id", ondelete="CASCADE"), index=True
    )
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)


class LoginAttempt(Base):
    """One failed sign-in, counted per address and per client address within a window."""

    __tablename__ = "login_attempt"
    __table_args__ = (
        Index("ix_login_attempt_address_attempted_at", "address", "attempted_at"),
        Index("ix_login_attempt_client_attempted_at", "client", "attempted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    address: Mapped[str] = mapped_column(String(_MAX_ADDRESS))  # as typed, lower case, cut
    client: Mapped[str] = mapped_column(String(64))  # the client's IP address
    attempted_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class StaffUserExistsError(Exception):
    """The address already belongs to a staff user."""


def normalise_staff_email(email: str) -> str:
    """``email`` stripped and in lower case; ValueError saying why it is no address."""
    address = email.strip().lower()
    local, at, domain = address.partition("@")
    if not address:
        raise ValueError("the email address is empty")
    if not at or not local or not domain or "@" in domain:
        raise ValueError(f"not an email address: {address!r} (write name@example.com)")
    if len(address) > _MAX_ADDRESS or any(c.isspace() or c in '<>,;"()[]\\' for c in address):
        raise ValueError(f"not an email address: {address!r}")
    return address


def generate_password() -> str:
    """A random password of 24 URL-safe characters (144 bits)."""
    return secrets.token_urlsafe(18)


def hash_staff_password(password: str) -> str:
    """An argon2id hash of ``password``, with its salt and parameters."""
    return _PASSWORDS.hash(password)


def create_staff_user(session: Session, email: str, role: StaffRole, password: str) -> StaffUser:
    """Add a staff user; StaffUserExistsError when the address is taken, ValueError for a bad
    address or an empty password."""
    address = normalise_staff_email(email)
    if not password:
        raise ValueError("the password is empty")
    if session.scalar(select(StaffUser.id).where(StaffUser.email == address)) is not None:
        raise StaffUserExistsError(address)
    user = StaffUser(
        email=address, role=StaffRole(role), password_hash=hash_staff_password(password)
    )
    session.add(user)
    session.flush()
    return user


def ensure_demo_reviewer(session: Session) -> str | None:
    """On a database with no staff user yet, add :data:`DEMO_REVIEWER` with a generated password
    and return the password (shown once); None when any staff user exists."""
    if session.scalar(select(StaffUser.id).limit(1)) is not None:
        return None
    password = generate_password()
    create_staff_user(session, DEMO_REVIEWER, StaffRole.REVIEWER, password)
    return password


@lru_cache(maxsize=1)
def _absent_user_hash() -> str:
    # Verified against when the address is unknown: a sign-in then takes as long whether
    # or not the address is staff, so its timing does not tell who is.
    return _PASSWORDS.hash(secrets.token_urlsafe(18))


def authenticate(session: Session, email: str, password: str) -> StaffUser | None:
    """The enabled staff user whose address and password these are, else None."""
    try:
        address = normalise_staff_email(email)
    except ValueError:
        address = ""
    user = session.scalar(select(StaffUser).where(StaffUser.email == address)) if address else None
    try:
        _PASSWORDS.verify(user.password_hash if user else _absent_user_hash(), password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or user.disabled_at is not None:
        return None
    if _PASSWORDS.check_needs_rehash(user.password_hash):
        user.password_hash = _PASSWORDS.hash(password)
    return user


def staff_users(session: Session) -> list[StaffUser]:
    """Every staff user, by address."""
    return list(session.scalars(select(StaffUser).order_by(StaffUser.email)))
