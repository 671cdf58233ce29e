"""``consultant --help`` loads none of the heavy libraries: the command line starts fast.

Time is measured by ``bench/startup.py``; this test asserts only what must
always hold, that the help path never imports them.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("sqlalchemy", "pydantic", "pydantic_settings", "openpyxl", "celery", "jinja2")
PROBE = """
import json, sys
from click.testing import CliRunner
from consultant.cli import main
result = CliRunner().invoke(main, sys.argv[1:])
assert result.exit_code == 0, result.output
print(json.dumps(sorted(sys.modules)))
"""


@pytest.mark.parametrize(
    "arguments",
    [["--help"], ["codes", "--help"], ["review", "list", "--help"], ["inbound", "list", "--help"]],
)
def test_help_imports_no_heavy_library(arguments: list[str]) -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *arguments], capture_output=True, text=True, check=True
    )
    loaded = set(json.loads(done.stdout))
    packages = {name.split(".")[0] for name in loaded}
    assert packages.isdisjoint(HEAVY), sorted(packages.intersection(HEAVY))
    assert "consultant.extraction.extractor" not in loaded
