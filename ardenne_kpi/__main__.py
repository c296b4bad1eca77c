"""Command line: `python -m ardenne_kpi --help`.

Each concern contributes its subcommands through a `register(subparsers)` function listed
in COMMAND_MODULES; a handler returns the exit code (0 ok, 1 refused, 2 usage error).
"""

from __future__ import annotations

import argparse
import importlib
import sys

from ardenne_kpi.errors import ArdenneError

COMMAND_MODULES = [
    "ardenne_kpi.commands",
    "ardenne_kpi.commands_template",
    "ardenne_kpi.commands_users",
    "ardenne_kpi.commands_import",
    "ardenne_kpi.commands_pack",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m ardenne_kpi",
        description="Ardenne KPI : tableau de bord de la mesure de la performance du plan de marketing territorial.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMANDE", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except ArdenneError as exc:
        print(f"{exc.title} : {exc.message}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
