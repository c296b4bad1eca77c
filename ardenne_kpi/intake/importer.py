"""Importing partner reports: the public API used by the Import page, the demo and the CLI.

    from ardenne_kpi.intake import importer
    result = importer.import_file(con, path_or_bytes, file_name, operator="FTLB", user="marie")
    result.status        # 'imported' | 'unchanged' | 'validated' | 'dry-run' | 'refused'
    result.errors        # [Issue(sheet, cell, message, severity)], French, place + fix
    result.changes       # one row per value: nouveau / modifié / inchangé, with sheet and cell

    importer.read_report(path_or_bytes, framework)       # parse only (page preview)
    importer.rollback_preview(con, upload_id)            # what undoing an upload changes
    importer.rollback(con, upload_id, user="marie")      # undo it
    importer.list_uploads(con)                           # the history

One file is one transaction: all of its values land or none do, with the scores of its
brand-platform sheet (`intake.brand_sheet`) when it has one. A re-upload supersedes per
identity (indicator, operator, zone, audience, period) and keeps the superseded values;
every value a file reports is stored with its upload, unchanged ones too, so rolling back
any upload, in any order, leaves the values of the latest live upload of each identity.
The same bytes twice change nothing, unless a later upload has since replaced some of the
first one's values: sending the file again makes them count again (« rétabli »). Two
imports at the same time both land (write conflicts are retried). The file is parsed in a
child process (see `guard`).
"""

from __future__ import annotations

import collections
import datetime as dt
import errno
import hashlib
import importlib
import json
import os
import sys
import tempfile
import threading
import unicodedata
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from ardenne_kpi import db
from ardenne_kpi.core import accounts
from ardenne_kpi.core.accounts import User
from ardenne_kpi.core.errors import ArdenneError, LockedPeriodError, ReportError, StorageError
from ardenne_kpi.db import SUBMITTED, VALIDATED
from ardenne_kpi.db import imports as sql
from ardenne_kpi.db import review as review_sql
from ardenne_kpi.framework import Framework
from ardenne_kpi.intake import guard, locks, reader
from ardenne_kpi.intake.arrival import Started, load_file
from ardenne_kpi.intake.locate import is_brand_sheet
from ardenne_kpi.intake.model import ERROR, WARNING, Issue, ParsedReport, where
from ardenne_kpi.intake.values import fr

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

NEW, CHANGED, SAME, RESTORED = "new", "changed", "unchanged", "restored"
CHANGE_COLUMNS = [
    "indicator",
    "operator",
    "zone",
    "audience",
    "period",
    "old_value",
    "new_value",
    "change",
    "sheet",
    "cell",
]
OUTLIER_RATIO = 3.0
EPSILON = 1e-9


@dataclass(frozen=True)
class _Checked:
    """What a dry run read from a file, kept for the import that follows it (the page's
    « Enregistrer »): the same bytes, operator and framework are not parsed again."""

    sha: str
    operator: str | None  # as asked, before resolution
    framework: Framework
    report: ParsedReport  # without its value columns: `incoming` holds them
    incoming: dict[str, np.ndarray]  # `ParsedReport.incoming`

    def fits(self, sha: str, operator: str | None, framework: Framework) -> bool:
        return (
            self.sha == sha
            and self.operator == operator
            and (self.framework is framework or self.framework.source_text == framework.source_text != "")
        )


