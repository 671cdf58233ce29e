"""``consultant codes ...`` (import code data, the bundled sample, releases) and ``lookup``."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from consultant.codes.kinds import ReleaseKind
from consultant.command_exits import CONFIGURATION_EXIT, fail, settings_or_exit

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from consultant.codes.importers import ImportResult

# The importers, SQLAlchemy and the models are imported inside each command:
# they cost 0.6 s, and `consultant --help` needs none of them.

KIND_CHOICES = [kind.value for kind in ReleaseKind]
#: The exit status of an import stopped by a bad line or a release conflict.
DATA_EXIT = 1


def register(main: click.Group) -> None:
    """Add the ``codes`` group and ``lookup`` to the command line."""
    main.add_command(codes)
    main.add_command(lookup)


@click.group()
def codes() -> None:
    """Code data: CMS releases, licensed CPT descriptors, our own summaries."""


@codes.command("import")
# Whether the file exists is import_file's to say: one line naming it, like every other problem.
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--kind", type=click.Choice(KIND_CHOICES), help="What the file holds.")
@click.option("--release", "release", help="Release name (default: from the file name).")
@click.option("--skip-bad", is_flag=True, help="Count and report bad lines instead of stopping.")
@click.option(
    "--yes",
    "fewer_rows_ok",
    is_flag=True,
    help="Import even if the file has under half the rows of the previous release of its kind.",
)
def import_command(
    path: Path, kind: str | None, release: str | None, skip_bad: bool, fewer_rows_ok: bool
) -> None:
    """Import PATH as one data release (idempotent: the same file twice changes nothing).

    Exit status 1: a bad line, a release conflict, or under half the rows of the previous
    release of the same kind without --yes (nothing was written); 2: the file cannot be
    read at all (missing, truncated, not what its name says) or the database cannot be used.
    """
    from consultant.codes.importers import (
        ImportFileError,
        ReleaseConflictError,
        UnreadableFileError,
        import_file,
    )
    from consultant.codes.importers.loader import FewerRowsError
    from consultant.codes.importers.sources import os_reason

    url = settings_or_exit().resolved_database_url
    try:
        result = import_file(
            url,
            path,
            kind=kind,
            release=release,
            skip_bad=skip_bad,
            progress=True,
            allow_fewer_rows=fewer_rows_ok,
        )
    except UnreadableFileError as exc:
        fail(exc, CONFIGURATION_EXIT)
    except OSError as exc:  # read errors the importer did not word itself
        fail(f"{path}: {os_reason(exc)}", CONFIGURATION_EXIT)
    except (ImportFileError, ReleaseConflictError, FewerRowsError) as exc:
        fail(exc, DATA_EXIT)
    _report(result)
    if not result.already_imported:
        _warn_if_fewer_rows(url, result)


def _warn_if_fewer_rows(url: str, result: ImportResult) -> None:
    from consultant.codes.importers.loader import previous_release
    from consultant.db import unit_of_work

    # Only reached with --yes (the importer refuses otherwise): say it once more.
    with unit_of_work(url) as session:
        previous = previous_release(session, result.kind, excluding=result.release_name)
        if previous is not None and result.rows * 2 < previous.row_count:
            click.echo(
                f"warning: {result.release_name} has {result.rows:,} rows, under half the "
                f"{previous.row_count:,} rows of {previous.name}",
                err=True,
            )


@codes.command("load-sample")
def load_sample() -> None:
    """Load the bundled sample code data (idempotent).

    Into a database with no imported data: the whole sample. Next to imported CMS
    data: only the sample's plain-language summaries, which the CMS files lack.
    """
    from consultant.codes.sample_data import (
        holds_imported_data,
        load_sample_data,
        loaded_release_names,
    )

    url = settings_or_exit().resolved_database_url
    results = load_sample_data(url)
    if not results:
        if holds_imported_data(loaded_release_names(url)):
            click.echo(
                "Imported code data present and the sample summaries already loaded: "
                "nothing to do.",
                err=True,
            )
        else:
            click.echo("The sample is already loaded: nothing to do.", err=True)
    for result in results:
        _report(result)


@codes.group("releases", invoke_without_command=True)
@click.pass_context
def releases(ctx: click.Context) -> None:
    """List the imported releases: kind, name, effective date, rows (or: releases remove)."""
    if ctx.invoked_subcommand is not None:
        return
    from sqlalchemy import select

    from consultant.codes.models import DataRelease
    from consultant.db import unit_of_work

    url = settings_or_exit().resolved_database_url
    with unit_of_work(url) as session:
        found = session.scalars(
            select(DataRelease).order_by(DataRelease.kind, DataRelease.effective_on)
        ).all()
        if not found:
            click.echo("No code data imported yet.", err=True)
            return
        click.echo(f"{'KIND':8} {'NAME':48} {'EFFECTIVE':10} {'ROWS':>10}")
        for item in found:
            effective = item.effective_on.isoformat() if item.effective_on else "-"
            click.echo(f"{item.kind:8} {item.name:48} {effective:10} {item.row_count:>10,}")


@releases.command("remove")
@click.argument("name")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--force", is_flag=True, help="Remove it even though stored drafts cite it.")
def remove_command(name: str, yes: bool, force: bool) -> None:
    """Remove release NAME and all its rows.

    Refused while the stored facts of a draft cite the release, unless --force: a
    reviewer reading that draft could no longer find where its facts came from.
    """
    from sqlalchemy import select

    from consultant.codes.importers.loader import remove_release
    from consultant.codes.models import DataRelease
    from consultant.db import unit_of_work

    url = settings_or_exit().resolved_database_url
    with unit_of_work(url) as session:
        release = session.scalar(select(DataRelease).where(DataRelease.name == name))
        if release is None:
            fail(f"no data release named {name!r}", DATA_EXIT)
        described = f"{release.kind} release {name!r} ({release.row_count:,} rows)"
        citing = drafts_citing(session, name)
    if citing and not force:
        fail(
            f"{len(citing)} draft(s) cite {name!r} in their stored facts "
            f"({_draft_list(citing)}); give --force to remove it anyway",
            DATA_EXIT,
        )
    if not yes:
        click.confirm(f"Remove the {described}?", abort=True, err=True)
    try:
        removed = remove_release(url, name)
    except LookupError as exc:  # removed by someone else meanwhile
        fail(exc, DATA_EXIT)
    click.echo(f"Removed the {described}: {removed:,} rows deleted.")


def drafts_citing(session: Session, name: str) -> list[tuple[int, str]]:
    """(id, status) of the drafts whose stored facts name release ``name``, oldest first."""
    from sqlalchemy import Text, cast, select

    from consultant.consultations.models import Draft

    # A text match narrows the search on both databases; the JSON decides.
    quoted = json.dumps(name)
    candidates = session.execute(
        select(Draft.id, Draft.status, Draft.facts)
        .where(cast(Draft.facts, Text).contains(quoted, autoescape=True))
        .order_by(Draft.id)
    ).all()
    return [
        (draft_id, status)
        for draft_id, status, facts in candidates
        if isinstance(facts, dict)
        and (
            name in (facts.get("releases") or [])
            or facts.get("ptp_release") == name
            or any(
                isinstance(note, dict) and note.get("release") == name
                for note in facts.get("notes") or []
            )
        )
    ]


def _draft_list(drafts: list[tuple[int, str]], shown: int = 10) -> str:
    listed = ", ".join(f"#{draft_id} {status}" for draft_id, status in drafts[:shown])
    return listed + (f" and {len(drafts) - shown} more" if len(drafts) > shown else "")


def _report(result: ImportResult) -> None:
    if result.already_imported:
        click.echo(f"{result.release_name}: already imported ({result.rows:,} rows), no change.")
        return
    effective = result.effective_on.isoformat() if result.effective_on else "no date"
    click.echo(
        f"{result.release_name}: imported {result.rows:,} {result.kind} rows "
        f"(effective {effective}) in {result.seconds:.1f} s"
    )
    if result.duplicates:
        click.echo(f"  {result.duplicates:,} exact duplicate rows dropped (first kept)")
    if result.skipped_bad:
        click.echo(f"  {result.skipped_bad:,} bad lines skipped:", err=True)
        for line in result.bad_lines:
            click.echo(f"    {line}", err=True)
        if result.skipped_bad > len(result.bad_lines):
            click.echo(f"    ... and {result.skipped_bad - len(result.bad_lines):,} more", err=True)


@click.command("lookup")
@click.argument("codes", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="Print the facts as JSON.")
@click.option("--release", default=None, help="Answer from this release for its kind.")
@click.option(
    "--date",
    "service_date",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Date of service, YYYY-MM-DD (default: today): which edits and notes are in force.",
)
def lookup(
    codes: tuple[str, ...], as_json: bool, release: str | None, service_date: dt.datetime | None
) -> None:
    """Look CODES up: kind, status, descriptors, add-on, MUE, indicators, PTP edits between them,
    and the coding notes in force. A two-character argument (25, 59, XS) is a modifier: it
    only selects notes."""
    from consultant.codes.coding_notes import notes_in_force
    from consultant.codes.lookup import UnknownReleaseError, look_up_codes
    from consultant.codes.lookup_text import describe, describe_notes
    from consultant.db import unit_of_work

    settings = settings_or_exit()
    on = service_date.date() if service_date is not None else dt.date.today()
    modifiers = [a.strip().upper() for a in codes if len(a.strip()) == 2]
    looked_up = [a for a in codes if len(a.strip()) != 2]
    try:
        with unit_of_work(settings.resolved_database_url) as session:
            result = look_up_codes(session, looked_up, release=release, today=on)
            notes = notes_in_force(
                session,
                [c.code for c in result.codes],
                modifiers,
                on=on,
                edits=[(e.column_1, e.column_2) for e in result.pair_edits],
                release=release,
            )
    except UnknownReleaseError as exc:
        click.echo(f"consultant lookup: {exc}", err=True)
        sys.exit(1)
    if as_json:
        facts = result.as_json()
        facts["date_of_service"] = on.isoformat()
        facts["notes"] = [note.to_json() for note in notes]
        click.echo(json.dumps(facts, indent=2))
    else:
        click.echo(describe(result))
        if notes:
            click.echo(describe_notes(notes))
