"""The demo database: deterministic, with the sourced anchors and the gaps a real portfolio has."""

from __future__ import annotations

import dataclasses
import os

import openpyxl
import pandas as pd
import pytest
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string
from python_calamine import CalamineWorkbook

from ardenne_kpi import db, demo, figures, reporting
from ardenne_kpi.core.periods import parse_period
from ardenne_kpi.intake import templates


@pytest.fixture(scope="module")
def demo_con(demo_db_path):
    con = db.connect(demo_db_path)
    yield con
    con.close()


def total(con, indicator, period):
    return con.execute(
        "SELECT sum(value) FROM report_values WHERE indicator = ? AND period = ?", [indicator, period]
    ).fetchone()[0]


def test_demo_is_deterministic(fw):
    (u1, v1), (u2, v2) = demo.build_values(fw), demo.build_values(fw)
    pd.testing.assert_frame_equal(v1, v2)
    pd.testing.assert_frame_equal(u1, u2)


def test_demo_spans_the_programme_quarters(demo_con):
    quarters = [
        r[0]
        for r in demo_con.execute(
            "SELECT DISTINCT period FROM report_values WHERE grain = 'quarter' ORDER BY period_start"
        ).fetchall()
    ]
    assert quarters[0] == "2016-Q4" and quarters[-1] == "2022-Q1" and len(quarters) == 22


def test_every_operator_reports(demo_con, fw):
    ops = {r[0] for r in demo_con.execute("SELECT DISTINCT operator FROM report_values").fetchall()}
    assert ops == {o.code for o in fw.operators}


@pytest.mark.parametrize(
    ("indicator", "period", "expected"),
    [
        ("BRD01", "S06", 600),
        ("BRD01", "S08", 700),  # brand members May 2019, June 2020
        ("ATT05", "S11", 280),
        ("ATT07", "S11", 4),  # km of cycle routes, bivouac areas
        ("CLI14", "S06", 23000),  # Routard guides
    ],
)
def test_sourced_anchors(demo_con, indicator, period, expected):
    assert total(demo_con, indicator, period) == expected


def test_fourteen_committees_over_the_first_four_semesters(demo_con):
    n = demo_con.execute(
        "SELECT sum(value) FROM report_values WHERE indicator = 'GOV01' AND period IN ('S01', 'S02', 'S03', 'S04')"
    ).fetchone()[0]
    assert n == 14


def test_eco_management_coaching_in_the_sourced_range(demo_con):
    assert 120 <= total(demo_con, "ATT01", "S10") <= 150


def test_overnight_stays_volume_seasonality_and_covid(demo_con, fw):
    # The figures, not raw sums: FTLB's Dutch visitors' stays lie inside BE-LUX's total.
    quarters = figures.aggregate(demo_con, fw, "CLI08", "quarter").set_index("period")["value"]
    y2019 = figures.aggregate(demo_con, fw, "CLI08", "year").set_index("period").loc["2019", "value"]
    assert 7_000_000 < y2019 < 8_500_000
    assert quarters["2019-Q3"] > quarters["2019-Q1"]  # summer peak
    assert quarters["2020-Q2"] < 0.35 * quarters["2019-Q2"]  # lockdown


def test_the_demo_shows_how_partners_really_report(demo_con, fw):
    # A semester reporter among quarter reporters: PNVH gives eco-counter passages by semester.
    s05 = figures.lineage(demo_con, fw, "ATT06", "S05")
    assert set(s05["period"]) == {"2018-Q4", "2019-Q1", "S05"} and s05["counted"].all()
    # Nested territories: FTLB's own survey of BE-LUX lies inside GEIE's Ardenne-wide one.
    cli13 = figures.lineage(demo_con, fw, "CLI13", "2019").set_index("zone")
    assert bool(cli13.loc["ARD", "counted"]) and not bool(cli13.loc["BE-LUX", "counted"])
    # A ratio with its components: occupancy weighted by the rooms-nights available.
    q3 = figures.lineage(demo_con, fw, "CLI12", "2019-Q3")
    weighted = q3["numerator"].sum() / q3["denominator"].sum() * 100
    figure = figures.aggregate(demo_con, fw, "CLI12", "quarter").set_index("period").loc["2019-Q3", "value"]
    assert figure == pytest.approx(weighted) and figure != pytest.approx(q3["value"].mean(), abs=1e-3)
    # A missing report: ACW has sent nothing for S11.
    s11 = figures.aggregate(demo_con, fw, "ATT01", "programme-semester").set_index("period").loc["S11"]
    assert not s11["complete"] and "ACW (BE-LUX) n'a pas rapporté S11" in s11["note"]
    # New brand members agree with the members' count (growth plus the 4 % who left).
    members = figures.aggregate(demo_con, fw, "BRD01", "programme-semester").set_index("period")["value"]
    new = figures.aggregate(demo_con, fw, "BRD02", "programme-semester").set_index("period")["value"]
    assert new["S08"] == members["S08"] - members["S07"] + round(members["S07"] * demo.CHURN)


