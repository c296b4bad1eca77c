"""A report read without the database, the parent's side of the parse: the guarded child
reads and checks the cells (`guard`, `reader`), then `conclude` reads the sheets it sent back
without an indicator table (brand-platform sheets, or sheets ignored with a warning).

`read_report` is the page preview's and the annotated workbook's way in; `parse_bytes` the
importer's.
"""

from __future__ import annotations

import importlib
import os
import sys
import threading
import unicodedata

from ardenne_kpi.core.errors import ReportError
from ardenne_kpi.framework import Framework
from ardenne_kpi.intake import guard, reader
from ardenne_kpi.intake.arrival import Started, load_file
from ardenne_kpi.intake.locate import is_brand_sheet
from ardenne_kpi.intake.model import WARNING, Issue, ParsedReport, where


def parse_bytes(
    data: bytes,
    file_name: str,
    framework: Framework,
    operator: str | None = None,
    *,
    operator_source: str = "opérateur choisi",
    isolated: bool = True,
    stats: dict[str, float | None] | None = None,
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
        return ParsedReport(file_name=name, kind="", errors=[Issue("", "", exc.message)])
