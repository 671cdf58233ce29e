"""The real web app, ``consultant serve`` in a process of its own, for browser and HTTP tests.

Started on a free loopback port against a migrated database; ready once ``/healthz``
answers (polled until a deadline, never a fixed sleep); stopped with SIGTERM, the way a
supervisor stops it, and expected to exit 0 (its whole process group is killed if not).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from consultant.accounts.roles import StaffRole
from consultant.accounts.staff import create_staff_user
from consultant.db import unit_of_work

PROJECT_DIR = Path(__file__).resolve().parents[2]
BIN_DIR = Path(sys.executable).parent
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class StaffCredentials:
    """A staff user the tests sign in as."""

    email: str
    password: str
    role: StaffRole


@dataclass
class LiveServer:
    """One ``consultant serve`` process; ``url("/review")`` is the address of a page."""

    database_url: str
    var_dir: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    port: int = 0
    process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str = "/") -> str:
        return f"{self.base_url}{path}"

    @property
    def log_path(self) -> Path:
        return self.var_dir / "serve.log"

    def log(self) -> str:
        """What the server printed so far."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def environ(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CONSULTANT_")}
        env.update(
            CONSULTANT_DATABASE_URL=self.database_url,
            CONSULTANT_VAR_DIR=str(self.var_dir),
            CONSULTANT_SECRET_KEY="e2e-test-secret-key",
            PATH=f"{BIN_DIR}{os.pathsep}{env.get('PATH', '')}",
        )
        env.update(self.extra_env)
        return env

    def start(self) -> None:
        self.var_dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [str(BIN_DIR / "consultant"), "serve", "--port", str(self.port)],
                env=self.environ(),
                cwd=self.var_dir,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: stop() reaches all of it
            )
        try:
            self._wait_until_healthy()
        except BaseException:
            self.stop()
            raise

    def _wait_until_healthy(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        assert self.process is not None
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"consultant serve exited {self.process.returncode}:\n{self.log()}"
                )
            try:
                with urllib.request.urlopen(self.url("/healthz"), timeout=2) as answer:
                    if answer.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass  # not listening yet
            if time.monotonic() > deadline:
                raise TimeoutError(f"/healthz did not answer in {START_TIMEOUT} s:\n{self.log()}")
            time.sleep(0.05)  # the poll's interval, not a wait for an event

    def stop(self) -> int | None:
        """SIGTERM, then SIGKILL to the group if it is still running after STOP_TIMEOUT;
        returns the exit status (0 after a clean stop)."""
        process, self.process = self.process, None
        if process is None:
            return None
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        return process.returncode

    def add_staff(self, email: str, role: StaffRole, password: str) -> StaffCredentials:
        """A staff user in the server's database, created as ``consultant users create`` does."""
        with unit_of_work(self.database_url) as session:
            create_staff_user(session, email, role, password)
        return StaffCredentials(email, password, role)
