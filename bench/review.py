"""Review and send: the queue page with a long backlog, approval -> SMTP 250, and sends per second.

Usage: .venv/bin/python bench/review.py [--backends postgresql,sqlite] [--drafts 10000]
       [--rounds 50] [--requests 200] [--variant-requests 50] [--latency-samples 50]
       [--batch 500] [--http-on postgresql] [--sends-on postgresql] [--explain]

For each backend, a throwaway database (a new PostgreSQL database on the server
``CONSULTANT_BENCH_POSTGRES_URL`` names, by default 127.0.0.1:5432, or a SQLite
file in a temporary folder) is migrated and given the bundled sample code data.
A few questions go through the real ingest, so their drafts hold the facts
drafting really writes (about 6 kB of JSON for 63047 with 69990); the rows of
those consultations are then copied in bulk into ``--drafts`` pending drafts,
each with its own question bytes, Message-ID and age (one every 20 seconds).
The reviewer is made with ``consultant users create``.

1. The queue page (target: p95 < 100 ms): ``queue_page`` timed in-process, a
   unit of work per call as a request has, on every backend; then, on the
   ``--http-on`` backends, real HTTP: ``consultant serve`` in a process of its
   own, the reviewer signed in, and ``GET /review`` (then ``?code=63047`` and
   ``?page=100``) over one keep-alive connection, timed at the client, with the
   server's own figure from its request log beside it. The statements of one
   call are timed too; with ``--explain``, or when a p95 is over the target,
   the plan of the slowest one is printed.
2. Approval -> the SMTP server's 250 with no undo window (send delay 0): a real
   Celery worker (``celery -A workers.app worker``, on a Redis started here)
   sends to an aiosmtpd sink; timed from just before the approval's commit to
   the sink's handle_DATA, one approval at a time.
3. Sends per second (target: >= 100/s): ``--batch`` approvals committed in one
   transaction, timed from just before the commit to the last 250, with the
   worker at the Procfile's concurrency (2) and at 1. The CPU each role spent
   per send is printed beside it (on a shared machine, wall time also holds
   waiting for a core).

Every process, server and database it starts is stopped or dropped at the end.
It prints figures and asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import http.client
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import event, func, insert, select, text  # noqa: E402
from sqlalchemy.engine import Connection, make_url  # noqa: E402

from consultant.accounts.services import create_account  # noqa: E402 - after the path fix
from consultant.accounts.staff import StaffUser  # noqa: E402
from consultant.codes.sample_data import load_sample_data  # noqa: E402
from consultant.config import Settings  # noqa: E402
from consultant.consultations.models import (  # noqa: E402
    Consultation,
    ConsultationMessage,
    Draft,
)
from consultant.db import Base, engine_for, session_factory, unit_of_work  # noqa: E402
from consultant.inbound.ingest import run_ingest  # noqa: E402
from consultant.inbound.models import InboundMessage  # noqa: E402
from consultant.outbound.models import OutboundMessage  # noqa: E402
from consultant.review.decisions import SendPolicy, approve  # noqa: E402
from consultant.review.queue import QueueFilter, queue_page  # noqa: E402
from consultant.web.cookies import SESSION_COOKIE  # noqa: E402
from tests.databases import LOCAL_POSTGRES_ADMIN_URL, throwaway_database  # noqa: E402
from tests.e2e.live_server import LiveServer  # noqa: E402
from tests.e2e.plain_http import sign_in  # noqa: E402
from tests.integration.ledger_rows import store_inbound  # noqa: E402
from tests.integration.pipeline_processes import (  # noqa: E402
    PipelineEnv,
    log_tail,
    start_worker,
    stop,
)
from tests.integration.question_mail import question_bytes  # noqa: E402
from tests.servers import RedisServer, SmtpSink  # noqa: E402

POSTGRES_ADMIN_URL = os.environ.get("CONSULTANT_BENCH_POSTGRES_URL", LOCAL_POSTGRES_ADMIN_URL)
ASKER = "coder@clinic.example"
REVIEWER = "reviewer@consult.example"
PASSWORD = "a long bench password 1"
REPLY_FROM = "CaseConsultant <c@consult.example>"
SECRET = "review-bench-secret"
TARGET = dt.timedelta(minutes=240)  # the default CONSULTANT_REVIEW_TARGET_MINUTES
PAGE_TARGET_MS = 100.0
WARMUP = 5
#: Real questions drafted by the real ingest; the bulk drafts are copies of these, in turn.
QUESTIONS = (
    "Can 63047 be billed with 69990?",
    "Can 63057 be billed with 63056 for the second level?",
    "We billed 99213 with 99354 last year; what replaced 99354?",
    "How many units of 63057 can we report on one day?",
    "Spine case: 63047 with 69990-59 for the microscope. Will it pay?",
)
#: The queue pages timed: (label, filters in-process, path over HTTP).
PAGES = (
    ("pending, page 1", QueueFilter(), "/review"),
    ("code=63047", QueueFilter(code="63047"), "/review?code=63047"),
    ("page=100", QueueFilter(page=100), "/review?page=100"),
)
_MESSAGE_ID_LINE = re.compile(rb"(?im)^Message-ID:[^\n]*$")
_SERVER_MS = re.compile(r"GET /review (\d{3}) (\d+) ms")


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (5 min {five:.1f}) on {os.cpu_count()} cores"


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:7.1f} ms"


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]  # nearest rank


def _figures(values: list[float]) -> str:
    return (
        f"median {_ms(statistics.median(values))}  p95 {_ms(_p95(values))}  max {_ms(max(values))}"
    )


# --- the backlog -------------------------------------------------------------------------


@dataclass(frozen=True)
class TemplateRows:
    """The rows one real ingest wrote for a question, without their ids."""

    inbound: dict[str, Any]
    consultation: dict[str, Any]
    message: dict[str, Any]
    draft: dict[str, Any]


def _columns(row: Base | None) -> dict[str, Any]:
    assert row is not None
    return {c.key: getattr(row, c.key) for c in type(row).__mapper__.column_attrs if c.key != "id"}


def _real_drafts(url: str) -> list[TemplateRows]:
    """The sample code data, an account, and each of QUESTIONS ingested into a pending draft."""
    load_sample_data(url)
    settings = Settings(database_url=url, secret_key=SECRET, reply_from=REPLY_FROM)
    with unit_of_work(url) as session:
        create_account(session, ASKER, name="Pat")
    templates = []
    for question in QUESTIONS:
        outcome = run_ingest(url, store_inbound(url, question_bytes(ASKER, question)), settings)
        if outcome.draft_id is None:
            raise RuntimeError(f"no draft for {question!r}: {outcome}")
        with unit_of_work(url) as session:
            draft = session.get(Draft, outcome.draft_id)
            assert draft is not None and draft.consultation_id is not None
            message = session.scalar(
                select(ConsultationMessage).where(
                    ConsultationMessage.inbound_message_id == draft.inbound_message_id
                )
            )
            templates.append(
                TemplateRows(
                    inbound=_columns(session.get(InboundMessage, draft.inbound_message_id)),
                    consultation=_columns(session.get(Consultation, draft.consultation_id)),
                    message=_columns(message),
                    draft=_columns(draft),
                )
            )
    return templates


def _insert(session: Any, model: type, rows: list[dict[str, Any]]) -> list[int]:
    statement = insert(model).returning(model.id, sort_by_parameter_order=True)  # type: ignore[attr-defined]
    return list(session.scalars(statement, rows).all())


def copy_drafts(url: str, templates: list[TemplateRows], count: int, chunk: int = 1000) -> None:
    """``count`` pending drafts, each on a consultation of its own, copied from ``templates``."""
    now = dt.datetime.now(dt.UTC)
    with unit_of_work(url) as session:
        for start in range(0, count, chunk):
            numbers = range(start, min(count, start + chunk))
            inbound, threads, messages, drafts = [], [], [], []
            for n in numbers:
                template = templates[n % len(templates)]
                created = now - dt.timedelta(seconds=20 * (count - n))
                message_id = f"<bench.{n}.{uuid.uuid4().hex[:12]}@clinic.example>"
                raw = _MESSAGE_ID_LINE.sub(
                    b"Message-ID: " + message_id.encode(), template.inbound["raw"], count=1
                )
                sha256 = hashlib.sha256(raw).hexdigest()
                inbound.append(
                    {
                        **template.inbound,
                        "mailbox": "maildir:/bench",
                        "uid": n + 1,
                        "raw": raw,
                        "size": len(raw),
                        "sha256": sha256,
                        "fetched_at": created,
                        "updated_at": created,
                    }
                )
                threads.append({**template.consultation, "created_at": created})
                threads[-1]["updated_at"] = created
                messages.append(
                    {
                        **template.message,
                        "content_sha256": sha256,
                        "message_id_header": message_id,
                        "created_at": created,
                    }
                )
                drafts.append({**template.draft, "created_at": created, "updated_at": created})
            inbound_ids = _insert(session, InboundMessage, inbound)
            thread_ids = _insert(session, Consultation, threads)
            for row, inbound_id, thread_id in zip(messages, inbound_ids, thread_ids, strict=True):
                row.update(inbound_message_id=inbound_id, consultation_id=thread_id)
            _insert(session, ConsultationMessage, messages)
            for row, inbound_id, thread_id in zip(drafts, inbound_ids, thread_ids, strict=True):
                row.update(inbound_message_id=inbound_id, consultation_id=thread_id)
            _insert(session, Draft, drafts)


def make_backlog(url: str, count: int) -> None:
    """The backlog, printed with what it took and how big its facts are."""
    started = time.monotonic()
    templates = _real_drafts(url)
    copy_drafts(url, templates, count - len(templates))
    if url.startswith("postgresql"):
        # Steady state: autovacuum analyzes freshly loaded tables soon after.
        with engine_for(url).connect() as connection:
            connection.execute(text("ANALYZE"))
            connection.commit()
    with unit_of_work(url) as session:
        pending = session.scalar(
            select(func.count()).select_from(Draft).where(Draft.status == "pending")
        )
    sizes = sorted(len(str(t.draft["facts"])) for t in templates)
    print(
        f"  backlog: {pending:,} pending drafts made in {time.monotonic() - started:.1f} s "
        f"({len(templates)} by the real ingest, the rest copied in bulk; "
        f"facts {sizes[0] / 1024:.1f}-{sizes[-1] / 1024:.1f} kB each as Python text)"
    )


# --- 1. the queue page -------------------------------------------------------------------


def _traced_statements(url: str, filters: QueueFilter) -> list[tuple[float, str, Any]]:
    """Each statement of one ``queue_page`` call: (seconds, SQL, parameters)."""
    engine = engine_for(url)
    seen: list[tuple[float, str, Any]] = []
    starts: list[float] = []

    def before(*_args: Any) -> None:
        starts.append(time.perf_counter())

    def after(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_rest: Any) -> None:
        seen.append((time.perf_counter() - starts.pop(), statement, parameters))

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        with unit_of_work(url) as session:
            queue_page(session, filters, TARGET)
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
    return seen


def _one_line(statement: str, width: int = 110) -> str:
    flat = " ".join(statement.split())
    return flat if len(flat) <= width else flat[: width - 3] + "..."


def _explain(url: str, statement: str, parameters: Any) -> list[str]:
    engine = engine_for(url)
    prefix = (
        "EXPLAIN (ANALYZE, BUFFERS) " if url.startswith("postgresql") else "EXPLAIN QUERY PLAN "
    )
    connection: Connection
    with engine.connect() as connection:
        rows = connection.exec_driver_sql(prefix + statement, parameters).all()
    return [" | ".join(str(v) for v in row) for row in rows]


def bench_queue_service(url: str, rounds: int, explain: bool) -> None:
    """``queue_page`` in-process, a unit of work per call: median, p95, and its statements."""
    print(f"  queue_page() in-process, {rounds} calls each, a unit of work per call ({_load()})")
    for label, filters, _path in PAGES:
        timings = []
        for n in range(rounds + WARMUP):
            started = time.perf_counter()
            with unit_of_work(url) as session:
                page = queue_page(session, filters, TARGET)
            if n >= WARMUP:
                timings.append(time.perf_counter() - started)
        print(
            f"    {label:16} {_figures(timings)}   ({len(page.rows)} rows of "
            f"{page.total:,}, page {page.page}/{page.pages})"
        )
        statements = _traced_statements(url, filters)
        for seconds, statement, _ in sorted(statements, key=lambda s: -s[0])[:3]:
            print(f"        {_ms(seconds)}  {_one_line(statement)}")
        if explain or _p95(timings) * 1e3 > PAGE_TARGET_MS:
            _seconds, statement, parameters = max(statements, key=lambda s: s[0])
            print("        plan of the slowest statement:")
            for line in _explain(url, statement, parameters):
                print(f"          {line}")


class KeepAliveClient:
    """GETs over one HTTP/1.1 connection with the session cookie, as a browser tab makes them."""

    def __init__(self, port: int, cookie: str) -> None:
        self.port = port
        self.cookie = cookie
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.last_body = b""

    def get(self, path: str) -> float:
        """The seconds from sending the request to the whole body read; raises on a non-200."""
        started = time.perf_counter()
        try:
            self.connection.request(
                "GET", path, headers={"Cookie": f"{SESSION_COOKIE}={self.cookie}"}
            )
            response = self.connection.getresponse()
        except (ConnectionError, http.client.HTTPException):
            # The server closed the kept connection: open another, as a browser would.
            self.connection.close()
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            started = time.perf_counter()
            self.connection.request(
                "GET", path, headers={"Cookie": f"{SESSION_COOKIE}={self.cookie}"}
            )
            response = self.connection.getresponse()
        body = self.last_body = response.read()
        took = time.perf_counter() - started
        if response.status != 200:
            raise RuntimeError(f"GET {path}: {response.status} {body[:300]!r}")
        return took

    def close(self) -> None:
        self.connection.close()


def add_reviewer(url: str, workdir: Path) -> None:
    """The reviewer who signs in and approves, made as an operator makes one."""
    env = PipelineEnv(database_url=url, var_dir=workdir / "cli")
    env.var_dir.mkdir(parents=True, exist_ok=True)
    env.consultant(
        "users", "create", REVIEWER, "--role", "reviewer", "--password-stdin", stdin=PASSWORD
    )


def bench_queue_http(url: str, workdir: Path, requests: int, variant_requests: int) -> None:
    """``GET /review`` on ``consultant serve``, signed in as a reviewer: median and p95."""
    server = LiveServer(url, workdir / "web")
    server.start()
    try:
        answer = sign_in(server.base_url, REVIEWER, PASSWORD)
        cookie = answer.cookie(SESSION_COOKIE)
        if answer.status != 303 or not cookie:
            raise RuntimeError(f"sign-in failed: {answer.status} {answer.body[:300]}")
        client = KeepAliveClient(server.port, cookie)
        print(
            f"  GET over HTTP (consultant serve, one keep-alive connection), {requests} requests "
            f"of the first, {variant_requests} of the others ({_load()})"
        )
        try:
            for n, (_label, _filters, path) in enumerate(PAGES):
                for _ in range(WARMUP):
                    client.get(path)
                logged_before = len(_SERVER_MS.findall(server.log()))
                count = requests if n == 0 else variant_requests
                timings = [client.get(path) for _ in range(count)]
                time.sleep(0.2)  # the server logs each request after its answer
                logged = [int(ms) for _, ms in _SERVER_MS.findall(server.log())[logged_before:]]
                server_side = (
                    f"server's log: median {statistics.median(logged):.0f} ms, "
                    f"p95 {_p95([float(ms) for ms in logged]):.0f} ms"
                    if logged
                    else "server's log: no lines"
                )
                print(
                    f"    {path:20} {_figures(timings)}   ({server_side}; "
                    f"{client.last_body.count(b'data-queue-row')} rows, "
                    f"{len(client.last_body) / 1024:.0f} kB)"
                )
        finally:
            client.close()
    finally:
        server.stop()


# --- 2 and 3. approval -> SMTP 250, and sends per second ---------------------------------


class TimedSink(SmtpSink):
    """The tests' SMTP sink, noting the moment each message's DATA reached it."""

    def __init__(self) -> None:
        super().__init__()
        self.arrived_at: list[float] = []
        self._noted = threading.Condition()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        arrived = time.monotonic()
        answer = await super().handle_DATA(server, session, envelope)
        if answer.startswith("250"):
            with self._noted:
                self.arrived_at.append(arrived)
                self._noted.notify_all()
        return answer

    def wait_for_count(self, count: int, timeout: float) -> list[float]:
        """Block until ``count`` messages arrived; their arrival times."""
        with self._noted:
            if not self._noted.wait_for(lambda: len(self.arrived_at) >= count, timeout):
                raise TimeoutError(f"{len(self.arrived_at)} of {count} messages arrived")
            return list(self.arrived_at)


def _policy() -> SendPolicy:
    return SendPolicy(
        from_name="CaseConsultant",
        from_address="c@consult.example",
        secret_key=SECRET,
        send_delay=dt.timedelta(0),  # CONSULTANT_SEND_DELAY=0: no undo window
        retry_window=dt.timedelta(minutes=10),
    )


def _approve_and_commit(url: str, draft_ids: list[int], queue: Any) -> tuple[float, float, float]:
    """Approve every draft in one transaction.

    Returns the seconds approving, the instant just before the commit, and the seconds the
    commit took with the enqueueing of the sends after it.
    """
    session = session_factory(url)()
    try:
        reviewer = session.scalar(select(StaffUser).where(StaffUser.email == REVIEWER))
        assert reviewer is not None
        started = time.monotonic()
        for draft_id in draft_ids:
            approve(session, draft_id, reviewer, _policy(), queue)
        session.flush()
        committing = time.monotonic()
        session.commit()  # the send tasks are enqueued after it
        return committing - started, committing, time.monotonic() - committing
    finally:
        session.close()


def _pending_ids(url: str) -> Iterator[int]:
    """Pending drafts, newest first (the oldest stay for the queue's first page)."""
    with unit_of_work(url) as session:
        ids = session.scalars(
            select(Draft.id).where(Draft.status == "pending").order_by(Draft.id.desc())
        ).all()
    return iter(list(ids))


@contextmanager
def running_worker(
    env: PipelineEnv, concurrency: int
) -> Iterator[tuple[subprocess.Popen[bytes], Path]]:
    """A worker as the Procfile runs it; yields it and its log file."""
    logs_before = set(env.var_dir.glob("worker-*.log"))
    worker = start_worker(env, concurrency=concurrency)
    try:
        (log,) = set(env.var_dir.glob("worker-*.log")) - logs_before
        yield worker, log
    finally:
        stop(worker)


def _unsettled(url: str) -> int:
    with unit_of_work(url) as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(OutboundMessage)
                .where(OutboundMessage.status.in_(("approved", "sending")))
            )
            or 0
        )