@dataclass
class ImportResult:
    """The outcome of one file. `status`: imported | unchanged | validated | dry-run | refused
    (validated: the coordination sent the same bytes as a partner's upload waiting for
    validation, and that upload is validated: `validates`)."""

    file: str
    status: str
    upload_id: int | None = None
    inserted: int = 0
    updated: int = 0  # changed values, restored ones included
    unchanged: int = 0
    restored: int = 0  # values an earlier import of the same file brought, counting again
    scores: int = 0  # brand-platform scores written (or that would be, in a dry run)
    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    # the file's values and their diff (`ParsedReport.incoming`, `sql.compare`), as NumPy columns
    changes_table: dict[str, np.ndarray] | None = field(default=None, repr=False)
    duplicate_of: dict | None = None
    validates: int | None = None  # the submitted upload of the same bytes this import validates (or would)
    operator: str | None = None
    parse_stats: dict = field(default_factory=dict, repr=False)  # the parse child's peak_rss and seconds
    _changes: pd.DataFrame | None = field(default=None, init=False, repr=False, compare=False)
    _checked: _Checked | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        return self.status != "refused"

    @property
    def changes(self) -> pd.DataFrame:
        """One row per value of the file (CHANGE_COLUMNS): nouveau / modifié / inchangé, the old
        and new value, sheet and cell. Built from `changes_table` on first use: an import that
        nobody previews does not pay for a 100 000-row DataFrame."""
        if self._changes is None:
            import pandas as pd

            if self.changes_table is None:
                self._changes = pd.DataFrame(columns=CHANGE_COLUMNS)
            else:
                import pyarrow as pa  # the Arrow types give each column its pandas type

                columns = {**self.changes_table, "new_value": self.changes_table["value"]}
                df = pa.table({name: columns[name] for name in CHANGE_COLUMNS}).to_pandas()
                for column in ("old_value", "new_value"):
                    df[column] = df[column].astype("float64")
                df["change"] = df["change"].astype("object")
                self._changes = df
        return self._changes

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: what `import --json` prints for each file."""
        dup = None
        if self.duplicate_of:
            dup = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in self.duplicate_of.items()}
        return {
            "file": self.file,
            "status": self.status,
            "upload_id": self.upload_id,
            "operator": self.operator,
            "inserted": self.inserted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "restored": self.restored,
            "brand_scores": self.scores,
            "errors": [i.to_dict() for i in self.errors],
            "warnings": [i.to_dict() for i in self.warnings],
            "duplicate_of": dup,
            "validates": self.validates,
        }

    def summary_fr(self) -> str:
        """One French line for the command line and the page."""
        if self.status == "refused":
            return f"{self.file} : refusé ({len(self.errors)} erreur(s)), rien n'a été enregistré."
        if self.validates is not None and self.status in ("validated", "dry-run"):
            d = self.duplicate_of or {}
            who = f" soumis par {d['uploaded_by']}" if d.get("uploaded_by") else " soumis"
            if self.status == "dry-run":
                return (
                    f"{self.file} : fichier identique à l'import n° {self.validates}{who}, qui attend la "
                    "validation : l'enregistrer le valide (simulation, rien n'a été modifié)."
                )
            return (
                f"{self.file} : fichier identique à l'import n° {self.validates}{who} ; cet import est "
                "validé : ses valeurs comptent maintenant dans les chiffres validés."
            )
        if self.duplicate_of and self.status == "unchanged":
            d = self.duplicate_of
            when = (
                d["uploaded_at"].strftime("%d/%m/%Y %H:%M")
                if hasattr(d["uploaded_at"], "strftime")
                else d["uploaded_at"]
            )
            who = f" par {d['uploaded_by']}" if d.get("uploaded_by") else ""
            return f"{self.file} : fichier identique à l'import n° {d['upload_id']} du {when}{who} ; rien n'a changé."
        counts = f"{self.inserted} nouvelle(s), {self.updated} modifiée(s), {self.unchanged} inchangée(s)"
        if self.restored:
            counts += f", dont {self.restored} rétablie(s) (valeurs d'un import précédent de ce fichier)"
        if self.scores:
            counts += f", {self.scores} note(s) de plateforme de marque"
        if self.status == "dry-run":
            return f"{self.file} : simulation, rien n'a été enregistré — {counts}."
        number = f" (import n° {self.upload_id})" if self.upload_id else ""
        verb = "rien à changer" if self.status == "unchanged" else "importé"
        return f"{self.file} : {verb}{number} — {counts}, {len(self.warnings)} avertissement(s)."


# ------------------------------------------------------------------------------- reading


def parse_bytes(
    data: bytes,
    file_name: str,
    framework: Framework,
    operator: str | None = None,
    *,
    operator_source: str = "opérateur choisi",
    isolated: bool = True,
    stats: dict | None = None,
    started: Started | None = None,
) -> ParsedReport:
    """Pre-check, then parse in the guarded child process. Raises ReportError (French).
    `stats` receives the child's peak memory and time (see `guard.run_isolated`); `started`,
    the same bytes' parse begun by `arrival.start_reading`, is finished instead of starting one."""
    if started is not None and started.child is not None and isolated:
        _load_libraries_meanwhile()
        report = started.child.result(framework, operator, operator_source, stats=stats)
        return conclude(report, framework)
    kind = guard.precheck(data, file_name)
    args = (data, kind, file_name, framework, operator, operator_source)
    if isolated:
        _load_libraries_meanwhile()
    report = guard.run_isolated(reader.parse, *args, stats=stats) if isolated else reader.parse(*args)
    return conclude(report, framework)


