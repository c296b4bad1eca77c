"""What makes imports fast must not change what they do (issue 16): the commit that follows a
dry run takes that dry run's reading of the file, the framework is parsed by libyaml, and
the import command starts without the libraries of the charts and the exports."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from ardenne_kpi import db, framework
from ardenne_kpi.core.errors import FrameworkError
from ardenne_kpi.intake import importer
from tests.test_import_engine import report  # the same long-layout report

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def store(tmp_path, fw):
    path = tmp_path / "test.duckdb"
    con = db.connect(path)
    db.sync_framework(con, fw)
    yield con, path
    con.close()


def stored(con):
    return (
        con.cursor()
        .execute(
            "SELECT indicator, operator, zone, audience, period, value, sheet, cell, upload_id "
            "FROM report_values ORDER BY ALL"
        )
        .fetchall()
    )


def test_commit_after_a_dry_run_does_not_parse_again_and_stores_the_same(store, fw, tmp_path, monkeypatch):
    con, path = store
    data = report(("BRD01", "S05", 600, "BE-NAM"), ("BRD02", "S05", 25), ("BRD02", "S06", 26))
    other = db.connect(tmp_path / "other.duckdb")
    db.sync_framework(other, fw)
    plain = importer.import_file(other, data, "r.xlsx", framework=fw, user="marie")
    checked = importer.import_file(con, data, "r.xlsx", framework=fw, dry_run=True)
    calls = []
    real = importer.parse_bytes
    monkeypatch.setattr(importer, "parse_bytes", lambda *a, **k: calls.append(1) or real(*a, **k))
    result = importer.import_file(con, data, "r.xlsx", framework=fw, user="marie", checked=checked)
    assert calls == []
    assert result.summary_fr() == plain.summary_fr()
    assert [w.message for w in result.warnings] == [w.message for w in plain.warnings]
    assert stored(con) == stored(other)
    other.close()


def test_a_dry_run_of_other_bytes_or_another_operator_is_not_taken(store, fw, monkeypatch):
    con, _path = store
    checked = importer.import_file(con, report(("BRD02", "S05", 25)), "r.xlsx", framework=fw, dry_run=True)
    calls = []
    real = importer.parse_bytes
    monkeypatch.setattr(importer, "parse_bytes", lambda *a, **k: calls.append(1) or real(*a, **k))
    result = importer.import_file(con, report(("BRD02", "S05", 30)), "r.xlsx", framework=fw, checked=checked)
    assert calls == [1] and result.inserted == 1
    assert con.cursor().execute("SELECT value FROM report_values").fetchall() == [(30.0,)]
    importer.import_file(con, report(("BRD02", "S05", 25)), "r.xlsx", framework=fw, operator="FTPN", checked=checked)
    assert calls == [1, 1]


def test_a_refused_dry_run_keeps_nothing_to_reuse(store, fw):
    con, _path = store
    checked = importer.import_file(con, report(("BRD02", "S05", "beaucoup")), "r.xlsx", framework=fw, dry_run=True)
    assert checked.status == "refused"
    result = importer.import_file(con, report(("BRD02", "S05", "beaucoup")), "r.xlsx", framework=fw, checked=checked)
    assert result.status == "refused" and result.errors[0].message == checked.errors[0].message


def test_libyaml_reads_the_framework_as_the_pure_python_parser_does():
    text = framework.DEFAULT_PATH.read_text(encoding="utf-8")
    node, data = framework.loading._parse_yaml(text, yaml.SafeLoader)
    fast_node, fast_data = framework.loading._parse_yaml(text)
    assert fast_data == data
    assert framework.loading._line_map(fast_node) == framework.loading._line_map(node)


def test_a_yaml_syntax_error_is_worded_as_before():
    text = "indicators:\n  - code: A\n   label: [\n"
    with pytest.raises(yaml.YAMLError) as pure:
        framework.loading._parse_yaml(text, yaml.SafeLoader)
    with pytest.raises(FrameworkError) as raised:
        framework.parse_framework(text)
    mark = pure.value.problem_mark
    assert f"ligne {mark.line + 1}, colonne {mark.column + 1}" in str(raised.value)
    assert str(pure.value.problem) in str(raised.value)


def _fresh_interpreter(code: str) -> subprocess.CompletedProcess:
    """`code` run by a new Python in the repository: which modules a command loads, and when."""
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)


def test_the_import_command_imports_no_chart_pdf_or_ui_library():
    code = (
        "import sys, runpy; sys.argv = ['ardenne_kpi', 'import', '--help']\n"
        "try:\n    runpy.run_module('ardenne_kpi', run_name='__main__')\nexcept SystemExit:\n    pass\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'plotly', 'matplotlib', 'fpdf', 'streamlit', "
        "'openpyxl', 'kaleido'}))"
    )
    out = _fresh_interpreter(code)
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_the_import_command_starts_the_parse_before_loading_pandas_and_pyarrow(tmp_path, empty_db_path):
    (tmp_path / "x.duckdb").write_bytes(empty_db_path.read_bytes())  # only init creates a base
    data = report(("BRD02", "S05", 25))
    (tmp_path / "r.xlsx").write_bytes(data)
    code = (
        "import sys, runpy\n"
        "from ardenne_kpi.intake import report\n"
        "real = report._load_libraries_meanwhile\n"
        "seen = []\n"
        "def spy():\n"
        "    seen.append(sorted({'pandas', 'pyarrow'} & set(sys.modules)))\n"
        "    real()\n"
        "report._load_libraries_meanwhile = spy\n"
        f"sys.argv = ['ardenne_kpi', 'import', {str(tmp_path / 'r.xlsx')!r}, '--db', "
        f"{str(tmp_path / 'x.duckdb')!r}]\n"
        "try:\n    runpy.run_module('ardenne_kpi', run_name='__main__')\nexcept SystemExit:\n    pass\n"
        "print(seen)"
    )
    out = _fresh_interpreter(code)
    assert "importé" in out.stdout
    assert out.stdout.strip().splitlines()[-1] == "[[]]"


def test_the_import_command_starts_the_parse_before_loading_duckdb_and_prints_without_pandas(tmp_path, empty_db_path):
    (tmp_path / "x.duckdb").write_bytes(empty_db_path.read_bytes())  # only init creates a base
    data = report(("BRD02", "S05", 25), ("BRD02", "S06", 90))
    (tmp_path / "r.xlsx").write_bytes(data)
    code = (
        "import sys, runpy\n"
        "from ardenne_kpi.intake import guard\n"
        "real = guard.start_isolated\n"
        "seen = []\n"
        "def spy(*args, **kwargs):\n"
        "    seen.append(sorted({'duckdb', 'ardenne_kpi.db', 'ardenne_kpi.framework'} & set(sys.modules)))\n"
        "    return real(*args, **kwargs)\n"
        "guard.start_isolated = spy\n"
        f"sys.argv = ['ardenne_kpi', 'import', {str(tmp_path / 'r.xlsx')!r}, '--db', "
        f"{str(tmp_path / 'x.duckdb')!r}]\n"
        "try:\n    runpy.run_module('ardenne_kpi', run_name='__main__')\nexcept SystemExit:\n    pass\n"
        "print(seen, sorted({'pandas', 'pyarrow'} & set(sys.modules)))"
    )
    out = _fresh_interpreter(code)
    assert "importé" in out.stdout and "2 nouvelle(s)" in out.stdout
    assert out.stdout.strip().splitlines()[-1] == "[[]] []"


def test_the_command_line_parser_loads_without_duckdb_or_the_framework():
    code = (
        "import sys\n"
        "from ardenne_kpi import cli\n"
        "cli.build_parser()\n"
        "print(sorted({'duckdb', 'ardenne_kpi.db', 'ardenne_kpi.framework', 'pandas'} & set(sys.modules)))"
    )
    out = _fresh_interpreter(code)
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_a_parse_started_before_the_framework_is_known_reads_as_a_plain_parse(fw):
    from ardenne_kpi.intake import arrival, guard, reader

    data = report(("BRD01", "S05", 600, "BE-NAM"), ("BRD02", "S05", 25), ("BRD02", "S06", "beaucoup"))
    plain = reader.parse(data, guard.precheck(data, "r.xlsx"), "r.xlsx", fw, None, "opérateur choisi")
    later = arrival.parse_later(data, "xlsx", "r.xlsx", lambda: (fw, None, "opérateur choisi"))
    assert later.columns == plain.columns and later.columns["value"] == [600.0, 25.0]
    assert [i.message for i in later.errors] == [i.message for i in plain.errors]
    assert "beaucoup" in later.errors[0].message
    assert later.tables == plain.tables and later.operator == plain.operator


def test_framework_rows_inserted_by_batches_equal_row_by_row_inserts(tmp_path):
    import datetime as dt

    con = db.connect(tmp_path / "rows.duckdb")
    cur = con.cursor()
    cur.execute("CREATE TABLE a (code VARCHAR, n INTEGER, x DOUBLE, d DATE, flag BOOLEAN, note VARCHAR)")
    cur.execute("CREATE TABLE b (code VARCHAR, n INTEGER, x DOUBLE, d DATE, flag BOOLEAN, note VARCHAR)")
    rows = [
        (
            f"C{i}",
            i,
            i / 3 if i % 2 else i,
            dt.date(2020, 1, 1) + dt.timedelta(days=i),
            i % 3 == 0,
            None if i % 5 else "l'été « 5 »",
        )
        for i in range(1234)
    ]
    db._insert_rows(cur, "a", "(?, ?, ?, ?, ?, ?)", rows)
    cur.executemany("INSERT INTO b VALUES (?, ?, ?, ?, ?, ?)", rows)
    assert cur.execute("SELECT * FROM a ORDER BY n").fetchall() == cur.execute("SELECT * FROM b ORDER BY n").fetchall()
    db._insert_rows(cur, "a", "(?, ?, ?, ?, ?, ?)", [])
    assert cur.execute("SELECT count(*) FROM a").fetchone() == (1234,)
    con.close()


def test_the_import_command_alone_still_speaks_french_on_a_usage_error_and_help_lists_every_command():
    out = subprocess.run([sys.executable, "-m", "ardenne_kpi", "import"], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 2 and "arguments obligatoires manquants" in out.stderr
    out = subprocess.run(
        [sys.executable, "-m", "ardenne_kpi", "--help"], capture_output=True, text=True, cwd=ROOT, check=True
    )
    for command in ("import", "uploads", "rollback", "template", "export", "publish"):
        assert command in out.stdout


CORPUS = Path(__file__).resolve().parent / "data" / "corpus"
SAMPLE = sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.suffix.lower() != ".md")[::8]


@pytest.mark.skipif(not SAMPLE, reason="corpus absent")
@pytest.mark.parametrize("path", SAMPLE, ids=[p.name for p in SAMPLE])
def test_corpus_file_committed_after_its_dry_run_lands_as_a_plain_import(fw, tmp_path, path):
    plain_con, con = db.connect(tmp_path / "plain.duckdb"), db.connect(tmp_path / "checked.duckdb")
    for c in (plain_con, con):
        db.sync_framework(c, fw)
    plain = importer.import_file(plain_con, path, path.name, operator="FTLB", framework=fw)
    checked = importer.import_file(con, path, path.name, operator="FTLB", framework=fw, dry_run=True)
    result = importer.import_file(con, path, path.name, operator="FTLB", framework=fw, checked=checked)
    assert (result.status, result.inserted, result.updated, result.unchanged) == (
        plain.status,
        plain.inserted,
        plain.updated,
        plain.unchanged,
    )
    assert [i.message for i in result.errors + result.warnings] == [i.message for i in plain.errors + plain.warnings]
    query = "SELECT indicator, operator, zone, audience, period, value, comment, sheet, cell FROM report_values ORDER BY ALL"
    assert con.cursor().execute(query).fetchall() == plain_con.cursor().execute(query).fetchall()
    plain_con.close()
    con.close()
