"""Codes and labels of the framework matched in a report's cells: case-, accent- and
space-insensitively, with the words that mean « every zone » and « every audience ».
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ardenne_kpi.framework import Framework
from ardenne_kpi.intake.values import normalise, text_of

ALL_ZONES = "ARD"
ALL_AUDIENCES = ""

_ZONE_ALIASES = ("ardenne", "toute l ardenne", "toutes zones", "toutes les zones", "toutes", "ensemble", "total", "all")
_AUDIENCE_ALIASES = (
    "tous",
    "tous publics",
    "tous les publics",
    "tout public",
    "ensemble",
    "total",
    "all",
    "toutes cibles",
    "toutes",
)


def _key(text: str) -> str:
    return normalise(text)


def _compact(text: str) -> str:
    return normalise(text).replace(" ", "")


class Resolver:
    """Codes and labels of the framework, matched case- and accent-insensitively."""

    def __init__(self, framework: Framework) -> None:
        self.framework = framework

        def table(entries: Iterable[Any], extra: Iterable[tuple[str, str]] = ()) -> dict[str, str]:
            out: dict[str, str] = {}
            for e in entries:
                out.setdefault(_key(e.label), e.code)
            for alias, code in extra:
                out.setdefault(_key(alias), code)
            for e in entries:  # codes win over labels
                out[_compact(e.code)] = e.code
                out[_key(e.code)] = e.code
            return out

        self.indicators = table(framework.indicators)
        self.zones = table(framework.zones, ((a, ALL_ZONES) for a in _ZONE_ALIASES))
        self.audiences = table(framework.audiences, ((a, ALL_AUDIENCES) for a in _AUDIENCE_ALIASES))
        self.operators = table(framework.operators)
        self._cache: dict[tuple[str, object], str | None] = {}

    def find(self, section: str, raw: object) -> str | None:
        """The code for a cell's text in `section` (indicators, zones, audiences, operators), or None."""
        key = (section, raw)
        if key in self._cache:
            return self._cache[key]
        text = text_of(raw)
        mapping: dict[str, str] = getattr(self, section)
        code = mapping.get(_key(text))
        if code is None:
            code = mapping.get(_compact(text))
        self._cache[key] = code
        return code

    def examples(self, section: str, n: int = 3) -> str:
        entries = getattr(self.framework, section)[:n]
        return ", ".join(f"{e.code} ({e.label})" for e in entries)
