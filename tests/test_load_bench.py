"""bench/load_bench.py's client speaks Streamlit's websocket protocol well enough to drive a page
of the real app: the request is answered by the page's own run, to its successful end."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from tests import app_server
from tests.conftest import private_copy

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import load_bench  # noqa: E402  (bench/load_bench.py)


@pytest.mark.browser  # it starts the app server (no browser needed)
def test_one_session_runs_one_page_to_its_end_over_the_websocket(demo_db_path, tmp_path):
    database = private_copy(demo_db_path, tmp_path)
    with app_server.streamlit(ROOT, database, tmp_path / "app.log") as (url, proc):
        app_server.wait_health(url, proc, log=tmp_path / "app.log")

        async def drive() -> tuple[load_bench.Answer, load_bench.Answer, dict]:
            session = load_bench.Session(url)
            await session.open()
            try:
                first = await session.run(None, timeout=120)  # the home page, as a browser's first run
                page = await session.run("Couverture", timeout=120)
                return first, page, session.pages
            finally:
                await session.close()

        first, page, pages = asyncio.run(drive())
    assert first.status == ForwardMsg.FINISHED_SUCCESSFULLY
    assert {"", "Tendances", "Couverture", "Reunion"} <= set(pages)  # the app's pages, as Streamlit named them
    assert page.status == ForwardMsg.FINISHED_SUCCESSFULLY
    assert page.elements > 3 and page.exceptions == 0  # the page drew, and drew no error


def test_a_session_no_server_answers_is_counted_lost_not_timed():
    phase = load_bench.Phase("app", "test")
    url = f"http://127.0.0.1:{app_server.free_port()}"  # nobody listens there
    asyncio.run(load_bench.walk(url, ["", "Couverture"], phase, think=0.0, seed=0, timeout=5))
    assert phase.runs == 0
    assert len(phase.lost) == 1 and phase.lost[0].startswith("session 0:")


def _drawn(messages: list[bytes]) -> list[tuple[tuple[int, ...], str]]:
    """What recorded messages draw: each delta's place on the page and its element (or block) kind."""
    out = []
    for data in messages:
        msg = ForwardMsg()
        msg.ParseFromString(data)
        if msg.WhichOneof("type") == "delta":
            delta = msg.delta
            kind = delta.WhichOneof("type")
            what = delta.new_element.WhichOneof("type") if kind == "new_element" else delta.add_block.WhichOneof("type")
            out.append((tuple(msg.metadata.delta_path), f"{kind}:{what}"))
    return out


@pytest.mark.browser  # it starts the app server and the replay's (no browser needed)
def test_the_replay_draws_the_app_s_pages_element_for_element_with_links_to_its_own_pages(demo_db_path, tmp_path):
    import replay  # bench/replay.py

    database = private_copy(demo_db_path, tmp_path)
    paths = ["", "Tendances", "Couverture"]
    with app_server.streamlit(ROOT, database, tmp_path / "app.log") as (url, proc):
        app_server.wait_health(url, proc, log=tmp_path / "app.log")
        recorded = replay.record(url, paths)
    tree = replay.replay_app(tmp_path / "replay", recorded)
    with app_server.streamlit(tree, None, tmp_path / "replay.log") as (url, proc):
        app_server.wait_health(url, proc, log=tmp_path / "replay.log")
        again = replay.record(url, paths)

        async def follow_link() -> str:  # the sidebar's link to Couverture opens the replay's Couverture
            session = load_bench.Session(url)
            await session.open()
            try:
                await session.run(None, timeout=120)
                return session.pages["Couverture"][0]
            finally:
                await session.close()

        couverture = asyncio.run(follow_link())
    for path in paths:
        drawn = _drawn(recorded[path])
        assert len(drawn) > 20, path  # the page drew its content, not an error alone
        assert _drawn(again[path]) == drawn, path
        assert not any(kind == "new_element:exception" for _, kind in drawn), path
    links = []
    for data in again["Tendances"]:
        msg = ForwardMsg()
        msg.ParseFromString(data)
        if msg.WhichOneof("type") == "delta" and msg.delta.new_element.WhichOneof("type") == "page_link":
            links.append(msg.delta.new_element.page_link)
    assert any(link.page_script_hash == couverture for link in links if link.page.strip("/") == "Couverture")
