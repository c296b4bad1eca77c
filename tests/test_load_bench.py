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
