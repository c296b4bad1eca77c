"""The committee pack's workbook: the PDF's tables, one sheet each, French headers."""

from __future__ import annotations

import io

import pandas as pd

from ardenne_kpi import links, reporting, snapshots
from ardenne_kpi.exports.pack.data import (
    TITLE,
    PackData,
    analyses_table,
    dimension_table,
    indicators_table,
    quality_notes,
    tiles,
)
from ardenne_kpi.format import fmt_date, frame_to_sheet


def xlsx_bytes(d: PackData) -> bytes:
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
                fmt_date(d.data_end),
                fmt_date(d.last_upload),
                d.fw.version,
                d.validation_note,
                d.locks_note or "aucune",
                d.overrides_note or "aucune",
                d.comparison.old.label if d.comparison else "aucun instantané",
                f"{d.generated_at:%d/%m/%Y %H:%M}",
                "oui" if d.is_demo else "non",
                links.page_url("Accueil"),
                links.page_url("Réunion"),
            ],
        }
    )
    text, _ = reporting.matrix_grid(d.matrix, d.fw)
    sheets: dict[str, pd.DataFrame] = {
        "Lisez-moi": readme,
        "Chiffres clés": pd.DataFrame(tiles(d), columns=["Indicateur clé", "Valeur", "Précision"]),
        "Par dimension": dimension_table(d),
        "Indicateurs": indicators_table(d).drop(columns=["_status"]),
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
        "Complétude période": reporting.completeness_table(d.period_summary),
        "Complétude programme": reporting.completeness_table(d.programme_summary),
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
        sheets["Changements statuts"] = snapshots.statuses_table(d.comparison)
        sheets["Changements couverture"] = snapshots.cells_table(d.comparison)
        sheets["Nouveaux rapports"] = snapshots.uploads_table(d.comparison, d.fw)
        sheets["Changements valeurs"] = snapshots.values_table(d.comparison, d.fw)
    sheets["Sources"] = reporting.uploads_table(d.uploads, d.fw)
    wb = Workbook()
    wb.remove(wb.active)
    for name, frame in sheets.items():
        ws = wb.create_sheet(name)
        frame_to_sheet(ws, frame, font=Font(bold=True))  # uploader and file names are text, never formulas
        ws.freeze_panes = "A2"
        for i, column in enumerate(frame.columns, start=1):
            longest = max([len(str(column))] + [len(str(v)) for v in frame[column].head(200)])
            ws.column_dimensions[get_column_letter(i)].width = min(max(10, longest + 2), 70)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
