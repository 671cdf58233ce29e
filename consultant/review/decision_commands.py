"""``consultant review approve|reject|ask|undo|retry-send``: the same decisions as the web pages.

A decision that cannot be made (a second approval, a stale draft, a claim
held by someone else) is one line on stderr with exit status 1.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from consultant.command_exits import fail, settings_or_exit

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from consultant.accounts.staff import StaffUser

#: The exit status of a decision refused (already decided, stale, claimed, no such draft).
REFUSED_EXIT = 1


def register(review: click.Group) -> None:
    """Add the decision commands to the ``review`` group."""
    for command in (
        approve_command,
        reject_command,
        ask_command,
        undo_command,
        retry_send_command,
    ):
        review.add_command(command)


def _reviewer(session: Session, email: str) -> StaffUser:
    from sqlalchemy import select

    from consultant.accounts.staff import StaffUser, normalise_staff_email

    try:
        address = normalise_staff_email(email)
    except ValueError as exc:
        fail(f"--reviewer: {exc}", REFUSED_EXIT)
    user = session.scalar(select(StaffUser).where(StaffUser.email == address))
    if user is None or user.disabled_at is not None:
        fail(
            f"--reviewer: no active staff user {address} "
            "(create one with 'consultant users create EMAIL --role reviewer')",
            REFUSED_EXIT,
        )
    return user


@click.command("approve")
@click.argument("draft_id", type=int)
@click.option("--reviewer", required=True, help="The approving reviewer's staff address.")
@click.option(
    "--body-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The reply text as edited (default: the draft as it stands).",
)
def approve_command(draft_id: int, reviewer: str, body_file: Path | None) -> None:
    """Approve DRAFT_ID: its reply is sent once, after the undo window."""
    from consultant.config import SettingsError
    from consultant.db import unit_of_work
    from consultant.review.decisions import ReviewRefused, approve, send_policy
    from workers.queue import CeleryTaskQueue  # the boundary picks the queue

    settings = settings_or_exit()
    try:
        policy = send_policy(settings)
    except SettingsError as exc:
        fail(exc)
    body = body_file.read_text(encoding="utf-8", errors="replace") if body_file else None
    try:
        with unit_of_work(settings.resolved_database_url) as session:
            staff = _reviewer(session, reviewer)
            outbound = approve(session, draft_id, staff, policy, CeleryTaskQueue(), body_text=body)
            outbound_id, message_id = outbound.id, outbound.message_id
    except ReviewRefused as exc:
        fail(exc, REFUSED_EXIT)
    click.echo(
        f"Approved draft #{draft_id}: outbound #{outbound_id} {message_id}, "
        f"sent after {settings.send_delay:g} s unless undone."
    )


@click.command("reject")
@click.argument("draft_id", type=int)
@click.option("--reviewer", required=True, help="The rejecting reviewer's staff address.")
@click.option("--reason", required=True, help="Why: kept in the draft's audit trail.")
@click.option(
    "--notify",
    is_flag=True,
    help="Also draft a notice telling the asker, with the reason (it needs its own approval).",
)
def reject_command(draft_id: int, reviewer: str, reason: str, notify: bool) -> None:
    """Reject DRAFT_ID with a reason; nothing of it is sent."""
    from consultant.db import unit_of_work
    from consultant.review.decisions import ReviewRefused, reject

    settings = settings_or_exit()
    try:
        with unit_of_work(settings.resolved_database_url) as session:
            notice = reject(session, draft_id, _reviewer(session, reviewer), reason, notify=notify)
    except ReviewRefused as exc:
        fail(exc, REFUSED_EXIT)
    also = f"; the notice to the asker is draft #{notice}, pending approval" if notice else ""
    click.echo(f"Rejected draft #{draft_id}{also}.")


@click.command("ask")
@click.argument("draft_id", type=int)
@click.option("--reviewer", required=True, help="The reviewer asking.")
@click.option("--question", required=True, help="What the asker should tell us.")
def ask_command(draft_id: int, reviewer: str, question: str) -> None:
    """Set DRAFT_ID aside and draft a question back to the asker (it needs approval)."""
    from consultant.db import unit_of_work
    from consultant.review.decisions import ReviewRefused, ask_for_information

    settings = settings_or_exit()
    try:
        with unit_of_work(settings.resolved_database_url) as session:
            asking = ask_for_information(session, draft_id, _reviewer(session, reviewer), question)
    except ReviewRefused as exc:
        fail(exc, REFUSED_EXIT)
    click.echo(f"Draft #{draft_id} set aside; the question to the asker is draft #{asking}.")


@click.command("undo")
@click.argument("draft_id", type=int)
@click.option("--reviewer", required=True, help="The reviewer taking the approval back.")
def undo_command(draft_id: int, reviewer: str) -> None:
    """Take back the approval of DRAFT_ID while its send has not started."""
    from consultant.db import unit_of_work
    from consultant.review.decisions import ReviewRefused, withdraw

    settings = settings_or_exit()
    try:
        with unit_of_work(settings.resolved_database_url) as session:
            withdraw(session, draft_id, _reviewer(session, reviewer))
    except ReviewRefused as exc:
        fail(exc, REFUSED_EXIT)
    click.echo(f"Approval of draft #{draft_id} taken back; it is pending again.")


@click.command("retry-send")
@click.argument("draft_id", type=int)
def retry_send_command(draft_id: int) -> None:
    """Send the failed reply of DRAFT_ID again: the same bytes and Message-ID."""
    import datetime as dt

    from consultant.db import unit_of_work
    from consultant.review.decisions import ReviewRefused, retry_send
    from workers.queue import CeleryTaskQueue  # the boundary picks the queue

    settings = settings_or_exit()
    window = dt.timedelta(minutes=settings.send_retry_minutes)
    try:
        with unit_of_work(settings.resolved_database_url) as session:
            retry_send(session, draft_id, None, window, CeleryTaskQueue())
    except ReviewRefused as exc:
        fail(exc, REFUSED_EXIT)
    click.echo(f"Send of draft #{draft_id} queued again.")
