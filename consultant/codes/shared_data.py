"""Where the shared public CMS data files are, for the tests, benches and sample builder.

The files are large and public, so they are read in place, never copied into
the project: ``CONSULTANT_CMS_DATA_DIR`` when set, else a ``shared/data/cms``
folder beside the checkout or beside any folder above it (a checkout in
``/work/main`` finds ``/work/shared``; one in ``/work/ci/main`` too), else the
workplace's own ``/work/shared/data/cms``, so a clean checkout elsewhere on
this machine (as CI makes) still finds them.
"""

from __future__ import annotations

from pathlib import Path

from consultant.config import Settings

PROJECT_DIR = Path(__file__).resolve().parents[2]
_WORKPLACE_CMS_DIR = Path("/work/shared/data/cms")
_RELATIVE = Path("shared") / "data" / "cms"


def cms_data_dir() -> Path:
    """The shared CMS data folder (it may not exist: callers say so with the path)."""
    # A fresh Settings (not the process's cached one): tests point it elsewhere per test.
    explicit = Settings().cms_data_dir
    if explicit:
        return Path(explicit)
    for folder in PROJECT_DIR.parents:
        candidate = folder / _RELATIVE
        if candidate.is_dir():
            return candidate
    return _WORKPLACE_CMS_DIR
