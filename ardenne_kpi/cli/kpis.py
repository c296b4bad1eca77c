"""`python -m ardenne_kpi export kpis`: every indicator per period at a grain, with its target and status."""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, SupportsFloat

from ardenne_kpi.cli.database import existing_database
from ardenne_kpi.core.errors import KpiError, PeriodError
from ardenne_kpi.core.format import fmt_number, terminal_text

if TYPE_CHECKING:
    import pandas as pd
    from pandas.api.typing import NAType

GRAIN_CHOICES = ("quarter", "semester", "programme-semester", "programme-year", "year")


def add_export_kpis(export_subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = export_subparsers.add_parser(
        "kpis",
        help="indicateurs par période (valeur, cumul, cible, progression, statut) en CSV",
        description="Une ligne par indicateur et par période, agrégée sur tous les opérateurs, zones et publics "
        "selon la règle de l'indicateur. CSV : virgule, UTF-8, point décimal, dates ISO, true/false.",
    )
    parser.add_argument(
        "--grain",
        required=True,
        choices=GRAIN_CHOICES,
        help="trimestre, semestre civil, semestre du programme, année du programme (oct.–sept.) ou année civile",
    )
    parser.add_argument("--out", required=True, metavar="FICHIER.csv", help="fichier CSV à écrire")
    parser.add_argument("--db", metavar="PATH", help="fichier DuckDB (sinon ARDENNE_DB, sinon data/ardenne.duckdb)")
    parser.set_defaults(handler=run_export_kpis)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "lineage",
        help="les valeurs enregistrées derrière un chiffre (fichier, feuille, cellule) et ses règles",
        description="Montre un chiffre d'un indicateur pour une période, comme la page Tendances : sa valeur, la "
        "règle qui l'a construit, sa remarque, et chaque valeur enregistrée derrière lui (opérateur, "
        "zone, public, période, valeur, import, fichier, feuille, cellule, date et auteur de l'import), "
        "comptée ou non et pourquoi.",
    )
    parser.add_argument("indicator", metavar="INDICATEUR", help="code de l'indicateur, par exemple CLI08")
    parser.add_argument("period", metavar="PÉRIODE", help="période : 2019-Q1, T1 2019, S05, 2019, 2018/2019…")
    parser.add_argument("--grain", choices=GRAIN_CHOICES, help="granularité attendue de la période (contrôle)")
    parser.add_argument("--json", action="store_true", help="sortie JSON (pour un script)")
    parser.add_argument("--db", metavar="PATH", help="fichier DuckDB (sinon ARDENNE_DB, sinon data/ardenne.duckdb)")
    parser.set_defaults(handler=run_lineage)


def run_lineage(args: argparse.Namespace) -> int:
    from ardenne_kpi import figures  # pandas: only for these commands
    from ardenne_kpi.core.periods import parse_period

    with existing_database(args.db) as (con, fw):
        try:
            period = parse_period(args.period, fw.calendar)
        except PeriodError as exc:
            raise KpiError(exc.message) from exc
        if args.grain and period.grain != args.grain:
            raise KpiError(f"La période « {args.period} » est de granularité {period.grain}, pas {args.grain}.")
        figure = figures.explain(con, fw, args.indicator.strip().upper(), period.code)
    rows = figure.pop("lineage")
    if args.json:
        records = json.loads(rows.to_json(orient="records", date_format="iso", force_ascii=False))
        value = None if math.isnan(figure["value"]) else figure["value"]
        print(json.dumps(figure | {"value": value, "rows": records}, ensure_ascii=False, indent=2))
        return 0
    ind = fw.indicator(figure["indicator"])
    decimals = figures.decimals_of(ind)
    shown = "—" if math.isnan(figure["value"]) else fmt_number(figure["value"], decimals)
    print(
        f"{figure['indicator']} · {figure['label']} · {figure['period_label']} : {shown} {figure['unit']} "
        f"({'complète' if figure['complete'] else 'incomplète'})"
    )
    print(f"Règle : {figure['rule']}")
    if figure["note"]:
        print(f"Remarque : {figure['note']}")
    if rows.empty:
        print("Aucune valeur enregistrée dans cette période.")
        return 0
    table = figures.lineage_table(fw, rows, fmt=fmt_number, decimals=decimals)
    # partners' text (file names, comments) inside the table's rows: a line break stays in its cell
    print(table.map(lambda v: terminal_text(v, inline=True) if isinstance(v, str) else v).to_string(index=False))
    return 0


def run_export_kpis(args: argparse.Namespace) -> int:
    from ardenne_kpi import figures

    with existing_database(args.db) as (con, fw):
        frame = figures.export_frame(con, fw, args.grain)
    out = Path(args.out)
    from ardenne_kpi.core import storage

    storage.write_bytes(out, to_csv(frame), what="l'export des indicateurs")  # whole, or the earlier file kept
    print(f"{len(frame)} lignes écrites dans {out} (granularité {args.grain}).")
    return 0


def _number(x: SupportsFloat | NAType | None) -> str:
    from pandas.api.typing import NAType

    if x is None or (isinstance(x, float) and math.isnan(x)) or isinstance(x, NAType):  # NAType: pd.NA alone
        return ""
    number = float(x)
    if number.is_integer() and abs(number) < 1e15:
        return str(int(number))
    text = format(number, ".12g")
    return repr(number) if "e" in text else text


def to_csv(frame: pd.DataFrame) -> bytes:
    """Comma-separated UTF-8, dot decimal, ISO dates, true/false, empty for no value."""
    import pandas as pd

    from ardenne_kpi.core.format import csv_script

    out = frame.copy()
    for column in ("value", "cumulative", "baseline", "target", "progress"):
        out[column] = [_number(v) for v in out[column]]
    for column in ("period_start", "period_end"):
        out[column] = [pd.Timestamp(d).date().isoformat() for d in out[column]]
    out["complete"] = ["true" if c else "false" for c in out["complete"]]
    return csv_script(out)  # labels are text from the framework: never a formula
