"""Brand-platform coherence: the scores partners gave the 7 elements of the Ardenne brand
platform (E1..E7, 1 to 5), as the Marque page reads them (per operator and period, evolution),
and the demo's scores. Reading a report's sheet is `intake.brand_sheet`; the figures are
`charts.brand`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import duckdb
import pandas as pd

from ardenne_kpi import db
from ardenne_kpi.core.errors import PeriodError
from ardenne_kpi.core.periods import parse_period, period_containing
from ardenne_kpi.db import brand as sql
from ardenne_kpi.framework import Framework
from ardenne_kpi.intake.brand_sheet import (  # noqa: F401 - the sheet's reading, still reachable as brand.*
    SCORE_COLUMNS,
    SHEET_NAME,
    changed_scores,
    is_brand_sheet,
    read_sheet,
    rollback_upload,
    store,
    template_rows,
)

# ------------------------------------------------------------------ reading for the page


def scores(con: duckdb.DuckDBPyConnection, fw: Framework, *, submitted: bool = False) -> pd.DataFrame:
    """The scores that count now (validated ones; with `submitted`, those partners submitted
    too), with French labels for operators, elements and periods."""
    df = sql.current_scores(con, submitted=submitted)
    df["operator_label"] = df["operator"].map(lambda c: fw.label("operators", c))
    df["element_label"] = df["element"].map(lambda c: fw.label("brand_elements", c))
    df["period_label"] = df["period"].map(lambda c: _period_label(fw, c))
    return df


def period_labels(df: pd.DataFrame) -> dict[str, str]:
    """The periods that have scores, oldest first: code → French label (the page's choices)."""
    periods = df.drop_duplicates("period").sort_values("period_start")
    return dict(zip(periods["period"], periods["period_label"], strict=True))


def scores_table(df: pd.DataFrame) -> pd.DataFrame:
    """Scores with their comments and sources, French headers; no comment is an empty cell
    (a table draws a missing text « None »)."""
    table = df[["operator_label", "element", "element_label", "score", "comment", "file_name", "cell"]]
    table = table.assign(comment=table["comment"].fillna(""), cell=table["cell"].fillna(""))
    return table.rename(
        columns={
            "operator_label": "Opérateur",
            "element": "Code",
            "element_label": "Élément",
            "score": "Note",
            "comment": "Commentaire",
            "file_name": "Fichier",
            "cell": "Cellule",
        }
    )


def _period_label(fw: Framework, code: str) -> str:
    try:
        return parse_period(code, fw.calendar).label_fr
    except PeriodError:
        return code


def grid(df: pd.DataFrame, fw: Framework, period: str) -> pd.DataFrame:
    """Operators × elements scores for one period (operators in framework order, NaN = not scored)."""
    part = df[df["period"] == period]
    table = part.pivot_table(index="operator", columns="element", values="score", aggfunc="last")
    ops = [o.code for o in fw.operators if o.code in table.index]
    elements = [e.code for e in fw.brand_elements]
    return table.reindex(index=ops, columns=elements)


@dataclass(frozen=True)
class PeriodSummary:
    """The scores of one period and their headline figures."""

    scores: pd.DataFrame  # the period's rows of `scores()`
    n_operators: int  # operators who scored
    mean: float | None  # mean score, None when nobody scored
    weakest: tuple[str, float] | None  # (element, mean score) of the lowest-scored element


def period_summary(df: pd.DataFrame, period: str) -> PeriodSummary:
    """Headline figures of one period's scores (for the Marque page)."""
    part = df[df["period"] == period]
    if part.empty:
        return PeriodSummary(part, 0, None, None)
    by_element = part.groupby("element")["score"].mean().sort_values()
    return PeriodSummary(
        part,
        int(part["operator"].nunique()),
        float(part["score"].mean()),
        (str(by_element.index[0]), float(by_element.iloc[0])),
    )


def evolution(df: pd.DataFrame, fw: Framework, operator: str | None = None) -> pd.DataFrame:
    """Mean score per period and element (one operator, or the mean over operators): long frame
    period, period_start, element, element_label, score, n_operators."""
    part = df if operator is None else df[df["operator"] == operator]
    if part.empty:
        return pd.DataFrame(columns=["period", "period_start", "element", "element_label", "score", "n_operators"])
    out = part.groupby(["period", "period_start", "element"], as_index=False).agg(
        score=("score", "mean"), n_operators=("operator", "nunique")
    )
    out["element_label"] = out["element"].map(lambda c: fw.label("brand_elements", c))
    return out.sort_values(["period_start", "element"], ignore_index=True)


# ------------------------------------------------------------------ demo


def demo_scores(fw: Framework) -> pd.DataFrame:
    """Deterministic scores for the demo: each operator every second programme semester from
    S03, slowly improving, with one low spot; columns as SCORE_COLUMNS plus file_name."""
    rng = random.Random(20190401)
    semesters = [s for s in fw.calendar.semesters][2::2]
    rows = []
    for n, op in enumerate(fw.operators):
        base = 2.2 + (n % 4) * 0.35
        for k, sem in enumerate(semesters):
            quarter = period_containing(sem.end, "quarter", fw.calendar)
            assert quarter is not None  # the calendar's quarters cover its semesters
            for j, e in enumerate(fw.brand_elements):
                level = base + 0.35 * k + (0.6 if j in (0, 2) else 0) - (0.9 if j == 6 else 0)
                score = max(1, min(5, round(level + rng.uniform(-0.6, 0.6))))
                comment = "Charte graphique pas encore déclinée" if (j == 5 and score <= 2) else None
                rows.append(
                    (
                        op.code,
                        sem.code,
                        sem.start,
                        sem.end,
                        e.code,
                        score,
                        comment,
                        SHEET_NAME,
                        f"C{6 + j}",
                        f"rapport_{op.code}_{quarter.code}.xlsx",
                    )
                )
    return pd.DataFrame(rows, columns=SCORE_COLUMNS + ["file_name"])


def create_demo_scores(con: duckdb.DuckDBPyConnection, fw: Framework) -> int:
    """Attach demo scores to the demo reports they would have come with; returns how many were written."""
    df = demo_scores(fw)
    written = 0
    with db.transaction(con) as tx:
        for file_name, part in df.groupby("file_name", sort=False):
            upload_id = sql.upload_named(con, str(file_name))
            if upload_id is None:
                continue  # the operator sent no report that quarter
            written += sql.write_scores(tx, part[SCORE_COLUMNS], int(upload_id))
    return written
