"""`python -m ardenne_kpi users add|list|remove|unlock`: the accounts file (outside the repository)."""

from __future__ import annotations

import argparse
import getpass
import sys

from ardenne_kpi.cli.database import add_db_argument, command_connection
from ardenne_kpi.core import accounts, settings
from ardenne_kpi.core.errors import ArdenneError


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    users = sub.add_parser("users", help="gérer les comptes (fichier hors du dépôt, voir le README)")
    actions = users.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="ajouter ou remplacer un compte (le mot de passe est demandé)")
    add.add_argument("name", metavar="NOM")
    add.add_argument("--role", choices=accounts.ROLES, required=True)
    add.add_argument(
        "--operator", action="append", default=[], metavar="CODE", help="opérateur du partenaire (répétable)"
    )
    add_db_argument(add)
    add.set_defaults(handler=run_add)
    listing = actions.add_parser("list", help="lister les comptes")
    listing.set_defaults(handler=run_list)
    remove = actions.add_parser("remove", help="supprimer un compte")
    remove.add_argument("name", metavar="NOM")
    remove.set_defaults(handler=run_remove)
    unlock = actions.add_parser(
        "unlock",
        help="lever le délai de connexion d'un compte après des essais infructueux (il se reconnecte aussitôt)",
    )
    unlock.add_argument("name", metavar="NOM")
    unlock.set_defaults(handler=run_unlock)


def _password() -> str:
    # Scripts (and our tests) may pipe the password; people type it twice.
    if not sys.stdin.isatty() or settings.get("ARDENNE_PASSWORD_STDIN"):
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Mot de passe : ")
    if getpass.getpass("Mot de passe (confirmation) : ") != first:
        raise ArdenneError("Les deux mots de passe diffèrent.")
    return first


def run_add(args: argparse.Namespace) -> int:
    from ardenne_kpi import db  # DuckDB: only when the command runs (see cli/__init__.py)
    from ardenne_kpi.framework import load_framework

    known = {o.code for o in load_framework().operators}
    user = accounts.add_user(args.name, args.role, _password(), args.operator, known_operators=known)
    print(f"Compte enregistré : {user.label} dans {accounts.accounts_path()}")
    path = db.db_path(args.db)
    if path.exists():
        # The database remembers that accounts exist: losing the file now closes the app
        # instead of opening it to everyone (the app also marks its base at its next run).
        with command_connection(path) as con:
            db.mark_accounts(con)
    return 0


def run_list(args: argparse.Namespace) -> int:
    users = accounts.list_users()  # a malformed file: AccountsError, one French sentence
    if not users:
        print(
            f"Aucun compte ({accounts.accounts_path()}) : l'application tourne en mode local, sans "
            "authentification, tant qu'aucun compte n'a été créé et qu'ARDENNE_ACCOUNTS n'est pas défini ; "
            "ensuite elle reste fermée."
        )
    for u in users:
        print(u.label)
    return 0


def run_remove(args: argparse.Namespace) -> int:
    if not accounts.remove_user(args.name):
        raise ArdenneError(f"Aucun compte « {args.name} ».")
    print(f"Compte supprimé : {args.name}")
    return 0


def run_unlock(args: argparse.Namespace) -> int:
    accounts.unlock_user(args.name)
    print(
        f"Délai de connexion levé pour « {args.name} » : les essais infructueux sur ce nom sont oubliés, "
        "l'application en tient compte dès la prochaine tentative (sans redémarrage)."
    )
    return 0
