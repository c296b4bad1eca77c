"""The committee pack as a PDF in French that reads without the app: a cover, then one
function per section, in the order of SECTIONS. Everything works offline: fpdf2 writes the
PDF, matplotlib draws the pictures, and the font is the DejaVu Sans that matplotlib ships
(accents, «», ✔ and the status symbols included).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

import pandas as pd

from ardenne_kpi import reporting
from ardenne_kpi.committee import snapshots
from ardenne_kpi.committee.briefing import (
    TITLE,
    Briefing,
    analysis_of,
    behind_target,
    dimension_table,
    indicators_table,
    new_analyses,
    quality_notes,
    tiles,
)
from ardenne_kpi.committee.pack import layout, pictures
from ardenne_kpi.core import links
from ardenne_kpi.core.format import fmt_date, fmt_number, fmt_percent
from ardenne_kpi.core.indicator_status import BEHIND, STATUS_COLORS, IndicatorStatus
from ardenne_kpi.figures import analyses, coverage

if TYPE_CHECKING:
    from fpdf import FPDF


# ------------------------------------------------------------------ the sections, in order


def _cover_section(pdf: FPDF, d: Briefing) -> None:
    """The cover: period, data date, validation, locks, comparison, and the table of contents."""
    fw = d.fw
    portfolio = fw.portfolio.get("label", "Ardenne Attractivity")
    pdf.add_page()
    pdf.set_fill_color(0, 72, 120)
    pdf.rect(0, 0, 297, 70, style="F")
    pdf.set_text_color(255, 255, 255)
    pdf.set_xy(15, 18)
    pdf.set_font("DejaVu", "B", 30)
    pdf.cell(0, 14, TITLE, new_x="LMARGIN", new_y="NEXT")
    pdf.set_x(15)
    pdf.set_font("DejaVu", "", 13)
    pdf.multi_cell(260, 7, portfolio, new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    pdf.set_xy(15, 78)
    pdf.set_font("DejaVu", "B", 16)
    pdf.cell(0, 10, f"Période suivie : {d.period.label_fr}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_x(15)
    pdf.set_font("DejaVu", "", 12)
    lines = [
        f"Données au {fmt_date(d.data_end)} (fin de la dernière période déclarée)",
        f"Dernier rapport reçu le {fmt_date(d.last_upload)}" if d.last_upload else "Aucun rapport reçu",
        f"Référentiel {fw.version} · délai de remise : {reporting.deadline_text(fw)}",
        d.validation_note,
        *([f"Périodes verrouillées : {d.locks_note}"] if d.locks_note else []),
        f"Comparaison avec l'instantané {d.comparison.old.label}"
        if d.comparison
        else "Aucun instantané de comité enregistré : pas de comparaison",
        f"Programme {fw.portfolio.get('programme', '')}".strip(),
        f"Document généré le {d.generated_at:%d/%m/%Y à %H:%M} par Ardenne KPI",
    ]
    for line in lines:
        pdf.set_x(15)
        pdf.multi_cell(260, 6.5, line, new_x="LMARGIN", new_y="NEXT")  # a long locks note wraps
    if d.overrides_note:  # the reasons may be long: wrapped, after the one-line facts
        pdf.set_x(15)
        pdf.multi_cell(260, 6, f"Modifié après verrouillage : {d.overrides_note}.", new_x="LMARGIN", new_y="NEXT")
    if d.is_demo:
        pdf.ln(4)
        pdf.set_x(15)
        pdf.set_text_color(213, 94, 0)
        pdf.set_font("DejaVu", "B", 12)
        pdf.multi_cell(
            260,
            7,
            "Données de démonstration : ces chiffres sont générés pour montrer l'outil, ils ne sont pas réels.",
            new_x="LMARGIN",
            new_y="NEXT",
        )
        pdf.set_text_color(0, 0, 0)
    _contents(pdf)


CONTENTS = [
    "Chiffres clés",
    "Couverture du plan (dimensions × clés)",
    "Statut des indicateurs par dimension",
    "Ce qui a changé depuis le dernier comité",
    "Complétude des rapports par opérateur",
    "Qualité des données",
    "Annexe : rapports à l'origine des chiffres",
]


def _contents(pdf: FPDF) -> None:
    """The table of contents, in two columns, whole on one page: at the foot of the cover when
    it fits there, else on a page of its own (never its last line alone on the next page)."""
    rows = (len(CONTENTS) + 1) // 2
    height = 7 + rows * 5.5
    top = max(pdf.get_y() + 6, 150)
    if top + height > pdf.page_break_trigger:
        top = pdf.get_y() + 6
    if top + height > pdf.page_break_trigger:
        pdf.add_page()
        top = pdf.get_y()
    pdf.set_xy(15, top)
    pdf.set_font("DejaVu", "B", 11)
    pdf.cell(0, 7, "Sommaire", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 10)
    for n, part in enumerate(CONTENTS):
        pdf.set_xy(15 + (n // rows) * 135, top + 7 + (n % rows) * 5.5)
        pdf.cell(130, 5.5, f"{n + 1}. {part}" if n < len(CONTENTS) - 1 else part)


def _headline_section(pdf: FPDF, d: Briefing) -> None:
    """1. Key figures: the headline tiles and the status of indicators by dimension."""
    fw = d.fw
    pdf.add_page()
    layout.h1(pdf, "1. Chiffres clés")
    tile_colors = [s.colour for s in IndicatorStatus] + ["#0072B2"] * 4
    w, h, gap = 64.5, 34, 4
    top = pdf.get_y()
    for n, ((label, value, help_text), color) in enumerate(zip(tiles(d), tile_colors, strict=True)):
        x = 12 + (n % 4) * (w + gap)
        y = top + (n // 4) * (h + gap)
        pdf.set_fill_color(*pictures.light(color, 0.82))
        pdf.set_draw_color(*pictures.rgb(color))
        pdf.set_line_width(0.8)
        pdf.rect(x, y, w, h, style="DF")
        pdf.set_xy(x + 3, y + 2.5)
        pdf.set_font("DejaVu", "", 10)
        pdf.cell(w - 6, 6, label)
        pdf.set_xy(x + 3, y + 9)
        pdf.set_font("DejaVu", "B", 22)
        pdf.cell(w - 6, 12, value)
        pdf.set_xy(x + 3, y + 22)
        pdf.set_font("DejaVu", "", 7.5)
        pdf.multi_cell(w - 6, 3.6, help_text, align="L")
    pdf.set_line_width(0.2)
    pdf.set_draw_color(0, 0, 0)
    pdf.set_y(top + 2 * (h + gap) + 2)
    layout.h2(pdf, "Statut des indicateurs par dimension")
    dims = dimension_table(d)
    layout.table(pdf, dims, widths=(75, 25, 32, 32, 32, 32, 30), size=9)
    layout.para(
        pdf,
        "Statut : part de la progression attendue à la date (rythme linéaire entre la référence et la cible) "
        f"atteinte par la dernière valeur ; « {IndicatorStatus.ON_TRACK.label} » à partir de "
        f"{fmt_percent(fw.on_track)}, « {IndicatorStatus.AT_RISK.label} » à partir de {fmt_percent(fw.at_risk)}.",
        8.5,
        "I",
    )


def _coverage_section(pdf: FPDF, d: Briefing) -> None:
    """2. The plan's coverage: the dimension × key heatmap and its state counts."""
    pdf.add_page()
    layout.h1(pdf, "2. Couverture du plan : dimensions × clés du mix marketing territorial")
    layout.para(
        pdf,
        "Chaque case compte les indicateurs qui servent la dimension et la clé ; sa couleur dit si la case est "
        "servie, renseignée et dans la trajectoire. La forme (∅ ? ▼) double la couleur.",
        10,
    )
    pdf.image(pictures.coverage_picture(d), x=12, w=273)
    counts = d.cells["state"].value_counts()
    layout.para(
        pdf, " · ".join(f"{coverage.GAP_LABELS[s]} : {int(counts.get(s, 0))}" for s in coverage.GAP_STATES), 10, "B"
    )
    layout.para(pdf, f"Dans l'application : {links.page_url('Couverture', matrice='dimension_key')}", 8.5, "I")


