"""The base of every closed vocabulary of the project: a code as it is stored, written in
exports and put in addresses, with what a reader sees of it (its French label, and where a
chart or a table draws it, its colour and its mark).

A term *is* its code (`enum.StrEnum`): it compares, hashes, prints and serialises as the code,
so a frame, a CSV, a JSON file or a SQL parameter holding one holds the code itself.

    class Colour(Term):
        RED = "red", "Rouge", "#D55E00", "■"

    Colour.of("red").label     # "Rouge" (Colour("red") as well)
    Colour.labels()            # {"red": "Rouge"}: what a `.map()` or a `.get()` reads
"""

from __future__ import annotations

import enum
from itertools import zip_longest
from typing import Any, ClassVar, Self


class Term(enum.StrEnum):
    """One code of a vocabulary, with its French `label`, and its `colour` and `mark` where drawn.

    A vocabulary whose terms carry other attributes names them, in order, in `__extras__`
    (`Grain`: its plural); an attribute a term does not give is "".
    """

    __extras__: ClassVar[tuple[str, ...]] = ("colour", "mark")
    label: str
    colour: str
    mark: str

    def __new__(cls, code: str, label: str, *extras: Any) -> Self:
        term = str.__new__(cls, code)
        term._value_ = code
        term.label = label
        for name, value in zip_longest(cls.__extras__, extras, fillvalue=""):
            setattr(term, name, value)
        return term

    @classmethod
    def of(cls, code: str) -> Self:
        """The term of a stored code (`Grain.of("semester")`): `Grain("semester")` as well, spelled
        so that a type checker does not read it as the constructor of a new term."""
        return cls(code)  # type: ignore[call-arg]  # an enum call with one argument looks its value up

    @classmethod
    def labels(cls) -> dict[str, str]:
        """Every code's label, in the vocabulary's order."""
        return {term.value: term.label for term in cls}

    @classmethod
    def colours(cls) -> dict[str, str]:
        return {term.value: term.colour for term in cls}

    @classmethod
    def marks(cls) -> dict[str, str]:
        return {term.value: term.mark for term in cls}

    @classmethod
    def codes(cls) -> tuple[str, ...]:
        return tuple(term.value for term in cls)
