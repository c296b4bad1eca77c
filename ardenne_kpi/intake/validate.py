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

Checks that need the database (a value far from the previous period's) are in
`history_issues`, run by the importer.
"""

from __future__ import annotations

import bisect
import collections
import functools
import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from ardenne_kpi.core.errors import PeriodError
from ardenne_kpi.core.periods import Period, parse_period
from ardenne_kpi.framework import Framework, Indicator
from ardenne_kpi.intake.locate import LONG, Table, cell_ref, column_letter
from ardenne_kpi.intake.model import IssueList, ParsedReport, where
from ardenne_kpi.intake.values import (
    EMPTY,
    INVALID,
    MISSING,
    NUMBER,
    Reading,
    fr,
    is_blank,
    normalise,
    read_number,
    text_of,
)
from ardenne_kpi.intake.workbook import Sheet

ALL_ZONES = "ARD"
ALL_AUDIENCES = ""

_ZONE_ALIASES = ("ardenne", "toute l ardenne", "toutes zones", "toutes les zones", "toutes", "ensemble", "total", "all")
_AUDIENCE_ALIASES = (
    "tous",
    "tous publics",
    "tous les publics",
    "tout public",
    "ensemble",
    "total",
    "all",
    "toutes cibles",
    "toutes",
)
_COUNT_UNITS = ("nb", "nombre", "nuit", "visit", "km", "contact", "session", "article", "participant", "personne")
_TOTAL_WORDS = ("total", "sous total", "totaux", "grand total", "somme", "sum")
_IDENTITY = ("indicator", "operator", "zone", "audience", "period")

# A value cell's outcome on the bulk path, besides the number it holds, and a row's state.
_BLANK = object()  # nothing reported in the cell
_FULL = object()  # a cell (or a key cell) that earns a message: its row takes the cell-by-cell path
_SKIP, _BULK, _ONCE = object(), object(), object()


def _key(text: str) -> str:
    return normalise(text)


def _compact(text: str) -> str:
    return normalise(text).replace(" ", "")


# ------------------------------------------------------------------ the value rules
#
# One rule set for every reading path: `check_value` reads a value cell under its
# indicator's rule. The bulk path (`TableReader._fast_read`) applies it once per distinct
# (rule, cell) of a column and keeps the numbers it passes without a word; the
# cell-by-cell path (`TableReader._value`) applies it to each cell that earns a message
# and words the message.

ANY, COUNT, PERCENT = 0, 1, 2  # what an indicator's values may be: any finite number, a count, a percentage


class IndicatorCell(NamedTuple):
    """An indicator cell (code and label columns) resolved without error: what the values of
    its row are read against."""

    code: str
    rule: int  # ANY, COUNT or PERCENT (`value_rule`)
    operators: frozenset[str]  # the operators responsible for it
    label_warning: tuple | None  # the once-per-file key of its label-mismatch warning; None: the label matches


def value_rule(indicator: Indicator | None) -> int:
    """PERCENT for a % indicator, COUNT for counts of things, ANY otherwise (and when unknown)."""
    if indicator is None:
        return ANY
    return PERCENT if indicator.is_percent else COUNT if is_count(indicator) else ANY


def check_value(rule: int, raw: object, percent_format: bool = False) -> tuple[Reading, str]:
    """A value cell read under its indicator's `rule`: the reading (a NUMBER, with the warning
    on how it was read if any; EMPTY; MISSING; INVALID) and the rule a NUMBER breaks: ""
    (none), "percent" (outside 0–100) or "negative" (a count below zero)."""
    reading = read_number(raw, percent_indicator=rule == PERCENT, percent_format=percent_format, count=rule == COUNT)
    if reading.kind != NUMBER:
        return reading, ""
    if rule == PERCENT and not 0 <= reading.value <= 100:
        return reading, "percent"
    if rule == COUNT and reading.value < 0:
        return reading, "negative"
    return reading, ""


def _quiet_value(rule: int, raw: object) -> float | object:
    """The number a cell (not percentage-formatted) holds when `check_value` passes it without
    a word; _BLANK for an empty cell; _FULL when it earns a message."""
    if is_blank(raw):
        return _BLANK
    reading, broken = check_value(rule, raw)
    if reading.kind == NUMBER and not reading.note and not broken:
        return reading.value
    return _FULL


class _Outcomes(dict):
    """`_quiet_value` under one rule, memoised by cell: a look-up per cell, a call per distinct cell."""

    def __init__(self, rule: int) -> None:
        super().__init__()
        self.rule = rule

    def __missing__(self, raw: object) -> float | object:
        found = self[raw] = _quiet_value(self.rule, raw)
        return found


class _Bulk(NamedTuple):
    """The cells a table keeps in bulk, in row order then column order, with their keys, and
    what `run` needs to hand a slice of them to `_keep`."""

    at_row: list[int]  # each cell's data row (0: the first data row)
    at_col: list[int]  # each cell's value column (its index in the table's value columns)
    keys: list[tuple]
    first: int  # the sheet row of the first data row
    outcomes: list[list]  # per value column, each row's outcome (the number, for bulk cells)
    letters: list[str]  # per value column
    comments: list[str | None] | None  # per row
    periods: dict[str, Period]

    def run(self, start: int, end: int) -> tuple:
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
        notes = [None] * len(rows) if comments is None else [comments[i] for i in rows]
        return self.keys[start:end], values, cells, notes, self.periods


def is_count(indicator: Indicator) -> bool:
    """Counts of things (not averages): never negative, and `1,234` there means 1234."""
    return _is_count(indicator.unit, indicator.agg_time)


@functools.lru_cache(maxsize=256)
def _is_count(unit: str, agg_time: str) -> bool:
    return unit.strip() != "%" and agg_time != "mean" and normalise(unit).startswith(_COUNT_UNITS)


class Resolver:
    """Codes and labels of the framework, matched case- and accent-insensitively."""

    def __init__(self, framework: Framework) -> None:
        self.framework = framework

        def table(entries: Iterable, extra: Iterable[tuple[str, str]] = ()) -> dict[str, str]:
            out: dict[str, str] = {}
            for e in entries:
                out.setdefault(_key(e.label), e.code)
            for alias, code in extra:
                out.setdefault(_key(alias), code)
            for e in entries:  # codes win over labels
                out[_compact(e.code)] = e.code
                out[_key(e.code)] = e.code
            return out

        self.indicators = table(framework.indicators)
        self.zones = table(framework.zones, ((a, ALL_ZONES) for a in _ZONE_ALIASES))
        self.audiences = table(framework.audiences, ((a, ALL_AUDIENCES) for a in _AUDIENCE_ALIASES))
        self.operators = table(framework.operators)
        self._cache: dict[tuple[str, object], str | None] = {}

    def find(self, section: str, raw: object) -> str | None:
        """The code for a cell's text in `section` (indicators, zones, audiences, operators), or None."""
        key = (section, raw)
        if key in self._cache:
            return self._cache[key]
        text = text_of(raw)
        mapping = getattr(self, section)
        code = mapping.get(_key(text))
        if code is None:
            code = mapping.get(_compact(text))
        self._cache[key] = code
        return code

    def examples(self, section: str, n: int = 3) -> str:
        entries = getattr(self.framework, section)[:n]
        return ", ".join(f"{e.code} ({e.label})" for e in entries)


