"""Ten people at once: N Streamlit sessions driven over Streamlit's own websocket, no browser.

    python bench/load_bench.py [--sessions 10] [--rounds 2] [--think 3] [--million [PATH]] [--demo PATH]
                               [--pages Accueil ...] [--ref REV] [--readers]

Each session is what a browser tab is to the server: a websocket on `/_stcore/stream` speaking
Streamlit's protobuf messages (`streamlit.proto`). A page run is a BackMsg `rerun_script`
(ClientState with the page's script hash and name, as the browser sends on a page switch), timed
until the ForwardMsg `script_finished`; only the server's work counts. Every session walks every
page `--rounds` times (each starting at its own page, so the sessions do not move in step), without
pause, then with think time (`--think` seconds on average between pages, exponential, seeded).
One session walks the pages once before (not counted): the caches of a server just started.

Driven in the same run, one after another, on the demo database (made by `python -m ardenne_kpi
init`, or a copy of `--demo`) and with `--million` on one million values (bench/kpis_bench.py's
database): Streamlit's floor (one `st.metric` per page, bench/app_bench.py's floor app), the probe
(the floor plus a title, one 12-point Plotly chart and one 12-row table: the nearest a real page
can come), the app and its replay (bench/replay.py: Streamlit sending again the very messages the
app's pages sent, recorded from the running app, with none of the app's work: the floor of
serving that content); `--ref REV`: the app of an earlier commit too, on its own copy of the
database (before/after in the same run); `--readers`: the app opening the database read-only,
as one process, then as two processes on the same file, the sessions shared between them.

Prints, per target and mode: throughput (page runs per second of the phase), median and p95 per
page, the server's CPU time per page run (user + system, from /proc: what a page costs, which other
work loading the machine changes far less than it changes the wall-clock figures), the lost requests (not answered within `--timeout` seconds, a script that did not finish
successfully, a connection closed) and the pages that drew an exception; then the ratios to the
probe and to the floor, against issue 28's goals (throughput ≥ 0.5 × the probe's, every page's
p95 ≤ 2 s on the demo and ≤ 3 s on one million values, none lost). Servers on 127.0.0.1, stopped
by their PID.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import app_bench  # noqa: E402  (bench/app_bench.py: this script's folder is on sys.path)
import replay  # noqa: E402

from tests.app_server import streamlit, wait_health  # noqa: E402

GOALS = {"demo database": 2.0, "1 million values": 3.0}  # p95 of every page, seconds
READERS = ("1 read-only process", "2nd read-only process")
DONE = {ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY}


class Lost(Exception):
    """A page run the server did not answer as a browser expects."""


@dataclass
class Answer:
    """What one page run sent back: the script's end status and how many elements and exceptions it drew."""

    status: int
    elements: int = 0
    exceptions: int = 0


