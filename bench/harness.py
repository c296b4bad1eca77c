"""What the benchmarks share: timing a call, and cold runs (a fresh process opens the
database and runs one task once, so imports and first reads are paid as a user pays them)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from ardenne_kpi import db


def timed(fn: Callable, *args) -> float:
    """Seconds one call takes."""
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


def child(path: str, task: Callable) -> None:
    """In the fresh process: open the database, run `task(con, fw)` once, print the timings as JSON."""
    start = time.perf_counter()
    con = db.connect(path, read_only=True)
    fw = db.stored_framework(con)
    opened = time.perf_counter() - start
    print(json.dumps({"open": opened, "run": timed(task, con, fw)}))


def cold(script: str, path: Path, task: str, repeat: int) -> list[float]:
    """Seconds (open + run) of `task`, each time in a fresh `script --child task --db path` process."""
    out = []
    for _ in range(repeat):
        res = subprocess.run(
            [sys.executable, script, "--child", task, "--db", str(path)], capture_output=True, text=True, check=True
        )
        r = json.loads(res.stdout.strip().splitlines()[-1])
        out.append(r["open"] + r["run"])
    return out
