"""The reference framework's model: dimensions, keys, themes, objectives, audiences, zones,
operators, projects, indicators and their obligations, as frozen dataclasses, with the
vocabularies (aggregations, measures, frequencies, directions) they draw from.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from ardenne_kpi.core import settings
from ardenne_kpi.core.format import of_name
from ardenne_kpi.core.periods import Calendar, Frequency, Period, grain_of_frequency

DEFAULT_PATH = settings.SHIPPED_DIR / "framework.yaml"

AGGREGATIONS = ("sum", "last", "mean")
# What a value measures: an operator's own output (outputs of several operators and zones
# add up) or a measurement of a territory (a zone's figure already holds its sub-zones').
MEASURES = ("output", "territory")
MEASURE_LABELS = {
    "output": "production des opérateurs (s'additionne entre opérateurs et zones)",
    "territory": "mesure d'un territoire (une zone contient déjà ses sous-zones)",
}
COMPONENT_AGGREGATIONS = ("sum", "last")
DIRECTIONS = ("up", "down")
FREQUENCIES = Frequency.codes()
FREQUENCY_LABELS = Frequency.labels()
AGGREGATION_LABELS = {"sum": "somme", "last": "dernière valeur", "mean": "moyenne"}
DIRECTION_LABELS = {"up": "plus = mieux", "down": "moins = mieux"}
# Open-data licences a framework may name by their identifier alone (Frictionless `licenses`).
KNOWN_LICENCES = {
    "etalab-2.0": (
        "Licence Ouverte / Open Licence version 2.0",
        "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
    ),
    "CC-BY-4.0": ("Creative Commons Attribution 4.0", "https://creativecommons.org/licenses/by/4.0/"),
    "CC0-1.0": ("Creative Commons Zero v1.0 Universal", "https://creativecommons.org/publicdomain/zero/1.0/"),
    "ODbL-1.0": ("Open Data Commons Open Database License 1.0", "https://opendatacommons.org/licenses/odbl/1-0/"),
}


@dataclass(frozen=True)
class Entry:
    """A coded entry of the framework (dimension, theme, objective, brand element...)."""

    code: str
    label: str


@dataclass(frozen=True)
class Key(Entry):
    theme: str


@dataclass(frozen=True)
class Audience(Entry):
    parent: str | None = None


@dataclass(frozen=True)
class Zone(Entry):
    parent: str | None = None
    country: str | None = None


@dataclass(frozen=True)
class Operator(Entry):
    country: str = ""
    role: str = ""
    zones: tuple[str, ...] = ()
    email: str = ""  # where Suivi's reminders go (empty: the coordinator writes the address)
    # The definite article French puts before the name (« la » Fédération…, « le » Parc…,
    # « l' » Agence…), or '' for a name said without one (Accueil Champêtre, IDELUX).
    article: str = ""

    @property
    def of_label(self) -> str:
        """« de la Fédération… », « du Parc… », « d'Accueil Champêtre… »: the name after « de »."""
        return of_name(self.label, self.article)


@dataclass(frozen=True)
class Activity(Entry):
    work_module: str
    project: str


@dataclass(frozen=True)
class WorkModule(Entry):
    project: str
    activities: tuple[Activity, ...] = ()


@dataclass(frozen=True)
class Project(Entry):
    kind: str
    lead: str
    partners: tuple[str, ...]
    start: dt.date | None
    end: dt.date | None
    work_modules: tuple[WorkModule, ...] = ()


@dataclass(frozen=True)
class Target:
    """A dated value: the baseline or a target of an indicator. `due`: the day it is judged at
    when that is not its period's end (a target dated after the programme's end is judged at
    the programme's end: nothing is measured after it)."""

    value: float
    period: Period
    kind: str = "finale"
    source: str = ""
    due: dt.date | None = None

    @property
    def judged_at(self) -> dt.date:
        """The day the planned path reaches this value."""
        return self.due or self.period.end


@dataclass(frozen=True)
class OpenData:
    """What the public figures are published under: the portal's title, who publishes them
    (an organisation, never a person) and the licence of the open data."""

    title: str
    publisher: str
    licence_name: str
    licence_title: str
    licence_path: str


