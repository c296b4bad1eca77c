"""The framework browsed and replaced (the Référentiel page's logic): browsable tables of the
framework, and the checks that guard replacing it (a new framework must keep every code partners
already reported with). It reads and writes the database, so it sits above `framework/` (the
model, loading and checks of a framework file), on the follow-up layer."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from typing import TypedDict, cast

import duckdb
import pandas as pd
import yaml

from ardenne_kpi import db
from ardenne_kpi.core.errors import FrameworkError
from ardenne_kpi.core.format import fmt_number
from ardenne_kpi.core.periods import Grain
from ardenne_kpi.framework import (
    AGGREGATION_LABELS,
    DIRECTION_LABELS,
    FREQUENCY_LABELS,
    OBLIGATION_GRAINS,
    Framework,
    Obligation,
    parse_framework,
    too_large,
)
from ardenne_kpi.framework.owed import obligation_keys
from ardenne_kpi.framework.workbook import SIMPLE_SHEETS, from_workbook

SECTION_OF_KIND = {"indicator": "indicators", "operator": "operators", "zone": "zones", "audience": "audiences"}
KIND_LABELS = {"indicator": "indicateur", "operator": "opérateur", "zone": "zone", "audience": "public"}


def keys_table(fw: Framework) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "Code": k.code,
                "Clé": k.label,
                "Thème": fw.label("themes", k.theme),
                "Indicateurs": sum(1 for i in fw.indicators if k.code in i.keys),
            }
            for k in fw.keys
        ]
    )


def dimensions_table(fw: Framework) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "Code": d.code,
                "Dimension": d.label,
                "Indicateurs": sum(1 for i in fw.indicators if d.code in i.dimensions),
            }
            for d in fw.dimensions
        ]
    )


def objectives_table(fw: Framework) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "Code": o.code,
                "Objectif": o.label,
                "Indicateurs": ", ".join(i.code for i in fw.indicators if o.code in i.objectives),
            }
            for o in fw.objectives
        ]
    )


def projects_table(fw: Framework) -> pd.DataFrame:
    rows = []
    for p in fw.projects:
        for w in p.work_modules or ():
            for a in w.activities or (None,):
                rows.append(
                    {
                        "Projet": f"{p.code} – {p.label}",
                        "Nature": p.kind,
                        "Chef de file": fw.label("operators", p.lead),
                        "Module de travail": f"{w.code} – {w.label}",
                        "Activité": f"{a.code} – {a.label}" if a else "",
                        "Indicateurs": ", ".join(
                            i.code
                            for i in fw.indicators
                            if (a and a.code in i.activities) or (not a and i.work_module == w.code)
                        ),
                    }
                )
    return pd.DataFrame(rows)


def indicators_table(
    fw: Framework,
    *,
    dimensions: Collection[str] = (),
    keys: Collection[str] = (),
    projects: Collection[str] = (),
    operators: Collection[str] = (),
    search: str = "",
) -> pd.DataFrame:
    """Indicators with every mapping spelled out in French, filtered (empty filter = all)."""

    def labels(section: str, codes: Iterable[str]) -> str:
        return ", ".join(fw.label(section, c) for c in codes)

    rows = []
    needle = search.strip().lower()
    for i in fw.indicators:
        if dimensions and not set(dimensions) & set(i.dimensions):
            continue
        if keys and not set(keys) & set(i.keys):
            continue
        if projects and i.project not in projects:
            continue
        if operators and not set(operators) & set(i.operators):
            continue
        if needle and needle not in f"{i.code} {i.label}".lower():
            continue
        final = i.final_target
        rows.append(
            {
                "Code": i.code,
                "Indicateur": i.label,
                "Unité": i.unit,
                "Sens": DIRECTION_LABELS[i.direction],
                "Fréquence": FREQUENCY_LABELS.get(i.frequency, i.frequency),
                "Agrégation (temps / zones)": f"{AGGREGATION_LABELS[i.agg_time]} / {AGGREGATION_LABELS[i.agg_space]}",
                "Référence": f"{fmt_number(i.baseline.value, 2 if i.baseline.value % 1 else 0)} ({i.baseline.period.label_fr})",
                "Cible finale": f"{fmt_number(final.value, 2 if final.value % 1 else 0)} ({final.period.label_fr})",
                "Cibles intermédiaires": "; ".join(
                    f"{fmt_number(t.value)} ({t.period.label_fr})" for t in i.targets if t is not final
                ),
                "Dimensions": labels("dimensions", i.dimensions),
                "Clés": labels("keys", i.keys),
                "Objectifs": ", ".join(i.objectives),
                "Publics": labels("audiences", i.audiences),
                "Projet": i.project,
                "Activités": ", ".join(i.activities),
                "Opérateurs": ", ".join(i.operators),
                "Par zone": "oui" if i.by_zone else "non",
                "Public (portail)": i.public_label if i.public else "non",
            }
        )
    return pd.DataFrame(rows)


def actors_tables(fw: Framework) -> dict[str, pd.DataFrame]:
    return {
        "Opérateurs": pd.DataFrame(
            [
                {"Code": o.code, "Opérateur": o.label, "Pays": o.country, "Rôle": o.role, "Zones": ", ".join(o.zones)}
                for o in fw.operators
            ]
        ),
        "Zones": pd.DataFrame(
            [{"Code": z.code, "Zone": z.label, "Dans": fw.label("zones", z.parent)} for z in fw.zones]
        ),
        "Publics": pd.DataFrame(
            [{"Code": a.code, "Public": a.label, "Dans": fw.label("audiences", a.parent)} for a in fw.audiences]
        ),
        "Plateforme de marque": pd.DataFrame(
            [{"Code": e.code, "Élément de cohérence": e.label} for e in fw.brand_elements]
        ),
        "Obligations de rapportage": obligations_table(fw),
    }


def obligations_table(fw: Framework) -> pd.DataFrame:
    """Every operator's reporting obligations, declared or by default: what Suivi, the
    completeness of the figures and the reminders expect."""
    return pd.DataFrame(
        [
            {
                "Opérateur": fw.label("operators", o.operator),
                "Indicateur": f"{o.indicator} {fw.label('indicators', o.indicator)}",
                "Granularité": _grain_label(o.grain),
                "À partir de": o.first_period or (f"{o.start:%d/%m/%Y}" if o.start else "début du programme"),
                "Jusqu'à": o.last_period or (f"{o.end:%d/%m/%Y}" if o.end else "fin du programme"),
                "Séries dues": _series_text(fw, o),
                "Délai (jours)": o.deadline_days,
                "Source": "déclarée dans le référentiel" if o.declared else "par défaut (fréquence de l'indicateur)",
            }
            for o in fw.obligations
        ],
        columns=[
            "Opérateur",
            "Indicateur",
            "Granularité",
            "À partir de",
            "Jusqu'à",
            "Séries dues",
            "Délai (jours)",
            "Source",
        ],
    )


def _grain_label(grain: str) -> str:
    """An obligation's grain as the page names it (« Semestre civil »), a code it does not know as it is."""
    return Grain.of(grain).label if grain in OBLIGATION_GRAINS else grain