def _indicators_section(pdf: FPDF, d: Briefing) -> None:
    """3. The indicators of each dimension, with the analyses of those behind target."""
    fw = d.fw
    pdf.add_page()
    layout.h1(pdf, "3. Statut des indicateurs par dimension")
    widths = (14, 100, 22, 26, 26, 18, 22, 40)
    for dim in fw.dimensions:
        frame = indicators_table(d, dim.code)
        if pdf.get_y() > 160:
            pdf.add_page()
        layout.h2(pdf, f"{dim.label} ({len(frame)} indicateurs)")
        fills = [pictures.light(STATUS_COLORS[s], 0.7) for s in frame["_status"]]
        layout.table(pdf, frame.drop(columns=["_status"]), widths=widths, size=8, fills=fills, limit=None, wrap=True)
        layout.analysed(pdf, fw, behind_target(d, dim.code))
        layout.para(pdf, f"Dans l'application : {links.page_url('Tendances', dimension=dim.code)}", 8.5, "I")


def _changes_section(pdf: FPDF, d: Briefing) -> None:
    """4. What changed since the compared snapshot, and the analyses written since."""
    fw = d.fw
    pdf.add_page()
    layout.h1(pdf, "4. Ce qui a changé depuis le dernier comité")
    cmp = d.comparison
    if cmp is None:
        layout.para(
            pdf,
            "Aucun instantané de comité n'est enregistré. Créez-en un à chaque comité (page « Suivi des "
            "rapports » ou `python -m ardenne_kpi snapshot create NOM --date AAAA-MM-JJ`) : le prochain dossier "
            "montrera ce qui a changé depuis.",
            11,
        )
    else:
        layout.para(pdf, snapshots.summary_text(cmp), 11, "B")
        layout.h2(pdf, f"Statuts d'indicateurs qui ont changé ({len(cmp.statuses)})")
        layout.table(pdf, snapshots.statuses_table(cmp), widths=(18, 120, 34, 34, 33, 34))
        layout.h2(pdf, f"Cellules de couverture qui ont changé d'état ({len(cmp.cells)})")
        layout.table(pdf, snapshots.cells_table(cmp), widths=(70, 60, 71, 72))
        layout.h2(pdf, f"Nouveaux rapports ({len(cmp.uploads)})")
        layout.table(pdf, snapshots.uploads_table(cmp, fw), widths=(15, 90, 118, 50), limit=25)
        layout.h2(pdf, f"Valeurs nouvelles, corrigées ou retirées ({len(cmp.values)})")
        layout.table(
            pdf, snapshots.values_table(cmp, fw), widths=(18, 95, 22, 20, 22, 30, 30, 36), limit=layout.MAX_ROWS
        )
        changed = [
            (c, s, analysis_of(d, c))
            for c, s in zip(cmp.statuses["indicator"], cmp.statuses["new_status"], strict=True)
            if s in BEHIND
        ]
        if changed:
            layout.h2(
                pdf, f"Analyses du coordinateur pour les indicateurs passés en retard ou à surveiller ({len(changed)})"
            )
            layout.analysed(pdf, fw, changed)
    written = new_analyses(d)
    layout.h2(pdf, f"Analyses du coordinateur écrites depuis le dernier comité ({len(written)})")
    if written.empty:
        layout.para(pdf, "Aucune analyse écrite depuis.", 9, "I")
    for a in cast(list[dict[str, Any]], written.to_dict("records")):  # keyed by column names
        pdf.set_font("DejaVu", "B", 9.5)
        pdf.multi_cell(
            0,
            5,
            f"{a['indicator']} · {fw.indicator(a['indicator']).label} ({analyses.signature(a, fw)})",
            new_x="LMARGIN",
            new_y="NEXT",
        )
        pdf.set_font("DejaVu", "", 9)
        pdf.multi_cell(0, 4.6, a["body"], new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)


