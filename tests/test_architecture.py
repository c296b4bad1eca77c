"""The architecture holds: streamlit only in ardenne_kpi/ui/; pages hold no SQL, no database
access and no pandas work; the package's modules only import downwards through its layers."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "ardenne_kpi"
PAGES = [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py"))]
SQL = re.compile(
    r"\b(SELECT\s+.+\s+FROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE\s+TABLE)\b", re.IGNORECASE | re.DOTALL
)

# The package's layers, lowest first. A module may import its own layer and the layers below,
# never one above. A unit is a top-level module or a subpackage (`db`, `intake`) taken whole.
LAYERS: list[tuple[str, set[str]]] = [
    ("foundation", {"core"}),
    ("framework", {"framework"}),
    ("storage", {"db"}),
    ("figures", {"figures"}),
    ("intake", {"intake"}),
    ("follow-up", {"reporting", "framework_admin"}),
    ("charts and exports", {"charts", "exports"}),
    ("committee and portal", {"committee", "portal"}),
    ("demo", {"demo"}),
    ("entry points", {"__main__", "ui", "cli", "server"}),
]
LAYER_OF = {unit: rank for rank, (_, units) in enumerate(LAYERS) for unit in units}

# What pages may not import: the database, the import engine, and table libraries.
# The import engine's inner steps: a page goes through its door, `intake.importer` (and reads
# the size limit from `intake.guard`).
ENGINE_STEPS = (
    "arrival",
    "workbook",
    "locate",
    "values",
    "validate",
    "value_rules",
    "resolver",
    "cells",
    "locks",
    "model",
    "reader",
    "brand_sheet",
    "outcome",
    "report",
    "import_warnings",
    "originals",
    "rollback",
)
PAGE_FORBIDDEN_IMPORTS = {"duckdb", "sqlite3", "pandas", "numpy", "ardenne_kpi.db"} | {
    f"ardenne_kpi.intake.{step}" for step in ENGINE_STEPS
}
# DataFrame work a page must leave to ardenne_kpi (called as methods of a frame or series).
PANDAS_METHODS = {
    "groupby",
    "merge",
    "pivot",
    "pivot_table",
    "melt",
    "drop_duplicates",
    "sort_values",
    "set_index",
    "reset_index",
    "rename",
    "itertuples",
    "iterrows",
    "unique",
    "nunique",
    "sum",
    "mean",
    "head",
    "tail",
    "tolist",
    "notna",
    "isna",
    "notnull",
    "isnull",
    "value_counts",
    "agg",
    "apply",
    "query",
    "assign",
    "fillna",
    "dropna",
    "to_numpy",
    "astype",
    "duplicated",
    "isin",
    "idxmax",
    "idxmin",
    "cumsum",
    "drop",
    "explode",
    "stack",
    "unstack",
}
PANDAS_INDEXERS = {"loc", "iloc", "at", "iat"}


def imported_names(path: Path) -> set[str]:
    """Every module a file imports, in full (`ardenne_kpi.db.sharing`, and for
    `from ardenne_kpi import db` also `ardenne_kpi.db`), wherever the import statement is."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
    return names


def imported_modules(path: Path) -> set[str]:
    return {name.split(".")[0] for name in imported_names(path)}


def unit_of(path: Path) -> str:
    relative = path.relative_to(PACKAGE)
    return relative.parts[0] if len(relative.parts) > 1 else relative.stem


def imported_units(path: Path) -> set[str]:
    """The package's units a module imports, its own left out."""
    units = set()
    for name in imported_names(path):
        parts = name.split(".")
        if parts[0] == "ardenne_kpi" and len(parts) > 1:
            units.add(parts[1])
    return {u for u in units if u in LAYER_OF or (PACKAGE / f"{u}.py").exists() or (PACKAGE / u).is_dir()} - {
        unit_of(path)
    }


MODULES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_package_does_not_import_streamlit_except_ui(path):
    if path.parent == PACKAGE / "ui":
        return
    assert "streamlit" not in imported_modules(path)


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.name)
def test_pages_hold_no_sql_and_no_database_access(path):
    text = path.read_text(encoding="utf-8")
    assert not SQL.search(text), "SQL belongs in ardenne_kpi/db/"
    assert not {"duckdb", "sqlite3"} & imported_modules(path)
    assert ".execute(" not in text and ".sql(" not in text


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.name)
def test_pages_import_neither_the_database_nor_the_import_engine_nor_pandas(path):
    found = {
        name
        for name in imported_names(path)
        if any(name == f or name.startswith(f + ".") for f in PAGE_FORBIDDEN_IMPORTS)
    }
    assert not found, "a page goes through ardenne_kpi's modules (ui, figures, intake.import_view, intake.importer…)"
    assert not re.search(r"\bpd\.", path.read_text(encoding="utf-8")), "pandas work belongs in ardenne_kpi/"


