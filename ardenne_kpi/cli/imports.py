"""Command line of the report import: `import`, `uploads`, `rollback` and `export values`.

    python -m ardenne_kpi import FILE... [--db PATH] [--operator CODE] [--user NAME] [--dry-run] [--json]
    python -m ardenne_kpi uploads [--db PATH] [--json]
    python -m ardenne_kpi rollback UPLOAD_ID [--db PATH] [--user NAME] [--motif TEXT]
    python -m ardenne_kpi export values --out FILE.csv [--db PATH]

Exit codes: 0 every file imported (or had nothing to change), 1 a file was refused or the
database is busy, 2 usage error. `export values` is one of the parser's EXPORT_TARGETS
(`cli/__init__.py`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import sys
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, cast

from ardenne_kpi.cli.database import command_connection, existing_database, missing_database
from ardenne_kpi.core.format import terminal_text

if TYPE_CHECKING:
    from ardenne_kpi.intake.importer import ImportResult


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "import",
        help="importer des rapports de partenaires (.xlsx, .xlsm, .xls, .ods)",
        description="Importe des rapports : chaque fichier est importé entièrement ou refusé.",
    )
    p.add_argument("files", nargs="+", metavar="FICHIER", help="rapport(s) à importer")
    _db_option(p)
    p.add_argument("--operator", metavar="CODE", help="opérateur qui rend compte (code ou nom du référentiel)")
    p.add_argument("--user", metavar="NOM", help="qui importe (enregistré dans l'historique)")
    p.add_argument("--dry-run", action="store_true", help="simuler : montrer ce qui changerait, sans rien écrire")
    p.add_argument(
        "--motif",
        metavar="TEXTE",
        help="pourquoi modifier une période verrouillée (gardé dans l'historique) ; la ligne de commande "
        "importe au nom de la coordination : ses imports sont validés",
    )
    p.add_argument("--json", action="store_true", help="un objet JSON par fichier, une ligne chacun")
    p.set_defaults(handler=cmd_import)

    p = subparsers.add_parser("uploads", help="historique des imports")
    _db_option(p)
    p.add_argument("--json", action="store_true", help="un objet JSON par import")
    p.set_defaults(handler=cmd_uploads)

    p = subparsers.add_parser("rollback", help="annuler un import (ses valeurs ne comptent plus)")
    p.add_argument("upload_id", type=int, metavar="UPLOAD_ID", help="numéro de l'import (voir « uploads »)")
    _db_option(p)
    p.add_argument("--user", metavar="NOM", help="qui annule")
    p.add_argument(
        "--motif",
        metavar="TEXTE",
        help="pourquoi modifier les chiffres d'une période verrouillée (gardé dans l'historique)",
    )
    p.add_argument("--dry-run", action="store_true", help="montrer ce qui changerait, sans rien écrire")
    p.set_defaults(handler=cmd_rollback)


def add_export_values(export_subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`export values`: to be called by whoever owns the `export` command."""
    p = export_subparsers.add_parser("values", help="les valeurs qui comptent maintenant, en CSV (pour scripts)")
    p.add_argument("--out", required=True, metavar="FICHIER.csv", help="fichier CSV à écrire ('-' : sortie standard)")
    _db_option(p)
    p.set_defaults(handler=cmd_export_values)


def _db_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", metavar="PATH", help="base DuckDB (défaut : $ARDENNE_DB ou data/ardenne.duckdb)")


def cmd_import(args: argparse.Namespace) -> int:
    # The cyclic collector off while the files are imported (once between two files): it would
    # only rescan the modules, the framework and the parsed values (a tenth of a second of the
    # 100 000-row bench report), and an import makes no cycles worth collecting.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _import_files(args)
    finally:
        if enabled:
            gc.enable()


def _import_files(args: argparse.Namespace) -> int:
    from ardenne_kpi.intake import arrival

    # The first file's parse starts before DuckDB, the database layer and the framework load:
    # the child reads the workbook meanwhile (a quarter of a second sooner than after them).
    first = arrival.start_reading(args.files[0])
    from ardenne_kpi import db
    from ardenne_kpi.intake import importer

    path = db.db_path(args.db)
    if not path.exists():  # a mistyped --db must not become a new empty base: only `init` creates one
        first.cancel()
        raise missing_database(path)
    refused = False
    fw, fw_text = None, None
    for k, file in enumerate(args.files):
        if k:
            gc.collect()
        started = first if k == 0 else arrival.start_reading(file)  # read while the database opens
        # One turn on the database per file: the app and other commands get theirs between
        # files. The base is read whole once, before the first file is written to it.
        with command_connection(path, check=k == 0) as con:
            text = db.get_meta(con, "framework_yaml")
            if fw is None or text != fw_text:  # parsed once for all the files, unless replaced meanwhile
                fw = db.stored_framework(con) if text else db.ensure_framework(con)
                fw_text = text
            result = importer.import_file(
                con,
                started,
                Path(file).name,
                operator=args.operator,
                user=args.user,
                dry_run=args.dry_run,
                db_path=path,
                framework=fw,
                lock_reason=args.motif,
            )
        refused |= result.status == "refused"
        if args.json:
            print(json.dumps(result.to_dict(), ensure_ascii=False, default=str), flush=True)
        else:
            _print_result(result)
    return 1 if refused else 0


