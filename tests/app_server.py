"""`streamlit run app.py` on 127.0.0.1, the one way the browser tests and the benches start
the app (or a floor app beside it): a free port, the server's output in a log file, health
awaited on Streamlit's own endpoint, stopped by its PID."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def streamlit(
    tree: Path,
    database: Path | None,
    log: Path,
    accounts: Path | None = None,
    script: str = "app.py",
    settings: dict[str, str] | None = None,
    port: int | None = None,
) -> Iterator[tuple[str, subprocess.Popen]]:
    """The app of `tree` on `database` (None: the app's own default), its output in `log`,
    started from `script` (serve.py: as deployed, Streamlit's own metrics closed),
    `accounts` as its accounts file (default: none, local mode: the default file's folder is
    an empty one beside the log; a set ARDENNE_ACCOUNTS would require accounts). Yields (url,
    process) as soon as the process runs: wait_health before driving it. `port`: a port chosen
    beforehand (free_port), for a configuration that must name the app's address."""
    port = port or free_port()
    env = {**os.environ, "PYTHONPATH": str(tree), "XDG_CONFIG_HOME": str(log.parent / "no-accounts-config")}
    if accounts is not None:
        env["ARDENNE_ACCOUNTS"] = str(accounts)
    else:
        env.pop("ARDENNE_ACCOUNTS", None)
    for name in ("ARDENNE_AUTH", "ARDENNE_TRUSTED_PROXY", "ARDENNE_CLIENT_HEADER"):
        env.pop(name, None)
    if database is not None:
        env["ARDENNE_DB"] = str(database)
    env.update(settings or {})
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                script,
                "--server.address",
                "127.0.0.1",
                "--server.port",
                str(port),
                "--server.headless",
                "true",
                "--browser.gatherUsageStats",
                "false",
            ],
            cwd=tree,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            yield f"http://127.0.0.1:{port}", proc
        finally:
            stop(proc)


def stop(proc: subprocess.Popen) -> None:
    """End a server started by a test: asked to stop, killed after 10 seconds."""
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


def wait_health(url: str, proc: subprocess.Popen, timeout: float = 180, log: Path | None = None) -> None:
    """Until Streamlit answers on /_stcore/health; RuntimeError (with the end of `log`) when
    the process ends or `timeout` seconds pass first."""
    wait_answer(f"{url}/_stcore/health", proc, timeout, log, what="streamlit")


def wait_answer(
    address: str, proc: subprocess.Popen, timeout: float, log: Path | None = None, what: str = "the server"
) -> None:
    """Until `address` answers 200 (a server `proc` started); RuntimeError (with the end of
    `log`) when the process ends or `timeout` seconds pass first."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(address, timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            tail = log.read_text(errors="replace")[-2000:] if log is not None and log.exists() else ""
            raise RuntimeError(f"{what} did not start (exit {proc.poll()}){': ' + tail if tail else ''}")
        time.sleep(0.02)