@dataclass
class Context:
    """What every table of one file shares: the framework, the file-level operator, the
    identities already seen (for duplicates) and the warnings given once per file."""

    framework: Framework
    resolver: Resolver
    issues: IssueList
    report: ParsedReport
    operator: str | None = None  # from the command line or the page, already resolved
    operator_source: str = ""
    seen: dict[tuple, tuple[float, str, str]] = field(default_factory=dict)
    once: set = field(default_factory=set)
    period_cache: dict = field(default_factory=dict)


class TableReader:
    """Reads the values of one located table into the report of its context."""

    def __init__(self, sheet: Sheet, table: Table, ctx: Context) -> None:
        self.sheet, self.table, self.ctx = sheet, table, ctx
        self.name = sheet.name
        self.issues = ctx.issues
        self.cols = table.columns
        self.letters: dict[int, str] = {}
        self.defaults = self._defaults()
        self.count = 0
        self.cp = self.cols.get("period")
        self.code_columns = (
            ("zone", self.cols.get("zone"), ALL_ZONES),
            ("audience", self.cols.get("audience"), ALL_AUDIENCES),
            ("operator", self.cols.get("operator"), None),
        )
        self._indicators: dict[tuple, tuple] = {}
        self._codes: dict[str, dict] = {"zone": {}, "audience": {}, "operator": {}}

    # -- helpers
    def ref(self, r: int, c: int) -> str:
        letters = self.letters.get(c)
        if letters is None:
            letters = self.letters[c] = column_letter(c)
        return f"{letters}{r + 1}"

    def error(self, cell: str, message: str) -> None:
        self.issues.error(self.name, cell, f"{where(self.name, cell)} : {message}")

    def warning(self, cell: str, message: str) -> None:
        self.issues.warning(self.name, cell, f"{where(self.name, cell)} : {message}")

    def period(self, raw: object, cell: str) -> Period | None:
        period, problem = self._period_lookup(raw)
        if period is None:
            self.error(cell, problem)
        return period

    def _period_lookup(self, raw: object) -> tuple[Period | None, str]:
        """(period, "") or (None, French problem) for a period cell, memoised per file."""
        cache = self.ctx.period_cache
        key = (type(raw), raw)
        found = cache.get(key)
        if found is None:
            calendar = self.ctx.framework.calendar
            try:
                value = raw.strip() if isinstance(raw, str) else raw
                if isinstance(value, float) and value.is_integer():
                    value = int(value)
                period = parse_period(value, calendar)
            except PeriodError as exc:
                found = (None, f"{exc.message}")
            except (ValueError, TypeError, OverflowError):
                found = (
                    None,
                    f"« {text_of(raw)} » n'est pas une période reconnue. Écrivez par exemple "
                    "2019-S1, T3 2019, S05, juillet 2019 ou 01/10/2018 - 31/03/2019.",
                )
            else:
                if period.end < calendar.start or period.start > calendar.end:
                    found = (
                        None,
                        f"la période {period.label_fr} est en dehors du programme "
                        f"({calendar.start:%d/%m/%Y} – {calendar.end:%d/%m/%Y}). Vérifiez l'année.",
                    )
                else:
                    found = (period, "")
            cache[key] = found
        return found

    def _defaults(self) -> dict[str, object]:
        """File-wide values from the title block, resolved; errors at their cells."""
        ctx, out = self.ctx, {}
        meta = self.table.metadata
        if "operator" in meta:
            raw, cell = meta["operator"]
            code = ctx.resolver.find("operators", raw)
            if code is None:
                self.error(
                    cell,
                    f"opérateur « {text_of(raw)} » inconnu. Indiquez le code ou le nom exact d'un "
                    f"opérateur du référentiel, par exemple {ctx.resolver.examples('operators')}.",
                )
            elif ctx.operator and code != ctx.operator:
                self.error(
                    cell,
                    f"l'opérateur du rapport ({code}) n'est pas celui choisi pour l'import "
                    f"({ctx.operator}, {ctx.operator_source}). Corrigez le rapport ou choisissez "
                    "le bon opérateur.",
                )
            else:
                out["operator"] = code
        if "period" in meta:
            raw, cell = meta["period"]
            period = self.period(raw, cell)
            if period is not None:
                out["period"] = period
        for name, section, label in (("zone", "zones", "zone"), ("audience", "audiences", "public")):
            if name in meta:
                raw, cell = meta[name]
                code = ctx.resolver.find(section, raw)
                if code is None:
                    self.error(
                        cell,
                        f"{label} « {text_of(raw)} » inconnu(e). Utilisez un code ou un libellé "
                        f"du référentiel, par exemple {ctx.resolver.examples(section)}.",
                    )
                else:
                    out[name] = code
        if "operator" not in out and ctx.operator:
            out["operator"] = ctx.operator
        return out

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

    def _components(self, rows: list[list], start: int) -> None:
        """A ratio's numerator and denominator, read from the row of each value of this table.

        Only for indicators declared as ratios; a component missing or unreadable leaves the
        value unweighted (said once), and a ratio that disagrees with its components by more
        than 1 % is flagged, since the dashboard computes the ratio from them.
        """
        out = self.ctx.report.columns
        size = len(out["value"])
        for name in ("numerator", "denominator"):
            out.setdefault(name, [])
            out[name].extend([None] * (size - len(out[name])))
        cn, cd = self.cols["numerator"], self.cols["denominator"]
        for k in range(start, size):
            ind = self.ctx.framework.by_code["indicators"].get(out["indicator"][k])
            if ind is None or not ind.is_ratio:
                continue
            r = int("".join(ch for ch in out["cell"][k] if ch.isdigit())) - 1
            row = rows[r]
            found = []
            for c in (cn, cd):
                raw = row[c] if c < len(row) else ""
                reading = read_number(raw)
                found.append(reading.value if reading.kind == NUMBER else None)
            num, den = found
            if num is None or den is None or den == 0:
                if any(not is_blank(row[c] if c < len(row) else "") for c in (cn, cd)):
                    self.warning(
                        cell_ref(r, cd),
                        f"{ind.code} : numérateur ou dénominateur illisible ou nul : "
                        "la valeur est gardée mais ne peut pas être pondérée.",
                    )
                continue
            ratio = num / den * ind.ratio_scale
            if abs(ratio - out["value"][k]) > 0.01 * max(abs(ratio), 1e-9):
                self.warning(
                    cell_ref(r, cn),
                    f"{ind.code} : la valeur {fr(out['value'][k])} ne correspond pas à "
                    f"{fr(num)} / {fr(den)} = {fr(ratio)}. Le tableau de bord calcule le "
                    "ratio à partir des composantes : vérifiez-les.",
                )
            out["numerator"][k], out["denominator"][k] = num, den

    def _fast_read(self, rows: list[list], value_cols: list[tuple[int, Period | None]]) -> None:
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

        def column(name: str) -> list:
            c = cols.get(name)
            return [""] * n if c is None else columns[c]

        # -- the key cells of each row: the indicator, the period (long layout), zone, audience, operator
        ind_col, label_col = column("indicator"), column("label")
        memo: dict = {pair: self._resolve_indicator(*pair) for pair in set(zip(ind_col, label_col, strict=True))}
        indicators: list[IndicatorCell | None] = [memo[pair] for pair in zip(ind_col, label_col, strict=True)]
        long = self.table.layout == LONG
        periods: dict[str, Period] = {p.code: p for _, p in value_cols if p is not None}
        if long:
            memo = {}
            for raw in set(column("period")):
                period, problem = (defaults.get("period"), "") if is_blank(raw) else self._period_lookup(raw)
                memo[raw] = None if problem else period
                if period is not None and not problem:
                    periods[period.code] = period
            row_periods = list(map(memo.__getitem__, column("period")))
        else:
            row_periods = [None] * n  # each value column has its period
        codes = []
        for name, _col, default in self.code_columns:
            memo = {}
            for raw in set(column(name)):
                if is_blank(raw):
                    memo[raw] = defaults.get(name, default)
                else:
                    code, problem = self._code(name, raw)
                    memo[raw] = _FULL if problem else code
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
                    found[i] = _FULL
            outcomes.append(found)

        # -- each row's state: skipped (nothing reported), full path, bulk, or bulk once the
        # first row of its kind has given the once-per-file warnings (label, responsibility)
        reported = [x is not _BLANK for x in outcomes[0]]
        quiet = [x is not _FULL for x in outcomes[0]]
        for found in outcomes[1:]:
            reported = [r or x is not _BLANK for r, x in zip(reported, found, strict=True)]
            quiet = [q and x is not _FULL for q, x in zip(quiet, found, strict=True)]
        state = [
            _SKIP
            if not rep
            else _FULL
            if (not ok or ind is None or (long and per is None) or z is _FULL or a is _FULL or o is _FULL or o is None)
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
            groups = [(indicators[i].code, indicators[i].label_warning, operators[i]) for i in pending]
            firsts = dict(zip(reversed(groups), reversed(pending), strict=True))  # the earliest wins
            for i in pending:
                state[i] = _BULK
            for i in firsts.values():
                state[i] = _FULL

        # -- the bulk cells, in row order then column order, and their keys
        m = len(value_cols)
        bulk_rows = [i for i, s in enumerate(state) if s is _BULK]
        if m == 1:
            at_row = [i for i in bulk_rows if outcomes[0][i] is not _BLANK]
            at_col = [0] * len(at_row)
        else:
            flat = sorted(i * m + j for j, found in enumerate(outcomes) for i in bulk_rows if found[i] is not _BLANK)
            at_row, at_col = [f // m for f in flat], [f % m for f in flat]
        codes = [None if ind is None else ind.code for ind in indicators]
        if long:
            keys = [(codes[i], operators[i], zones[i], audiences[i], row_periods[i].code) for i in at_row]
        else:
            column_periods = [p.code for _, p in value_cols]
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
                    state[i] = _FULL
            kept = [k for k, i in enumerate(at_row) if state[i] is _BULK]
            at_row, at_col, keys = [at_row[k] for k in kept], [at_col[k] for k in kept], [keys[k] for k in kept]

        # -- bulk runs and full-path rows, in row order
        letters = [self.letters.get(c) or self.letters.setdefault(c, column_letter(c)) for c, _ in value_cols]
        bulk = _Bulk(at_row, at_col, keys, first, outcomes, letters, comments, periods)
        taken: set = set()  # bulk keys the full path kept first (a bulk run must not take them again)
        start = 0
        for i in [i for i, s in enumerate(state) if s is _FULL] + [n]:
            end = bisect.bisect_left(at_row, i, start)
            if start < end:
                if taken and not taken.isdisjoint(keys[start:end]):
                    self._careful_run(bulk, start, end, rows)
                else:
                    self._keep(*bulk.run(start, end))
            if i < n:
                taken |= self._full(first + i, rows) & distinct
            start = end

    def _careful_run(self, bulk: _Bulk, start: int, end: int, rows: list[list]) -> None:
        """A bulk run holding a key that the full path already took (rare): each row whose keys
        are all new is kept as it is, any other goes through the full path."""
        for i, group in itertools.groupby(range(start, end), key=bulk.at_row.__getitem__):
            ks = list(group)
            if any(bulk.keys[k] in self.ctx.seen for k in ks):
                self._full(bulk.first + i, rows)
            else:
                self._keep(*bulk.run(ks[0], ks[-1] + 1))

    def _outcomes(self, rules: list[int], values: list) -> list:
        """Each value cell's outcome under its row's rule: the number to keep, _BLANK (nothing
        reported) or _FULL (a message is due). Decided once per distinct cell and rule."""
        if bool in set(map(type, values)):  # True == 1 as a key: each cell on its own
            return [_quiet_value(rule, raw) for rule, raw in zip(rules, values, strict=True)]
        memos = [_Outcomes(rule) for rule in (ANY, COUNT, PERCENT)]
        try:
            return [memos[rule][raw] for rule, raw in zip(rules, values, strict=True)]
        except TypeError:  # an unhashable cell (no reader gives one)
            return [_quiet_value(rule, raw) for rule, raw in zip(rules, values, strict=True)]

    def _keep(
        self,
        keys: list[tuple],
        values: list[float],
        cells: list[str],
        comments: list[str | None],
        periods: dict[str, Period],
    ) -> None:
        """Append values to the report, with their identity (`keys`), cells and comments: the one
        place a value is stored, for bulk runs and single cells alike. `periods` holds (at least)
        the periods of the keys."""
        out = self.ctx.report.columns
        parts = list(zip(*keys, strict=True))
        for name, part in zip(_IDENTITY, parts, strict=True):
            out[name].extend(part)
        out["value"].extend(values)
        out["comment"].extend(comments)
        out["sheet"].extend(itertools.repeat(self.name, len(values)))
        out["cell"].extend(cells)
        self.ctx.seen.update(zip(keys, zip(values, cells, itertools.repeat(self.name), strict=False), strict=True))
        known = self.ctx.report.periods
        for code in set(parts[4]) - known.keys():
            known[code] = periods[code]
        self.count += len(values)

    def _full(self, r: int, rows: list[list]) -> set[tuple]:
        """`_row`; returns the identities it kept."""
        out = self.ctx.report.columns
        before = len(out["value"])
        self._row(r, rows[r])
        return set(zip(*(out[c][before:] for c in _IDENTITY), strict=True))

    def _resolve_indicator(self, ind_raw: object, label_raw: object) -> IndicatorCell | None:
        """What an indicator cell pair that raises no error reads its values against, or None
        when its rows need the full path (unknown indicator, no indicator, a total row)."""
        if type(ind_raw) is bool or type(label_raw) is bool:
            return None  # True == 1 in dictionary keys: leave such cells to the full path
        name_text = text_of(ind_raw) or text_of(label_raw)
        if not name_text or normalise(name_text).startswith(_TOTAL_WORDS):
            return None
        code, severity, _column, _message = self._indicator(ind_raw, label_raw)
        if code is None or severity == "error":
            return None
        indicator = self.ctx.framework.indicator(code)
        label_warning = ("label", code, label_raw) if severity == "warning" else None
        return IndicatorCell(code, value_rule(indicator), frozenset(indicator.operators), label_warning)

    def _row(self, r: int, row: list) -> None:
        """One data row, cell by cell, with every message it deserves."""
        cols = self.cols
        ci, cl = cols.get("indicator"), cols.get("label")
        cc = cols.get("comment")
        uncached = self.sheet.uncached_formulas
        n = len(row)
        values = [(c, p, row[c] if c < n else "") for c, p in self._value_cols]
        if all((v == "" or is_blank(v)) and (r, c) not in uncached for c, _, v in values):
            return  # nothing reported on this row
        ind_raw = row[ci] if ci is not None and ci < n else ""
        label_raw = row[cl] if cl is not None and cl < n else ""
        name_text = text_of(ind_raw) or text_of(label_raw)
        if not name_text:
            self.warning(
                self.ref(r, ci if ci is not None else cl),
                f"ligne {r + 1} ignorée : elle contient une valeur mais aucun indicateur. "
                "Indiquez le code de l'indicateur ou supprimez la ligne.",
            )
            return
        if normalise(name_text).startswith(_TOTAL_WORDS):
            self.warning(
                self.ref(r, ci if ci is not None and text_of(ind_raw) else cl),
                f"ligne {r + 1} ignorée : c'est une ligne de total (« {name_text} »). Les totaux "
                "sont calculés par le tableau de bord.",
            )
            return
        comment = text_of(row[cc]) if cc is not None and cc < n else ""
        for c, period, raw in values:
            self._value(r, c, row, n, ind_raw, label_raw, period, raw, comment)

    def _indicator(self, ind_raw: object, label_raw: object) -> tuple[str | None, str, str, str]:
        """(code, "error"|"warning"|"", "indicator"|"label" column of the message, message), memoised."""
        key = (ind_raw, label_raw)
        found = self._indicators.get(key)
        if found is not None:
            return found
        ctx = self.ctx
        if text_of(ind_raw):
            code = ctx.resolver.find("indicators", ind_raw)
            if code is None:
                found = (
                    None,
                    "error",
                    "indicator",
                    f"indicateur « {text_of(ind_raw)} » inconnu. Utilisez le code d'un indicateur du "
                    f"référentiel (par exemple {ctx.resolver.examples('indicators', 2)}) ou son libellé exact.",
                )
            elif text_of(label_raw) and ctx.resolver.find("indicators", label_raw) != code:
                expected = ctx.framework.indicator(code).label
                found = (
                    code,
                    "warning",
                    "label",
                    f"le libellé « {text_of(label_raw)} » ne correspond pas au code {code} (« {expected} »). "
                    "Le code fait foi ; vérifiez que c'est le bon indicateur.",
                )
            else:
                found = (code, "", "", "")
        else:
            code = ctx.resolver.find("indicators", label_raw)
            found = (
                (code, "", "", "")
                if code
                else (
                    None,
                    "error",
                    "label",
                    f"indicateur « {text_of(label_raw)} » inconnu. Utilisez le libellé exact "
                    "du référentiel ou ajoutez une colonne Code avec le code de l'indicateur.",
                )
            )
        self._indicators[key] = found
        return found

    def _code(self, name: str, raw: object) -> tuple[str | None, str]:
        """(code, error message) of a zone, audience or operator cell, memoised."""
        memo = self._codes[name]
        found = memo.get(raw)
        if found is None:
            section, label = {
                "zone": ("zones", "zone"),
                "audience": ("audiences", "public"),
                "operator": ("operators", "opérateur"),
            }[name]
            code = self.ctx.resolver.find(section, raw)
            if code is None:
                found = (
                    None,
                    f"{label} « {text_of(raw)} » inconnu(e). Utilisez un code ou un libellé du "
                    f"référentiel, par exemple {self.ctx.resolver.examples(section)}.",
                )
            elif name == "operator" and self.defaults.get("operator") and code != self.defaults["operator"]:
                found = (
                    None,
                    f"l'opérateur {code} n'est pas celui du rapport ({self.defaults['operator']}). Un "
                    "fichier ne contient les valeurs que d'un opérateur à la fois quand l'opérateur est "
                    "choisi.",
                )
            else:
                found = (code, "")
            memo[raw] = found
        return found

    def _value(
        self,
        r: int,
        c: int,
        row: list,
        n: int,
        ind_raw: object,
        label_raw: object,
        period: Period | None,
        raw: object,
        comment: str,
    ) -> None:
        ctx, cols, defaults = self.ctx, self.cols, self.defaults
        cell = self.ref(r, c)
        if raw == "" or is_blank(raw):
            if (r, c) in self.sheet.uncached_formulas:
                self.error(
                    cell,
                    "la formule n'a pas de résultat enregistré (le fichier n'a pas été recalculé). "
                    "Ouvrez-le dans Excel ou LibreOffice, enregistrez-le, puis importez de nouveau, "
                    "ou saisissez la valeur.",
                )
            return
        ok = True
        indicator_code, severity, column, message = self._indicator(ind_raw, label_raw)
        if severity:
            where_col = cols.get(column)
            if severity == "error":
                ok = False
                self.error(self.ref(r, where_col), message)
            elif ("label", indicator_code, label_raw) not in ctx.once:
                ctx.once.add(("label", indicator_code, label_raw))
                self.warning(self.ref(r, where_col), message)
        # period
        if period is None:
            cp = self.cp
            praw = row[cp] if cp is not None and cp < n else ""
            if praw != "" and not is_blank(praw):
                period = self.period(praw, self.ref(r, cp))
                ok = ok and period is not None
            elif "period" in defaults:
                period = defaults["period"]
            else:
                ok = False
                self.error(
                    self.ref(r, cp) if cp is not None else cell,
                    "période manquante. Remplissez la colonne Période (par exemple 2019-S1, T3 2019, S05) "
                    "ou indiquez « Période : … » en tête de feuille.",
                )
        # zone, audience, operator
        found = {}
        for name, col, default in self.code_columns:
            zraw = row[col] if col is not None and col < n else ""
            if zraw == "" or is_blank(zraw):
                found[name] = defaults.get(name, default)
                continue
            code, problem = self._code(name, zraw)
            if problem:
                ok = False
                self.error(self.ref(r, col), problem)
            found[name] = code
        operator = found["operator"]
        if operator is None and ok and ("no-operator",) not in ctx.once:
            ctx.once.add(("no-operator",))
            ok = False
            self.issues.error(
                self.name,
                "",
                f"{where(self.name)} : opérateur inconnu. Choisissez l'opérateur "
                "du rapport au moment de l'importer, ou écrivez "
                "« Opérateur : CODE » au-dessus du tableau.",
            )
        elif operator is None:
            ok = False
        # value
        indicator = ctx.framework.indicator(indicator_code) if indicator_code else None
        reading, broken = check_value(value_rule(indicator), raw, (r, c) in self.sheet.percent_cells)
        if reading.kind == INVALID:
            self.error(cell, reading.note)
            return
        if reading.kind == MISSING:
            self.warning(cell, reading.note)
            return
        if reading.kind == EMPTY:
            return
        value = reading.value
        if reading.note:
            self.warning(cell, reading.note)
        if broken == "percent":
            ok = False
            self.error(
                cell,
                f"{fr(value)} % est hors de 0–100 pour {indicator.code} (en %). Saisissez un "
                "pourcentage entre 0 et 100 (12,5 ou 12,5 %).",
            )
        elif broken == "negative":
            ok = False
            self.error(
                cell,
                f"{fr(value)} : un nombre négatif n'a pas de sens pour {indicator.code} "
                f"({indicator.label}). Saisissez un nombre positif ou nul.",
            )
        if not ok or indicator is None or period is None:
            return
        if operator not in indicator.operators and ("resp", indicator.code, operator) not in ctx.once:
            ctx.once.add(("resp", indicator.code, operator))
            self.warning(
                cell,
                f"{indicator.code} ne fait pas partie des indicateurs dont {operator} est "
                f"responsable ({', '.join(indicator.operators) or 'aucun opérateur'}) : valeur "
                "importée, vérifiez qu'il s'agit du bon indicateur ou du bon opérateur.",
            )
        key = (indicator.code, operator, found["zone"], found["audience"], period.code)
        previous = ctx.seen.get(key)
        if previous is not None:
            if previous[0] != value:
                self.error(
                    cell,
                    f"{indicator.code}, {period.label_fr}, zone {found['zone']}"
                    f"{', public ' + found['audience'] if found['audience'] else ''} figure deux fois "
                    f"avec des valeurs différentes ({fr(previous[0])} en {previous[1]} "
                    f"« {previous[2]} », {fr(value)} ici). Gardez une seule ligne.",
                )
            else:
                self.warning(
                    cell,
                    f"même valeur que la cellule {previous[1]} de la feuille « {previous[2]} » "
                    "pour la même clé : doublon ignoré.",
                )
            return
        self._keep([key], [value], [cell], [comment or None], {period.code: period})
