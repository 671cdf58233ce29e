from __future__ import annotations

from pathlib import Path

import pytest

from consultant.config import SettingsError, load_settings, parse_reply_from


def test_embedded_defaults_need_no_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATABASE_URL", "BROKER_URL", "IMAP_URL", "SMTP_URL", "VAR_DIR"):
        monkeypatch.delenv(f"CONSULTANT_{name}", raising=False)
    settings = load_settings()
    assert settings.resolved_database_url.startswith("sqlite:///")
    assert settings.resolved_database_url.endswith("var/consultant.sqlite3")
    assert settings.mail_dir == Path("var/mail")
    assert settings.outbox_dir == Path("var/outbox")


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("CONSULTANT_DATABASE_URL", "mysql://x@y/z"),
        ("CONSULTANT_IMAP_URL", "pop3://u:p@host/INBOX"),
        ("CONSULTANT_SMTP_URL", "http://relay"),
        ("CONSULTANT_MAX_MESSAGE_BYTES", "-5"),
    ],
)
def test_a_wrong_value_is_refused_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError, match=variable):
        load_settings()


def test_postgres_with_driver_is_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONSULTANT_DATABASE_URL", "postgresql+psycopg://u@h/db")
    assert load_settings().resolved_database_url == "postgresql+psycopg://u@h/db"


@pytest.mark.parametrize(
    ("value", "address"),
    [
        ("consult@example.com", "consult@example.com"),
        ("CaseConsultant <Consult@Example.com>", "consult@example.com"),
        ('"Case, Consultant" <consult@example.com>', "consult@example.com"),
        ("<consult@example.com>", "consult@example.com"),
    ],
)
def test_reply_from_takes_a_display_name_and_compares_the_bare_address(
    monkeypatch: pytest.MonkeyPatch, value: str, address: str
) -> None:
    monkeypatch.setenv("CONSULTANT_REPLY_FROM", value)
    settings = load_settings()
    assert settings.reply_from == value
    assert settings.reply_address == address


@pytest.mark.parametrize(
    "value",
    ["not an address", "a@b.example, c@d.example", "Name <a@b.example", "a@b\nBcc: x@y", "<>"],
)
def test_a_wrong_reply_from_is_refused_only_when_the_address_is_used(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("CONSULTANT_REPLY_FROM", value)
    settings = load_settings()  # commands that never send still start
    with pytest.raises(SettingsError, match="CONSULTANT_REPLY_FROM"):
        _ = settings.reply_address
    with pytest.raises(SettingsError, match="CONSULTANT_REPLY_FROM"):
        parse_reply_from(value)
