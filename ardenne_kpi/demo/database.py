"""The demonstration database: realistic, deterministic values for every operator.

Built from the framework and the ranges of shared/domain/NOTES.md: quarters 2016-Q4 to
2022-Q1 (and the programme semesters and years the frequencies call for), seasonality,
Covid, the sourced anchor values, and the gaps a real portfolio has (an operator reporting
late, an indicator never reported, a partner missing its last report, dimension × key cells
no indicator serves). Same seed, same values.

The demo arrives the way real data does: each operator's report of each quarter is
written as a workbook (`demo.reports`) and imported through the engine, its file kept
beside the database, so every figure's source opens on the cell that holds it.

That build takes a quarter of a minute, so the demo it makes is shipped too
(data/demo.tar.xz: the database and its report files, half a megabyte): a first start
unpacks it in a fraction of a second (`install_demo`). tests/test_demo.py checks that the
shipped demo is the very one the engine builds from the code as it is; after a change
that alters the demo, write it again with `python -m ardenne_kpi.demo`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import random
import shutil
import tarfile
import tempfile
import zlib
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, cast

import duckdb
import pandas as pd

from ardenne_kpi import db
from ardenne_kpi.core import settings
from ardenne_kpi.core.errors import DemoError
from ardenne_kpi.core.format import rate
from ardenne_kpi.core.periods import Calendar, Frequency, Period, period_containing, periods_between
from ardenne_kpi.demo import reports as demo_reports
from ardenne_kpi.framework import Framework, Indicator
from ardenne_kpi.intake import brand, importer

SEED = 20161001

# Gaps the demo shows on purpose (finding them is what the dashboard is for).
NEVER_REPORTED = "BRD08"  # an indicator no partner ever reported
LATE_OPERATOR = "RND"  # reports 60 to 110 days after the period's end
MISSING_LAST_REPORT = "ACW"  # has sent nothing for S11 (Oct. 2021 – March 2022)
MISSING_PERIOD = "S11"
USER = "démonstration"  # who the demo's uploads are recorded as made by

# Seasonal share of a year's tourism flows by quarter (NOTES.md).
SEASON = {1: 0.18, 2: 0.24, 3: 0.37, 4: 0.21}
# Overnight stays and visits by zone (NOTES.md).
ZONE_SHARES = {"BE-LUX": 0.38, "BE-LIE": 0.26, "BE-NAM": 0.18, "FR-08": 0.11, "LU-EIS": 0.07}
# Tourism flows relative to normal, by quarter (Covid: 2020-Q2 a quarter of 2019, Q4 2020/Q1 2021 ~40 %).
COVID = {
    "2020-Q1": 0.85,
    "2020-Q2": 0.25,
    "2020-Q3": 0.75,
    "2020-Q4": 0.4,
    "2021-Q1": 0.4,
    "2021-Q2": 0.65,
    "2021-Q3": 0.95,
    "2021-Q4": 1.0,
    "2022-Q1": 1.03,
}
TOURISM_FLOWS = {"CLI08", "ATT04", "ATT06", "ATT09", "PRG01"}
FAIRS = {"CLI05"}  # fairs cancelled 2020-Q2 .. 2021-Q3
SEASONAL = {"CLI08", "ATT04", "ATT06", "CLI01", "PRI08"}
# Sourced points, reproduced exactly: (indicator, period) -> total over operators and zones.
ANCHORS = {
    ("GOV01", "S01"): 4,
    ("GOV01", "S02"): 3,
    ("GOV01", "S03"): 4,
    ("GOV01", "S04"): 3,  # 14 committees
    ("GOV02", "S01"): 1,
    ("GOV02", "S02"): 0,
    ("GOV02", "S03"): 1,
    ("GOV02", "S04"): 1,  # 3 elected committees
    ("BRD01", "S06"): 600,
    ("BRD01", "S08"): 700,  # members May 2019, June 2020
    ("CLI14", "S06"): 23000,  # Routard guides
    ("ATT05", "S11"): 280,
    ("ATT07", "S11"): 4,
    ("ATT01", "S09"): 135,
}
# The cases a real portfolio shows and the figures must handle (issue 11):
SEMESTER_REPORTER = ("ATT06", "PNVH")  # counts eco-counter passages by programme semester, not quarter
NESTED_AUDIENCE = ("CLI08", "FTLB", "BE-LUX", "NL", 0.3)  # Dutch visitors' stays, already in BE-LUX's total
NESTED_ZONE = ("CLI13", "FTLB", "BE-LUX", 400)  # its own survey of BE-LUX, inside GEIE's Ardenne-wide one
# The cases of issue 23 (one model of what is due):
# a series owed from inside a period: the pilot's broadened committee meets from January 2017
# (declared `from: 2017-Q1` in the framework), so S01 (Oct. 2016 – March 2017) is complete with Q1;
MID_PERIOD_START = ("GOV03", "GEIE-DA", dt.date(2017, 1, 1))
# a total with its parts in one report: FTLB's promotional actions « tous publics », and beside
# them those aimed at visitors, a part of the total (never added to it);
TOTAL_AND_PART = ("PRI08", "FTLB", "VIS", 0.6)
# a bare ratio among weighted ones: from 2021 the Éislek's occupancy comes without its
# rooms-nights (named apart, the figure still Σ sold / Σ available of the others);
BARE_RATIO = ("CLI12", "LU-EIS", 2021)
# a survey wave missing a zone: FTLB also surveyed the province of Namur in 2017 and 2019 (no
# obligation asks it), not in 2021: that wave is partial and says so.
SURVEY_ZONE_DROPPED = ("BRD05", "FTLB", "BE-NAM", 2021, 0.97)
# Ratios reported with their components: rooms-nights available per quarter by zone (CLI12),
# visitors surveyed a year (CLI13).
ROOM_NIGHTS = 460_000
RESPONDENTS = 1_200
# Brand members leave too: new members = growth of the members + those who left (4 % a semester).
CHURN = 0.04

# How far each indicator is along its planned path (1 = on plan); a few are behind.
BEHIND = {"CLI01": 0.55, "PRI02": 0.7, "CLI03": 0.8, "CLI16": 0.5, "PRI03": 0.6, "GOV05": 0.85, "BRD07": 0.75}


@dataclass(frozen=True)
class _Cell:
    operator: str
    zone: str
    weight: float


def _cells(fw: Framework, ind: Indicator) -> list[_Cell]:
    """Who reports the indicator for which zone, and each one's share of the total."""
    level1 = [z.code for z in fw.zones if z.parent == "ARD"]
    cells: list[tuple[str, str]] = []
    for op_code in ind.operators:
        op = fw.by_code["operators"][op_code]
        if not ind.by_zone:
            cells.append((op_code, op.zones[0] if len(op.zones) == 1 and op_code != "GEIE-DA" else "ARD"))
        elif "ARD" in op.zones:
            cells.extend((op_code, z) for z in level1)
        else:
            cells.extend((op_code, z) for z in op.zones)
    cells = list(dict.fromkeys(cells))
    if ind.code in TOURISM_FLOWS and all(z in ZONE_SHARES for _, z in cells):
        weights = [ZONE_SHARES[z] for _, z in cells]
    else:
        weights = [1.0] * len(cells)
    total = sum(weights)
    return [_Cell(o, z, w / total) for (o, z), w in zip(cells, weights, strict=True)]


