"""``consultant accounts ...``: the operator adds the accounts whose mail is answered."""

from __future__ import annotations

import json
import sys

import click

from consultant.command_exits import settings_or_exit


def register(main: click.Group) -> None:
    """Add the ``accounts`` group to the command line."""
    main.add_command(accounts)


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