def pandas_work(path: Path) -> list[str]:
    """Lines of a page that work on a DataFrame: its methods, indexers, masks and column lists."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    modules = {
        a.asname or a.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for a in node.names
    }
    found = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in PANDAS_METHODS
            and not (isinstance(node.func.value, ast.Name) and node.func.value.id in modules)
        ):
            found.append(f"line {node.lineno}: .{node.func.attr}(…)")
        elif isinstance(node, ast.Attribute) and node.attr in PANDAS_INDEXERS:
            found.append(f"line {node.lineno}: .{node.attr}[…]")
        elif isinstance(node, ast.Subscript) and (
            isinstance(node.slice, ast.Compare | ast.List)
            or isinstance(node.slice, ast.BinOp)
            and isinstance(node.slice.op, ast.BitAnd | ast.BitOr)
        ):
            found.append(f"line {node.lineno}: a mask or a column list")
    return sorted(found, key=lambda f: int(f.split(":")[0].split()[1]))


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.name)
def test_pages_do_no_pandas_work(path):
    assert not pandas_work(path), "reshaping belongs in ardenne_kpi/, the page only lays it out"


def test_every_module_has_a_layer():
    units = {unit_of(p) for p in MODULES} - {"__init__"}
    assert not units - set(LAYER_OF), "place the new module in LAYERS"
    assert not set(LAYER_OF) - units, "a unit of LAYERS no longer exists"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_import_runs_back_up_the_layers(path):
    unit = unit_of(path)
    if unit == "__init__":
        return
    above = {u: LAYERS[LAYER_OF[u]][0] for u in imported_units(path) if LAYER_OF[u] > LAYER_OF[unit]}
    assert not above, f"{unit} ({LAYERS[LAYER_OF[unit]][0]}) imports a higher layer: {above}"


def house() -> tuple[set[str], set[tuple[str, str]]]:
    """The house drawn from the imports: its rooms (the package's units, top-level modules and
    subpackages) and its arrows (each distinct import of one room by another)."""
    rooms = {unit_of(p) for p in MODULES} - {"__init__"}
    arrows = {(unit_of(p), u) for p in MODULES if unit_of(p) != "__init__" for u in imported_units(p)}
    return rooms, arrows


def test_the_house_has_fewer_rooms_and_arrows_than_before_the_packages_by_subject():
    """Before issue 25 the house had 40 rooms and 196 arrows (counted by `house()`; the issue's
    39 and 215 were counted another way); every arrow runs down the layers (test above)."""
    rooms, arrows = house()
    assert len(rooms) < 40 and len(arrows) < 196, (len(rooms), len(arrows))
    assert all(LAYER_OF[a] >= LAYER_OF[b] for a, b in arrows)


def test_no_import_cycle_between_units():
    graph: dict[str, set[str]] = {}
    for path in MODULES:
        if unit_of(path) != "__init__":
            graph.setdefault(unit_of(path), set()).update(imported_units(path))
    cycles, done = [], set()

    def visit(unit, trail):
        if unit in trail:
            cycles.append(trail[trail.index(unit) :] + [unit])
            return
        if unit in done:
            return
        for nxt in sorted(graph.get(unit, ())):
            visit(nxt, [*trail, unit])
        done.add(unit)

    for unit in sorted(graph):
        visit(unit, [])
    assert not cycles, " ; ".join(" → ".join(c) for c in cycles)


@pytest.mark.parametrize(
    "path",
    sorted(p for p in PACKAGE.rglob("*.py") if "db" not in p.parts[-2:-1]),
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_sql_lives_in_the_db_package(path):
    assert not SQL.search(path.read_text(encoding="utf-8")), "SQL belongs in ardenne_kpi/db/"


@pytest.mark.parametrize("path", [p for p in MODULES if p.name != "errors.py"], ids=lambda p: str(p.relative_to(ROOT)))
def test_error_classes_live_in_errors_py_and_no_bare_error_is_raised(path):
    """Every error a user can meet is an ArdenneError of errors.py, with a French sentence."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    classes = [
        n.name
        for n in ast.walk(tree)
        if isinstance(n, ast.ClassDef)
        and not n.name.startswith("_")
        and any(isinstance(b, ast.Name) and b.id.endswith(("Error", "Exception")) for b in n.bases)
    ]
    assert not classes, "define error classes in ardenne_kpi/core/errors.py"
    bare = [
        n.lineno
        for n in ast.walk(tree)
        if isinstance(n, ast.Raise)
        and isinstance(n.exc, ast.Call)
        and isinstance(n.exc.func, ast.Name)
        and n.exc.func.id in {"RuntimeError", "Exception"}
    ]
    assert not bare, f"raise an ArdenneError (errors.py) with a French sentence, lines {bare}"


def test_the_checks_catch_what_they_are_for(tmp_path):
    """The page checks see a pandas call, a mask and an indexer; the layer check sees an upward import."""
    page = tmp_path / "page.py"
    page.write_text(
        "from ardenne_kpi import ui\nx = frame[frame['a'] > 1]\ny = frame.loc[0]\n"
        "z = frame.groupby('a')\nw = ui.head()\n",
        encoding="utf-8",
    )
    assert [f.split(":")[0] for f in pandas_work(page)] == ["line 2", "line 3", "line 4"]
    assert LAYER_OF["figures"] < LAYER_OF["charts"] and LAYER_OF["intake"] < LAYER_OF["committee"]
