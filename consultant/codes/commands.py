"""``consultant codes ...``: import code data, load the bundled sample, list releases."""

from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy import select

from consultant.cli import CONFIGURATION_EXIT, fail, settings_or_exit
from consultant.codes.importers import (
    ImportFileError,
    ImportResult,
    ReleaseConflictError,
    UnreadableFileError,
    import_file,
)
from consultant.codes.importers.sources import os_reason
from consultant.codes.models import DataRelease, ReleaseKind
from consultant.db import unit_of_work

KIND_CHOICES = [kind.value for kind in ReleaseKind]
#: The exit status of an import stopped by a bad line or a release conflict.
DATA_EXIT = 1


def register(main: click.Group) -> None:
    """Add the ``codes`` group to the command line."""
    main.add_command(codes)


@click.group()
def codes() -> None:
    """Code data: CMS releases, licensed CPT descriptors, our own summaries."""


@codes.command("import")
# Whether the file exists is import_file's to say: one line naming it, like every other problem.
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--kind", type=click.Choice(KIND_CHOICES), help="What the file holds.")
@click.option("--release", "release", help="Release name (default: from the file name).")
@click.option("--skip-bad", is_flag=True, help="Count and report bad lines instead of stopping.")
def import_command(path: Path, kind: str | None, release: str | None, skip_bad: bool) -> None:
    """Import PATH as one data release (idempotent: the same file twice changes nothing).

    Exit status 1: a bad line or a release conflict (nothing was written); 2: the file
    cannot be read at all (missing, truncated, not what its name says) or the database
    cannot be used.
    """
    url = settings_or_exit().resolved_database_url
    try:
        result = import_file(
            url, path, kind=kind, release=release, skip_bad=skip_bad, progress=True
        )
    except UnreadableFileError as exc:
        fail(exc, CONFIGURATION_EXIT)
    except OSError as exc:  # read errors the importer did not word itself
        fail(f"{path}: {os_reason(exc)}", CONFIGURATION_EXIT)
    except (ImportFileError, ReleaseConflictError) as exc:
        fail(exc, DATA_EXIT)
    _report(result)


@codes.command("load-sample")
def load_sample() -> None:
    """Load the bundled sample code data into a database that has no releases yet."""
    from consultant.codes.sample_data import load_sample_data

    url = settings_or_exit().resolved_database_url
    results = load_sample_data(url)
    if not results:
        click.echo("Code data already present: the sample was not loaded.", err=True)
    for result in results:
        _report(result)


@codes.command("releases")
def list_releases() -> None:
    """List the imported releases: kind, name, effective date, rows."""
    url = settings_or_exit().resolved_database_url
    with unit_of_work(url) as session:
        releases = session.scalars(
            select(DataRelease).order_by(DataRelease.kind, DataRelease.effective_on)
        ).all()
        if not releases:
            click.echo("No code data imported yet.", err=True)
        for item in releases:
            effective = item.effective_on.isoformat() if item.effective_on else "-"
            click.echo(f"{item.kind:8} {item.name:48} {effective:10} {item.row_count:>10,}")


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
