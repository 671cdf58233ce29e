"""Accounts: creation from the command line, known senders, events, password hashes."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from consultant.accounts.events import ACCOUNT_CREATED
from consultant.accounts.models import Account, AccountEvent
from consultant.accounts.services import (
    AccountExistsError,
    account_of,
    create_account,
    verify_password,
)
from consultant.cli import main
from consultant.config import get_settings
from consultant.db import unit_of_work


@pytest.fixture
def cli_env(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("CONSULTANT_DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_accounts_create_makes_a_known_sender(database_url: str, cli_env: CliRunner) -> None:
    result = cli_env.invoke(
        main,
        [
            "accounts",
            "create",
            " Coder@Example.COM ",
            "--name",
            "Pat",
            "--json",
            "--password-stdin",
        ],
        input="correct horse battery\n",
    )
    assert result.exit_code == 0, result.output
    created = json.loads(result.stdout)
    assert created["email"] == "coder@example.com"

    with unit_of_work(database_url) as session:
        known = account_of(session.connection(), "CODER@example.com")
        assert known is not None and known.id == created["id"] and known.name == "Pat"
        account = session.get_one(Account, known.id)
        assert account.password_hash and verify_password(
            "correct horse battery", account.password_hash
        )
        assert not verify_password("wrong", account.password_hash)
        assert account_of(session.connection(), "someone@else.example") is None
        tags = session.scalars(
            select(AccountEvent.tag).where(AccountEvent.account_id == account.id)
        )
        assert list(tags) == [ACCOUNT_CREATED]

    again = cli_env.invoke(main, ["accounts", "create", "coder@example.com"])
    assert again.exit_code == 1
    assert "already belongs" in again.stderr


def test_an_address_belongs_to_one_account(database_url: str) -> None:
    with unit_of_work(database_url) as session:
        create_account(session, "one@example.com")
    with pytest.raises(AccountExistsError), unit_of_work(database_url) as session:
        create_account(session, "ONE@example.com")
    with pytest.raises(ValueError), unit_of_work(database_url) as session:
        create_account(session, "not-an-address")
