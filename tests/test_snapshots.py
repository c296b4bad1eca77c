"""Committee snapshots: freezing the data at a date and comparing two states."""

from __future__ import annotations

import datetime as dt
import functools

import pytest

from ardenne_kpi.cli import main
from ardenne_kpi.committee import snapshots
from ardenne_kpi.framework import parse_framework
from tests.test_reporting import upload as _upload

upload = functools.partial(_upload, zones=("BE-LUX",))  # one zone: the values are the figures

APRIL, JUNE = dt.date(2019, 4, 20), dt.date(2019, 6, 30)


@pytest.fixture
def two_committees(con, fw):
    """S05 reported on time in April (two indicators), then in June a late third one and a correction."""
    upload(con, 1, APRIL, [("BRD10", "S05", 10), ("CLI16", "S05", 4)])
    first = snapshots.create(con, fw, "Comité de mai", dt.date(2019, 5, 2))
    upload(con, 2, JUNE, [("ATT01", "S05", 3), ("BRD10", "S05", 12)], supersede=True)
    second = snapshots.create(con, fw, "Comité de juillet", dt.date(2019, 7, 3))
    return first, second


def test_snapshot_freezes_the_values_that_counted_at_its_date(con, fw, two_committees):
    may = snapshots.load(con, "Comité de mai")
    assert sorted(may.values["value"]) == [4, 10]
    july = snapshots.load(con, "comité de JUILLET")
    assert sorted(july.values["value"]) == [3, 4, 12]


def test_a_past_date_ignores_later_uploads(con, fw, two_committees):
    state = snapshots.state_at(con, fw, dt.date(2019, 4, 19))
    assert state.values.empty
    assert set(state.status["status"]) == {"no_data"}


def test_comparison_lists_new_and_corrected_values_and_new_reports(con, fw, two_committees):
    cmp = snapshots.compare(con, fw, snapshots.load(con, "Comité de mai"), snapshots.load(con, "Comité de juillet"))
    changes = cmp.values.set_index("indicator")
    assert changes.loc["ATT01", "change"] == "new" and changes.loc["ATT01", "new_value"] == 3
    assert changes.loc["BRD10", "change"] == "changed"
    assert (changes.loc["BRD10", "old_value"], changes.loc["BRD10", "new_value"]) == (10, 12)
    assert "CLI16" not in changes.index
    assert cmp.uploads["id"].tolist() == [2]
    assert cmp.summary["new"] == 1 and cmp.summary["changed"] == 1 and cmp.summary["withdrawn"] == 0


def test_comparison_shows_statuses_that_changed(con, fw):
    # Here ACW alone owes ATT01, for BE-LUX, from S05: its June report makes a whole S05, judged.
    alone = parse_framework(
        fw.source_text.replace("operators: [ADT08, PNRA, PNVH, ACW, RND]", "operators: [ACW]").replace(
            "obligations:\n",
            "obligations:\n  - {operator: ACW, indicators: [ATT01], from: S05, to: S05, zones: [BE-LUX]}\n",
            1,
        )
    )
    upload(con, 1, APRIL, [("BRD10", "S05", 10), ("CLI16", "S05", 4)])
    snapshots.create(con, alone, "Comité de mai", dt.date(2019, 5, 2))
    upload(con, 2, JUNE, [("ATT01", "S05", 3), ("BRD10", "S05", 12)], supersede=True)
    snapshots.create(con, alone, "Comité de juillet", dt.date(2019, 7, 3))
    cmp = snapshots.compare(con, alone, snapshots.load(con, "Comité de mai"), snapshots.load(con, "Comité de juillet"))
    att01 = cmp.statuses.set_index("indicator").loc["ATT01"]
    assert att01["old_status"] == "no_data" and att01["new_status"] != "no_data"
    assert "CLI16" not in set(cmp.statuses["indicator"])


def test_a_partial_figure_changes_no_status(con, fw, two_committees):
    # With the demo's obligations, ACW's ATT01 alone is partial (four other operators owe it): never judged.
    cmp = snapshots.compare(con, fw, snapshots.load(con, "Comité de mai"), snapshots.load(con, "Comité de juillet"))
    assert "ATT01" not in set(cmp.statuses["indicator"])


def test_comparison_shows_coverage_cells_that_changed_state(con, fw, two_committees):
    before = snapshots.state_at(con, fw, dt.date(2019, 4, 1))
    cmp = snapshots.compare(con, fw, before, snapshots.load(con, "Comité de mai"))
    cells = cmp.cells.set_index(["row_code", "col_code"])
    # D4 × K03 is served by BRD10 and CLI16 among others: unreported before April, reported after.
    assert cells.loc[("D4", "K03"), "old_state"] == "not_reported"
    assert cells.loc[("D4", "K03"), "new_state"] in {"behind", "on_track"}
    assert set(cells["old_state"]) == {"not_reported"}


def test_comparing_a_state_with_itself_shows_nothing(con, fw, two_committees):
    july = snapshots.load(con, "Comité de juillet")
    cmp = snapshots.compare(con, fw, july, snapshots.live_state(con, fw))
    assert cmp.empty
    assert "Rien n'a changé" in snapshots.summary_text(cmp)


def test_create_refuses_a_used_name_a_blank_name_and_a_future_date(con, fw, two_committees):
    with pytest.raises(snapshots.SnapshotError, match="déjà"):
        snapshots.create(con, fw, "comité de MAI", dt.date(2019, 5, 2))
    with pytest.raises(snapshots.SnapshotError, match="nom"):
        snapshots.create(con, fw, "  ", dt.date(2019, 5, 2))
    with pytest.raises(snapshots.SnapshotError, match="futur"):
        snapshots.create(con, fw, "Plus tard", dt.date(2030, 1, 1), today=dt.date(2026, 1, 1))


def test_unknown_snapshot_names_the_existing_ones(con, fw, two_committees):
    with pytest.raises(snapshots.SnapshotError, match="Comité de mai"):
        snapshots.load(con, "Comité de mars")


def test_snapshot_commands_create_and_list(tmp_path, fw, capsys):
    database = tmp_path / "cli.duckdb"
    assert main(["init", "--empty", "--db", str(database)]) == 0
    assert main(["snapshot", "create", "Comité S05", "--date", "2019-05-02", "--db", str(database)]) == 0
    assert main(["snapshot", "list", "--db", str(database)]) == 0
    out = capsys.readouterr().out
    assert "Instantané n° 1 « Comité S05 »" in out and "02/05/2019" in out
    assert main(["snapshot", "create", "X", "--date", "02/05/2019", "--db", str(database)]) == 1
    assert "AAAA-MM-JJ" in capsys.readouterr().err
