"""`make run`'s processes on embedded defaults: honcho starts the Procfile, a question asked
with `consultant ask` becomes a draft in `consultant review list --json`.

Embedded defaults on purpose (SQLite under var/, the filesystem broker, the
Maildir mailbox): this is what a newcomer with nothing but Python runs.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path

import pytest

from tests.integration.pipeline_processes import BIN_DIR, PROJECT_DIR, PipelineEnv, wait_until


def _procfile_processes() -> list[str]:
    # The same selection as the Makefile's run target: every process but release.
    lines = (PROJECT_DIR / "Procfile").read_text().splitlines()
    names = [line.split(":", 1)[0] for line in lines if ":" in line and not line.startswith("#")]
    return [name for name in names if name != "release"]


def test_honcho_runs_the_procfile_and_a_question_asked_becomes_a_draft(tmp_path: Path) -> None:
    var_dir = tmp_path / "var"
    env = PipelineEnv(database_url="", var_dir=var_dir)
    environ = env.environ()
    for name in ("CONSULTANT_DATABASE_URL", "CONSULTANT_BROKER_URL", "CONSULTANT_IMAP_URL"):
        environ.pop(name)  # nothing set: the embedded defaults

    def consultant(*args: str, stdin: str | None = None) -> str:
        return subprocess.run(
            [str(BIN_DIR / "consultant"), *args],
            input=stdin,
            env=environ,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=True,
        ).stdout

    consultant("db", "upgrade")
    consultant("accounts", "create", "coder@localhost")

    assert {"worker", "beat", "poller"} <= set(_procfile_processes())
    log = open(tmp_path / "honcho.log", "wb")  # noqa: SIM115
    honcho = subprocess.Popen(
        [
            str(BIN_DIR / "honcho"),
            "-f",
            str(PROJECT_DIR / "Procfile"),
            "-d",
            str(tmp_path),
            "start",
            *_procfile_processes(),
        ],
        env=environ,
        cwd=tmp_path,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    log.close()

    def drafts() -> list[object]:
        return list(json.loads(consultant("review", "list", "--json")))

    try:
        consultant(
            "ask",
            "--from",
            "coder@localhost",
            "--subject",
            "Add-on question",
            stdin="Can 63057 be billed with 63056 for the second level?\n",
        )
        try:
            wait_until(lambda: bool(drafts()), timeout=90, interval=0.5)
        except TimeoutError:
            pytest.fail((tmp_path / "honcho.log").read_text(errors="replace")[-4000:])
        [draft] = drafts()
        assert isinstance(draft, dict)
        assert draft["to"] == "coder@localhost" and draft["status"] == "pending"
        assert {"63056", "63057"} <= set(draft["codes"])
        assert (var_dir / "consultant.sqlite3").exists() and (var_dir / "broker").is_dir()
    finally:
        os.killpg(honcho.pid, signal.SIGTERM)
        try:
            honcho.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(honcho.pid, signal.SIGKILL)
            honcho.wait()
