"""mypy (configured in pyproject.toml, strict on the package) finds no error: the types the
signatures promise are the ones the code passes around."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import ROOT


def test_mypy_finds_no_error():
    pytest.importorskip("mypy", reason="mypy n'est pas installé (pip install -r requirements-dev.txt)")
    done = subprocess.run([sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
