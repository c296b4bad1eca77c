"""The framework as an Excel workbook, both ways: a download for the coordinator to read
and correct, and the corrected workbook read back into framework YAML (then checked by
`framework.parse_framework` like any framework file).

One sheet per section; list fields are written "K03, K11"; dated values "600 @ 2019-05".
"""

from __future__ import annotations

import io
from typing import Any

import yaml
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from ardenne_kpi.core.errors import FrameworkError
from ardenne_kpi.core.format import put_row
from ardenne_kpi.framework import OBLIGATION_GRAINS, Framework, Indicator, Target

HEADER_FILL = PatternFill("solid", fgColor="1F5C3F")
HEADER_FONT = Font(bold=True, color="FFFFFF")

# sheet name -> (section, [(column header, field)])
SIMPLE_SHEETS: dict[str, tuple[str, list[tuple[str, str]]]] = {
    "Dimensions": ("dimensions", [("code", "code"), ("libellé", "label")]),
    "Thèmes": ("themes", [("code", "code"), ("libellé", "label")]),
    "Clés": ("keys", [("code", "code"), ("libellé", "label"), ("thème", "theme")]),
    "Plateforme de marque": ("brand_elements", [("code", "code"), ("libellé", "label")]),
    "Objectifs": ("objectives", [("code", "code"), ("libellé", "label")]),
    "Publics": ("audiences", [("code", "code"), ("libellé", "label"), ("parent", "parent")]),
    "Zones": ("zones", [("code", "code"), ("libellé", "label"), ("parent", "parent"), ("pays", "country")]),
    "Opérateurs": (
        "operators",
        [
            ("code", "code"),
            ("libellé", "label"),
            ("pays", "country"),
            ("rôle", "role"),
            ("zones", "zones"),
            ("courriel", "email"),
            ("article", "article"),  # le, la, l', les or empty: « de la Fédération… » in reminders
        ],
    ),
}
LIST_FIELDS = {"zones", "dimensions", "keys", "objectives", "audiences", "activities", "operators", "partners"}
INDICATOR_COLUMNS = [
    ("code", "code"),
    ("libellé", "label"),
    ("libellé anglais", "label_en"),
    ("unité", "unit"),
    ("sens", "direction"),
    ("fréquence", "frequency"),
    ("agrégation temps", "agg_time"),
    ("agrégation zones", "agg_space"),
    ("type", "type"),
    ("par zone", "by_zone"),
    ("référence", "baseline"),
    ("cibles", "targets"),
    ("dimensions", "dimensions"),
    ("clés", "keys"),
    ("objectifs", "objectives"),
    ("publics", "audiences"),
    ("projet", "project"),
    ("module de travail", "work_module"),
    ("activités", "activities"),
    ("opérateurs", "operators"),
    ("mesure", "measure"),
    ("numérateur", "numerator"),
    ("dénominateur", "denominator"),
    ("échelle du ratio", "ratio_scale"),
    ("agrégation des composantes", "components_agg"),
    ("public", "public"),
    ("libellé public", "public_label"),
    ("phrase publique", "public_sentence"),
]
BOOLEAN_FIELDS = {"by_zone", "public"}
# The portal's settings (framework `open_data`) on the "Lisez-moi" sheet: label -> field.
OPEN_DATA_ROWS = [
    ("Portail : titre", "title"),
    ("Portail : éditeur", "publisher"),
    ("Licence des données ouvertes", "licence_name"),
    ("Titre de la licence", "licence_title"),
    ("Adresse de la licence", "licence_path"),
]
# The declared obligations (framework `obligations`), one row per operator × indicator.
OBLIGATION_COLUMNS = [
    ("opérateur", "operator"),
    ("indicateurs", "indicators"),
    ("granularité", "grain"),
    ("à partir de", "from"),
    ("jusqu'à", "to"),
    ("zones", "zones"),
    ("publics", "audiences"),
    ("rapport unique", "one_off"),
    ("adoptée", "adopted"),
    ("délai (jours)", "deadline_days"),
]
PROJECT_COLUMNS = [
    ("projet", "project"),
    ("type", "kind"),
    ("chef de file", "lead"),
    ("partenaires", "partners"),
    ("début", "start"),
    ("fin", "end"),
    ("libellé projet", "project_label"),
    ("module", "work_module"),
    ("libellé module", "work_module_label"),
    ("activité", "activity"),
    ("libellé activité", "activity_label"),
]