def test_gaps_an_indicator_never_reported(demo_con):
    assert total(demo_con, demo.NEVER_REPORTED, "2019") is None
    n = demo_con.execute("SELECT count(*) FROM report_values WHERE indicator = ?", [demo.NEVER_REPORTED]).fetchone()[0]
    assert n == 0


def test_gaps_an_operator_late_and_one_missing(demo_db_path, fw):
    con = db.connect(demo_db_path)
    try:
        table = reporting.completeness(con, fw, fw.calendar.semester("S11")).set_index("operator")
    finally:
        con.close()
    assert table.loc[demo.MISSING_LAST_REPORT, "received"] == 0
    assert table.loc[demo.LATE_OPERATOR, "late"] > 0
    assert table.drop(index=[demo.LATE_OPERATOR, demo.MISSING_LAST_REPORT])["late"].sum() == 0


def test_gaps_dimension_key_cells_nobody_serves(fw):
    served = fw.served_cells
    assert 0 < fw.cell_count - len(served) < 12
    assert ("D1", "K04") not in served


def test_demo_database_is_marked(demo_db_path):
    con = db.connect(demo_db_path)
    try:
        assert con.execute("SELECT value FROM meta WHERE name = 'demo'").fetchone()[0] == "true"
    finally:
        con.close()


# ------------------------------------------------------------------ lineage: the real path


def _number(raw: object) -> float:
    """What a partner's cell says, read without the engine: a number, or French text such
    as « 1 234 » or « 45,3 % »."""
    if isinstance(raw, str):
        return float(raw.replace("\u202f", "").replace(" ", "").replace("%", "").replace(",", "."))
    return raw


def _cell(rows: list[list], ref: str) -> object:
    column, row = coordinate_from_string(ref)
    return rows[row - 1][column_index_from_string(column) - 1]


def _kept(path: str, database) -> str:
    """A stored original file's path: relative to the database's folder (it moves with it)."""
    return path if os.path.isabs(path) else str(database.parent / path)


def test_every_demo_value_is_in_the_cell_its_lineage_names(demo_con, demo_db_path, fw):
    _assert_lineage_cells_hold_the_values(demo_con, demo_db_path, fw)


def _assert_lineage_cells_hold_the_values(demo_con, demo_db_path, fw):
    cal = fw.calendar
    programme = parse_period(f"{cal.start:%d/%m/%Y} - {cal.end:%d/%m/%Y}", cal).code
    lineage = pd.concat(
        [figures.lineage(demo_con, fw, i.code, programme).assign(indicator=i.code) for i in fw.indicators]
    )
    assert len(lineage) == demo_con.execute("SELECT count(*) FROM report_values WHERE is_current").fetchone()[0]
    sheets: dict[tuple[str, str], list[list]] = {}
    percent_cells = []
    for row in lineage.itertuples(index=False):
        assert row.stored_path and row.file_name.startswith(f"rapport_{row.operator}_")
        key = (row.stored_path, row.sheet)
        if key not in sheets:
            book = CalamineWorkbook.from_path(_kept(row.stored_path, demo_db_path))
            sheets[key] = book.get_sheet_by_name(row.sheet).to_python(skip_empty_area=False)
        raw = _number(_cell(sheets[key], row.cell))
        if raw != pytest.approx(row.value):  # only an Excel percentage: 0.453 shown as 45.3 %
            assert fw.indicator(row.indicator).is_percent and raw * 100 == pytest.approx(row.value), row
            percent_cells.append(row)
    assert len({path for path, _sheet in sheets}) == demo_con.execute("SELECT count(*) FROM uploads").fetchone()[0]
    assert percent_cells  # FTPN's layout has some: their cells are formatted as percentages
    for row in percent_cells[:5]:
        assert openpyxl.load_workbook(_kept(row.stored_path, demo_db_path))[row.sheet][row.cell].number_format.endswith(
            "%"
        )


