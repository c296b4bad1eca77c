"""The static site of the attractiveness portal, written by `python -m ardenne_kpi publish`.

A plain folder that works offline, opened from disk or served as it is:
- `index.html`, « L'Ardenne en chiffres »: the key figures by audience and by zone, each
  with its trend and its target, charts drawn by `plotly.min.js` (Plotly's bundled
  JavaScript, written once beside it and referenced relatively: no network, no CDN);
- `embed/CODE.html`: one figure per page, for an `<iframe>` on a partner's site;
- `datapackage.json` and `data/*.csv`: the same figures as open data (Frictionless Data
  Package), under the framework's licence; codes in the CSVs, labels in the schema.

Re-running on unchanged data writes byte-identical files: every date comes from the data,
ordering is stable, and chart ids are derived from the indicator codes.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, SupportsFloat

import duckdb
import jinja2
import pandas as pd
from markupsafe import Markup

from ardenne_kpi.core import storage
from ardenne_kpi.core.errors import PublicationError, StorageError
from ardenne_kpi.core.format import csv_script, fmt_date, html_text
from ardenne_kpi.framework import Framework
from ardenne_kpi.portal import public_charts
from ardenne_kpi.portal.publication import PublicFigures, intro_text, public_figures, public_indicators, updated_text

PLOTLY_JS = "plotly.min.js"
MARKER = "datapackage.json"  # a folder holding it is an earlier publication: it may be rewritten
DATA_DIR = "data"
EMBED_DIR = "embed"


@dataclass(frozen=True)
class Published:
    """What `publish` wrote: the folder, its files (relative paths, sorted) and the figures."""

    folder: Path
    files: list[str]
    figures: PublicFigures


# ------------------------------------------------------------------ open data


def _plain(value: SupportsFloat | None) -> str:
    """A number for a CSV read by scripts: dot decimal, no exponent, integers without ".0"."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    number = round(float(value), 6)
    if number.is_integer() and abs(number) < 1e15:
        return str(int(number))
    return format(number, ".6f").rstrip("0").rstrip(".")


def _iso(value: dt.date | str) -> str:
    return pd.Timestamp(value).date().isoformat()


FIELDS = {  # resource -> [(column, type, French title)]
    "indicateurs": [
        ("indicator", "string", "Code de l'indicateur"),
        ("label", "string", "Libellé"),
        ("sentence", "string", "Ce que mesure l'indicateur"),
        ("unit", "string", "Unité"),
        ("audiences", "string", "Publics concernés (HAB habitants, ENT entreprises, VIS visiteurs)"),
        ("by_zone", "boolean", "Ventilé par zone"),
        ("grain", "string", "Granularité des périodes publiées"),
        ("agg_time", "string", "Agrégation dans le temps (sum, last, mean)"),
        ("agg_space", "string", "Agrégation entre séries (sum, last, mean)"),
        ("measure", "string", "Nature (output : production des opérateurs ; territory : mesure d'un territoire)"),
        ("direction", "string", "Sens (up : plus = mieux ; down : moins = mieux)"),
        ("rule", "string", "Règle de calcul"),
        ("baseline", "number", "Valeur de référence"),
        ("baseline_period", "string", "Période de la référence"),
        ("final_target", "number", "Cible finale"),
        ("final_target_period", "string", "Période de la cible finale"),
    ],
    "valeurs": [
        ("indicator", "string", "Code de l'indicateur"),
        ("period", "string", "Code de la période"),
        ("grain", "string", "Granularité"),
        ("period_start", "date", "Début de la période"),
        ("period_end", "date", "Fin de la période"),
        ("value", "number", "Valeur (période complète)"),
        ("target", "number", "Cible due à cette date"),
        ("target_period", "string", "Période de cette cible"),
    ],
    "zones": [
        ("indicator", "string", "Code de l'indicateur"),
        ("zone", "string", "Code de la zone"),
        ("zone_label", "string", "Zone"),
        ("period", "string", "Code de la période"),
        ("grain", "string", "Granularité"),
        ("period_start", "date", "Début de la période"),
        ("period_end", "date", "Fin de la période"),
        ("value", "number", "Valeur de la zone (période complète)"),
    ],
}
KEYS = {"indicateurs": ["indicator"], "valeurs": ["indicator", "period"], "zones": ["indicator", "zone", "period"]}
TITLES = {
    "indicateurs": "Indicateurs publiés",
    "valeurs": "Valeurs par période complète",
    "zones": "Valeurs par zone et par période complète",
}