def _series_text(fw: Framework, obligation: Obligation) -> str:
    """« FR-08, BE-LUX · tous publics (rapport unique) »: the series an obligation owes (expected.py)."""
    keys = obligation_keys(fw, obligation)
    zones = ", ".join(dict.fromkeys(z for z, _ in keys))
    audiences = ", ".join(dict.fromkeys(a for _, a in keys if a)) or "tous publics"
    return f"{zones} · {audiences}" + (" (rapport unique)" if obligation.one_off else "")


def read_candidate(data: bytes, file_name: str, current: Framework) -> Framework:
    """A corrected framework from an uploaded .yaml or .xlsx, fully checked; raises FrameworkError."""
    refused = too_large(len(data), file_name)  # before any parse
    if refused:
        raise refused
    name = file_name.lower()
    if name.endswith((".yaml", ".yml")):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise FrameworkError(["fichier : encodage illisible, enregistrez le YAML en UTF-8."]) from exc
    elif name.endswith(".xlsx"):
        text = from_workbook(data, current)
    else:
        raise FrameworkError([f"{file_name} : envoyez un fichier .yaml ou .xlsx (le classeur téléchargé ici)."])
    return parse_framework(text)


def check_replacement(con: duckdb.DuckDBPyConnection, new: Framework) -> None:
    """Refuse a framework that drops a code stored values use (codes are a contract)."""
    problems = []
    for kind, codes in db.used_codes(con).items():
        known = set(new.by_code[SECTION_OF_KIND[kind]])
        if kind == "audience":
            known.add("")
        for code in sorted(codes - known):
            problems.append(
                f"{KIND_LABELS[kind]} « {code} » absent du nouveau référentiel alors que des valeurs "
                "enregistrées l'utilisent : les codes ne se renomment pas, remettez-le."
            )
    if problems:
        raise FrameworkError(problems)