@dataclass(frozen=True)
class Indicator(Entry):
    label_en: str
    unit: str
    direction: str
    frequency: str
    agg_time: str
    agg_space: str
    type: str
    by_zone: bool
    baseline: Target
    targets: tuple[Target, ...]
    dimensions: tuple[str, ...]
    keys: tuple[str, ...]
    objectives: tuple[str, ...]
    audiences: tuple[str, ...]
    project: str
    work_module: str | None
    activities: tuple[str, ...]
    operators: tuple[str, ...]
    measure: str = "output"
    # A ratio (rate, average, cost per contact, share) is declared with its components:
    # numerator and denominator are aggregated (components_agg over time, sum across
    # series), then divided and multiplied by ratio_scale (100 for a percentage).
    numerator: str = ""
    denominator: str = ""
    ratio_scale: float = 1.0
    components_agg: str = "sum"
    # Published on the attractiveness portal (`publish`, page Chiffres clés): its public
    # label and one sentence for the general reader are then required.
    public: bool = False
    public_label: str = ""
    public_sentence: str = ""

    @property
    def is_ratio(self) -> bool:
        """True when the indicator is computed from a numerator and a denominator."""
        return bool(self.numerator and self.denominator)

    @property
    def is_territory(self) -> bool:
        """True when values measure a territory (nested zones overlap, never added)."""
        return self.measure == "territory"

    @property
    def is_percent(self) -> bool:
        return self.unit.strip() == "%"

    @property
    def grain(self) -> str:
        """The period grain partners report this indicator at."""
        return grain_of_frequency(self.frequency)

    @property
    def final_target(self) -> Target:
        return max(self.targets, key=lambda t: t.period.end)

    @property
    def lower_is_better(self) -> bool:
        return self.direction == "down"


# Grains an obligation may set (the grains partners report at).
OBLIGATION_GRAINS = ("month", "quarter", "semester", "programme-semester", "year", "programme-year")


@dataclass(frozen=True)
class Obligation:
    """What one operator must report for one indicator: at which grain, from which period to
    which, for which zones and audiences, within how many days after each period's end.

    Declared in the framework's `obligations` section, or by default (`declared` False): every
    operator of an indicator reports it at the indicator's grain (every second year for a
    biennial one), from the start of its project to its end, within the framework's deadline,
    for its zones (its first-level zones when the indicator is broken down by zone) and all
    audiences. `one_off`: a single report, due once (its first period), never missing after.
    """

    operator: str
    indicator: str
    grain: str
    start: dt.date | None  # the first period due starts on or after this day (None: the programme's start)
    first_period: str  # the code written in the framework ('' by default)
    deadline_days: int
    declared: bool = False
    end: dt.date | None = None  # the last period due ends on or before this day (None: the programme's end)
    last_period: str = ""  # the code written in the framework ('' by default)
    zones: tuple[str, ...] = ()  # the zones owed ('' = by default, see owed.obligation_keys)
    audiences: tuple[str, ...] = ()  # the audiences owed (() = all audiences together)
    one_off: bool = False
    adopted: bool = False  # owed by an operator not listed on the indicator: a series the coordination adopted


