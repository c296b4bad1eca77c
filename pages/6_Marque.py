"""Marque: how coherent each partner's actions are with the Ardenne brand platform (E1..E7, 1 to 5)."""

import streamlit as st

from ardenne_kpi import charts, ui
from ardenne_kpi.core import accounts
from ardenne_kpi.intake import brand

ctx = ui.page_setup("Plateforme de marque", icon=":material/verified:")
fw = ctx.fw

st.title("Cohérence avec la plateforme de marque")
st.caption(
    "Chaque partenaire note, dans la feuille « Plateforme de marque » de son rapport, la cohérence de ses "
    "actions avec les 7 éléments de la plateforme de marque Ardenne, de 1 (incohérent) à 5 (exemplaire). "
    "Un élément non noté n'est pas un zéro : il est simplement absent."
)

scores = ui.cached(brand.scores, ctx.con, fw, submitted=ctx.submitted)
if scores.empty:
    st.info(
        "Aucune note reçue pour l'instant. Les partenaires ajoutent la feuille « Plateforme de marque » à leur "
        "rapport (le modèle de rapport la propose) et l'importent depuis la page « Importer un rapport »."
    )
    if ui.is_demo(ctx.con) and accounts.is_admin(ctx.user):
        if st.button("Ajouter des notes de démonstration", icon=":material/science:"):
            with ui.user_errors():
                written = brand.create_demo_scores(ctx.con, fw)
                ui.forget_cached()  # the scores join reports already imported: the data revision stays
                st.success(f"{written} notes de démonstration ajoutées.")
                st.rerun()
    with st.expander("Les 7 éléments de la plateforme de marque"):
        st.dataframe(
            {"Code": [e.code for e in fw.brand_elements], "Élément": [e.label for e in fw.brand_elements]},
            hide_index=True,
            width="stretch",
        )
    st.stop()

labels = brand.period_labels(scores)
c1, c2 = st.columns([1, 1])
period = ui.in_address(
    c1.selectbox,
    "Période",
    list(labels),
    key="brand_period",
    param="periode",
    default=list(labels)[-1],
    format_func=labels.get,
    placeholder="Choisissez une période",
)
view = c2.radio("Vue", ["Carte de chaleur", "Radar"], horizontal=True, key="vue", bind="query-params")

summary = brand.period_summary(scores, period)
in_period = summary.scores
m1, m2, m3 = st.columns(3)
m1.metric("Opérateurs ayant noté", summary.n_operators, help=f"sur {len(fw.operators)} opérateurs")
m2.metric("Note moyenne", ui.fmt_number(summary.mean, 1))
if summary.weakest:
    element, score = summary.weakest
    m3.metric(
        "Élément le plus faible",
        f"{ui.md(element)} ({ui.fmt_number(score, 1)})",
        help=ui.md(fw.label("brand_elements", element)),
    )
else:
    m3.metric("Élément le plus faible", "–")

if view == "Radar":
    ops = [o.code for o in fw.operators if o.code in set(in_period["operator"])]
    chosen = ui.in_address(
        st.multiselect,
        "Opérateurs",
        ops,
        key="brand_ops",
        param="operateurs",
        default=ops[:4],
        many=True,
        placeholder="Choisissez des opérateurs",
        format_func=lambda c: fw.label("operators", c),
        select_all=False,
    )
    st.plotly_chart(
        ui.shared(
            ctx.con,
            ("brand radar", period, tuple(chosen), ctx.submitted),
            lambda: charts.brand.radar_figure(scores, fw, period, chosen),
        ),
        width="stretch",
    )
else:
    st.plotly_chart(
        ui.shared(
            ctx.con, ("brand heatmap", period, ctx.submitted), lambda: charts.brand.heatmap_figure(scores, fw, period)
        ),
        width="stretch",
    )
    st.caption(charts.brand.elements_legend(fw))

st.subheader("Évolution")
ops = sorted(set(scores["operator"]), key=[o.code for o in fw.operators].index)
who = ui.in_address(
    st.selectbox,
    "Opérateur",
    [None, *ops],
    key="brand_who",
    param="operateur",
    format_func=lambda c: "Tous les opérateurs (moyenne)" if c is None else fw.label("operators", c),
    placeholder="Choisissez un opérateur",
)
st.plotly_chart(
    ui.shared(
        ctx.con,
        ("brand evolution", who, ctx.submitted),
        lambda: charts.brand.evolution_figure(brand.evolution(scores, fw, who), fw),
    ),
    width="stretch",
)

notes = st.expander(f"Notes et commentaires · {labels[period]}", key="brand_notes", on_change="rerun")
if notes.open:  # built only when the reader opens it
    notes.dataframe(
        brand.scores_table(in_period),
        hide_index=True,
        width="stretch",
        height=ui.table_height(len(in_period)),
        row_height=ui.ROW_PX,
    )
