"""``consultant accounts ...``: the operator adds the accounts whose mail is answered."""

from __future__ import annotations

import json
import sys

import click

from consultant.accounts.roles import StaffRole
from consultant.command_exits import fail, settings_or_exit


def register(main: click.Group) -> None:
    """Add the ``accounts`` and ``users`` groups to the command line."""
    main.add_command(accounts)
    main.add_command(users)


@click.group()
def accounts() -> None:
    """Accounts of the people who ask questions."""


@accounts.command("create")
@click.argument("email")
@click.option("--name", default=None, help="The account holder's name.")
@click.option("--plan", default="standard", show_default=True, help="The plan name.")
@click.option("--password-stdin", is_flag=True, help="Read a password for the web from stdin.")
@click.option("--json", "as_json", is_flag=True, help="Print the new account as JSON.")
def create(email: str, name: str | None, plan: str, password_stdin: bool, as_json: bool) -> None:
    """Create an account; mail from EMAIL is then from a known sender."""
    from consultant.accounts.services import AccountExistsError, create_account
    from consultant.db import unit_of_work

    settings = settings_or_exit()
    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else None
    if password_stdin and not password:
        raise click.UsageError("--password-stdin read an empty password")
    try:
        with unit_of_work(settings.resolved_database_url) as session:
            account = create_account(session, email, name=name, plan=plan, password=password)
            account_id, address = account.id, account.email
    except AccountExistsError:
        click.echo(f"consultant: {email.strip().lower()} already belongs to an account", err=True)
        sys.exit(1)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="EMAIL") from None
    if as_json:
        click.echo(json.dumps({"id": account_id, "email": address, "plan": plan}))
    else:
        click.echo(f"Account {account_id} created for {address}.")


@click.group()
def users() -> None:
    """Staff users of the web app: reviewers and admins."""


@users.command("create")
@click.argument("email")
@click.option(
    "--role",
    required=True,
    type=click.Choice([role.value for role in StaffRole]),
    help="A reviewer reviews drafts; an admin also manages staff.",
)
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from stdin instead of generating one."
)
def users_create(email: str, role: str, password_stdin: bool) -> None:
    """Create a staff user who signs in with EMAIL; without --password-stdin a strong password
    is generated and printed once."""
    from consultant.accounts.staff import (
        StaffUserExistsError,
        create_staff_user,
        generate_password,
        normalise_staff_email,
    )
    from consultant.db import unit_of_work

    try:
        address = normalise_staff_email(email)
    except ValueError as exc:
        fail(exc, status=1)
    settings = settings_or_exit()
    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else generate_password()
    if not password:
        fail("--password-stdin read an empty password", status=1)
    try:
        with unit_of_work(settings.resolved_database_url) as session:
            user_id = create_staff_user(session, address, StaffRole(role), password).id
    except StaffUserExistsError:
        fail(f"{address} is already a staff user", status=1)
    click.echo(f"Staff user {user_id} created: {address} ({role}).")
    if not password_stdin:
        click.echo(f"Password (shown once): {password}")


@users.command("ensure-demo")
def users_ensure_demo() -> None:
    """On a database with no staff user, create the reviewer reviewer@localhost and print its
    generated password once; otherwise do nothing (what `make run` calls)."""
    from consultant.accounts.staff import DEMO_REVIEWER, ensure_demo_reviewer
    from consultant.db import unit_of_work

    settings = settings_or_exit()
    with unit_of_work(settings.resolved_database_url) as session:
        password = ensure_demo_reviewer(session)
    if password is not None:
        click.echo(f"Demo reviewer {DEMO_REVIEWER} created; password (shown once): {password}")
