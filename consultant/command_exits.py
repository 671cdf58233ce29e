"""How a command ends when it cannot go on: one line on stderr, never a traceback.

Every package's ``commands`` module uses these; ``consultant.cli`` assembles
the commands and must not be imported by them (it imports them).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, NoReturn

import click

if TYPE_CHECKING:
    from consultant.config import Settings

#: The exit status of a command stopped by its configuration (a setting, the database).
CONFIGURATION_EXIT = 2


def settings_or_exit() -> Settings:
    """The validated settings, or exit 2 with a message naming the bad variable."""
    # Imported here: pydantic costs 70 ms, and `consultant --help` needs none of it.
    from consultant.config import SettingsError, get_settings

    try:
        return get_settings()
    except SettingsError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(CONFIGURATION_EXIT)


def fail(message: object, status: int = CONFIGURATION_EXIT) -> NoReturn:
    """Print ``error: MESSAGE`` (one line) on stderr and exit with ``status``."""
    click.echo(f"error: {message}", err=True)
    sys.exit(status)