def _reporting_periods(fw: Framework, ind: Indicator) -> list[Period]:
    cal = fw.calendar
    start, end = cal.start, cal.end
    if ind.frequency in (Frequency.YEARLY, Frequency.BIENNIAL):
        years = [p for p in periods_between("year", start, end, cal) if start <= p.start and p.end <= end]
        return years[::2] if ind.frequency == Frequency.BIENNIAL else years
    return [p for p in periods_between(ind.grain, start, end, cal) if start <= p.start and p.end <= end]


def _path(ind: Indicator) -> tuple[list[float], list[float]]:
    """Planned path: (ordinal day, value) through the baseline and every dated target."""
    points = sorted([ind.baseline, *ind.targets], key=lambda t: t.period.end)
    xs = [_mid(t.period) for t in points]
    return xs, [t.value for t in points]


def _mid(p: Period) -> float:
    return (p.start.toordinal() + p.end.toordinal()) / 2


def _interp(xs: list[float], ys: list[float], x: float) -> float:
    if x <= xs[0]:
        return ys[0]
    if x >= xs[-1]:
        return ys[-1]
    i = bisect_left(xs, x)
    x0, x1, y0, y1 = xs[i - 1], xs[i], ys[i - 1], ys[i]
    return y0 + (y1 - y0) * (x - x0) / (x1 - x0) if x1 > x0 else y1


