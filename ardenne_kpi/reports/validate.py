"""Every located cell checked against the framework, all problems at once.

`TableReader` turns the rows of a located table into values (indicator, operator, zone,
audience, period, value, comment, sheet, cell) and collects, with their place and how to
fix them, the errors that refuse the file (unknown identifiers, unreadable or
out-of-programme periods, non-numbers, negative counts, percentages outside 0–100, the
same key twice with different values, formulas without a cached result) and the warnings
that let it through (ambiguous numbers, n.d. values, total rows, label not matching its
code, indicator outside the operator's responsibilities).

Checks that need the database (a value far from the previous period's) are in
`history_issues`, run by the importer.
"""

from __future__ import annotations

import collections
import functools
import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field

from ardenne_kpi.errors import PeriodError
from ardenne_kpi.framework import Framework, Indicator
from ardenne_kpi.periods import Period, parse_period
from ardenne_kpi.reports.locate import LONG, Table, cell_ref, column_letter
from ardenne_kpi.reports.model import IssueList, ParsedReport, where
from ardenne_kpi.reports.values import EMPTY, INVALID, MISSING, NUMBER, fr, is_blank, normalise, read_number, text_of
from ardenne_kpi.reports.workbook import Sheet

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
_SLOW = object()  # a cell whose row needs the full, cell-by-cell path


def _key(text: str) -> str:
    return normalise(text)


