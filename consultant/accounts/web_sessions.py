"""Server-side web sessions of staff users: start at sign-in, look up per request, end at sign-out.

The browser's cookie holds a random token; the table holds its SHA-256, the
user, a CSRF token for the session's forms, and when it expires (a fixed
lifetime, and an idle limit counted from ``last_seen_at``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from consultant.accounts.roles import StaffRole
from consultant.accounts.staff import StaffUser, WebSession
from consultant.clock import as_utc, utc_now

#: ``last_seen_at`` is written at most this often, not on every request.
_TOUCH_EVERY = dt.timedelta(seconds=60)


@dataclass(frozen=True)
class SessionLimits:
    """How long a sign-in lasts: at most ``lifetime``, and ``idle`` without a request."""

    lifetime: dt.timedelta
    idle: dt.timedelta


@dataclass(frozen=True)
class StaffIdentity:
    """Who a signed-in user is: plain values, still readable after the request's transaction
    ended (an error page after a rollback shows them too)."""

    id: int
    email: str
    role: StaffRole


@dataclass(frozen=True)
class SignedIn:
    """A valid session and its user, as a request sees them."""

    session_id: int
    user: StaffIdentity
    csrf_token: str


def token_hash(token: str) -> str:
    """What the table stores of a cookie's token."""
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(
    session: Session, user_id: int, limits: SessionLimits, *, replacing: str | None = None
) -> str:
    """A new session for ``user_id``; returns the token for the cookie (shown nowhere else).

    ``replacing``: the token the browser presented before signing in; its session, if
    any, is deleted, so a token planted before sign-in is never one that is signed in.
    """
    if replacing:
        end_session(session, replacing)
    token = secrets.token_urlsafe(32)
    now = utc_now()
    session.add(
        WebSession(
            token_hash=token_hash(token),
            staff_user_id=user_id,
            csrf_token=secrets.token_urlsafe(32),
            created_at=now,
            last_seen_at=now,
            expires_at=now + limits.lifetime,
        )
    )
    session.flush()
    return token


def signed_in(session: Session, token: str | None, limits: SessionLimits) -> SignedIn | None:
    """The session of ``token`` with its user, if neither expired, idle too long, nor disabled."""
    if not token:
        return None
    now = utc_now()
    found = session.execute(
        select(WebSession, StaffUser)
        .join(StaffUser, StaffUser.id == WebSession.staff_user_id)
        .where(
            WebSession.token_hash == token_hash(token),
            WebSession.expires_at > now,
            WebSession.last_seen_at > now - limits.idle,
            StaffUser.disabled_at.is_(None),
        )
    ).one_or_none()
    if found is None:
        return None
    web_session, user = found
    if as_utc(web_session.last_seen_at) < now - _TOUCH_EVERY:
        web_session.last_seen_at = now
    identity = StaffIdentity(user.id, user.email, StaffRole(user.role))
    return SignedIn(web_session.id, identity, web_session.csrf_token)


def end_session(session: Session, token: str) -> None:
    """Delete the session of ``token`` (sign-out); nothing when there is none."""
    session.execute(delete(WebSession).where(WebSession.token_hash == token_hash(token)))


def purge_expired_sessions(session: Session) -> int:
    """Delete sessions past their lifetime; returns how many."""
    result = session.execute(delete(WebSession).where(WebSession.expires_at <= utc_now()))
    return int(getattr(result, "rowcount", 0) or 0)