def _cell_text(value: Any) -> Any:
    """A framework value for a cell: lists "K03, K11", nothing for an empty text (an empty
    cell, as the coordinator left it). `put_cell` keeps every text a text, never a formula."""
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value) or None
    if value == "":
        return None
    return value


def _sheet(wb: Workbook, title: str, headers: list[str], rows: list[list[Any]]) -> None:
    ws = wb.create_sheet(title)
    put_row(ws, headers, fill=HEADER_FILL, font=HEADER_FONT)
    for row in rows:
        put_row(ws, [_cell_text(v) for v in row])
    ws.freeze_panes = "B2"
    for i, header in enumerate(headers, start=1):
        width = max([len(str(header))] + [len(str(r[i - 1] or "")) for r in rows[:200]])
        ws.column_dimensions[get_column_letter(i)].width = min(max(width + 2, 8), 60)
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(vertical="top", wrap_text=len(str(cell.value or "")) > 60)


def _dated(target: Target) -> str:
    notes = [target.kind] if target.kind not in ("finale", "référence") else []
    notes += [f"src {target.source}"] if target.source else []
    text = f"{target.value:.15g} @ {target.period.code}"
    return f"{text} ({', '.join(notes)})" if notes else text


def _indicator_row(ind: Indicator) -> list[Any]:
    values = {
        "baseline": _dated(ind.baseline),
        "targets": "; ".join(_dated(t) for t in ind.targets),
        "by_zone": "oui" if ind.by_zone else "non",
        "public": "oui" if ind.public else "non",
        "ratio_scale": ind.ratio_scale if ind.is_ratio else None,
        "components_agg": ind.components_agg if ind.is_ratio else None,
    }
    return [values.get(f, getattr(ind, f)) for _, f in INDICATOR_COLUMNS]


def to_workbook(fw: Framework) -> bytes:
    """The framework as an .xlsx (bytes): one sheet per section, a "Lisez-moi" first."""
    wb = Workbook()
    readme = wb.worksheets[0]  # the sheet a new workbook starts with (its active one)
    readme.title = "Lisez-moi"
    for line in (
        ["Référentiel du plan de marketing territorial", fw.portfolio.get("label", "")],
        ["Version", fw.version],
        [
            "Les codes sont un contrat",
            "Les partenaires saisissent ces codes : corrigez les libellés, ajoutez des "
            "codes, ne renommez jamais un code existant.",
        ],
        ["Listes", "Plusieurs codes séparés par des virgules : K03, K11"],
        [
            "Valeurs datées",
            "valeur @ période (nature, src source), plusieurs cibles séparées par « ; » : "
            "600 @ 2019-05 (intermediaire, src S); 800 @ S11 (src A)",
        ],
        [
            "Semestres du programme",
            ", ".join(f"{s.code} = {s.start:%d/%m/%Y}–{s.end:%d/%m/%Y}" for s in fw.calendar.semesters),
        ],
        ["Délai de remise (jours)", fw.reporting_deadline_days],
        ["Seuil « en bonne voie »", fw.on_track],
        ["Seuil « à surveiller »", fw.at_risk],
        [
            "Obligations",
            "Feuille Obligations : seulement les exceptions. Par défaut, chaque opérateur d'un "
            "indicateur le rapporte à sa fréquence, du début à la fin de son projet, pour ses zones, dans le "
            "délai ci-dessus ; « jusqu'à » termine une obligation, « zones » et « publics » disent les séries "
            "dues, « rapport unique » (oui) n'attend qu'une période. "
            "Granularités : " + ", ".join(OBLIGATION_GRAINS) + ".",
        ],
        [
            "Publics",
            "Colonne « public » de la feuille Indicateurs : oui = publié sur le portail d'attractivité "
            "(libellé public et phrase publique obligatoires), périodes complètes seulement.",
        ],
        *([label, getattr(fw.open_data, f)] for label, f in OPEN_DATA_ROWS if fw.open_data is not None),
    ):
        put_row(readme, line)
    readme.column_dimensions["A"].width = 32
    readme.column_dimensions["B"].width = 120
    for title, (section, columns) in SIMPLE_SHEETS.items():
        _sheet(
            wb,
            title,
            [h for h, _ in columns],
            [[getattr(e, f, None) for _, f in columns] for e in getattr(fw, section)],
        )
    project_rows = []
    for p in fw.projects:
        head = [p.code, p.kind, p.lead, list(p.partners), p.start, p.end, p.label]
        if not p.work_modules:
            project_rows.append(head + [None] * 4)
        for w in p.work_modules:
            if not w.activities:
                project_rows.append(head + [w.code, w.label, None, None])
            for a in w.activities:
                project_rows.append(head + [w.code, w.label, a.code, a.label])
    _sheet(wb, "Projets", [h for h, _ in PROJECT_COLUMNS], project_rows)
    _sheet(wb, "Indicateurs", [h for h, _ in INDICATOR_COLUMNS], [_indicator_row(i) for i in fw.indicators])
    _sheet(
        wb,
        "Obligations",
        [h for h, _ in OBLIGATION_COLUMNS],
        [
            [
                o.operator,
                o.indicator,
                o.grain,
                o.first_period or None,
                o.last_period or None,
                ", ".join(o.zones) or None,
                ", ".join(o.audiences) or None,
                "oui" if o.one_off else None,
                "oui" if o.adopted else None,
                o.deadline_days,
            ]
            for o in fw.declared_obligations
        ],
    )
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# ---------------------------------------------------------------- reading back