def _load_libraries_meanwhile() -> None:
    """Import NumPy in a thread while the child parses: the comparison needs it next, and a
    fresh command process (`import FILE`) would otherwise load it only after the parse."""
    if "numpy" not in sys.modules:
        threading.Thread(target=importlib.import_module, args=("numpy",), name="load-numpy", daemon=True).start()


NO_TABLE = (
    "Fichier : aucun tableau reconnu. Dans les 30 premières lignes d'une feuille visible, la ligne "
    "d'en-tête doit avoir une colonne Indicateur (code ou libellé) et soit une colonne Valeur (avec "
    "Période), soit une colonne par période (S1 2019, T3 2020...)."
)


# Only our template's own guide: any other sheet without a table still earns its warning.
GUIDE_SHEETS = {"mode d'emploi", "mode demploi"}


def is_guide_sheet(name: str) -> bool:
    """A sheet of instructions for the partner (the template's « Mode d'emploi »): skipped silently."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().strip().lower()
    return folded.replace("’", "'") in GUIDE_SHEETS


def conclude(report: ParsedReport, framework: Framework) -> ParsedReport:
    """The parent's part of reading a report: the sheets without an indicator table that the
    child sent back are read as brand-platform sheets (`intake.brand_sheet`, whose errors
    refuse the file like any other) or ignored with a warning."""
    errors, warnings = [], []
    unlocated, report.unlocated = report.unlocated, {}
    if unlocated or report.tables:
        for table in report.tables:
            if is_brand_sheet(table.sheet):
                errors.append(
                    Issue(
                        table.sheet,
                        "",
                        f"{where(table.sheet)} : son nom est celui d'une feuille de "
                        "plateforme de marque, mais elle contient un tableau d'indicateurs. Renommez-la, "
                        "ou reprenez la feuille « Plateforme de marque » du modèle (colonnes Élément, "
                        "Note, Commentaire).",
                    )
                )
        for name, rows in unlocated.items():
            if is_guide_sheet(name):
                continue  # the template's instructions: nothing to import, nothing to warn about
            if not is_brand_sheet(name):
                if report.tables:
                    warnings.append(
                        Issue(name, "", f"{where(name)} : ignorée, aucun tableau d'indicateurs reconnu.", WARNING)
                    )
            elif rows is None:
                errors.append(
                    Issue(
                        name,
                        "",
                        f"{where(name)} : trop de lignes pour une feuille de plateforme de "
                        "marque (une ligne par élément E1 à E7). Supprimez les lignes inutiles.",
                    )
                )
            else:
                from ardenne_kpi.intake import brand_sheet  # pandas: only for files that have such a sheet

                sheet = brand_sheet.read_sheet(rows, name, framework, operator=report.operator)
                report.brand.append(sheet)
                errors += sheet.errors
                warnings += sheet.warnings
                if report.operator is None and sheet.operator:
                    report.operator = sheet.operator
    if not report.tables and not report.brand:
        errors.append(Issue("", "", NO_TABLE))
    report.errors = report.errors + errors
    report.warnings = report.warnings + warnings
    return report


def read_report(
    source: str | os.PathLike[str] | bytes,
    framework: Framework,
    operator: str | None = None,
    *,
    file_name: str | None = None,
) -> ParsedReport:
    """Parse and check a report without touching the database (page preview, annotated
    workbook): values with their sheet and cell, errors and warnings. A file that cannot be
    read at all comes back with one error and no values, never an exception."""
    try:
        data, name = load_file(source, file_name)
    except ReportError as exc:
        return ParsedReport(file_name=file_name or str(source)[:200], kind="", errors=[Issue("", "", exc.message)])
    try:
        return parse_bytes(data, name, framework, operator)
    except ReportError as exc:
        return ParsedReport(file_name=name, kind="", errors=[Issue("", "", _file_message(exc.message))])


def _file_message(message: str) -> str:
    return message


# ------------------------------------------------------------------------------- importing


def import_file(
    con: duckdb.DuckDBPyConnection,
    source: str | os.PathLike[str] | bytes | Started,
    file_name: str | None = None,
    *,
    operator: str | None = None,
    user: str | None = None,
    dry_run: bool = False,
    db_path: str | os.PathLike[str] | None = None,
    framework: Framework | None = None,
    uploaded_at: dt.datetime | None = None,
    isolated: bool = True,
    checked: ImportResult | None = None,
    review: str = VALIDATED,
    lock_reason: str | None = None,
) -> ImportResult:
    """Import one report in one transaction (or only simulate it with `dry_run`).

    `review`: how the upload lands, validated (an admin's, the command line's, the demo's)
    or submitted (a partner's: it counts in the validated figures once an admin validates
    it, see `ardenne_kpi.intake.review`). New or changed values in a locked period refuse the file,
    unless a validated import gives its `lock_reason` (recorded with the upload).

    `checked`, the dry run of the same bytes (same operator, same framework), spares the
    parse: its values are compared and written as that dry run read them; the comparison
    with the database is made again, inside the transaction.

    `uploaded_at` dates the upload (now by default) and `isolated=False` parses in this
    process, without the guard child: both only for files the program wrote itself (the demo).

    Never raises for a bad file: a refused file comes back with status 'refused', its
    errors, and nothing written. DatabaseBusyError and unexpected database failures do raise.
    """
    started = source if isinstance(source, Started) else None
    if started is not None:
        name = file_name or started.name
    else:
        name = file_name or (Path(source).name if not isinstance(source, (bytes, bytearray, memoryview)) else "rapport")
    result = ImportResult(file=name, status="refused")
    try:
        if started is not None and started.load_error is not None:
            raise started.load_error
        data, name = (started.data, name) if started is not None else load_file(source, name)
    except ReportError as exc:
        result.errors = [Issue("", "", _file_message(exc.message))]
        return result
    sha = hashlib.sha256(data).hexdigest()
    fw = framework or db.ensure_framework(con)
    duplicate = sql.find_live_upload(con, sha)
    if (
        duplicate
        and review == VALIDATED
        and duplicate["review"] == SUBMITTED
        and sql.fully_current(con, duplicate["upload_id"])
    ):  # the coordination sends the very file a partner submitted: it means « valider »
        if started is not None:
            started.cancel()
        return _validate_duplicate(con, result, duplicate, user, lock_reason, dry_run=dry_run, db_path=db_path)
    if duplicate and not dry_run and sql.fully_current(con, duplicate["upload_id"]):
        if started is not None:
            started.cancel()
        return _unchanged_duplicate(result, duplicate)
    earlier = checked._checked if checked is not None else None
    if earlier is not None and earlier.fits(sha, operator, fw):
        if started is not None:
            started.cancel()
        report, incoming = earlier.report, earlier.incoming
    else:
        try:
            report = parse_bytes(
                data,
                name,
                fw,
                operator,
                operator_source="opérateur choisi à l'import",
                isolated=isolated,
                stats=result.parse_stats,
                started=started,
            )
        except ReportError as exc:
            result.errors = [Issue("", "", _file_message(exc.message))]
            return result
        incoming = None
    result.operator = report.operator
    result.errors, result.warnings = list(report.errors), list(report.warnings)
    if report.errors:
        return result
    if incoming is None:
        incoming = report.incoming()
    if dry_run:  # kept for the import that may follow; the values once, in `incoming`
        result._checked = _Checked(sha, operator, fw, replace(report, columns={}, periods={}), incoming)
    result.duplicate_of = duplicate
    parse_warnings = list(result.warnings)
    reason = (lock_reason or "").strip() or None
    forced: dict[str, str | None] = {"reason": None}  # an admin's reason for changing a locked period

    def compare(cur: duckdb.DuckDBPyConnection) -> dict[str, np.ndarray]:
        """Fill the result's changes, counts, history warnings and locked-period errors; returns the diff."""
        diff = sql.compare(
            cur,
            incoming,
            epsilon=EPSILON,
            labels=(NEW, CHANGED, SAME, RESTORED),
            earlier=duplicate["upload_id"] if duplicate else None,
        )
        result.changes_table, result._changes = {**incoming, **diff}, None
        active = locks.active_locks(cur)
        moving = diff["change"]
        if active and review == VALIDATED:  # equal to a submitted value, yet it moves the validated one
            import numpy as np

            differs = sql.differs_from_validated(cur, incoming, epsilon=EPSILON)
            moving = np.where(np.asarray(differs, dtype=bool), CHANGED, np.asarray(moving, dtype=object))
        touched = locks.lock_issues(fw, active, incoming, moving, SAME, review=review)
        forced["reason"] = reason if touched and review == VALIDATED and reason else None
        result.errors = [] if forced["reason"] else touched
        result.warnings = (
            parse_warnings
            + _history_warnings(cur, incoming)
            + _absent_warnings(cur, incoming)
            + _overlap_warnings(cur, incoming)
            + _total_warnings(fw, incoming)
        )
        counts = collections.Counter(diff["change"].tolist())
        result.inserted, result.unchanged, result.restored = (int(counts.get(k, 0)) for k in (NEW, SAME, RESTORED))
        result.updated = int(counts.get(CHANGED, 0)) + result.restored
        return diff

    if dry_run:
        cur = con.cursor()
        compare(cur)
        unchanged = bool(duplicate) and _nothing_to_change(cur, result, report)
        if unchanged:
            result.errors = []  # nothing would be written: no locked figure moves
        if result.errors:
            return result
        # none when it is the same file, and all it brought counts already
        result.scores = 0 if unchanged else sum(len(sheet.scores) for sheet in report.brand)
        result.status = "dry-run"
        return result
    stored = _keep_original(con, data, sha, name, db_path)

    def write() -> int | None:
        # everything compared inside the transaction: another import may land meanwhile
        with db.transaction(con) as tx:
            diff = compare(tx)
            if duplicate and _nothing_to_change(tx, result, report):
                result.errors = []  # nothing written: no locked figure moves
                return None  # the same file, and all it brought counts already
            if result.errors:  # a locked period: nothing written
                return None
            upload_id = sql.insert_upload(
                tx,
                file_name=name,
                sha256=sha,
                size_bytes=len(data),
                operator=report.operator,
                user=user,
                stored_path=stored,
                uploaded_at=uploaded_at,
                review=review,
                lock_reason=forced["reason"],
            )
            # every value, unchanged ones too: they are this upload's when an earlier one is rolled back
            sql.write_values(tx, upload_id, {**incoming, "old_id": diff["old_id"]}, validated=review == VALIDATED)
            result.scores = _store_brand(con, tx, report, upload_id)
            messages = json.dumps([w.to_dict() for w in result.warnings], ensure_ascii=False)
            sql.finish_upload(
                tx,
                upload_id,
                inserted=result.inserted,
                updated=result.updated,
                unchanged=result.unchanged,
                warnings=len(result.warnings),
                messages=messages,
            )
            return upload_id

    try:
        result.upload_id = db.with_retry(write)
    except duckdb.Error as exc:  # a full disk, a damaged file: the transaction is rolled back, say so
        raise db.database_error(exc, db_path) from exc
    if result.errors:
        return result
    if result.upload_id is None:
        return _unchanged_duplicate(result, duplicate)
    result.status = "imported" if result.inserted or result.updated or result.scores else "unchanged"
    return result


class _DryRun(Exception):
    """Raised to roll back a transaction that was only a simulation."""


def _validate_duplicate(
    con: duckdb.DuckDBPyConnection,
    result: ImportResult,
    duplicate: dict,
    user: str | None,
    lock_reason: str | None,
    *,
    dry_run: bool,
    db_path: str | os.PathLike[str] | None,
) -> ImportResult:
    """Validate the partner's upload `duplicate` (the same bytes, waiting for validation, all its
    values current), guarded by the locks like any validation; a dry run only tries it."""
    upload_id = int(duplicate["upload_id"])

    def work() -> None:
        with db.transaction(con) as tx:
            with locks.guard(tx, upload_id, duplicate, action=VALIDATED, lock_reason=lock_reason, user=user):
                review_sql.mark_validated(tx, upload_id, user)
            if dry_run:
                raise _DryRun

    result.duplicate_of, result.validates = duplicate, upload_id
    try:
        db.with_retry(work)
    except _DryRun:
        pass
    except LockedPeriodError as exc:
        result.errors = [Issue("", "", exc.message)]
        return result
    except duckdb.Error as exc:
        raise db.database_error(exc, db_path) from exc
    result.status = "dry-run" if dry_run else "validated"
    result.upload_id = None if dry_run else upload_id
    return result


def _nothing_to_change(cur: duckdb.DuckDBPyConnection, result: ImportResult, report: ParsedReport) -> bool:
    """Whether every value (compared already into `result`) and every brand-platform score of
    the report is the one that counts now."""
    if result.inserted or result.updated:
        return False
    if not report.brand:
        return True
    from ardenne_kpi.intake import brand_sheet

    return brand_sheet.changed_scores(cur, report.brand) == 0


def _unchanged_duplicate(result: ImportResult, duplicate: dict) -> ImportResult:
    """The same file as a live upload whose values all count already: nothing is written."""
    result.status, result.duplicate_of, result.upload_id = "unchanged", duplicate, duplicate["upload_id"]
    result.inserted = result.updated = result.restored = result.scores = 0
    return result


def _store_brand(
    con: duckdb.DuckDBPyConnection, tx: duckdb.DuckDBPyConnection, report: ParsedReport, upload_id: int
) -> int:
    """The brand-platform scores of the report, in the import's transaction; how many."""
    if not report.brand:
        return 0
    from ardenne_kpi.intake import brand_sheet

    return sum(brand_sheet.store(con, sheet, upload_id, cur=tx) for sheet in report.brand)


def _history_warnings(cur: duckdb.DuckDBPyConnection, incoming: dict[str, np.ndarray]) -> list[Issue]:
    out = []
    for r in sql.outliers(cur, incoming, ratio=OUTLIER_RATIO, limit=100):
        ratio = r.value / r.prev_value
        how = (
            f"{fr(round(ratio, 1))} fois la valeur"
            if ratio > 1
            else f"{fr(round(1 / ratio, 1))} fois moins que la valeur"
            if ratio > 0
            else "zéro, loin de la valeur"
        )
        out.append(
            Issue(
                r.sheet,
                r.cell,
                f"{where(r.sheet, r.cell)} : {fr(r.value)} pour {r.indicator} ({r.period}) "
                f"vaut {how} de la période précédente ({r.prev_period} : "
                f"{fr(r.prev_value)}). Vérifiez la valeur et expliquez l'écart dans la "
                "colonne Commentaire.",
                WARNING,
            )
        )
    return out


def _overlap_warnings(cur: duckdb.DuckDBPyConnection, incoming: dict[str, np.ndarray]) -> list[Issue]:
    """A series given both a period and its sub-periods with different totals: say which two
    figures disagree and where they come from (only one of them will count)."""

    def source(upload) -> str:
        return "ce fichier" if upload is None else f"l'import n° {int(upload)}"

    out = []
    for r in sql.grain_overlaps(cur, incoming):
        fine_from = ", ".join([source(None)] * bool(r.fine_in_file) + [source(u) for u in r.fine_uploads])
        who = f"{r.indicator} · {r.operator} · {r.zone}" + (f" · {r.audience}" if r.audience else "")
        out.append(
            Issue(
                "",
                "",
                f"{who} : {r.period} vaut {fr(r.value)} ({source(r.upload_id)}) mais ses "
                f"{r.n_fine} sous-période(s) totalisent {fr(r.fine_total)} ({fine_from}). Un seul "
                "des deux compte dans les agrégats (la déclaration couvrant le plus de jours) : "
                "corrigez celle qui est fausse.",
                WARNING,
            )
        )
    return out


def _total_warnings(fw: Framework, incoming: dict[str, np.ndarray]) -> list[Issue]:
    """A total beside its parts in one report (a « Total » or whole-territory line beside the
    provinces, « tous publics » beside a sub-audience): the total is the figure and the parts
    its breakdown, never added to it (kpis); said once per total, and a warning when the parts
    add up to more than the whole."""
    n = len(incoming["indicator"])
    if not n:
        return []
    within = fw.within
    groups: dict[tuple, dict[tuple[str, str], tuple[float, str, str]]] = {}
    for k in range(n):
        key = (incoming["indicator"][k], incoming["operator"][k], incoming["period"][k])
        place = (incoming["zone"][k] or "", incoming["audience"][k] or "")
        groups.setdefault(key, {})[place] = (
            float(incoming["value"][k]),
            incoming["sheet"][k] or "",
            incoming["cell"][k] or "",
        )

    def inside(inner: tuple[str, str], outer: tuple[str, str]) -> bool:
        return inner != outer and within(inner, outer)

    out: list[Issue] = []
    for (indicator, _, period), places in groups.items():
        if len(places) < 2:
            continue
        for whole, (total, sheet, cell) in places.items():
            parts = [p for p in places if inside(p, whole)]
            if not parts:
                continue
            top = [p for p in parts if not any(inside(p, q) for q in parts)]  # the parts just under the total
            named = " · ".join(whole) if whole[1] else whole[0]
            shown = ", ".join(" · ".join(p) if p[1] else p[0] for p in top[:5]) + ("…" if len(top) > 5 else "")
            added = sum(places[p][0] for p in top)
            more = (
                f" Attention : ses parties totalisent {fr(added)}, plus que le total ({fr(total)}) : vérifiez-les."
                if added > total * (1 + 1e-9) + 1e-9
                else ""
            )
            out.append(
                Issue(
                    sheet,
                    cell,
                    f"{where(sheet, cell)} : {indicator} ({period}) {named} = {fr(total)} est le total de "
                    f"{shown} : le total compte, ses parties en sont le détail et ne s'y ajoutent pas.{more}",
                    WARNING,
                )
            )
            if len(out) >= 50:
                return out
    return out


def _absent_warnings(cur: duckdb.DuckDBPyConnection, incoming: dict[str, np.ndarray]) -> list[Issue]:
    absent = sql.absent_values(cur, incoming)
    if not absent:
        return []
    shown = ", ".join(
        f"{r.indicator} {r.period}"
        + (f" {r.zone}" if r.zone != "ARD" else "")
        + (f" {r.audience}" if r.audience else "")
        for r in absent[:5]
    )
    more = f" et {len(absent) - 5} autre(s)" if len(absent) > 5 else ""
    return [
        Issue(
            "",
            "",
            f"Fichier : {len(absent)} valeur(s) déjà enregistrée(s) pour ces périodes ne figurent pas "
            f"dans ce fichier ({shown}{more}). Elles sont conservées ; pour en retirer, annulez "
            "l'import qui les a apportées.",
            WARNING,
        )
    ]


def _keep_original(
    con: duckdb.DuckDBPyConnection, data: bytes, sha: str, name: str, db_path: str | os.PathLike[str] | None
) -> str | None:
    """Store the original bytes under uploads/ beside the database, by hash (idempotent), and
    return their path relative to the database's folder (`uploads/<hash>.xlsx`), so the data
    folder can move. A full disk leaves no partial file and raises StorageError (French)."""
    database = db_path or db.database_file(con)
    if not database or str(database) == ":memory:":
        return None
    folder = db.uploads_dir(database)
    suffix = Path(name).suffix.lower()
    suffix = suffix if suffix in (".xlsx", ".xlsm", ".xls", ".ods") else ""
    target = folder / f"{sha}{suffix}"
    if not target.exists():
        tmp = None
        try:
            folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=folder, prefix=".upload-")
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, target)
        except OSError as exc:
            if tmp is not None:
                Path(tmp).unlink(missing_ok=True)
            raise StorageError(_storage_message(exc, folder)) from exc
    return target.relative_to(Path(database).resolve().parent).as_posix()