def test_brand_scores_come_from_a_sheet_of_the_imported_reports(demo_con, demo_db_path):
    rows = demo_con.execute("""
        SELECT b.score, b.sheet, b.cell, u.stored_path FROM brand_scores b JOIN uploads u ON u.id = b.upload_id
        WHERE b.is_current""").fetchall()
    assert len(rows) > 300
    sheets = {
        (path, sheet): CalamineWorkbook.from_path(_kept(path, demo_db_path))
        .get_sheet_by_name(sheet)
        .to_python(skip_empty_area=False)
        for _score, sheet, _cell, path in rows
    }
    assert all(_cell(sheets[path, sheet], cell) == score for score, sheet, cell, path in rows)


def test_reports_come_in_the_template_and_in_partner_layouts(demo_con):
    sheets = dict(
        demo_con.execute("""
        SELECT u.operator, list(DISTINCT v.sheet ORDER BY v.sheet) FROM uploads u
        JOIN report_values v ON v.upload_id = u.id GROUP BY u.operator""").fetchall()
    )
    assert sheets.pop("PNVH") == ["Données"] and sheets.pop("FTPN") == ["Données"]
    assert sheets.pop("ADT08") == ["Tableau de bord"]
    assert set(map(tuple, sheets.values())) == {(templates.DATA_SHEET,)}


def test_demo_uploads_are_dated_as_partners_sent_them(demo_con):
    delays = demo_con.execute("""
        SELECT u.operator, min(date_diff('day', q.quarter_end, CAST(u.uploaded_at AS DATE))),
               max(date_diff('day', q.quarter_end, CAST(u.uploaded_at AS DATE)))
        FROM uploads u JOIN (SELECT upload_id, max(period_end) AS quarter_end FROM report_values GROUP BY upload_id) q
          ON q.upload_id = u.id
        GROUP BY u.operator""").fetchall()
    for operator, shortest, longest in delays:
        assert 12 <= shortest and longest <= (110 if operator == demo.LATE_OPERATOR else 40), operator


# ------------------------------------------------------------------ the shipped demo

# Columns that name a report file by its bytes: the workbooks carry the moment they were
# written (openpyxl's document properties), so two builds differ there and nowhere else.
_FILE_BYTES = {"sha256", "size_bytes", "stored_path"}


def _tables(con) -> dict[str, pd.DataFrame]:
    out = {}
    for (table,) in con.execute("SELECT table_name FROM information_schema.tables ORDER BY 1").fetchall():
        frame = con.table(table).df()
        frame = frame.drop(columns=[c for c in frame.columns if c in _FILE_BYTES])
        out[table] = frame.sort_values(list(frame.columns), ignore_index=True)
    return out


@pytest.mark.slow  # builds the demo through the engine: half a minute, once per code version
def test_the_shipped_demo_is_the_demo_the_engine_builds(built_demo_path, fw, tmp_path):
    """data/demo.tar.xz, which a first start unpacks, against the demo built now through the
    engine (conftest: create_demo with the code as it is): every table, row and column
    alike, but for the files' hashes and sizes. When this fails after a change that alters
    the demo, write the archive again: `python -m ardenne_kpi.demo`."""
    path = tmp_path / "shipped.duckdb"
    assert demo.install_demo(path, fw), "no shipped demo for this framework and schema: python -m ardenne_kpi.demo"
    shipped, engine = db.connect(path), db.connect(built_demo_path)
    try:
        built, unpacked = _tables(engine), _tables(shipped)
        assert sorted(unpacked) == sorted(built)
        for table, frame in built.items():
            pd.testing.assert_frame_equal(unpacked[table], frame, obj=f"table {table}")
        _assert_lineage_cells_hold_the_values(shipped, path, fw)  # its own files, unpacked beside it
    finally:
        shipped.close()
        engine.close()


