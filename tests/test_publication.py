"""The attractiveness portal: only public indicators and complete periods, nothing private,
a valid open-data package, byte-identical reruns, French sentences, and the public page."""

from __future__ import annotations

import csv
import html
import io
import json
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
import yaml

from ardenne_kpi import db, demo, figures
from ardenne_kpi.core import accounts
from ardenne_kpi.core.errors import FrameworkError
from ardenne_kpi.core.format import NBSP
from ardenne_kpi.framework import DEFAULT_PATH, parse_framework
from ardenne_kpi.intake import importer, templates
from ardenne_kpi.portal import public_charts, publication, publish_site
from tests.browser_helpers import filled_template
from tests.conftest import ROOT, private_copy, read, run_page

SECRET_COMMENT = "Chiffre provisoire transmis par Mme Jacqueline Confidentielle"
SECRET_FILE = "rapport-interne-ftlb-ne-pas-diffuser.xlsx"
SECRET_ACCOUNT = "anne.testeuse"


def _publish(database: Path, out: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ardenne_kpi", "publish", "--out", str(out), "--db", str(database)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )


@pytest.fixture(scope="module")
def site(tmp_path_factory, demo_db_path):
    """The demo published once, for the tests that only read the site."""
    out = tmp_path_factory.mktemp("site") / "portail"
    done = _publish(demo_db_path, out)
    assert done.returncode == 0, done.stderr
    return out


def _rows(path: Path) -> list[dict]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def test_only_public_indicators_and_complete_periods_are_published(site, demo_db_path, fw):
    public = {i.code for i in fw.indicators if i.public}
    values = _rows(site / "data" / "valeurs.csv")
    assert {r["indicator"] for r in values} == public
    assert {p.stem for p in (site / "embed").glob("*.html")} == public
    con = db.connect(demo_db_path)  # same configuration as the pages run in this process
    try:
        every = figures.evaluation_trends(con, fw, sorted(public))
        zones = figures.evaluation_trends(con, fw, sorted(public), by="zone")
    finally:
        con.close()
    complete = {(r.indicator, r.period) for r in every.itertuples() if r.complete and r.value == r.value}
    partial = {(r.indicator, r.period) for r in every.itertuples() if not r.complete}
    published = {(r["indicator"], r["period"]) for r in values}
    assert published == complete
    assert partial, "the demo has partial periods (CLI08 in 2022...): they must be left out"
    assert not published & partial
    zone_complete = {(r.indicator, r.grp, r.period) for r in zones.itertuples() if r.complete and r.value == r.value}
    assert {(r["indicator"], r["zone"], r["period"]) for r in _rows(site / "data" / "zones.csv")} <= zone_complete
    private = [i.code for i in fw.indicators if not i.public]
    index = (site / "index.html").read_text(encoding="utf-8")
    assert not [code for code in private if f'data-indicator="{code}"' in index]


def test_no_private_field_leaks(tmp_path, demo_db_path, fw):
    """A signed-in partner's upload with a comment: its file name, comment, account name and
    upload id appear in no published file, nor does any operator."""
    database = private_copy(demo_db_path, tmp_path)
    accounts_file = tmp_path / "accounts.yaml"
    accounts.add_user(SECRET_ACCOUNT, "partner", "mot de passe du test", ["FTLB"], path=accounts_file)
    con = db.connect(database)
    wb = openpyxl.load_workbook(io.BytesIO(filled_template(con, fw, "FTLB", "S05")))
    ws = wb[templates.DATA_SHEET]
    comment_column = openpyxl.utils.column_index_from_string(templates.COLUMN_OF["comment"])
    r = templates.FIRST_ROW
    while ws.cell(r, 1).value:
        ws.cell(r, comment_column).value = SECRET_COMMENT
        r += 1
    data = io.BytesIO()
    wb.save(data)
    result = importer.import_file(
        con, data.getvalue(), SECRET_FILE, user=SECRET_ACCOUNT, db_path=database, framework=fw
    )
    assert result.status == "imported", result
    stored = con.execute(
        "SELECT count(*) FROM report_values WHERE comment = ? AND is_current AND indicator = 'CLI01'", [SECRET_COMMENT]
    ).fetchone()[0]
    assert stored, "the secret comment is stored on a public indicator's value"
    file_names = [r[0] for r in con.execute("SELECT DISTINCT file_name FROM uploads").fetchall()]
    # The demo's own uploads are recorded as made by « démonstration », a word its notice says.
    authors = {r[0] for r in con.execute("SELECT DISTINCT uploaded_by FROM uploads").fetchall() if r[0]} - {demo.USER}
    con.close()
    out = tmp_path / "site"
    done = _publish(database, out)
    assert done.returncode == 0, done.stderr

    secrets = [
        SECRET_COMMENT,
        "Jacqueline",
        SECRET_ACCOUNT,
        *file_names,
        *authors,
        *(u.name for u in accounts.list_users(accounts_file)),
        f"import n° {result.upload_id}",
        str(database.name),
    ]
    # No operator is named, but the publisher the framework declares (an organisation).
    operators = [o.label for o in fw.operators if o.label != fw.open_data.publisher]
    files = sorted(p for p in out.rglob("*") if p.is_file())
    assert len(files) >= 5
    for path in files:
        text = path.read_text(encoding="utf-8")
        found = [s for s in secrets if s in text]
        assert not found, f"{path.name} publishes {found}"
        if path.name == publish_site.PLOTLY_JS:
            continue  # Plotly's own library
        assert not [o for o in operators if o in text], path.name
        lowered = text.lower()
        for word in ("upload", "uploaded_by", "file_name", "stored_path", "comment", "sheet", "operator"):
            assert word not in lowered, f"{path.name} mentions {word}"


def test_datapackage_validates_with_frictionless(site, fw):
    frictionless = pytest.importorskip("frictionless")
    report = frictionless.validate(str(site / "datapackage.json"))
    assert report.valid, report.flatten(["type", "note"])[:10]
    package = frictionless.Package(str(site / "datapackage.json"))
    assert {r.name for r in package.resources} == {"indicateurs", "valeurs", "zones"}
    licence = package.licenses[0]
    assert licence["name"] == fw.open_data.licence_name == "etalab-2.0"
    assert licence["path"] and licence["title"]
    fields = {f.name: f.type for f in package.get_resource("valeurs").schema.fields}
    assert fields["value"] == "number" and fields["period_start"] == "date"
    rules = {r["indicator"]: r for r in _rows(site / "data" / "indicateurs.csv")}
    assert rules["CLI08"]["agg_time"] == "sum" and rules["CLI08"]["unit"] == "nb"
    assert rules["CLI08"]["rule"].startswith("Somme des périodes")


def test_two_runs_are_byte_identical(site, demo_db_path, tmp_path):
    again = tmp_path / "again"
    assert _publish(demo_db_path, again).returncode == 0
    first = {p.relative_to(site): p.read_bytes() for p in site.rglob("*") if p.is_file()}
    second = {p.relative_to(again): p.read_bytes() for p in again.rglob("*") if p.is_file()}
    assert first.keys() == second.keys()
    assert [name for name in first if first[name] != second[name]] == []
    rerun = _publish(demo_db_path, site)  # over the earlier publication: the same bytes
    assert rerun.returncode == 0, rerun.stderr
    assert {p.relative_to(site): p.read_bytes() for p in site.rglob("*") if p.is_file()} == first


def test_site_is_self_contained_and_french(site):
    index = html.unescape((site / "index.html").read_text(encoding="utf-8"))
    assert '<script src="plotly.min.js">' in index
    assert "cdn" not in index.lower() and "https://cdn" not in index
    assert (site / publish_site.PLOTLY_JS).stat().st_size > 1_000_000
    assert f"6{NBSP}393{NBSP}820" in index  # CLI08 in 2021, French thousands
    assert "2,9" in index and "T1 2022" in index and "oct. 2021 – mars 2022" in index
    assert "Données jusqu'au 31/03/2022" in index
    embed = (site / "embed" / "CLI08.html").read_text(encoding="utf-8")
    assert '<script src="../plotly.min.js">' in embed and 'id="chart-CLI08"' in embed
    for name in ("Pour les habitants", "Pour les entreprises", "Pour les visiteurs", "Par zone"):
        assert name in index


def test_no_public_indicator_is_one_french_sentence(tmp_path, fw):
    text = DEFAULT_PATH.read_text(encoding="utf-8").replace("  public: true\n", "  public: false\n")
    database = tmp_path / "private.duckdb"
    con = db.connect(database)
    db.sync_framework(con, parse_framework(text))
    con.close()
    done = _publish(database, tmp_path / "out")
    assert done.returncode == 1
    assert "Aucun indicateur n'est public" in done.stderr and "Traceback" not in done.stderr


def test_nothing_complete_yet_is_one_french_sentence(tmp_path, empty_db_path):
    done = _publish(empty_db_path, tmp_path / "out")
    assert done.returncode == 1
    assert "rien à publier" in done.stderr and "Traceback" not in done.stderr


def test_unwritable_output_is_one_french_sentence(tmp_path, demo_db_path):
    blocker = tmp_path / "un-fichier"
    blocker.write_text("x")
    done = _publish(demo_db_path, blocker / "portail")
    assert done.returncode == 1
    assert "n'est pas accessible en écriture" in done.stderr and "Traceback" not in done.stderr
    done = _publish(demo_db_path, blocker)
    assert done.returncode == 1 and "est un fichier, pas un dossier" in done.stderr


def test_a_folder_holding_other_files_is_refused(tmp_path, demo_db_path):
    folder = tmp_path / "documents"
    folder.mkdir()
    (folder / "notes.txt").write_text("à garder")
    done = _publish(demo_db_path, folder)
    assert done.returncode == 1 and "contient déjà d'autres fichiers" in done.stderr
    assert (folder / "notes.txt").read_text() == "à garder" and len(list(folder.iterdir())) == 1


def test_an_indicator_no_longer_public_leaves_the_site(tmp_path, demo_db_path, fw):
    database = private_copy(demo_db_path, tmp_path)
    out = tmp_path / "site"
    assert _publish(database, out).returncode == 0
    assert (out / "embed" / "CLI01.html").exists()
    data = yaml.safe_load(fw.source_text)
    for item in data["indicators"]:
        if item["code"] == "CLI01":
            item["public"] = False
    con = db.connect(database)
    db.sync_framework(con, parse_framework(yaml.safe_dump(data, allow_unicode=True, sort_keys=False)))
    con.close()
    assert _publish(database, out).returncode == 0
    assert not (out / "embed" / "CLI01.html").exists()
    assert "CLI01" not in (out / "data" / "valeurs.csv").read_text(encoding="utf-8")


# ---------------------------------------------------------------- the framework says what is public


def _framework_with(mutate) -> str:
    data = yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))
    mutate(data)
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def test_a_public_indicator_without_its_sentence_is_named():
    def drop(d):
        d["indicators"][0].pop("public_sentence")

    with pytest.raises(FrameworkError) as info:
        parse_framework(_framework_with(drop))
    assert len(info.value.problems) == 1
    problem = info.value.problems[0]
    assert "BRD01 est public" in problem and "public_sentence" in problem and "ligne" in problem


