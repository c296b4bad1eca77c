"""Finding the table in a sheet: the header row, what each column holds, the layout, and
the metadata of the title block above it.

The header row is the row, among the first 30, whose cells name the most known columns
(French or English synonyms, case and accents ignored) and that has an indicator column
plus either a value column (long layout: one row per value) or columns headed by periods
(wide layout: `S1 2019`, `T3 2020`, `2020-Q3`, `2019`...). A header split over two rows by
merged cells is read as one. Lines such as `Opérateur : FTLB` or `Période | S05` above the
header apply to every row that does not say otherwise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ardenne_kpi.core.errors import PeriodError
from ardenne_kpi.core.periods import Calendar, Period, parse_period
from ardenne_kpi.intake.values import is_blank, normalise, text_of
from ardenne_kpi.intake.workbook import Sheet

HEADER_SEARCH_ROWS = 30

LONG, WIDE = "long", "wide"

# field -> synonyms (normalised). A header matches when it equals a synonym, or starts with
# one followed by words without digits ("valeur realisee", "code indicateur").
# Order matters: the first field that matches wins ("code indicateur" is a code, "libelle
# indicateur" a label).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "comment": (
        "commentaire",
        "commentaires",
        "remarque",
        "remarques",
        "observation",
        "observations",
        "explication",
        "explications",
        "note",
        "notes",
        "comment",
        "comments",
        "justification",
    ),
    "label": (
        "libelle",
        "libelles",
        "intitule",
        "intitules",
        "nom de l indicateur",
        "nom indicateur",
        "label",
        "description",
        "indicator name",
        "indicateur libelle",
    ),
    "indicator": (
        "code",
        "code indicateur",
        "indicateur",
        "indicateurs",
        "indicator",
        "indicators",
        "kpi",
        "id",
        "ref",
        "reference",
        "code kpi",
        "indicator code",
    ),
    "period": (
        "periode",
        "periodes",
        "period",
        "semestre",
        "trimestre",
        "annee",
        "mois",
        "date",
        "exercice",
        "year",
        "quarter",
        "semester",
        "month",
        "periode de reference",
        "periode de rapportage",
    ),
    "zone": (
        "zone",
        "zones",
        "territoire",
        "territoires",
        "zone geographique",
        "province",
        "departement",
        "region",
        "area",
        "territory",
        "geographie",
    ),
    "audience": (
        "public",
        "publics",
        "public cible",
        "cible",
        "cibles",
        "audience",
        "audiences",
        "target group",
        "segment",
    ),
    "value": (
        "valeur",
        "valeurs",
        "realise",
        "realisee",
        "realises",
        "realisation",
        "value",
        "values",
        "montant",
        "resultat",
        "resultats",
        "nombre",
        "quantite",
        "actual",
        "achieved",
        "total realise",
        "valeur realisee",
        "chiffre",
        "donnee",
    ),
    "operator": (
        "operateur",
        "operateurs",
        "partenaire",
        "partenaires",
        "operator",
        "partner",
        "structure",
        "organisme",
        "beneficiaire",
    ),
    "unit": ("unite", "unites", "unit", "units"),
    # A ratio's components (rate = numerator / denominator): the dashboard weights with them.
    "numerator": ("numerateur", "numerator"),
    "denominator": ("denominateur", "denominator"),
}
KEY_FIELDS = ("indicator", "label", "period", "zone", "audience", "operator")
META_FIELDS = ("operator", "period", "zone", "audience")

_LOOKUP: dict[str, str] = {}
for _field, _names in SYNONYMS.items():
    for _name in _names:
        _LOOKUP.setdefault(_name, _field)


def header_field(raw: object) -> str | None:
    """The field a header cell names, or None."""
    if type(raw) is not str:
        return None
    text = normalise(raw)
    if not text:
        return None
    found = _LOOKUP.get(text)
    if found:
        return found
    words = text.split()
    for n in range(len(words) - 1, 0, -1):
        found = _LOOKUP.get(" ".join(words[:n]))
        if found:
            rest = words[n:]
            return None if any(ch.isdigit() for w in rest for ch in w) else found
    return None


def column_letter(col: int) -> str:
    letters = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def cell_ref(row: int, col: int) -> str:
    """A1-style reference of 0-based (row, col)."""
    return f"{column_letter(col)}{row + 1}"


@dataclass
class Table:
    """A located table. Row and column numbers are 0-based indexes into `Sheet.rows`."""

    sheet: str
    header_row: int
    layout: str
    columns: dict[str, int]  # field -> column
    period_columns: dict[int, Period] = field(default_factory=dict)
    ignored_columns: list[tuple[int, str]] = field(default_factory=list)
    metadata: dict[str, tuple[object, str]] = field(default_factory=dict)  # field -> (raw value, cell)
    first_data_row: int = 0


def _header_period(raw: object, calendar: Calendar, cache: dict[tuple[type, object], Period | None]) -> Period | None:
    if is_blank(raw) or isinstance(raw, bool):
        return None
    if isinstance(raw, float) and not raw.is_integer():
        return None
    key = (type(raw), raw)
    if key not in cache:
        try:
            cache[key] = parse_period(raw.strip() if isinstance(raw, str) else raw, calendar)
        except (PeriodError, ValueError, TypeError, OverflowError):
            cache[key] = None
    return cache[key]


def locate(sheet: Sheet, calendar: Calendar) -> Table | None:
    """The table of `sheet`, or None when no row of the first 30 looks like a header."""
    rows = sheet.rows
    cache: dict[tuple[type, object], Period | None] = {}
    best: tuple[float, int, dict[str, int], dict[int, Period], list[object]] | None = (
        None  # (score, row, columns, periods, above)
    )
    for r in range(min(HEADER_SEARCH_ROWS, len(rows))):
        row = rows[r]
        above = rows[r - 1] if r > 0 else []
        columns: dict[str, int] = {}
        periods: dict[int, Period] = {}
        borrowed = 0
        for c, raw in enumerate(row):
            name = header_field(raw)
            if name is None and is_blank(raw) and c < len(above) and ":" not in text_of(above[c]):
                name = header_field(above[c])  # a header cell merged over two rows
                borrowed += name is not None
            if name is not None:
                if name in columns:
                    if name == "indicator" and "label" not in columns:
                        # "Code" and "Indicateur": the one saying "code" holds codes
                        first = normalise(text_of(rows[r][columns[name]]) or text_of(above[columns[name]]))
                        if "code" in normalise(text_of(raw)) and "code" not in first:
                            columns["label"] = columns[name]
                            columns[name] = c
                        else:
                            columns["label"] = c
                    continue
                columns[name] = c
                continue
            period = _header_period(raw, calendar, cache)
            if period is not None:
                periods[c] = period
        has_indicator = "indicator" in columns or "label" in columns
        if not has_indicator:
            continue
        if "value" in columns:
            periods = {}
        elif not periods:
            continue
        score = len(columns) + len(periods) - borrowed * 0.5
        if best is None or score > best[0]:
            best = (score, r, columns, periods, [])
    if best is None:
        return None
    _, r, columns, periods, _ = best
    layout = LONG if "value" in columns else WIDE
    table = Table(sheet.name, r, layout, columns, periods, first_data_row=r + 1)
    known = set(columns.values()) | set(periods)
    header = rows[r]
    above = rows[r - 1] if r > 0 else []
    for c, raw in enumerate(header):
        if c in known:
            continue
        text = text_of(raw) or (text_of(above[c]) if c < len(above) and header_field(above[c]) else "")
        if text and header_field(raw) != "unit":
            table.ignored_columns.append((c, text))
    table.metadata = _metadata(rows, r, columns, calendar)
    return table


_META_LINE = re.compile(r"^\s*([^:：]{2,60}?)\s*[:：]\s*(.*?)\s*$", re.S)


def _metadata(
    rows: list[list[Any]], header_row: int, columns: dict[str, int], calendar: Calendar
) -> dict[str, tuple[object, str]]:
    """`Opérateur : FTLB` in one cell, or `Opérateur` / `Opérateur :` then the value in a
    following cell of the same row, above the header row. The first of each field wins."""
    found: dict[str, tuple[object, str]] = {}
    for r in range(header_row):
        row = rows[r]
        for c, raw in enumerate(row):
            if type(raw) is not str or not raw.strip():
                continue
            match = _META_LINE.match(raw)
            if match:
                name = _meta_field(match[1])
                if name is None or name in found:
                    continue
                if match[2]:
                    found[name] = (match[2], cell_ref(r, c))
                    continue
            else:
                name = _meta_field(raw)
                if name is None or name in found:
                    continue
            for c2 in range(c + 1, len(row)):
                if not is_blank(row[c2]):
                    found[name] = (row[c2], cell_ref(r, c2))
                    break
    return found


def _meta_field(label: str) -> str | None:
    name = header_field(label)
    return name if name in META_FIELDS else None


BRAND_SHEETS = {
    "plateforme de marque",
    "marque",
    "plateforme marque",
    "brand platform",
    "coherence marque",
    "coherence de la marque",
}


def is_brand_sheet(sheet: str) -> bool:
    """True for a sheet the engine should hand to `brand_sheet.read_sheet` ("Plateforme de marque",
    "Marque"...). Here rather than in `brand_sheet`, which loads pandas: most files have none."""
    return normalise(sheet) in BRAND_SHEETS
