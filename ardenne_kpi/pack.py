"""The steering-committee pack: one PDF in French that reads without the app, and the same
tables as an .xlsx beside it.

`collect` gathers every figure once (the same `kpis`, `coverage`, `reporting` and
`snapshots` code as the pages); `pdf_bytes` and `xlsx_bytes` only lay them out. Everything
works offline: fpdf2 writes the PDF, matplotlib draws the pictures, and the font is the
DejaVu Sans that matplotlib ships (accents, «», ✔ and the status symbols included).
"""

from __future__ import annotations

import datetime as dt
import io
import textwrap
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from ardenne_kpi import analyses, coverage, db, home, kpis, links, reporting, review, snapshots
from ardenne_kpi.format import fmt_date, fmt_number, fmt_percent, frame_to_sheet, pdf_text
from ardenne_kpi.framework import Framework
from ardenne_kpi.periods import Period, label_of

TITLE = "Comité de pilotage"
# Rows of a long table printed in the PDF before "… et N autres (voir le classeur .xlsx)".
MAX_ROWS = 40
# Received, but after the deadline (Okabe–Ito reddish purple): the follow-up picture.
LATE_COLOR = "#CC79A7"


@dataclass(frozen=True)
class PackData:
    """Every figure of the pack, computed once."""

    fw: Framework
    generated_at: dt.datetime
    period: Period
    data_end: dt.date | None
    last_upload: dt.datetime | None
    is_demo: bool
    status: pd.DataFrame
    cells: pd.DataFrame
    items: pd.DataFrame  # every expected report over the programme (reporting.report_items)
    period_summary: pd.DataFrame  # completeness by operator for `period`
    programme_summary: pd.DataFrame  # completeness by operator since the start
    matrix: pd.DataFrame  # operator × semester cells (reporting.matrix)
    late: pd.DataFrame
    never: pd.DataFrame
    warnings: pd.DataFrame
    uploads: pd.DataFrame
    comparison: snapshots.Comparison | None
    analyses: pd.DataFrame  # the coordinator's analyses that count (analyses.current)
    validation_note: str = ""  # the figures are validated ones; how many submitted uploads wait
    locks_note: str = ""  # the locked periods, with their lock dates

    @property
    def n_values(self) -> int:
        return int(self.uploads["n_current"].sum()) if not self.uploads.empty else 0


def collect(
    con: duckdb.DuckDBPyConnection, fw: Framework, *, since: str | None = None, as_of: dt.date | None = None
) -> PackData:
    """Gather the pack's figures. `since` names the snapshot to compare the current data with
    (the latest snapshot by default; no comparison when there is none)."""
    data_end, last_upload = reporting.latest_data(con)
    period = reporting.last_closed_semester(fw, data_end)
    status = kpis.indicator_status(con, fw)  # all 'no_data' on an empty base
    cells = coverage.matrix(fw, "dimension_key", status).cells
    items = reporting.report_items(con, fw, None, as_of)
    period_items = items[(items["period_end"] >= period.start) & (items["period_end"] <= period.end)]
    uploads = reporting.uploads(con)
    old = snapshots.load(con, since) if since else snapshots.latest(con)
    comparison = None
    if old is not None:
        new = snapshots.State(
            "les données actuelles",
            None,
            snapshots.sql.current_values(con),
            status[snapshots.KEPT_STATUS_COLUMNS],
            cells[["row", "col", "state"]].rename(columns={"row": "row_code", "col": "col_code"}),
        )
        comparison = snapshots.compare(con, fw, old, new)
    return PackData(
        fw=fw,
        generated_at=dt.datetime.now().replace(microsecond=0),
        period=period,
        data_end=data_end,
        last_upload=last_upload,
        is_demo=db.is_demo(con),
        status=status,
        cells=cells,
        items=items,
        period_summary=reporting.summarise(period_items, fw),
        programme_summary=reporting.summarise(items, fw),
        matrix=reporting.matrix(items, fw),
        late=reporting.late_reports(items, fw),
        never=reporting.never_reported(con, fw, as_of),
        # an undone import's warnings no longer concern any figure
        warnings=reporting.warning_messages(uploads[uploads["status"].isin(db.LIVE_STATUSES)]),
        uploads=uploads[(uploads["n_current"] > 0) & uploads["status"].isin(db.LIVE_STATUSES)],
        comparison=comparison,
        analyses=analyses.current(con),
        validation_note=validation_note(review.submitted_count(con)),
        locks_note=review.locks_text(fw, review.locks(con)),
    )


