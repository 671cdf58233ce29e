"""``consultant serve``: the web app with uvicorn."""

from __future__ import annotations

import logging
import signal
import sys
from types import FrameType

import click

from consultant.command_exits import fail, settings_or_exit


def register(main: click.Group) -> None:
    """Add ``serve`` to the command line."""
    main.add_command(serve)


def _exit_cleanly(_signal: int, _frame: FrameType | None) -> None:
    sys.exit(0)


@click.command()
@click.option("--host", default=None, help="Address to listen on [CONSULTANT_WEB_HOST, 127.0.0.1]")
@click.option(
    "--port", type=int, default=None, help="Port to listen on [CONSULTANT_WEB_PORT, 8000]"
)
def serve(host: str | None, port: int | None) -> None:
    """Serve the reviewers' web app until stopped (Ctrl-C or SIGTERM stop it cleanly)."""
    import uvicorn

    from consultant.database_checks import DatabaseUnavailable
    from consultant.migrations import check_schema
    from consultant.web.app import create_app

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = settings_or_exit()
    try:
        check_schema(settings.resolved_database_url)
    except DatabaseUnavailable as problem:
        fail(problem)
    host = host or settings.web_host
    port = port or settings.web_port
    click.echo(f"Serving the web app at http://{host}:{port}/", err=True)
    # uvicorn stops gracefully on SIGINT/SIGTERM, then raises the signal again for the handler
    # it found: make that one an exit with status 0, so a supervisor sees a clean stop.
    for stop in (signal.SIGINT, signal.SIGTERM):
        signal.signal(stop, _exit_cleanly)
    uvicorn.run(
        create_app(settings),
        host=host,
        port=port,
        access_log=False,  # its lines hold query strings; consultant.web.request_log logs instead
        log_level="info",
        server_header=False,
    )