def _split(value: Any) -> list[str]:
    return [v.strip() for v in str(value or "").replace(";", ",").split(",") if v.strip()]


def _parse_dated(text: str, where: str, problems: list[str]) -> dict[str, Any] | None:
    notes: list[str] = []
    if "(" in text and text.endswith(")"):
        text, inside = text[:-1].split("(", 1)
        notes = [n.strip() for n in inside.split(",") if n.strip()]
    if "@" not in text:
        problems.append(f"{where} : « {text} » doit s'écrire valeur @ période (ex. 800 @ S11).")
        return None
    value, period = (t.strip() for t in text.split("@", 1))
    try:
        number = float(value.replace(",", ".").replace(" ", "").replace("\u00a0", ""))
    except ValueError:
        problems.append(f"{where} : « {value} » n'est pas un nombre.")
        return None
    out: dict[str, Any] = {"value": number, "period": period}
    for note in notes:
        if note.startswith("src "):
            out["source"] = note[4:].strip()
        else:
            out["kind"] = note
    return out


def _rows(ws: Worksheet) -> list[tuple[int, dict[str, Any]]]:
    rows = list(ws.iter_rows(values_only=True))
    if not rows:
        return []
    headers = [str(h or "").strip().lower() for h in rows[0]]
    out = []
    for n, row in enumerate(rows[1:], start=2):
        if all(v in (None, "") for v in row):
            continue
        out.append((n, {h: (v.lstrip("'") if isinstance(v, str) else v) for h, v in zip(headers, row, strict=False)}))
    return out


