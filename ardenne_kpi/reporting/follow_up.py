"""Reporting follow-up: which reports the framework expects, which arrived, and when.

What is expected comes from the operators' obligations (framework.Obligation, their periods
from `expected.obligation_periods`: by default the indicator's grain from its project's start
to its end, within `reporting_deadline_days`). An operator with no obligation for an
indicator is never missing for it.

Completeness counts uploads, not promises: an (operator, indicator, period) is received when
a value that counts now gives every series its obligation owes (each zone and audience, as
itself or inside a wider place); otherwise the places still missing are named. Timeliness
compares the first upload that brought it with the deadline: the period's end plus the
obligation's days.

A report belongs to the window its period ENDS in (as in the coverage view), so a yearly
value is never counted in two semesters.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol, cast

import duckdb
import numpy as np
import pandas as pd
from pandas.io.formats.style import Styler

from ardenne_kpi.core.periods import Period, period_containing
from ardenne_kpi.core.upload_state import UploadStatus
from ardenne_kpi.core.vocabulary import Term
from ardenne_kpi.db import reporting as sql
from ardenne_kpi.framework import Framework, expected, owed


class Delivery(Term):
    """What an operator delivered for one period: a cell of the follow-up matrix. Okabe–Ito, as
    the coverage heatmap: told apart by colour-blind readers and on a projector."""

    RECEIVED = "received", "Reçu", "#0072B2", "✔"
    PARTIAL = "partial", "Partiel", "#E69F00", "◐"
    MISSING = "missing", "Manquant", "#D55E00", "✘"
    PENDING = "pending", "Attendu (délai en cours)", "#CCCCCC", "…"
    NONE = "none", "Rien d'attendu", "#FFFFFF", ""


class Timeliness(Term):
    """When one expected report arrived, against its deadline."""

    ON_TIME = "on_time", "Reçu dans le délai"
    LATE = "late", "Reçu en retard"
    OVERDUE = "overdue", "Manquant, délai dépassé"
    PENDING = "pending", "Attendu, délai en cours"


CELL_STATES = Delivery.codes()
CELL_LABELS = Delivery.labels()
CELL_COLORS = Delivery.colours()
CELL_MARKS = Delivery.marks()
ITEM_STATES = Timeliness.codes()
ITEM_LABELS = Timeliness.labels()

ITEM_COLUMNS = [
    "operator",
    "indicator",
    "period",
    "period_end",
    "deadline",
    "column",
    "received",
    "uploaded_at",
    "first_upload_id",
    "late",
    "status",
    "missing",
]


# ------------------------------------------------------------------ what is expected


def _window(fw: Framework, window: Period | tuple[dt.date, dt.date] | None) -> tuple[dt.date, dt.date]:
    if window is None:
        return fw.calendar.start, fw.calendar.end
    if isinstance(window, Period):
        return window.start, window.end
    return window


def _today() -> dt.date:
    return dt.date.today()


def expected_reports(
    fw: Framework, window: Period | tuple[dt.date, dt.date] | None = None, as_of: dt.date | None = None
) -> pd.DataFrame:
    """(operator, indicator, period) the framework expects: each operator's obligations ×
    their periods ending inside `window` and by `as_of` (today by default).

    Columns: operator, indicator, period, period_end, deadline, column (the programme
    semester the period ends in: the column of the follow-up matrix).
    """
    start, end = _window(fw, window)
    as_of = as_of or _today()
    cal = fw.calendar
    rows = []
    for ob in fw.obligations:
        for p in expected.obligation_periods(fw, ob):
            if start <= p.end <= end and p.end <= as_of:
                semester = period_containing(p.end, "programme-semester", cal)
                deadline = p.end + dt.timedelta(days=ob.deadline_days)
                rows.append((ob.operator, ob.indicator, p.code, p.end, deadline, semester.code if semester else p.code))
    return pd.DataFrame(
        rows, columns=["operator", "indicator", "period", "period_end", "deadline", "column"]
    ).drop_duplicates(["operator", "indicator", "period"], ignore_index=True)


def report_items(
    con: duckdb.DuckDBPyConnection,
    fw: Framework,
    window: Period | tuple[dt.date, dt.date] | None = None,
    as_of: dt.date | None = None,
) -> pd.DataFrame:
    """One row per expected report with what arrived: `received`, `uploaded_at` (first
    arrival), `late` and `status` (on_time, late, overdue, pending — see ITEM_LABELS)."""
    as_of = as_of or _today()
    expected = expected_reports(fw, window, as_of)
    start, end = _window(fw, window)
    got = sql.received(con, start, end)
    items = expected.merge(
        got[["operator", "indicator", "period", "uploaded_at", "first_upload_id", "places"]],
        on=["operator", "indicator", "period"],
        how="left",
    )
    items["missing"] = _missing_places(fw, items)
    # received when every series the obligation owes arrived (a zone, an audience): as the figures say
    items["received"] = items["uploaded_at"].notna() & (items["missing"] == "")
    arrived = pd.to_datetime(items["uploaded_at"]).dt.normalize()
    deadline = pd.to_datetime(items["deadline"])
    items["late"] = items["received"] & (arrived > deadline)
    overdue = pd.Timestamp(as_of) > deadline
    items["status"] = Timeliness.PENDING.value
    items.loc[~items["received"] & overdue, "status"] = Timeliness.OVERDUE.value
    items.loc[items["received"], "status"] = Timeliness.ON_TIME.value
    items.loc[items["late"], "status"] = Timeliness.LATE.value
    return items[ITEM_COLUMNS]


def _missing_places(fw: Framework, items: pd.DataFrame) -> list[str]:
    """Per report item, the series its obligation owes (owed.obligation_keys) that no
    current value gives, as itself or inside a wider place of the same report: « BE-NAM »,
    « FR-08 · NL »; '' when nothing arrived (the whole report is missing) or everything did."""
    inside = fw.within
    owed_of: dict[tuple[str, str], list[tuple[str, str]]] = {}
    out = []
    for op, code, places in zip(items["operator"], items["indicator"], items["places"], strict=True):
        if not isinstance(places, list | tuple | np.ndarray) or len(places) == 0:
            out.append("")
            continue
        if (op, code) not in owed_of:
            ob = fw.obligation(op, code)
            owed_of[(op, code)] = owed.obligation_keys(fw, ob) if ob is not None else []
        given = [(zone, audience) for zone, _, audience in (str(p).partition("|") for p in places)]
        lacking = [(z, a) for z, a in owed_of[(op, code)] if not any(inside((z, a), place) for place in given)]
        out.append(", ".join(f"{z} · {a}" if a else z for z, a in lacking))
    return out


# ------------------------------------------------------------------ summaries


def completeness(
    con: duckdb.DuckDBPyConnection,
    fw: Framework,
    window: Period | tuple[dt.date, dt.date] | None = None,
    as_of: dt.date | None = None,
) -> pd.DataFrame:
    """Per operator: expected and received reports for the window, their share, how many
    arrived late and how many are missing past the deadline.

    Columns: operator, label, expected, received, late, overdue, pending, share, on_time_share.
    """
    items = report_items(con, fw, window, as_of)
    return summarise(items, fw)


def summarise(items: pd.DataFrame, fw: Framework) -> pd.DataFrame:
    """Per-operator counts of report items (see `completeness`), operators in framework order."""
    ops = [o.code for o in fw.operators if o.code in set(items["operator"])]
    out = pd.DataFrame({"operator": ops})
    grouped = items.groupby("operator")
    out["expected"] = out["operator"].map(grouped.size()).fillna(0).astype(int)
    for name, mask in (
        ("received", items["received"]),
        ("late", items["late"]),
        ("overdue", items["status"] == Timeliness.OVERDUE),
        ("pending", items["status"] == Timeliness.PENDING),
    ):
        out[name] = out["operator"].map(mask.groupby(items["operator"]).sum()).fillna(0).astype(int)
    due = out["expected"] - out["pending"]
    out["share"] = (out["received"] / out["expected"]).where(out["expected"] > 0)
    out["on_time_share"] = ((out["received"] - out["late"]) / due).where(due > 0)
    out["label"] = out["operator"].map(lambda c: fw.label("operators", c))
    return out[["operator", "label", "expected", "received", "late", "overdue", "pending", "share", "on_time_share"]]


def items_within(items: pd.DataFrame, period: Period) -> pd.DataFrame:
    """The report items (`report_items`) whose period ends within `period` (a semester chosen on a page)."""
    within: pd.DataFrame = items[(items["period_end"] >= period.start) & (items["period_end"] <= period.end)]
    return within


@dataclass(frozen=True)
class Totals:
    """A summary's counts over every operator (`summarise`): the page's headline tiles."""

    expected: int
    received: int
    late: int
    overdue: int
    pending: int


def totals(summary: pd.DataFrame) -> Totals:
    """The counts of `summarise`, added up over the operators."""
    return Totals(*(int(summary[name].sum()) for name in ("expected", "received", "late", "overdue", "pending")))


def completeness_table(summary: pd.DataFrame) -> pd.DataFrame:
    """`completeness` with French headers and formatted shares, for pages, the pack and exports."""
    from ardenne_kpi.core.format import fmt_percent

    return pd.DataFrame(
        {
            "Opérateur": summary["label"],
            "Attendus": summary["expected"],
            "Reçus": summary["received"],
            "Complétude": summary["share"].map(fmt_percent),
            "En retard": summary["late"],
            "Manquants (délai dépassé)": summary["overdue"],
            "Ponctualité": summary["on_time_share"].map(fmt_percent),
        }
    )


def matrix(items: pd.DataFrame, fw: Framework) -> pd.DataFrame:
    """The operator × period follow-up matrix, long: one row per (operator, column) with
    expected, received, late, overdue, pending counts, `state` (CELL_STATES) and `timeliness`
    ("late" when any report of the cell arrived late, "on_time", or "")."""
    if items.empty:
        return pd.DataFrame(
            columns=["operator", "column", "expected", "received", "late", "overdue", "pending", "state", "timeliness"]
        )
    # counted in whole columns: a Python function per group (or per row) cost a tenth of a second
    keys = [items["operator"], items["column"]]
    g = items.groupby(["operator", "column"])
    cells = pd.DataFrame(
        {
            "expected": g.size(),
            "received": g["received"].sum(),
            "late": g["late"].sum(),
            "overdue": (items["status"] == Timeliness.OVERDUE).groupby(keys).sum().astype("int64"),
            "pending": (items["status"] == Timeliness.PENDING).groupby(keys).sum().astype("int64"),
        }
    ).reset_index()
    received, expected = cells["received"].to_numpy(), cells["expected"].to_numpy()
    cells["state"] = np.select(
        [received == expected, received > 0, cells["overdue"].to_numpy() > 0],
        [Delivery.RECEIVED.value, Delivery.PARTIAL.value, Delivery.MISSING.value],
        Delivery.PENDING.value,
    ).tolist()
    cells["timeliness"] = [
        (Timeliness.LATE.value if late else Timeliness.ON_TIME.value) if received else ""
        for late, received in zip(cells["late"], cells["received"], strict=True)
    ]
    return cells


class _CellRow(Protocol):
    """A row of the follow-up matrix (`matrix`), as `itertuples` gives it."""

    operator: str
    column: str
    state: str
    expected: int
    received: int
    late: int


class _WarningRow(Protocol):
    """A row of the uploads frame that `warning_messages` reads."""

    upload_id: int
    file_name: str
    messages: str | None


def matrix_grid(cells: pd.DataFrame, fw: Framework, *, labels: bool = True) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(text grid, state grid): operators as rows (framework order), periods as columns.

    The text reads without colour: "✔ 12/12", "◐ 5/12 · 2R" (2 received late), "✘ 0/8": short,
    so that a cell stays whole on a projector.
    """
    if cells.empty:
        return pd.DataFrame(), pd.DataFrame()
    order = [s.code for s in fw.calendar.semesters]
    columns = sorted(set(cells["column"]), key=lambda c: (order.index(c) if c in order else len(order), c))
    ops = [o.code for o in fw.operators if o.code in set(cells["operator"])]
    # gathered in dicts, then framed: a .loc assignment per cell cost a third of a millisecond
    texts, states = {}, {}
    for row in cast(Iterable[_CellRow], cells.itertuples(index=False)):
        note = f" · {row.late}R" if row.late else ""
        texts[row.operator, row.column] = f"{CELL_MARKS[row.state]} {row.received}/{row.expected}{note}".strip()
        states[row.operator, row.column] = row.state
    text = pd.DataFrame([[texts.get((o, c), "") for c in columns] for o in ops], index=ops, columns=columns)
    state = pd.DataFrame(
        [[states.get((o, c), Delivery.NONE.value) for c in columns] for o in ops], index=ops, columns=columns
    )
    if labels:
        names = {c: fw.label("operators", c) for c in ops}
        text.index = [names[c] for c in ops]
        state.index = text.index
    return text, state


