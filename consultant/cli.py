"""The ``consultant`` command line: the operator's tool (DESIGN section 7).

Each domain contributes its commands from its own ``commands`` module; this
file only assembles them and turns a settings error into a clear message.
"""

from __future__ import annotations

import sys

import click

from consultant.config import Settings, SettingsError, get_settings


def settings_or_exit() -> Settings:
    """The validated settings, or exit 2 with a message naming the bad variable."""
    try:
        return get_settings()
    except SettingsError as exc:
        click.echo(f"consultant: configuration error: {exc}", err=True)
        sys.exit(2)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="caseconsultant")
def main() -> None:
    """CaseConsultant: answers medical coding questions by email, reviewed by a certified coder."""


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the database to the newest schema."""
    from consultant.migrations import upgrade_database

    settings = settings_or_exit()
    url = settings.resolved_database_url
    click.echo(f"Upgrading database {_redacted(url)} ...", err=True)
    upgrade_database(url)
    click.echo("Database is at the newest revision.", err=True)


def _redacted(url: str) -> str:
    """The URL without its password, fit for a terminal or a log."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _register_domain_commands() -> None:
    # Imported here so `consultant --help` works even if one domain fails to import.
    import importlib

    for module_name in (
        "consultant.codes.commands",
        "consultant.codes.lookup_cli",
        "consultant.consultations.draft_cli",
        "consultant.extraction_commands",
        "consultant.consultations.commands",
        "consultant.mail.commands",
        "consultant.accounts.commands",
        "consultant.review.commands",
        "consultant.operations_commands",
    ):
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                continue  # that domain has no commands yet
            raise
        module.register(main)


_register_domain_commands()