def _tables(fw: Framework, figures: PublicFigures) -> dict[str, pd.DataFrame]:
    rows = []
    for code in figures.cards["indicator"]:
        ind, card = fw.indicator(code), figures.card(code)
        final = ind.final_target
        rows.append(
            {
                "indicator": code,
                "label": card["label"],
                "sentence": card["sentence"],
                "unit": ind.unit,
                "audiences": card["audiences"],
                "by_zone": "true" if ind.by_zone else "false",
                "grain": card["grain"],
                "agg_time": ind.agg_time,
                "agg_space": ind.agg_space,
                "measure": ind.measure,
                "direction": ind.direction,
                "rule": card["rule"],
                "baseline": _plain(ind.baseline.value),
                "baseline_period": ind.baseline.period.code,
                "final_target": _plain(final.value),
                "final_target_period": final.period.code,
            }
        )
    values = figures.series.assign(
        period_start=figures.series["period_start"].map(_iso),
        period_end=figures.series["period_end"].map(_iso),
        value=figures.series["value"].map(_plain),
        target=figures.series["target"].map(_plain),
    )
    zones = figures.zones.assign(
        period_start=figures.zones["period_start"].map(_iso),
        period_end=figures.zones["period_end"].map(_iso),
        value=figures.zones["value"].map(_plain),
    )
    frames = {"indicateurs": pd.DataFrame(rows), "valeurs": values, "zones": zones}
    return {name: frame.reindex(columns=[c for c, _, _ in FIELDS[name]]).astype(str) for name, frame in frames.items()}


# What a site published from the demonstration base says on every page, embed and in its data
# package: someone finding it online must not take the figures for the Ardenne's.
DEMO_NOTICE = (
    "Chiffres de démonstration : ils sont inventés pour montrer l'outil et ne décrivent pas "
    "l'Ardenne réelle. Ne les citez pas."
)


def datapackage(fw: Framework, figures: PublicFigures, tables: dict[str, pd.DataFrame]) -> dict[str, Any]:
    """The Frictionless Data Package describing the CSV resources, under the framework's licence."""
    licence = figures.licence
    resources = []
    for name, columns in FIELDS.items():
        schema: dict[str, Any] = {
            "fields": [{"name": c, "type": t, "title": title} for c, t, title in columns],
            "primaryKey": KEYS[name],
            "missingValues": [""],
        }
        if name != "indicateurs":
            schema["foreignKeys"] = [
                {"fields": "indicator", "reference": {"resource": "indicateurs", "fields": "indicator"}}
            ]
        resources.append(
            {
                "name": name,
                "path": f"{DATA_DIR}/{name}.csv",
                "title": TITLES[name],
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "schema": schema,
            }
        )
    package = {
        "profile": "tabular-data-package",
        "name": "ardenne-en-chiffres",
        "title": figures.title,
        "description": (
            f"Chiffres clés publics du plan de marketing territorial {fw.portfolio.get('label', '')}, "
            f"par public (habitants, entreprises, visiteurs) et par zone. Périodes complètes "
            f"seulement. {updated_text(figures)}." + (f" {DEMO_NOTICE}" if figures.is_demo else "")
        ),
        "keywords": ["Ardenne", "attractivité", "tourisme", "Interreg"]
        + (["démonstration"] if figures.is_demo else []),
        "resources": resources,
    }
    # Dates of the data, never of the clock (custom properties: the spec's `created` would be the clock's).
    if figures.data_until:
        package["data_until"] = figures.data_until.isoformat()
    if figures.updated:
        package["updated"] = figures.updated.isoformat()
    if figures.publisher:
        package["publisher"] = figures.publisher  # an organisation from the framework, never a person
    if licence is not None:
        package["licenses"] = [
            {"name": licence.licence_name, "path": licence.licence_path, "title": licence.licence_title}
        ]
    return package


