"""What the committee reads, whichever way it is shown: `collect` gathers every figure once
(the same `figures`, `coverage`, `reporting` and `snapshots` code as the pages) into a
`Briefing`, and the tables, tiles and analyses that the pack (PDF and workbook) and the
meeting mode both lay out are built here from it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, cast

import duckdb
import pandas as pd

from ardenne_kpi import db, figures, reporting
from ardenne_kpi.committee import snapshots
from ardenne_kpi.core.format import fmt_date, fmt_number, fmt_percent
from ardenne_kpi.core.indicator_status import BEHIND, STATUS_LABELS, STATUS_SYMBOLS, IndicatorStatus
from ardenne_kpi.core.periods import Period, label_of
from ardenne_kpi.figures import analyses, coverage
from ardenne_kpi.framework import Framework
from ardenne_kpi.intake import review

TITLE = "Comité de pilotage"


@dataclass(frozen=True)
class Briefing:
    """Every figure the committee reads (the pack, the meeting mode), computed once."""

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
    overrides_note: str = ""  # what the coordination changed in locked periods, with its reasons

    @property
    def n_values(self) -> int:
        return int(self.uploads["n_current"].sum()) if not self.uploads.empty else 0


def collect(
    con: duckdb.DuckDBPyConnection, fw: Framework, *, since: str | None = None, as_of: dt.date | None = None
) -> Briefing:
    """Gather the pack's figures. `since` names the snapshot to compare the current data with
    (the latest snapshot by default; no comparison when there is none)."""
    data_end, last_upload = reporting.latest_data(con)
    period = reporting.last_closed_semester(fw, data_end)
    status = figures.indicator_status(con, fw)  # all 'no_data' on an empty base
    cells = coverage.matrix(fw, "dimension_key", status).cells
    items = reporting.report_items(con, fw, None, as_of)
    period_items = items[(items["period_end"] >= period.start) & (items["period_end"] <= period.end)]
    uploads = reporting.uploads(con)
    old = snapshots.load(con, since) if since else snapshots.latest(con)
    comparison = None
    if old is not None:
        new = snapshots.live_state(con, fw, status=status, label="les données actuelles")
        comparison = snapshots.compare(con, fw, old, new)
    return Briefing(
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
        overrides_note=review.overrides_text(review.overrides(con)),
    )


def validation_note(waiting: int) -> str:
    """The pack's, and the meeting's, sentence on which figures count."""
    note = f"{review.VALIDATED_ONLY} uniquement"
    if waiting:
        note += f" ; {waiting} import(s) soumis par les partenaires, pas encore validés, n'y sont pas comptés"
    return note + "."


# ------------------------------------------------------------------ tables shared by the PDF and the workbook


def tile_figures(d: Briefing) -> list[tuple[str, float | int | None, int | None, str, str]]:
    """(label, figure, out of, kind, explanation) of the headline tiles, as numbers: `kind` is
    "count" or "share" (a fraction); `out of` the whole a count is part of, or None. The
    workbook writes these as numbers; `tiles` words them for the PDF and the meeting."""
    counts = d.status["status"].value_counts()
    n = len(d.fw.indicators)
    expected = int(d.period_summary["expected"].sum())
    received = int(d.period_summary["received"].sum())
    late = int(d.period_summary["late"].sum())
    served = int((d.cells["state"] != coverage.Gap.NOT_SERVED).sum())
    out: list[tuple[str, float | int | None, int | None, str, str]] = [
        (label, int(counts.get(s, 0)), n, "count", "indicateurs") for s, label in STATUS_LABELS.items()
    ]
    out += [
        (
            f"Rapports {d.period.code} reçus",
            received / expected if expected else None,
            None,
            "share",
            f"{received} sur {expected} attendus, dont {late} en retard",
        ),
        ("Cellules servies", served, len(d.cells), "count", "dimension × clé, par au moins un indicateur"),
        ("Valeurs retenues", d.n_values, None, "count", f"issues de {len(d.uploads)} rapports"),
        (
            "Retards (programme)",
            int((d.items["status"] == reporting.Timeliness.LATE).sum()),
            None,
            "count",
            f"rapports reçus après {d.fw.reporting_deadline_days} jours ; "
            f"{int((d.items['status'] == 'overdue').sum())} manquants",
        ),
    ]
    return out


def tiles(d: Briefing) -> list[tuple[str, str, str]]:
    """(label, value, explanation) of the headline tiles, worded: « 31 / 50 », « 91 % »."""
    out = []
    for label, figure, whole, kind, explanation in tile_figures(d):
        if kind == "share":
            value = fmt_percent(figure)
        elif whole is not None:
            value = f"{figure} / {whole}"
        else:
            value = fmt_number(figure)
        out.append((label, value, explanation))
    return out


def dimension_table(d: Briefing) -> pd.DataFrame:
    """Per dimension: number of indicators in each status, and keys served (as on the home page)."""
    return coverage.dimension_table(d.fw, d.status)


def _value(v: float | None, unit: str) -> str:
    if v is None or v != v:
        return "–"
    decimals = 1 if (unit.strip() == "%" or abs(v) < 100) and v % 1 else 0
    return fmt_number(v, decimals) + (" %" if unit.strip() == "%" else "")


def indicators_table(d: Briefing, dimension: str | None = None) -> pd.DataFrame:
    """The indicators (of one dimension) with their latest value, target, progress and status."""
    codes = [i.code for i in d.fw.indicators if dimension is None or dimension in i.dimensions]
    st = d.status.set_index("indicator")
    rows = []
    for code in codes:
        ind = d.fw.indicator(code)
        # one row: the status table has one per indicator
        r = cast("pd.Series[Any]", st.loc[code]) if code in st.index else None
        status = r["status"] if r is not None else IndicatorStatus.NO_DATA
        rows.append(
            {
                "Code": code,
                "Indicateur": ind.label,
                "Dernière période": label_of(r["latest_period"] if r is not None else None, d.fw.calendar),
                "Dernière valeur": _value(r["latest_value"] if r is not None else None, ind.unit),
                "Cible": _value(r["target"] if r is not None else None, ind.unit) if r is not None else "–",
                "Échéance": label_of(r["target_period"] if r is not None else None, d.fw.calendar),
                "Progression": fmt_percent(r["progress"] if r is not None else None),
                "Statut": f"{STATUS_SYMBOLS[status]} {STATUS_LABELS[status]}",
                "_status": status,
            }
        )
    return pd.DataFrame(rows)


def analysis_of(d: Briefing, code: str) -> dict[str, Any] | None:
    """The coordinator's analysis of an indicator for its assessed period, else its latest."""
    row = d.status[d.status["indicator"] == code]
    period = row["latest_period"].iloc[0] if not row.empty else None
    return analyses.find(d.analyses, code, period if isinstance(period, str) else None) or analyses.latest_for(
        d.analyses, code
    )


