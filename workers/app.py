"""The Celery app, configured from :mod:`consultant.config` settings.

``celery -A workers.app worker`` and ``celery -A workers.app beat`` (Procfile).

Broker: ``CONSULTANT_BROKER_URL`` (Redis in production). With none set the
embedded default is kombu's filesystem transport under ``var/broker/``: it
needs no server and no extra package, each message is a file (an operator can
see a backlog with ``ls``), and it keeps broker traffic out of the SQLite
database file that the poller and workers already contend for, which a
``sqla+sqlite`` broker would not. The worker uses it through
:mod:`workers.filesystem_transport`, which declares it asynchronous so that
the worker runs Celery's event loop and pool as on Redis: a pool child killed
outright (the OOM killer) is replaced and its message put back in the folder,
where kombu's own would wedge the whole worker. A message whose main worker
process died is not redelivered by this broker; the beat sweeper covers that
for every broker, because the database, not the broker, is the source of truth.

Reliability settings (DESIGN section 3): late acks, so a message is acked
only after its task ran; reject on worker lost, so a killed child's message
goes back to the queue; prefetch 1, so a long task never holds others
hostage; JSON only; ids only in messages; and a visibility timeout (Redis)
well above the hard time limit, or Redis would hand a still-running task to
a second worker.
"""

from __future__ import annotations

import sys
from typing import Any
from urllib.parse import urlsplit

from celery import Celery

import workers.startup_checks  # noqa: F401  (checks the database as a worker or beat starts)
from consultant.config import Settings, SettingsError, get_settings
from workers import filesystem_transport, redis_transport

#: A task is killed after this long; no ingest comes near it.
TASK_TIME_LIMIT = 300
#: Redis redelivers an unacked message after this; must exceed TASK_TIME_LIMIT.
VISIBILITY_TIMEOUT = 3600
#: How often beat runs the sweeper and the raw-mail purge, in seconds.
SWEEP_EVERY = 60.0
PURGE_EVERY = 3600.0


def _broker_settings(settings: Settings) -> dict[str, Any]:
    if settings.broker_url:
        options: dict[str, Any] = {"visibility_timeout": VISIBILITY_TIMEOUT}
        broker: dict[str, Any] = {
            "broker_url": settings.broker_url,
            "broker_transport_options": options,
        }
        if urlsplit(settings.broker_url).scheme == "redis":
            # kombu's Redis transport, repaired so a worker outlives a Redis outage
            # mid-task (see workers.redis_transport). rediss:// keeps kombu's own,
            # whose TLS set-up is tied to that scheme name.
            broker["broker_transport"] = redis_transport.TRANSPORT_PATH
        return broker
    folder = (settings.var_dir / "broker").resolve()
    for name in ("queue", "control", "processed"):
        (folder / name).mkdir(parents=True, exist_ok=True)
    queue_dir = str(folder / "queue")
    return {
        "broker_url": "filesystem://",
        # kombu's, declared asynchronous (see workers.filesystem_transport).
        "broker_transport": filesystem_transport.TRANSPORT_PATH,
        "broker_transport_options": {
            # Producers and consumers share one folder: both ends read and write it.
            "data_folder_in": queue_dir,
            "data_folder_out": queue_dir,
            "control_folder": str(folder / "control"),
            "processed_folder": str(folder / "processed"),
            "store_processed": False,
            "polling_interval": 0.2,
        },
    }


def _settings_or_exit() -> Settings:
    # The app is built when Celery imports this module, before any of its own
    # error handling: a bad CONSULTANT_* value must be one line, not a traceback.
    try:
        return get_settings()
    except SettingsError as exc:
        sys.stderr.write(f"error: {exc}\n")
        raise SystemExit(2) from None


def make_app(settings: Settings | None = None) -> Celery:
    """A Celery app for ``settings`` (the process settings by default)."""
    settings = settings or _settings_or_exit()
    settings.var_dir.mkdir(parents=True, exist_ok=True)  # beat keeps its schedule file there
    celery_app = Celery("consultant", include=["workers.tasks"])
    celery_app.conf.update(
        **_broker_settings(settings),
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_acks_on_failure_or_timeout=True,
        worker_prefetch_multiplier=1,
        worker_cancel_long_running_tasks_on_connection_loss=True,
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        task_ignore_result=True,
        result_backend=None,
        task_time_limit=TASK_TIME_LIMIT,
        task_soft_time_limit=TASK_TIME_LIMIT - 30,
        broker_connection_retry_on_startup=True,
        # Task arguments are ids, but say it anyway: never log task arguments.
        worker_log_format="%(asctime)s %(levelname)s %(processName)s %(message)s",
        beat_schedule_filename=str((settings.var_dir / "celerybeat-schedule").resolve()),
        beat_schedule={
            "sweep-stuck-inbound": {"task": "workers.tasks.sweep_stuck", "schedule": SWEEP_EVERY},
            "purge-raw-mail": {"task": "workers.tasks.purge_raw_mail", "schedule": PURGE_EVERY},
            "sweep-sends": {"task": "workers.tasks.sweep_sends", "schedule": SWEEP_EVERY},
        },
        timezone="UTC",
    )
    return celery_app


app = make_app()
