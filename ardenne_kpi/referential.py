"""The Référentiel page's logic: browsable tables of the framework, and the checks that
guard replacing it (a new framework must keep every code partners already reported with)."""

from __future__ import annotations

import duckdb
import pandas as pd
import yaml

from ardenne_kpi import db, expected
from ardenne_kpi.errors import FrameworkError
from ardenne_kpi.format import fmt_number
from ardenne_kpi.framework import (
    AGGREGATION_LABELS,
    DIRECTION_LABELS,
    FREQUENCY_LABELS,
    Framework,
    parse_framework,
    too_large,
)
from ardenne_kpi.framework_workbook import SIMPLE_SHEETS, from_workbook
from ardenne_kpi.kpis import GRAIN_LABELS

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
    fw: Framework, *, dimensions=(), keys=(), projects=(), operators=(), search: str = ""
) -> pd.DataFrame:
    """Indicators with every mapping spelled out in French, filtered (empty filter = all)."""

    def labels(section, codes):
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
                "Granularité": GRAIN_LABELS.get(o.grain, "Mois" if o.grain == "month" else o.grain),
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


def _series_text(fw: Framework, obligation) -> str:
    """« FR-08, BE-LUX · tous publics (rapport unique) »: the series an obligation owes (expected.py)."""
    keys = expected.obligation_keys(fw, obligation)
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


def replace(con: duckdb.DuckDBPyConnection, new: Framework) -> None:
    """Check then store the new framework (reference tables rewritten in one transaction)."""
    check_replacement(con, new)
    db.sync_framework(con, new)


def to_yaml(fw: Framework) -> bytes:
    return (fw.source_text or yaml.safe_dump({})).encode("utf-8")
