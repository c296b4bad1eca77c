"""ui.cached keeps each result once for every session (st.cache_resource) and hands each read
a copy of its own (ui.database._own_copy): whatever a page does to what it gets, the next
read, in this session or another, gets the result as it was computed."""

from __future__ import annotations

import dataclasses
from collections import namedtuple

import numpy as np
import pandas as pd

from ardenne_kpi.ui.database import _own_copy


@dataclasses.dataclass(frozen=True)
class Briefing:
    title: str
    table: pd.DataFrame
    notes: list[str]


def _original() -> tuple[pd.DataFrame, dict[str, pd.DataFrame], Briefing, np.ndarray]:
    frame = pd.DataFrame({"indicator": ["A", "B"], "value": [1.5, 2.5]})
    return (
        frame,
        {"A": frame.iloc[:1], "B": frame.iloc[1:]},
        Briefing("Comité", frame, ["une note"]),
        np.array([1.0, 2.0]),
    )


def test_what_a_page_does_to_its_copy_never_reaches_the_cached_result():
    cached = _original()
    frame, series, briefing, array = _own_copy(cached)
    frame["added"] = 1
    frame.loc[0, "value"] = -1.0
    series["A"].loc[0, "value"] = -2.0
    series.pop("B")
    briefing.table.loc[1, "indicator"] = "Z"
    briefing.notes.append("ajoutée par la page")
    array[0] = 99.0

    fresh = _original()
    pd.testing.assert_frame_equal(cached[0], fresh[0])
    assert list(cached[1]) == ["A", "B"]
    pd.testing.assert_frame_equal(cached[1]["A"], fresh[1]["A"])
    pd.testing.assert_frame_equal(cached[2].table, fresh[2].table)
    assert cached[2].notes == ["une note"]
    assert cached[3].tolist() == [1.0, 2.0]


def test_copies_keep_their_kind_and_values():
    Row = namedtuple("Row", "code label")
    value = (Row("A", ["x"]), {"k": {1, 2}}, frozenset({3}), "texte", 4, None)
    copied = _own_copy(value)
    assert copied == value and type(copied[0]) is Row
    assert copied[0].label is not value[0].label and copied[1]["k"] is not value[1]["k"]
    briefing = Briefing("Comité", pd.DataFrame({"a": [1]}), [])
    again = _own_copy(briefing)
    assert isinstance(again, Briefing) and again.title == "Comité" and again.table is not briefing.table


def test_a_shared_figure_draws_as_the_figure_it_was_built_from_and_makes_its_dict_once():
    import plotly.graph_objects as go
    import plotly.io as pio

    from ardenne_kpi.ui.database import _shareable

    def built() -> go.Figure:
        figure = go.Figure(go.Heatmap(z=[[1, 2], [3, 4]], text=[["a", "b"], ["c", "d"]], texttemplate="%{text}"))
        return figure.update_layout(title="Couverture", separators=", ")

    shared = _shareable(built())
    assert type(shared) is go.Figure, "what st.plotly_chart takes"
    first = shared.to_dict()
    assert shared.to_dict() is first, "made once"
    assert first == built().to_dict()
    # what st.plotly_chart sends: the same JSON as for the same figure not shared
    assert pio.to_json(shared.to_dict(), validate=False) == pio.to_json(built().to_dict(), validate=False)
    assert _shareable(shared) is shared and _shareable(shared).to_dict() is first
    assert _shareable("a table") == "a table"


def test_a_dict_of_many_frames_is_copied_frame_by_frame_as_the_page_reads_it():
    cached = {f"I{n:02d}": pd.DataFrame({"period": ["S01", "S02"], "value": [n, n + 0.5]}) for n in range(12)}
    before = {code: frame.copy(deep=True) for code, frame in cached.items()}
    mine = _own_copy(cached)
    assert list(mine) == list(cached) and len(mine) == 12 and "I03" in mine
    reads = [
        mine["I03"],
        mine.get("I04"),
        next(iter(mine.values())),
        dict(mine.items())["I05"],
        dict(mine)["I06"],
        {**mine}["I07"],
        _own_copy(mine)["I08"],
    ]
    for frame in reads:
        frame["value"] = -1.0  # what a page might do to what it reads
        frame.loc[0, "period"] = "changé"
    mine["I09"] = pd.DataFrame({"period": ["X"], "value": [0.0]})  # the page's own entry
    assert mine.get("absent", "rien") == "rien"
    for code, frame in cached.items():
        pd.testing.assert_frame_equal(frame, before[code], obj=code)
    assert _own_copy(cached)["I09"]["period"].tolist() == ["S01", "S02"]


def test_a_shared_styler_sends_what_a_fresh_one_sends_and_computes_its_styles_once():
    from streamlit.elements.lib.pandas_styler_utils import marshall_styler
    from streamlit.proto.ArrowData_pb2 import ArrowData

    from ardenne_kpi.ui.database import _shareable

    text = pd.DataFrame({"S01": ["✔", "✘"], "S02": ["◐", "…"]}, index=["FTLB", "ADT08"])
    computed = []

    def colours(frame: pd.DataFrame) -> pd.DataFrame:
        computed.append(1)
        return frame.map(lambda v: "background-color: #1a7f37; color: white" if v == "✔" else "")

    def marshalled(styler) -> bytes:
        proto = ArrowData()
        marshall_styler(proto, styler, "uuid")
        return proto.SerializeToString()

    fresh = marshalled(text.style.apply(colours, axis=None).set_uuid("u1"))
    computed.clear()
    shared = _shareable(text.style.apply(colours, axis=None).set_uuid("u1"))
    assert type(shared) is pd.io.formats.style.Styler, "st.dataframe knows a Styler by its type's name"
    assert [marshalled(shared) for _ in range(3)] == [fresh] * 3
    assert len(computed) == 1, "the styles computed once for three tables sent"
