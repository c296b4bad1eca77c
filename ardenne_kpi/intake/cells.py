"""The cell-by-cell path through a located table: every message a row deserves, with its
place and how to fix it, and the one place a value is stored (`CellReader._keep`).

`validate.TableReader` extends `CellReader` with the bulk path, which keeps the rows that earn
no message column by column and sends every other row here (`_full`).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any, cast

from ardenne_kpi.core.errors import PeriodError
from ardenne_kpi.core.periods import Period, parse_period
from ardenne_kpi.framework import Framework
from ardenne_kpi.intake.locate import Table, cell_ref, column_letter
from ardenne_kpi.intake.model import IssueList, ParsedReport, where
from ardenne_kpi.intake.resolver import ALL_AUDIENCES, ALL_ZONES, Resolver
from ardenne_kpi.intake.value_rules import check_value, value_rule
from ardenne_kpi.intake.values import EMPTY, INVALID, MISSING, NUMBER, fr, is_blank, normalise, read_number, text_of
from ardenne_kpi.intake.workbook import Sheet

TOTAL_WORDS = ("total", "sous total", "totaux", "grand total", "somme", "sum")
IDENTITY = ("indicator", "operator", "zone", "audience", "period")


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
    seen: dict[tuple[Any, ...], tuple[float, str, str]] = field(default_factory=dict)
    once: set[tuple[object, ...]] = field(default_factory=set)
    period_cache: dict[tuple[type, object], tuple[Period | None, str]] = field(default_factory=dict)


class CellReader:
    """Reads the rows of one located table cell by cell into the report of its context."""

    _value_cols: list[tuple[int, Period | None]]  # set by `TableReader.read`

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
        self._indicators: dict[tuple[object, object], tuple[str | None, str, str, str]] = {}
        self._codes: dict[str, dict[object, tuple[str | None, str]]] = {"zone": {}, "audience": {}, "operator": {}}

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
        ctx = self.ctx
        out: dict[str, object] = {}
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

    def _components(self, rows: list[list[Any]], start: int) -> None:
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

    def _keep(
        self,
        keys: list[tuple[Any, ...]],
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
        for name, part in zip(IDENTITY, parts, strict=True):
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

    def _full(self, r: int, rows: list[list[Any]]) -> set[tuple[Any, ...]]:
        """`_row`; returns the identities it kept."""
        out = self.ctx.report.columns
        before = len(out["value"])
        self._row(r, rows[r])
        return set(zip(*(out[c][before:] for c in IDENTITY), strict=True))

    def _row(self, r: int, row: list[Any]) -> None:
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
                self.ref(r, ci if ci is not None else cast(int, cl)),  # a table has an indicator or a label column
                f"ligne {r + 1} ignorée : elle contient une valeur mais aucun indicateur. "
                "Indiquez le code de l'indicateur ou supprimez la ligne.",
            )
            return
        if normalise(name_text).startswith(TOTAL_WORDS):
            self.warning(
                self.ref(
                    r, ci if ci is not None and text_of(ind_raw) else cast(int, cl)
                ),  # the name came from the label
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
        row: list[Any],
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
            assert where_col is not None  # the message is about a cell of that column
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
            if cp is not None and praw != "" and not is_blank(praw):
                period = self.period(praw, self.ref(r, cp))
                ok = ok and period is not None
            elif "period" in defaults:
                period = cast(Period, defaults["period"])
            else:
                ok = False
                self.error(
                    self.ref(r, cp) if cp is not None else cell,
                    "période manquante. Remplissez la colonne Période (par exemple 2019-S1, T3 2019, S05) "
                    "ou indiquez « Période : … » en tête de feuille.",
                )
        # zone, audience, operator
        found: dict[str, Any] = {}  # zone, audience, operator: a code or None
        for name, col, default in self.code_columns:
            zraw = row[col] if col is not None and col < n else ""
            if col is None or zraw == "" or is_blank(zraw):
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
        value = reading.value
        if reading.kind == EMPTY or value is None:  # a NUMBER always has its value
            return
        if reading.note:
            self.warning(cell, reading.note)
        if broken == "percent" and indicator is not None:  # only a % or count indicator has a rule to break
            ok = False
            self.error(
                cell,
                f"{fr(value)} % est hors de 0–100 pour {indicator.code} (en %). Saisissez un "
                "pourcentage entre 0 et 100 (12,5 ou 12,5 %).",
            )
        elif broken == "negative" and indicator is not None:
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
