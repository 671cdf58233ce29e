from __future__ import annotations

from pathlib import Path

import pytest

from consultant.config import SettingsError, load_settings


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
        ("CONSULTANT_REPLY_FROM", "not an address"),
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
