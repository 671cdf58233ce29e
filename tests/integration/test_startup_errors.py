"""A database that cannot be used stops every process at start, in one line naming the setting.

The real processes run as subprocesses (``consultant ...``, ``consultant poll``,
``celery -A workers.app worker`` and ``beat``) against a PostgreSQL database
that does not exist, a port nobody listens on, and a SQLite file without
tables: each prints one line naming ``CONSULTANT_DATABASE_URL``, never a
traceback nor the password, and exits 2; a worker never reports ready. The
poller, once running, logs why the database went away on each retry.
"""

from __future__ import annotations

import logging
import os
import re
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from consultant.config import Settings
from consultant.database_checks import DatabaseUnavailable, check_database
from consultant.inbound.poll_loop import StopSignal, run_forever
from consultant.mail.sources import source_from_settings
from consultant.migrations import check_schema
from tests.databases import drop_database, make_database, set_postgres_connections
from tests.integration.ledger_rows import RecordingQueue
from tests.integration.test_mailbox_imap import make_mail

BIN_DIR = Path(sys.executable).parent
PROJECT_DIR = Path(__file__).resolve().parents[2]
PASSWORD = "pw-never-shown-7d1f"
#: Seconds a process may take to fail: a cold Celery start on a busy two-core machine is slow.
EXIT_TIMEOUT = 120


@dataclass(frozen=True)
class BadDatabase:
    """A CONSULTANT_DATABASE_URL that cannot be used, and the line every process must print."""

    url: str
    message: str


def free_port() -> int:
    """A loopback port with nobody listening on it (just closed)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(params=["missing_database", "refused_port", "sqlite_without_tables"])
def bad_database(request: pytest.FixtureRequest, tmp_path: Path) -> BadDatabase:
    setting = "error: CONSULTANT_DATABASE_URL: "
    if request.param == "missing_database":
        name = f"consultant_missing_{uuid.uuid4().hex[:8]}"
        return BadDatabase(
            f"postgresql://postgres:{PASSWORD}@127.0.0.1:5432/{name}",
            f'{setting}database "{name}" does not exist on 127.0.0.1:5432',
        )
    if request.param == "refused_port":
        port = free_port()
        return BadDatabase(
            f"postgresql://postgres:{PASSWORD}@127.0.0.1:{port}/consultant",
            f"{setting}cannot connect to 127.0.0.1:{port} (connection refused)",
        )
    path = tmp_path / "empty.sqlite3"
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA user_version = 1")  # a real SQLite file, no table in it
    connection.commit()
    connection.close()
    return BadDatabase(
        f"sqlite:///{path}",
        f"{setting}the database {path} has no tables yet: run 'consultant db upgrade'",
    )


def environ(database_url: str, var_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONSULTANT_")}
    env.update(CONSULTANT_DATABASE_URL=database_url, CONSULTANT_VAR_DIR=str(var_dir))
    env["PATH"] = f"{BIN_DIR}{os.pathsep}{env.get('PATH', '')}"
    return env


def run(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run a process to its end (it must end by itself: a bad database stops it)."""
    return subprocess.run(
        argv,
        env=env,
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=EXIT_TIMEOUT,
        check=False,
    )


def assert_one_line_exit_2(result: subprocess.CompletedProcess[str], message: str) -> None:
    shown = f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert result.returncode == 2, shown
    assert "Traceback" not in result.stdout + result.stderr, shown
    assert PASSWORD not in result.stdout + result.stderr, shown
    naming = [line for line in result.stderr.splitlines() if "CONSULTANT_DATABASE_URL" in line]
    assert len(naming) == 1, shown
    # Celery logs what a process writes to stderr with a timestamp in front: the end is ours.
    assert naming[0].endswith(message), shown


@pytest.mark.parametrize(
    "command",
    [
        ["codes", "releases"],
        ["review", "list"],
        ["lookup", "63057"],
        ["accounts", "create", "coder@example.com"],
        ["codes", "load-sample"],
        ["poll", "--once"],
        ["poll"],
    ],
    ids=" ".join,
)
def test_a_consultant_command_says_what_is_wrong_in_one_line(
    bad_database: BadDatabase, command: list[str], tmp_path: Path
) -> None:
    result = run([str(BIN_DIR / "consultant"), *command], environ(bad_database.url, tmp_path))
    assert_one_line_exit_2(result, bad_database.message)


def test_codes_import_checks_the_database_after_reading_the_file(
    bad_database: BadDatabase, tmp_path: Path
) -> None:
    path = tmp_path / "mue-2024-07-01.csv"
    path.write_text("hcpcs_code,mue_value,mai,mue_rationale\n63047,1,2,Anatomic Consideration\n")
    result = run(
        [str(BIN_DIR / "consultant"), "codes", "import", str(path)],
        environ(bad_database.url, tmp_path),
    )
    assert_one_line_exit_2(result, bad_database.message)


@pytest.mark.parametrize("bad", ["missing_database", "refused_port"])
def test_db_upgrade_says_what_is_wrong_in_one_line(bad: str, tmp_path: Path) -> None:
    name = f"consultant_missing_{uuid.uuid4().hex[:8]}"
    port = 5432 if bad == "missing_database" else free_port()
    url = f"postgresql://postgres:{PASSWORD}@127.0.0.1:{port}/{name}"
    result = run([str(BIN_DIR / "consultant"), "db", "upgrade"], environ(url, tmp_path))
    expected = (
        f'database "{name}" does not exist on 127.0.0.1:5432'
        if bad == "missing_database"
        else f"cannot connect to 127.0.0.1:{port} (connection refused)"
    )
    assert_one_line_exit_2(result, f"error: CONSULTANT_DATABASE_URL: {expected}")