def _settle(url: str, timeout: float = 15.0) -> None:
    """Wait until the worker recorded every send (a 250 arrives before its row says sent)."""
    deadline = time.monotonic() + timeout
    while _unsettled(url) and time.monotonic() < deadline:
        time.sleep(0.05)


def _task_seconds(log: Path, skip: int) -> list[float]:
    """The worker's own run time of each send task it logged, after the first ``skip``."""
    found = re.findall(
        r"Task workers\.tasks\.send\[[^]]+\] succeeded in ([0-9.]+)s", log.read_text()
    )
    return [float(seconds) for seconds in found[skip:]]


def _sent_counts(url: str) -> dict[str, int]:
    with unit_of_work(url) as session:
        rows = session.execute(
            select(OutboundMessage.status, func.count()).group_by(OutboundMessage.status)
        )
        return {status: count for status, count in rows}


class CpuMeter:
    """CPU seconds used by each role's processes between two snapshots (a shared machine's
    wall time also holds waiting for a core, which this leaves out)."""

    def __init__(self, roles: dict[str, Callable[[], list[psutil.Process]]]) -> None:
        self.roles = roles

    def snapshot(self) -> dict[tuple[str, int], float]:
        seen = {}
        for role, processes in self.roles.items():
            for process in processes():
                try:
                    times = process.cpu_times()
                except psutil.Error:
                    continue
                seen[(role, process.pid)] = times.user + times.system
        return seen

    def used(
        self, before: dict[tuple[str, int], float], after: dict[tuple[str, int], float]
    ) -> dict[str, float]:
        spent: dict[str, float] = dict.fromkeys(self.roles, 0.0)
        for (role, pid), seconds in after.items():
            spent[role] += seconds - before.get((role, pid), 0.0)
        return spent


