"""Commands of the coordinator's review: submitted uploads, their validation, period locks.

    python -m ardenne_kpi review                      # what waits for validation, what was sent back
    python -m ardenne_kpi review validate 12 --user anne [--motif "…"]   # a reason, in a locked period
    python -m ardenne_kpi review send-back 12 --message "…" --user anne
    python -m ardenne_kpi lock S05 --user anne         # python -m ardenne_kpi unlock S05

The command line acts for the coordination (whoever can run it can open the database).
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING, Protocol, cast

from ardenne_kpi.cli.database import existing_database
from ardenne_kpi.core.format import fmt_number, terminal_text

if TYPE_CHECKING:
    from ardenne_kpi.core.accounts import User

CLI_USER = "ligne de commande"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser("review", help="imports soumis par les partenaires : les lister, valider, renvoyer")
    p.set_defaults(handler=cmd_list)
    _common(p)
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    v = actions.add_parser("validate", help="valider un import soumis : ses valeurs comptent dans les chiffres validés")
    v.add_argument("upload_id", type=int, metavar="UPLOAD_ID")
    _motif(v)
    _common(v)
    v.set_defaults(handler=cmd_validate)
    b = actions.add_parser("send-back", help="renvoyer un import soumis au partenaire, avec un message")
    b.add_argument("upload_id", type=int, metavar="UPLOAD_ID")
    b.add_argument("--message", required=True, metavar="TEXTE", help="ce que le partenaire doit corriger")
    _motif(b)
    _common(b)
    b.set_defaults(handler=cmd_send_back)
    for name, handler, text in (
        ("lock", cmd_lock, "verrouiller un semestre du programme (chiffres arrêtés)"),
        ("unlock", cmd_unlock, "déverrouiller un semestre"),
    ):
        p = subparsers.add_parser(name, help=text)
        p.add_argument("period", metavar="SEMESTRE", help="code du semestre (S05)")
        _common(p)
        p.set_defaults(handler=handler)


def _motif(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--motif",
        metavar="TEXTE",
        help="pourquoi modifier les chiffres d'une période verrouillée (gardé dans l'historique, cité par "
        "la page Suivi et le dossier du comité)",
    )


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", metavar="PATH", help="base DuckDB (défaut : $ARDENNE_DB ou data/ardenne.duckdb)")
    p.add_argument("--user", metavar="NOM", help="qui agit (enregistré)")


def _user(args: argparse.Namespace) -> User:
    from ardenne_kpi.core.accounts import User

    return User(args.user or CLI_USER, "admin")


def _inline(text: object) -> str:
    """A partner's text inside a line: never a line break of its own (cli prints the rest escaped)."""
    return terminal_text(text, inline=True)


class _InReviewRow(Protocol):
    """An upload waiting for validation or sent back (`review.in_review`), as `itertuples` gives it."""

    id: int
    file_name: str
    operator: str | None
    uploaded_at: dt.datetime
    uploaded_by: str | None
    review: str
    review_message: str | None
    n_values: int


def cmd_list(args: argparse.Namespace) -> int:
    from ardenne_kpi.intake import review  # DuckDB: only when the command runs (see cli/__init__.py)

    with existing_database(args.db) as (con, fw):
        waiting = review.in_review(con)
        active = review.locks(con)
    if waiting.empty:
        print("Aucun import n'attend de validation.")
    for row in cast(Iterable[_InReviewRow], waiting.itertuples(index=False)):
        state = review.REVIEW_LABELS.get(row.review, row.review)
        message = f" : {_inline(_text(row.review_message))}" if _text(row.review_message) else ""
        print(
            f"n° {row.id} · {_inline(row.file_name)} · {_text(row.operator) or '–'} · {row.uploaded_at:%d/%m/%Y %H:%M} · "
            f"{_inline(_text(row.uploaded_by) or '–')} · {fmt_number(int(row.n_values))} valeur(s) · {state}{message}"
        )
    if active:
        print(f"Périodes verrouillées : {review.locks_text(fw, active)}.")
    return 0


def _text(value: object) -> str:
    """A text column's value, '' for a missing one (pandas gives NaN, printed « nan »)."""
    return value.strip() if isinstance(value, str) else ""


def cmd_validate(args: argparse.Namespace) -> int:
    from ardenne_kpi.intake import review

    with existing_database(args.db, read_only=False) as (con, _fw):
        upload = review.validate(con, args.upload_id, _user(args), lock_reason=args.motif)
    print(
        f"Import n° {args.upload_id} ({_inline(upload['file_name'])}) validé : ses valeurs comptent dans les chiffres validés."
    )
    return 0


def cmd_send_back(args: argparse.Namespace) -> int:
    from ardenne_kpi.intake import review

    with existing_database(args.db, read_only=False) as (con, _fw):
        upload = review.send_back(con, args.upload_id, _user(args), args.message, lock_reason=args.motif)
    print(
        f"Import n° {args.upload_id} ({_inline(upload['file_name'])}) renvoyé : ses valeurs ne comptent plus ; "
        "le partenaire lira le message sur la page d'import."
    )
    return 0


def cmd_lock(args: argparse.Namespace) -> int:
    from ardenne_kpi.intake import review

    with existing_database(args.db, read_only=False) as (con, fw):
        locked = review.lock(con, fw, args.period, _user(args))
        print(
            f"Période {locked.label(fw)} {locked.since()} : les valeurs qui la modifieraient sont refusées aux "
            "partenaires ; un import, une validation, un renvoi ou une annulation de la coordination qui les "
            "modifierait demande --motif."
        )
    return 0


def cmd_unlock(args: argparse.Namespace) -> int:
    from ardenne_kpi.intake import review

    with existing_database(args.db, read_only=False) as (con, _fw):
        review.unlock(con, args.period, _user(args))
    print(f"{args.period} déverrouillé.")
    return 0
