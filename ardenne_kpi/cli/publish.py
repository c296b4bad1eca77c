"""`python -m ardenne_kpi publish --out DIR`: the attractiveness portal's figures as a static site."""

from __future__ import annotations

import argparse

from ardenne_kpi.cli.database import add_db_argument, existing_database


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "publish",
        help="publier les chiffres clés publics (site statique, extraits à intégrer, données ouvertes)",
        description="Écrit dans DOSSIER « L'Ardenne en chiffres » : index.html (chiffres clés par public et par zone, "
        "avec tendance et cible), embed/CODE.html (un chiffre par page, pour une <iframe>), "
        "datapackage.json et data/*.csv (données ouvertes, licence du référentiel), et plotly.min.js. "
        "Le dossier fonctionne hors ligne. Seuls les indicateurs publics du référentiel et les périodes "
        "complètes sont publiés ; les mêmes données donnent les mêmes fichiers, octet pour octet.",
    )
    parser.add_argument(
        "--out",
        required=True,
        metavar="DOSSIER",
        help="dossier à écrire (créé s'il n'existe pas ; vide, ou une publication précédente)",
    )
    add_db_argument(parser)
    parser.set_defaults(handler=run_publish)


def run_publish(args: argparse.Namespace) -> int:
    from ardenne_kpi.portal import publish_site  # plotly, the public charts: only for this command

    with existing_database(args.db) as (con, fw):
        figures = publish_site.figures_to_publish(con, fw)
    published = publish_site.write(fw, figures, args.out)  # the database is free again: the app and imports go on
    print(publish_site.summary(published))
    return 0
