"""A whole report read without the database: workbook -> tables -> checked values.

`parse` is what the guard's child process runs (`check`, through `arrival.parse_later`, for
the import command); it never imports pandas or DuckDB, so the child stays small and starts
in a tenth of a second.
"""

from __future__ import annotations

from ardenne_kpi.framework import Framework
from ardenne_kpi.intake.cells import Context
from ardenne_kpi.intake.locate import column_letter, locate
from ardenne_kpi.intake.model import IssueList, ParsedReport, TableInfo, where
from ardenne_kpi.intake.resolver import Resolver
from ardenne_kpi.intake.validate import TableReader
from ardenne_kpi.intake.values import is_blank
from ardenne_kpi.intake.workbook import Workbook, read_workbook

# A sheet without an indicator table travels back to the parent with its cells when it is
# no longer than this (a brand-platform sheet has a dozen rows).
MAX_UNLOCATED_ROWS = 2000


def parse(
    data: bytes,
    kind: str,
    file_name: str,
    framework: Framework,
    operator: str | None = None,
    operator_source: str = "option --operator",
) -> ParsedReport:
    """Read and check a workbook's bytes. Never raises for problems in the cells: they are
    in the report's errors and warnings. Raises ReportError for an unreadable file.

    Visible sheets without an indicator table come back in `report.unlocated` (name ->
    cells, None when too long), for the parent to read brand-platform sheets and warn about
    the others (`report.conclude`)."""
    return check(read_workbook(data, kind), kind, file_name, framework, operator, operator_source)


def check(
    book: Workbook,
    kind: str,
    file_name: str,
    framework: Framework,
    operator: str | None = None,
    operator_source: str = "option --operator",
) -> ParsedReport:
    """The values of a workbook's cells, checked against the framework (see `parse`)."""
    report = ParsedReport(file_name=file_name, kind=kind)
    issues = IssueList()
    resolver = Resolver(framework)
    ctx = Context(framework, resolver, issues, report, operator_source=operator_source)
    if operator:
        code = resolver.find("operators", operator)
        if code is None:
            issues.error(
                "",
                "",
                f"Opérateur « {operator} » inconnu ({operator_source}). Choisissez un opérateur "
                f"du référentiel, par exemple {resolver.examples('operators')}.",
            )
        ctx.operator = code
    report.operator = ctx.operator
    found_table = False
    for sheet in book.sheets:
        has_content = any(not is_blank(v) for row in sheet.rows for v in row)
        if not sheet.visible:
            if has_content:
                issues.warning(
                    sheet.name,
                    "",
                    f"{where(sheet.name)} : feuille masquée, ignorée. Si elle "
                    "contient des valeurs à importer, affichez-la (clic droit sur "
                    "les onglets, Afficher) et importez de nouveau.",
                )
            continue
        if not has_content:
            continue
        table = locate(sheet, framework.calendar)
        if table is None:
            # the parent decides what it is: a brand-platform sheet (its raw cells are read
            # there, see `report.conclude`) or a sheet to ignore, with a warning
            report.unlocated[sheet.name] = sheet.rows if len(sheet.rows) <= MAX_UNLOCATED_ROWS else None
            continue
        found_table = True
        reader = TableReader(sheet, table, ctx)
        count = reader.read()
        report.tables.append(
            TableInfo(
                sheet.name,
                table.header_row + 1,
                table.layout,
                {f: column_letter(c) for f, c in table.columns.items()},
                count,
            )
        )
        if "operator" in reader.defaults and report.operator is None:
            report.operator = str(reader.defaults["operator"])
    if found_table and len(report) == 0 and not issues.errors:
        issues.error(
            "",
            "",
            "Fichier : le rapport ne contient aucune valeur. Remplissez la colonne Valeur "
            "(ou les colonnes de périodes) puis importez de nouveau.",
        )
    operators = set(report.columns["operator"])
    if len(operators) == 1:
        report.operator = next(iter(operators))
    issues.close()
    report.errors, report.warnings = issues.errors, issues.warnings
    return report