def _tree(pid: int) -> list[psutil.Process]:
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.Error:
        return []


def _postgres_backends(url: str) -> list[psutil.Process]:
    """The server processes serving the database of ``url`` (their titles name it)."""
    name = make_url(url).database or ""
    found = []
    for process in psutil.process_iter(["name", "cmdline"]):
        title = " ".join(process.info["cmdline"] or [])
        if process.info["name"] == "postgres" and f" {name} " in title:
            found.append(process)
    return found


def _per_send(spent: dict[str, float], sends: int) -> str:
    return ", ".join(f"{role} {seconds / sends * 1e3:.1f}" for role, seconds in spent.items())


def bench_sends(
    url: str, workdir: Path, redis: RedisServer, samples: int, batch: int, only_rate: bool
) -> None:
    """Approval -> 250 one at a time, then ``batch`` approvals at once, on a real worker."""
    from workers.app import make_app  # after main() pointed the process settings at workdir
    from workers.queue import CeleryTaskQueue

    sink = TimedSink()
    sink.start()
    env = PipelineEnv(
        database_url=url,
        var_dir=workdir / "worker",
        broker_url=redis.url,
        extra={
            "CONSULTANT_SMTP_URL": f"{sink.url}?starttls=no",
            "CONSULTANT_REPLY_FROM": REPLY_FROM,
            "CONSULTANT_SECRET_KEY": SECRET,
            "CONSULTANT_SEND_DELAY": "0",
        },
    )
    env.var_dir.mkdir(parents=True, exist_ok=True)
    celery_app = make_app(Settings(broker_url=redis.url, var_dir=env.var_dir))
    queue = CeleryTaskQueue(celery_app)
    drafts = _pending_ids(url)

    def take(n: int) -> list[int]:
        return [next(drafts) for _ in range(n)]

    @dataclass(frozen=True)
    class Round:
        approving: float  # seconds in approve() calls, before the commit
        committing: float  # seconds of the commit and the enqueueing after it
        first: float  # from just before the commit to the first 250
        last: float  # ... to the last 250

    def approve_waiting(n: int, timeout: float) -> Round:
        """Approve ``n`` drafts in one transaction and wait for their ``n`` messages."""
        before = len(sink.arrived_at)
        approving, committed_at, committing = _approve_and_commit(url, take(n), queue)
        try:
            arrived = sink.wait_for_count(before + n, timeout)[before:]
        except TimeoutError:
            print(log_tail(env))
            raise
        return Round(
            approving, committing, min(arrived) - committed_at, max(arrived) - committed_at
        )

    try:
        for concurrency in (2, 1):
            with running_worker(env, concurrency) as (worker, log):
                roles: dict[str, Callable[[], list[psutil.Process]]] = {
                    "worker": lambda worker=worker: _tree(worker.pid),  # type: ignore[misc]
                    "bench process (SMTP sink, approvals)": lambda: [psutil.Process()],
                    "redis": lambda: _tree(redis.process.pid) if redis.process else [],
                }
                if url.startswith("postgresql"):
                    roles["postgres"] = lambda: _postgres_backends(url)
                meter = CpuMeter(roles)
                approve_waiting(2, timeout=60)  # warm-up: the worker's imports and connections
                _settle(url)
                warm = len(_task_seconds(log, 0))
                if concurrency == 2 and not only_rate:
                    rounds = [approve_waiting(1, timeout=30) for _ in range(samples)]
                    _settle(url)
                    tasks = _task_seconds(log, warm)
                    warm += len(tasks)
                    print(
                        f"  approval -> SMTP 250, undo window 0, {samples} approvals one at a "
                        f"time, worker --concurrency=2 ({_load()})"
                    )
                    print(f"    commit -> handle_DATA     {_figures([r.last for r in rounds])}")
                    print(
                        f"    approve() before commit   {_figures([r.approving for r in rounds])}"
                    )
                    print(
                        f"    commit + enqueue          {_figures([r.committing for r in rounds])}"
                    )
                    print(f"    send task in the worker   {_figures(tasks)}  (its log)")
                cpu_before = meter.snapshot()
                result = approve_waiting(batch, timeout=300)
                _settle(url)
                cpu = meter.used(cpu_before, meter.snapshot())
                tasks = _task_seconds(log, warm)
                print(
                    f"  {batch} approvals in one transaction, worker --concurrency={concurrency}"
                    f"{' (the Procfile)' if concurrency == 2 else ''}: "
                    f"{batch / result.last:5.1f} sends/s ({_load()})"
                )
                print(
                    f"    commit -> last 250 {result.last:.2f} s, first 250 after "
                    f"{result.first * 1e3:.0f} ms; the commit with its {batch} enqueues took "
                    f"{result.committing:.2f} s, the approvals before it {result.approving:.2f} s"
                )
                print(f"    send task in the worker   {_figures(tasks)}  (its log)")
                print(f"    CPU ms per send (approval included): {_per_send(cpu, batch)}")
        ids = [_message_id(raw) for _, _, raw in sink.received]
        print(
            f"    outbound rows by status: {_sent_counts(url)}; the sink got {len(ids)} messages, "
            f"{len(set(ids))} distinct Message-IDs"
        )
    finally:
        celery_app.close()
        sink.stop()