def _storage_message(exc: OSError, folder: Path) -> str:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        why = "le disque est plein"
        what = "Libérez de la place sur ce disque (ou déplacez le dossier des données), puis importez de nouveau"
    elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        why = "l'écriture y est interdite"
        what = "Donnez le droit d'écrire dans ce dossier au compte qui lance l'application, puis importez de nouveau"
    else:
        why = exc.strerror or str(exc)
        what = "Vérifiez ce dossier et le disque, puis importez de nouveau"
    return f"Le fichier d'origine n'a pas pu être conservé dans {folder} : {why}. Rien n'a été enregistré. {what}."


def original_file(con: duckdb.DuckDBPyConnection, upload_id: int) -> tuple[str, bytes] | None:
    """(file name, bytes) of an upload's original file, or None when it was not kept (demo
    data) or is gone. Files are kept by `_keep_original`; a relative stored path is read
    from the database's folder; an old absolute one, when that file is gone, from uploads/
    beside the database (the data folder moved)."""
    found = db.upload_file(con, upload_id)
    if not found or not found[1]:
        return None
    name, stored = found
    path = Path(stored)
    database = db.database_file(con)
    if not database:
        candidates = [path] if path.is_absolute() else []
    elif path.is_absolute():
        candidates = [path, db.uploads_dir(database) / path.name]
    else:
        candidates = [Path(database).resolve().parent / path, db.uploads_dir(database) / path]
    for candidate in candidates:
        try:
            return name, candidate.read_bytes()
        except OSError:
            continue
    return None


