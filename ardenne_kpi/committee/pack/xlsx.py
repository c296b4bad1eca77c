"""The committee pack's workbook: the PDF's tables, one sheet each, French headers.

Figures are numbers and dates are dates, so that Excel sorts and sums them: the French look
(1 234,5 · 91,4 % · 31/03/2022) comes from each cell's number format, which Excel shows in
the reader's own locale. A figure the PDF prints as « – » is an empty cell here.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, SupportsFloat, cast

import pandas as pd

from ardenne_kpi import reporting
from ardenne_kpi.committee import snapshots
from ardenne_kpi.committee.briefing import (
    TITLE,
    Briefing,
    analyses_table,
    dimension_table,
    indicators_table,
    quality_notes,
    tile_figures,
)
from ardenne_kpi.core import links
from ardenne_kpi.core.format import put_cell

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

# Number formats in Excel's own codes (, for thousands, . for decimals): Excel shows them with
# the reader's separators, « 1 234,5 » in French. A French code (« # ##0,0 ») would be read
# literally by an English Excel.
INTEGER = "#,##0"
DECIMAL = "#,##0.0"
SHARE = "0%"
SHARE_DECIMAL = "0.0%"
DATE = "dd/mm/yyyy"
DATE_TIME = "dd/mm/yyyy hh:mm"


def xlsx_bytes(d: Briefing) -> bytes:
    """The pack's tables as an .xlsx (one sheet per table, French headers)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    readme = pd.DataFrame(
        {
            "Élément": [
                "Document",
                "Période suivie",
                "Données au",
                "Dernier rapport reçu",
                "Référentiel",
                "Chiffres",
                "Périodes verrouillées",
                "Modifications après verrouillage",
                "Comparaison",
                "Généré le",
                "Démonstration",
                "Application",
                "Mode réunion",
            ],
            "Valeur": [
                f"{TITLE} – {d.fw.portfolio.get('label', '')}",
                d.period.label_fr,
                d.data_end,
                d.last_upload,
                d.fw.version,
                d.validation_note,
                d.locks_note or "aucune",
                d.overrides_note or "aucune",
                d.comparison.old.label if d.comparison else "aucun instantané",
                d.generated_at,
                "oui" if d.is_demo else "non",
                links.page_url("Accueil"),
                links.page_url("Réunion"),
            ],
        }
    )
    text, _ = reporting.matrix_grid(d.matrix, d.fw)
    sheets: dict[str, pd.DataFrame] = {
        "Lisez-moi": readme,
        "Chiffres clés": _tiles_frame(d),
        "Par dimension": dimension_table(d),
        "Indicateurs": _indicators_frame(d),
        "Analyses": analyses_table(d),
        "Couverture": d.cells[
            ["row_label", "col_label", "n_indicators", "n_with_data", "n_behind", "state_label"]
        ].rename(
            columns={
                "row_label": "Dimension",
                "col_label": "Clé",
                "n_indicators": "Indicateurs",
                "n_with_data": "Renseignés",
                "n_behind": "En retard sur la cible",
                "state_label": "État",
            }
        ),
        "Complétude période": _completeness_frame(d.period_summary),
        "Complétude programme": _completeness_frame(d.programme_summary),
        "Suivi par semestre": text.reset_index(names="Opérateur") if not text.empty else pd.DataFrame(),
        "Qualité": pd.DataFrame({"Note": quality_notes(d)}),
        "Jamais déclarés": d.never.rename(
            columns={
                "operator_label": "Opérateur",
                "indicator": "Code",
                "indicator_label": "Indicateur",
                "n_due": "Périodes échues",
            }
        )[["Opérateur", "Code", "Indicateur", "Périodes échues"]],
        "Avertissements": d.warnings.rename(
            columns={"upload_id": "N°", "file_name": "Fichier", "message": "Avertissement"}
        ),
    }
    if d.comparison is not None:
        cmp = d.comparison
        sheets["Changements statuts"] = _replace(
            snapshots.statuses_table(cmp),
            {"Progression avant": cmp.statuses["old_progress"], "Progression après": cmp.statuses["new_progress"]},
        )
        sheets["Changements couverture"] = snapshots.cells_table(cmp)
        sheets["Nouveaux rapports"] = _replace(
            snapshots.uploads_table(cmp, d.fw), {"Déposé le": _dates(cmp.uploads["uploaded_at"])}
        )
        sheets["Changements valeurs"] = _replace(
            snapshots.values_table(cmp, d.fw), {"Avant": cmp.values["old_value"], "Après": cmp.values["new_value"]}
        )
    sheets["Sources"] = _replace(
        reporting.uploads_table(d.uploads, d.fw), {"Déposé le": _dates(d.uploads["uploaded_at"])}
    )
    formats = {
        "Progression": SHARE,
        "Progression avant": SHARE,
        "Progression après": SHARE,
        "Complétude": SHARE,
        "Ponctualité": SHARE,
        "Déposé le": DATE,
        "N°": "0",  # an upload's number, not a quantity: no thousands separator
    }
    wb = Workbook()
    wb.remove(wb.worksheets[0])  # the sheet a new workbook starts with
    for name, frame in sheets.items():
        ws = wb.create_sheet(name)
        _frame_to_sheet(ws, frame, formats, font=Font(bold=True))
        ws.freeze_panes = "A2"
        for i, column in enumerate(frame.columns, start=1):
            longest = max([len(str(column))] + [len(_shown(v)) for v in frame[column].head(200)])
            ws.column_dimensions[get_column_letter(i)].width = min(max(10, longest + 2), 70)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _frame_to_sheet(ws: Worksheet, frame: pd.DataFrame, formats: dict[str, str], **header_style: Any) -> None:
    """Headers in row 1, then every row: each value through `put_cell` (text never a
    formula), with the number format its column or its type asks for."""
    for col, name in enumerate(frame.columns, start=1):
        put_cell(ws, 1, col, str(name), **header_style)
    unit_formats = frame.attrs.get("formats", {})
    for r, values in enumerate(frame.astype(object).to_numpy().tolist(), start=2):
        for col, (name, value) in enumerate(zip(frame.columns, values, strict=True), start=1):
            cell = put_cell(ws, r, col, value)
            number_format = unit_formats.get((r - 2, name)) or formats.get(name) or _format_of(cell.value)
            if number_format and not isinstance(cell.value, str) and cell.value is not None:
                cell.number_format = number_format


