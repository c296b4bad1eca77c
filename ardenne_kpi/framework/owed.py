"""What an obligation owes, place by place: the zones an operator owes by default and the
(zone, audience) keys of an obligation. Plain Python, without pandas: the import reads them
(its warnings) and must start without loading pandas (tests/test_import_speed.py); `expected`
builds the one table of what is due from them.
"""

from __future__ import annotations

from ardenne_kpi.framework.model import Framework, Indicator, Obligation


def default_zones(fw: Framework, operator: str, ind: Indicator) -> tuple[str, ...]:
    """The zones an operator owes by default, as its report template lists them: its zone (the
    whole territory when it has several or none), or, for an indicator broken down by zone,
    each of its zones broken into the zones just under it (GEIE-DA, of the whole Ardenne,
    owes the five provinces)."""
    op = fw.by_code["operators"].get(operator)
    root = tuple(z.code for z in fw.zones if not z.parent)[:1]
    zones = tuple(op.zones) if op is not None and op.zones else root
    if not ind.by_zone:  # one figure for its territory: its zone, or the whole territory for several
        return zones if len(zones) == 1 else root
    out: list[str] = []
    for z in zones:
        children = [c.code for c in fw.zones if c.parent == z]
        out.extend(children or [z])
    return tuple(dict.fromkeys(out))


def obligation_keys(fw: Framework, obligation: Obligation) -> list[tuple[str, str]]:
    """(zone, audience) of every series an obligation owes ('' = all audiences)."""
    zones = obligation.zones or default_zones(fw, obligation.operator, fw.indicator(obligation.indicator))
    audiences = obligation.audiences or ("",)
    return [(z, a) for z in zones for a in audiences]
