"""Importing the shared CMS files, failing cleanly, idempotency and releases side by side.

Every test runs on SQLite and on PostgreSQL (the ``database_url`` fixture).
The 2.5-million-row PTP file has its own module (test_codes_import_ptp.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from consultant.codes.importers import (
    ImportFileError,
    ReleaseConflictError,
    import_file,
)
from consultant.config import get_settings
from consultant.db import engine_for
from tests.conftest import TEST_DATA_DIR

FORMS = TEST_DATA_DIR / "cms_forms"
MUE_FORM = FORMS / "MCR_MUE_PractitionerServices_Eff_07-01-2024.csv"


def scalar(url: str, sql: str, **params: object) -> object:
    with engine_for(url).connect() as connection:
        return connection.execute(sa.text(sql), params).scalar()


def table_counts(url: str) -> dict[str, int]:
    tables = ("data_release", "code", "descriptor", "addon_edit", "ptp_edit", "mue")
    return {t: int(scalar(url, f"SELECT count(*) FROM {t}")) for t in tables}  # type: ignore[call-overload]


@pytest.mark.parametrize(
    ("file_name", "kind", "rows"),
    [
        ("ncci-addon-code-edits-2024q2.csv", "addon", 8_186),
        ("ncci-mue-practitioner-2024-07-01.csv", "mue", 14_677),
        ("pfs-indicators-2024-07.csv", "pfs", 18_664),
        ("HCPC2025_OCT_ANWEB.xlsx", "hcpcs", 8_846),
        # 11,096 procedure + 526 modifier records make 6,800 codes (see the format tests).
        ("HCPC2019_CONTR_ANWEB.txt.gz", "hcpcs", 6_800),
    ],
)
def test_each_shared_file_imports_with_its_readme_count(
    database_url: str, cms_dir: Path, file_name: str, kind: str, rows: int
) -> None:
    result = import_file(database_url, cms_dir / file_name)
    assert (result.kind, result.rows, result.skipped_bad) == (kind, rows, 0)
    assert not result.already_imported
    stored = scalar(
        database_url, "SELECT row_count FROM data_release WHERE name = :n", n=result.release_name
    )
    assert stored == rows


def test_addon_facts_match_the_csv(database_url: str, cms_dir: Path) -> None:
    import_file(database_url, cms_dir / "ncci-addon-code-edits-2024q2.csv")
    with engine_for(database_url).connect() as connection:
        primaries = connection.execute(
            sa.text(
                "SELECT primary_code, edit_type, deleted_on FROM addon_edit "
                "WHERE add_on_code = '63057' ORDER BY primary_code"
            )
        ).all()
        deleted = (
            connection.execute(
                sa.text(
                    "SELECT DISTINCT add_on_deleted_on FROM addon_edit WHERE add_on_code='99354'"
                )
            )
            .scalars()
            .all()
        )
        no_list = connection.execute(
            sa.text("SELECT primary_code FROM addon_edit WHERE add_on_code = '0054T'")
        ).scalar_one()
    assert [(p, t, d) for p, t, d in primaries] == [("63055", 1, None), ("63056", 1, None)]
    assert [str(d) for d in deleted] == ["2022-12-31"]
    assert no_list is None  # CCCCC: the contractor decides


def test_hcpcs_modifiers_and_descriptions(database_url: str, cms_dir: Path) -> None:
    import_file(database_url, cms_dir / "HCPC2025_OCT_ANWEB.xlsx")
    with engine_for(database_url).connect() as connection:
        modifier = connection.execute(
            sa.text("SELECT system, added_on FROM code WHERE code = 'A1'")
        ).one()
        sources = (
            connection.execute(
                sa.text("SELECT source FROM descriptor WHERE code = 'A1' ORDER BY source")
            )
            .scalars()
            .all()
        )
        j_code = connection.execute(
            sa.text("SELECT system FROM code WHERE code = 'J0585'")
        ).scalar_one()
    assert (modifier[0], str(modifier[1])) == ("modifier", "2002-07-01")
    assert list(sources) == ["hcpcs_long", "hcpcs_short"]
    assert j_code == "HCPCS-II"


def test_malformed_line_stops_the_import_and_changes_nothing(
    database_url: str, cms_dir: Path, tmp_path: Path
) -> None:
    import_file(database_url, cms_dir / "ncci-addon-code-edits-2024q2.csv")
    before = table_counts(database_url)
    lines = MUE_FORM.read_text().splitlines()
    lines[6] = "63057,three,3 Date of Service Edit: Clinical,Clinical: Data"
    bad = tmp_path / MUE_FORM.name
    bad.write_text("\n".join(lines) + "\n")
    with pytest.raises(ImportFileError) as failure:
        import_file(database_url, bad)
    assert str(failure.value) == f"{bad}:7: MUE value 'three' is not a whole number"
    assert (failure.value.line_number, failure.value.path) == (7, str(bad))
    assert table_counts(database_url) == before


def test_a_bad_line_late_in_a_file_rolls_back_rows_already_written(
    database_url: str, cms_dir: Path, tmp_path: Path
) -> None:
    # Past the writer's first chunk, so rows have reached the database before the failure.
    source = (cms_dir / "pfs-indicators-2024-07.csv").read_text().splitlines()
    source.append("99999,,AB,,,,,,,,,,,,,,,,")
    bad = tmp_path / "pfs-indicators-2024-10.csv"
    bad.write_text("\n".join(source) + "\n")
    with pytest.raises(ImportFileError, match=r":18666: status 'AB' is not one letter"):
        import_file(database_url, bad)
    assert scalar(database_url, "SELECT count(*) FROM fee_schedule_indicator") == 0
    assert scalar(database_url, "SELECT count(*) FROM data_release") == 0


def test_skip_bad_counts_and_reports_bad_lines(database_url: str, tmp_path: Path) -> None:
    lines = MUE_FORM.read_text().splitlines()
    lines[5] = "6305,1,2 Date of Service Edit: Policy,Anatomic Consideration"
    lines[7] = "96372,4,5 Unknown,Clinical: Data"
    bad = tmp_path / MUE_FORM.name
    bad.write_text("\n".join(lines) + "\n")
    result = import_file(database_url, bad, skip_bad=True)
    assert (result.rows, result.skipped_bad) == (4, 2)
    assert result.bad_lines == (
        f"{bad}:6: code '6305' is not a CPT or HCPCS code",
        f"{bad}:8: adjudication indicator '5 Unknown' does not start with 1, 2 or 3",
    )


def test_reimport_is_a_no_op_and_a_changed_file_is_refused(
    database_url: str, tmp_path: Path
) -> None:
    first = import_file(database_url, MUE_FORM)
    before = table_counts(database_url)
    again = import_file(database_url, MUE_FORM)
    assert again.already_imported and again.rows == first.rows == 6
    assert table_counts(database_url) == before
    changed = tmp_path / MUE_FORM.name
    changed.write_text(MUE_FORM.read_text().replace("63047,1,", "63047,2,"))
    with pytest.raises(ReleaseConflictError, match="imported from different content"):
        import_file(database_url, changed)
    assert table_counts(database_url) == before


def test_two_releases_live_side_by_side(database_url: str, tmp_path: Path) -> None:
    july = import_file(database_url, MUE_FORM)
    october = tmp_path / "MCR_MUE_PractitionerServices_Eff_10-01-2024.csv"
    october.write_text(MUE_FORM.read_text().replace("63047,1,", "63047,2,"))
    later = import_file(database_url, october)
    assert (july.release_name, str(july.effective_on)) == (
        "mcr_mue_practitionerservices_eff_07-01-2024",
        "2024-07-01",
    )
    assert str(later.effective_on) == "2024-10-01"
    with engine_for(database_url).connect() as connection:
        values = connection.execute(
            sa.text(
                "SELECT r.name, m.value FROM mue m JOIN data_release r ON r.id = m.release_id "
                "WHERE m.code = '63047' ORDER BY r.effective_on"
            )
        ).all()
    assert [tuple(v) for v in values] == [(july.release_name, 1), (later.release_name, 2)]


def test_licensed_cpt_and_summaries(database_url: str, tmp_path: Path) -> None:
    # Placeholder words: the project never holds AMA descriptor text, not even in tests.
    licensed = tmp_path / "cpt-licensed-2025.txt"
    licensed.write_text("99213\tLicensed descriptor placeholder one\n63047\tPlaceholder two\n")
    summaries = tmp_path / "summaries-2025.csv"
    summaries.write_text('code,summary\n99213,"An office visit, in our words."\n')
    cpt = import_file(database_url, licensed)
    plain = import_file(database_url, summaries)
    assert (cpt.kind, cpt.rows, plain.kind, plain.rows) == ("cpt", 2, "summary", 1)
    sources = scalar(
        database_url,
        "SELECT count(DISTINCT source) FROM descriptor WHERE code = '99213'",
    )
    assert sources == 2
    twice = tmp_path / "cpt-twice-2025.txt"
    twice.write_text("99213\tone\n99213\ttwo\n")
    with pytest.raises(ImportFileError, match=r":2: code 99213 appears a second time"):
        import_file(database_url, twice)


def test_unknown_kind_asks_for_kind_and_release(database_url: str, tmp_path: Path) -> None:
    path = tmp_path / "export.txt"
    path.write_text("whatever\n")
    with pytest.raises(ReleaseConflictError, match="give --kind"):
        import_file(database_url, path)
    # Given a kind but no data: says so, with the file's name.
    with pytest.raises(ImportFileError, match=r"no data row|holds no data rows"):
        import_file(database_url, path, kind="mue", release="mystery-2024")


def test_cli_import_prints_what_it_did_and_fails_with_exit_1(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from consultant.cli import main

    monkeypatch.setenv("CONSULTANT_DATABASE_URL", database_url)
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        done = runner.invoke(main, ["codes", "import", str(MUE_FORM)])
        assert done.exit_code == 0, done.output
        assert "imported 6 mue rows (effective 2024-07-01)" in done.output
        again = runner.invoke(main, ["codes", "import", str(MUE_FORM)])
        assert "already imported" in again.output
        listed = runner.invoke(main, ["codes", "releases"])
        assert "mcr_mue_practitionerservices_eff_07-01-2024" in listed.output
        bad = tmp_path / "x-2024-01-01.csv"
        bad.write_text("hcpcs_code,mue_value,mai,mue_rationale\n63047,x,1,r\n")
        failed = runner.invoke(main, ["codes", "import", "--kind", "mue", str(bad)])
        assert failed.exit_code == 1
        assert f"{bad}:2: MUE value 'x' is not a whole number" in failed.output
    finally:
        get_settings.cache_clear()


def test_a_failed_first_ptp_import_keeps_the_pair_index(database_url: str, tmp_path: Path) -> None:
    # On SQLite the index is dropped for the load into an empty table; the rollback restores it.
    part = (FORMS / "ccipra-v302r0-f2.txt").read_text().splitlines()
    part.append("99354\t97151\t\t20130101\t2019-12-31\t1\tWrong date form")
    bad = tmp_path / "ccipra-v302r0-f2.txt"
    bad.write_text("\n".join(part) + "\n")
    with pytest.raises(ImportFileError, match=r":11: deletion date '2019-12-31' is not a date"):
        import_file(database_url, bad)
    indexes = sa.inspect(engine_for(database_url)).get_indexes("ptp_edit")
    assert [index["name"] for index in indexes] == ["ix_ptp_edit_release_pair"]
    done = import_file(database_url, FORMS / "ccipra-v302r0-f2.txt")
    assert done.rows == 7
    indexes = sa.inspect(engine_for(database_url)).get_indexes("ptp_edit")
    assert [index["name"] for index in indexes] == ["ix_ptp_edit_release_pair"]


def test_cli_load_sample_fills_an_empty_database_once(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from consultant.cli import main

    monkeypatch.setenv("CONSULTANT_DATABASE_URL", database_url)
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        first = runner.invoke(main, ["codes", "load-sample"])
        assert first.exit_code == 0, first.output
        assert "sample-ncci-ptp-practitioner-2024-07-01: imported" in first.output
        second = runner.invoke(main, ["codes", "load-sample"])
        assert second.exit_code == 0
        assert "imported" not in second.output
    finally:
        get_settings.cache_clear()