def original_file_for(con: duckdb.DuckDBPyConnection, upload_id: int, user: User) -> tuple[str, bytes] | None:
    """`original_file` for a signed-in `user`: AccessError unless the account may read it
    (the coordination every file, a partner its own operators' files, a viewer none)."""
    accounts.check_download_original(user, db.upload_operator(con, upload_id))
    return original_file(con, upload_id)


# ------------------------------------------------------------------------------- history


def list_uploads(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every upload, newest first: id, file_name, operator, uploaded_by, uploaded_at, status, counts..."""
    return sql.list_uploads(con)


def rollback_preview(con: duckdb.DuckDBPyConnection, upload_id: int) -> pd.DataFrame:
    """What rolling back `upload_id` would change, one row per value that counts now:
    indicator, operator, zone, audience, period, current_value, restored_value (NaN when
    the value is withdrawn), restored_upload."""
    _check_rollback(con, upload_id)
    plan = sql.rollback_plan(con.cursor(), upload_id)
    return plan.drop(columns=["current_id", "restored_id"])


def rollback(
    con: duckdb.DuckDBPyConnection, upload_id: int, user: str | None = None, lock_reason: str | None = None
) -> dict[str, Any]:
    """Undo an upload: its values (and brand-platform scores) stop counting and the ones it
    superseded count again. One that would move a locked period's figures needs `lock_reason`,
    kept in the history (LockedPeriodError without it, nothing changed).
    Returns {'upload_id', 'file_name', 'restored', 'withdrawn'}. Raises ArdenneError (French)
    for an unknown or already rolled-back upload."""
    upload = _check_rollback(con, upload_id)

    from ardenne_kpi.intake import brand_sheet

    def work() -> pd.DataFrame:
        with db.transaction(con) as tx:
            with locks.guard(tx, upload_id, upload, action=locks.ROLLED_BACK, lock_reason=lock_reason, user=user):
                plan = sql.rollback_plan(tx, upload_id)
                sql.apply_rollback(tx, upload_id, plan, user)
            brand_sheet.rollback_upload(tx, upload_id)  # its brand-platform scores too
            return plan

    try:
        plan = db.with_retry(work)
    except duckdb.Error as exc:  # rolled back whole: say what happened, not a traceback
        raise db.database_error(exc, None) from exc
    restored = int(plan["restored_id"].notna().sum())
    return {
        "upload_id": upload_id,
        "file_name": upload["file_name"],
        "restored": restored,
        "withdrawn": len(plan) - restored,
    }


def _check_rollback(con: duckdb.DuckDBPyConnection, upload_id: int) -> dict:
    upload = sql.get_upload(con, int(upload_id))
    if upload is None:
        raise ArdenneError(
            f"L'import n° {upload_id} n'existe pas. La liste des imports : python -m ardenne_kpi uploads.",
            title="Import introuvable",
        )
    if upload["status"] == "rolled_back":
        when = upload["rolled_back_at"].strftime("%d/%m/%Y %H:%M") if upload["rolled_back_at"] else "?"
        raise ArdenneError(
            f"L'import n° {upload_id} ({upload['file_name']}) a déjà été annulé le {when}.", title="Déjà annulé"
        )
    return upload


__all__ = [
    "ImportResult",
    "Issue",
    "ParsedReport",
    "import_file",
    "list_uploads",
    "read_report",
    "rollback",
    "rollback_preview",
    "ERROR",
    "WARNING",
]
