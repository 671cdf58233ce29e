"""The ``consultant`` command line: the operator's tool (DESIGN section 7).

Each domain contributes its commands from its own ``commands`` module; this
file only assembles them and turns a settings error, or a database that
cannot be used, into one line naming the setting (exit 2), never a traceback.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import click

from consultant.accounts import commands as accounts_commands
from consultant.codes import commands as codes_commands
from consultant.command_exits import CONFIGURATION_EXIT, fail, settings_or_exit
from consultant.consultations import commands as consultations_commands
from consultant.extraction import commands as extraction_commands
from consultant.inbound import commands as inbound_commands
from consultant.review import commands as review_commands
from consultant.web import commands as web_commands

if TYPE_CHECKING:
    from sqlalchemy.exc import DBAPIError

    from consultant.database_checks import DatabaseUnavailable

__all__ = ["CONFIGURATION_EXIT", "fail", "main", "settings_or_exit"]

# SQLAlchemy, pydantic and the importers are imported inside the functions that
# use them: `consultant --help` loads none of them (0.2 s instead of 0.9 s).


def database_problem(exc: DBAPIError, *, require_schema: bool = True) -> DatabaseUnavailable | None:
    """Why a command's database error happened, when the configured database is the cause.

    None when the database is fine: the error is then a bug and keeps its traceback.
    """
    from consultant.config import SettingsError, get_settings
    from consultant.database_checks import (
        DATABASE_SETTING,
        DatabaseUnavailable,
        check_database,
        connection_failure_reason,
        is_connection_failure,
    )
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
        except Exception as exc:
            if "sqlalchemy" not in sys.modules:
                raise  # no database was touched: nothing of ours to explain
            from sqlalchemy.exc import DBAPIError

            from consultant.database_checks import DatabaseUnavailable

            if isinstance(exc, DatabaseUnavailable):
                fail(exc)
            if not isinstance(exc, DBAPIError):
                raise
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
    from sqlalchemy.exc import DBAPIError

    from consultant.database_checks import check_database
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


# Each package's commands, registered explicitly: a missing module is an error,
# never a silently absent command. They import their heavy dependencies inside
# each command, so `consultant --help` stays fast.
for _commands in (
    accounts_commands,
    codes_commands,
    consultations_commands,
    extraction_commands,
    inbound_commands,
    review_commands,
    web_commands,
):
    _commands.register(main)
