"""`python -m ardenne_kpi export coverage --out FILE.xlsx|FILE.csv [--db PATH] [--from P] [--to P]`."""

from __future__ import annotations

import argparse
from pathlib import Path

from ardenne_kpi.cli.database import add_db_argument, existing_database
from ardenne_kpi.core.errors import ArdenneError


def add_export_coverage(export_subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = export_subparsers.add_parser(
        "coverage",
        help="matrices de couverture (.xlsx) ou leur détail (.csv)",
        description="Écrit le classeur des matrices de couverture (.xlsx) ou le détail cellule × indicateur (.csv).",
    )
    parser.add_argument("--out", required=True, metavar="FICHIER.xlsx|FICHIER.csv", help="fichier à écrire")
    add_db_argument(parser)
    parser.add_argument(
        "--from",
        dest="start",
        metavar="PÉRIODE",
        help="début de la fenêtre (S05, 2019, T3 2019...) ; défaut : début du programme",
    )
    parser.add_argument("--to", dest="end", metavar="PÉRIODE", help="fin de la fenêtre ; défaut : fin du programme")
    parser.set_defaults(handler=run_export_coverage)


def run_export_coverage(args: argparse.Namespace) -> int:
    out = Path(args.out)
    suffix = out.suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise ArdenneError(
            f"« {out.name} » : l'export de couverture s'écrit en .xlsx (classeur) ou .csv (détail).",
            title="Format de sortie inconnu",
        )
    from ardenne_kpi.figures import coverage  # pandas: only for this command

    with existing_database(args.db) as (con, fw):
        cov = coverage.compute(con, fw, coverage.Filters(window=coverage.window_of(fw, args.start, args.end)))
    from ardenne_kpi.exports.coverage import coverage_workbook, detail_csv  # openpyxl: only here

    data = coverage_workbook(cov) if suffix == ".xlsx" else detail_csv(cov)
    from ardenne_kpi.core import storage

    storage.write_bytes(out, data, what="l'export de couverture")  # whole, or the earlier file kept
    main = cov["dimension_key"].state_counts()
    print(
        f"{out} écrit : {len(cov.matrices)} matrices ; dimensions × clés : {main[coverage.Gap.NOT_SERVED]} cellule(s) "
        f"non servie(s), {main[coverage.Gap.NOT_REPORTED]} non renseignée(s), {main[coverage.Gap.BEHIND]} en retard, "
        f"{main[coverage.Gap.ON_TRACK]} dans la trajectoire."
    )
    return 0