# ------------------------------------------------------------------ HTML (site_templates/)

TEMPLATES = Path(__file__).with_name("site_templates")  # the pages' Jinja2 templates and style sheet


def _text(value: object) -> Markup:
    """Every `{{ … }}` of the templates: literal text (format.html_text, quotes included: the
    same escape in an attribute and in the text, control characters removed, braces as
    entities), unless it is already HTML (a chart from Plotly, a macro's output)."""
    return value if isinstance(value, Markup) else Markup(html_text(value, quote=True))


@functools.cache
def _templates() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        finalize=_text,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _render(template: str, **context: object) -> str:
    return _templates().get_template(template).render(**context)


def _chart(fig: dict[str, Any], div_id: str) -> Markup:
    import plotly.io

    return Markup(
        plotly.io.to_html(
            fig, full_html=False, include_plotlyjs=False, div_id=div_id, config=public_charts.CONFIG, validate=False
        )
    )


def _card(fw: Framework, figures: PublicFigures, code: str, div_id: str, embed_href: str | None) -> dict[str, Any]:
    """What the template's card shows of one indicator (site_templates/card.html)."""
    card = figures.card(code)
    ind = fw.indicator(code)
    change = None
    if card["change_text"]:
        better = (card["change"] > 0) != ind.lower_is_better if card["change"] else None
        change = {
            "arrow": "▲" if card["change"] > 0 else "▼" if card["change"] < 0 else "▶",
            "color": "#009E73" if better else "#D55E00" if better is False else "#5a5a5a",
            "text": card["change_text"],
        }
    return {
        "div_id": div_id,
        "code": code,
        "label": card["label"],
        "value_text": card["value_text"],
        "period_label": card["period_label"],
        "change": change,
        "target_text": card["target_text"],
        "target_share_text": card["target_share_text"],
        "chart": _chart(public_charts.trend_chart(ind, figures.series_of(code)), div_id),
        "sentence": card["sentence"],
        "embed_href": embed_href,
    }


def _zones(fw: Framework, figures: PublicFigures) -> dict[str, Any] | None:
    """The « Par zone » section: the table of zone figures and one chart per indicator by zone."""
    if not figures.by_zone:
        return None
    table = figures.zone_table(fw)
    charts = []
    for code in figures.by_zone:
        card = figures.card(code)
        chart = public_charts.zone_chart(fw.indicator(code), figures.zones_at_card_period(code))
        charts.append(
            {"label": card["label"], "period_label": card["period_label"], "chart": _chart(chart, f"zones-{code}")}
        )
    return {"columns": list(table.columns), "rows": list(table.itertuples(index=False)), "charts": charts}


def index_html(fw: Framework, figures: PublicFigures) -> str:
    """The portal's home: key figures by audience, then by zone, then the open data."""
    audiences = [
        (code, title, [_card(fw, figures, m, f"chart-{code}-{m}", f"{EMBED_DIR}/{m}.html") for m in members])
        for code, title, members in figures.audiences
    ]
    return _render(
        "index.html",
        title=f"{figures.title} (démonstration)" if figures.is_demo else figures.title,
        script=PLOTLY_JS,
        body_class="",
        figures=figures,
        demo=DEMO_NOTICE if figures.is_demo else None,
        intro=intro_text(fw),
        updated=updated_text(figures),
        audiences=audiences,
        zones=_zones(fw, figures),
        waiting=", ".join(fw.indicator(c).public_label for c in figures.waiting),
        marker=MARKER,
        data_files=[f"{DATA_DIR}/{name}.csv" for name in FIELDS],
    )