def _message_id(raw: bytes) -> str:
    found = _MESSAGE_ID_LINE.search(raw)
    return found.group(0).decode(errors="replace") if found else ""


def _names(value: str) -> list[str]:
    return [name.strip() for name in value.split(",") if name.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--backends", default="postgresql,sqlite")
    parser.add_argument("--drafts", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=50, help="queue_page() calls per page")
    parser.add_argument("--requests", type=int, default=200, help="GET /review requests")
    parser.add_argument(
        "--variant-requests", type=int, default=50, help="GETs of ?code= and ?page="
    )
    parser.add_argument("--latency-samples", type=int, default=50)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--explain", action="store_true", help="print every page's slowest plan")
    parser.add_argument("--http-on", default="postgresql", help="backends HTTP is timed on")
    parser.add_argument(
        "--sends-on",
        default="postgresql",
        help="backends the sends are timed on (approval -> 250 on the first only)",
    )
    args = parser.parse_args()
    http_on, sends_on = _names(args.http_on), _names(args.sends_on)

    workdir = Path(tempfile.mkdtemp(prefix="bench-review-"))
    # The process settings (read when workers.app is imported) go to the bench's own folders,
    # never to var/ in the checkout.
    os.environ["CONSULTANT_VAR_DIR"] = str(workdir / "process-var")
    redis = RedisServer()
    redis.start()
    os.environ["CONSULTANT_BROKER_URL"] = redis.url
    print(f"review bench: {args.drafts:,} pending drafts; {_load()}")
    first_sends = True
    started = time.monotonic()
    try:
        for backend in _names(args.backends):
            print(f"{backend}:")
            with throwaway_database(backend, POSTGRES_ADMIN_URL, "consultant_bench") as url:
                make_backlog(url, args.drafts)
                add_reviewer(url, workdir / backend)
                bench_queue_service(url, args.rounds, args.explain)
                if backend in http_on:
                    bench_queue_http(url, workdir / backend, args.requests, args.variant_requests)
                if backend in sends_on:
                    bench_sends(
                        url,
                        workdir / backend,
                        redis,
                        args.latency_samples,
                        args.batch,
                        only_rate=not first_sends,
                    )
                    first_sends = False
    finally:
        redis.cleanup()
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"done in {time.monotonic() - started:.0f} s; {_load()}")


if __name__ == "__main__":
    main()
