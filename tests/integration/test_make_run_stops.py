"""`make run` stops cleanly on Ctrl-C: honcho's SIGTERM ends every process of the Procfile.

A terminal's Ctrl-C reaches honcho (each Procfile process runs in a session of
its own); honcho sends SIGTERM to every process group and kills what is left
after 5 seconds. Each process must stop by itself well before that, with exit
status 0, leaving nothing running: no SIGKILL, no shell or pool child behind.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.integration.pipeline_processes import BIN_DIR, PROJECT_DIR, PipelineEnv, wait_until
from tests.integration.test_pipeline_honcho import _procfile_processes

#: honcho's KILL_WAIT: after this many seconds it sends SIGKILL to what still runs.
HONCHO_KILL_WAIT = 5.0


def _running_in_groups(groups: set[int]) -> list[str]:
    """Processes (not zombies) still in one of the process groups ``groups``."""
    left = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # ended meanwhile
        # pid (comm) state ppid pgrp ...: comm may hold spaces, so split after its ")".
        state, _ppid, pgrp = stat.rsplit(")", 1)[1].split()[:3]
        if int(pgrp) in groups and state != "Z":
            left.append(f"{entry.name} ({state}): {stat.split(')')[0]})")
    return left


def _stop_everything(honcho: subprocess.Popen[bytes], log: str) -> None:
    """After a failure too: honcho and every process group it started (each its own session)."""
    if honcho.poll() is None:
        honcho.terminate()  # honcho stops its processes, then SIGKILLs what is left
        try:
            honcho.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(honcho.pid, signal.SIGKILL)
            honcho.wait()
    groups = {int(pid) for pid in re.findall(r"started \(pid=(\d+)\)", log)}
    for entry in _running_in_groups(groups):
        with contextlib.suppress(ProcessLookupError):
            os.kill(int(entry.split()[0]), signal.SIGKILL)


def test_ctrl_c_stops_every_procfile_process_cleanly_within_honchos_kill_wait(
    tmp_path: Path,
) -> None:
    var_dir = tmp_path / "var"
    environ = PipelineEnv(database_url="", var_dir=var_dir).environ()
    for name in ("CONSULTANT_DATABASE_URL", "CONSULTANT_BROKER_URL", "CONSULTANT_IMAP_URL"):
        environ.pop(name)  # the embedded defaults, as `make run` uses them
    subprocess.run(
        [str(BIN_DIR / "consultant"), "db", "upgrade"],
        env=environ,
        cwd=tmp_path,
        capture_output=True,
        check=True,
    )
    log_path = tmp_path / "honcho.log"
    processes = _procfile_processes()
    procfile = str(PROJECT_DIR / "Procfile")
    with log_path.open("wb") as log:
        honcho = subprocess.Popen(
            [str(BIN_DIR / "honcho"), "-f", procfile, "-d", str(tmp_path), "start", *processes],
            env=environ,
            cwd=tmp_path,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def log_text() -> str:
        return log_path.read_text(errors="replace")

    try:
        try:
            # Stop once everything is up and a question went through, as a newcomer would.
            wait_until(lambda: " ready." in log_text() and "beat: Starting" in log_text(), 120)
            subprocess.run(
                [str(BIN_DIR / "consultant"), "ask", "--from", "coder@localhost"],
                input=b"Can 63057 be billed with 63056?\n",
                env=environ,
                cwd=tmp_path,
                capture_output=True,
                check=True,
            )
            wait_until(lambda: "ingest_batch" in log_text() and "succeeded" in log_text(), 60)
        except TimeoutError:
            pytest.fail(log_text()[-4000:])
        groups = {int(pid) for pid in re.findall(r"started \(pid=(\d+)\)", log_text())}
        assert len(groups) == len(processes), log_text()[-4000:]

        pressed = time.monotonic()
        honcho.send_signal(signal.SIGINT)  # what Ctrl-C sends honcho
        honcho.wait(timeout=60)
        took = time.monotonic() - pressed
    finally:
        _stop_everything(honcho, log_text())

    shown = f"stopped in {took:.1f} s\n{log_text()[-4000:]}"
    assert "SIGKILL" not in log_text(), shown
    assert took < HONCHO_KILL_WAIT, shown
    for name in processes:
        assert f"{name}.1 stopped (rc=0)" in log_text(), shown
    wait_until(lambda: not _running_in_groups(groups), timeout=5)