# The framework's sections as the coordinator reads them: the workbook's sheet names.
SECTION_LABELS = {section: title for title, (section, _) in SIMPLE_SHEETS.items()} | {
    "projects": "Projets",
    "indicators": "Indicateurs",
}


def changes(old: Framework, new: Framework) -> pd.DataFrame:
    """What replacing `old` by `new` changes, section by section (sections named in French)."""
    rows = []
    for section in (
        "dimensions",
        "keys",
        "themes",
        "objectives",
        "audiences",
        "zones",
        "operators",
        "projects",
        "indicators",
    ):
        a, b = old.by_code[section], new.by_code[section]
        rows.append(
            {
                "Section": SECTION_LABELS[section],
                "Ajoutés": ", ".join(sorted(b.keys() - a.keys())),
                "Retirés": ", ".join(sorted(a.keys() - b.keys())),
                "Modifiés": ", ".join(sorted(c for c in a.keys() & b.keys() if a[c] != b[c])),
            }
        )
    return pd.DataFrame(rows)


def replace(
    con: duckdb.DuckDBPyConnection,
    new: Framework,
    *,
    changed_by: str | None = None,
    summary: str = "référentiel remplacé (classeur ou YAML déposé)",
) -> None:
    """Check then store the new framework (reference tables rewritten in one transaction),
    and keep the change in the framework's history."""
    check_replacement(con, new)
    db.sync_framework(con, new)
    db.record_framework_change(con, new, changed_by, summary)