def test_public_indicators_need_a_licence():
    with pytest.raises(FrameworkError) as info:
        parse_framework(_framework_with(lambda d: d.pop("open_data")))
    assert "licence" in info.value.problems[0]
    with pytest.raises(FrameworkError) as info:
        parse_framework(_framework_with(lambda d: d["open_data"].update(licence="maison-1.0")))
    assert "maison-1.0" in info.value.problems[0] and "title" in info.value.problems[0]
    custom = parse_framework(_framework_with(lambda d: d["open_data"].update(licence={"name": "CC-BY-4.0"})))
    assert custom.open_data.licence_path.startswith("https://creativecommons.org/")


def test_workbook_keeps_public_marks_and_licence(fw):
    from ardenne_kpi.framework import workbook as framework_workbook

    again = parse_framework(framework_workbook.from_workbook(framework_workbook.to_workbook(fw), fw))
    assert [i.code for i in again.indicators if i.public] == [i.code for i in fw.indicators if i.public]
    assert again.indicator("CLI08").public_sentence == fw.indicator("CLI08").public_sentence
    assert again.open_data == fw.open_data


# ---------------------------------------------------------------- the page


def test_public_page_shows_the_published_figures(demo_db_path, fw, tmp_path):
    at = run_page("pages/7_Chiffres_cles.py", demo_db_path)
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "L'Ardenne en chiffres"
    con = db.connect(private_copy(demo_db_path, tmp_path), read_only=True)  # the app holds the demo base
    try:
        figures = publication.public_figures(con, fw)
    finally:
        con.close()
    labels = [t.label for t in at.tabs]
    assert labels == ["Pour les habitants", "Pour les entreprises", "Pour les visiteurs", "Par zone"]
    shown = {}
    for label in labels:  # only the open tab is drawn; the link opens each one
        at.query_params["onglet"] = label
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        shown |= {read(m.label): read(m.value) for m in at.metric}
    expected = dict(zip(figures.cards["label"], figures.cards["value_text"], strict=True))
    assert shown == expected