def validation_note(waiting: int) -> str:
    """The pack's, and the meeting's, sentence on which figures count."""
    note = f"{review.VALIDATED_ONLY} uniquement"
    if waiting:
        note += f" ; {waiting} import(s) soumis par les partenaires, pas encore validés, n'y sont pas comptés"
    return note + "."


# ------------------------------------------------------------------ tables shared by the PDF and the workbook


def tiles(d: PackData) -> list[tuple[str, str, str]]:
    """(label, value, explanation) of the headline tiles."""
    counts = d.status["status"].value_counts()
    n = len(d.fw.indicators)
    expected = int(d.period_summary["expected"].sum())
    received = int(d.period_summary["received"].sum())
    late = int(d.period_summary["late"].sum())
    served = int((d.cells["state"] != "not_served").sum())
    out = [(label, f"{int(counts.get(s, 0))} / {n}", "indicateurs") for s, label in kpis.STATUS_LABELS.items()]
    out += [
        (
            f"Rapports {d.period.code} reçus",
            fmt_percent(received / expected if expected else None),
            f"{received} sur {expected} attendus, dont {late} en retard",
        ),
        ("Cellules servies", f"{served} / {len(d.cells)}", "dimension × clé, par au moins un indicateur"),
        ("Valeurs retenues", fmt_number(d.n_values), f"issues de {len(d.uploads)} rapports"),
        (
            "Retards (programme)",
            fmt_number(int((d.items["status"] == "late").sum())),
            f"rapports reçus après {d.fw.reporting_deadline_days} jours ; "
            f"{int((d.items['status'] == 'overdue').sum())} manquants",
        ),
    ]
    return out


def dimension_table(d: PackData) -> pd.DataFrame:
    """Per dimension: number of indicators in each status, and keys served (as on the home page)."""
    return home.dimension_table(d.fw, d.status)


def _value(v: float, unit: str) -> str:
    if v is None or v != v:
        return "–"
    decimals = 1 if (unit.strip() == "%" or abs(v) < 100) and v % 1 else 0
    return fmt_number(v, decimals) + (" %" if unit.strip() == "%" else "")


def indicators_table(d: PackData, dimension: str | None = None) -> pd.DataFrame:
    """The indicators (of one dimension) with their latest value, target, progress and status."""
    codes = [i.code for i in d.fw.indicators if dimension is None or dimension in i.dimensions]
    st = d.status.set_index("indicator")
    rows = []
    for code in codes:
        ind = d.fw.indicator(code)
        r = st.loc[code] if code in st.index else None
        status = r["status"] if r is not None else "no_data"
        rows.append(
            {
                "Code": code,
                "Indicateur": ind.label,
                "Dernière période": label_of(r["latest_period"] if r is not None else None, d.fw.calendar),
                "Dernière valeur": _value(r["latest_value"] if r is not None else None, ind.unit),
                "Cible": _value(r["target"] if r is not None else None, ind.unit) if r is not None else "–",
                "Échéance": label_of(r["target_period"] if r is not None else None, d.fw.calendar),
                "Progression": fmt_percent(r["progress"] if r is not None else None),
                "Statut": f"{kpis.STATUS_SYMBOLS[status]} {kpis.STATUS_LABELS[status]}",
                "_status": status,
            }
        )
    return pd.DataFrame(rows)


def analysis_of(d: PackData, code: str) -> dict | None:
    """The coordinator's analysis of an indicator for its assessed period, else its latest."""
    row = d.status[d.status["indicator"] == code]
    period = row["latest_period"].iloc[0] if not row.empty else None
    return analyses.find(d.analyses, code, period if isinstance(period, str) else None) or analyses.latest_for(
        d.analyses, code
    )