def history_table(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The framework's changes made from the app, in French, newest first."""
    frame = db.framework_changes(con)
    return pd.DataFrame(
        {
            "Le": [f"{d:%d/%m/%Y %H:%M}" for d in frame["changed_at"]],
            "Par": frame["changed_by"].fillna("–"),
            "Changement": frame["summary"],
            "Version": frame["version"].fillna(""),
        }
    )


def _insert_obligation(text: str, line: str) -> str:
    """`text` (a framework's YAML) with `line` (a flow mapping) as a new item of its
    `obligations` section, written in the section's own indentation; the section is added
    before `indicators:` when there is none. Comments and everything else stay as written."""
    lines = text.split("\n")
    for i, current in enumerate(lines):
        if re.match(r"^obligations:\s*(\[\s*\])?\s*(#.*)?$", current):
            lines[i] = "obligations:"
            j = i + 1
            while j < len(lines) and (not lines[j].strip() or lines[j].lstrip().startswith("#")):
                j += 1
            item = lines[j] if j < len(lines) else ""
            indent = len(item) - len(item.lstrip()) if item.lstrip().startswith("- ") else 2
            lines.insert(i + 1, " " * indent + "- " + line)
            return "\n".join(lines)
    for i, current in enumerate(lines):
        if re.match(r"^indicators:\s*(#.*)?$", current):
            lines[i:i] = ["obligations:", "  - " + line, ""]
            return "\n".join(lines)
    return text.rstrip("\n") + "\nobligations:\n  - " + line + "\n"


def with_series_obligation(
    fw: Framework,
    operator: str,
    indicator: str,
    zone: str,
    audience: str,
    grain: str,
    *,
    first: str,
    last: str | None = None,
) -> Framework:
    """A candidate framework: `fw` owing (operator, indicator) the series (zone, audience) at
    `grain` from period `first` (and to `last`, when given: the series ended there). A series
    of an operator not listed on the indicator is « adopted »; one of a listed operator joins
    the zones it owes by default. Raises FrameworkError, in French, when it cannot be written
    as one obligation (one already declared for this operator and indicator, another audience
    than the ones it owes): the coordination then edits the Obligations sheet itself."""
    ind = fw.indicator(indicator)
    if any((o.operator, o.indicator) == (operator, indicator) for o in fw.declared_obligations):
        raise FrameworkError(
            [
                f"{operator} a déjà une obligation déclarée pour {indicator} : modifiez-la dans le classeur du "
                "référentiel (feuille Obligations), puis déposez-le."
            ]
        )
    listed = operator in ind.operators
    zones, audiences = [zone], [audience] if audience else []
    if listed:
        # a listed operator owes the indicator: by default at least (Framework.obligations)
        owed = obligation_keys(fw, cast(Obligation, fw.obligation(operator, indicator)))
        if audience and any(a != audience for _, a in owed):
            raise FrameworkError(
                [
                    f"{operator} doit {indicator} pour tous les publics : une obligation ne peut pas y ajouter le "
                    f"seul public {audience}. Écrivez-la dans le classeur du référentiel (feuille Obligations)."
                ]
            )
        zones = list(dict.fromkeys([z for z, _ in owed] + [zone]))
    parts = [f"operator: {operator}", f"indicators: [{indicator}]", f"zones: [{', '.join(zones)}]"]
    if audiences:
        parts.append(f"audiences: [{', '.join(audiences)}]")
    if grain != ind.grain:
        parts.append(f"grain: {grain}")
    parts.append(f"from: {first}")
    if last:
        parts.append(f"to: {last}")
    if not listed:
        parts.append("adopted: true")
    return parse_framework(_insert_obligation(fw.source_text, "{" + ", ".join(parts) + "}"))


def to_yaml(fw: Framework) -> bytes:
    return (fw.source_text or yaml.safe_dump({})).encode("utf-8")


class OutsideSeries(TypedDict):
    """A series reported outside any obligation (a row of `figures.outside_series`)."""

    indicator: str
    operator: str
    zone: str
    audience: str  # '' = all audiences
    grain: str
    first_period: str
    last_period: str


def _series_label(series: OutsideSeries) -> str:
    place = series["zone"] + (f" · {series['audience']}" if series.get("audience") else "")
    return f"{series['indicator']} · {series['operator']} ({place})"


def outside_table(frame: pd.DataFrame) -> pd.DataFrame:
    """kpis.outside_series in French: the series reported outside any obligation."""
    return pd.DataFrame(
        {
            "Série": [_series_label(r) for r in outside_records(frame)],
            "Rythme": [_grain_label(g) for g in frame["grain"]],
            "Premier rapport": frame["first_period"],
            "Dernier rapport": frame["last_period"],
        }
    )


def adopt_series(
    con: duckdb.DuckDBPyConnection, fw: Framework, series: OutsideSeries, changed_by: str | None
) -> Framework:
    """Make a series reported outside any obligation an obligation from its first report on
    (then it is due like any other), as a change of the framework kept in its history."""
    return _series_change(con, fw, series, changed_by, None, "série adoptée comme obligation")


def end_series(
    con: duckdb.DuckDBPyConnection, fw: Framework, series: OutsideSeries, changed_by: str | None
) -> Framework:
    """Say that a series reported outside any obligation ended with its last report: owed from
    its first report to its last, never expected after (a stock no longer awaited), as a change
    of the framework kept in its history."""
    return _series_change(
        con, fw, series, changed_by, series["last_period"], f"série arrêtée après {series['last_period']}"
    )


def _series_change(
    con: duckdb.DuckDBPyConnection,
    fw: Framework,
    series: OutsideSeries,
    changed_by: str | None,
    last: str | None,
    what: str,
) -> Framework:
    new = with_series_obligation(
        fw,
        series["operator"],
        series["indicator"],
        series["zone"],
        series.get("audience") or "",
        series["grain"],
        first=series["first_period"],
        last=last,
    )
    replace(con, new, changed_by=changed_by, summary=f"{what} : {_series_label(series)}")
    return new


PICK_AMONG = 200  # outside series offered at once for adoption; beyond, found by words first


def series_matching(labels: list[str], words: str, limit: int = PICK_AMONG) -> tuple[list[int], int]:
    """The positions in `labels` of the series whose label holds every word of `words` (case
    ignored), the first `limit` of them, and how many there are: on a large base, thousands of
    series reported outside any obligation are found by a few words, not scrolled."""
    needles = words.casefold().split()
    if not needles:
        return [], 0
    found = [i for i, label in enumerate(labels) if all(n in label.casefold() for n in needles)]
    return found[:limit], len(found)


def outside_records(frame: pd.DataFrame) -> list[OutsideSeries]:
    """kpis.outside_series as one dict per series, in the order of outside_table's rows."""
    return cast(list[OutsideSeries], frame.to_dict("records"))  # the frame's columns are the record's keys
