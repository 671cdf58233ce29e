"""The database is checked when a worker or beat starts, before either reports ready.

A database that cannot be used (a wrong name, a server that refuses, no tables
yet, a schema older than the code) stops the process at once with one line
naming ``CONSULTANT_DATABASE_URL`` on stderr and exit status 2, instead of a
worker that reports ready and then fails every task, or a beat that sends
sweeps nobody can run. An outage later is another matter: tasks retry, and
the sweeper re-enqueues what was stuck.

``workers.app`` imports this module; the signals are Celery's own
``worker_init`` (in the worker's main process, before its pool starts and
before the banner) and ``beat_init`` (before the first tick). Only the
service's app is checked: another app built with ``make_app`` (a test's) is
left alone.
"""

from __future__ import annotations

import sys
from typing import Any

from celery import signals

# Imported now, before Celery sets up logging: alembic logs a line per plugin as it loads.
from consultant.config import SettingsError, get_settings
from consultant.database_checks import DatabaseUnavailable
from consultant.migrations import check_schema

#: The exit status of a process stopped by its configuration (as ``consultant`` uses).
CONFIGURATION_EXIT = 2


def check_database_or_exit() -> None:
    """Check the configured database; on a problem write one line to stderr and exit 2."""
    try:
        settings = get_settings()
        # Every message the worker drafts compares against our address (the loop
        # rule): a bad CONSULTANT_REPLY_FROM would park them all, so stop now.
        settings.reply_address  # noqa: B018 - read for its check
        check_schema(settings.resolved_database_url)
    except (DatabaseUnavailable, SettingsError) as exc:
        sys.stderr.write(f"error: {exc}\n")
        sys.stderr.flush()
        raise SystemExit(CONFIGURATION_EXIT) from None


def _is_service_app(app: Any) -> bool:
    module = sys.modules.get("workers.app")
    return module is not None and getattr(module, "app", None) is app


def _check_before_worker_starts(sender: Any = None, **_kwargs: Any) -> None:
    # SystemExit passes through Celery's signal dispatch (it catches Exception only) and
    # out of the worker's construction: no pool is forked, "ready" is never logged.
    if _is_service_app(getattr(sender, "app", None)):
        check_database_or_exit()


def _check_before_beat_starts(sender: Any = None, **_kwargs: Any) -> None:
    if _is_service_app(getattr(sender, "app", None)):
        check_database_or_exit()


signals.worker_init.connect(_check_before_worker_starts)
signals.beat_init.connect(_check_before_beat_starts)
