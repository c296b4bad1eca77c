"""What people say about the figures: the partners' comments on the values they report, and
the coordinator's analysis of each indicator for a period (« Analyse du coordinateur »),
written before a committee and shown on Tendances, in the meeting mode and in the pack."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Any, cast

import duckdb
import pandas as pd

from ardenne_kpi.core import accounts
from ardenne_kpi.core.accounts import User
from ardenne_kpi.core.errors import AnalysisError
from ardenne_kpi.core.format import clean_text, fmt_number
from ardenne_kpi.core.indicator_status import BEHIND
from ardenne_kpi.core.periods import label_of, period_from_code
from ardenne_kpi.db import analyses as sql
from ardenne_kpi.framework import Framework

MAX_CHARS = 2_000  # an analysis is read aloud in a meeting: a paragraph, not a report
ANALYSIS_COLUMNS = ["indicator", "period", "body", "written_by", "written_at"]


def write(
    con: duckdb.DuckDBPyConnection,
    fw: Framework,
    user: User,
    indicator: str,
    period: str,
    body: str,
    *,
    now: dt.datetime | None = None,
) -> None:
    """Save the coordinator's analysis of `indicator` for `period`. Only the coordination
    (admin) may: anyone else gets an AccessError, and nothing is written."""
    accounts.check_admin(user, "écrire l'analyse du coordinateur")
    if indicator not in {i.code for i in fw.indicators}:
        raise AnalysisError(f"L'indicateur « {indicator} » n'existe pas dans le référentiel.")
    period_from_code(period, fw.calendar)  # a PeriodError says what is wrong with it
    text = clean_text(body or "").strip()
    if not text:
        raise AnalysisError("L'analyse est vide : écrivez quelques phrases pour le comité.")
    if len(text) > MAX_CHARS:
        raise AnalysisError(
            f"L'analyse dépasse {fmt_number(MAX_CHARS)} caractères : raccourcissez-la, elle sera lue en réunion."
        )
    sql.insert_analysis(
        con,
        indicator=indicator,
        period=period,
        body=text,
        written_by=user.name,
        written_at=(now or dt.datetime.now()).replace(microsecond=0),
    )


def current(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The analysis that counts for each (indicator, period): the latest written."""
    return sql.latest_analyses(con)


def find(analyses: pd.DataFrame, indicator: str, period: str | None) -> dict[str, Any] | None:
    """The analysis of `indicator` for `period` (None when there is none)."""
    if period is None or analyses.empty:
        return None
    match = analyses[(analyses["indicator"] == indicator) & (analyses["period"] == period)]
    return None if match.empty else _record(match.iloc[-1])


def latest_for(analyses: pd.DataFrame, indicator: str) -> dict[str, Any] | None:
    """The latest analysis of `indicator`, whatever its period (None when there is none)."""
    if analyses.empty:
        return None
    match = analyses[analyses["indicator"] == indicator]
    return None if match.empty else _record(match.sort_values("written_at").iloc[-1])


def _record(row: pd.Series) -> dict[str, Any]:
    """An analysis row as a dict, by column name."""
    return cast(dict[str, Any], row.to_dict())


def signature(analysis: dict[str, Any], fw: Framework) -> str:
    """« Anne, le 12/11/2026 · T3 2019 »: who wrote it, when, about which period."""
    when = pd.Timestamp(analysis["written_at"]).strftime("%d/%m/%Y")
    return f"{analysis['written_by'] or 'coordination'}, le {when} · {period_label(fw, analysis['period'])}"


def period_label(fw: Framework, code: str | None) -> str:
    """The French label of a period code (« T3 2019 »)."""
    return label_of(code, fw.calendar)


def missing(status: pd.DataFrame, analyses: pd.DataFrame) -> pd.DataFrame:
    """Indicators off track (then at risk) whose latest assessed period has no analysis yet:
    what the coordinator should write before the meeting. Columns: indicator, label,
    status, latest_period."""
    behind = status[status["status"].isin(BEHIND)]
    have = set() if analyses.empty else set(zip(analyses["indicator"], analyses["period"], strict=True))
    unwritten = [(c, p) not in have for c, p in zip(behind["indicator"], behind["latest_period"], strict=True)]
    rows = behind[pd.Series(unwritten, index=behind.index, dtype=bool)]  # a bare empty list would pick columns
    order = {s: n for n, s in enumerate(BEHIND)}
    rows = rows.assign(_o=rows["status"].map(order)).sort_values(["_o", "indicator"], kind="stable")
    return rows[["indicator", "label", "status", "latest_period"]].reset_index(drop=True)


def missing_items(status: pd.DataFrame, analyses: pd.DataFrame) -> list[tuple[Any, ...]]:
    """`missing` as a list of (indicator, label, status, latest_period) rows, for a page to list."""
    return list(missing(status, analyses).itertuples(index=False))


def missing_line(fw: Framework, todo: pd.DataFrame) -> str:
    """One sentence for the coordinator (the command line): the indicators off track, then at
    risk, without an analysis, as the home page and Tendances list them."""
    if todo.empty:
        return "Chaque indicateur en retard ou à surveiller a son analyse du coordinateur."
    groups = []
    for status, label in ((s, s.label.lower()) for s in BEHIND):
        part = todo[todo["status"] == status]
        if not part.empty:
            names = ", ".join(
                f"{c} ({period_label(fw, p)})" for c, p in zip(part["indicator"], part["latest_period"], strict=True)
            )
            groups.append(f"{label} : {names}")
    return f"{len(todo)} indicateur(s) en retard ou à surveiller sans analyse du coordinateur — {' ; '.join(groups)}."


def comments_table(fw: Framework, comments: pd.DataFrame, decimals: int = 0, unit: str = "") -> pd.DataFrame:
    """Partners' comments beside the value they explain, in French (period label, names)."""
    suffix = " %" if unit.strip() == "%" else ""
    return pd.DataFrame(
        {
            "Période": [period_label(fw, p) for p in comments["period"]],
            "Opérateur": [fw.label("operators", o) for o in comments["operator"]],
            "Zone": [fw.label("zones", z) for z in comments["zone"]],
            "Valeur": [fmt_number(v, decimals) + suffix for v in comments["value"]],
            "Commentaire du partenaire": comments["comment"].astype(str).tolist(),
        }
    )


def partner_comments(
    con: duckdb.DuckDBPyConnection,
    fw: Framework,
    indicator: str,
    *,
    operators: list[str] | None = None,
    zones: Collection[str] | None = None,
    submitted: bool = False,
) -> pd.DataFrame:
    """The values that count now for `indicator` (validated, or submitted too) and carry a partner's comment."""
    return sql.partner_comments(
        con, indicator, list(operators) if operators else None, list(zones) if zones else None, submitted
    )
