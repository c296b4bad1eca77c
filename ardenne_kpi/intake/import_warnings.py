"""The warnings an import adds once the file's values are known as columns: a value far
from the previous period's, values that count now but are absent from the file, a period
and its sub-periods that disagree (these three read the database), and in the file itself a
total beside its parts and lines that overlap without one holding the other. None of them
refuses a file.

The importer runs the three that read the database in a thread on its own cursor
(`Underway`) while it computes the totals, keeps the original file and compares: DuckDB
releases the GIL, and on the 100 000-row bench report they are the largest part of the
import's time after the parse. It waits for them before it writes: both at once would hold
both their memory (25 MB more at the peak on that report).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import duckdb

from ardenne_kpi.db import imports as sql
from ardenne_kpi.framework import Framework, owed
from ardenne_kpi.intake.model import WARNING, Issue, where
from ardenne_kpi.intake.values import fr

if TYPE_CHECKING:
    import numpy as np

OUTLIER_RATIO = 3.0


class Underway:
    """`history`, `absent` and `overlaps` of a file's values, started now, one after the other in
    a thread on its own cursor of `con`, while the importer goes on. They read the values that
    count now (committed), which an import's transaction compares with too, and write nothing."""

    def __init__(self, con: duckdb.DuckDBPyConnection, incoming: dict[str, np.ndarray]) -> None:
        self._jobs = (history, absent, overlaps)
        self._found: list[Issue] | BaseException = []
        self._thread = threading.Thread(target=self._run, args=(con, incoming), name="import-warnings", daemon=True)
        self._thread.start()

    def _run(self, con: duckdb.DuckDBPyConnection, incoming: dict[str, np.ndarray]) -> None:
        try:
            cur = con.cursor()
            try:
                self._found = [issue for job in self._jobs for issue in job(cur, incoming)]
            finally:
                cur.close()
        except BaseException as exc:  # raised again by `wait`, in the importer's thread
            self._found = exc

    def join(self) -> None:
        """Wait for the thread, whatever it found (the importer's way out, even on an error)."""
        self._thread.join()

    def wait(self) -> list[Issue]:
        """The warnings, in order (history, absent, overlaps); a query's error raised here."""
        self.join()
        if isinstance(self._found, BaseException):
            raise self._found
        return self._found


def history(cur: duckdb.DuckDBPyConnection, incoming: dict[str, np.ndarray]) -> list[Issue]:
    """A value more than OUTLIER_RATIO times, or less than its inverse, the previous period's of
    the same grain, without a comment explaining it (the first 100)."""
    out = []
    for r in sql.outliers(cur, incoming, ratio=OUTLIER_RATIO, limit=100):
        ratio = r.value / r.prev_value
        how = (
            f"{fr(round(ratio, 1))} fois la valeur"
            if ratio > 1
            else f"{fr(round(1 / ratio, 1))} fois moins que la valeur"
            if ratio > 0
            else "zéro, loin de la valeur"
        )
        out.append(
            Issue(
                r.sheet,
                r.cell,
                f"{where(r.sheet, r.cell)} : {fr(r.value)} pour {r.indicator} ({r.period}) "
                f"vaut {how} de la période précédente ({r.prev_period} : "
                f"{fr(r.prev_value)}). Vérifiez la valeur et expliquez l'écart dans la "
                "colonne Commentaire.",
                WARNING,
            )
        )
    return out


def overlaps(cur: duckdb.DuckDBPyConnection, incoming: dict[str, np.ndarray]) -> list[Issue]:
    """A series given both a period and its sub-periods with different totals: say which two
    figures disagree and where they come from (only one of them will count)."""

    def source(upload: int | None) -> str:
        return "ce fichier" if upload is None else f"l'import n° {int(upload)}"

    out = []
    for r in sql.grain_overlaps(cur, incoming):
        fine_from = ", ".join([source(None)] * bool(r.fine_in_file) + [source(u) for u in r.fine_uploads])
        who = f"{r.indicator} · {r.operator} · {r.zone}" + (f" · {r.audience}" if r.audience else "")
        out.append(
            Issue(
                "",
                "",
                f"{who} : {r.period} vaut {fr(r.value)} ({source(r.upload_id)}) mais ses "
                f"{r.n_fine} sous-période(s) totalisent {fr(r.fine_total)} ({fine_from}). Un seul "
                "des deux compte dans les agrégats (la déclaration couvrant le plus de jours) : "
                "corrigez celle qui est fausse.",
                WARNING,
            )
        )
    return out


