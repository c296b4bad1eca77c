"""Command line: `python -m ardenne_kpi --help`.

Each concern contributes its subcommands through a `register(subparsers)` function listed
in COMMAND_MODULES; a handler returns the exit code (0 ok, 1 refused, 2 usage error).
"""

from __future__ import annotations

import argparse
import importlib
import os
import re
import sys

from ardenne_kpi.errors import ArdenneError

COMMAND_MODULES = [
    "ardenne_kpi.commands",
    "ardenne_kpi.commands_template",
    "ardenne_kpi.commands_users",
    "ardenne_kpi.commands_import",
    "ardenne_kpi.commands_pack",
    "ardenne_kpi.commands_kpis",
    "ardenne_kpi.commands_backup",
    "ardenne_kpi.commands_publish",
    "ardenne_kpi.commands_review",
]


# argparse speaks English; our users read French. Usage errors keep exit code 2.
_USAGE_FR = [
    (
        re.compile(r"argument (\S+): invalid choice: '?([^']*)'? \(choose from (.+)\)"),
        r"option \1 : choix « \2 » invalide (possibles : \3)",
    ),
    (re.compile(r"the following arguments are required: (.+)"), r"arguments obligatoires manquants : \1"),
    (re.compile(r"unrecognized arguments: (.+)"), r"arguments non reconnus : \1"),
    (re.compile(r"argument (\S+): expected one argument"), r"l'option \1 attend une valeur"),
    (re.compile(r"argument (\S+): invalid (\w+) value: (.+)"), r"option \1 : valeur \3 invalide"),
    (re.compile(r"argument (\S+): not allowed with argument (\S+)"), r"les options \1 et \2 s'excluent"),
]


class FrenchArgumentParser(argparse.ArgumentParser):
    def error(self, message: str):
        for pattern, french in _USAGE_FR:
            message = pattern.sub(french, message)
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog} : erreur d'utilisation : {message}\n")


# Commands whose module alone registers them: `import FILE` need not load every other
# command's libraries (pandas among them) before the file's parse starts (issue 16).
OWN_MODULE = {
    "import": "ardenne_kpi.commands_import",
    "uploads": "ardenne_kpi.commands_import",
    "rollback": "ardenne_kpi.commands_import",
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser of every command, or only the module of `command` when OWN_MODULE names it."""
    parser = FrenchArgumentParser(
        prog="python -m ardenne_kpi",
        description="Ardenne KPI : tableau de bord de la mesure de la performance du plan de marketing territorial.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMANDE", required=True)
    for name in [OWN_MODULE[command]] if command in OWN_MODULE else COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    words = sys.argv[1:] if argv is None else argv
    parser = build_parser(words[0] if words else None)
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except ArdenneError as exc:
        print(f"{exc.title} : {exc.message}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # `… | head`: the reader has all it wanted
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - replaces stdout until exit
        return 0
    except Exception as exc:
        duckdb = sys.modules.get("duckdb")
        if duckdb is None or not isinstance(exc, duckdb.Error):
            raise
        # a damaged database file can fail at any read, long after it opened: a sentence, not a traceback
        from ardenne_kpi import db

        error = db.database_error(exc, db.db_path(getattr(args, "db", None)))
        print(f"{error.title} : {error.message}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