def embed_html(fw: Framework, figures: PublicFigures, code: str) -> str:
    """One figure alone, for an <iframe>: its card, its chart and where it comes from."""
    return _render(
        "embed.html",
        title=f"{figures.card(code)['label']} · {figures.title}",
        script=f"../{PLOTLY_JS}",
        body_class="embed",
        figures=figures,
        demo=DEMO_NOTICE if figures.is_demo else None,
        updated=updated_text(figures),
        c=_card(fw, figures, code, f"chart-{code}", None),
    )


# ------------------------------------------------------------------ writing


def site_files(fw: Framework, figures: PublicFigures) -> dict[str, bytes]:
    """Every file of the site, by relative path, as bytes."""
    import plotly.offline

    tables = _tables(fw, figures)
    files = {
        PLOTLY_JS: plotly.offline.get_plotlyjs().encode("utf-8"),
        "index.html": index_html(fw, figures).encode("utf-8"),
    }
    for code in figures.cards["indicator"]:
        files[f"{EMBED_DIR}/{code}.html"] = embed_html(fw, figures, code).encode("utf-8")
    for name, frame in tables.items():
        files[f"{DATA_DIR}/{name}.csv"] = csv_script(frame)
    files[MARKER] = (json.dumps(datapackage(fw, figures, tables), ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    return dict(sorted(files.items()))


def _unwritable(folder: Path, exc: OSError) -> PublicationError:
    if exc.errno in storage.FULL:
        return PublicationError(storage.disk_message(exc, folder / MARKER, "la publication"))
    reason = exc.strerror or exc.__class__.__name__
    return PublicationError(
        f"Le dossier {folder} n'est pas accessible en écriture ({reason}) : choisissez un "
        "autre dossier avec --out, ou donnez-vous le droit d'y écrire."
    )


# What a publication holds at the top of its folder: a folder with nothing else is one, even
# when a publication was interrupted before its datapackage.json was written.
_SITE_TOP = {PLOTLY_JS, "index.html", MARKER, EMBED_DIR, DATA_DIR}
_SITE_SUFFIX = {EMBED_DIR: ".html", DATA_DIR: ".csv"}


def _is_site(entries: list[Path]) -> bool:
    for entry in entries:
        if entry.name.startswith("."):
            continue  # a temporary file of an earlier run (written aside), never published
        if entry.name not in _SITE_TOP:
            return False
        if entry.is_dir():
            if entry.name not in _SITE_SUFFIX:
                return False
            if any(not (f.is_file() and f.suffix == _SITE_SUFFIX[entry.name]) for f in entry.iterdir()):
                return False
        elif entry.name in _SITE_SUFFIX:
            return False
    return True


def _prepare(folder: Path) -> tuple[set[Path], list[Path]]:
    """Create the folder, or accept an empty one or an earlier publication; returns the
    site files already there (to remove those no longer published) and the folders this run
    created (removed again if it fails)."""
    if folder.exists() and not folder.is_dir():
        raise PublicationError(f"{folder} est un fichier, pas un dossier : donnez à --out un dossier (il sera créé).")
    if folder.is_dir():
        try:
            entries = list(folder.iterdir())
            site = _is_site(entries)
        except OSError as exc:
            raise _unwritable(folder, exc) from exc
        if entries and not site:
            raise PublicationError(
                f"Le dossier {folder} contient déjà d'autres fichiers : choisissez un dossier vide "
                "ou celui d'une publication précédente (il contient datapackage.json)."
            )
        earlier = {p for sub in (EMBED_DIR, DATA_DIR) for p in (folder / sub).glob("*") if p.is_file()}
        for leftover in folder.glob(".*.tmp"):  # written aside by a run killed at the wrong moment
            leftover.unlink(missing_ok=True)
        return earlier, [folder / sub for sub in (EMBED_DIR, DATA_DIR) if not (folder / sub).exists()]
    created = [p for p in (folder, *folder.parents) if not p.exists()]
    try:
        folder.mkdir(parents=True)
    except OSError as exc:
        raise _unwritable(folder, exc) from exc
    return set(), [*reversed(created), folder / EMBED_DIR, folder / DATA_DIR]


def _inside(folder: Path, relative: str) -> Path:
    """`folder / relative`, refused unless it stays inside `folder` (a crafted indicator code
    such as « ../../x » names an embed file: it must not write elsewhere)."""
    path = folder / relative
    parts = Path(relative).parts
    if Path(relative).is_absolute() or ".." in parts or any(part.startswith(".") for part in parts):
        code = relative.removeprefix(f"{EMBED_DIR}/").removesuffix(".html")
        raise PublicationError(
            f"Le code d'indicateur ou le fichier « {code} » ne peut pas servir de nom de fichier dans {folder} "
            "(chemin hors du dossier, ou nom caché) : rien n'a été publié. Corrigez ce code dans le "
            "référentiel (lettres, chiffres, tirets), puis recommencez."
        )
    return path


def write_site(folder: Path, files: dict[str, bytes]) -> None:
    """Write the files (each replaced whole, never half-written) and remove the embeds and
    CSVs of an earlier publication that are no longer published. Nothing is written outside
    `folder`; on a failure (a full disk) no earlier file is replaced, and whatever this run
    created is removed."""
    folder = Path(folder)
    targets = {relative: _inside(folder, relative) for relative in files}  # before anything is written
    earlier, created = _prepare(folder)
    try:
        storage.write_files({targets[r]: data for r, data in files.items()}, what="la publication")
    except StorageError as exc:
        for made in reversed(created):  # only what this run created, and only when empty
            try:
                made.rmdir()
            except OSError:
                pass
        cause = exc.__cause__
        if isinstance(cause, OSError) and cause.errno not in storage.FULL:
            raise _unwritable(folder, cause) from exc
        raise PublicationError(exc.message) from exc
    try:
        for stale in sorted(earlier - set(targets.values())):
            stale.unlink()
    except OSError as exc:
        raise _unwritable(folder, exc) from exc


def figures_to_publish(con: duckdb.DuckDBPyConnection, fw: Framework) -> PublicFigures:
    """The public figures to publish; PublicationError, in French, when there is nothing to publish."""
    if not public_indicators(fw):
        raise PublicationError(
            f"Aucun indicateur n'est public dans le référentiel {fw.version} : marquez ceux à "
            "publier (public: true, avec public_label et public_sentence) dans data/framework.yaml "
            "ou dans la colonne « public » du classeur de la page Référentiel."
        )
    built = public_figures(con, fw)
    if built.empty:
        raise PublicationError(
            f"Aucun des {len(built.waiting)} indicateurs publics n'a encore de période complète "
            "(tous les rapports attendus reçus) : rien à publier pour l'instant."
        )
    return built


def write(fw: Framework, built: PublicFigures, folder: str | os.PathLike[str]) -> Published:
    """Write the site of `built` into `folder` (no database needed: the command lets go of it first)."""
    files = site_files(fw, built)
    write_site(Path(folder), files)
    return Published(folder=Path(folder), files=list(files), figures=built)


def publish(con: duckdb.DuckDBPyConnection, fw: Framework, folder: str | os.PathLike[str]) -> Published:
    """Build the public figures and write the site into `folder`; PublicationError, in French,
    when nothing can be published or the folder cannot be written."""
    return write(fw, figures_to_publish(con, fw), folder)


def summary(published: Published) -> str:
    """The command's French report: what was written, and from which data."""
    f = published.figures
    return (
        f"{len(f.cards)} indicateurs publics publiés dans {published.folder} ({len(published.files)} fichiers : "
        f"index.html, {len(f.cards)} extraits à intégrer, datapackage.json) · données jusqu'au "
        f"{fmt_date(f.data_until)}."
    )
