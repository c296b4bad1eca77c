"""The framework's YAML checked field by field and built into the model: every problem
collected with its place in the file (line and path), all of them reported at once.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any, TypeVar, cast, overload

from ardenne_kpi.core.errors import PeriodError
from ardenne_kpi.core.format import ARTICLES
from ardenne_kpi.core.periods import Calendar, Period, parse_period
from ardenne_kpi.framework.model import (
    AGGREGATIONS,
    COMPONENT_AGGREGATIONS,
    DIRECTIONS,
    FREQUENCIES,
    KNOWN_LICENCES,
    MEASURES,
    OBLIGATION_GRAINS,
    Activity,
    Audience,
    Entry,
    Framework,
    Indicator,
    Key,
    Obligation,
    OpenData,
    Operator,
    Project,
    Target,
    WorkModule,
    Zone,
)

# Where a value sits in the YAML document: its keys and list positions, from the top.
YamlPath = tuple[str | int, ...]
# A reader of one field of an entry (its YAML dict and path), for `_Builder._entries`.
_FieldReader = Callable[[dict[str, Any], YamlPath], object]
_E = TypeVar("_E", bound=Entry)


class _Problems:
    """Collects problems with their place in the file (line numbers from the YAML nodes)."""

    def __init__(self, lines: dict[YamlPath, int]) -> None:
        self.lines = lines
        self.items: list[str] = []

    def where(self, path: YamlPath) -> str:
        probe = path
        while probe and probe not in self.lines:
            probe = probe[:-1]
        line = self.lines.get(probe)
        dotted = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")
        return f"ligne {line}, {dotted}" if line else dotted

    def add(self, path: YamlPath, message: str) -> None:
        self.items.append(f"{self.where(path)} : {message}")


ONE_LINE_FIELDS = frozenset({"code", "label", "label_en", "unit"})
_LINE_BREAK = re.compile("[\r\n\v\f\x85\u2028\u2029]")
_EMAIL = re.compile(r"[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+")


class _Builder:
    def __init__(self, data: dict[str, Any], problems: _Problems, *, one_line: bool = True) -> None:
        self.data = data
        self.problems = problems
        self.one_line = one_line
        self.codes: dict[str, set[str]] = {}

    # -- small readers that never raise: they record a problem and return a default
    def _section(self, name: str, required: bool = True) -> list[Any]:
        value = self.data.get(name)
        if value is None:
            if required:
                self.problems.add((), f"section « {name} » manquante.")
            return []
        if not isinstance(value, list):
            self.problems.add((name,), "doit être une liste.")
            return []
        return value

    def _field(self, item: Any, path: YamlPath, name: str, required: bool = True, default: Any = None) -> Any:
        if not isinstance(item, dict):
            self.problems.add(path, "doit être un dictionnaire (code, label...).")
            return default
        value = item.get(name)
        if value is None or value == "":
            if required:
                self.problems.add(path, f"champ obligatoire « {name} » manquant.")
            return default
        if self.one_line and name in ONE_LINE_FIELDS and isinstance(value, str) and _LINE_BREAK.search(value.strip()):
            # a name is printed inside a line (mail subjects, messages, tables, the command line)
            first = _LINE_BREAK.split(value.strip())[0]
            self.problems.add(
                path + (name,),
                f"« {first}… » : le champ « {name} » contient un saut de ligne. Écrivez-le sur une seule ligne.",
            )
        return value

    def _codes(self, section: str, items: list[Any], path_prefix: str) -> list[tuple[int, dict[str, Any], str]]:
        seen: dict[str, int] = {}
        out = []
        for i, item in enumerate(items):
            code = self._field(item, (path_prefix, i), "code")
            if code is None:
                continue
            code = str(code).strip()
            if code in seen:
                self.problems.add(
                    (path_prefix, i, "code"), f"code « {code} » en double (déjà défini en {path_prefix}[{seen[code]}])."
                )
                continue
            seen[code] = i
            out.append((i, item, code))
        self.codes.setdefault(section, set()).update(seen)
        return out

    def _refs(self, section: str, values: Any, path: YamlPath, what: str) -> tuple[str, ...]:
        if values is None:
            return ()
        if not isinstance(values, list):
            values = [values]
        known = self.codes.get(section, set())
        out = []
        for v in values:
            v = str(v).strip()
            if v not in known:
                self.problems.add(path, f"{what} inconnu(e) « {v} » (absent de la section {section}).")
            out.append(v)
        return tuple(out)

    def _required_ref(self, section: str, item: dict[str, Any], path: YamlPath, name: str, what: str) -> str:
        """A mandatory single reference (a key's theme): missing or unknown is a problem."""
        value = self._field(item, path, name)
        return self._refs(section, value, path + (name,), what)[0] if value is not None else ""

    @overload
    def _entries(self, section: str, *, required: bool = True) -> tuple[Entry, ...]: ...

    @overload
    def _entries(self, section: str, cls: type[_E], required: bool = True, **extra: _FieldReader) -> tuple[_E, ...]: ...

    def _entries(
        self, section: str, cls: type[Entry] = Entry, required: bool = True, **extra: _FieldReader
    ) -> tuple[Entry, ...]:
        out = []
        for i, item, code in self._codes(section, self._section(section, required), section):
            label = self._field(item, (section, i), "label", default=code)
            out.append(cls(code=code, label=str(label), **{k: f(item, (section, i)) for k, f in extra.items()}))
        return tuple(out)

    def _date(self, value: Any, path: YamlPath) -> dt.date | None:
        if value is None or isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            self.problems.add(path, f"date « {value} » illisible (format attendu AAAA-MM-JJ).")
            return None

    def _period(self, value: Any, path: YamlPath, calendar: Calendar) -> Period | None:
        try:
            return parse_period(str(value) if not isinstance(value, (dt.date, Period)) else value, calendar)
        except PeriodError as exc:
            self.problems.add(path, exc.message)
            return None

    def _article(self, value: Any, path: YamlPath) -> str:
        """An operator's article (le, la, l', les), or '' when its name takes none."""
        text = str(value or "").strip().lower().replace("’", "'")
        if text not in ARTICLES:
            self.problems.add(path, f"article « {value} » inconnu : écrivez le, la, l', les, ou rien.")
            return ""
        return text

    def _email(self, value: Any, path: YamlPath) -> str:
        """A contact address (one), or '' when none is given."""
        text = str(value or "").strip()
        if text and not _EMAIL.fullmatch(text):
            self.problems.add(path, f"adresse « {text} » illisible : une seule adresse, comme suivi@exemple.be.")
            return ""
        return text

    def _number(self, value: Any, path: YamlPath) -> float | None:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.problems.add(path, f"« {value} » n'est pas un nombre.")
            return None
        return float(value)

    # -- sections
    def _calendar(self) -> Calendar:
        cal = self.data.get("calendar") or {}
        sems = cal.get("semesters") if isinstance(cal, dict) else None
        if not sems:
            self.problems.add(
                ("calendar",),
                "section « calendar.semesters » manquante : les semestres du programme sont obligatoires.",
            )
            return Calendar.default()
        try:
            return Calendar.from_framework(sems)
        except (PeriodError, KeyError, TypeError, ValueError) as exc:
            self.problems.add(("calendar", "semesters"), f"semestres illisibles ({exc}).")
            return Calendar.default()

    def build(self, text: str) -> Framework:
        p = self.problems
        calendar = self._calendar()
        calendar_data = self.data.get("calendar")
        cal_data: dict[str, Any] = calendar_data if isinstance(calendar_data, dict) else {}
        thresholds = self.data.get("status_thresholds") or {}
        on_track = float(thresholds.get("on_track", 0.95))
        at_risk = float(thresholds.get("at_risk", 0.75))
        if not 0 < at_risk <= on_track:
            p.add(("status_thresholds",), "il faut 0 < at_risk ≤ on_track (par défaut 0,75 et 0,95).")

        dimensions = self._entries("dimensions")
        themes = self._entries("themes")
        keys = self._entries(
            "keys", Key, theme=lambda it, path: self._required_ref("themes", it, path, "theme", "thème")
        )
        brand_elements = self._entries("brand_elements", required=False)
        audiences = self._entries("audiences", Audience, parent=lambda it, path: it.get("parent"))
        zones = self._entries(
            "zones", Zone, parent=lambda it, path: it.get("parent"), country=lambda it, path: it.get("country")
        )
        parented: tuple[tuple[str, tuple[Audience | Zone, ...]], ...] = (("audiences", audiences), ("zones", zones))
        for section, items in parented:
            for i, e in enumerate(items):
                if e.parent is not None:
                    self._refs(section, e.parent, (section, i, "parent"), "parent")
        operators = self._entries(
            "operators",
            Operator,
            country=lambda it, path: str(it.get("country") or ""),
            role=lambda it, path: str(it.get("role") or ""),
            zones=lambda it, path: self._refs("zones", it.get("zones"), path + ("zones",), "zone"),
            email=lambda it, path: self._email(it.get("email"), path + ("email",)),
            article=lambda it, path: self._article(it.get("article"), path + ("article",)),
        )
        objectives = self._entries("objectives")
        projects = self._projects()
        indicators = self._indicators(calendar)
        return Framework(
            version=str(self.data.get("version") or "sans version"),
            portfolio=dict(self.data.get("portfolio") or {}),
            calendar=calendar,
            reporting_deadline_days=int(cal_data.get("reporting_deadline_days", 45)),
            on_track=on_track,
            at_risk=at_risk,
            dimensions=dimensions,
            themes=themes,
            keys=keys,
            brand_elements=brand_elements,
            audiences=audiences,
            zones=zones,
            operators=operators,
            projects=projects,
            objectives=objectives,
            indicators=indicators,
            open_data=self._open_data(indicators),
            declared_obligations=self._obligations(
                indicators, projects, calendar, int(cal_data.get("reporting_deadline_days", 45))
            ),
            source_text=text,
        )

    def _obligations(
        self, indicators: tuple[Indicator, ...], projects: tuple[Project, ...], calendar: Calendar, deadline_days: int
    ) -> tuple[Obligation, ...]:
        """The `obligations` section: for an operator, the indicators it reports otherwise than
        by default: {operator, indicators: [...], grain, from: a period, to: a period, zones,
        audiences, one_off, adopted (an operator not listed on the indicator), deadline_days}."""
        by_code = {i.code: i for i in indicators}
        starts = {p.code: p.start for p in projects}
        ends = {p.code: p.end for p in projects}
        out: dict[tuple[str, str], Obligation] = {}
        for i, item in enumerate(self._section("obligations", required=False)):
            path = ("obligations", i)
            if not isinstance(item, dict):
                self.problems.add(path, "doit être un dictionnaire (operator, indicators, grain, from, deadline_days).")
                continue
            operator = self._required_ref("operators", item, path, "operator", "opérateur")
            codes = self._refs(
                "indicators", self._field(item, path, "indicators"), path + ("indicators",), "indicateur"
            )
            grain = item.get("grain")
            if grain is not None and grain not in OBLIGATION_GRAINS:
                self.problems.add(
                    path + ("grain",), f"granularité « {grain} » inconnue : {', '.join(OBLIGATION_GRAINS)}."
                )
                continue
            first = self._period(item["from"], path + ("from",), calendar) if item.get("from") else None
            last = self._period(item["to"], path + ("to",), calendar) if item.get("to") else None
            if first is not None and last is not None and last.end < first.start:
                self.problems.add(path + ("to",), f"« to: {item['to']} » précède « from: {item['from']} ».")
                continue
            zones = self._refs("zones", item.get("zones") or [], path + ("zones",), "zone")
            audiences = self._refs("audiences", item.get("audiences") or [], path + ("audiences",), "public")
            one_off, adopted = item.get("one_off", False), item.get("adopted", False)
            if not isinstance(one_off, bool):
                self.problems.add(path + ("one_off",), f"« one_off: {one_off} » : true ou false.")
                continue
            if not isinstance(adopted, bool):
                self.problems.add(path + ("adopted",), f"« adopted: {adopted} » : true ou false.")
                continue
            days = item.get("deadline_days", deadline_days)
            if isinstance(days, float) and days.is_integer():  # 60.0 from a spreadsheet cell
                days = int(days)
            if isinstance(days, bool) or not isinstance(days, int) or days < 0:
                self.problems.add(path + ("deadline_days",), f"délai « {days} » : un nombre de jours entier, positif.")
                continue
            for code in codes:
                ind = by_code.get(code)
                if ind is None:
                    continue
                if operator not in ind.operators and not adopted:
                    self.problems.add(
                        path + ("indicators",),
                        f"{operator} n'est pas un opérateur de {code} : ajoutez-le aux opérateurs de "
                        "l'indicateur, écrivez « adopted: true » (une série qu'il rapporte sans y être "
                        "tenu, adoptée par la coordination), ou retirez cette obligation.",
                    )
                    continue
                if (operator, code) in out:
                    self.problems.add(path, f"obligation de {operator} pour {code} déclarée deux fois.")
                    continue
                project = starts.get(ind.project)
                out[(operator, code)] = Obligation(
                    operator=operator,
                    indicator=code,
                    grain=str(grain or ind.grain),
                    start=first.start if first else project,
                    first_period=first.code if first else "",
                    deadline_days=days,
                    declared=True,
                    end=last.end if last else ends.get(ind.project),
                    last_period=last.code if last else "",
                    zones=zones,
                    audiences=audiences,
                    one_off=one_off,
                    adopted=adopted and operator not in ind.operators,
                )
        return tuple(out.values())

    def _open_data(self, indicators: tuple[Indicator, ...]) -> OpenData | None:
        """The `open_data` section (title, publisher, licence), required once an indicator is public."""
        raw = self.data.get("open_data")
        public = [i.code for i in indicators if i.public]
        if raw is None:
            if public:
                self.problems.add(
                    (),
                    f"section « open_data » manquante alors que {len(public)} indicateur(s) sont "
                    f"publics ({', '.join(public[:5])}{'…' if len(public) > 5 else ''}) : "
                    "indiquez au moins la licence des données ouvertes (licence: etalab-2.0).",
                )
            return None
        path = ("open_data",)
        if not isinstance(raw, dict):
            self.problems.add(path, "doit être un dictionnaire (title, publisher, licence).")
            return None
        licence = raw.get("licence")
        if isinstance(licence, str):
            licence = {"name": licence}
        if not isinstance(licence, dict) or not str(licence.get("name") or "").strip():
            self.problems.add(
                path + ("licence",),
                "licence des données ouvertes manquante : un identifiant "
                f"({', '.join(KNOWN_LICENCES)}) ou {{name, title, path}}.",
            )
            return None
        name = str(licence["name"]).strip()
        title, address = KNOWN_LICENCES.get(name, ("", ""))
        title = str(licence.get("title") or title).strip()
        address = str(licence.get("path") or address).strip()
        if not title or not address:
            self.problems.add(
                path + ("licence",),
                f"licence « {name} » inconnue : donnez aussi son titre (title) et "
                f"l'adresse de son texte (path), ou choisissez {', '.join(KNOWN_LICENCES)}.",
            )
        return OpenData(
            title=str(raw.get("title") or "L'Ardenne en chiffres").strip(),
            publisher=str(raw.get("publisher") or "").strip(),
            licence_name=name,
            licence_title=title,
            licence_path=address,
        )

    def _public(self, ind: Indicator, item: dict[str, Any], path: YamlPath) -> Indicator:
        """The indicator with its publication fields; a public one needs its label and sentence."""
        public = item.get("public", False)
        if not isinstance(public, bool):
            self.problems.add(path + ("public",), f"« {public} » : public vaut true ou false.")
            public = False
        label, sentence = (" ".join(str(item.get(k) or "").split()) for k in ("public_label", "public_sentence"))
        if public:
            for name, value, what in (
                ("public_label", label, "son libellé public (public_label)"),
                ("public_sentence", sentence, "sa phrase pour le grand public (public_sentence)"),
            ):
                if not value:
                    self.problems.add(
                        path + (name,),
                        f"l'indicateur {ind.code} est public mais il lui manque "
                        f"{what} : complétez-le, ou retirez public: true.",
                    )
        return replace(ind, public=public, public_label=label, public_sentence=sentence)

    def _projects(self) -> tuple[Project, ...]:
        projects = []
        wm_codes: set[str] = set()
        act_codes: set[str] = set()
        for i, item, code in self._codes("projects", self._section("projects"), "projects"):
            path = ("projects", i)
            modules = []
            for j, wm in enumerate(item.get("work_modules") or []):
                wpath = path + ("work_modules", j)
                wcode = str(self._field(wm, wpath, "code", default=""))
                if wcode in wm_codes:
                    p = self.problems
                    p.add(wpath + ("code",), f"code de module « {wcode} » en double.")
                wm_codes.add(wcode)
                acts = []
                for k, act in enumerate((wm or {}).get("activities") or []):
                    apath = wpath + ("activities", k)
                    acode = str(self._field(act, apath, "code", default=""))
                    if acode in act_codes:
                        self.problems.add(apath + ("code",), f"code d'activité « {acode} » en double.")
                    act_codes.add(acode)
                    acts.append(
                        Activity(
                            code=acode,
                            label=str(self._field(act, apath, "label", default=acode)),
                            work_module=wcode,
                            project=code,
                        )
                    )
                modules.append(
                    WorkModule(
                        code=wcode,
                        label=str(self._field(wm, wpath, "label", default=wcode)),
                        project=code,
                        activities=tuple(acts),
                    )
                )
            projects.append(
                Project(
                    code=code,
                    label=str(self._field(item, path, "label", default=code)),
                    kind=str(item.get("kind") or "constitutif"),
                    lead=self._refs("operators", item.get("lead"), path + ("lead",), "opérateur")[0]
                    if item.get("lead")
                    else "",
                    partners=self._refs("operators", item.get("partners"), path + ("partners",), "opérateur"),
                    start=self._date(item.get("start"), path + ("start",)),
                    end=self._date(item.get("end"), path + ("end",)),
                    work_modules=tuple(modules),
                )
            )
        self.codes["work_modules"] = wm_codes
        self.codes["activities"] = act_codes
        return tuple(projects)

    def _target(self, raw: Any, path: YamlPath, calendar: Calendar, kind: str) -> Target | None:
        if not isinstance(raw, dict):
            self.problems.add(path, "doit être un dictionnaire {value, period}.")
            return None
        value = self._number(raw.get("value"), path + ("value",)) if "value" in raw else None
        if "value" not in raw:
            self.problems.add(path, "champ obligatoire « value » manquant.")
        if "period" not in raw:
            self.problems.add(path, "champ obligatoire « period » manquant.")
            return None
        period = self._period(raw["period"], path + ("period",), calendar)
        if value is None or period is None:
            return None
        return Target(
            value=value,
            period=period,
            kind=str(raw.get("kind") or kind),
            source=str(raw.get("source") or ""),
            due=calendar.end if period.end > calendar.end else None,
        )

    def _measure_and_ratio(self, ind: Indicator, item: dict[str, Any], path: YamlPath) -> Indicator:
        """The indicator with what it measures and, for a ratio, its components (checked)."""
        measure = str(item.get("measure") or "output")
        if measure not in MEASURES:
            self.problems.add(path + ("measure",), f"valeur « {measure} » invalide ({' | '.join(MEASURES)}).")
            measure = "output"
        numerator, denominator = (str(item.get(k) or "").strip() for k in ("numerator", "denominator"))
        if bool(numerator) != bool(denominator):
            self.problems.add(path, "un ratio déclare son numérateur ET son dénominateur (numerator, denominator).")
            numerator = denominator = ""
        scale = self._number(item.get("ratio_scale", 1), path + ("ratio_scale",)) if numerator else 1.0
        components = str(item.get("components_agg") or "sum")
        if components not in COMPONENT_AGGREGATIONS:
            self.problems.add(
                path + ("components_agg",), f"valeur « {components} » invalide ({' | '.join(COMPONENT_AGGREGATIONS)})."
            )
            components = "sum"
        if numerator and ind.agg_time != "mean":
            self.problems.add(path + ("agg_time",), "un ratio se lit comme une moyenne : agg_time doit valoir mean.")
        return replace(
            ind,
            measure=measure,
            numerator=numerator,
            denominator=denominator,
            ratio_scale=float(scale or 1.0),
            components_agg=components,
        )

    def _indicators(self, calendar: Calendar) -> tuple[Indicator, ...]:
        out = []
        for i, item, code in self._codes("indicators", self._section("indicators"), "indicators"):
            path = ("indicators", i)

            def f(
                name: str,
                required: bool = True,
                default: Any = None,
                item: dict[str, Any] = item,
                path: YamlPath = path,
            ) -> Any:
                return self._field(item, path, name, required, default)

            for name, allowed in (
                ("direction", DIRECTIONS),
                ("frequency", FREQUENCIES),
                ("agg_time", AGGREGATIONS),
                ("agg_space", AGGREGATIONS),
            ):
                value = f(name)
                if value is not None and value not in allowed:
                    self.problems.add(path + (name,), f"valeur « {value} » invalide ({' | '.join(allowed)}).")
            baseline = None
            if item.get("baseline") is not None:
                baseline = self._target(item.get("baseline"), path + ("baseline",), calendar, "référence")
            else:
                self.problems.add(path, "champ obligatoire « baseline » manquant.")
            raw_targets = item.get("targets")
            if not raw_targets or not isinstance(raw_targets, list):
                self.problems.add(path, "champ obligatoire « targets » manquant (au moins une cible datée).")
                raw_targets = []
            targets = [self._target(t, path + ("targets", j), calendar, "finale") for j, t in enumerate(raw_targets)]
            dims = self._refs("dimensions", f("dimensions"), path + ("dimensions",), "dimension")
            keys = self._refs("keys", f("keys"), path + ("keys",), "clé")
            project = f("project")
            if project is not None:
                self._refs("projects", project, path + ("project",), "projet")
            wm = item.get("work_module")
            if wm is not None:
                self._refs("work_modules", wm, path + ("work_module",), "module de travail")
            ind = Indicator(
                code=code,
                label=str(f("label", default=code)),
                label_en=str(item.get("label_en") or ""),
                unit=str(f("unit", default="")),
                direction=str(f("direction", default="up")),
                frequency=str(f("frequency", default="S")),
                agg_time=str(f("agg_time", default="sum")),
                agg_space=str(f("agg_space", default="sum")),
                type=str(item.get("type") or ""),
                by_zone=bool(item.get("by_zone", False)),
                # None only once a problem was recorded: parse_framework then raises, this indicator unseen
                baseline=cast(Target, baseline),
                targets=tuple(t for t in targets if t is not None),
                dimensions=dims,
                keys=keys,
                objectives=self._refs(
                    "objectives", f("objectives", required=False), path + ("objectives",), "objectif"
                ),
                audiences=self._refs("audiences", f("audiences", required=False), path + ("audiences",), "public"),
                project=str(project or ""),
                work_module=str(wm) if wm else None,
                activities=self._refs("activities", item.get("activities"), path + ("activities",), "activité"),
                operators=self._refs("operators", f("operators"), path + ("operators",), "opérateur"),
            )
            if not dims:
                self.problems.add(path + ("dimensions",), "au moins une dimension est nécessaire.")
            out.append(self._public(self._measure_and_ratio(ind, item, path), item, path))
        return tuple(out)
