"""Every located cell checked against the framework, all problems at once.

`TableReader` turns the rows of a located table into values (indicator, operator, zone,
audience, period, value, comment, sheet, cell) and collects, with their place and how to
fix them, the errors that refuse the file (unknown identifiers, unreadable or
out-of-programme periods, non-numbers, negative counts, percentages outside 0–100, the
same key twice with different values, formulas without a cached result) and the warnings
that let it through (ambiguous numbers, n.d. values, total rows, label not matching its
code, indicator outside the operator's responsibilities).

One rule set for both layouts (long: a value column; wide: a column per period) and for
both ways through a table: a value cell is read by `check_value` under its indicator's
rule (`IndicatorCell.rule`), whether the bulk path decides column by column that a row
earns no message or the cell-by-cell path words the messages of the rows that do; and a
value is stored in one place, `TableReader._keep`.

The rules live in `value_rules`, the framework's codes in `resolver`, the cell-by-cell path
in `cells` (`CellReader`, which `TableReader` extends with the bulk path). Checks that need
the database (a value far from the previous period's) are in `import_warnings`, run by the
importer.
"""

from __future__ import annotations

import bisect
import collections
import itertools
from typing import Any, NamedTuple, cast

from ardenne_kpi.core.periods import Period
from ardenne_kpi.intake.cells import TOTAL_WORDS, CellReader
from ardenne_kpi.intake.locate import LONG, cell_ref, column_letter
from ardenne_kpi.intake.value_rules import (
    ANY,
    BLANK,
    COUNT,
    FULL,
    PERCENT,
    IndicatorCell,
    Outcomes,
    quiet_value,
    value_rule,
)
from ardenne_kpi.intake.values import is_blank, normalise, text_of

# A row's state on the bulk path (besides FULL: it takes the cell-by-cell path).
_SKIP, _BULK, _ONCE = object(), object(), object()


class _Bulk(NamedTuple):
    """The cells a table keeps in bulk, in row order then column order, with their keys, and
    what `run` needs to hand a slice of them to `_keep`."""

    at_row: list[int]  # each cell's data row (0: the first data row)
    at_col: list[int]  # each cell's value column (its index in the table's value columns)
    keys: list[tuple[Any, ...]]
    first: int  # the sheet row of the first data row
    outcomes: list[list[Any]]  # per value column, each row's outcome (the number, for bulk cells)
    letters: list[str]  # per value column
    comments: list[str | None] | None  # per row
    periods: dict[str, Period]

    def run(
        self, start: int, end: int
    ) -> tuple[list[tuple[Any, ...]], list[Any], list[str], list[str | None], dict[str, Period]]:
        """`_keep`'s arguments for the bulk cells start..end-1."""
        rows, cols = self.at_row[start:end], self.at_col[start:end]
        first, outcomes, letters, comments = self.first, self.outcomes, self.letters, self.comments
        if len(outcomes) == 1:
            found, letter = outcomes[0], letters[0]
            values = [found[i] for i in rows]
            cells = [f"{letter}{first + i + 1}" for i in rows]
        else:
            values = [outcomes[j][i] for i, j in zip(rows, cols, strict=True)]
            cells = [f"{letters[j]}{first + i + 1}" for i, j in zip(rows, cols, strict=True)]
        notes: list[str | None] = [None] * len(rows) if comments is None else [comments[i] for i in rows]
        return self.keys[start:end], values, cells, notes, self.periods