def _total(ind: Indicator, period: Period, rng: random.Random, fw_calendar: Calendar) -> float:
    """The portfolio-wide value of the indicator for a period, before the split by cell."""
    anchor = ANCHORS.get((ind.code, period.code))
    if anchor is not None:
        return float(anchor)
    xs, ys = _path(ind)
    planned = _interp(xs, ys, _mid(period))
    factor = BEHIND.get(ind.code, 1.0)
    value = ind.baseline.value + factor * (planned - ind.baseline.value)
    if ind.agg_time == "sum":
        # Targets of flows are per period of their own grain (a year for overnight stays).
        target_days = ind.final_target.period.end.toordinal() - ind.final_target.period.start.toordinal() + 1
        days = period.end.toordinal() - period.start.toordinal() + 1
        value *= days / target_days
        if ind.code in SEASONAL and period.grain == "quarter":
            quarter = (period.start.month - 1) // 3 + 1
            value *= SEASON[quarter] * 4 if target_days > 120 else SEASON[quarter] / 0.25
        if ind.code in TOURISM_FLOWS:
            value *= _covid(period, fw_calendar)
        if ind.code in FAIRS and dt.date(2020, 4, 1) <= period.start <= dt.date(2021, 9, 30):
            value *= 0.05
        value *= rng.uniform(0.93, 1.07)
    elif ind.agg_time == "mean":
        value += rng.uniform(-0.03, 0.03) * abs(value or 1)
    return max(value, 0.0)


def _covid(period: Period, calendar: Calendar) -> float:
    if period.grain == "quarter":
        return COVID.get(period.code, 1.0)
    quarters = periods_between("quarter", period.start, period.end, calendar)
    return sum(COVID.get(q.code, 1.0) for q in quarters) / len(quarters)


def _round(ind: Indicator, value: float) -> float:
    if ind.is_percent or ind.agg_time == "mean":
        return round(min(value, 100.0) if ind.is_percent else value, 1)
    return float(round(value))