def behind_target(d: Briefing, dimension: str | None = None) -> list[tuple[str, str, dict[str, Any] | None]]:
    """(code, status, analysis) of the indicators (of one dimension) off track, then at risk:
    each one the committee discusses, with what the coordinator wrote about it."""
    codes = {i.code for i in d.fw.indicators if dimension is None or dimension in i.dimensions}
    out: list[tuple[str, str, dict[str, Any] | None]] = []
    for s in BEHIND:
        for code in d.status[(d.status["status"] == s) & d.status["indicator"].isin(codes)]["indicator"]:
            out.append((str(code), s, analysis_of(d, str(code))))
    return out


def analyses_table(d: Briefing) -> pd.DataFrame:
    """Every indicator behind target with its analysis (or the lack of one): the workbook sheet."""
    rows = [
        {
            "Code": code,
            "Indicateur": d.fw.indicator(code).label,
            "Statut": f"{STATUS_SYMBOLS[s]} {STATUS_LABELS[s]}",
            "Analyse du coordinateur": a["body"] if a else "Pas encore d'analyse",
            "Écrite par": analyses.signature(a, d.fw) if a else "",
        }
        for code, s, a in behind_target(d)
    ]
    return pd.DataFrame(rows, columns=["Code", "Indicateur", "Statut", "Analyse du coordinateur", "Écrite par"])


def new_analyses(d: Briefing) -> pd.DataFrame:
    """Analyses written since the compared snapshot's date (all of them without a snapshot)."""
    frame = d.analyses
    if d.comparison is not None and d.comparison.old.taken_on is not None and not frame.empty:
        frame = frame[pd.to_datetime(frame["written_at"]).dt.date > d.comparison.old.taken_on]
    return frame


def quality_notes(d: Briefing) -> list[str]:
    """Short French sentences for the data-quality page."""
    notes = []
    late = d.items[d.items["status"] == reporting.Timeliness.LATE]
    overdue = d.items[d.items["status"] == reporting.Timeliness.OVERDUE]
    if not late.empty:
        by_op = late.groupby("operator").size().sort_values(ascending=False)
        worst = ", ".join(f"{d.fw.label('operators', str(o))} ({n})" for o, n in by_op.head(3).items())
        notes.append(
            f"{len(late)} rapport(s) attendu(s) reçu(s) après le délai de {d.fw.reporting_deadline_days} "
            f"jours ; surtout : {worst}."
        )
    never = set(zip(d.never["operator"], d.never["indicator"], strict=True))
    overdue = overdue[[(o, i) not in never for o, i in zip(overdue["operator"], overdue["indicator"], strict=True)]]
    if not overdue.empty:
        for (op, col), part in overdue.groupby(["operator", "column"]):
            notes.append(
                f"{d.fw.label('operators', str(op))} n'a rien transmis pour {len(part)} indicateur(s) attendu(s) "
                f"en {col} (échéance dépassée le {fmt_date(part['deadline'].max())})."
            )
    for op, part in d.never.groupby("operator", sort=False):
        codes = ", ".join(part["indicator"])
        notes.append(f"{d.fw.label('operators', str(op))} n'a jamais déclaré : {codes}.")
    no_data = d.status[d.status["status"] == IndicatorStatus.NO_DATA]["indicator"].tolist()
    if no_data:
        notes.append(
            f"{len(no_data)} indicateur(s) sans aucune valeur : {', '.join(no_data)}. Leur statut est "
            f"« {IndicatorStatus.NO_DATA.label} » : non déclaré n'est pas zéro."
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


def file_stem(d: Briefing | None = None, day: dt.date | None = None) -> str:
    """dossier_comite_2026-11-26: the name both files share."""
    day = day or (d.generated_at.date() if d else dt.date.today())
    return f"dossier_comite_{day:%Y-%m-%d}"