def test_the_shipped_demo_serves_only_its_own_framework_and_a_new_base(fw, tmp_path):
    other = dataclasses.replace(fw, source_text=fw.source_text + "\n# changé\n")
    assert not demo.install_demo(tmp_path / "a.duckdb", other)
    assert not (tmp_path / "a.duckdb").exists() and not (tmp_path / "uploads").exists()
    existing = tmp_path / "b.duckdb"
    existing.write_bytes(b"")
    assert not demo.install_demo(existing, fw) and existing.read_bytes() == b""
    assert not demo.install_demo(tmp_path / "c.duckdb", fw, archive=tmp_path / "none.tar.xz")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.duckdb"]  # no staging folder left behind


def test_init_says_how_many_values_the_shipped_demo_holds(tmp_path, capsys):
    from ardenne_kpi.cli import main

    path = tmp_path / "demo.duckdb"
    assert main(["init", "--db", str(path)]) == 0
    with db.connect(path, read_only=True) as con:
        n = con.execute("SELECT count(*) FROM report_values").fetchone()[0]
    assert n > 1000
    assert f"Base de démonstration créée : {path} ({n} valeurs, référentiel " in capsys.readouterr().out


def test_the_demo_a_first_start_unpacks_can_be_backed_up(tmp_path, fw, capsys):
    """The archive carries no dates: unpacked, the database was dated 1970 and `backup` stopped
    on a traceback (« ZIP does not support timestamps before 1980 »)."""
    import zipfile

    from ardenne_kpi.cli import main

    path = tmp_path / "ardenne.duckdb"
    if not demo.install_demo(path, fw):
        pytest.skip("no shipped demo for this framework: python -m ardenne_kpi.demo")
    assert path.stat().st_mtime > 315_532_800  # 1980-01-01
    out = tmp_path / "sauvegarde.zip"
    assert main(["backup", "--db", str(path), "--out", str(out)]) == 0, capsys.readouterr().err
    with zipfile.ZipFile(out) as zf:
        assert len(zf.namelist()) > 100  # the database, its 166 original files, the manifest


def test_the_shipped_demo_unpacks_where_tarfile_has_no_data_filter(fw, tmp_path, monkeypatch):
    """Debian 12's Python (3.11.2) has no `extractall(filter=...)`: the first start of « Mettre en
    ligne » stopped on a TypeError there. The demo is unpacked member by member instead."""
    import tarfile

    def old_extractall(self, path=".", members=None, *, numeric_owner=False):  # 3.11.2's signature
        raise AssertionError("extractall is not used")

    monkeypatch.setattr(tarfile.TarFile, "extractall", old_extractall)
    monkeypatch.delattr(tarfile, "data_filter", raising=False)
    assert demo.install_demo(tmp_path / "demo.duckdb", fw)
    with db.connect(tmp_path / "demo.duckdb", read_only=True) as con:
        assert con.execute("SELECT count(*) FROM report_values").fetchone()[0] > 1000
    assert any((tmp_path / "uploads").iterdir())


@pytest.mark.parametrize("hostile", ["../outside.txt", "/tmp/absolute.txt", "link"])
def test_a_demo_archive_with_a_member_outside_its_folder_is_refused_and_nothing_is_written(fw, tmp_path, hostile):
    import io
    import json
    import tarfile

    from ardenne_kpi.demo import database as shipped

    archive = tmp_path / "demo.tar.xz"
    with tarfile.open(shipped.ARCHIVE) as source, tarfile.open(archive, "w:xz") as tar:
        manifest = source.extractfile(shipped._MANIFEST).read()
        info = tarfile.TarInfo(shipped._MANIFEST)
        info.size = len(manifest)
        tar.addfile(info, io.BytesIO(manifest))
        bad = tarfile.TarInfo(hostile)
        if hostile == "link":
            bad.type, bad.linkname = tarfile.SYMTYPE, "/etc/passwd"
            tar.addfile(bad)
        else:
            bad.size = 4
            tar.addfile(bad, io.BytesIO(b"oups"))
    assert json.loads(manifest)  # the real manifest: only the hostile member can refuse it
    folder = tmp_path / "base"
    assert not demo.install_demo(folder / "demo.duckdb", fw, archive=archive)
    assert not (tmp_path / "outside.txt").exists() and sorted(p.name for p in folder.iterdir()) == []