def behind_target(d: PackData, dimension: str | None = None) -> list[tuple[str, str, dict | None]]:
    """(code, status, analysis) of the indicators (of one dimension) off track, then at risk:
    each one the committee discusses, with what the coordinator wrote about it."""
    codes = {i.code for i in d.fw.indicators if dimension is None or dimension in i.dimensions}
    out = []
    for s in ("off_track", "at_risk"):
        for code in d.status[(d.status["status"] == s) & d.status["indicator"].isin(codes)]["indicator"]:
            out.append((code, s, analysis_of(d, code)))
    return out


def analyses_table(d: PackData) -> pd.DataFrame:
    """Every indicator behind target with its analysis (or the lack of one): the workbook sheet."""
    rows = [
        {
            "Code": code,
            "Indicateur": d.fw.indicator(code).label,
            "Statut": f"{kpis.STATUS_SYMBOLS[s]} {kpis.STATUS_LABELS[s]}",
            "Analyse du coordinateur": a["body"] if a else "Pas encore d'analyse",
            "Écrite par": analyses.signature(a, d.fw) if a else "",
        }
        for code, s, a in behind_target(d)
    ]
    return pd.DataFrame(rows, columns=["Code", "Indicateur", "Statut", "Analyse du coordinateur", "Écrite par"])


def new_analyses(d: PackData) -> pd.DataFrame:
    """Analyses written since the compared snapshot's date (all of them without a snapshot)."""
    frame = d.analyses
    if d.comparison is not None and d.comparison.old.taken_on is not None and not frame.empty:
        frame = frame[pd.to_datetime(frame["written_at"]).dt.date > d.comparison.old.taken_on]
    return frame


def quality_notes(d: PackData) -> list[str]:
    """Short French sentences for the data-quality page."""
    notes = []
    late = d.items[d.items["status"] == "late"]
    overdue = d.items[d.items["status"] == "overdue"]
    if not late.empty:
        by_op = late.groupby("operator").size().sort_values(ascending=False)
        worst = ", ".join(f"{d.fw.label('operators', o)} ({n})" for o, n in by_op.head(3).items())
        notes.append(
            f"{len(late)} rapport(s) attendu(s) reçu(s) après le délai de {d.fw.reporting_deadline_days} "
            f"jours ; surtout : {worst}."
        )
    never = set(zip(d.never["operator"], d.never["indicator"], strict=True))
    overdue = overdue[[(o, i) not in never for o, i in zip(overdue["operator"], overdue["indicator"], strict=True)]]
    if not overdue.empty:
        for (op, col), part in overdue.groupby(["operator", "column"]):
            notes.append(
                f"{d.fw.label('operators', op)} n'a rien transmis pour {len(part)} indicateur(s) attendu(s) "
                f"en {col} (échéance dépassée le {fmt_date(part['deadline'].max())})."
            )
    for op, part in d.never.groupby("operator", sort=False):
        codes = ", ".join(part["indicator"])
        notes.append(f"{d.fw.label('operators', op)} n'a jamais déclaré : {codes}.")
    no_data = d.status[d.status["status"] == "no_data"]["indicator"].tolist()
    if no_data:
        notes.append(
            f"{len(no_data)} indicateur(s) sans aucune valeur : {', '.join(no_data)}. Leur statut est "
            "« Sans données » : non déclaré n'est pas zéro."
        )
    if "note" in d.status:
        partial = d.status[d.status["note"].fillna("").str.contains("partielle")]["indicator"].tolist()
        if partial:
            notes.append(f"Dernière valeur partielle (période incomplète) pour : {', '.join(partial)}.")
    if not d.warnings.empty:
        notes.append(
            f"{len(d.warnings)} avertissement(s) donné(s) à l'import de {d.warnings['upload_id'].nunique()} "
            "rapport(s) : détail ci-dessous."
        )
    if d.is_demo:
        notes.insert(
            0, "Base de démonstration : les chiffres sont générés pour montrer l'outil, ils ne sont pas réels."
        )
    return notes or ["Aucun problème de qualité relevé."]


