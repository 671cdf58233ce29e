"""Staff users: ``consultant users create``, argon2id hashes, sessions and the sign-in limits,
on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pytest
from argon2 import PasswordHasher
from click.testing import CliRunner
from sqlalchemy import func, select, update

from consultant.accounts.login_throttle import (
    LoginLimits,
    forget_failed_logins,
    login_refused,
    record_failed_login,
)
from consultant.accounts.roles import StaffRole
from consultant.accounts.staff import (
    DEMO_REVIEWER,
    LoginAttempt,
    StaffUser,
    WebSession,
    authenticate,
    create_staff_user,
)
from consultant.accounts.web_sessions import (
    SessionLimits,
    end_session,
    signed_in,
    start_session,
    token_hash,
)
from consultant.cli import main
from consultant.clock import utc_now
from consultant.config import get_settings
from consultant.db import unit_of_work

LIMITS = SessionLimits(lifetime=dt.timedelta(hours=12), idle=dt.timedelta(hours=2))


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("CONSULTANT_DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def _user(database_url: str, email: str) -> StaffUser:
    with unit_of_work(database_url) as session:
        return session.scalars(select(StaffUser).where(StaffUser.email == email)).one()


def test_users_create_stores_an_argon2id_hash_of_the_password_from_stdin(
    database_url: str, cli: CliRunner
) -> None:
    result = cli.invoke(
        main,
        ["users", "create", " Coder@Clinic.Example ", "--role", "admin", "--password-stdin"],
        input="correct horse battery staple\n",
    )
    assert result.exit_code == 0, result.output
    assert "coder@clinic.example (admin)" in result.stdout
    assert "correct horse" not in result.output

    user = _user(database_url, "coder@clinic.example")
    assert user.role == StaffRole.ADMIN and user.disabled_at is None
    assert user.password_hash.startswith("$argon2id$")
    assert PasswordHasher().verify(user.password_hash, "correct horse battery staple")
    with unit_of_work(database_url) as session:
        assert authenticate(session, "CODER@clinic.example", "correct horse battery staple")
        assert authenticate(session, "coder@clinic.example", "wrong") is None
        assert (
            authenticate(session, "nobody@clinic.example", "correct horse battery staple") is None
        )


def test_users_create_without_a_password_prints_a_generated_one_once(
    database_url: str, cli: CliRunner
) -> None:
    result = cli.invoke(main, ["users", "create", "rev@clinic.example", "--role", "reviewer"])
    assert result.exit_code == 0, result.output
    shown = re.search(r"^Password \(shown once\): (\S+)$", result.stdout, re.MULTILINE)
    assert shown and len(shown.group(1)) >= 20
    with unit_of_work(database_url) as session:
        user = authenticate(session, "rev@clinic.example", shown.group(1))
        assert user is not None and user.role == StaffRole.REVIEWER


@pytest.mark.parametrize(
    ("arguments", "stdin", "message"),
    [
        (["dup@clinic.example"], None, "error: dup@clinic.example is already a staff user"),
        (["DUP@clinic.example "], None, "error: dup@clinic.example is already a staff user"),
        (["not-an-address"], None, "error: not an email address: 'not-an-address'"),
        (["a b@clinic.example"], None, "error: not an email address"),
        (["new@clinic.example", "--password-stdin"], "\n", "error: --password-stdin read an empty"),
    ],
)
def test_users_create_refuses_in_one_line_with_exit_1(
    database_url: str, cli: CliRunner, arguments: list[str], stdin: str | None, message: str
) -> None:
    with unit_of_work(database_url) as session:
        create_staff_user(session, "dup@clinic.example", StaffRole.REVIEWER, "first")
    result = cli.invoke(main, ["users", "create", *arguments, "--role", "admin"], input=stdin)
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith(message), result.stderr
    assert result.stderr.count("\n") == 1
    with unit_of_work(database_url) as session:
        assert session.scalar(select(func.count()).select_from(StaffUser)) == 1
        assert _user(database_url, "dup@clinic.example").role == StaffRole.REVIEWER


def test_ensure_demo_creates_the_demo_reviewer_once(database_url: str, cli: CliRunner) -> None:
    first = cli.invoke(main, ["users", "ensure-demo"])
    assert first.exit_code == 0, first.output
    password = first.stdout.rsplit(" ", 1)[-1].strip()
    assert DEMO_REVIEWER in first.stdout and password
    again = cli.invoke(main, ["users", "ensure-demo"])
    assert again.exit_code == 0 and again.stdout == ""
    with unit_of_work(database_url) as session:
        assert authenticate(session, DEMO_REVIEWER, password) is not None


def test_a_session_lives_until_sign_out_expiry_idleness_or_a_disabled_user(
    database_url: str,
) -> None:
    with unit_of_work(database_url) as session:
        user_id = create_staff_user(session, "s@clinic.example", StaffRole.REVIEWER, "pw").id
        token = start_session(session, user_id, LIMITS)
    with unit_of_work(database_url) as session:
        stored = session.scalars(select(WebSession)).one()
        assert stored.token_hash == token_hash(token) and token not in stored.token_hash
        found = signed_in(session, token, LIMITS)
        assert found is not None and found.user.email == "s@clinic.example"
        assert signed_in(session, token + "x", LIMITS) is None
        assert signed_in(session, None, LIMITS) is None

        # Idle too long; then past its lifetime; then a disabled user.
        session.execute(update(WebSession).values(last_seen_at=utc_now() - dt.timedelta(hours=3)))
        assert signed_in(session, token, LIMITS) is None
        session.execute(
            update(WebSession).values(
                last_seen_at=utc_now(), expires_at=utc_now() - dt.timedelta(seconds=1)
            )
        )
        assert signed_in(session, token, LIMITS) is None
        session.execute(update(WebSession).values(expires_at=utc_now() + dt.timedelta(hours=1)))
        assert signed_in(session, token, LIMITS) is not None
        session.execute(update(StaffUser).values(disabled_at=utc_now()))
        assert signed_in(session, token, LIMITS) is None
        assert authenticate(session, "s@clinic.example", "pw") is None


def test_a_new_session_replaces_the_one_presented_and_sign_out_deletes_it(
    database_url: str,
) -> None:
    with unit_of_work(database_url) as session:
        user_id = create_staff_user(session, "r@clinic.example", StaffRole.REVIEWER, "pw").id
        first = start_session(session, user_id, LIMITS)
        second = start_session(session, user_id, LIMITS, replacing=first)
        assert second != first
        assert signed_in(session, first, LIMITS) is None
        assert signed_in(session, second, LIMITS) is not None
        end_session(session, second)
        assert session.scalar(select(func.count()).select_from(WebSession)) == 0


def test_failed_sign_ins_are_limited_per_address_and_per_client(database_url: str) -> None:
    limits = LoginLimits(per_address=3, per_client=5, window=dt.timedelta(minutes=15))
    with unit_of_work(database_url) as session:
        for _ in range(3):
            assert not login_refused(session, "a@clinic.example", "10.0.0.1", limits)
            record_failed_login(session, "A@clinic.example ", "10.0.0.1", limits)
        assert login_refused(session, "a@clinic.example", "10.0.0.2", limits)
        assert not login_refused(session, "b@clinic.example", "10.0.0.2", limits)

        for address in ("b@clinic.example", "c@clinic.example"):
            record_failed_login(session, address, "10.0.0.1", limits)
        assert login_refused(session, "fresh@clinic.example", "10.0.0.1", limits)  # 5 from it
        assert not login_refused(session, "fresh@clinic.example", "10.0.0.9", limits)

        # A success forgets the address's failures; failures older than the window never count.
        forget_failed_logins(session, "a@clinic.example")
        assert not login_refused(session, "a@clinic.example", "10.0.0.2", limits)
        session.execute(
            update(LoginAttempt).values(attempted_at=utc_now() - dt.timedelta(minutes=16))
        )
        assert not login_refused(session, "b@clinic.example", "10.0.0.1", limits)
        record_failed_login(session, "b@clinic.example", "10.0.0.1", limits)  # purges the old
        assert session.scalar(select(func.count()).select_from(LoginAttempt)) == 1