def _compact(text: str) -> str:
    return normalise(text).replace(" ", "")


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
        """Every data row, in order. The key columns are resolved column by column, once per
        distinct cell (a few hundred for 100 000 rows); a row whose cells all resolve without
        a message (numbers, known codes, a new key) is then appended with a few look-ups, and
        any other row goes through `_row`, the cell-by-cell path that writes the messages."""
        first = self.table.first_data_row
        data = rows[first:]
        if not data:
            return
        cols = self.cols
        cc = cols.get("comment")
        used = [c for c in (*cols.values(), *(c for c, _ in value_cols)) if c is not None]
        width = max(used) + 1
        lengths = set(map(len, data))
        if len(lengths) > 1 or min(lengths) < width:  # calamine's rows are even; any other reader's may not be
            width = max(width, *lengths)
            data = [row if len(row) == width else [*row, *[""] * (width - len(row))] for row in data]
        used = sorted(set(used))
        # one list per column used (a comprehension per column: four times faster than zip(*data))
        columns = {c: [row[c] for row in data] for c in used}
        defaults = self.defaults

        def column(name: str) -> list | None:
            c = cols.get(name)
            return None if c is None else columns[c]

        blank = ("", None)  # what is_blank accepts without a look at the text
        ind_col, label_col = column("indicator"), column("label")
        pairs = list(zip(ind_col or ("",) * len(data), label_col or ("",) * len(data), strict=True))
        memo: dict = {pair: self._resolve_indicator(*pair) for pair in set(pairs)}
        indicators = list(map(memo.__getitem__, pairs))
        if self.table.layout == LONG:
            period_col = column("period")
            period_memo: dict = {}
            if period_col is None:
                periods_res = itertools.repeat(defaults.get("period"), len(data))
            else:
                for raw in set(period_col):
                    if raw in blank or is_blank(raw):
                        period_memo[raw] = defaults.get("period")
                    else:
                        period, problem = self._period_lookup(raw)
                        period_memo[raw] = None if problem else period
                periods_res = map(period_memo.__getitem__, period_col)
        else:
            periods_res = itertools.repeat(None, len(data))
        codes = []
        for name, _col, default in self.code_columns:
            col = column(name)
            if col is None:
                codes.append(itertools.repeat(defaults.get(name, default), len(data)))
                continue
            memo = {}
            for raw in set(col):
                if raw in blank or is_blank(raw):
                    memo[raw] = defaults.get(name, default)
                else:
                    code, problem = self._code(name, raw)
                    memo[raw] = _SLOW if problem else code
            codes.append(map(memo.__getitem__, col))
        comments = columns[cc] if cc is not None else ("",) * len(data)
        percent_rows: dict[int, set[int]] = {}
        for r, c in self.sheet.percent_cells:
            percent_rows.setdefault(c, set()).add(r)
        specs = [
            (
                columns[c],
                c,
                p,
                self.letters.get(c) or self.letters.setdefault(c, column_letter(c)),
                percent_rows.get(c, ()),
            )
            for c, p in value_cols
        ]
        long = self.table.layout == LONG
        if long:
            known = [p for p in (defaults.get("period"), *period_memo.values()) if p is not None]
            self._bulk_long(rows, first, specs[0], indicators, list(periods_res), *map(list, codes), comments, known)
            return

        ctx, name = self.ctx, self.name
        seen, once, periods = ctx.seen, ctx.once, ctx.report.periods
        out = ctx.report.columns
        o_ind, o_op, o_zone, o_aud, o_per = (
            out["indicator"],
            out["operator"],
            out["zone"],
            out["audience"],
            out["period"],
        )
        o_val, o_com, o_sheet, o_cell = out["value"], out["comment"], out["sheet"], out["cell"]
        uncached = self.sheet.uncached_formulas
        inf = float("inf")
        rows_in = zip(itertools.count(first), indicators, periods_res, *codes, comments)
        for r, ind, row_period, zone, audience, oper, raw_comment in rows_in:
            if (
                ind is None
                or zone is _SLOW
                or audience is _SLOW
                or oper is _SLOW
                or oper is None
                or (long and row_period is None)
            ):
                self._row(r, rows[r])
                continue
            code, kind, operators, label_once = ind
            if (label_once is not None and label_once not in once) or (
                oper not in operators and ("resp", code, oper) not in once
            ):
                self._row(r, rows[r])
                continue
            picked = []
            for values, c, period, letters, percent in specs:
                raw = values[r - first]
                t = type(raw)
                if t is not float and t is not int:
                    if raw == "" and t is str and (r, c) not in uncached:
                        continue  # not reported (a wide table's empty period)
                    picked = None
                    break
                v = float(raw)
                if r in percent or not (
                    -inf < v < inf if kind == 0 else 0 <= v < inf if kind == 1 else v == 0 or 1 <= v <= 100
                ):
                    picked = None
                    break
                if period is None:
                    period = row_period
                identity = (code, oper, zone, audience, period.code)
                if identity in seen or (picked and any(identity == p[0] for p in picked)):
                    picked = None
                    break
                picked.append((identity, v, f"{letters}{r + 1}", period))
            if not picked:  # a cell that needs a message, or nothing to read: the full path
                self._row(r, rows[r])
                continue
            comment = (text_of(raw_comment) or None) if raw_comment != "" else None
            for identity, v, cell, period in picked:
                seen[identity] = (v, cell, name)
                o_ind.append(code)
                o_op.append(oper)
                o_zone.append(zone)
                o_aud.append(audience)
                o_per.append(identity[4])
                o_val.append(v)
                o_com.append(comment)
                o_sheet.append(name)
                o_cell.append(cell)
                if identity[4] not in periods:
                    periods[identity[4]] = period
            self.count += len(picked)

    def _bulk_long(
        self,
        rows: list[list],
        first: int,
        spec: tuple,
        indicators: list,
        periods_col: list,
        zones: list,
        audiences: list,
        operators: list,
        comments,
        periods_used: list,
    ) -> None:
        """A long table (one value column): which rows need no message is decided column-wise,
        then runs of such rows are appended with `extend`, and the others go, in row order
        between the runs, through `_row`, which writes their messages."""
        values, _c, _p, letters, percent = spec
        ctx, name = self.ctx, self.name
        seen = ctx.seen
        inf = float("inf")
        # 0: full path; 1: appended in bulk; 2: as 1, once its once-per-file warnings are given
        state = [
            0
            if (
                ind is None
                or per is None
                or z is _SLOW
                or a is _SLOW
                or o is _SLOW
                or o is None
                or (type(v) is not float and type(v) is not int)
                or not (-inf < v < inf if ind[1] == 0 else 0 <= v < inf if ind[1] == 1 else v == 0 or 1 <= v <= 100)
            )
            else 1
            if ind[3] is None and o in ind[2]
            else 2
            for ind, per, z, a, o, v in zip(indicators, periods_col, zones, audiences, operators, values, strict=True)
        ]
        for r in percent:
            if 0 <= r - first < len(state):
                state[r - first] = 0
        pending = [i for i, s in enumerate(state) if s == 2]
        if pending:
            # The first row of each (indicator, label, operator) takes the full path, which gives
            # its once-per-file warnings; the rows after it have nothing left to say.
            groups = [(indicators[i][0], indicators[i][3], operators[i]) for i in pending]
            firsts = dict(zip(reversed(groups), reversed(pending), strict=True))  # the earliest wins
            state = [1 if s == 2 else s for s in state]
            for i in firsts.values():
                state[i] = 0
        keys = [
            (ind[0], o, z, a, per.code) if s else None
            for s, ind, per, z, a, o in zip(state, indicators, periods_col, zones, audiences, operators, strict=True)
        ]
        candidates = [k for k in keys if k is not None]
        clash = set(seen.keys() & set(candidates)) if seen else set()
        if len(set(candidates)) < len(candidates):
            clash |= {k for k, count in collections.Counter(candidates).items() if count > 1}
        if clash:  # the same key twice, or already read: the full path says which cells
            for i, k in enumerate(keys):
                if k is not None and k in clash:
                    state[i], keys[i] = 0, None
        out = ctx.report.columns
        columns = [out[c] for c in ("indicator", "operator", "zone", "audience", "period")]
        o_val, o_com, o_sheet, o_cell = out["value"], out["comment"], out["sheet"], out["cell"]
        appended_before = len(o_val)
        by_full_path: set = set()  # identities appended outside the bulk runs

        def append(a: int, b: int) -> None:
            """Rows a..b-1 (indexes into the data rows), all in state 1."""
            run = keys[a:b]
            if by_full_path and not by_full_path.isdisjoint(run):
                for i in range(a, b):  # rare: a key an earlier full-path row already took
                    if keys[i] in seen:
                        self._full(first + i, rows, by_full_path)
                    else:
                        _one(i)
                return
            for column, part in zip(columns, zip(*run, strict=True), strict=True):
                column.extend(part)
            nums = [float(v) for v in values[a:b]]
            cells = [f"{letters}{r}" for r in range(first + a + 1, first + b + 1)]
            o_val.extend(nums)
            o_com.extend([None if c == "" else (text_of(c) or None) for c in comments[a:b]])
            o_sheet.extend([name] * (b - a))
            o_cell.extend(cells)
            seen.update(zip(run, zip(nums, cells, [name] * len(nums), strict=True), strict=True))
            self.count += b - a

        def _one(i: int) -> None:
            key = keys[i]
            v, cell, raw_comment = float(values[i]), f"{letters}{first + i + 1}", comments[i]
            seen[key] = (v, cell, name)
            for column, part in zip(columns, key, strict=True):
                column.append(part)
            o_val.append(v)
            o_com.append(None if raw_comment == "" else (text_of(raw_comment) or None))
            o_sheet.append(name)
            o_cell.append(cell)
            self.count += 1

        start = 0
        for i in [i for i, s in enumerate(state) if s != 1]:
            if start < i:
                append(start, i)
            start = i + 1
            self._full(first + i, rows, by_full_path)
        if start < len(state):
            append(start, len(state))
        known = {p.code: p for p in {id(p): p for p in periods_used}.values()}
        periods = ctx.report.periods
        for code in set(out["period"][appended_before:]):
            if code not in periods and code in known:
                periods[code] = known[code]

    def _full(self, r: int, rows: list[list], appended: set) -> None:
        """`_row`, noting the identities it appended (bulk runs must not take them again)."""
        out = self.ctx.report.columns
        before = len(out["value"])
        self._row(r, rows[r])
        for i in range(before, len(out["value"])):
            appended.add(tuple(out[c][i] for c in ("indicator", "operator", "zone", "audience", "period")))

    def _resolve_indicator(self, ind_raw: object, label_raw: object) -> tuple | None:
        """(code, value kind 0 any / 1 count / 2 %, the indicator's operators, the label
        warning that must already have been given or None) for an indicator cell pair that
        raises no error, or None when its rows need the full path."""
        if type(ind_raw) is bool or type(label_raw) is bool:
            return None  # True == 1 in dictionary keys: leave such cells to the full path
        name_text = text_of(ind_raw) or text_of(label_raw)
        if not name_text or normalise(name_text).startswith(_TOTAL_WORDS):
            return None
        code, severity, _column, _message = self._indicator(ind_raw, label_raw)
        if code is None or severity == "error":
            return None
        indicator = self.ctx.framework.indicator(code)
        kind = 2 if indicator.is_percent else 1 if is_count(indicator) else 0
        label_once = ("label", code, label_raw) if severity == "warning" else None
        return code, kind, frozenset(indicator.operators), label_once

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
        reading = read_number(
            raw,
            percent_indicator=bool(indicator and indicator.is_percent),
            percent_format=(r, c) in self.sheet.percent_cells,
            count=bool(indicator and is_count(indicator)),
        )
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
        if indicator is not None:
            if indicator.is_percent and not 0 <= value <= 100:
                ok = False
                self.error(
                    cell,
                    f"{fr(value)} % est hors de 0–100 pour {indicator.code} (en %). Saisissez un "
                    "pourcentage entre 0 et 100 (12,5 ou 12,5 %).",
                )
            elif value < 0 and is_count(indicator):
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
        ctx.seen[key] = (value, cell, self.name)
        cols_out = ctx.report.columns
        cols_out["indicator"].append(indicator.code)
        cols_out["operator"].append(operator)
        cols_out["zone"].append(found["zone"])
        cols_out["audience"].append(found["audience"])
        cols_out["period"].append(period.code)
        cols_out["value"].append(value)
        cols_out["comment"].append(comment or None)
        cols_out["sheet"].append(self.name)
        cols_out["cell"].append(cell)
        ctx.report.periods.setdefault(period.code, period)
        self.count += 1