class TableReader(CellReader):
    """Reads the values of one located table into the report of its context: the bulk path,
    and the cell-by-cell path (`CellReader`) for the rows that earn a message."""

    # -- reading
    def read(self) -> int:
        """Read every data row; returns the number of values kept."""
        table, rows = self.table, self.sheet.rows
        if table.ignored_columns:
            listed = ", ".join(f"« {text} » ({column_letter(c)})" for c, text in table.ignored_columns[:8])
            more = "…" if len(table.ignored_columns) > 8 else ""
            self.warning(
                cell_ref(table.header_row, table.ignored_columns[0][0]),
                f"colonne(s) ignorée(s) : {listed}{more}. Seules les colonnes reconnues sont importées "
                "(indicateur, période, zone, public, valeur, commentaire).",
            )
        cols = self.cols
        value_cols: list[tuple[int, Period | None]]
        if table.layout == LONG:
            value_cols = [(cols["value"], None)]
        else:
            value_cols = list(table.period_columns.items())
        self._value_cols = value_cols
        start = len(self.ctx.report)
        self._fast_read(rows, value_cols)
        if table.layout == LONG and cols.get("numerator") is not None and cols.get("denominator") is not None:
            self._components(rows, start)
        return self.count

    def _fast_read(self, rows: list[list[Any]], value_cols: list[tuple[int, Period | None]]) -> None:
        """Every data row, in order, read column by column: the key cells resolved once per
        distinct cell (a few hundred for 100 000 rows), the value cells checked by
        `check_value` once per distinct (rule, cell). The values of rows that earn no message
        are kept in bulk; any other row goes, in row order between those runs, through
        `_row`, the cell-by-cell path that writes the messages. Both layouts alike: a long
        table has one value column, a wide one a column per period."""
        first = self.table.first_data_row
        data = rows[first:]
        if not data:
            return
        n = len(data)
        cols = self.cols
        cc = cols.get("comment")
        used = [c for c in (*cols.values(), *(c for c, _ in value_cols)) if c is not None]
        width = max(used) + 1
        lengths = set(map(len, data))
        if len(lengths) > 1 or min(lengths) < width:  # calamine's rows are even; any other reader's may not be
            width = max(width, *lengths)
            data = [row if len(row) == width else [*row, *[""] * (width - len(row))] for row in data]
        # one list per column used (a comprehension per column: four times faster than zip(*data))
        columns = {c: [row[c] for row in data] for c in sorted(set(used))}
        defaults = self.defaults

        def column(name: str) -> list[Any]:
            c = cols.get(name)
            return [""] * n if c is None else columns[c]

        # -- the key cells of each row: the indicator, the period (long layout), zone, audience, operator
        ind_col, label_col = column("indicator"), column("label")
        # one memo per key column, name reused: the indicators', then the periods', zones'...
        memo: dict[Any, Any] = {
            pair: self._resolve_indicator(*pair) for pair in set(zip(ind_col, label_col, strict=True))
        }
        indicators: list[IndicatorCell | None] = [memo[pair] for pair in zip(ind_col, label_col, strict=True)]
        long = self.table.layout == LONG
        periods: dict[str, Period] = {p.code: p for _, p in value_cols if p is not None}
        if long:
            memo = {}
            for raw in set(column("period")):
                period, problem = (
                    (cast("Period | None", defaults.get("period")), "") if is_blank(raw) else self._period_lookup(raw)
                )
                memo[raw] = None if problem else period
                if period is not None and not problem:
                    periods[period.code] = period
            row_periods = list(map(memo.__getitem__, column("period")))
        else:
            row_periods = [None] * n  # each value column has its period
        codes: list[Any] = []
        for name, _col, default in self.code_columns:
            memo = {}
            for raw in set(column(name)):
                if is_blank(raw):
                    memo[raw] = defaults.get(name, default)
                else:
                    code, problem = self._code(name, raw)
                    memo[raw] = FULL if problem else code
            codes.append(list(map(memo.__getitem__, column(name))))
        zones, audiences, operators = codes
        comments = [None if c == "" else (text_of(c) or None) for c in column("comment")] if cc is not None else None

        # -- the value cells: each column's outcomes, by the one rule set
        rules = [ANY if ind is None else ind.rule for ind in indicators]
        closer = {
            (r - first, c) for r, c in (*self.sheet.percent_cells, *self.sheet.uncached_formulas) if r >= first
        }  # a percentage format changes the reading; a formula without result has its own message
        outcomes = []
        for c, _period in value_cols:
            found = self._outcomes(rules, columns[c])
            for i, c2 in closer:
                if c2 == c and i < n:
                    found[i] = FULL
            outcomes.append(found)

        # -- each row's state: skipped (nothing reported), full path, bulk, or bulk once the
        # first row of its kind has given the once-per-file warnings (label, responsibility)
        reported = [x is not BLANK for x in outcomes[0]]
        quiet = [x is not FULL for x in outcomes[0]]
        for found in outcomes[1:]:
            reported = [r or x is not BLANK for r, x in zip(reported, found, strict=True)]
            quiet = [q and x is not FULL for q, x in zip(quiet, found, strict=True)]
        state = [
            _SKIP
            if not rep
            else FULL
            if (not ok or ind is None or (long and per is None) or z is FULL or a is FULL or o is FULL or o is None)
            else _BULK
            if ind.label_warning is None and o in ind.operators
            else _ONCE
            for rep, ok, ind, per, z, a, o in zip(
                reported, quiet, indicators, row_periods, zones, audiences, operators, strict=True
            )
        ]
        pending = [i for i, s in enumerate(state) if s is _ONCE]
        if pending:
            # The first row of each (indicator, label, operator) takes the full path, which gives
            # its once-per-file warnings; the rows after it have nothing left to say.
            groups = [  # a pending row has its indicator (FULL otherwise)
                (ind.code, ind.label_warning, operators[i]) for i in pending if (ind := indicators[i]) is not None
            ]
            firsts = dict(zip(reversed(groups), reversed(pending), strict=True))  # the earliest wins
            for i in pending:
                state[i] = _BULK
            for i in firsts.values():
                state[i] = FULL

        # -- the bulk cells, in row order then column order, and their keys
        m = len(value_cols)
        bulk_rows = [i for i, s in enumerate(state) if s is _BULK]
        if m == 1:
            at_row = [i for i in bulk_rows if outcomes[0][i] is not BLANK]
            at_col = [0] * len(at_row)
        else:
            flat = sorted(i * m + j for j, found in enumerate(outcomes) for i in bulk_rows if found[i] is not BLANK)
            at_row, at_col = [f // m for f in flat], [f % m for f in flat]
        codes = [None if ind is None else ind.code for ind in indicators]
        if long:
            keys = [(codes[i], operators[i], zones[i], audiences[i], row_periods[i].code) for i in at_row]
        else:
            column_periods = [p.code for _, p in value_cols if p is not None]  # a wide table's columns have theirs
            keys = [
                (codes[i], operators[i], zones[i], audiences[i], column_periods[j])
                for i, j in zip(at_row, at_col, strict=True)
            ]
        seen, distinct = self.ctx.seen, set(keys)
        clash = set(seen.keys() & distinct) if seen else set()
        if len(distinct) < len(keys):
            clash |= {k for k, count in collections.Counter(keys).items() if count > 1}
        if clash:  # the same key twice, or already read: the full path says which cells
            for i, k in zip(at_row, keys, strict=True):
                if k in clash:
                    state[i] = FULL
            kept = [k for k, i in enumerate(at_row) if state[i] is _BULK]
            at_row, at_col, keys = [at_row[k] for k in kept], [at_col[k] for k in kept], [keys[k] for k in kept]

        # -- bulk runs and full-path rows, in row order
        letters = [self.letters.get(c) or self.letters.setdefault(c, column_letter(c)) for c, _ in value_cols]
        bulk = _Bulk(at_row, at_col, keys, first, outcomes, letters, comments, periods)
        taken: set[tuple[Any, ...]] = set()  # bulk keys the full path kept first (a bulk run must not take them again)
        start = 0
        for i in [i for i, s in enumerate(state) if s is FULL] + [n]:
            end = bisect.bisect_left(at_row, i, start)
            if start < end:
                if taken and not taken.isdisjoint(keys[start:end]):
                    self._careful_run(bulk, start, end, rows)
                else:
                    self._keep(*bulk.run(start, end))
            if i < n:
                taken |= self._full(first + i, rows) & distinct
            start = end

    def _careful_run(self, bulk: _Bulk, start: int, end: int, rows: list[list[Any]]) -> None:
        """A bulk run holding a key that the full path already took (rare): each row whose keys
        are all new is kept as it is, any other goes through the full path."""
        for i, group in itertools.groupby(range(start, end), key=bulk.at_row.__getitem__):
            ks = list(group)
            if any(bulk.keys[k] in self.ctx.seen for k in ks):
                self._full(bulk.first + i, rows)
            else:
                self._keep(*bulk.run(ks[0], ks[-1] + 1))

    def _outcomes(self, rules: list[int], values: list[Any]) -> list[Any]:
        """Each value cell's outcome under its row's rule: the number to keep, BLANK (nothing
        reported) or FULL (a message is due). Decided once per distinct cell and rule."""
        if bool in set(map(type, values)):  # True == 1 as a key: each cell on its own
            return [quiet_value(rule, raw) for rule, raw in zip(rules, values, strict=True)]
        memos = [Outcomes(rule) for rule in (ANY, COUNT, PERCENT)]
        try:
            return [memos[rule][raw] for rule, raw in zip(rules, values, strict=True)]
        except TypeError:  # an unhashable cell (no reader gives one)
            return [quiet_value(rule, raw) for rule, raw in zip(rules, values, strict=True)]

    def _resolve_indicator(self, ind_raw: object, label_raw: object) -> IndicatorCell | None:
        """What an indicator cell pair that raises no error reads its values against, or None
        when its rows need the full path (unknown indicator, no indicator, a total row)."""
        if type(ind_raw) is bool or type(label_raw) is bool:
            return None  # True == 1 in dictionary keys: leave such cells to the full path
        name_text = text_of(ind_raw) or text_of(label_raw)
        if not name_text or normalise(name_text).startswith(TOTAL_WORDS):
            return None
        code, severity, _column, _message = self._indicator(ind_raw, label_raw)
        if code is None or severity == "error":
            return None
        indicator = self.ctx.framework.indicator(code)
        label_warning = ("label", code, label_raw) if severity == "warning" else None
        return IndicatorCell(code, value_rule(indicator), frozenset(indicator.operators), label_warning)