# ------------------------------------------------------------------ pictures (matplotlib, offline)


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def coverage_png(d: PackData) -> bytes:
    """The dimension × key coverage heatmap: state colours, number of indicators and a glyph per cell."""
    plt = _pyplot()
    from matplotlib.colors import to_rgb
    from matplotlib.patches import Patch

    fw = d.fw
    grid = d.cells.set_index(["row", "col"])
    fig, ax = plt.subplots(figsize=(13, 4.6), dpi=150)
    for i, dim in enumerate(fw.dimensions):
        for j, key in enumerate(fw.keys):
            cell = grid.loc[(dim.code, key.code)]
            color = coverage.GAP_COLORS[cell["state"]]
            ax.add_patch(plt.Rectangle((j, i), 1, 1, facecolor=color, edgecolor="white", linewidth=2))
            dark = sum(to_rgb(color)) / 3 < 0.5 or cell["state"] in ("behind", "on_track")
            text = f"{int(cell['n_indicators'])} {coverage.GAP_MARKS[cell['state']]}".strip()
            ax.text(
                j + 0.5,
                i + 0.5,
                text,
                ha="center",
                va="center",
                fontsize=14,
                fontweight="bold",
                color="white" if dark else "black",
            )
    ax.set_xlim(0, len(fw.keys))
    ax.set_ylim(len(fw.dimensions), 0)
    ax.set_xticks(
        [j + 0.5 for j in range(len(fw.keys))],
        ["\n".join(textwrap.wrap(pdf_text(k.label, 60), 13, break_long_words=False)) for k in fw.keys],
        fontsize=9,
    )
    ax.set_yticks(
        [i + 0.5 for i in range(len(fw.dimensions))],
        ["\n".join(textwrap.wrap(pdf_text(dm.label, 80), 18, break_long_words=False)) for dm in fw.dimensions],
        fontsize=10,
    )
    ax.tick_params(length=0)
    ax.xaxis.tick_top()
    for side in ax.spines.values():
        side.set_visible(False)
    handles = [
        Patch(facecolor=coverage.GAP_COLORS[s], label=f"{coverage.GAP_MARKS[s]} {coverage.GAP_LABELS[s]}".strip())
        for s in coverage.GAP_STATES
    ]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.03), ncol=4, frameon=False, fontsize=10)
    fig.tight_layout()
    return _png(fig, plt)


def followup_png(d: PackData) -> bytes:
    """The operator × semester follow-up matrix: received / partial / missing, late counts."""
    plt = _pyplot()
    text, state = reporting.matrix_grid(d.matrix, d.fw, labels=True)
    if text.empty:
        return b""
    fig, ax = plt.subplots(figsize=(13, 0.42 * len(text) + 1.4), dpi=150)
    for i, op in enumerate(text.index):
        for j, col in enumerate(text.columns):
            s = state.loc[op, col]
            if s == "received" and text.loc[op, col].endswith("R"):
                s = "late"
            ax.add_patch(
                plt.Rectangle(
                    (j, i),
                    1,
                    1,
                    facecolor=LATE_COLOR if s == "late" else reporting.CELL_COLORS[s],
                    edgecolor="white",
                    linewidth=1.5,
                )
            )
            label = text.loc[op, col].replace(" · ", "\n")
            ax.text(
                j + 0.5,
                i + 0.5,
                label,
                ha="center",
                va="center",
                fontsize=7.5,
                color="white" if s in ("received", "missing", "late") else "black",
            )
    ax.set_xlim(0, len(text.columns))
    ax.set_ylim(len(text), 0)
    ax.set_xticks([j + 0.5 for j in range(len(text.columns))], list(text.columns), fontsize=9)
    ax.set_yticks(
        [i + 0.5 for i in range(len(text))],
        [textwrap.shorten(pdf_text(o, 200), 42, placeholder="…") for o in text.index],
        fontsize=8.5,
    )
    ax.tick_params(length=0)
    ax.xaxis.tick_top()
    for side in ax.spines.values():
        side.set_visible(False)
    fig.tight_layout()
    return _png(fig, plt)


