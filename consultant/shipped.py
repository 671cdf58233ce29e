"""Finding the data folders the build ships beside the code (``templates/``, ``schema/``)."""

from __future__ import annotations

import importlib.util
from pathlib import Path


def shipped_folder(package: str) -> Path:
    """The folder of a data package the build ships (``templates/`` as ``consultant_templates``,
    ``schema/`` as ``consultant_schema``): in site-packages for a wheel, the checkout's folder
    for an editable install.

    Python 3.11's ``importlib.resources.files`` cannot open a namespace package that an
    editable install maps (its path holds a placeholder that is no folder): ask for the spec.
    Alembic and Jinja want a real folder anyway.
    """
    spec = importlib.util.find_spec(package)
    locations = spec.submodule_search_locations if spec else None
    for location in locations or ():
        if Path(location).is_dir():
            return Path(location)
    raise ModuleNotFoundError(f"{package} is not installed: reinstall caseconsultant")