def _format_of(value: object) -> str | None:
    if isinstance(value, dt.datetime):
        return DATE_TIME if (value.hour, value.minute) != (0, 0) else DATE
    if isinstance(value, dt.date):
        return DATE
    if isinstance(value, float) and not value.is_integer():
        return DECIMAL
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return INTEGER
    return None


def _shown(value: object) -> str:
    """Roughly what Excel shows of `value`: for the column widths."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, (dt.date, pd.Timestamp)):
        return "31/12/2022 00:00" if isinstance(value, dt.datetime) else "31/12/2022"
    if isinstance(value, float):
        return f"{value:,.1f}"
    return str(value)


def _replace(frame: pd.DataFrame, columns: Mapping[str, Iterable[Any]]) -> pd.DataFrame:
    """`frame` (a French table worded for the PDF and pages) with `columns` as numbers or dates."""
    frame = frame.copy()
    for name, values in columns.items():
        frame[name] = list(values)
    return frame


def _dates(values: pd.Series) -> list[dt.date | None]:
    """Upload times as dates (the day a report was deposited, what the pages show)."""
    return [None if pd.isna(v) else v.date() for v in pd.to_datetime(values)]


def _number(value: SupportsFloat | None) -> float | None:
    return None if value is None or value != value else float(value)


def _tiles_frame(d: Briefing) -> pd.DataFrame:
    """The headline figures, each a number (« 31 sur 50 indicateurs »: 31, « sur 50 indicateurs »)."""
    rows = []
    formats = {}
    for i, (label, figure, whole, kind, explanation) in enumerate(tile_figures(d)):
        if whole is not None:  # « sur 50 indicateurs », « sur 48 (dimension × clé, …) »
            explanation = (
                f"sur {whole} {explanation}" if explanation == "indicateurs" else f"sur {whole} ({explanation})"
            )
        rows.append((label, figure, explanation))
        formats[i, "Valeur"] = SHARE if kind == "share" else INTEGER
    frame = pd.DataFrame(rows, columns=["Indicateur clé", "Valeur", "Précision"])
    frame.attrs["formats"] = formats
    return frame


def _indicators_frame(d: Briefing) -> pd.DataFrame:
    """The indicators' table with its latest value, target and progress as numbers: a share
    (« % » indicators and progress) as a fraction with a percent format, a count as a whole
    number, a figure with decimals with one of them (the PDF's rounding)."""
    frame = indicators_table(d).drop(columns=["_status"])
    status = d.status.set_index("indicator")
    latest: list[float | None] = []
    target: list[float | None] = []
    progress: list[float | None] = []
    units: list[str] = []
    formats = {}
    for i, code in enumerate(frame["Code"]):
        ind = d.fw.indicator(code)
        r = status.loc[code] if code in status.index else None
        units.append("" if ind.is_percent else ind.unit)
        for name, column, key in (("Dernière valeur", latest, "latest_value"), ("Cible", target, "target")):
            v = _number(r[key]) if r is not None else None
            if v is not None and ind.is_percent:
                column.append(round(v / 100, 9))  # 91.4 % is 0.914, not 0.9140000000000001
                formats[i, name] = SHARE_DECIMAL if v % 1 else SHARE
            else:
                column.append(v)
                formats[i, name] = DECIMAL if v is not None and v % 1 and abs(v) < 100 else INTEGER
        share = _number(r["progress"]) if r is not None else None
        progress.append(None if share is None else round(share, 9))
    periods = {name: [None if p == "–" else p for p in frame[name]] for name in ("Dernière période", "Échéance")}
    frame = _replace(frame, {"Dernière valeur": latest, "Cible": target, "Progression": progress, **periods})
    frame.insert(cast(int, frame.columns.get_loc("Cible")) + 1, "Unité", units)  # a unique column: its position
    frame.attrs["formats"] = formats
    return frame


def _completeness_frame(summary: pd.DataFrame) -> pd.DataFrame:
    return _replace(
        reporting.completeness_table(summary),
        {"Complétude": summary["share"], "Ponctualité": summary["on_time_share"]},
    )
