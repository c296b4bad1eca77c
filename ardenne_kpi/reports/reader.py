"""A whole report read without the database: workbook -> tables -> checked values.

`parse` is what the guard's child process runs; it never imports pandas or DuckDB, so the
child stays small and starts in milliseconds from the fork server.
"""

from __future__ import annotations

from ardenne_kpi.framework import Framework
from ardenne_kpi.reports.locate import column_letter, locate
from ardenne_kpi.reports.model import IssueList, ParsedReport, TableInfo, where
from ardenne_kpi.reports.validate import Context, Resolver, TableReader
from ardenne_kpi.reports.values import is_blank
from ardenne_kpi.reports.workbook import read_workbook


def parse(data: bytes, kind: str, file_name: str, framework: Framework, operator: str | None = None,
          operator_source: str = "option --operator") -> ParsedReport:
    """Read and check a workbook's bytes. Never raises for problems in the cells: they are
    in the report's errors and warnings. Raises ReportError for an unreadable file."""
    report = ParsedReport(file_name=file_name, kind=kind)
    issues = IssueList()
    resolver = Resolver(framework)
    ctx = Context(framework, resolver, issues, report, operator_source=operator_source)
    if operator:
        code = resolver.find("operators", operator)
        if code is None:
            issues.error("", "", f"Opérateur « {operator} » inconnu ({operator_source}). Choisissez un opérateur "
                                 f"du référentiel, par exemple {resolver.examples('operators')}.")
        ctx.operator = code
    report.operator = ctx.operator
    book = read_workbook(data, kind)
    found_table = False
    skipped: list[str] = []
    for sheet in book.sheets:
        has_content = any(not is_blank(v) for row in sheet.rows for v in row)
        if not sheet.visible:
            if has_content:
                issues.warning(sheet.name, "", f"{where(sheet.name)} : feuille masquée, ignorée. Si elle "
                                               "contient des valeurs à importer, affichez-la (clic droit sur "
                                               "les onglets, Afficher) et importez de nouveau.")
            continue
        if not has_content:
            continue
        table = locate(sheet, framework.calendar)
        if table is None:
            skipped.append(sheet.name)
            continue
        found_table = True
        reader = TableReader(sheet, table, ctx)
        count = reader.read()
        report.tables.append(TableInfo(sheet.name, table.header_row + 1, table.layout,
                                       {f: column_letter(c) for f, c in table.columns.items()}, count))
        if "operator" in reader.defaults and report.operator is None:
            report.operator = reader.defaults["operator"]
    if not found_table:
        issues.error("", "", "Fichier : aucun tableau reconnu. Dans les 30 premières lignes d'une feuille visible, "
                             "la ligne d'en-tête doit avoir une colonne Indicateur (code ou libellé) et soit une "
                             "colonne Valeur (avec Période), soit une colonne par période (S1 2019, T3 2020...).")
    else:
        for name in skipped:
            issues.warning(name, "", f"{where(name)} : ignorée, aucun tableau d'indicateurs reconnu.")
        if len(report) == 0 and not issues.errors:
            issues.error("", "", "Fichier : le rapport ne contient aucune valeur. Remplissez la colonne Valeur "
                                 "(ou les colonnes de périodes) puis importez de nouveau.")
    operators = set(report.columns["operator"])
    if len(operators) == 1:
        report.operator = next(iter(operators))
    issues.close()
    report.errors, report.warnings = issues.errors, issues.warnings
    return report



