"""The architecture holds: streamlit only in ardenne_kpi/ui.py; no SQL and no database access in pages."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "ardenne_kpi"
PAGES = [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py"))]
SQL = re.compile(r"\b(SELECT\s+.+\s+FROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE\s+TABLE)\b",
                 re.IGNORECASE | re.DOTALL)


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT)))
def test_package_does_not_import_streamlit_except_ui(path):
    if path.name == "ui.py" and path.parent == PACKAGE:
        return
    assert "streamlit" not in imported_modules(path)


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.name)
def test_pages_hold_no_sql_and_no_database_access(path):
    text = path.read_text(encoding="utf-8")
    assert not SQL.search(text), "SQL belongs in ardenne_kpi/db/"
    assert not {"duckdb", "sqlite3"} & imported_modules(path)
    assert ".execute(" not in text and ".sql(" not in text


@pytest.mark.parametrize("path", sorted(p for p in PACKAGE.rglob("*.py") if "db" not in p.parts[-2:-1]),
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_sql_lives_in_the_db_package(path):
    assert not SQL.search(path.read_text(encoding="utf-8")), "SQL belongs in ardenne_kpi/db/"
