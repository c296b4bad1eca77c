"""`python -m ardenne_kpi export kpis`: every indicator per period at a grain, with its target and status."""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import pandas as pd

from ardenne_kpi import kpis
from ardenne_kpi.commands import existing_database
from ardenne_kpi.format import csv_script

GRAIN_CHOICES = ("quarter", "semester", "programme-semester", "year")


def add_export_kpis(export_subparsers: argparse._SubParsersAction) -> None:
    parser = export_subparsers.add_parser(
        "kpis", help="indicateurs par période (valeur, cumul, cible, progression, statut) en CSV",
        description="Une ligne par indicateur et par période, agrégée sur tous les opérateurs, zones et publics "
                    "selon la règle de l'indicateur. CSV : virgule, UTF-8, point décimal, dates ISO, true/false.")
    parser.add_argument("--grain", required=True, choices=GRAIN_CHOICES,
                        help="trimestre, semestre civil, semestre du programme ou année")
    parser.add_argument("--out", required=True, metavar="FICHIER.csv", help="fichier CSV à écrire")
    parser.add_argument("--db", metavar="PATH", help="fichier DuckDB (sinon ARDENNE_DB, sinon data/ardenne.duckdb)")
    parser.set_defaults(handler=run_export_kpis)


def run_export_kpis(args: argparse.Namespace) -> int:
    with existing_database(args.db) as (con, fw):
        frame = kpis.export_frame(con, fw, args.grain)
    out = Path(args.out)
    out.write_bytes(to_csv(frame))
    print(f"{len(frame)} lignes écrites dans {out} (granularité {args.grain}).")
    return 0


def _number(x: object) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)) or x is pd.NA:
        return ""
    x = float(x)
    if x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    text = format(x, ".12g")
    return repr(x) if "e" in text else text


def to_csv(frame: pd.DataFrame) -> bytes:
    """Comma-separated UTF-8, dot decimal, ISO dates, true/false, empty for no value."""
    out = frame.copy()
    for column in ("value", "cumulative", "baseline", "target", "progress"):
        out[column] = [_number(v) for v in out[column]]
    for column in ("period_start", "period_end"):
        out[column] = [pd.Timestamp(d).date().isoformat() for d in out[column]]
    out["complete"] = ["true" if c else "false" for c in out["complete"]]
    return csv_script(out)  # labels are text from the framework: never a formula