@dataclass(frozen=True)
class Framework:
    """The whole framework, with lookups by code."""

    version: str
    portfolio: dict[str, Any]
    calendar: Calendar
    reporting_deadline_days: int
    on_track: float
    at_risk: float
    dimensions: tuple[Entry, ...]
    themes: tuple[Entry, ...]
    keys: tuple[Key, ...]
    brand_elements: tuple[Entry, ...]
    audiences: tuple[Audience, ...]
    zones: tuple[Zone, ...]
    operators: tuple[Operator, ...]
    projects: tuple[Project, ...]
    objectives: tuple[Entry, ...]
    indicators: tuple[Indicator, ...]
    open_data: OpenData | None = None
    declared_obligations: tuple[Obligation, ...] = ()
    source_text: str = field(default="", repr=False, compare=False)

    @cached_property
    def obligations(self) -> tuple[Obligation, ...]:
        """Every operator's obligation for every indicator it is responsible for, declared or
        by default (see Obligation), in indicator then operator order."""
        declared = {(o.operator, o.indicator): o for o in self.declared_obligations}
        out = []
        for ind in self.indicators:
            project = self.by_code["projects"].get(ind.project)
            for op in ind.operators:
                out.append(
                    declared.get((op, ind.code))
                    or Obligation(
                        operator=op,
                        indicator=ind.code,
                        grain=ind.grain,
                        start=project.start if project is not None else None,
                        first_period="",
                        deadline_days=self.reporting_deadline_days,
                        end=project.end if project is not None else None,
                    )
                )
            out.extend(o for o in self.declared_obligations if o.indicator == ind.code and o.adopted)
        return tuple(out)

    @cached_property
    def _places_up(self) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
        zones = {z.code: {z.code, *self.ancestors("zones", z.code)} for z in self.zones}
        audiences = {a.code: {a.code, "", *self.ancestors("audiences", a.code)} for a in self.audiences}
        return zones, audiences

    def within(self, inner: tuple[str, str], outer: tuple[str, str]) -> bool:
        """The place (zone, audience) `inner` is `outer` or lies inside it (FR-08 in ARD, NL in
        VIS, any audience in '' = all audiences). A code the framework does not know is inside
        itself only (and, for an audience, inside all audiences)."""
        zones, audiences = self._places_up
        zone, audience = inner
        return outer[0] in zones.get(zone, {zone}) and outer[1] in audiences.get(audience, {audience, ""})

    @cached_property
    def _obligation_of(self) -> dict[tuple[str, str], Obligation]:
        return {(o.operator, o.indicator): o for o in self.obligations}

    def obligation(self, operator: str, indicator: str) -> Obligation | None:
        """The obligation of `operator` for `indicator`, or None: it owes nothing for it."""
        return self._obligation_of.get((operator, indicator))

    @cached_property
    def by_code(self) -> dict[str, dict[str, Any]]:
        """Every section as a code → entry mapping, e.g. `fw.by_code["zones"]["FR-08"]`."""
        return {
            name: {e.code: e for e in getattr(self, name)}
            for name in (
                "dimensions",
                "themes",
                "keys",
                "brand_elements",
                "audiences",
                "zones",
                "operators",
                "projects",
                "objectives",
                "indicators",
            )
        } | {"work_modules": {w.code: w for w in self.work_modules}, "activities": {a.code: a for a in self.activities}}

    @property
    def work_modules(self) -> tuple[WorkModule, ...]:
        return tuple(w for p in self.projects for w in p.work_modules)

    @property
    def activities(self) -> tuple[Activity, ...]:
        return tuple(a for w in self.work_modules for a in w.activities)

    def indicator(self, code: str) -> Indicator:
        found: Indicator = self.by_code["indicators"][code]
        return found

    def label(self, section: str, code: str | None) -> str:
        """The French label of a code, or the code itself when unknown (never fails on display)."""
        if not code:
            return ""
        entry = self.by_code[section].get(code)
        return entry.label if entry else code

    def descendants(self, section: str, codes: Iterable[str]) -> set[str]:
        """The codes and everything under them in a parent-linked section (zone ARD covers FR-08...)."""
        chosen = {str(c) for c in codes}
        entries = getattr(self, section)
        grew = True
        while grew:
            more = {e.code for e in entries if e.parent in chosen} - chosen
            chosen |= more
            grew = bool(more)
        return chosen

    def ancestors(self, section: str, code: str) -> set[str]:
        """Every code above `code` in a parent-linked section (FR-08 is under ARD)."""
        by_code = self.by_code[section]
        up: set[str] = set()
        parent = getattr(by_code.get(code), "parent", None)
        while parent and parent not in up:
            up.add(parent)
            parent = getattr(by_code.get(parent), "parent", None)
        return up

    @property
    def cell_count(self) -> int:
        return len(self.dimensions) * len(self.keys)

    @cached_property
    def served_cells(self) -> frozenset[tuple[str, str]]:
        """The dimension × key cells at least one indicator serves (the others are gaps in the plan)."""
        return frozenset((d, k) for i in self.indicators for d in i.dimensions for k in i.keys)
