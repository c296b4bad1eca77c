"""The reference framework loaded from one human-editable YAML file: the whole file checked,
every problem named with its place (line and path), so a coordinator editing the file by
hand knows exactly what to fix.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from ardenne_kpi.core.errors import FrameworkError
from ardenne_kpi.framework.checks import YamlPath, _Builder, _Problems
from ardenne_kpi.framework.model import (
    DEFAULT_PATH,
    Framework,
)


def _line_map(node: yaml.Node, path: YamlPath = (), out: dict[YamlPath, int] | None = None) -> dict[YamlPath, int]:
    out = {} if out is None else out
    out[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            _line_map(v, path + (k.value,), out)
            out[path + (k.value,)] = k.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, v in enumerate(node.value):
            _line_map(v, path + (i,), out)
    return out


# A framework is a few dozen kilobytes (the shipped one 45 KB); far beyond, a file is refused
# before it is parsed, as a YAML parse holds the whole document in memory.
MAX_FRAMEWORK_BYTES = 5 * 2**20


def too_large(size: int, name: str = "fichier") -> FrameworkError | None:
    """The refusal of a framework file of `size` bytes, or None when it is within the limit."""
    if size <= MAX_FRAMEWORK_BYTES:
        return None
    return FrameworkError(
        [
            f"{name} : le référentiel pèse {f'{size / 2**20:.1f}'.replace('.', ',')} Mo, au-delà de la limite de "
            f"{MAX_FRAMEWORK_BYTES // 2**20} Mo. Un référentiel tient en quelques dizaines de Ko : "
            "vérifiez que c'est bien le bon fichier."
        ]
    )


def load_framework(path: str | os.PathLike[str] = DEFAULT_PATH) -> Framework:
    """Read and check a framework YAML file; raises FrameworkError listing every problem."""
    path = Path(path)
    try:
        refused = too_large(path.stat().st_size, path.name)
        if refused:
            raise refused
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise FrameworkError([f"{path.name} : fichier illisible ({exc.__class__.__name__})."]) from exc
    return parse_framework(text)


_FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _parse_yaml(text: str, loader: type = _FAST_LOADER) -> tuple[yaml.Node | None, Any]:
    """(node tree, data) of YAML text in one parse: libyaml's parser when installed (ten times
    the pure-Python one), the values built from the very nodes whose lines the problems cite.
    A syntax error is parsed again by the pure-Python loader, whose wording the messages use."""
    parser = loader(text)
    try:
        node = parser.get_single_node()
        if node is not None:
            _refuse_aliases(node)  # before anything walks the tree: aliases multiply it
        return node, (parser.construct_document(node) if node is not None else None)
    except yaml.YAMLError:
        if loader is yaml.SafeLoader:
            raise
        return _parse_yaml(text, yaml.SafeLoader)
    finally:
        parser.dispose()


def _refuse_aliases(root: yaml.Node) -> None:
    """FrameworkError when a node is reached twice, that is when the document uses a YAML alias
    (`*name`): nine nested aliases make a few lines stand for billions of values (« billion
    laughs »), which the checks and the pages would then walk. Each node is visited once."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            raise FrameworkError(
                [
                    f"ligne {node.start_mark.line + 1} : le référentiel réutilise une valeur par un alias YAML "
                    "(&nom puis *nom), refusé : écrivez chaque valeur en entier."
                ]
            )
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                stack += [key, value]
        elif isinstance(node, yaml.SequenceNode):
            stack += node.value


def parse_framework(text: str, *, stored: bool = False) -> Framework:
    """Parse and check framework YAML text; raises FrameworkError listing every problem.

    `stored`: a database's own framework, accepted when it was saved: the rules added since
    for new frameworks (names on one line) do not lock the pages out of an older base."""
    refused = too_large(len(text.encode("utf-8", "surrogatepass")))
    if refused:
        raise refused
    try:
        node, data = _parse_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"ligne {mark.line + 1}, colonne {mark.column + 1}" if mark else "fichier"
        raise FrameworkError([f"{where} : syntaxe YAML invalide ({getattr(exc, 'problem', exc)})."]) from exc
    if not isinstance(data, dict) or node is None:
        raise FrameworkError(
            ["fichier : le référentiel doit être un dictionnaire YAML (sections dimensions, keys, indicators...)."]
        )
    builder = _Builder(data, _Problems(_line_map(node)), one_line=not stored)
    framework = builder.build(text)
    if builder.problems.items:
        raise FrameworkError(builder.problems.items)
    return framework


# Names and codes are shown inside a line: a line break in one is refused at load.