Places = dict[tuple[str, str], int]  # (zone, audience) -> the file's line that gives it (the last one)
Line = Callable[[int], tuple[float, str, str]]  # a line's (value, sheet, cell)


def in_file(fw: Framework, incoming: dict[str, np.ndarray]) -> list[Issue]:
    """The warnings the file's own lines give, each report (indicator, operator, period) read
    once: totals beside their parts (`totals`), then lines that cross (`crossings`).

    The columns are walked together and a report's places hold line numbers, with one tuple
    per distinct place: on the 100 000-row bench report, reading the NumPy arrays item by item
    and keeping a (value, sheet, cell) tuple per line cost three times as much, mostly in the
    garbage collector's passes over those tuples."""
    groups: dict[tuple[str, str, str], Places] = {}
    shared: dict[tuple[Any, Any], tuple[str, str]] = {}
    columns = (incoming[name] for name in ("indicator", "operator", "period", "zone", "audience"))
    for k, (indicator, operator, period, zone, audience) in enumerate(zip(*columns, strict=True)):
        place = shared.get((zone, audience))
        if place is None:
            place = shared[(zone, audience)] = (zone or "", audience or "")
        groups.setdefault((str(indicator), str(operator), str(period)), {})[place] = k
    values, sheets, cells = incoming["value"], incoming["sheet"], incoming["cell"]

    def line(k: int) -> tuple[float, str, str]:  # only for the lines a warning names or adds up
        return float(values[k]), sheets[k] or "", cells[k] or ""

    return totals(fw, groups, line) + crossings(fw, groups, line)


def totals(fw: Framework, groups: dict[tuple[str, str, str], Places], line: Line) -> list[Issue]:
    """A total beside its parts in one report (a « Total » or whole-territory line beside the
    provinces, « tous publics » beside a sub-audience): the total is the figure and the parts
    its breakdown, never added to it (kpis); said once per total, and a warning when the parts
    add up to more than the whole."""
    within = fw.within

    def inside(inner: tuple[str, str], outer: tuple[str, str]) -> bool:
        return inner != outer and within(inner, outer)

    out: list[Issue] = []
    for (indicator, _, period), places in groups.items():
        if len(places) < 2:
            continue
        for whole, at in places.items():
            parts = [p for p in places if inside(p, whole)]
            if not parts:
                continue
            total, sheet, cell = line(at)
            top = [p for p in parts if not any(inside(p, q) for q in parts)]  # the parts just under the total
            named = " · ".join(whole) if whole[1] else whole[0]
            shown = ", ".join(" · ".join(p) if p[1] else p[0] for p in top[:5]) + ("…" if len(top) > 5 else "")
            added = sum(line(places[p])[0] for p in top)
            more = (
                f" Attention : ses parties totalisent {fr(added)}, plus que le total ({fr(total)}) : vérifiez-les."
                if added > total * (1 + 1e-9) + 1e-9
                else ""
            )
            out.append(
                Issue(
                    sheet,
                    cell,
                    f"{where(sheet, cell)} : {indicator} ({period}) {named} = {fr(total)} est le total de "
                    f"{shown} : le total compte, ses parties en sont le détail et ne s'y ajoutent pas.{more}",
                    WARNING,
                )
            )
            if len(out) >= 50:
                return out
    return out


