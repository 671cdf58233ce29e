"""Settings as a new user writes them: a From with a display name, a mailbox URL that is wrong.

``CONSULTANT_REPLY_FROM`` takes ``Name <address>``, as every mail client writes
it; the loop rule compares the bare address. A wrong value stops only what uses
the address, in one line naming the variable. ``CONSULTANT_IMAP_URL`` problems
(a bad scheme, no host, a host nobody answers on) name the variable and the host,
never the password.
"""

from __future__ import annotations

import email
import email.policy
import subprocess
from pathlib import Path

import pytest

from consultant.accounts.services import create_account
from consultant.config import Settings
from consultant.db import unit_of_work
from consultant.inbound.ingest import run_ingest
from tests.integration.ledger_rows import store_inbound
from tests.integration.question_mail import question_bytes
from tests.integration.test_lookup import insert_test_facts
from tests.integration.test_startup_errors import BIN_DIR, PASSWORD, environ, free_port, run

DISPLAY_FROM = "CaseConsultant <Consult@Example.com>"


def _consultant(
    args: list[str], env: dict[str, str], stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN_DIR / "consultant"), *args],
        input=stdin,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _one_error_line(result: subprocess.CompletedProcess[str], variable: str) -> str:
    shown = f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert result.returncode == 2, shown
    assert "Traceback" not in result.stderr and PASSWORD not in result.stderr, shown
    [line] = result.stderr.splitlines()
    assert line.startswith(f"error: {variable}"), shown
    return line


@pytest.mark.parametrize(
    ("sender", "headers"),
    [("consult@example.com", {}), ("coder@clinic.example", {"X-Loop": "consult@example.com"})],
)
def test_the_loop_rule_compares_the_bare_address_of_a_display_name_from(
    database_url: str, sender: str, headers: dict[str, str]
) -> None:
    with unit_of_work(database_url) as session:
        create_account(session, "coder@clinic.example")
    settings = Settings(database_url=database_url, secret_key="s", reply_from=DISPLAY_FROM)
    raw = question_bytes(sender, to=DISPLAY_FROM, extra_headers=headers)
    assert run_ingest(database_url, store_inbound(database_url, raw), settings).disposition == (
        "loop"
    )


def test_ask_addresses_the_question_to_a_display_name_from(
    database_url: str, tmp_path: Path
) -> None:
    env = environ(database_url, tmp_path) | {"CONSULTANT_REPLY_FROM": DISPLAY_FROM}
    asked = _consultant(["ask", "--from", "coder@clinic.example"], env, "Is 63057 an add-on?")
    assert asked.returncode == 0, asked.stderr
    [delivered] = (tmp_path / "mail" / "new").iterdir()
    message = email.message_from_bytes(delivered.read_bytes(), policy=email.policy.default)
    assert message["To"].addresses[0].addr_spec == "Consult@Example.com"
    assert message["To"].addresses[0].display_name == "CaseConsultant"


def test_a_wrong_reply_from_stops_only_what_uses_the_address(
    database_url: str, tmp_path: Path
) -> None:
    insert_test_facts(database_url)
    env = environ(database_url, tmp_path) | {"CONSULTANT_REPLY_FROM": "not an address"}
    for args, stdin in [
        (["lookup", "63057"], ""),
        (["review", "list"], ""),
        (["extract"], "63057 with 63056"),
        (["draft"], "Can 63057 be billed with 63056?"),
        (["codes", "releases"], ""),
    ]:
        result = _consultant(args, env, stdin)
        assert result.returncode == 0, f"{args}: {result.stderr}"
    asked = _consultant(["ask", "--from", "coder@clinic.example"], env, "Is 63057 an add-on?")
    line = _one_error_line(asked, "CONSULTANT_REPLY_FROM")
    assert "'not an address'" in line and "CaseConsultant <consultant@example.com>" in line


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            f"pop3://coder:{PASSWORD}@mail.example.com/INBOX",
            "error: CONSULTANT_IMAP_URL: pop3://coder:***@mail.example.com/INBOX: "
            "a mailbox URL must start with one of imap://, imaps://, maildir://",
        ),
        (
            "imap:///INBOX",
            "error: CONSULTANT_IMAP_URL: imap:///INBOX names no host: "
            "write imap://user:pass@host:143/INBOX",
        ),
        (
            f"imap://:{PASSWORD}@mail.example.com/INBOX",
            "error: CONSULTANT_IMAP_URL: imap://:***@mail.example.com/INBOX names no user for "
            "host mail.example.com: write imap://user:pass@mail.example.com/INBOX",
        ),
    ],
    ids=["scheme", "no_host", "no_user"],
)
def test_a_wrong_imap_url_is_one_line_naming_the_variable_and_the_host(
    database_url: str, tmp_path: Path, url: str, expected: str
) -> None:
    env = environ(database_url, tmp_path) | {"CONSULTANT_IMAP_URL": url}
    result = run([str(BIN_DIR / "consultant"), "poll", "--once"], env)
    assert _one_error_line(result, "CONSULTANT_IMAP_URL") == expected


def test_an_imap_host_nobody_answers_on_is_one_line_naming_the_variable_and_the_host(
    database_url: str, tmp_path: Path
) -> None:
    port = free_port()
    url = f"imap://coder:{PASSWORD}@127.0.0.1:{port}/INBOX"
    env = environ(database_url, tmp_path) | {"CONSULTANT_IMAP_URL": url}
    for args in (["poll", "--once"], ["ask", "--from", "coder@clinic.example"]):
        result = _consultant(args, env, "Is 63057 an add-on?")
        line = _one_error_line(result, "CONSULTANT_IMAP_URL")
        assert line.startswith(
            f"error: CONSULTANT_IMAP_URL (imap://coder:***@127.0.0.1:{port}/INBOX): "
            f"cannot reach the mailbox: IMAP 127.0.0.1:{port}: ConnectionRefusedError"
        ), line
