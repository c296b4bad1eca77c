"""Accueil: the steering committee's first screen."""

import streamlit as st

from ardenne_kpi import charts, figures, ui
from ardenne_kpi.committee import home
from ardenne_kpi.core import accounts, links
from ardenne_kpi.core.periods import label_of
from ardenne_kpi.figures import analyses

ctx = ui.page_setup("Accueil", icon=":material/home:", home=True, public=ui.welcomes_visitors())
if ctx.user.anonymous:  # a visitor who has not signed in: the public key figures, and where to sign in
    st.switch_page(links.page_named("Chiffres clés").file)
overview = ui.cached(home.overview, ctx.con, ctx.fw, submitted=ctx.submitted)

st.title("Ardenne Attractivity : mesure de la performance")
st.markdown(
    f"Plan de marketing territorial transfrontalier · données jusqu'à **{overview.data_label}** · "
    f"dernier rapport reçu le **{ui.fmt_date(overview.last_upload)}**"
)

if overview.n_values == 0:
    st.warning(
        "Aucune valeur n'est encore enregistrée. Importez les rapports des partenaires depuis la page "
        "« Importer un rapport » : les tuiles se rempliront dès le premier import."
    )

# Two rows, so labels stay whole on a projector: statuses, then reporting and coverage.
for row in (overview.tiles[:4], overview.tiles[4:]):
    for column, tile in zip(st.columns(4), row, strict=False):
        column.metric(tile.label, tile.value, help=tile.help, border=True)

waiting = ui.cached_count(ctx.con)
if accounts.is_admin(ctx.user) and waiting:
    ui.page_link(
        "Importer",
        query_params={"onglet": "Validation"},
        icon=":material/verified:",
        label=f"{waiting} import(s) des partenaires attendent votre validation : ils ne comptent pas encore "
        "dans les chiffres validés",
    )

if accounts.is_admin(ctx.user) and overview.n_values:
    todo = ui.shared(  # once per data revision for every session (writing an analysis changes it)
        ctx.con,
        ("missing analyses",),
        lambda: analyses.missing_items(ui.cached(figures.indicator_status, ctx.con, ctx.fw), analyses.current(ctx.con)),
    )
    if todo:
        with st.expander(
            f"Avant le comité : {len(todo)} indicateur(s) en retard ou à surveiller sans analyse du coordinateur",
            icon=":material/edit_note:",
        ):
            st.caption(
                "Écrivez l'analyse sur la page Tendances (bloc « Analyse du coordinateur ») : le mode réunion "
                "et le dossier du comité la reprennent."
            )
            for code, label, status, period in todo:
                ui.page_link(
                    "Tendances",
                    query_params={"indicateur": code},
                    label=f"{figures.STATUS_SYMBOLS[status]} {ui.md(code)} · {ui.md(label)} "
                    f"({label_of(period, ctx.fw.calendar)})",
                )

st.subheader("Par dimension")
st.plotly_chart(
    ui.shared(ctx.con, ("home bars", ctx.submitted), lambda: charts.kpis.dimension_status_bars(overview.by_dimension)),
    width="stretch",
    theme=None,
    config={"displayModeBar": False},
)
ui.table(overview.by_dimension_table)
st.caption(
    "Statut d'un indicateur : sa dernière valeur comparée à la progression attendue à cette date "
    f"(rythme linéaire entre la référence et la cible). En bonne voie à partir de "
    f"{ui.fmt_percent(ctx.fw.on_track)} de la progression attendue, à surveiller à partir de "
    f"{ui.fmt_percent(ctx.fw.at_risk)}."
)