def from_workbook(data: bytes, current: Framework) -> str:
    """Framework YAML text from a corrected workbook; settings the workbook does not hold
    (portfolio, calendar, thresholds) are kept from `current`. Raises FrameworkError."""
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - any unreadable upload is one French sentence
        raise FrameworkError(
            [
                f"classeur illisible ({exc.__class__.__name__}) : envoyez le fichier .xlsx "
                "téléchargé depuis cette page, corrigé."
            ]
        ) from exc
    problems: list[str] = []
    base = yaml.safe_load(current.source_text) or {}
    out: dict[str, Any] = {k: base[k] for k in ("version", "portfolio", "calendar", "status_thresholds") if k in base}
    for title, (section, columns) in SIMPLE_SHEETS.items():
        if title not in wb.sheetnames:
            problems.append(f"feuille « {title} » manquante.")
            continue
        items = []
        for _, row in _rows(wb[title]):
            item = {f: row.get(h) for h, f in columns if row.get(h) not in (None, "")}
            for f in LIST_FIELDS & item.keys():
                item[f] = _split(item[f])
            items.append(item)
        out[section] = items
    if "Projets" not in wb.sheetnames:
        problems.append("feuille « Projets » manquante.")
    else:
        projects: dict[str, dict[str, Any]] = {}
        for _, row in _rows(wb["Projets"]):
            code = str(row.get("projet") or "").strip()
            if not code:
                continue
            p = projects.setdefault(
                code,
                {
                    "code": code,
                    "label": row.get("libellé projet"),
                    "kind": row.get("type"),
                    "lead": row.get("chef de file"),
                    "partners": _split(row.get("partenaires")),
                    "start": _iso(row.get("début")),
                    "end": _iso(row.get("fin")),
                    "work_modules": [],
                },
            )
            wm_code = row.get("module")
            if wm_code:
                wms = {w["code"]: w for w in p["work_modules"]}
                wm = wms.get(wm_code) or {"code": wm_code, "label": row.get("libellé module"), "activities": []}
                if wm_code not in wms:
                    p["work_modules"].append(wm)
                if row.get("activité"):
                    wm["activities"].append({"code": row["activité"], "label": row.get("libellé activité")})
        out["projects"] = [{k: v for k, v in p.items() if v not in (None, [], "")} for p in projects.values()]
    if "Indicateurs" not in wb.sheetnames:
        problems.append("feuille « Indicateurs » manquante.")
    else:
        indicators = []
        for n, row in _rows(wb["Indicateurs"]):
            item = {}
            for header, f in INDICATOR_COLUMNS:
                value = row.get(header)
                where = f"feuille Indicateurs, ligne {n}, colonne « {header} »"
                if value in (None, ""):
                    continue
                if f in LIST_FIELDS:
                    value = _split(value)
                elif f in BOOLEAN_FIELDS:
                    value = str(value).strip().lower() in ("oui", "true", "vrai", "1", "x")
                elif f == "baseline":
                    value = _parse_dated(str(value), where, problems)
                elif f == "targets":
                    value = [
                        t
                        for t in (_parse_dated(p.strip(), where, problems) for p in str(value).split(";") if p.strip())
                        if t
                    ]
                item[f] = value
            indicators.append(item)
        out["indicators"] = indicators
    if "Obligations" in wb.sheetnames:
        obligations = []
        for _, row in _rows(wb["Obligations"]):
            item = {f: row.get(h) for h, f in OBLIGATION_COLUMNS if row.get(h) not in (None, "")}
            if "indicators" in item:
                item["indicators"] = _split(item["indicators"])
            for field in ("from", "to"):
                if field in item:
                    item[field] = str(item[field])
            for field in ("zones", "audiences"):
                if field in item:
                    item[field] = _split(item[field])
            for field in ("one_off", "adopted"):
                if field in item:
                    item[field] = str(item[field]).strip().lower() in ("oui", "true", "1", "vrai", "x")
            if item:
                obligations.append(item)
        if obligations:
            out["obligations"] = obligations
    elif "obligations" in base:  # a workbook downloaded before obligations existed keeps the current ones
        out["obligations"] = base["obligations"]
    open_data = _open_data(wb)
    if open_data is not None:
        out["open_data"] = open_data
    elif "open_data" in base:
        out["open_data"] = base["open_data"]
    if problems:
        raise FrameworkError(problems)
    return yaml.safe_dump(out, allow_unicode=True, sort_keys=False, width=200)


def _open_data(wb: Workbook) -> dict[str, Any] | None:
    """The `open_data` section from the "Lisez-moi" rows, or None when the sheet has none
    (an older workbook: the current settings are kept)."""
    if "Lisez-moi" not in wb.sheetnames:
        return None
    rows = {str(r[0]).strip(): r[1] for r in wb["Lisez-moi"].iter_rows(values_only=True) if r and r[0]}
    values = {f: str(rows[label]).strip() for label, f in OPEN_DATA_ROWS if rows.get(label) not in (None, "")}
    if not values:
        return None
    licence = {
        k: values[f]
        for k, f in (("name", "licence_name"), ("title", "licence_title"), ("path", "licence_path"))
        if f in values
    }
    return {
        k: v
        for k, v in (
            ("title", values.get("title")),
            ("publisher", values.get("publisher")),
            ("licence", licence or None),
        )
        if v
    }


def _iso(value: Any) -> Any:
    return value.date().isoformat() if hasattr(value, "date") else value
