"""Committee commands: `export pack --out FILE.pdf [--since SNAPSHOT]` and
`snapshot create NAME --date YYYY-MM-DD` / `snapshot list`."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Protocol, cast

from ardenne_kpi.cli.database import add_db_argument, existing_database
from ardenne_kpi.core import links
from ardenne_kpi.core.errors import ArdenneError
from ardenne_kpi.core.format import fmt_date, fmt_number

# ------------------------------------------------------------------ export pack


def add_export_pack(export_subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = export_subparsers.add_parser(
        "pack",
        help="dossier du comité de pilotage (.pdf, et le classeur .xlsx des mêmes tableaux)",
        description="Écrit le dossier du comité en PDF, et à côté le classeur .xlsx de ses tableaux.",
    )
    parser.add_argument("--out", required=True, metavar="FICHIER.pdf", help="fichier PDF à écrire")
    parser.add_argument(
        "--since",
        metavar="INSTANTANÉ",
        help="instantané de comité à comparer (nom ou numéro) ; défaut : le plus récent",
    )
    parser.add_argument("--no-xlsx", action="store_true", help="ne pas écrire le classeur .xlsx")
    add_db_argument(parser)
    parser.set_defaults(handler=run_export_pack)


def run_export_pack(args: argparse.Namespace) -> int:
    from ardenne_kpi.committee import briefing, pack  # the PDF and workbook libraries: only for this command
    from ardenne_kpi.figures import analyses

    out = Path(args.out)
    if out.suffix.lower() != ".pdf":
        raise ArdenneError(
            f"« {out.name} » : le dossier du comité s'écrit en .pdf (le classeur .xlsx est écrit "
            "à côté, sous le même nom).",
            title="Format de sortie inconnu",
        )
    started = time.perf_counter()
    with existing_database(args.db, read_only=None) as (
        con,
        fw,
    ):  # read-write when it can: brings the schema up to date
        data = briefing.collect(con, fw, since=args.since)
    pdf = pack.pdf_bytes(data)
    files = {out: pdf}
    written = [f"{out} ({len(pdf) // 1024} Ko)"]
    if not args.no_xlsx:
        xlsx = out.with_suffix(".xlsx")
        files[xlsx] = pack.xlsx_bytes(data)
        written.append(str(xlsx))
    from ardenne_kpi.core import storage

    # Both whole, put in place together: on a full disk neither earlier file is replaced.
    storage.write_files(files, what="le dossier du comité")
    since = f", comparé à {data.comparison.old.label}" if data.comparison else ""
    print(
        f"Dossier du comité écrit : {' et '.join(written)} — période {data.period.label_fr}, données au "
        f"{fmt_date(data.data_end)}{since}, en {fmt_number(time.perf_counter() - started, 1)} s."
    )
    print(analyses.missing_line(data.fw, analyses.missing(data.status, data.analyses)))
    warning = links.local_links_warning()
    if warning:
        print(f"Attention : {warning}", file=sys.stderr)
    return 0


# ------------------------------------------------------------------ snapshots


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    snap = sub.add_parser("snapshot", help="instantanés de comité : figer les données à une date, les lister")
    actions = snap.add_subparsers(dest="action", metavar="ACTION", required=True)
    create = actions.add_parser("create", help="figer les données à la date d'un comité")
    create.add_argument("name", metavar="NOM", help="nom de l'instantané, par exemple « Comité du 12/05/2022 »")
    create.add_argument("--date", required=True, metavar="AAAA-MM-JJ", help="date du comité")
    create.add_argument("--user", help="auteur (noté avec l'instantané)")
    add_db_argument(create)
    create.set_defaults(handler=run_snapshot_create)
    listing = actions.add_parser("list", help="lister les instantanés")
    add_db_argument(listing)
    listing.set_defaults(handler=run_snapshot_list)


def run_snapshot_create(args: argparse.Namespace) -> int:
    from ardenne_kpi.committee import snapshots  # pandas: only for these commands

    try:
        day = dt.date.fromisoformat(args.date)
    except ValueError as exc:
        raise ArdenneError(
            f"Date « {args.date} » illisible : écrivez-la AAAA-MM-JJ, par exemple 2022-05-12.", title="Date illisible"
        ) from exc
    with existing_database(args.db, read_only=False) as (con, fw):
        snapshot_id = snapshots.create(con, fw, args.name, day, args.user)
        row = snapshots.find(con, snapshot_id)
    print(
        f"Instantané n° {snapshot_id} « {row['name']} » créé au {fmt_date(day)} : {int(row['n_values'])} valeurs figées."
    )
    return 0


class _SnapshotRow(Protocol):
    """A snapshot of `snapshots.all_snapshots`, as `itertuples` gives it."""

    id: int
    taken_on: dt.date
    n_values: int
    name: str


def run_snapshot_list(args: argparse.Namespace) -> int:
    from ardenne_kpi.committee import snapshots

    with existing_database(args.db) as (con, _fw):
        table = snapshots.all_snapshots(con)
    if table.empty:
        print("Aucun instantané. Créez-en un : python -m ardenne_kpi snapshot create NOM --date AAAA-MM-JJ")
        return 0
    for row in cast(Iterable[_SnapshotRow], table.itertuples(index=False)):
        print(f"{row.id:>3}  {fmt_date(row.taken_on):<10}  {row.n_values:>6} valeurs  {row.name}")
    return 0
