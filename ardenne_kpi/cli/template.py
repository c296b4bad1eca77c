"""`python -m ardenne_kpi template`: the report template of an operator for a period."""

from __future__ import annotations

import argparse
from pathlib import Path

from ardenne_kpi.cli.database import add_db_argument, command_connection, missing_database


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("template", help="générer le modèle de rapport (.xlsx) d'un opérateur pour une période")
    parser.add_argument("--operator", required=True, metavar="CODE", help="code de l'opérateur (ex. FTLB)")
    parser.add_argument(
        "--period", required=True, metavar="PÉRIODE", help="période du rapport (ex. S05, 2019-Q3, T3 2019, 2019)"
    )
    parser.add_argument("--out", required=True, metavar="FICHIER.xlsx", help="fichier à écrire")
    add_db_argument(parser)
    parser.set_defaults(handler=run_template)


def run_template(args: argparse.Namespace) -> int:
    from ardenne_kpi import db
    from ardenne_kpi.framework import load_framework
    from ardenne_kpi.intake import template_lines, templates  # openpyxl and DuckDB: only for this command

    out = Path(args.out)
    if out.suffix.lower() != ".xlsx":
        print("Le modèle est un classeur .xlsx : donnez un nom de fichier se terminant par .xlsx.")
        return 2
    path = db.db_path(args.db)
    if not path.exists():  # a mistyped --db must not become a new empty base: only `init` creates one
        raise missing_database(path)
    with command_connection(path, read_only=True) as con:  # a template only reads
        fw = db.stored_framework(con) or load_framework()
        operator = template_lines.resolve_operator(fw, args.operator)
        period = template_lines.resolve_period(fw, args.period)
        rows = template_lines.template_rows(con, fw, operator, period)
        data = templates.build_template(con, fw, operator, period)
    from ardenne_kpi.core import storage

    storage.write_bytes(out, data, what="le modèle")  # whole, or the earlier file kept
    print(f"Modèle écrit : {out} ({template_lines.describe(rows)}).")
    return 0