class _ChangeRow(Protocol):
    """A change a dry run lists (`ImportResult.changes`), as `itertuples` gives it."""

    change: str
    indicator: str
    operator: str
    zone: str
    audience: str
    period: str
    old_value: float  # NaN: a new value
    new_value: float
    sheet: str
    cell: str


class _UploadRow(Protocol):
    """An upload of `importer.list_uploads`, as `itertuples` gives it (NaN where a column is empty)."""

    id: int
    uploaded_at: dt.datetime
    status: str
    operator: str | float
    uploaded_by: str | float
    inserted: float
    updated: float
    unchanged: float
    warnings: float
    file_name: str


def _print_result(result: ImportResult) -> None:
    # partners' text (the file's name, its cells in the messages) stays inside its line
    print(replace(result, file=terminal_text(result.file, inline=True)).summary_fr())
    for issue in result.errors:
        print(f"  ERREUR : {terminal_text(issue.message, inline=True)}")
    for issue in result.warnings:
        print(f"  attention : {terminal_text(issue.message, inline=True)}")
    if result.status == "dry-run" and len(result.changes):
        # the page's words for the changes; pandas with them, only for a dry run's list (a
        # third of a second that an import's report does not need)
        from ardenne_kpi.intake.import_view import CHANGE_WORDS
        from ardenne_kpi.intake.importer import SAME

        changed = result.changes[result.changes["change"] != SAME]
        for row in cast(Iterable[_ChangeRow], changed.head(50).itertuples()):
            old = "" if row.old_value != row.old_value else f"{row.old_value:g} → "
            print(
                f"  {CHANGE_WORDS[row.change]} : {row.indicator} {row.operator} {row.zone} {row.audience or 'tous publics'} "
                f"{row.period} : {old}{row.new_value:g} ({terminal_text(row.sheet, inline=True)}!{row.cell})"
            )
        if len(changed) > 50:
            print(f"  … et {len(changed) - 50} autre(s) changement(s)")


def cmd_uploads(args: argparse.Namespace) -> int:
    from ardenne_kpi.intake import importer

    with existing_database(args.db, read_only=None) as (con, _fw):
        df = importer.list_uploads(con)
    if args.json:
        for record in df.to_dict(orient="records"):
            print(json.dumps({k: _jsonable(v) for k, v in record.items()}, ensure_ascii=False))
        return 0
    if df.empty:
        print("Aucun import pour l'instant.")
        return 0
    for r in cast(Iterable[_UploadRow], df.itertuples()):
        when = r.uploaded_at.strftime("%d/%m/%Y %H:%M")
        status = {"imported": "importé", "rolled_back": "annulé", "demo": "démo"}.get(r.status, r.status)
        print(
            f"n° {r.id:>4}  {when}  {status:<8} {_shown(r.operator):<8} {_shown(r.uploaded_by):<12} "
            f"+{_count(r.inserted)} ~{_count(r.updated)} ={_count(r.unchanged)} ⚠{_count(r.warnings)}  "
            f"{_shown(r.file_name)}"
        )
    return 0


def _shown(value: object) -> str:
    """A text column as printed: a dash when missing (pandas gives NaN, which prints « nan »)."""
    import pandas as pd

    if value is None or (isinstance(value, float) and value != value) or value is pd.NA or str(value) == "":
        return "—"
    return terminal_text(value, inline=True)  # a partner's name or file name: inside its line


def _count(value: float | None) -> int:
    return 0 if value is None or value != value else int(value)


def _jsonable(value: object) -> object:
    if value is None:
        return None
    if hasattr(value, "isoformat"):
        try:
            return None if value != value else value.isoformat()
        except (TypeError, ValueError):
            return None
    if isinstance(value, float) and value != value:
        return None
    if hasattr(value, "item"):
        return value.item()
    return value


def cmd_rollback(args: argparse.Namespace) -> int:
    from ardenne_kpi.intake import importer

    with existing_database(args.db, read_only=False) as (con, _fw):
        if args.dry_run:
            plan = importer.rollback_preview(con, args.upload_id)
            restored = int(plan["restored_value"].notna().sum())
            print(
                f"Annuler l'import n° {args.upload_id} : {restored} valeur(s) rétablie(s), "
                f"{len(plan) - restored} retirée(s) (simulation, rien n'a été modifié)."
            )
            return 0
        summary = importer.rollback(con, args.upload_id, user=args.user, lock_reason=args.motif)
    print(
        f"Import n° {summary['upload_id']} ({_shown(summary['file_name'])}) annulé : {summary['restored']} valeur(s) "
        f"rétablie(s) depuis les imports précédents, {summary['withdrawn']} retirée(s)."
    )
    return 0


def cmd_export_values(args: argparse.Namespace) -> int:
    from ardenne_kpi.db import imports

    with existing_database(args.db, read_only=None) as (con, _fw):
        df = imports.export_values(con)
    for column in ("period_start", "period_end"):
        df[column] = df[column].map(lambda d: d.isoformat()[:10] if hasattr(d, "isoformat") else d)
    from ardenne_kpi.core.format import csv_script  # pandas: only for this command

    data = csv_script(df)  # the sheet name is the partner's text: never a formula
    if args.out == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        from ardenne_kpi.core import storage

        storage.write_bytes(args.out, data, what="l'export des valeurs")  # whole, or the earlier file kept
        print(f"{len(df)} valeur(s) exportée(s) dans {args.out}.", file=sys.stderr)
    return 0
