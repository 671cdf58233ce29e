"""Running the real processes of the Procfile (poller, worker) for pipeline tests and the bench.

Each process runs in its own session (process group), so ``kill_hard`` is a
real ``kill -9`` of it and of its children (a Celery worker's pool), the way a
crashed machine or the OOM killer would end them.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PROJECT_DIR = Path(__file__).resolve().parents[2]
BIN_DIR = Path(sys.executable).parent


@dataclass
class PipelineEnv:
    """The CONSULTANT_* environment one pipeline's processes share."""

    database_url: str
    var_dir: Path
    broker_url: str = ""
    imap_url: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    def environ(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CONSULTANT_")}
        env.update(
            CONSULTANT_DATABASE_URL=self.database_url,
            CONSULTANT_VAR_DIR=str(self.var_dir),
            CONSULTANT_BROKER_URL=self.broker_url,
            CONSULTANT_IMAP_URL=self.imap_url,
            CONSULTANT_SECRET_KEY="pipeline-test-secret",
            PATH=f"{BIN_DIR}{os.pathsep}{env.get('PATH', '')}",
        )
        env.update(self.extra)
        return env

    def consultant(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        """Run ``consultant ARGS`` and return its result (raises, with its stderr, if it fails)."""
        result = subprocess.run(
            [str(BIN_DIR / "consultant"), *args],
            input=stdin,
            env=self.environ(),
            cwd=PROJECT_DIR,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"consultant {' '.join(args)} exited {result.returncode}: {result.stderr[-2000:]}"
            )
        return result

    def pending_drafts(self) -> list[dict[str, Any]]:
        """``consultant review list --json``, as an operator would read it."""
        rows: list[dict[str, Any]] = json.loads(self.consultant("review", "list", "--json").stdout)
        return rows


def _start(env: PipelineEnv, name: str, argv: list[str]) -> subprocess.Popen[bytes]:
    log = open(env.var_dir / f"{name}-{uuid.uuid4().hex[:6]}.log", "ab")  # noqa: SIM115
    process = subprocess.Popen(
        argv,
        env=env.environ(),
        cwd=PROJECT_DIR,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    log.close()  # the child holds its own descriptor
    return process


def start_worker(
    env: PipelineEnv, concurrency: int = 2, app: str = "workers.app"
) -> subprocess.Popen[bytes]:
    """``celery -A workers.app worker``, as the Procfile runs it (``app``: another Celery app)."""
    return _start(
        env,
        "worker",
        [
            str(BIN_DIR / "celery"),
            "-A",
            app,
            "worker",
            "--loglevel=INFO",
            f"--concurrency={concurrency}",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-n",
            f"worker-{uuid.uuid4().hex[:8]}@%h",
        ],
    )


def start_poller(env: PipelineEnv) -> subprocess.Popen[bytes]:
    """``consultant poll``, as the Procfile runs it."""
    return _start(env, "poller", [str(BIN_DIR / "consultant"), "poll"])


def kill_hard(process: subprocess.Popen[bytes]) -> None:
    """``kill -9`` the process and everything in its process group."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


def stop(process: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    """SIGTERM the process group, then SIGKILL whatever is left after ``timeout``."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=timeout)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        kill_hard(process)


def wait_until(predicate: Callable[[], bool], timeout: float, interval: float = 0.1) -> None:
    """Poll ``predicate`` until it holds; raise TimeoutError after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise TimeoutError(f"condition not met within {timeout:.0f} s")


def log_tail(env: PipelineEnv, lines: int = 40) -> str:
    """The last lines of every process log, for a failing test's message."""
    out = []
    for path in sorted(env.var_dir.glob("*.log")):
        text = path.read_text(errors="replace").splitlines()[-lines:]
        out.append(f"== {path.name}\n" + "\n".join(text))
    return "\n".join(out)
