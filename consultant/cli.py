"""The ``consultant`` command line: the operator's tool (DESIGN section 7).

Each domain contributes its commands from its own ``commands`` module; this
file only assembles them and turns a settings error, or a database that
cannot be used, into one line naming the setting (exit 2), never a traceback.
"""

from __future__ import annotations

import sys
from typing import Any, NoReturn

import click
from sqlalchemy.exc import DBAPIError

from consultant.config import Settings, SettingsError, get_settings
from consultant.db import (
    DATABASE_SETTING,
    DatabaseUnavailable,
    check_database,
    connection_failure_reason,
    is_connection_failure,
)

#: The exit status of a command stopped by its configuration (a setting, the database).
CONFIGURATION_EXIT = 2


def settings_or_exit() -> Settings:
    """The validated settings, or exit 2 with a message naming the bad variable."""
    try:
        return get_settings()
    except SettingsError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(CONFIGURATION_EXIT)


def fail(message: object, status: int = CONFIGURATION_EXIT) -> NoReturn:
    """Print ``error: MESSAGE`` (one line) on stderr and exit with ``status``."""
    click.echo(f"error: {message}", err=True)
    sys.exit(status)


def database_problem(exc: DBAPIError, *, require_schema: bool = True) -> DatabaseUnavailable | None:
    """Why a command's database error happened, when the configured database is the cause.

    None when the database is fine: the error is then a bug and keeps its traceback.
    """
    from consultant.migrations import check_schema

    try:
        url = get_settings().resolved_database_url
    except SettingsError:
        return None
    try:
        if require_schema:
            check_schema(url)
        else:
            check_database(url, require_schema=False)
    except DatabaseUnavailable as problem:
        return problem
    reason = connection_failure_reason(exc)
    if reason is not None and is_connection_failure(exc):
        # It failed, then came back: still say why this command stopped.
        return DatabaseUnavailable(f"{DATABASE_SETTING}: {reason}")
    return None


class _Main(click.Group):
    """The ``consultant`` group: one place turns a database that cannot be used into one line."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except DatabaseUnavailable as exc:
            fail(exc)
        except DBAPIError as exc:
            problem = database_problem(exc)
            if problem is None:
                raise
            fail(problem)


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"]})
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
    check_database(url, require_schema=False)
    click.echo(f"Upgrading database {_redacted(url)} ...", err=True)
    try:
        upgrade_database(url)
    except DBAPIError as exc:
        # The database went away meanwhile, or a revision failed (a bug: keep its traceback).
        problem = database_problem(exc, require_schema=False)
        if problem is None:
            raise
        fail(problem)
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
        "consultant.extraction.commands",
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
