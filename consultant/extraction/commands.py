"""``consultant extract``: the codes a question names, from stdin (DESIGN section 7).

Plain text in gives a readable list; ``--jsonl`` reads ``{"id", "text"}`` lines
(and an optional ``"date"``, the day the question was written, ISO, against
which "yesterday" is read) and writes one JSON line per input line, an
``{"id", "error"}`` line for a line it cannot read, and goes on with the next.
When the configured database holds code knowledge it is used to mark codes
known or unknown; the command never creates a database.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import click

from consultant.command_exits import settings_or_exit

if TYPE_CHECKING:
    from consultant.extraction import Dose, Extraction

# The extractor (its patterns compile at import) and SQLAlchemy are imported by
# the functions that use them, so that `consultant --help` does not pay for them.


def _dose_as_json(dose: Dose | None) -> dict[str, Any] | None:
    if dose is None:
        return None
    amount = int(dose.amount) if dose.amount == dose.amount.to_integral_value() else dose.amount
    return {"amount": amount if isinstance(amount, int) else float(amount), "unit": dose.unit}


def extraction_as_json(extraction: Extraction) -> dict[str, Any]:
    """The JSON form of an extraction: codes (range ends included, each with its dose or
    null), ranges, ICD-10 codes and the date of service (ISO, or null)."""
    icd10: list[str] = []
    for mention in extraction.icd10:
        if mention.code not in icd10:
            icd10.append(mention.code)
    return {
        "codes": [
            {
                "code": m.code,
                "system": m.system,
                "modifiers": m.modifiers,
                "units": m.units,
                "add_on_mark": m.add_on_mark,
                "known": m.known,
                "reasons": m.reasons,
                "dose": _dose_as_json(m.dose),
            }
            for m in extraction.codes
        ],
        "ranges": [{"start": r.start, "end": r.end} for r in extraction.ranges],
        "icd10": icd10,
        "date_of_service": (
            extraction.date_of_service.isoformat() if extraction.date_of_service else None
        ),
    }


def load_known_codes(database_url: str) -> frozenset[str] | None:
    """The configured database's known codes, or ``None`` when it has none or does not exist."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import SQLAlchemyError

    url = make_url(database_url)
    # Connecting would create a SQLite file: an extraction must never make a database.
    sqlite = url.get_backend_name() == "sqlite"
    if sqlite and (not url.database or not Path(url.database).is_file()):
        return None
    from sqlalchemy import inspect

    from consultant.codes.known import known_code_set
    from consultant.db import session_factory

    try:
        with session_factory(database_url)() as session:
            if not inspect(session.get_bind()).has_table("data_release"):
                return None
            known = known_code_set(session)
    except SQLAlchemyError as exc:
        click.echo(
            f"consultant extract: code knowledge unavailable ({type(exc).__name__})", err=True
        )
        return None
    return known or None


def _reference_date(request: dict[str, Any]) -> tuple[dt.date | None, str | None]:
    """The optional ``"date"`` of a request (ISO date or date-time), or an error."""
    written = request.get("date")
    if written is None:
        return None, None
    try:
        return dt.datetime.fromisoformat(str(written)).date(), None
    except ValueError:
        return None, '"date" is not an ISO date such as 2025-02-19'


def _read_request(raw: bytes) -> tuple[Any, str | None, dt.date | None, str | None]:
    """``(id, text, reference date, error)`` from one input line."""
    line = raw.decode("utf-8", errors="replace")
    try:
        request = json.loads(line)
    except ValueError as exc:
        return None, None, None, f"not JSON: {exc}"
    if not isinstance(request, dict):
        return None, None, None, 'not a JSON object: expected {"id": ..., "text": ...}'
    request_id = request.get("id")
    text = request.get("text")
    if not isinstance(text, str):
        return request_id, None, None, '"text" is missing or not a string'
    reference, error = _reference_date(request)
    return request_id, None if error else text, reference, error


def run_jsonl(lines: Iterable[bytes], out: IO[str], known: frozenset[str] | None) -> int:
    """Answer every JSON line of ``lines`` on ``out``; returns how many lines were errors."""
    from consultant.extraction import extract

    errors = 0
    for raw in lines:
        if not raw.strip():
            continue
        request_id, text, reference, error = _read_request(raw)
        row: dict[str, Any] = {"id": request_id}
        if text is not None:
            try:
                row.update(extraction_as_json(extract(text, known, reference)))
            except Exception as exc:  # one bad question must not stop the others
                error = f"extraction failed: {type(exc).__name__}: {exc}"
        if error is not None:
            errors += 1
            row["error"] = error
            click.echo(f"consultant extract: id {request_id!r}: {error}", err=True)
        # ASCII escapes: a JSON input may carry lone surrogates that UTF-8 cannot encode.
        out.write(json.dumps(row) + "\n")
        out.flush()
    return errors


def describe(extraction: Extraction) -> str:
    """A readable list of what was found."""
    lines = []
    for m in extraction.codes:
        parts = [f"{m.code:<6} {m.system:<8}"]
        if m.add_on_mark:
            parts.append("add-on mark")
        if m.modifiers:
            parts.append("modifiers " + ", ".join(m.modifiers))
        if m.units is not None:
            parts.append(f"units {m.units}")
        if m.dose is not None:
            parts.append(f"dose {m.dose.amount} {m.dose.unit}")
        if m.known is not None:
            parts.append("known" if m.known else "NOT in the code data")
        parts.append("(" + ", ".join(m.reasons) + ")")
        lines.append("  ".join(parts))
    lines.extend(f"range  {r.start} to {r.end}" for r in extraction.ranges)
    icd10 = list(dict.fromkeys(m.code for m in extraction.icd10))
    if icd10:
        lines.append("ICD-10 " + ", ".join(icd10))
    if extraction.date_of_service is not None:
        lines.append(f"date of service {extraction.date_of_service.isoformat()}")
    return "\n".join(lines) if lines else "No codes found."


@click.command("extract")
@click.option(
    "--jsonl", is_flag=True, help='Read {"id","text"} JSON lines; write one JSON line each.'
)
def extract_command(jsonl: bool) -> None:
    """Print the codes, modifiers, units and ICD-10 codes of the text on stdin."""
    from consultant.extraction import extract

    settings = settings_or_exit()
    known = load_known_codes(settings.resolved_database_url)
    if jsonl:
        run_jsonl(sys.stdin.buffer, sys.stdout, known)
        return
    text = sys.stdin.buffer.read().decode("utf-8", errors="replace")
    click.echo(describe(extract(text, known)))


def register(main: click.Group) -> None:
    """Add ``consultant extract`` to the command line."""
    main.add_command(extract_command)
