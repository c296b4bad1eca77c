"""The README is the user's guide: its map of the code and the source files it names exist."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
# A name of the map: a file (with a dot) or a folder (ending with /), commas after a name allowed.
_PATH = re.compile(r"[\w.][\w./-]*")


def map_paths(readme: str) -> list[str]:
    """The paths the map of the code names: each line's leading names (before its description),
    a two-space indented line's relative to the folder above it; deeper lines continue a
    description."""
    block = readme.split("## Map of the code", 1)[1].split("```", 2)[1]
    paths, folder = [], ""
    for line in block.splitlines():
        indent = len(line) - len(line.lstrip(" "))
        if not line.strip() or indent > 2:
            continue
        names = []
        for token in line.split():
            token = token.rstrip(",")
            if not (_PATH.fullmatch(token) and ("." in token or token.endswith("/"))):
                break
            names.append(token)
        prefix = folder if indent == 2 else ""
        paths += [prefix + name for name in names]
        if indent == 0 and names and names[-1].endswith("/"):
            folder = names[-1]
    return paths


def named_sources(readme: str) -> set[str]:
    """The code paths the text names in backquotes (`ardenne_kpi/db/sharing.py`, `intake/locate.py`):
    source files and folders, not the files a deployment makes (data/, uploads/, .streamlit/secrets.toml)."""
    tokens = set(re.findall(r"`([^`\s]+)`", readme))
    return {t for t in tokens if re.fullmatch(r"(?!data/)\w[\w/.-]*(\.py|/)", t)} - {"uploads/"}


def _exists(path: str) -> bool:
    return (ROOT / path).exists() or (ROOT / "ardenne_kpi" / path).exists()


def test_every_path_of_the_map_of_the_code_exists():
    paths = map_paths(README)
    assert len(paths) > 25  # the parse found the map, not an empty block
    assert {"app.py", "pages/1_Import.py", "ardenne_kpi/db/", "ardenne_kpi/cli/", "bench/"} <= set(paths)
    missing = [p for p in paths if not (ROOT / p).exists()]
    assert not missing, f"the README's map of the code names paths that do not exist: {missing}"


def test_every_source_file_the_readme_names_exists():
    named = named_sources(README)
    assert "ardenne_kpi/db/sharing.py" in named
    missing = sorted(p for p in named if not _exists(p))
    assert not missing, f"the README names source files that do not exist: {missing}"


def test_the_map_parse_finds_a_renamed_module():
    readme = (
        "## Map of the code\n\n```\nardenne_kpi/\n  gone.py   a module renamed since\n    more.py a description\n```\n"
    )
    assert map_paths(readme) == ["ardenne_kpi/", "ardenne_kpi/gone.py"]
    assert not _exists("ardenne_kpi/gone.py")
