"""The replay: Streamlit drawing exactly what the app's pages draw, with none of the app's work.

Issue 28 measures pages against a probe (a title, one 12-point chart, one 12-row table). A
real page shows more than that: Tendances draws some seventy elements (filters, status
counts, tiles, captions, a chart, a table, tabs). How near can any app come to the probe
while showing the same content? The replay answers it:

- `record(url, paths)` opens one session on the running app over Streamlit's websocket
  (bench/load_bench's client, no cached elements, so every element comes whole) and keeps,
  for each page, every message that draws something (deltas, the page configuration, the
  logo): the app's final page, as the browser receives it;
- `replay_app(folder, recorded)` writes an app with the same pages, addresses, sidebar and
  Streamlit configuration whose every page run sends those recorded messages again as they
  are: no database, no pandas, no Plotly figure built, no widget logic. Its page links are
  pointed at its own pages.

Driven beside the app in the same rounds (bench/load_bench.py, bench/app_bench.py: `started`),
its server time is the floor of sending that content, and its time in Chromium
the floor of drawing it: what is left between the app and its replay is the app's own work.
"""

from __future__ import annotations

import asyncio
import pickle
import subprocess
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

REPLAY_MODULE = '''"""A replay page: sends again the messages the app's page sent (bench/replay.py)."""

import pickle
from pathlib import Path

from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.runtime.scriptrunner import enqueue_message, get_script_run_ctx

RECORDED = pickle.loads((Path(__file__).parent / "recorded.pickle").read_bytes())


def page(address: str) -> None:
    ctx = get_script_run_ctx()
    own = {info["url_pathname"].strip("/"): key for key, info in ctx.pages_manager.get_pages().items()}
    for data in RECORDED[address]:
        msg = ForwardMsg()
        msg.ParseFromString(data)
        msg.ClearField("hash")  # the server hashes and caches it as it does the app's
        msg.metadata.cacheable = False
        if msg.WhichOneof("type") == "delta" and msg.delta.new_element.WhichOneof("type") == "page_link":
            link = msg.delta.new_element.page_link
            target = link.page.strip("/")
            if not link.external and target in own:
                link.page_script_hash = own[target]
        enqueue_message(msg)
'''


async def _record(url: str, paths: list[str], timeout: float) -> dict[str, list[bytes]]:
    from load_bench import Session

    session = Session(url, keep=True)
    await session.open()
    try:
        await session.run(None, timeout)  # the first run: the pages are learnt
        recorded = {}
        for path in paths:
            session.kept = []
            await session.run(path, timeout)
            recorded[path] = session.kept
        return recorded
    finally:
        await session.close()


def record(url: str, paths: list[str], timeout: float = 120.0) -> dict[str, list[bytes]]:
    """Every drawing message of each page at url `paths` ('' the home page) of the app at `url`."""
    with ThreadPoolExecutor(1) as own_loop:  # its own event loop, beside a caller's (Playwright's)
        return own_loop.submit(asyncio.run, _record(url, paths, timeout)).result()


def replay_app(folder: Path, recorded: dict[str, list[bytes]]) -> Path:
    """Write the replay app into `folder`: the floor app's files (bench/app_bench.floor_app), each
    page replaying the messages recorded for its address."""
    import app_bench

    tree = app_bench.floor_app(
        folder, body=lambda _label, address: f"import replay_page\n\nreplay_page.page({address!r})\n"
    )
    (tree / "replay_page.py").write_text(REPLAY_MODULE)
    (tree / "recorded.pickle").write_bytes(pickle.dumps(recorded))
    return tree


def started(stack: ExitStack, app_url: str, paths: list[str], folder: Path) -> tuple[str, subprocess.Popen[bytes]]:
    """The replay of the app running at `app_url` (its pages at `paths`), written into `folder`
    and started in `stack` (stopped with it): its (url, process), once it answers."""
    from tests.app_server import streamlit, wait_health

    tree = replay_app(folder, record(app_url, paths))
    url, proc = stack.enter_context(streamlit(tree, None, tree / "replay.log"))
    wait_health(url, proc)
    return url, proc