@dataclass
class Session:
    """One browser tab, as the server sees it: a websocket and the app's pages it was told of."""

    url: str
    ws: object = None
    pages: dict[str, tuple[str, str]] = field(default_factory=dict)  # url path → (script hash, page name)
    # Hashes of the large elements received: sent back with each request, as the browser does,
    # so the server answers an unchanged chart or table with its hash instead of the whole of it.
    cached: set[str] = field(default_factory=set)
    # bench/replay.py's recording: every message that draws (whole: no cached hashes sent), kept raw.
    keep: bool = False
    kept: list[bytes] = field(default_factory=list)

    async def open(self) -> None:
        address = self.url.replace("http://", "ws://") + "/_stcore/stream"
        self.ws = await websockets.connect(address, subprotocols=["streamlit"], max_size=None, compression=None)

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()

    async def run(self, path: str | None, timeout: float) -> Answer:
        """Ask for the page at url `path` ('' the home page; None, the first run: the main
        script) and read the answer until its script finishes; raises Lost otherwise."""
        msg = BackMsg()
        msg.rerun_script.query_string = ""
        if path is not None:
            script_hash, name = self.pages[path]
            msg.rerun_script.page_script_hash = script_hash
            msg.rerun_script.page_name = name
        msg.rerun_script.context_info.timezone = "Europe/Paris"
        msg.rerun_script.context_info.locale = "fr-FR"
        msg.rerun_script.context_info.url = f"{self.url}/{path or ''}"
        msg.rerun_script.cached_message_hashes.extend(sorted(self.cached))
        await self.ws.send(msg.SerializeToString())
        answer = Answer(status=-1)
        try:
            async with asyncio.timeout(timeout):
                async for data in self.ws:
                    fwd = ForwardMsg()
                    fwd.ParseFromString(data)
                    kind = fwd.WhichOneof("type")
                    if self.keep and kind in ("delta", "page_config_changed", "logo"):
                        self.kept.append(data)
                    if kind == "new_session":
                        self._learn(fwd.new_session.app_pages)
                        if path is not None and fwd.new_session.page_script_hash != self.pages[path][0]:
                            raise Lost(f"ran another page than {path!r}")
                    elif kind == "navigation":
                        self._learn(fwd.navigation.app_pages)
                    elif kind == "delta" and fwd.delta.WhichOneof("type") == "new_element":
                        answer.elements += 1
                        answer.exceptions += fwd.delta.new_element.WhichOneof("type") == "exception"
                        if fwd.metadata.cacheable and not self.keep:
                            self.cached.add(fwd.hash)
                    elif kind == "ref_hash":  # an element the session already has
                        answer.elements += 1
                    elif kind == "page_not_found":
                        raise Lost(f"page not found: {path!r}")
                    elif kind == "script_finished":
                        if fwd.script_finished == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                            continue  # the run before ours, interrupted by our request
                        answer.status = fwd.script_finished
                        if answer.status not in DONE:
                            raise Lost(f"script ended with status {answer.status}")
                        return answer
        except TimeoutError as exc:
            raise Lost(f"no answer within {timeout} s") from exc
        except websockets.ConnectionClosed as exc:
            raise Lost(f"connection closed: {exc}") from exc
        raise Lost("connection closed")

    def _learn(self, app_pages) -> None:
        for page in app_pages:
            self.pages[page.url_pathname] = (page.page_script_hash, page.page_name)


@dataclass
class Phase:
    """One target driven in one mode: seconds per page, lost requests, pages that drew an exception."""

    target: str
    mode: str
    times: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    lost: list[str] = field(default_factory=list)
    exceptions: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    wall: float = 0.0
    cpu: float = 0.0  # the server's CPU seconds (user + system) over the phase

    @property
    def runs(self) -> int:
        return sum(len(t) for t in self.times.values())

    @property
    def throughput(self) -> float:
        return self.runs / self.wall if self.wall else 0.0

    @property
    def cpu_per_run(self) -> float:
        """The server's CPU seconds per page run: what a page costs, whatever else loads the machine."""
        return self.cpu / self.runs if self.runs else 0.0


def cpu_seconds(*pids: int) -> float:
    """CPU seconds (user + system, every thread) the processes used so far, from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of proc(5))
    return total / tick


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[-1] if len(values) > 1 else values[0]


async def walk(url: str, order: list[str], phase: Phase, think: float, seed: int, timeout: float) -> None:
    """One session: connect, draw the home page, then every page of `order` in turn, each
    timed into `phase`; `think` seconds on average between pages (exponential, seeded)."""
    rng = random.Random(seed)
    session = Session(url)
    try:
        await session.open()
        await session.run(None, timeout)  # the browser's first run: the session learns the pages
        for path in order:
            if think:
                await asyncio.sleep(rng.expovariate(1 / think))
            start = time.perf_counter()
            try:
                answer = await session.run(path, timeout)
            except Lost as exc:
                phase.lost.append(f"{path or 'Accueil'}: {exc}")
                if session.ws.state is not websockets.State.OPEN:
                    await session.open()
                    await session.run(None, timeout)
                continue
            phase.times[path].append(time.perf_counter() - start)
            phase.exceptions[path] += answer.exceptions
    except (Lost, OSError, websockets.WebSocketException) as exc:  # the session itself could not start
        phase.lost.append(f"session {seed}: {exc}")
    finally:
        await session.close()


async def drive(url: str, paths: list[str], phase: Phase, sessions: int, rounds: int, think: float, timeout: float):
    """`sessions` sessions at once, each walking `paths` `rounds` times from its own first page."""
    start = time.perf_counter()
    orders = [(paths[i % len(paths) :] + paths[: i % len(paths)]) * rounds for i in range(sessions)]
    await asyncio.gather(*(walk(url, order, phase, think, seed, timeout) for seed, order in enumerate(orders)))
    phase.wall = time.perf_counter() - start


def run_phase(url, pid, paths, target, mode, sessions, rounds, think, timeout) -> Phase:
    phase = Phase(target, mode)
    before = cpu_seconds(pid)
    asyncio.run(drive(url, paths, phase, sessions, rounds, think, timeout))
    phase.cpu = cpu_seconds(pid) - before
    return phase


def warm(url: str, paths: list[str], timeout: float) -> None:
    """One session walks every page once: the server's first runs, not counted."""
    phase = Phase("warm-up", "")
    asyncio.run(drive(url, paths, phase, 1, 1, 0.0, timeout))
    if phase.lost:
        raise RuntimeError(f"{url}: the warm-up lost {phase.lost[:3]}")