def _png(fig, plt) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


# ------------------------------------------------------------------ the PDF


def _font_dir() -> Path:
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"


def _hex(color: str) -> tuple[int, int, int]:
    color = color.lstrip("#")
    return tuple(int(color[i : i + 2], 16) for i in (0, 2, 4))


def _light(color: str, amount: float = 0.75) -> tuple[int, int, int]:
    return tuple(int(c + (255 - c) * amount) for c in _hex(color))


def pdf_bytes(d: PackData) -> bytes:
    """The pack as PDF bytes (A4 landscape)."""
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    fw = d.fw
    portfolio = fw.portfolio.get("label", "Ardenne Attractivity")
    header_text = f"{TITLE} · {fw.portfolio.get('code', '')} · données au {fmt_date(d.data_end)}"

    class Pack(FPDF):
        # Every text goes through pdf_text: partner text may hold control characters or
        # thousands of characters without a space.
        def cell(self, w=None, h=None, text="", *args, **kwargs):
            return super().cell(w, h, pdf_text(text), *args, **kwargs)

        def multi_cell(self, w, h=None, text="", *args, **kwargs):
            return super().multi_cell(w, h, pdf_text(text), *args, **kwargs)

        def header(self) -> None:
            if self.page_no() == 1:
                return
            self.set_font("DejaVu", "", 8)
            self.set_text_color(110, 110, 110)
            self.cell(0, 5, header_text, align="L")
            self.ln(8)
            self.set_text_color(0, 0, 0)

        def footer(self) -> None:
            self.set_y(-12)
            self.set_font("DejaVu", "", 8)
            self.set_text_color(110, 110, 110)
            self.cell(0, 5, f"Généré le {d.generated_at:%d/%m/%Y à %H:%M} · page {self.page_no()} / {{nb}}", align="R")
            self.set_text_color(0, 0, 0)

    pdf = Pack(orientation="L", unit="mm", format="A4")
    pdf.set_title(f"{TITLE} – {portfolio}")
    pdf.set_author("Ardenne KPI")
    pdf.set_creator("Ardenne KPI")
    pdf.set_lang("fr")
    fonts = _font_dir()
    pdf.add_font("DejaVu", "", str(fonts / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(fonts / "DejaVuSans-Bold.ttf"))
    pdf.add_font("DejaVu", "I", str(fonts / "DejaVuSans-Oblique.ttf"))
    pdf.set_auto_page_break(True, margin=15)
    pdf.set_margins(12, 12, 12)
    heading = FontFace(emphasis="BOLD", fill_color=(225, 232, 240))

    def h1(text: str) -> None:
        pdf.set_font("DejaVu", "B", 18)
        pdf.cell(0, 10, text, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)

    def h2(text: str) -> None:
        pdf.set_font("DejaVu", "B", 13)
        pdf.cell(0, 8, text, new_x="LMARGIN", new_y="NEXT")

    def para(text: str, size: float = 10, style: str = "") -> None:
        pdf.set_font("DejaVu", style, size)
        pdf.multi_cell(0, size * 0.5, text, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1.5)

    def plain(frame: pd.DataFrame, widths: tuple, size: float = 7.5) -> None:
        """A one-line-per-row table drawn cell by cell: ten times faster than `table` for long lists."""
        h = size * 0.5

        def fit(text: str, width: float) -> str:
            text = pdf_text(text, int(width))  # no cell shows more than a character per millimetre
            if pdf.get_string_width(text) <= width - 1.6:
                return text
            while text and pdf.get_string_width(text + "…") > width - 1.6:
                text = text[:-1]
            return text + "…"

        def head() -> None:
            pdf.set_font("DejaVu", "B", size)
            pdf.set_fill_color(225, 232, 240)
            for column, width in zip(frame.columns, widths, strict=True):
                pdf.cell(width, h, fit(str(column), width), border=1, fill=True)
            pdf.ln(h)
            pdf.set_font("DejaVu", "", size)

        head()
        for row in frame.itertuples(index=False):
            if pdf.get_y() + h > pdf.page_break_trigger:
                pdf.add_page()
                head()
            for value, width in zip(row, widths, strict=True):
                pdf.cell(width, h, fit("" if value is None else str(value), width), border=1)
            pdf.ln(h)
        pdf.ln(2)

    def table(
        frame: pd.DataFrame,
        widths: tuple,
        size: float = 8.5,
        fills: list | None = None,
        limit: int | None = MAX_ROWS,
        note: str = "",
        wrap: bool = False,
    ) -> None:
        """A table; `wrap` lets long texts run on several lines (slower: fpdf2's table layout)."""
        if frame.empty:
            para("Aucune ligne.", 9, "I")
            return
        shown = frame if limit is None else frame.head(limit)
        if not wrap:
            plain(shown, widths, size)
            if limit is not None and len(frame) > limit:
                para(f"… et {len(frame) - limit} autre(s) ligne(s) : voir le classeur .xlsx joint{note}.", 8.5, "I")
            return
        pdf.set_font("DejaVu", "", size)
        with pdf.table(
            col_widths=widths, line_height=size * 0.55, headings_style=heading, padding=0.8, text_align="LEFT"
        ) as t:
            t.row([str(c) for c in shown.columns])
            for n, row in enumerate(shown.itertuples(index=False)):
                r = t.row()
                for k, value in enumerate(row):
                    fill = fills[n] if fills is not None and k == len(row) - 1 else None
                    style = FontFace(fill_color=fill) if fill else None
                    # cut so that the row fits on a page, however long the partner's text
                    r.cell(pdf_text(value, max(40, int(widths[k] * 8))), style=style)
        if limit is not None and len(frame) > limit:
            para(f"… et {len(frame) - limit} autre(s) ligne(s) : voir le classeur .xlsx joint{note}.", 8.5, "I")
        pdf.ln(2)

    def analysed(rows: list[tuple[str, str, dict | None]]) -> None:
        """Each indicator behind target, with the coordinator's analysis and the link that reopens it."""
        for code, s, a in rows:
            if pdf.get_y() > 175:
                pdf.add_page()
            pdf.set_font("DejaVu", "B", 9.5)
            pdf.set_text_color(*_hex(kpis.STATUS_COLORS[s]))
            pdf.multi_cell(
                0,
                5,
                f"{kpis.STATUS_SYMBOLS[s]} {code} · {fw.indicator(code).label} : {kpis.STATUS_LABELS[s].lower()}",
                new_x="LMARGIN",
                new_y="NEXT",
            )
            pdf.set_text_color(0, 0, 0)
            pdf.set_font("DejaVu", "", 9)
            text = (
                f"Analyse du coordinateur ({analyses.signature(a, fw)}) : {a['body']}"
                if a
                else "Analyse du coordinateur : pas encore écrite."
            )
            pdf.multi_cell(0, 4.6, text, new_x="LMARGIN", new_y="NEXT")
            pdf.set_font("DejaVu", "", 7.5)
            pdf.set_text_color(90, 90, 90)
            pdf.multi_cell(0, 4, links.page_url("Tendances", indicateur=code), new_x="LMARGIN", new_y="NEXT")
            pdf.set_text_color(0, 0, 0)
            pdf.ln(1)
        pdf.ln(2)

    # -- 1. cover
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
        pdf.cell(0, 7, line, new_x="LMARGIN", new_y="NEXT")
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
    pdf.set_xy(15, max(pdf.get_y() + 6, 150))
    pdf.set_font("DejaVu", "B", 11)
    pdf.cell(0, 7, "Sommaire", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 10)
    for n, part in enumerate(
        [
            "Chiffres clés",
            "Couverture du plan (dimensions × clés)",
            "Statut des indicateurs par dimension",
            "Ce qui a changé depuis le dernier comité",
            "Complétude des rapports par opérateur",
            "Qualité des données",
            "Annexe : rapports à l'origine des chiffres",
        ],
        start=1,
    ):
        pdf.set_x(15)
        pdf.cell(0, 5, f"{n}. {part}", new_x="LMARGIN", new_y="NEXT")

    # -- 2. headline tiles
    pdf.add_page()
    h1("1. Chiffres clés")
    tile_colors = [kpis.STATUS_COLORS[s] for s in ("on_track", "at_risk", "off_track", "no_data")] + ["#0072B2"] * 4
    w, h, gap = 64.5, 34, 4
    top = pdf.get_y()
    for n, ((label, value, help_text), color) in enumerate(zip(tiles(d), tile_colors, strict=True)):
        x = 12 + (n % 4) * (w + gap)
        y = top + (n // 4) * (h + gap)
        pdf.set_fill_color(*_light(color, 0.82))
        pdf.set_draw_color(*_hex(color))
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
    h2("Statut des indicateurs par dimension")
    dims = dimension_table(d)
    table(dims, widths=(75, 25, 32, 32, 32, 32, 30), size=9)
    para(
        "Statut : part de la progression attendue à la date (rythme linéaire entre la référence et la cible) "
        f"atteinte par la dernière valeur ; « {kpis.STATUS_LABELS['on_track']} » à partir de "
        f"{fmt_percent(fw.on_track)}, « {kpis.STATUS_LABELS['at_risk']} » à partir de {fmt_percent(fw.at_risk)}.",
        8.5,
        "I",
    )

    # -- 3. coverage heatmap
    pdf.add_page()
    h1("2. Couverture du plan : dimensions × clés du mix marketing territorial")
    para(
        "Chaque case compte les indicateurs qui servent la dimension et la clé ; sa couleur dit si la case est "
        "servie, renseignée et dans la trajectoire. La forme (∅ ? ▼) double la couleur.",
        10,
    )
    pdf.image(io.BytesIO(coverage_png(d)), x=12, w=273)
    counts = d.cells["state"].value_counts()
    para(" · ".join(f"{coverage.GAP_LABELS[s]} : {int(counts.get(s, 0))}" for s in coverage.GAP_STATES), 10, "B")
    para(f"Dans l'application : {links.page_url('Couverture', matrice='dimension_key')}", 8.5, "I")

    # -- 4. indicators by dimension
    pdf.add_page()
    h1("3. Statut des indicateurs par dimension")
    widths = (14, 100, 22, 26, 26, 18, 22, 40)
    for dim in fw.dimensions:
        frame = indicators_table(d, dim.code)
        if pdf.get_y() > 160:
            pdf.add_page()
        h2(f"{dim.label} ({len(frame)} indicateurs)")
        fills = [_light(kpis.STATUS_COLORS[s], 0.7) for s in frame["_status"]]
        table(frame.drop(columns=["_status"]), widths=widths, size=8, fills=fills, limit=None, wrap=True)
        analysed(behind_target(d, dim.code))
        para(f"Dans l'application : {links.page_url('Tendances', dimension=dim.code)}", 8.5, "I")

    # -- 5. changes since the last snapshot
    pdf.add_page()
    h1("4. Ce qui a changé depuis le dernier comité")
    cmp = d.comparison
    if cmp is None:
        para(
            "Aucun instantané de comité n'est enregistré. Créez-en un à chaque comité (page « Suivi des "
            "rapports » ou `python -m ardenne_kpi snapshot create NOM --date AAAA-MM-JJ`) : le prochain dossier "
            "montrera ce qui a changé depuis.",
            11,
        )
    else:
        para(snapshots.summary_text(cmp), 11, "B")
        h2(f"Statuts d'indicateurs qui ont changé ({len(cmp.statuses)})")
        table(snapshots.statuses_table(cmp), widths=(18, 120, 34, 34, 33, 34))
        h2(f"Cellules de couverture qui ont changé d'état ({len(cmp.cells)})")
        table(snapshots.cells_table(cmp), widths=(70, 60, 71, 72))
        h2(f"Nouveaux rapports ({len(cmp.uploads)})")
        table(snapshots.uploads_table(cmp, fw), widths=(15, 90, 118, 50), limit=25)
        h2(f"Valeurs nouvelles, corrigées ou retirées ({len(cmp.values)})")
        table(snapshots.values_table(cmp, fw), widths=(18, 95, 22, 20, 22, 30, 30, 36), limit=MAX_ROWS)
        changed = [
            (c, s, analysis_of(d, c))
            for c, s in zip(cmp.statuses["indicator"], cmp.statuses["new_status"], strict=True)
            if s in ("off_track", "at_risk")
        ]
        if changed:
            h2(f"Analyses du coordinateur pour les indicateurs passés en retard ou à surveiller ({len(changed)})")
            analysed(changed)
    written = new_analyses(d)
    h2(f"Analyses du coordinateur écrites depuis le dernier comité ({len(written)})")
    if written.empty:
        para("Aucune analyse écrite depuis.", 9, "I")
    for a in written.to_dict("records"):
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

    # -- 6. completeness
    pdf.add_page()
    h1("5. Complétude des rapports par opérateur")
    para(
        f"Rapports attendus = indicateurs dont l'opérateur est responsable × leurs périodes échues ; reçus = une "
        f"valeur retenue a été déposée. En retard : déposé plus de {reporting.deadline_text(fw)}.",
        10,
    )
    h2(f"Période suivie : {d.period.label_fr}")
    para(f"Dans l'application : {links.page_url('Suivi', onglet='Rapports reçus', semestre=d.period.code)}", 8.5, "I")
    table(reporting.completeness_table(d.period_summary), widths=(90, 20, 20, 25, 22, 56, 30), limit=None)
    h2("Depuis le début du programme")
    table(reporting.completeness_table(d.programme_summary), widths=(90, 20, 20, 25, 22, 56, 30), limit=None)
    picture = followup_png(d)
    if picture:
        pdf.add_page()
        h2("Rapports par opérateur et par semestre du programme")
        para(
            "✔ reçu · ◐ partiel · ✘ manquant · … délai en cours ; « nR » : n rapports reçus en retard. "
            "Couleurs : bleu reçu dans le délai, violet reçu en retard, orange partiel, rouge manquant.",
            9,
        )
        pdf.image(io.BytesIO(picture), x=12, w=273)

    # -- 7. data quality
    pdf.add_page()
    h1("6. Qualité des données")
    for note in quality_notes(d):
        pdf.set_font("DejaVu", "", 10)
        pdf.multi_cell(0, 5.5, f"• {note}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    if not d.late.empty:
        h2("Rapports en retard ou manquants, par opérateur et semestre")
        late = pd.DataFrame(
            {
                "Opérateur": d.late["label"],
                "Semestre": d.late["column"],
                "Situation": d.late["status"].map(reporting.ITEM_LABELS),
                "Rapports": d.late["n"],
                "Retard max. (jours)": d.late["max_delay_days"].map(lambda v: "–" if v != v else fmt_number(v)),
            }
        )
        table(late, widths=(110, 25, 60, 30, 48))
    if not d.never.empty:
        h2("Indicateurs jamais déclarés par leur opérateur")
        table(
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
        h2("Avertissements donnés à l'import")
        table(
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

    # -- 8. annex: sources
    pdf.add_page()
    h1("Annexe : rapports à l'origine des chiffres")
    para(
        f"{len(d.uploads)} rapport(s) dont au moins une valeur compte aujourd'hui, dans l'ordre de dépôt. "
        "Chaque chiffre du tableau de bord remonte à son fichier, sa feuille et sa cellule.",
        10,
    )
    plain(reporting.uploads_table(d.uploads, fw), widths=(12, 66, 76, 21, 23, 22, 28, 25))
    return bytes(pdf.output())


# ------------------------------------------------------------------ the workbook


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


def build(con: duckdb.DuckDBPyConnection, fw: Framework, *, since: str | None = None) -> tuple[bytes, bytes]:
    """(PDF bytes, xlsx bytes) of the pack for the current data."""
    d = collect(con, fw, since=since)
    return pdf_bytes(d), xlsx_bytes(d)


def file_stem(d: PackData | None = None, day: dt.date | None = None) -> str:
    """dossier_comite_2026-11-26: the name both files share."""
    day = day or (d.generated_at.date() if d else dt.date.today())
    return f"dossier_comite_{day:%Y-%m-%d}"
