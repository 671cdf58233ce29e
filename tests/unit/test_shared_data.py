"""Finding the shared CMS data folder from any checkout."""

from __future__ import annotations

from pathlib import Path

import pytest

from consultant.codes.shared_data import cms_data_dir


def test_the_variable_names_the_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CONSULTANT_CMS_DATA_DIR", str(tmp_path))
    assert cms_data_dir() == tmp_path


def test_without_the_variable_the_shared_folder_is_found(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CONSULTANT_CMS_DATA_DIR", raising=False)
    folder = cms_data_dir()
    assert (folder / "ncci-ptp-practitioner-2024-07-01.csv.gz").is_file()
