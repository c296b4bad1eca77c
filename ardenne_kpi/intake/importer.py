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
    importer.original_file(con, upload_id)               # the file as it was sent

This module is the door; the rooms behind it: `outcome` (ImportResult), `report` (the
parse, without the database), `import_warnings` (the warnings that read the database),
`originals` (the files kept beside the database) and `rollback`. Who is signed in is none
of the engine's business: the callers check it (`accounts`) and pass the name to record
(`user`) and how the upload lands (`review`).

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
import hashlib
import json
import os
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from ardenne_kpi import db
from ardenne_kpi.core.errors import LockedPeriodError, ReportError
from ardenne_kpi.db import SUBMITTED, VALIDATED
from ardenne_kpi.db import imports as sql
from ardenne_kpi.db import review as review_sql
from ardenne_kpi.framework import Framework
from ardenne_kpi.intake import import_warnings, locks, originals
from ardenne_kpi.intake.arrival import Started, load_file
from ardenne_kpi.intake.model import ERROR, WARNING, Issue, ParsedReport
from ardenne_kpi.intake.originals import original_file, upload_operator
from ardenne_kpi.intake.outcome import CHANGE_COLUMNS, CHANGED, NEW, RESTORED, SAME, Checked, ImportResult
from ardenne_kpi.intake.report import conclude, is_guide_sheet, parse_bytes, read_report
from ardenne_kpi.intake.rollback import rollback, rollback_preview

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

EPSILON = 1e-9


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
    if isinstance(source, Started):
        name = file_name or source.name
    else:
        name = file_name or (Path(source).name if not isinstance(source, (bytes, bytearray, memoryview)) else "rapport")
    result = ImportResult(file=name, status="refused")
    try:
        if started is not None and started.load_error is not None:
            raise started.load_error
        if isinstance(source, Started):
            assert source.data is not None  # a Started without a load error holds its bytes
            data = source.data
        else:
            data, name = load_file(source, name)
    except ReportError as exc:
        result.errors = [Issue("", "", exc.message)]
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
            result.errors = [Issue("", "", exc.message)]
            return result
        incoming = None
    result.operator = report.operator
    result.errors, result.warnings = list(report.errors), list(report.warnings)
    if report.errors:
        return result
    if incoming is None:
        incoming = report.incoming()
    if dry_run:  # kept for the import that may follow; the values once, in `incoming`
        result._checked = Checked(sha, operator, fw, replace(report, columns={}, periods={}), incoming)
    result.duplicate_of = duplicate
    parse_warnings = list(result.warnings)
    # The warnings that read the database run meanwhile, in threads on their own cursors (they
    # read the values that count now, the ones the transaction below compares with), and the
    # file's totals in this one.
    underway = import_warnings.Underway(con, incoming)
    try:
        totals = import_warnings.in_file(fw, incoming)
        reason = (lock_reason or "").strip() or None
        forced: dict[str, str | None] = {"reason": None}  # an admin's reason for changing a locked period

        def compare(cur: duckdb.DuckDBPyConnection) -> dict[str, np.ndarray]:
            """Fill the result's changes, counts and locked-period errors; returns the diff."""
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
            counts = collections.Counter(diff["change"].tolist())
            result.inserted, result.unchanged, result.restored = (int(counts.get(k, 0)) for k in (NEW, SAME, RESTORED))
            result.updated = int(counts.get(CHANGED, 0)) + result.restored
            return diff

        def warn() -> None:
            """The result's warnings: the file's, then the database's (waited for), then its totals'."""
            result.warnings = parse_warnings + underway.wait() + totals

        if dry_run:
            cur = con.cursor()
            compare(cur)
            warn()
            unchanged = bool(duplicate) and _nothing_to_change(cur, result, report)
            if unchanged:
                result.errors = []  # nothing would be written: no locked figure moves
            if result.errors:
                return result
            # none when it is the same file, and all it brought counts already
            result.scores = 0 if unchanged else sum(len(sheet.scores) for sheet in report.brand)
            result.status = "dry-run"
            return result
        stored = originals.keep(con, data, sha, name, db_path)

        def write() -> int | None:
            # everything compared inside the transaction: another import may land meanwhile
            with db.transaction(con) as tx:
                diff = compare(tx)
                if duplicate and _nothing_to_change(tx, result, report):
                    result.errors = []  # nothing written: no locked figure moves
                    return None  # the same file, and all it brought counts already
                if result.errors:  # a locked period: nothing written
                    return None
                warn()  # before the write: the two at once would hold both their memory
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
            warn()  # when nothing was written
        except duckdb.Error as exc:  # a full disk, a damaged file: the transaction is rolled back, say so
            raise db.database_error(exc, db_path) from exc
        if result.errors:
            return result
        if result.upload_id is None:
            assert duplicate is not None  # nothing written: `write` found the same file counted already
            return _unchanged_duplicate(result, duplicate)
        result.status = "imported" if result.inserted or result.updated or result.scores else "unchanged"
        return result
    finally:
        underway.join()


class _DryRun(Exception):
    """Raised to roll back a transaction that was only a simulation."""


def _validate_duplicate(
    con: duckdb.DuckDBPyConnection,
    result: ImportResult,
    duplicate: dict[str, Any],
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


def _unchanged_duplicate(result: ImportResult, duplicate: dict[str, Any]) -> ImportResult:
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


# ------------------------------------------------------------------------------- history


def list_uploads(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every upload, newest first: id, file_name, operator, uploaded_by, uploaded_at, status, counts..."""
    return sql.list_uploads(con)


__all__ = [
    "CHANGE_COLUMNS",
    "CHANGED",
    "ERROR",
    "NEW",
    "RESTORED",
    "SAME",
    "WARNING",
    "ImportResult",
    "Issue",
    "ParsedReport",
    "conclude",
    "import_file",
    "is_guide_sheet",
    "list_uploads",
    "original_file",
    "parse_bytes",
    "read_report",
    "rollback",
    "rollback_preview",
    "upload_operator",
]
