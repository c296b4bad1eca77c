"""`python -m ardenne_kpi backup [--db PATH] [--out FILE.zip]` and `restore FILE.zip [--db PATH]`."""

from __future__ import annotations

import argparse

from ardenne_kpi.core.format import fmt_number


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "backup",
        help="sauvegarder la base et les fichiers d'origine (une archive .zip)",
        description="Écrit une copie cohérente de la base et du dossier uploads/ dans une archive .zip "
        "(par défaut dans backups/ à côté de la base).",
    )
    p.add_argument("--db", metavar="PATH", help="fichier DuckDB (sinon ARDENNE_DB, sinon data/ardenne.duckdb)")
    p.add_argument("--out", metavar="FICHIER.zip", help="archive à écrire (défaut : backups/<base>-<date>.zip)")
    p.set_defaults(handler=run_backup)

    p = sub.add_parser(
        "restore",
        help="remplacer la base par une sauvegarde (la base remplacée est gardée à côté)",
        description="Vérifie la sauvegarde, puis remplace la base et complète le dossier uploads/. "
        "L'application doit être arrêtée.",
    )
    p.add_argument("archive", metavar="FICHIER.zip", help="sauvegarde faite par « backup »")
    p.add_argument("--db", metavar="PATH", help="fichier DuckDB (sinon ARDENNE_DB, sinon data/ardenne.duckdb)")
    p.set_defaults(handler=run_restore)


def run_backup(args: argparse.Namespace) -> int:
    from ardenne_kpi import db  # DuckDB: only when the command runs (see cli/__init__.py)
    from ardenne_kpi.db import backup

    done = backup.create(db.db_path(args.db), args.out)
    values = done["tables"].get("report_values", 0)
    print(
        f"Sauvegarde écrite : {done['archive']} ({fmt_number(done['bytes'] / 2**20, 1)} Mo) — "
        f"{fmt_number(values)} valeur(s), {done['uploads']} fichier(s) d'origine. "
        f"Pour la restaurer : python -m ardenne_kpi restore {done['archive']}"
    )
    return 0


def run_restore(args: argparse.Namespace) -> int:
    from ardenne_kpi import db
    from ardenne_kpi.db import backup

    done = backup.restore(args.archive, db.db_path(args.db))
    kept = f" L'ancienne base est gardée sous {done['kept']}." if done["kept"] else ""
    print(
        f"Base restaurée : {done['database']} (sauvegarde du {done['created_at'] or '?'}, "
        f"{fmt_number(done['tables'].get('report_values', 0))} valeur(s)), {done['uploads']} fichier(s) "
        f"d'origine ajouté(s) à uploads/.{kept}"
    )
    return 0
