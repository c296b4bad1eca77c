"""Chiffres clés: the attractiveness portal's public figures, by audience and by zone.

Open without signing in, even when accounts are on; embeddable (`?embed=true`, and
`&indicateur=CODE` for one figure alone). The same figures as `python -m ardenne_kpi publish`."""

import streamlit as st

from ardenne_kpi import ui
from ardenne_kpi.portal import public_charts, publication

one = st.query_params.get("indicateur")  # one figure alone, for an <iframe>: no menu
ctx = ui.page_setup("Chiffres clés", icon=":material/public:", public=True, menu=not one)
fw = ctx.fw
# Shared by reference, not copied: the page only reads it (its methods hand out new frames and
# dicts), and its cards' index, built on first use, then serves every run of every session.
figures = ui.shared(ctx.con, ("public figures",), lambda: publication.public_figures(ctx.con, fw))


def card(code: str, key: str) -> None:
    shown = figures.card(code)
    delta = shown["delta"]  # st.metric reads a leading "-" as a fall: the sign stays unescaped
    if delta:
        sign = "-" if delta.startswith("-") else ""
        delta = sign + ui.md(delta[len(sign) :])
    with st.container(border=True):
        st.metric(
            ui.md(shown["label"]),
            ui.md(shown["value_text"]),
            delta=delta,
            help=ui.md(shown["sentence"]),
            delta_color="inverse" if shown["direction"] == "down" else "normal",
        )
        st.caption(
            f"{ui.md(shown['period_label'])} · Cible : {ui.md(shown['target_text'])}"
            + (f" · {ui.md(shown['target_share_text'])}" if shown["target_share_text"] else "")
        )
        st.plotly_chart(
            ui.shared(
                ctx.con,
                ("public trend", code),
                lambda: public_charts.trend_chart(fw.indicator(code), figures.series_of(code)),
            ),
            key=key,
            config=public_charts.CONFIG,
            theme=None,
            width="stretch",
        )
        st.caption(ui.md(shown["sentence"]))


st.title(ui.md(figures.title))
if ctx.user.anonymous and not one:  # the app's address welcomes the public here: partners sign in from it
    ui.page_link(
        "Accueil", "Se connecter (partenaires et coordination)", icon=":material/login:", query_params=ui.SIGN_IN
    )
if figures.empty:
    st.info(
        "Aucun chiffre public pour l'instant : un indicateur est publié quand le référentiel le marque public "
        "(page Référentiel, colonne « public ») et qu'il a au moins une période complète."
    )
    st.stop()

if one in set(figures.cards["indicator"]):
    card(one, f"one-{one}")
    st.caption(f"{publication.updated_text(figures)}.")
    st.stop()

st.markdown(ui.md(publication.intro_text(fw)))
st.caption(
    f"{publication.updated_text(figures)}. Seules les périodes complètes sont publiées, avec les chiffres "
    "validés par la coordination."
)

audiences = figures.audiences
# Only the open tab is built and drawn (a dozen charts each): the tab is kept in the link (« ?onglet=… »).
tabs = st.tabs(
    [ui.md(title) for _, title, _ in audiences] + (["Par zone"] if figures.by_zone else []),
    key="onglet",
    bind="query-params",
)
for tab, (audience, _, members) in zip(tabs, audiences, strict=False):
    if not tab.open:
        continue
    with tab:
        for row in [members[i : i + 3] for i in range(0, len(members), 3)]:
            for column, code in zip(st.columns(3), row, strict=False):
                with column:
                    card(code, f"{audience}-{code}")

if figures.by_zone and tabs[-1].open:
    with tabs[-1]:
        st.caption(
            "Chaque chiffre de zone porte sur la même période que le chiffre clé de l'indicateur ; « – » : "
            "pas de chiffre complet pour cette zone."
        )
        # every zone in view at 1440 px beside the menu: short headings, the indicator's name pinned
        st.dataframe(
            figures.zone_table(fw),
            hide_index=True,
            width="stretch",
            row_height=ui.WRAP_ROW_PX,  # a long indicator name wraps
            column_config={
                "Indicateur": st.column_config.TextColumn(width=200, pinned=True),
                "Période": st.column_config.TextColumn(width=150),
            }
            | {
                z.label: st.column_config.TextColumn(publication.short_zone_label(z), width=120, help=z.label)
                for z in fw.zones
            },
        )
        for row in [figures.by_zone[i : i + 2] for i in range(0, len(figures.by_zone), 2)]:
            for column, code in zip(st.columns(2), row, strict=False):
                shown = figures.card(code)
                column.markdown(f"**{ui.md(shown['label'])}** · {ui.md(shown['period_label'])}")
                column.plotly_chart(
                    ui.shared(
                        ctx.con,
                        ("public zones", code),
                        lambda code=code: public_charts.zone_chart(
                            fw.indicator(code), figures.zones_at_card_period(code)
                        ),
                    ),
                    key=f"zones-{code}",
                    config=public_charts.CONFIG,
                    theme=None,
                    width="stretch",
                )

if figures.waiting:
    st.caption(
        "Sans période complète pour l'instant, donc pas encore publiés : "
        + ", ".join(ui.md(fw.indicator(c).public_label) for c in figures.waiting)
        + "."
    )