def _owed_places(fw: Framework, indicator: str, operator: str) -> set[tuple[str, str]]:
    """The (zone, audience) places owed for an indicator: the operator's obligation's for an
    output, anyone's for a territory (whoever measures it), as the figures read them."""
    ind = fw.by_code["indicators"].get(indicator)
    if ind is None:
        return set()
    owners = [o for o in fw.obligations if o.indicator == indicator and (ind.is_territory or o.operator == operator)]
    return {place for o in owners for place in owed.obligation_keys(fw, o)}


def crossings(fw: Framework, groups: dict[tuple[str, str, str], Places], line: Line) -> list[Issue]:
    """Lines of one report that overlap without one holding the other (a wider zone for a
    narrower audience: ARD · NL beside BE-LUX for all visitors share BE-LUX's Dutch visitors):
    the figures never add them (rule 5 of the README's « How a figure is built »): the line an
    obligation owes counts over one it does not, else the wider zone's, the other is set aside
    and the figure is partial. Said once per line set aside, where it stands."""

    def crosses(wide: tuple[str, str], narrow: tuple[str, str]) -> bool:
        """`wide`: a zone strictly wider than `narrow`'s for an audience strictly narrower."""
        return (
            wide[0] != narrow[0]
            and fw.within((narrow[0], ""), (wide[0], ""))
            and wide[1] != narrow[1]
            and fw.within((wide[0], wide[1]), (wide[0], narrow[1]))
        )

    def text(place: tuple[str, str]) -> str:
        return f"{place[0]} · {place[1]}" if place[1] else f"{place[0]} (tous publics)"

    owed_of: dict[tuple[str, str], set[tuple[str, str]]] = {}
    out: list[Issue] = []
    for (indicator, operator, period), places in groups.items():
        if len(places) < 2 or not any(crosses(a, b) for a in places for b in places):
            continue
        owed = owed_of.get((indicator, operator))
        if owed is None:
            owed = owed_of[(indicator, operator)] = _owed_places(fw, indicator, operator)
        # as the figures do: owed lines first, then the wider zone; each line kept unless it
        # crosses one kept already (what is kept never overlaps)
        kept: list[tuple[str, str]] = []
        beaten: dict[tuple[str, str], list[tuple[str, str]]] = {}
        for place in sorted(places, key=lambda p: (p not in owed, len(fw.ancestors("zones", p[0])), p)):
            against = [k for k in kept if crosses(k, place) or crosses(place, k)]
            if against:
                beaten[place] = against
            else:
                kept.append(place)
        for loser, winners in beaten.items():
            _, sheet, cell = line(places[loser])
            why = "prévue par une obligation" if all(w in owed for w in winners) else "zone plus large"
            out.append(
                Issue(
                    sheet,
                    cell,
                    f"{where(sheet, cell)} : {indicator} ({period}) {text(loser)} recoupe "
                    f"{', '.join(text(w) for w in sorted(winners))} sans que l'une contienne l'autre : "
                    f"ces lignes ne s'additionnent pas. {text(sorted(winners)[0])} compte ({why}), "
                    f"{text(loser)} est écartée et le chiffre de la période sera partiel.",
                    WARNING,
                )
            )
            if len(out) >= 50:
                return out
    return out


def absent(cur: duckdb.DuckDBPyConnection, incoming: dict[str, np.ndarray]) -> list[Issue]:
    """One warning listing the values that count now for the file's operators and periods but
    that the file does not give (they are kept)."""
    absent = sql.absent_values(cur, incoming)
    if not absent:
        return []
    shown = ", ".join(
        f"{r.indicator} {r.period}"
        + (f" {r.zone}" if r.zone != "ARD" else "")
        + (f" {r.audience}" if r.audience else "")
        for r in absent[:5]
    )
    more = f" et {len(absent) - 5} autre(s)" if len(absent) > 5 else ""
    return [
        Issue(
            "",
            "",
            f"Fichier : {len(absent)} valeur(s) déjà enregistrée(s) pour ces périodes ne figurent pas "
            f"dans ce fichier ({shown}{more}). Elles sont conservées ; pour en retirer, annulez "
            "l'import qui les a apportées.",
            WARNING,
        )
    ]
