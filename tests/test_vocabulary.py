"""One enumeration per vocabulary: every code has its label (and, where drawn, its colour and
mark), the stored and address codes do not move, and the package spells a status or a
coverage gap only through its enumeration."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pandas as pd
import pytest

from ardenne_kpi import reporting
from ardenne_kpi.core import indicator_status
from ardenne_kpi.core.indicator_status import IndicatorStatus
from ardenne_kpi.core.periods import Frequency, Grain, grain_of_frequency
from ardenne_kpi.core.upload_state import ReviewState, UploadStatus
from ardenne_kpi.core.vocabulary import Term
from ardenne_kpi.figures import GRAIN_LABELS, coverage
from ardenne_kpi.figures.coverage import Gap
from ardenne_kpi.framework import FREQUENCY_LABELS
from ardenne_kpi.reporting import Delivery, Timeliness

PACKAGE = Path(__file__).resolve().parent.parent / "ardenne_kpi"
VOCABULARIES = [IndicatorStatus, Gap, Delivery, Timeliness, UploadStatus, ReviewState, Grain, Frequency]
DRAWN = [IndicatorStatus, Gap, Delivery]  # shown as colours on charts, grids and the pack
HEX = re.compile(r"#[0-9A-F]{6}")


@pytest.mark.parametrize("vocabulary", VOCABULARIES, ids=lambda v: v.__name__)
def test_every_code_has_a_french_label_and_is_its_own_code(vocabulary: type[Term]):
    assert len({t.label for t in vocabulary}) == len(vocabulary), "two codes read the same"
    for term in vocabulary:
        assert term.label.strip() and term.label == term.label.strip()
        assert vocabulary(term.value) is term
        # stored, written in a CSV or a JSON file, or put in an address: the code itself
        assert str(term) == f"{term}" == term.value
        assert json.dumps({term: term}) == json.dumps({term.value: term.value})
        assert pd.Series([term]).to_csv(index=False, header=False).strip() == term.value


@pytest.mark.parametrize("vocabulary", DRAWN, ids=lambda v: v.__name__)
def test_every_drawn_code_has_its_own_colour_and_a_distinct_mark(vocabulary: type[Term]):
    assert all(HEX.fullmatch(t.colour) for t in vocabulary)
    assert len({t.colour for t in vocabulary}) == len(vocabulary)
    marks = [t.mark for t in vocabulary if t.mark]
    assert len(set(marks)) == len(marks)
    assert len(marks) >= len(vocabulary) - 1  # at most one state (on track, nothing due) goes unmarked


def test_stored_and_address_codes_are_unchanged():
    """The codes are in the database, the exports and the addresses: renaming a member is free,
    changing its code is a migration."""
    assert IndicatorStatus.codes() == ("on_track", "at_risk", "off_track", "no_data")
    assert Gap.codes() == ("not_served", "not_reported", "behind", "on_track")
    assert Delivery.codes() == ("received", "partial", "missing", "pending", "none")
    assert Timeliness.codes() == ("on_time", "late", "overdue", "pending")
    assert ReviewState.codes() == ("validated", "submitted", "returned")
    assert set(UploadStatus.codes()) >= {"imported", "rolled_back", "demo"}
    assert Frequency.codes() == ("M", "Q", "S", "Y", "B")
    assert Grain.CALENDAR_SEMESTER == "semester" and Grain.PROGRAMME_SEMESTER == "programme-semester"


def test_the_frequency_s_is_a_programme_semester_and_the_grain_semester_a_calendar_one():
    assert grain_of_frequency("s") is Grain.PROGRAMME_SEMESTER
    assert Frequency.PROGRAMME_SEMESTERLY.grain is Grain.PROGRAMME_SEMESTER
    assert GRAIN_LABELS["semester"] == Grain.CALENDAR_SEMESTER.label == "Semestre civil"
    assert FREQUENCY_LABELS == Frequency.labels()


def test_the_tables_the_pages_and_exports_read_derive_from_the_enumerations():
    assert indicator_status.STATUS_LABELS == IndicatorStatus.labels()
    assert indicator_status.STATUS_COLORS == IndicatorStatus.colours()
    assert indicator_status.STATUS_SYMBOLS == IndicatorStatus.marks()
    assert set(indicator_status.STATUS_ORDER) == set(IndicatorStatus)
    assert (coverage.GAP_LABELS, coverage.GAP_COLORS, coverage.GAP_MARKS) == (Gap.labels(), Gap.colours(), Gap.marks())
    assert coverage.GAP_STATES == Gap.codes()
    assert reporting.CELL_LABELS == Delivery.labels() and reporting.CELL_COLORS == Delivery.colours()
    assert reporting.ITEM_LABELS == Timeliness.labels()
    assert all(GRAIN_LABELS[g] == Grain(g).label for g in GRAIN_LABELS)


def _string_constants(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)}


# Where a code may be spelled as a string: its enumeration's home, and a framework file's own
# threshold keys (`thresholds: {on_track: 0.95, at_risk: 0.75}`), which are not statuses.
ALLOWED = {
    "core/indicator_status.py": set(IndicatorStatus.codes()),
    "figures/coverage.py": set(Gap.codes()),
    "framework/checks.py": {"on_track", "at_risk"},
}


def test_the_package_spells_a_status_or_a_gap_only_through_its_enumeration():
    codes = set(IndicatorStatus.codes()) | set(Gap.codes())
    spelled = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        name = path.relative_to(PACKAGE).as_posix()
        found = _string_constants(path) & codes - ALLOWED.get(name, set())
        if found:
            spelled[name] = sorted(found)
    assert not spelled, f"spell these through IndicatorStatus or Gap: {spelled}"
