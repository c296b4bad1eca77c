"""The framework loader: the shipped file loads; each kind of broken file is named with its place."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ardenne_kpi.core.errors import FrameworkError
from ardenne_kpi.framework import DEFAULT_PATH, load_framework, parse_framework
from ardenne_kpi.framework import workbook as framework_workbook

PROPOSAL = Path(__file__).resolve().parent / "data" / "framework-proposal.yaml"  # shared/domain, copied


def test_shipped_framework_has_the_plan_shape(fw):
    assert [d.code for d in fw.dimensions] == ["D1", "D2", "D3", "D4"]
    assert len(fw.keys) == 12 and len(fw.themes) == 6 and len(fw.brand_elements) == 7
    assert {a.code for a in fw.audiences} >= {"HAB", "ENT", "VIS"}
    assert {z.code for z in fw.zones} == {"ARD", "FR-08", "BE-LUX", "BE-NAM", "BE-LIE", "LU-EIS"}
    assert all(z.parent == "ARD" for z in fw.zones if z.code != "ARD")
    assert len(fw.calendar.semesters) == 11


def test_every_indicator_says_how_it_aggregates(fw):
    for ind in fw.indicators:
        assert ind.agg_time in ("sum", "last", "mean") and ind.agg_space in ("sum", "last", "mean"), ind.code
    assert fw.indicator("CLI08").agg_time == "sum"  # overnight stays: a flow
    assert fw.indicator("BRD01").agg_time == "last"  # cumulative members: a stock
    assert fw.indicator("ATT05").agg_time == "last"  # km built
    assert fw.indicator("CLI12").agg_time == "mean"  # occupancy rate


def test_codes_of_the_proposal_are_kept(fw):
    proposal = yaml.safe_load(PROPOSAL.read_text(encoding="utf-8"))
    for section, ours in (("indicators", "indicators"), ("operators", "operators"), ("projects", "projects")):
        assert {i["code"] for i in proposal[section]} <= set(fw.by_code[ours]), section
    audiences = {a["code"] for a in proposal["audiences"]}
    assert audiences <= set(fw.by_code["audiences"])


def test_targets_are_dated(fw):
    brd01 = fw.indicator("BRD01")
    assert [t.period.code for t in brd01.targets] == ["2019-05", "2020-06", "2021-12", "S11"]
    assert brd01.final_target.value == 800


def _broken(mutate) -> str:
    data = yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))
    mutate(data)
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def _problems(text: str) -> list[str]:
    with pytest.raises(FrameworkError) as info:
        parse_framework(text)
    return info.value.problems


def test_unknown_reference_is_named_with_its_place():
    problems = _problems(_broken(lambda d: d["indicators"][3]["keys"].append("K13")))
    assert len(problems) == 1
    assert "indicators[3].keys" in problems[0] and "K13" in problems[0] and "ligne" in problems[0]


def test_duplicate_code_is_named():
    def dup(d):
        d["zones"].append({"code": "FR-08", "label": "Doublon"})

    problems = _problems(_broken(dup))
    assert any("FR-08" in p and "double" in p for p in problems)


def test_missing_field_is_named():
    problems = _problems(_broken(lambda d: d["indicators"][0].pop("agg_time")))
    assert any("indicators[0]" in p and "agg_time" in p for p in problems)


def test_unreadable_period_in_a_target_is_named():
    problems = _problems(_broken(lambda d: d["indicators"][1]["targets"][0].update(period="bientôt")))
    assert any("indicators[1].targets[0].period" in p for p in problems)


def test_every_problem_is_reported_at_once():
    def many(d):
        d["indicators"][0]["dimensions"] = ["D9"]
        d["indicators"][1]["agg_space"] = "median"
        d["keys"][0]["theme"] = "T9"

    assert len(_problems(_broken(many))) == 3


def test_invalid_yaml_says_the_line():
    problems = _problems("dimensions: [\n  {code: D1\n")
    assert "ligne" in problems[0]


def test_unreadable_file_is_a_framework_error(tmp_path):
    with pytest.raises(FrameworkError):
        load_framework(tmp_path / "absent.yaml")


def test_workbook_round_trip_gives_the_same_framework(fw):
    again = parse_framework(framework_workbook.from_workbook(framework_workbook.to_workbook(fw), fw))
    assert again == fw