def never_reported_by_operator(never: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    """`never_reported` per operator, in its order: (operator label, French table of its indicators)."""
    return [
        (
            part["operator_label"].iloc[0],
            part[["indicator", "indicator_label", "frequency", "n_due"]].rename(
                columns={
                    "indicator": "Code",
                    "indicator_label": "Indicateur",
                    "frequency": "Fréquence",
                    "n_due": "Périodes échues",
                }
            ),
        )
        for _operator, part in never.groupby("operator", sort=False)
    ]


def never_reported(con: duckdb.DuckDBPyConnection, fw: Framework, as_of: dt.date | None = None) -> pd.DataFrame:
    """Per operator, the indicators it is responsible for, was due to report, and never reported.

    Columns: operator, operator_label, indicator, indicator_label, frequency, n_due.
    """
    items = report_items(con, fw, None, as_of)
    due = items[items["status"] != Timeliness.PENDING]
    g = due.groupby(["operator", "indicator"]).agg(n_due=("period", "size"), n_received=("received", "sum"))
    never = g[g["n_received"] == 0].reset_index()
    op_order = {o.code: i for i, o in enumerate(fw.operators)}
    ind_order = {i.code: n for n, i in enumerate(fw.indicators)}
    never = never.sort_values(
        ["operator", "indicator"], key=lambda s: s.map(op_order if s.name == "operator" else ind_order)
    ).reset_index(drop=True)
    never["operator_label"] = never["operator"].map(lambda c: fw.label("operators", c))
    never["indicator_label"] = never["indicator"].map(lambda c: fw.label("indicators", c))
    never["frequency"] = never["indicator"].map(lambda c: fw.indicator(c).frequency)
    return never[["operator", "operator_label", "indicator", "indicator_label", "frequency", "n_due"]]


def late_reports(items: pd.DataFrame, fw: Framework) -> pd.DataFrame:
    """Late and overdue reports grouped by operator and period, for the data-quality notes:
    operator, label, column, status, n, max_delay_days (days past the deadline)."""
    bad = items[items["status"].isin([Timeliness.LATE, Timeliness.OVERDUE])].copy()
    if bad.empty:
        return pd.DataFrame(columns=["operator", "label", "column", "status", "n", "max_delay_days"])
    arrived = pd.to_datetime(bad["uploaded_at"]).dt.normalize()
    bad["delay"] = (arrived - pd.to_datetime(bad["deadline"])).dt.days
    out = bad.groupby(["operator", "column", "status"], as_index=False).agg(
        n=("indicator", "size"), max_delay_days=("delay", "max")
    )
    out["label"] = out["operator"].map(lambda c: fw.label("operators", c))
    return out[["operator", "label", "column", "status", "n", "max_delay_days"]]


# ------------------------------------------------------------------ windows and dates


def last_closed_semester(fw: Framework, as_of: dt.date | None) -> Period:
    """The latest programme semester ended on or before `as_of` (the last one when None)."""
    semesters = list(fw.calendar.semesters)
    if as_of is None:
        return semesters[-1]
    closed = [s for s in semesters if s.end <= as_of]
    return closed[-1] if closed else semesters[0]


def latest_data(con: duckdb.DuckDBPyConnection) -> tuple[dt.date | None, dt.datetime | None]:
    """(end of the latest reported period, time of the latest upload)."""
    return sql.latest_data(con)


# ------------------------------------------------------------------ uploads and their warnings


def uploads(con: duckdb.DuckDBPyConnection, *, only_counting: bool = False) -> pd.DataFrame:
    """Every upload (or those current values come from) with counts: the sources of the figures."""
    return sql.uploads(con, only_counting=only_counting)


def uploads_table(frame: pd.DataFrame, fw: Framework) -> pd.DataFrame:
    """The uploads with French headers, for the annex and the pages."""
    status = {s: s.label for s in (UploadStatus.IMPORTED, UploadStatus.DEMO, UploadStatus.ROLLED_BACK)}
    return pd.DataFrame(
        {
            "N°": frame["upload_id"].astype(int),
            "Fichier": frame["file_name"],
            "Opérateur": frame["operator"].map(lambda c: fw.label("operators", c) if isinstance(c, str) else ""),
            "Déposé le": pd.to_datetime(frame["uploaded_at"]).dt.strftime("%d/%m/%Y"),
            "Par": frame["uploaded_by"].fillna(""),
            "État": frame["status"].map(lambda s: status.get(s, s)),
            "Valeurs retenues": frame["n_current"].astype(int),
            "Avertissements": frame["warnings"].fillna(0).astype(int),
        }
    )


def warning_messages(frame: pd.DataFrame) -> pd.DataFrame:
    """The import warnings stored with each upload, one row per message: upload_id, file_name, message.

    `messages` holds a JSON list of strings or of {sheet, cell, message} objects.
    """
    rows = []
    for row in cast(Iterable[_WarningRow], frame.itertuples(index=False)):
        if not isinstance(row.messages, str) or not row.messages.strip():
            continue
        try:
            messages = json.loads(row.messages)
        except ValueError:
            messages = [row.messages]
        for m in messages if isinstance(messages, list) else [messages]:
            text = m.get("message", "") if isinstance(m, dict) else str(m)
            if isinstance(m, dict) and m.get("sheet") and m.get("cell") and m.get("sheet") not in text:
                text = f"Feuille « {m['sheet']} », cellule {m['cell']} : {text}"
            rows.append((int(row.upload_id), row.file_name, text))
    return pd.DataFrame(rows, columns=["upload_id", "file_name", "message"])


def deadline_text(fw: Framework) -> str:
    special = sorted({o.deadline_days for o in fw.declared_obligations} - {fw.reporting_deadline_days})
    if not special:
        return f"{fw.reporting_deadline_days} jours après la fin de la période"
    return (
        f"{fw.reporting_deadline_days} jours après la fin de la période "
        f"(obligations particulières : {', '.join(map(str, special))} jours, voir le référentiel)"
    )


def follow_up_grid(
    con: duckdb.DuckDBPyConnection,
    fw: Framework,
    as_of: dt.date | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The Suivi page's operator × semester grid, (text, state) as matrix_grid gives them, from
    the expected reports as of `as_of`: one call, so that a page caches it by data revision."""
    return matrix_grid(matrix(report_items(con, fw, None, as_of), fw), fw)


def matrix_style(text: pd.DataFrame, state: pd.DataFrame) -> Styler:
    """The follow-up grid as a pandas Styler: each cell coloured by its state (the text keeps
    the ✔ ◐ ✘ marks, so the colour is never the only signal)."""
    ink = {Delivery.RECEIVED: "white", Delivery.MISSING: "white"}

    def colours(_: pd.DataFrame) -> pd.DataFrame:
        styles: pd.DataFrame = state.apply(
            lambda col: col.map(lambda s: f"background-color: {CELL_COLORS[s]}; color: {ink.get(s, 'black')}")
        )
        return styles

    return text.style.apply(colours, axis=None)


def semester_choices(fw: Framework, as_of: dt.date | None = None) -> list[Period]:
    """The programme semesters already ended (the ones a completeness table can be asked for)."""
    as_of = as_of or _today()
    return [s for s in fw.calendar.semesters if s.end <= as_of] or [fw.calendar.semesters[0]]
