"""The fast, column-wise reading of a table gives exactly what the cell-by-cell path gives:
the same values in the same order, the same errors and warnings at the same cells."""

from __future__ import annotations

import io
import random

import openpyxl
import pytest

from ardenne_kpi.intake import importer
from ardenne_kpi.intake.validate import TableReader


def full_path_only(self, rows, value_cols):
    for r in range(self.table.first_data_row, len(rows)):
        self._row(r, rows[r])


def messy_rows(fw, seed, n=400, wide=False):
    """Rows that exercise every message: unknown codes, text numbers, n.d., totals, duplicates,
    negative counts, percentages out of range, label mismatches, foreign indicators..."""
    rng = random.Random(seed)
    indicators = [i for i in fw.indicators[:40]]
    zones = ["", "BE-NAM", "FR-08", "Namur?", "ARD"]
    audiences = ["", "HAB", "VIS", "XYZ"]
    periods = ["S1 2019", "2019-S2", "T3 2019", "S05", "2035", "n'importe", "", "juillet 2019"]
    raw_values = [
        lambda: rng.randint(0, 500),
        lambda: round(rng.uniform(0, 1), 3),
        lambda: -rng.randint(1, 9),
        lambda: rng.randint(101, 300),
        lambda: "1 234,5",
        lambda: "1,234",
        lambda: "n.d.",
        lambda: "",
        lambda: "12 km",
        lambda: 55.5,
        lambda: "12,5 %",
        lambda: True,
    ]
    out = []
    for _ in range(n):
        ind = rng.choice(indicators)
        code = rng.choice([ind.code] * 8 + ["ZZZ99", "", "Total"])
        label = rng.choice([ind.label] * 6 + ["", indicators[0].label])
        weights = [30, 3, 2, 2, 2, 2, 2, 3, 1, 5, 1, 1]
        make = rng.choices(raw_values, weights)[0]
        if wide:
            out.append(
                [code, label, rng.choice(zones), rng.choice(audiences), make(), make(), rng.choice(["", "vu", "  "])]
            )
        else:
            out.append(
                [
                    code,
                    label,
                    rng.choices(periods, [20, 10, 10, 10, 1, 1, 2, 5])[0],
                    rng.choice(zones),
                    rng.choice(audiences),
                    make(),
                    rng.choice(["", "", "", "vu", "  "]),
                ]
            )
    for k in range(0, n, 37):  # the same key again, with the same or another value
        out.append(list(out[k]))
        if k % 2:
            out[-1][5] = 7 if out[-1][5] != 7 else 8
    return out


def workbook(rows, wide=False, operator="FTPN"):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Rapport"
    ws.append([f"Opérateur : {operator}"])
    ws.append(["Période : S06"])
    ws.append([])
    if wide:
        ws.append(["Code", "Libellé", "Zone", "Public", "S1 2019", "T3 2019", "Commentaire"])
    else:
        ws.append(["Code", "Libellé", "Période", "Zone", "Public", "Valeur", "Commentaire"])
    for row in rows:
        ws.append(row)
    ws["F8"].number_format = "0.0%"  # one percentage-formatted cell
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def both_ways(data, fw, monkeypatch, operator=None):
    fast = importer.parse_bytes(data, "r.xlsx", fw, operator, isolated=False)
    with monkeypatch.context() as m:
        m.setattr(TableReader, "_fast_read", full_path_only)
        full = importer.parse_bytes(data, "r.xlsx", fw, operator, isolated=False)
    return fast, full


def same(fast, full):
    assert fast.columns == full.columns
    assert fast.periods == full.periods
    assert [i.to_dict() for i in fast.errors] == [i.to_dict() for i in full.errors]
    assert [i.to_dict() for i in fast.warnings] == [i.to_dict() for i in full.warnings]
    assert fast.operator == full.operator


@pytest.mark.parametrize("seed", range(6))
def test_long_table_reads_the_same_both_ways(fw, monkeypatch, seed):
    fast, full = both_ways(workbook(messy_rows(fw, seed)), fw, monkeypatch)
    assert len(full) > 100 and full.errors and full.warnings  # the data does exercise the messages
    same(fast, full)


@pytest.mark.parametrize("seed", range(3))
def test_wide_table_reads_the_same_both_ways(fw, monkeypatch, seed):
    fast, full = both_ways(workbook(messy_rows(fw, seed, wide=True), wide=True), fw, monkeypatch)
    assert len(full) > 100
    same(fast, full)


def test_clean_table_from_a_foreign_operator_reads_the_same_both_ways(fw, monkeypatch):
    rows = [
        [i.code, i.label, p, z, "", 1 + n % 90, ""]
        for n, (i, p, z) in enumerate(
            (i, p, z) for i in fw.indicators[:30] for p in ("S1 2019", "S2 2019") for z in ("BE-NAM", "FR-08")
        )
    ]
    fast, full = both_ways(workbook(rows, operator="GEIE-DA"), fw, monkeypatch, operator="GEIE-DA")
    assert full.ok and len(full) == 120 and full.warnings  # "not among GEIE-DA's indicators", once each
    same(fast, full)


def test_clean_rows_skip_the_cell_by_cell_path(fw, monkeypatch):
    calls = []
    original = TableReader._row
    monkeypatch.setattr(TableReader, "_row", lambda self, r, row: calls.append(r) or original(self, r, row))
    rows = [
        [i.code, i.label, p, "BE-NAM", "", 1 + n % 90, ""]
        for n, (i, p) in enumerate(
            (i, p) for i in fw.indicators if "FTPN" in i.operators for p in ("S1 2019", "S2 2019", "T3 2019")
        )
    ]
    report = importer.parse_bytes(workbook(rows), "r.xlsx", fw, "FTPN", isolated=False)
    assert report.ok and len(report) == len(rows)
    assert calls == [7]  # only F8, the percentage-formatted cell, needs a closer look
