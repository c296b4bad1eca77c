"""SQL behind the reminders: the record of every reminder sent by e-mail."""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from ardenne_kpi.db import query_df, transaction


def record(
    con: duckdb.DuckDBPyConnection, rows: list[tuple[str, str, str, str, int, str | None, str]], sent_at: dt.datetime
) -> None:
    """Record sendings: (operator, recipient, period, subject, n_missing, sent_by, outcome), in one transaction."""
    with transaction(con) as cur:
        cur.executemany(
            "INSERT INTO reminders_sent (operator, recipient, period, subject, n_missing, sent_at, "
            "sent_by, outcome) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(*r[:5], sent_at, *r[5:]) for r in rows],
        )


def history(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every reminder sent, newest first."""
    return query_df(
        con,
        """SELECT operator, recipient, period, subject, n_missing, sent_at, sent_by, outcome
                            FROM reminders_sent ORDER BY sent_at DESC, id DESC""",
    )