def build_values(fw: Framework) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The demo's reports and their values, deterministically (fixed seed): one row per report
    (id, file_name, operator, period: its quarter, uploaded_by, uploaded_at) and one per value
    (indicator, operator, zone, audience, period, grain, period_start, period_end, value,
    comment, upload_id: the report that carries it)."""
    rng = random.Random(SEED)
    rows: list[tuple[Any, ...]] = []
    for ind in fw.indicators:
        if ind.code == NEVER_REPORTED:
            continue
        cells = _cells(fw, ind)
        project = fw.by_code["projects"].get(ind.project)
        for period in _reporting_periods(fw, ind):
            if project is not None and project.start and period.end < project.start:
                continue  # nothing to report before the project joined the portfolio
            total = _total(ind, period, rng, fw.calendar)
            if ind.agg_space == "mean":
                drawn = [_round(ind, total * rng.uniform(0.96, 1.04)) for _ in cells]
            else:
                drawn = [_round(ind, total * cell.weight) for cell in cells]
                # Rounding must not move a sourced total (280 km stays 280 km).
                drawn[0] += _round(ind, total) - sum(drawn)
            rows.extend((ind.code, c.operator, c.zone, "", period, v) for c, v in zip(cells, drawn, strict=True))
        if ind.agg_time == "last":
            _make_monotonic(rows, ind.code)
    rows = _portfolio_cases(fw, rows)
    # Each operator sends one report per quarter, holding the values whose period ends in
    # it; the upload date gives timeliness.
    missing = fw.calendar.semester(MISSING_PERIOD)
    uploads: list[dict[str, Any]] = []
    values: list[dict[str, Any]] = []
    by_upload: dict[tuple[str, str], int] = {}
    for indicator, operator, zone, audience, period, value, *components in rows:
        if operator == MISSING_LAST_REPORT and missing.contains(period):
            continue
        quarter = period_containing(period.end, "quarter", fw.calendar)
        assert quarter is not None  # the calendar's quarters cover its periods
        key = (operator, quarter.code)
        if key not in by_upload:
            upload_id = len(by_upload) + 1
            by_upload[key] = upload_id
            late = operator == LATE_OPERATOR and quarter.start.year >= 2018
            delay = rng.randint(60, 110) if late else rng.randint(12, 40)
            uploads.append(
                {
                    "id": upload_id,
                    "file_name": f"rapport_{operator}_{quarter.code}.xlsx",
                    "operator": operator,
                    "period": quarter.code,
                    "uploaded_by": USER,
                    "uploaded_at": dt.datetime.combine(quarter.end + dt.timedelta(days=delay), dt.time(10, 0)),
                }
            )
        values.append(
            {
                "indicator": indicator,
                "operator": operator,
                "zone": zone,
                "audience": audience,
                "period": period.code,
                "grain": period.grain,
                "period_start": period.start,
                "period_end": period.end,
                "value": value,
                "comment": _comment(indicator, operator, period.code),
                "upload_id": by_upload[key],
                "numerator": components[0] if components else None,
                "denominator": components[1] if components else None,
            }
        )
    return pd.DataFrame(uploads), pd.DataFrame(values)


# What partners write beside a value, for the demo (chosen by a hash: the random draws stay the same).
DEMO_COMMENTS = (
    "Fermeture temporaire d'un site pour travaux : fréquentation en baisse sur la période.",
    "Chiffre provisoire : le comptage de décembre sera consolidé au prochain rapport.",
    "Hausse liée à la campagne transfrontalière du printemps.",
    "Météo défavorable pendant les vacances scolaires.",
    "Nouvelle méthode de comptage depuis ce trimestre (source : office de tourisme).",
)


def _comment(indicator: str, operator: str, period: str) -> str | None:
    """A partner's comment on about one value in twelve of the demo, deterministically."""
    key = zlib.crc32(f"{indicator}|{operator}|{period}".encode())
    return DEMO_COMMENTS[key // 12 % len(DEMO_COMMENTS)] if key % 12 == 0 else None


def _portfolio_cases(fw: Framework, rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """The demo's values reshaped to show what partners really do: a semester reporter among
    quarter reporters, a territory measured inside a wider one (by zone and by audience),
    ratios given with their numerator and denominator, and new brand members consistent with
    the members' count. Deterministic: derived from the values already drawn."""
    out: list[tuple[Any, ...]] = []
    semesters: dict[tuple[Any, ...], list[float]] = {}
    members = {r[4].code: r[5] for r in rows if r[0] == "BRD01"}
    codes = [s.code for s in fw.calendar.semesters]
    for row in rows:
        code, op, zone, aud, period, value = row
        if (code, op) == SEMESTER_REPORTER:
            semester = period_containing(period.end, "programme-semester", fw.calendar)
            semesters.setdefault((code, op, zone, aud, semester), []).append(value)
            continue
        if (code, op) == MID_PERIOD_START[:2] and period.start < MID_PERIOD_START[2]:
            continue  # not owed yet
        if code == "CLI12":  # occupancy from rooms-nights sold and available
            available = round(ROOM_NIGHTS * ZONE_SHARES.get(zone, 0.2))
            sold = round(available * value / 100)
            if (code, zone) == BARE_RATIO[:2] and period.start.year >= BARE_RATIO[2]:
                out.append((code, op, zone, aud, period, rate(sold, available)))  # the rate alone
                continue
            out.append((code, op, zone, aud, period, rate(sold, available), sold, available))
            continue
        if (code, op) == SURVEY_ZONE_DROPPED[:2] and period.start.year < SURVEY_ZONE_DROPPED[3]:
            out.append((code, op, SURVEY_ZONE_DROPPED[2], aud, period, round(value * SURVEY_ZONE_DROPPED[4], 1)))
        if (code, op) == TOTAL_AND_PART[:2]:
            out.append((code, op, zone, TOTAL_AND_PART[2], period, float(round(value * TOTAL_AND_PART[3]))))
        if code == "CLI13":  # satisfaction from visitors surveyed
            satisfied = round(RESPONDENTS * value / 100)
            out.append((code, op, zone, aud, period, rate(satisfied, RESPONDENTS), satisfied, RESPONDENTS))
            n = NESTED_ZONE[3]
            own = round(n * min(value + 2.5, 100) / 100)
            out.append((code, NESTED_ZONE[1], NESTED_ZONE[2], "", period, rate(own, n), own, n))
            continue
        if code == "BRD02" and period.code in codes:
            i = codes.index(period.code)
            before = members.get(codes[i - 1]) if i else None
            now = members.get(period.code)
            if before is not None and now is not None:
                value = float(max(now - before, 0) + round(before * CHURN))
        out.append((code, op, zone, aud, period, value))
        if code == NESTED_AUDIENCE[0] and zone == NESTED_AUDIENCE[2]:
            out.append(
                (code, NESTED_AUDIENCE[1], zone, NESTED_AUDIENCE[3], period, float(round(value * NESTED_AUDIENCE[4])))
            )
    for (code, op, zone, aud, semester), parts in semesters.items():
        out.append((code, op, zone, aud, semester, float(sum(parts))))
    return out


def _make_monotonic(rows: list[tuple[Any, ...]], indicator: str) -> None:
    """Stocks never fall: keep each (operator, zone) series non-decreasing."""
    last: dict[tuple[str, str], float] = {}
    for i, (code, op, zone, aud, period, value) in enumerate(rows):
        if code != indicator:
            continue
        value = max(value, last.get((op, zone), value))
        last[(op, zone)] = value
        rows[i] = (code, op, zone, aud, period, value)


class _UploadRow(Protocol):
    """A report of the demo (`build_values`), as `itertuples` gives it."""

    id: int
    file_name: str
    operator: str
    period: str
    uploaded_at: dt.datetime


def create_demo(con: duckdb.DuckDBPyConnection, fw: Framework) -> int:
    """Fill an empty database with the demo data; returns the number of values written.

    Each report is written as a workbook (`demo_reports.write_report`) and imported through
    the engine, dated as the partner sent it: its file is kept beside the database, and the
    lineage of every figure names a cell of it that holds the value."""
    uploads, values = build_values(fw)
    db.sync_framework(con, fw)
    scores = dict(iter(brand.demo_scores(fw).groupby("file_name", sort=False)))
    by_upload = dict(iter(values.groupby("upload_id", sort=False)))
    written = 0
    # In the order partners sent them: a template shows the operator's last values, so its
    # previous report must be in first. DuckDB on one thread: 177 runs of tiny statements.
    with db.single_threaded(con):
        for u in cast(Iterable[_UploadRow], uploads.sort_values(["uploaded_at", "id"]).itertuples(index=False)):
            data = demo_reports.write_report(
                con, fw, u.operator, u.period, by_upload[u.id], scores.get(u.file_name), written=u.uploaded_at.date()
            )
            result = importer.import_file(
                con,
                data,
                u.file_name,
                operator=u.operator,
                user=USER,
                framework=fw,
                uploaded_at=u.uploaded_at,
                isolated=False,
            )
            if result.status != "imported":
                raise DemoError(
                    f"Le rapport de démonstration {u.file_name} n'a pas pu être importé "
                    f"({'; '.join(i.message for i in result.errors[:3])}). Partez d'une base vide : "
                    "`python -m ardenne_kpi init --empty --force`."
                )
            written += result.inserted
    db.mark_demo(con)
    return written


# ------------------------------------------------------------------ the shipped demo

ARCHIVE = settings.SHIPPED_DIR / "demo.tar.xz"
_MANIFEST = "demo.json"  # what the shipped demo was built from (_made_from)
_DATABASE = "demo.duckdb"


def _made_from(fw: Framework) -> dict[str, object]:
    """What a shipped demo must have been built from to serve: this schema and this framework
    (a deployment that edits data/framework.yaml gets a demo built from its own)."""
    return {
        "schema_version": db.SCHEMA_VERSION,
        "framework_sha256": hashlib.sha256(fw.source_text.encode()).hexdigest(),
    }


def _extract(tar: tarfile.TarFile, folder: Path) -> None:
    """Every member of the shipped demo into `folder`: regular files and folders only, each named
    inside it (what Python's `extractall(filter="data")` checks; Debian 12's Python, 3.11.2, has no
    `filter`: it came with 3.11.4, and a first start there stopped on a TypeError). ValueError
    for any other member: the demo is then built instead."""
    root = folder.resolve()
    for member in tar.getmembers():
        target = (folder / member.name).resolve()
        if not target.is_relative_to(root) or target == root or not (member.isfile() or member.isdir()):
            raise ValueError(f"membre refusé dans l'archive de démonstration : {member.name}")
        if member.isdir():
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        source = tar.extractfile(member)
        if source is None:  # pragma: no cover - a regular file always has its data
            raise ValueError(f"membre illisible dans l'archive de démonstration : {member.name}")
        with source, open(target, "wb") as out:
            shutil.copyfileobj(source, out)


def install_demo(path: Path, fw: Framework, archive: Path | None = None) -> bool:
    """Unpack the shipped demo as the new database `path`, its report files into the
    uploads/ folder beside it; False, with nothing written, when `path` exists or no shipped
    demo serves (none, another framework or schema, a file DuckDB cannot open): then build
    it, `create_demo`. The database file appears last, whole (a rename)."""
    path, archive = Path(path), archive or ARCHIVE
    if path.exists() or not archive.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".demo-", dir=path.parent))
    try:
        with tarfile.open(archive) as tar:
            manifest = tar.extractfile(_MANIFEST)  # None only for a member that is no regular file
            if json.load(manifest) != _made_from(fw):  # type: ignore[arg-type]  # ours is a regular file
                return False
            _extract(tar, staging)
        duckdb.connect(str(staging / _DATABASE), read_only=True).close()  # this DuckDB reads it
        files = db.uploads_dir(path)
        files.mkdir(parents=True, exist_ok=True)
        # The archive carries no dates (reproducible): dated now, the files are ones a zip (`backup`)
        # can hold, where 1970 is refused.
        for kept in (staging / "uploads").iterdir():
            if not (files / kept.name).exists():  # named by their hash: the same file is there already
                os.utime(kept)
                os.replace(kept, files / kept.name)
        os.utime(staging / _DATABASE)
        os.replace(staging / _DATABASE, path)
        return True
    except (OSError, KeyError, ValueError, tarfile.TarError, duckdb.Error):
        return False
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def write_archive(fw: Framework, archive: Path | None = None) -> int:
    """Build the demo through the engine (create_demo) and write it as the shipped archive,
    reproducibly (sorted members, no dates or owners); returns the number of values."""
    archive = archive or ARCHIVE
    with tempfile.TemporaryDirectory() as folder:
        database = Path(folder) / _DATABASE
        con = db.connect(database)
        n = create_demo(con, fw)
        con.execute("CHECKPOINT")
        con.close()
        members = [(_DATABASE, database)] + [
            (f"uploads/{f.name}", f) for f in sorted(db.uploads_dir(database).iterdir())
        ]
        manifest = json.dumps(_made_from(fw), indent=1).encode()
        tmp = archive.with_suffix(".tmp")
        with tarfile.open(tmp, "w:xz", preset=9) as tar:
            for name, data in [(_MANIFEST, manifest)] + [(n_, f.read_bytes()) for n_, f in members]:
                info = tarfile.TarInfo(name)
                info.size, info.mode = len(data), 0o644
                tar.addfile(info, io.BytesIO(data))
        os.replace(tmp, archive)
    return n
