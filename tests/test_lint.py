"""ruff (configured in pyproject.toml) finds nothing: lint is part of the suite, not a habit."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from tests.conftest import ROOT


def test_ruff_finds_nothing():
    ruff = shutil.which("ruff") or shutil.which("ruff", path=str(ROOT / ".venv" / "bin"))
    if ruff is None:
        try:
            import ruff as _ruff  # noqa: F401
        except ImportError:
            pytest.skip("ruff n'est pas installé (pip install -r requirements-dev.txt)")
        command = [sys.executable, "-m", "ruff"]
    else:
        command = [ruff]
    done = subprocess.run([*command, "check", "."], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