def test_db_upgrade_makes_the_tables_a_sqlite_file_lacks(tmp_path: Path) -> None:
    # The one command for which a database without tables is no error: it makes them.
    path = tmp_path / "new.sqlite3"
    sqlite3.connect(path).close()
    url = f"sqlite:///{path}"
    result = run([str(BIN_DIR / "consultant"), "db", "upgrade"], environ(url, tmp_path))
    assert result.returncode == 0, result.stderr
    check_schema(url)


def celery_argv(program: str) -> list[str]:
    argv = [str(BIN_DIR / "celery"), "-A", "workers.app", program, "--loglevel=INFO"]
    if program == "worker":
        argv += ["--concurrency=1", "--without-gossip", "--without-mingle", "--without-heartbeat"]
        argv += ["-n", f"startup-check-{uuid.uuid4().hex[:8]}@%h"]
    return argv


@pytest.mark.parametrize("program", ["worker", "beat"])
def test_celery_worker_and_beat_stop_at_start_instead_of_reporting_ready(
    bad_database: BadDatabase, program: str, tmp_path: Path
) -> None:
    result = run(celery_argv(program), environ(bad_database.url, tmp_path))
    assert_one_line_exit_2(result, bad_database.message)
    assert "ready" not in (result.stdout + result.stderr).lower()
    if program == "worker":
        assert "ForkPoolWorker" not in result.stderr  # no pool was started


@pytest.mark.parametrize("program", ["worker", "beat"])
def test_a_bad_setting_stops_worker_and_beat_in_one_line(program: str, tmp_path: Path) -> None:
    """The settings are read while Celery imports the app, before any check of ours ran."""
    result = run(celery_argv(program), environ("mysql://user:secret@db/x", tmp_path))
    assert_one_line_exit_2(result, "a database URL must start with one of sqlite://, postgresql://")


def test_a_bad_reply_address_stops_the_worker_before_it_parks_every_message(
    tmp_path: Path,
) -> None:
    env = environ(f"sqlite:///{tmp_path / 'x.sqlite3'}", tmp_path)
    env["CONSULTANT_REPLY_FROM"] = "not an address"
    result = run(celery_argv("worker"), env)
    shown = result.stdout + result.stderr
    assert result.returncode == 2 and "Traceback" not in shown, shown
    assert "CONSULTANT_REPLY_FROM" in result.stderr and "ready" not in shown.lower()


def test_check_database_names_no_password_and_creates_no_sqlite_file(tmp_path: Path) -> None:
    missing = tmp_path / "sub" / "missing.sqlite3"
    with pytest.raises(DatabaseUnavailable) as caught:
        check_schema(f"sqlite:///{missing}")
    assert str(caught.value) == (
        f"CONSULTANT_DATABASE_URL: the database {missing} does not exist yet: "
        "run 'consultant db upgrade'"
    )
    assert not missing.parent.exists()
    check_database(f"sqlite:///{missing}", require_schema=False)  # db upgrade may make it
    with pytest.raises(DatabaseUnavailable, match="cannot connect") as refused:
        check_database(f"postgresql://someone:{PASSWORD}@127.0.0.1:{free_port()}/x")
    assert PASSWORD not in str(refused.value)


def test_a_schema_older_than_the_code_asks_for_db_upgrade(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    from consultant.migrations import upgrade_database

    upgrade_database(url, "0001")
    with pytest.raises(DatabaseUnavailable, match=r"is at schema revision 0001, older than"):
        check_schema(url)
    result = run([str(BIN_DIR / "consultant"), "review", "list"], environ(url, tmp_path))
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines()[-1].endswith(": run 'consultant db upgrade'")
    assert "Traceback" not in result.stderr


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        time.sleep(0.05)


def test_the_poller_logs_why_the_database_went_away_on_each_retry(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    database_url = make_database("postgresql", tmp_path)
    name = sa.engine.make_url(database_url).database
    settings = Settings(var_dir=tmp_path / "var")
    source = source_from_settings(settings)
    queue = RecordingQueue()
    stop = StopSignal()
    poller = threading.Thread(
        target=run_forever,
        args=(database_url, source, settings, queue),
        kwargs={"stop": stop, "backoff_seconds": (0.2, 0.5), "safety_poll_seconds": 1},
    )
    caplog.set_level(logging.WARNING, logger="consultant.inbound.poll_loop")
    poller.start()
    try:
        source.deliver(make_mail(1))
        queue.wait_for(1, timeout=30)
        set_postgres_connections(database_url, allowed=False)
        source.deliver(make_mail(2))

        def retries() -> list[str]:
            return [r.getMessage() for r in caplog.records if "retrying in" in r.getMessage()]

        wait_until(lambda: len(retries()) >= 2, 30, "two retries logged")
        set_postgres_connections(database_url, allowed=True)
        queue.wait_for(2, timeout=30)
    finally:
        stop.stop()
        poller.join(timeout=30)
        drop_database(database_url)
    # Each retry says why: the driver's class and the server's one line, no statement, no values.
    reasons = retries()
    refused = f'database "{name}" is not currently accepting connections'
    assert all(
        re.fullmatch(
            r"poller of \S+: database unavailable: \w+: [^;]+; retrying in [0-9.]+ s", message
        )
        for message in reasons
    ), reasons
    assert any(f"OperationalError: {refused}" in message for message in reasons), reasons
