"""The IMAP mailbox source against a real Dovecot."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from consultant.cli import main
from consultant.mail.imap_source import PROCESSED_KEYWORD, ImapSource
from consultant.mail.sources import MailboxError, MailboxUnavailable, source_from_url
from tests.servers import DovecotServer


def make_mail(number: int, body_size: int = 100) -> bytes:
    return (
        f"From: coder{number}@example.com\r\nTo: questions@example.com\r\n"
        f"Subject: question {number}\r\nMessage-ID: <q{number}@example.com>\r\n\r\n"
        + "x" * body_size
        + "\r\n"
    ).encode()


def test_url_gives_identity_without_password() -> None:
    source = source_from_url("imap://coder:p%40ss@mail.example.com/Questions?starttls=1", None)  # type: ignore[arg-type]
    assert isinstance(source, ImapSource)
    assert source.password == "p@ss"
    assert source.starttls is True
    assert source.port == 143
    assert source.identity == "imap://coder@mail.example.com:143/Questions"
    assert "p@ss" not in source.identity
    assert "p@ss" not in repr(source)
    assert ImapSource.from_url("imaps://coder:x@mail.example.com").port == 993
    with pytest.raises(MailboxError):
        ImapSource.from_url("imaps://coder:x@mail.example.com/INBOX?starttls=1")


def test_lists_fetches_and_moves_without_touching_seen(dovecot: DovecotServer) -> None:
    first = dovecot.append(make_mail(1))
    second = dovecot.append(make_mail(2, body_size=5000))
    source = ImapSource.from_url(dovecot.url())
    source.open()
    try:
        assert source.uidvalidity() == dovecot.uidvalidity()
        pending = source.list_pending()
        assert [(m.uid, m.size) for m in pending] == [
            (first, len(make_mail(1))),
            (second, len(make_mail(2, body_size=5000))),
        ]
        assert [m.uid for m in source.list_pending(after_uid=first)] == [second]
        # "N:*" matches the last message even above it; the source filters that out.
        assert source.list_pending(after_uid=second + 10) == []
        assert source.fetch([first, second]) == {first: make_mail(1), second: make_mail(2, 5000)}
        assert source.fetch_headers([first])[first].endswith(b"\r\n\r\n")
        source.mark_processed([first])
        source.mark_processed([first])  # again: a no-op, as after a crash and retry
        assert [m.uid for m in source.list_pending()] == [second]
    finally:
        source.close()
    assert dovecot.uids("INBOX") == [second]
    assert dovecot.messages("Processed") == [make_mail(1)]
    with dovecot.client() as imap:
        imap.select_folder("INBOX", readonly=True)
        assert b"\\Seen" not in imap.get_flags([second])[second]


def test_flags_instead_of_moving_when_the_server_has_no_move(dovecot: DovecotServer) -> None:
    uid = dovecot.append(make_mail(1))
    source = ImapSource.from_url(dovecot.url())
    source.open()
    try:
        assert source._client is not None
        # Pretend to be a server without MOVE (RFC 6851), such as some older Exchange versions.
        capabilities = tuple(c for c in source._client.capabilities() if c != b"MOVE")
        source._client._cached_capabilities = capabilities
        source.mark_processed([uid])
        assert source.list_pending() == []
    finally:
        source.close()
    assert dovecot.uids("INBOX") == [uid]
    with dovecot.client() as imap:
        imap.select_folder("INBOX", readonly=True)
        assert PROCESSED_KEYWORD in imap.get_flags([uid])[uid]


def test_idle_wakes_soon_after_a_message_arrives(dovecot: DovecotServer) -> None:
    source = ImapSource.from_url(dovecot.url())
    source.open()
    appended_at: list[float] = []

    def append_soon() -> None:
        time.sleep(0.3)  # let the IDLE begin first
        dovecot.append(make_mail(1))
        appended_at.append(time.monotonic())

    try:
        assert source.wait_for_new(0.2) is False
        appender = threading.Thread(target=append_soon)
        appender.start()
        deadline = time.monotonic() + 10
        woke = False
        while not woke and time.monotonic() < deadline:
            woke = source.wait_for_new(1.0)
        woke_at = time.monotonic()
        appender.join()
    finally:
        source.close()
    assert woke
    assert woke_at - appended_at[0] < 1.5


def test_starttls_asked_but_not_offered_is_an_error_not_plaintext(dovecot: DovecotServer) -> None:
    source = ImapSource.from_url(dovecot.url(query="starttls=1"))
    with pytest.raises(MailboxError, match="STARTTLS"):
        source.open()
    # The password was never sent: Dovecot logged no login.
    assert "Login: user=<coder>" not in dovecot.log_tail(200)


def test_imaps_to_a_plaintext_port_fails(dovecot: DovecotServer) -> None:
    source = ImapSource.from_url(dovecot.url(scheme="imaps"))
    source.timeout = 5
    with pytest.raises(MailboxUnavailable):
        source.open()
    assert "Login: user=<coder>" not in dovecot.log_tail(200)


def test_a_stopped_server_is_unavailable_not_a_crash(dovecot: DovecotServer) -> None:
    source = ImapSource.from_url(dovecot.url())
    source.open()
    dovecot.stop()
    with pytest.raises(MailboxUnavailable):
        source.list_pending()
    source.close()
    with pytest.raises(MailboxUnavailable):
        source.open()


def test_starttls_and_imaps_log_in_over_tls(tls_dovecot: DovecotServer) -> None:
    uid = tls_dovecot.append(make_mail(1))
    context = tls_dovecot.client_ssl_context()
    for url in (tls_dovecot.url(query="starttls=1"), tls_dovecot.url(scheme="imaps")):
        source = ImapSource.from_url(url, ssl_context=context)
        source.open()
        try:
            assert [m.uid for m in source.list_pending()] == [uid]
        finally:
            source.close()
    logins = [
        line for line in tls_dovecot.log_tail(200).splitlines() if "Login: user=<coder>" in line
    ]
    # The helper's own APPEND logs in over plain text; both of ours were TLS.
    assert sum("TLS" in line for line in logins) == 2


def test_an_untrusted_certificate_is_refused_not_bypassed(tls_dovecot: DovecotServer) -> None:
    for url in (tls_dovecot.url(query="starttls=1"), tls_dovecot.url(scheme="imaps")):
        source = ImapSource.from_url(url)  # the system's trust store: self-signed fails
        source.timeout = 5
        with pytest.raises(MailboxUnavailable):
            source.open()
    assert "Login: user=<coder>" not in tls_dovecot.log_tail(200)


def test_ask_appends_the_question_to_the_imap_mailbox(
    dovecot: DovecotServer, tmp_path: Path
) -> None:
    from consultant.config import get_settings

    env = {"CONSULTANT_IMAP_URL": dovecot.url(), "CONSULTANT_VAR_DIR": str(tmp_path)}
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(
            main, ["ask", "--from", "coder@example.com"], input="Is 99292 an add-on?\n", env=env
        )
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    (raw,) = dovecot.messages("INBOX")
    assert b"From: coder@example.com" in raw
    assert b"Is 99292 an add-on?" in raw
    assert dovecot.password not in result.output  # the identity shown has no credentials


def test_wrong_password_and_missing_folder_say_so(dovecot: DovecotServer) -> None:
    wrong = ImapSource.from_url(dovecot.url().replace(dovecot.password, "wrong-password"))
    with pytest.raises(MailboxUnavailable, match="uthentication failed") as failed:
        wrong.open()
    assert "wrong-password" not in str(failed.value)
    with pytest.raises(MailboxUnavailable, match="Questions"):
        ImapSource.from_url(dovecot.url(folder="Questions")).open()