def _completeness_section(pdf: FPDF, d: Briefing) -> None:
    """5. Reports received by operator: for the period, since the start, by semester."""
    fw = d.fw
    pdf.add_page()
    layout.h1(pdf, "5. Complétude des rapports par opérateur")
    layout.para(
        pdf,
        f"Rapports attendus = indicateurs dont l'opérateur est responsable × leurs périodes échues ; reçus = une "
        f"valeur retenue a été déposée. En retard : déposé plus de {reporting.deadline_text(fw)}.",
        10,
    )
    layout.h2(pdf, f"Période suivie : {d.period.label_fr}")
    layout.para(
        pdf,
        f"Dans l'application : {links.page_url('Suivi', onglet='Rapports reçus', semestre=d.period.code)}",
        8.5,
        "I",
    )
    layout.table(pdf, reporting.completeness_table(d.period_summary), widths=(90, 20, 20, 25, 22, 56, 30), limit=None)
    layout.h2(pdf, "Depuis le début du programme")
    layout.table(
        pdf, reporting.completeness_table(d.programme_summary), widths=(90, 20, 20, 25, 22, 56, 30), limit=None
    )
    picture = pictures.followup_picture(d)
    if picture is not None:
        pdf.add_page()
        layout.h2(pdf, "Rapports par opérateur et par semestre du programme")
        layout.para(
            pdf,
            "✔ reçu · ◐ partiel · ✘ manquant · … délai en cours ; « nR » : n rapports reçus en retard. "
            "Couleurs : bleu reçu dans le délai, violet reçu en retard, orange partiel, rouge manquant.",
            9,
        )
        pdf.image(picture, x=12, w=273)


