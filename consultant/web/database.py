"""One unit of work per request, as a dependency: the request is the boundary that commits.

``scope="function"``: the transaction commits when the route returns and before the
response leaves, so a browser following the redirect after a sign-in already finds
its session; a route that raises rolls back.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from consultant.config import Settings
from consultant.db import unit_of_work


def app_settings(request: Request) -> Settings:
    """The settings the app was made with."""
    settings: Settings = request.app.state.settings
    return settings


def request_unit_of_work(request: Request) -> Iterator[Session]:
    """The request's session; commits after the route, rolls back if it raises."""
    with unit_of_work(app_settings(request).resolved_database_url) as session:
        yield session


#: A route's database session: ``def page(db: DatabaseSession) -> ...``.
DatabaseSession = Annotated[Session, Depends(request_unit_of_work, scope="function")]
#: The app's settings: ``def page(settings: AppSettings) -> ...``.
AppSettings = Annotated[Settings, Depends(app_settings)]
