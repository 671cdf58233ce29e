"""The whole mail-in pipeline on real servers: throughput, IDLE latency and peak RSS.

Usage: .venv/bin/python bench/pipeline.py [--messages 2000] [--latency-samples 50]
       [--concurrency N] [--backend postgresql|sqlite]

Starts Dovecot and Redis on free loopback ports and a throwaway PostgreSQL
database (the server at 127.0.0.1:5432, as the tests use), loads the bundled
sample code data, then runs the real processes of the Procfile: `consultant
poll` and `celery -A workers.app worker`. Mail is APPENDed over IMAP; a
message counts as done when its draft is pending review in the database.

1. IDLE latency: one question at a time, APPEND -> draft pending (p50, p95).
2. Throughput: 2,000 questions APPENDed back to back over two IMAP
   connections; messages/s from the first APPEND to the last draft pending.
   When the pipeline keeps pace, this is the rate Dovecot takes APPENDs on a
   machine also running the pipeline: the rate with the poller stopped is
   printed too, as that figure's ceiling. Then a backlog: 2,000 more APPENDed
   with the poller stopped, then drained (the pipeline's own rate).
3. Peak RSS of the poller and of the worker's processes, sampled every 0.2 s.

It prints figures and asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

import psutil
from imapclient import IMAPClient
from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from consultant.consultations.models import Draft  # noqa: E402 - after the path fix above
from consultant.db import unit_of_work  # noqa: E402
from tests.conftest import drop_database, make_database  # noqa: E402
from tests.integration.pipeline_processes import (  # noqa: E402
    PipelineEnv,
    start_poller,
    start_worker,
    stop,
)
from tests.integration.question_mail import question_bytes  # noqa: E402
from tests.servers import DovecotServer, RedisServer  # noqa: E402

ASKER = "coder@clinic.example"
QUESTIONS = (
    "Can 63057 be billed with 63056 for the second level?",
    "Is 69990 payable with 63047, or is it bundled?",
    "We billed 99213 with 99354 last year; what replaced 99354?",
    "How many units of 63057 can we report on one day?",
)


def _drafts(database_url: str) -> int:
    with unit_of_work(database_url) as session:
        return int(session.scalar(select(func.count()).select_from(Draft)) or 0)


class RssSampler(threading.Thread):
    """Samples the resident set size of each pipeline process and keeps the peaks."""

    def __init__(self, roles: dict[str, int]) -> None:
        super().__init__(daemon=True)
        self.roles = roles
        self.peaks: dict[str, int] = defaultdict(int)
        self.cpu: dict[tuple[str, int], float] = {}  # (role, pid) -> CPU seconds seen last
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.2):
            for role, pid in self.roles.items():
                try:
                    root = psutil.Process(pid)
                    tree = [root, *root.children(recursive=True)]
                    sizes = {p.pid: p.memory_info().rss for p in tree}
                    for process in tree:
                        times = process.cpu_times()
                        self.cpu[(role, process.pid)] = times.user + times.system
                except psutil.Error:
                    continue
                top = root.pid
                self.peaks[f"{role} main"] = max(self.peaks[f"{role} main"], sizes.get(top, 0))
                children = [rss for pid_, rss in sizes.items() if pid_ != top]
                if children:
                    child_peak = max(self.peaks[f"{role} child"], max(children))
                    self.peaks[f"{role} child"] = child_peak
                self.peaks[f"{role} total"] = max(self.peaks[f"{role} total"], sum(sizes.values()))


def _append_all(server: DovecotServer, messages: list[bytes], connections: int = 2) -> float:
    """APPEND every message over ``connections`` IMAP sessions; returns the first APPEND time."""
    first = time.monotonic()
    share = [messages[i::connections] for i in range(connections)]

    def append(part: list[bytes]) -> None:
        imap = IMAPClient("127.0.0.1", port=server.port, ssl=False, timeout=60)
        imap.login(server.user, server.password)
        for raw in part:
            imap.append("INBOX", raw)
        imap.logout()

    threads = [threading.Thread(target=append, args=(part,)) for part in share]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return first


def _wait_for_drafts(database_url: str, count: int, timeout: float, interval: float) -> float:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _drafts(database_url) >= count:
            return time.monotonic()
        time.sleep(interval)
    raise TimeoutError(f"{_drafts(database_url)} of {count} drafts after {timeout:.0f} s")


def _measure_latency(
    server: DovecotServer, database_url: str, samples: int, imap: IMAPClient
) -> list[float]:
    latencies = []
    for n in range(samples):
        before = _drafts(database_url)
        raw = question_bytes(ASKER, f"Latency {n}: " + QUESTIONS[n % len(QUESTIONS)])
        sent = time.monotonic()
        imap.append("INBOX", raw)
        done = _wait_for_drafts(database_url, before + 1, timeout=30, interval=0.01)
        latencies.append(done - sent)
        time.sleep(0.3)  # let the poller go back to IDLE, as between real questions
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--latency-samples", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=psutil.cpu_count() or 2)
    parser.add_argument("--backend", default="postgresql", choices=("postgresql", "sqlite"))
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="bench-pipeline-"))
    dovecot, redis_server = DovecotServer(), RedisServer()
    dovecot.start()
    redis_server.start()
    database_url = make_database(args.backend, workdir)
    env = PipelineEnv(
        database_url=database_url,
        var_dir=workdir / "var",
        broker_url=redis_server.url,
        imap_url=dovecot.url(),
    )
    env.var_dir.mkdir()
    processes = []
    try:
        env.consultant("codes", "load-sample")
        env.consultant("accounts", "create", ASKER)
        worker = start_worker(env, concurrency=args.concurrency)
        poller = start_poller(env)
        processes = [poller, worker]
        sampler = RssSampler({"poller": poller.pid, "worker": worker.pid})
        sampler.start()

        # Warm up: the first message pays for imports and connections.
        imap = IMAPClient("127.0.0.1", port=dovecot.port, ssl=False, timeout=60)
        imap.login(dovecot.user, dovecot.password)
        imap.append("INBOX", question_bytes(ASKER, "Warm-up: " + QUESTIONS[0]))
        _wait_for_drafts(database_url, 1, timeout=60, interval=0.05)

        latencies = _measure_latency(dovecot, database_url, args.latency_samples, imap)
        imap.logout()

        messages = [
            question_bytes(ASKER, f"Bulk {n}: " + QUESTIONS[n % len(QUESTIONS)])
            for n in range(args.messages)
        ]
        before = _drafts(database_url)
        first_append = _append_all(dovecot, messages)
        appended = time.monotonic()
        last_draft = _wait_for_drafts(
            database_url, before + args.messages, timeout=1800, interval=0.05
        )

        # Drain: the same number already in the mailbox when the poller starts, so
        # the figure is the pipeline's own rate, not the rate Dovecot accepts APPENDs.
        stop(poller)
        backlog = [
            question_bytes(ASKER, f"Backlog {n}: " + QUESTIONS[n % len(QUESTIONS)])
            for n in range(args.messages)
        ]
        backlog_start = _append_all(dovecot, backlog)
        backlog_appended = time.monotonic() - backlog_start
        before = _drafts(database_url)
        poller = start_poller(env)
        processes = [poller, worker]
        sampler.roles["poller"] = poller.pid
        drain_start = time.monotonic()
        drain_end = _wait_for_drafts(
            database_url, before + args.messages, timeout=1800, interval=0.05
        )
        sampler.done.set()
        sampler.join()
    finally:
        for process in processes:
            stop(process)
        dovecot.cleanup()
        redis_server.cleanup()
        drop_database(database_url)

    elapsed = last_draft - first_append
    drained = drain_end - drain_start
    ordered = sorted(latencies)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]  # nearest rank
    print(
        f"pipeline bench: {args.backend}, worker concurrency {args.concurrency}, "
        f"{psutil.cpu_count()} CPUs, load average {psutil.getloadavg()[0]:.1f}"
    )
    print(
        f"  throughput APPEND -> draft pending: {args.messages} messages in {elapsed:.1f} s "
        f"= {args.messages / elapsed:.0f} messages/s "
        f"(APPEND alone took {appended - first_append:.1f} s)"
    )
    print(
        f"  throughput of a backlog (APPENDed first, then the poller started): "
        f"{args.messages} messages in {drained:.1f} s = {args.messages / drained:.0f} messages/s"
    )
    print(
        f"  APPEND rate of this client with the poller stopped (the ceiling of the first figure): "
        f"{args.messages / backlog_appended:.0f} messages/s"
    )
    print(
        f"  IDLE latency APPEND -> draft pending over {len(latencies)} messages: "
        f"p50 {statistics.median(latencies):.3f} s, p95 {p95:.3f} s, "
        f"max {max(latencies):.3f} s"
    )
    for role, peak in sorted(sampler.peaks.items()):
        print(f"  peak RSS {role}: {peak / 1_048_576:.0f} MiB")
    for role in ("poller", "worker"):
        seconds = sum(cpu for (who, _), cpu in sampler.cpu.items() if who == role)
        print(f"  CPU seconds used by the {role} processes over the whole run: {seconds:.1f}")


if __name__ == "__main__":
    main()