def _quality_section(pdf: FPDF, d: Briefing) -> None:
    """6. Data quality: the notes, late or missing reports, never declared, import warnings."""
    pdf.add_page()
    layout.h1(pdf, "6. Qualité des données")
    for note in quality_notes(d):
        pdf.set_font("DejaVu", "", 10)
        pdf.multi_cell(0, 5.5, f"• {note}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    if not d.late.empty:
        layout.h2(pdf, "Rapports en retard ou manquants, par opérateur et semestre")
        late = pd.DataFrame(
            {
                "Opérateur": d.late["label"],
                "Semestre": d.late["column"],
                "Situation": d.late["status"].map(reporting.ITEM_LABELS),
                "Rapports": d.late["n"],
                "Retard max. (jours)": d.late["max_delay_days"].map(lambda v: "–" if v != v else fmt_number(v)),
            }
        )
        layout.table(pdf, late, widths=(110, 25, 60, 30, 48))
    if not d.never.empty:
        layout.h2(pdf, "Indicateurs jamais déclarés par leur opérateur")
        layout.table(
            pdf,
            pd.DataFrame(
                {
                    "Opérateur": d.never["operator_label"],
                    "Code": d.never["indicator"],
                    "Indicateur": d.never["indicator_label"],
                    "Périodes échues": d.never["n_due"],
                }
            ),
            widths=(80, 20, 140, 33),
        )
    if not d.warnings.empty:
        layout.h2(pdf, "Avertissements donnés à l'import")
        layout.table(
            pdf,
            pd.DataFrame(
                {
                    "N°": d.warnings["upload_id"],
                    "Fichier": d.warnings["file_name"],
                    "Avertissement": d.warnings["message"],
                }
            ),
            widths=(14, 70, 189),
            size=7.5,
            wrap=True,
        )


def _sources_section(pdf: FPDF, d: Briefing) -> None:
    """Annex: the reports behind the figures, in upload order."""
    fw = d.fw
    pdf.add_page()
    layout.h1(pdf, "Annexe : rapports à l'origine des chiffres")
    layout.para(
        pdf,
        f"{len(d.uploads)} rapport(s) dont au moins une valeur compte aujourd'hui, dans l'ordre de dépôt. "
        "Chaque chiffre du tableau de bord remonte à son fichier, sa feuille et sa cellule.",
        10,
    )
    layout.plain(pdf, reporting.uploads_table(d.uploads, fw), widths=(12, 66, 76, 21, 23, 22, 28, 25))


SECTIONS = [
    _cover_section,
    _headline_section,
    _coverage_section,
    _indicators_section,
    _changes_section,
    _completeness_section,
    _quality_section,
    _sources_section,
]


def pdf_bytes(d: Briefing) -> bytes:
    """The pack as PDF bytes (A4 landscape): the cover, then each section of SECTIONS."""
    pdf = layout.document(d)
    for section in SECTIONS:
        section(pdf, d)
    return bytes(pdf.output())
