"""The real test servers others build on: the SMTP sink and Redis behave as servers do."""

from __future__ import annotations

import smtplib
import socket
from email.message import EmailMessage

from tests.integration.ledger_rows import RecordingQueue
from tests.servers import DovecotServer, RedisServer, SmtpSink


def redis_command(port: int, *words: str) -> bytes:
    """One command in RESP, the reply's first line (no client library needed)."""
    request = f"*{len(words)}\r\n" + "".join(f"${len(w)}\r\n{w}\r\n" for w in words)
    with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
        connection.sendall(request.encode())
        return connection.recv(1024).split(b"\r\n")[0]


def test_smtp_sink_keeps_what_is_sent(smtp_sink: SmtpSink) -> None:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "a@example.com", "b@example.com", "Hi"
    message.set_content("hello")
    with smtplib.SMTP("127.0.0.1", smtp_sink.port, timeout=10) as client:
        client.send_message(message)
    (received,) = smtp_sink.wait_for(1)
    assert received["Subject"] == "Hi"
    assert smtp_sink.received[0][1] == ["b@example.com"]


def test_redis_restart_forgets_everything(redis_server: RedisServer) -> None:
    assert redis_command(redis_server.port, "SET", "k", "v") == b"+OK"
    assert redis_command(redis_server.port, "GET", "k") == b"$1"
    redis_server.restart()
    assert redis_command(redis_server.port, "GET", "k") == b"$-1"


def test_recording_queue_waits_for_tasks() -> None:
    queue = RecordingQueue()
    queue.enqueue("ingest", 7)
    assert queue.wait_for(1, timeout=1) == [("ingest", 7)]
    assert queue.row_ids == [7]


def test_dovecot_append_many_and_restart_keep_the_mail(dovecot: DovecotServer) -> None:
    dovecot.append_many([b"Subject: 1\r\n\r\none\r\n", b"Subject: 2\r\n\r\ntwo\r\n"])
    dovecot.restart()
    assert dovecot.messages() == [b"Subject: 1\r\n\r\none\r\n", b"Subject: 2\r\n\r\ntwo\r\n"]