def test_public_page_opens_without_signing_in_when_accounts_are_on(tmp_path, demo_db_path):
    database = private_copy(demo_db_path, tmp_path)
    accounts_file = tmp_path / "accounts.yaml"
    accounts.add_user("coord", "admin", "mot de passe du test", path=accounts_file)
    con = db.connect(database)
    db.mark_accounts(con)
    con.close()
    at = run_page("pages/7_Chiffres_cles.py", database, accounts_file=accounts_file)
    assert not at.exception, [e.value for e in at.exception]
    assert [t.value for t in at.title] == ["L'Ardenne en chiffres"]
    assert at.metric, "the key figures are shown to a visitor who did not sign in"
    gated = run_page("pages/1_Import.py", database, accounts_file=accounts_file)
    assert [t.value for t in gated.title] == ["Connexion"], "the other pages still ask to sign in"


def test_public_chart_draws_complete_values_and_dated_targets(fw):
    import datetime as dt

    import pandas as pd

    ind = fw.indicator("CLI08")
    series = pd.DataFrame(
        {
            "period_end": [dt.date(2020, 12, 31), dt.date(2021, 12, 31)],
            "period_label": ["2020", "2021"],
            "value": [4_690_000.0, 6_393_820.0],
            "grain": ["year", "year"],
        }
    )
    fig = public_charts.trend_chart(ind, series)
    values, targets = fig["data"]
    assert values["y"] == [4_690_000.0, 6_393_820.0] and values["x"] == ["2020-12-31", "2021-12-31"]
    assert targets["marker"]["symbol"] == "star" and targets["y"] == [t.value for t in ind.targets]
    assert fig["layout"]["separators"] == ", " and fig["layout"]["xaxis"]["ticktext"] == ["2020", "2021"]


def test_a_site_published_from_the_demo_says_its_figures_are_invented(site, demo_db_path, tmp_path):
    """The portal published from the demo carried the publisher and the licence, and not one
    word saying the figures are invented: every page, embed and the data package now do."""
    notice = publish_site.DEMO_NOTICE
    pages = [site / "index.html", *sorted((site / "embed").glob("*.html"))]
    assert len(pages) > 5
    unsaid = [p.name for p in pages if notice not in html.unescape(p.read_text(encoding="utf-8"))]
    assert unsaid == []
    assert "(démonstration)</title>" in (site / "index.html").read_text(encoding="utf-8")
    package = (site / "datapackage.json").read_text(encoding="utf-8")
    assert notice in json.loads(package)["description"]
    # a real base publishes no such notice
    path = private_copy(demo_db_path, tmp_path)
    con = db.connect(path)
    db.set_meta(con, "demo", "false")
    con.close()
    real = tmp_path / "reel"
    assert _publish(path, real).returncode == 0
    assert "démonstration" not in (real / "index.html").read_text(encoding="utf-8")
    assert "démonstration" not in (real / "datapackage.json").read_text(encoding="utf-8")
