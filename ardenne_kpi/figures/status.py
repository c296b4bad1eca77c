"""Every indicator's status at a period (the one shown by every page), its counts, and the
small readers of a trend (reported periods, a period's note, the uploads of a lineage).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any, Protocol, cast

import duckdb
import pandas as pd

from ardenne_kpi.core.indicator_status import STATUS_ORDER, IndicatorStatus
from ardenne_kpi.db import kpis as sql
from ardenne_kpi.figures.grains import INDICATOR_STATUS_COLUMNS, _filter, _indicator, display_grain, evaluation_grain
from ardenne_kpi.figures.placement import _due, _root_zone
from ardenne_kpi.figures.rollup import _aggregate_many, _trend_frames
from ardenne_kpi.figures.targets import expected_value, next_target, pace, progress, status_of
from ardenne_kpi.framework import Framework


def indicator_status(
    con: duckdb.DuckDBPyConnection,
    fw: Framework,
    *,
    as_of: dt.date | None = None,
    operators: Iterable[str] | None = None,
    zones: Iterable[str] | None = None,
    audiences: Iterable[str] | None = None,
    window: tuple[dt.date, dt.date] | None = None,
    codes: Sequence[str] | None = None,
    submitted: bool = False,
) -> pd.DataFrame:
    """One row per framework indicator (or per code in `codes`): where it is, against what, and its status.

    The latest value is the latest complete period at the evaluation grain; it is compared
    with the expected value at that period's end and with the next target due. With no
    complete period, the latest partial value is shown (complete = False) without progress
    or status: a partial figure is never judged.
    """
    codes = [i.code for i in fw.indicators] if codes is None else list(codes)
    grains = {c: evaluation_grain(_indicator(fw, c), fw) for c in codes}
    flt = _filter(fw, codes, operators, zones, audiences, as_of, window, submitted)
    return _status(con, fw, codes, _aggregate_many(con, fw, grains, flt), flt)


def status_and_trends(
    con: duckdb.DuckDBPyConnection,
    fw: Framework,
    codes: Sequence[str],
    grain: str,
    *,
    operators: Iterable[str] | None = None,
    zones: Iterable[str] | None = None,
    submitted: bool = False,
) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """What the Tendances page shows: `indicator_status(codes=codes)` (the whole portfolio) and
    `trends(codes, grain, operators=, zones=)`, computed together. An indicator shown at its
    evaluation grain, unfiltered, has the very figures its status was judged on: they are
    rolled up once, and only the other indicators a second time."""
    codes = list(codes)
    judged = {c: evaluation_grain(_indicator(fw, c), fw) for c in codes}
    flt = _filter(fw, codes, submitted=submitted)
    stored = sql.stored_periods(con, flt, None, _root_zone(fw))
    due = _due(con, fw, codes, flt, None)
    agg = _aggregate_many(con, fw, judged, flt, stored=stored, due=due)
    status = _status(con, fw, codes, agg, flt)
    shown = {c: display_grain(fw.indicator(c), grain) for c in codes}
    again = {c: g for c, g in shown.items() if operators or zones or g != judged[c]}
    if again:
        more = _filter(fw, list(again), operators, zones, submitted=submitted)
        # Unfiltered, the stored periods and what is due are the same whatever the grain: read once.
        same = not (operators or zones)
        again_agg = _aggregate_many(con, fw, again, more, stored=stored if same else None, due=due if same else None)
        agg = pd.concat([agg[~agg["indicator"].isin(list(again))], again_agg])
    return status, _trend_frames(fw, agg[agg["indicator"].isin(codes)])


def _status(
    con: duckdb.DuckDBPyConnection, fw: Framework, codes: list[str], agg: pd.DataFrame, flt: sql.ValueFilter
) -> pd.DataFrame:
    """indicator_status's rows, from the indicators' figures at their evaluation grain (`agg`)."""
    info = sql.value_groups(con, flt).set_index("indicator")
    # The latest complete period of each indicator, else its latest partial one.
    valued = agg[agg["value"].notna()]
    whole = valued[valued["complete"].astype(bool)]
    latest = pd.concat([valued.groupby("indicator").tail(1), whole.groupby("indicator").tail(1)])
    # by indicator code, then column name
    picks = cast(
        dict[str, dict[str, Any]],
        latest.drop_duplicates("indicator", keep="last").set_index("indicator").to_dict("index"),
    )
    infos = cast(dict[str, dict[str, Any]], info.to_dict("index")) if not info.empty else {}
    rows = []
    for code in codes:
        ind = fw.indicator(code)
        row = dict(
            indicator=code,
            label=ind.label,
            unit=ind.unit,
            latest_period=None,
            latest_value=float("nan"),
            baseline=ind.baseline.value,
            target=ind.final_target.value,
            target_period=ind.final_target.period.code,
            expected=float("nan"),
            progress=float("nan"),
            status=IndicatorStatus.NO_DATA,
            n_values=0,
            operators="",
            last_upload_id=None,
            complete=False,
            pace=float("nan"),
            note="Aucune valeur déclarée.",
        )
        pick = picks.get(code)
        if pick is not None:
            day = pick["period_end"]
            target = next_target(ind, day)
            inf = infos[code]
            row.update(
                latest_period=pick["period"],
                latest_value=float(pick["value"]),
                target=target.value,
                target_period=target.period.code,
                expected=expected_value(ind, day),
                complete=bool(pick["complete"]),
                n_values=int(inf["n_values"]),
                operators=inf["operators"] or "",
                last_upload_id=int(inf["last_upload_id"]),
                note=pick["note"],
            )
            if pick["complete"]:
                share = pace(ind, pick["value"], day)
                row.update(progress=progress(ind, pick["value"], target), pace=share, status=status_of(fw, share))
            else:
                row.update(note="Aucune période complète : dernière valeur partielle, sans statut. " + pick["note"])
        rows.append(row)
    return pd.DataFrame(rows, columns=INDICATOR_STATUS_COLUMNS)


def status_counts(status: pd.DataFrame) -> dict[str, int]:
    """How many indicators in each status, in display order (for tiles and captions)."""
    counts = status["status"].value_counts() if not status.empty else pd.Series(dtype=int)
    return {s: int(counts.get(s, 0)) for s in STATUS_ORDER}


def has_values(status: pd.DataFrame) -> bool:
    """Whether any indicator of `indicator_status` has a stored value."""
    return bool(status["n_values"].sum() != 0)


def status_row(status: pd.DataFrame, indicator_code: str) -> pd.Series:
    """One indicator's row of `indicator_status`."""
    row: pd.Series = status.set_index("indicator").loc[indicator_code]  # type: ignore[assignment]  # pandas-stubs: or a frame, for a repeated label
    return row


def reported(trend: pd.DataFrame) -> pd.DataFrame:
    """The periods of a trend (`trends`) that hold values, in its order."""
    return trend[trend["n_values"] > 0]


def period_note(trend: pd.DataFrame, period_code: str) -> str:
    """What a trend says of one of its periods (what is missing, what was set aside)."""
    return cast(str, trend.set_index("period").loc[period_code, "note"])  # the note column holds text


class UploadRow(Protocol):
    """A row of a lineage (`lineage`) as `itertuples` gives it: the fields its uploads are read by."""

    upload_id: int
    file_name: str
    stored_path: str


def lineage_uploads(lineage_df: pd.DataFrame) -> list[UploadRow]:
    """The uploads behind a lineage (`lineage`) whose original file was kept, once each, in its order:
    rows with upload_id and file_name among their fields."""
    kept = lineage_df[lineage_df["stored_path"].notna()].drop_duplicates("upload_id")
    return list(cast(Iterable[UploadRow], kept.itertuples(index=False)))