def label(path: str) -> str:
    return next((entry[0] for entry in app_bench.PAGES if entry[1] == path), path)


def report(title: str, phases: list[Phase], paths: list[str]) -> None:
    med = statistics.median
    print(f"\n## {title}")
    by = {(p.target, p.mode): p for p in phases}
    for mode in dict.fromkeys(p.mode for p in phases):
        print(f"\n### {mode}")
        names = [p.target for p in phases if p.mode == mode]
        print(f"{'':26}" + "".join(f"{name:>22}" for name in names))
        for path in paths:
            cells = []
            for name in names:
                t = by[name, mode].times.get(path, [])
                cells.append(f"{med(t):6.2f} / {p95(t):5.2f} s" if t else "—")
            print(f"{label(path)[:25]:26}" + "".join(f"{c:>22}" for c in cells))
        print(f"{'(median / p95 per page)':26}")
        print(f"{'page runs per second':26}" + "".join(f"{by[n, mode].throughput:>22.2f}" for n in names))
        print(f"{'server CPU ms per run':26}" + "".join(f"{1000 * by[n, mode].cpu_per_run:>22.0f}" for n in names))
        print(
            f"{'runs answered / lost':26}"
            + "".join(f"{f'{by[n, mode].runs} / {len(by[n, mode].lost)}':>22}" for n in names)
        )
        for name in names:
            phase = by[name, mode]
            drew = {label(p): n for p, n in phase.exceptions.items() if n}
            if phase.lost or drew:
                print(f"  {name}: lost {phase.lost[:5]}{' …' if len(phase.lost) > 5 else ''}; exceptions drawn {drew}")
        probe, floor, again = by.get(("probe", mode)), by.get(("floor", mode)), by.get(("replay", mode))
        goal = GOALS.get(title)
        for name in names:
            if name in ("probe", "floor", "replay"):
                continue
            phase = by[name, mode]
            worst = max((p95(t) for t in phase.times.values() if t), default=float("nan"))
            line = f"{name}: throughput {phase.throughput:.2f}/s"
            if probe and probe.throughput:
                line += f" = {phase.throughput / probe.throughput:.2f}× the probe's"
            if floor and floor.throughput:
                line += f", {phase.throughput / floor.throughput:.2f}× the floor's"
            if again and again.throughput:
                line += f", {phase.throughput / again.throughput:.2f}× the replay's"
            line += f"; server CPU {1000 * phase.cpu_per_run:.0f} ms per run"
            if probe and probe.cpu_per_run:
                line += f" ({phase.cpu_per_run / probe.cpu_per_run:.1f}× the probe's)"
            line += f"; worst page p95 {worst:.2f} s" + (f" (goal ≤ {goal:.0f} s)" if goal else "")
            line += f"; lost {len(phase.lost)}"
            print(line)
        if again and probe and probe.throughput:
            print(
                f"replay (the app's pages sent again, none of its work): throughput {again.throughput:.2f}/s = "
                f"{again.throughput / probe.throughput:.2f}× the probe's; server CPU {1000 * again.cpu_per_run:.0f} ms "
                "per run: no page drawing this content can serve more"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=10, help="sessions at once")
    parser.add_argument("--rounds", type=int, default=2, help="walks through every page, per session")
    parser.add_argument("--think", type=float, default=3.0, help="mean think time between pages (0: none)")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds before a request counts as lost")
    parser.add_argument(
        "--million",
        nargs="?",
        const=True,
        type=Path,
        help="also on a database of one million values (built, or a copy of the one given)",
    )
    parser.add_argument("--demo", type=Path, help="a demo database made by `init` to copy instead of building one")
    parser.add_argument("--pages", nargs="*", help="sidebar labels to drive (default: every page)")
    parser.add_argument("--ref", metavar="REV", help="an earlier commit driven in the same run (before/after)")
    parser.add_argument("--readers", action="store_true", help="also the app read-only, as one and as two processes")
    parser.add_argument("--only-app", action="store_true", help="skip the floor and the probe")
    args = parser.parse_args()

    paths = [address for name, address, _ in app_bench.PAGES if not args.pages or name in args.pages]
    modes = [("without pause", 0.0)] + ([(f"think time {args.think:g} s", args.think)] if args.think else [])
    tmp = Path(tempfile.mkdtemp(prefix="load-bench-"))
    try:
        trees = {}
        if not args.only_app:
            trees["floor"] = app_bench.floor_app(tmp / "floor")
            trees["probe"] = app_bench.floor_app(tmp / "probe", app_bench.PROBE)
        ref_tree = app_bench.extract(args.ref, tmp) if args.ref else None
        databases = {"demo database": app_bench.demo_database(args.demo, tmp)}
        if isinstance(args.million, Path):
            databases["1 million values"] = app_bench.copy_database(args.million, tmp / "million")
        elif args.million:
            databases["1 million values"] = app_bench.million_database(tmp)
        for title, database in databases.items():
            with ExitStack() as stack:
                running = {
                    name: stack.enter_context(streamlit(tree, None, tmp / f"{name}.log"))
                    for name, tree in trees.items()
                }
                running["app"] = stack.enter_context(streamlit(ROOT, database, database.parent / "app.log"))
                if ref_tree:
                    ref_db = app_bench.copy_database(database, tmp / f"ref-{database.parent.name}")
                    running["reference"] = stack.enter_context(streamlit(ref_tree, ref_db, ref_db.parent / "app.log"))
                if args.readers:  # their own copy: the app writing beside would lock them out
                    reader_db = app_bench.copy_database(database, tmp / f"readers-{database.parent.name}")
                    for name in READERS:
                        running[name] = stack.enter_context(
                            streamlit(ROOT, reader_db, tmp / f"{name}.log", settings=read_only(tmp))
                        )
                for url, proc in running.values():
                    wait_health(url, proc)
                if not args.only_app:  # the app's pages as they are now, sent again with none of its work
                    folder = tmp / f"replay-{database.parent.name}"
                    running["replay"] = replay.started(stack, running["app"][0], paths, folder)
                for url, _ in running.values():
                    warm(url, paths, args.timeout)
                phases = []
                for mode, think in modes:
                    for name, (url, proc) in running.items():
                        if name == READERS[1]:  # driven with the first reader, below
                            continue
                        print(f"{title}: {name}, {mode}", file=sys.stderr)
                        phases.append(
                            run_phase(url, proc.pid, paths, name, mode, args.sessions, args.rounds, think, args.timeout)
                        )
                    if args.readers:
                        phases.append(two_processes(running, paths, mode, think, args))
                report(title, phases, paths)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def read_only(tmp: Path) -> dict[str, str]:
    """The environment of an app process that opens the database read-only, as one whose
    account may not write the file would (`db.writable`, which the bench, running as any
    user, cannot obtain from file modes alone)."""
    shim = tmp / "read-only"
    if not shim.exists():
        shim.mkdir()
        (shim / "sitecustomize.py").write_text(
            "from ardenne_kpi import db\n\ndb.writable = lambda path: False  # load_bench: a read-only reader\n"
        )
    return {"PYTHONPATH": f"{shim}{os.pathsep}{ROOT}"}


def two_processes(running: dict, paths: list[str], mode: str, think: float, args) -> Phase:
    """The sessions split between two app processes that both open the database read-only
    (DuckDB lets several processes read a file at once, but none while one writes it)."""
    phase = Phase("2 read-only processes", mode)
    urls = [running[name][0] for name in READERS]
    pids = [running[name][1].pid for name in READERS]
    before = cpu_seconds(*pids)

    async def both() -> None:
        start = time.perf_counter()
        orders = [(paths[i % len(paths) :] + paths[: i % len(paths)]) * args.rounds for i in range(args.sessions)]
        await asyncio.gather(
            *(walk(urls[i % 2], order, phase, think, i, args.timeout) for i, order in enumerate(orders))
        )
        phase.wall = time.perf_counter() - start

    print(f"2 read-only processes, {mode}", file=sys.stderr)
    asyncio.run(both())
    phase.cpu = cpu_seconds(*pids) - before
    return phase


if __name__ == "__main__":
    main()
