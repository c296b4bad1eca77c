"""ruff (configured in pyproject.toml) finds nothing: lint is part of the suite, not a habit."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from tests.conftest import ROOT


def ruff(*arguments: str) -> subprocess.CompletedProcess:
    """Run ruff on the repository (the one on PATH, else the installed module)."""
    found = shutil.which("ruff") or shutil.which("ruff", path=str(ROOT / ".venv" / "bin"))
    if found is None:
        try:
            import ruff as _ruff  # noqa: F401
        except ImportError:
            pytest.skip("ruff n'est pas installé (pip install -r requirements-dev.txt)")
        command = [sys.executable, "-m", "ruff"]
    else:
        command = [found]
    return subprocess.run([*command, *arguments], cwd=ROOT, capture_output=True, text=True)


def test_ruff_finds_nothing():
    done = ruff("check", ".")
    assert done.returncode == 0, done.stdout + done.stderr


def test_ruff_format():
    done = ruff("format", "--check", ".")
    assert done.returncode == 0, done.stdout + done.stderr
