"""A built wheel, installed into a fresh virtual environment, works without the checkout.

The wheel is built from a copy of the working tree (so the build leaves nothing in the
checkout), installed without its dependencies into a new environment outside the checkout,
and the dependencies come from this environment's site-packages through a ``.pth`` line:
a path line adds the folder only, so this environment's editable ``consultant`` (a finder
that a ``.pth`` file installs) stays out and only the wheel's copy can answer.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
#: What the build reads: the packages, the two shipped folders and the metadata.
SOURCES = ("pyproject.toml", "README.md", "consultant", "workers", "templates", "schema")
#: Checkout folder -> the folder the wheel ships it as.
SHIPPED_AS = {
    "consultant": "consultant",
    "workers": "workers",
    "templates": "consultant_templates",
    "schema": "consultant_schema",
}
QUESTION = "Can 63057 be billed with 63056?\n"


def _run(
    args: list[str | Path], *, cwd: Path, env: dict[str, str] | None = None, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(arg) for arg in args],
        cwd=cwd,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, (
        f"{' '.join(map(str, args))} exited {result.returncode}\n"
        f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    )
    return result


def _build_wheel(tmp_path: Path) -> Path:
    source = tmp_path / "source"
    source.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, ignore=ignore)
        else:
            shutil.copy2(ROOT / name, source / name)
    wheels = tmp_path / "wheels"
    _run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", wheels, source],
        cwd=tmp_path,
    )
    (wheel,) = wheels.glob("caseconsultant-*.whl")
    _assert_ships_every_file(source, wheel)
    return wheel


def _assert_ships_every_file(source: Path, wheel: Path) -> None:
    """Every module and template of the checkout is in the wheel (a package missing from
    pyproject's hand-made list would be left out without a word)."""
    with zipfile.ZipFile(wheel) as archive:
        shipped = set(archive.namelist())
    expected = set()
    for folder, shipped_as in SHIPPED_AS.items():
        for path in (source / folder).rglob("*"):
            if path.is_file() and (folder in ("templates", "schema") or path.suffix == ".py"):
                expected.add(f"{shipped_as}/{path.relative_to(source / folder).as_posix()}")
    for path in (source / "consultant" / "codes" / "sample").iterdir():
        expected.add(f"consultant/codes/sample/{path.name}")
    assert sorted(expected - shipped) == []


def _install(wheel: Path, tmp_path: Path) -> Path:
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", venv], cwd=tmp_path)
    python = venv / "bin" / "python"
    _run(
        [sys.executable, "-m", "pip", "--python", python, "install", "--quiet", "--no-deps", wheel],
        cwd=tmp_path,
    )
    site_packages = Path(
        _run(
            [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            cwd=tmp_path,
        ).stdout.strip()
    )
    ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (site_packages / "caseconsultant-dependencies.pth").write_text(
        "".join(f"{folder}\n" for folder in sorted(ours)), encoding="utf-8"
    )
    return venv


def test_a_wheel_installed_outside_the_checkout_drafts_a_reply(tmp_path: Path) -> None:
    tmp_path = tmp_path.resolve()
    venv = _install(_build_wheel(tmp_path), tmp_path)
    work = tmp_path / "work"
    work.mkdir()
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("CONSULTANT_", "PYTHON", "VIRTUAL_ENV"))
    }
    env["CONSULTANT_VAR_DIR"] = str(tmp_path / "var")
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"

    where = json.loads(
        _run(
            [
                venv / "bin" / "python",
                "-c",
                "import json, consultant, consultant.migrations as m, "
                "consultant.consultations.drafting as d; "
                "print(json.dumps([consultant.__file__, str(m.SCHEMA_DIR), str(d.TEMPLATE_DIR)]))",
            ],
            cwd=work,
            env=env,
        ).stdout
    )
    for path in where:
        assert Path(path).is_relative_to(venv), (path, venv)
        assert not Path(path).is_relative_to(ROOT), path

    consultant = venv / "bin" / "consultant"
    _run([consultant, "db", "upgrade"], cwd=work, env=env)
    _run([consultant, "codes", "load-sample"], cwd=work, env=env)
    assert (tmp_path / "var" / "consultant.sqlite3").is_file()

    # The reply quotes the question, so look for what only the looked-up facts can say.
    reply = _run([consultant, "draft"], cwd=work, env=env, stdin=QUESTION)
    assert "Subject: Re: your coding question" in reply.stderr
    assert "\n63057 (CPT" in reply.stdout
    assert "No NCCI PTP edit stands between 63057 and 63056" in reply.stdout
    html = _run([consultant, "draft", "--html"], cwd=work, env=env, stdin=QUESTION).stdout
    assert "63057" in html and "</html>" in html.lower()

    draft = _run([consultant, "draft", "--json"], cwd=work, env=env, stdin=QUESTION)
    codes = {code["code"]: code for code in json.loads(draft.stdout)["codes"]}
    assert codes["63057"]["known"] is True
    assert codes["63057"]["add_on"]["primaries_in_question"] == ["63056"]
    assert not (work / "var").exists()
