"""Tendances: where each indicator stands, whether it is on track for its target, what the partners and the
coordinator say about it, and where its numbers come from."""

import streamlit as st

from ardenne_kpi import charts, figures, ui
from ardenne_kpi.core import accounts
from ardenne_kpi.core.format import csv_excel_fr
from ardenne_kpi.core.periods import label_of
from ardenne_kpi.figures import analyses
from ardenne_kpi.intake import importer

ctx = ui.page_setup("Tendances", icon=":material/trending_up:")
fw, con = ctx.fw, ctx.con
# (URL parameter, label, framework section, widget key): the filters, all kept in the link.
FILTERS = [
    ("dimension", "Dimension", "dimensions", "t_dim"),
    ("cle", "Clé du mix", "keys", "t_key"),
    ("objectif", "Objectif", "objectives", "t_obj"),
    ("projet", "Projet", "projects", "t_proj"),
    ("operateur", "Opérateur", "operators", "t_op"),
    ("public", "Public", "audiences", "t_aud"),
    ("zone", "Zone", "zones", "t_zone"),
]
# What is shown under an indicator's trend, one tab at a time.
DETAIL_TABS = ["Valeurs", "Commentaires des partenaires", "D'où vient ce chiffre ?", "Ventilation"]


def choice(label, section, key, param):
    codes = [e.code for e in getattr(fw, section)]
    return ui.in_address(
        st.selectbox,
        label,
        [None, *codes],
        key=key,
        param=param,
        format_func=lambda c: "Tous / toutes" if c is None else f"{c} · {fw.label(section, c)}",
        placeholder="Tous / toutes",
    )


st.title("Tendances des indicateurs")

with st.sidebar:
    st.subheader("Filtres")
    picked = {param: choice(label, section, key, param) for param, label, section, key in FILTERS}
    grain = ui.in_address(
        st.radio,
        "Granularité",
        list(figures.GRAIN_LABELS),
        key="t_grain",
        param="grain",
        default="programme-semester",
        format_func=figures.GRAIN_LABELS.get,
    )

codes = tuple(
    figures.select_indicators(
        fw,
        dimension=picked["dimension"],
        key=picked["cle"],
        objective=picked["objectif"],
        project=picked["projet"],
        operator=picked["operateur"],
        audience=picked["public"],
    )
)
operators = [picked["operateur"]] if picked["operateur"] else None
zones = [picked["zone"]] if picked["zone"] else None
scoped = bool(operators or zones)

if not codes:
    st.info("Aucun indicateur ne correspond à ces filtres. Élargissez la dimension, la clé, l'objectif ou le projet.")
    st.stop()

# until the data change; the trends of indicators shown as judged reuse the status's figures
status, series = ui.cached(
    figures.status_and_trends, con, fw, list(codes), grain, operators=operators, zones=zones, submitted=ctx.submitted
)
view = (codes, grain, operators, zones, ctx.submitted)  # what the figures below are drawn from: ui.shared's key
if not figures.has_values(status):
    st.info(
        "Aucune valeur n'est encore enregistrée pour ces indicateurs. Importez les rapports des partenaires "
        "depuis la page « Importer un rapport » : les tendances apparaîtront dès le premier import."
    )
    st.stop()

written = ui.shared(con, ("analyses",), lambda: analyses.current(con))  # each analysis written changes the revision
is_admin = accounts.is_admin(ctx.user)
if is_admin:
    todo = ui.shared(con, ("missing analyses", view), lambda: analyses.missing_items(status, written))
    if todo:
        with st.expander(
            f"À préparer avant le comité : {len(todo)} indicateur(s) en retard ou à surveiller "
            "sans analyse du coordinateur",
            icon=":material/edit_note:",
        ):
            st.markdown(
                "\n".join(
                    f"- {figures.STATUS_SYMBOLS[s]} **{ui.md(c)}** · {ui.md(label)} ({label_of(p, fw.calendar)})"
                    for c, label, s, p in todo
                )
            )

counts = figures.status_counts(status)
for column, (s, n) in zip(st.columns(len(counts)), counts.items(), strict=True):
    column.metric(f"{figures.STATUS_SYMBOLS[s]} {figures.STATUS_LABELS[s]}", f"{n} / {len(status)}", border=True)
st.caption(
    "Statut : la dernière valeur complète, comparée à la progression attendue à sa date (rythme linéaire de la "
    f"référence vers chaque cible datée). En bonne voie dès {ui.fmt_percent(fw.on_track)} de la progression "
    f"attendue, à surveiller dès {ui.fmt_percent(fw.at_risk)}. Statuts et cibles portent sur tout le portefeuille."
)

# ------------------------------------------------------------------ one indicator in detail
st.header("Un indicateur en détail")
code = ui.in_address(
    st.selectbox,
    "Indicateur",
    codes,
    key="t_indicator",
    param="indicateur",
    format_func=lambda c: f"{c} · {fw.indicator(c).label}",
    placeholder="Choisissez un indicateur",
)
ind = fw.indicator(code)
row = figures.status_row(status, code)
shown_grain = figures.display_grain(ind, grain)
trend = series.get(code)
decimals = figures.decimals_of(ind)

color = figures.STATUS_COLORS[row["status"]]
st.markdown(
    f"<span style='background:{color};color:white;padding:0.3em 0.8em;border-radius:0.4em;font-size:1.3rem;"
    f"font-weight:700'>{figures.STATUS_SYMBOLS[row['status']]} {figures.STATUS_LABELS[row['status']]}</span>"
    f"&nbsp; {ui.html_text(ind.unit)} · {figures.GRAIN_LABELS.get(shown_grain, shown_grain)}",
    unsafe_allow_html=True,
)
# Short labels, the period on its own line: whole at 1280 px on a projector.
tiles = [
    ("Dernière valeur", ui.fmt_number(row["latest_value"], decimals), label_of(row["latest_period"], fw.calendar)),
    ("Référence", ui.fmt_number(ind.baseline.value, decimals), ind.baseline.period.label_fr),
    ("Cible", ui.fmt_number(row["target"], decimals), label_of(row["target_period"], fw.calendar)),
    ("Attendu ce jour", ui.fmt_number(row["expected"], decimals), "rythme linéaire"),
    ("Progression", ui.fmt_percent(row["progress"]), "vers la cible"),
]
for column, (label, value, when) in zip(st.columns(5), tiles, strict=True):
    column.metric(label, value)
    column.caption(when)
if row["note"]:
    st.caption(ui.md(row["note"]))
st.caption(f"Règle de calcul : {ui.md(figures.rule_text(ind))}")
if judged_at := figures.evaluation_grain_reason(ind, fw):
    st.caption(judged_at)
if shown_grain != grain:
    st.caption(ui.md(figures.display_grain_reason(ind, grain)))

# ------------------------------------------------------------------ the coordinator's analysis
assessed = row["latest_period"] if isinstance(row["latest_period"], str) else None
analysis = analyses.find(written, code, assessed) or analyses.latest_for(written, code)
with st.container(border=True):
    st.markdown("**Analyse du coordinateur**")
    if analysis:
        st.markdown(ui.md_lines(analysis["body"]))
        st.caption(ui.md(analyses.signature(analysis, fw)))
    else:
        st.caption("Pas encore d'analyse du coordinateur pour cet indicateur.")
    if is_admin:
        periods = list(
            dict.fromkeys(
                [p for p in [assessed] if p]
                + (list(figures.reported(trend)["period"])[::-1] if trend is not None else [])
            )
        )
        if periods:
            with st.expander("Écrire ou corriger l'analyse", icon=":material/edit:"):
                about = st.selectbox(
                    "Période analysée",
                    periods,
                    key=f"analysis_period_{code}",
                    format_func=lambda p: label_of(p, fw.calendar),
                    placeholder="Choisissez une période",
                )
                before = analyses.find(written, code, about)
                body = st.text_area(
                    "Analyse (lue en comité)",
                    value=before["body"] if before else "",
                    key=f"analysis_body_{code}_{about}",
                    max_chars=analyses.MAX_CHARS,
                    height=140,
                    placeholder="Ce qui explique l'écart à la cible, ce qui est prévu…",
                )
                if st.button(
                    "Enregistrer l'analyse", type="primary", icon=":material/save:", key=f"analysis_save_{code}"
                ):
                    with ui.user_errors():
                        analyses.write(con, fw, ctx.user, code, about, body)
                        st.toast("Analyse enregistrée.", icon=":material/check_circle:")
                        st.rerun()

if trend is None:
    st.info("Aucune valeur déclarée pour cet indicateur avec ces filtres (non déclaré n'est pas zéro).")
else:
    like = figures.comparable(ind, shown_grain, fw) and not (scoped and ind.agg_space == "sum")
    reason = (
        "La cible porte sur tout le portefeuille : elle n'est pas comparée à une partie (zone, opérateur)."
        if scoped
        else f"La cible est fixée par {figures.GRAIN_LABELS[figures.evaluation_grain(ind, fw)].lower()} : "
        "choisissez cette granularité pour la comparer."
    )
    st.plotly_chart(
        ui.shared(
            con,
            ("trend", code, view),
            lambda: charts.kpis.trend_figure(
                ind, trend, figures.expected_path(ind), comparable=like, status=row["status"], reason=reason
            ),
        ),
        width="stretch",
        config={"displayModeBar": False},
    )
    interreg = st.expander(
        "Vue Interreg : déjà déclaré + cette période = total, face à la cible", key="t_interreg", on_change="rerun"
    )
    if interreg.open:  # computed only when the reader opens it
        with interreg:
            ui.table(figures.interreg_table(fw, code, figures.interreg_view(fw, code, trend), fmt=ui.fmt_number))

    # ------------------------------------------------------------------ below the trend: one part at a time
    # Only the open tab is built and drawn (kept in the link, « ?onglet=… »); a link naming a period
    # (« ?periode=S05 ») opens the lineage.
    tab_values, tab_comments, tab_lineage, tab_breakdown = st.tabs(
        DETAIL_TABS, key="onglet", bind="query-params", default=DETAIL_TABS[2 if "periode" in st.query_params else 0]
    )
    with tab_values:
        if tab_values.open:
            ui.table(
                ui.shared(con, ("values", code, view), lambda: figures.values_table(fw, code, trend, fmt=ui.fmt_number))
            )
            st.download_button(
                "Télécharger les valeurs (.csv pour Excel)",
                lambda: csv_excel_fr(figures.values_table(fw, code, trend)),  # written when clicked
                file_name=f"{code}_{shown_grain}.csv",
                mime="text/csv",
                icon=":material/download:",
            )

    with tab_comments:
        if tab_comments.open:
            comments = ui.cached(
                analyses.partner_comments, con, fw, code, operators=operators, zones=zones, submitted=ctx.submitted
            )
            if comments.empty:
                st.caption(
                    "Aucun partenaire n'a commenté ses valeurs de cet indicateur (colonne « Commentaire » du modèle)."
                )
            else:
                ui.table(
                    ui.shared(
                        con, ("comments", code, view), lambda: analyses.comments_table(fw, comments, decimals, ind.unit)
                    ),
                    wide="Commentaire du partenaire",
                )

    @st.fragment
    def lineage_part() -> None:
        """Where a value comes from: picking a period reruns this part alone (st.fragment)."""
        reported = figures.reported(trend)
        period = ui.in_address(
            st.selectbox,
            "Valeur",
            list(reported["period"]),
            key="t_lineage",
            param="periode",
            index=None,
            placeholder="Choisissez une période pour voir les valeurs enregistrées derrière elle",
            format_func=dict(zip(reported["period"], reported["label"], strict=False)).get,
        )
        if period:
            with ui.user_errors():
                note = figures.period_note(reported, period)
                if note:
                    st.caption(ui.md(note))
                behind = figures.lineage(
                    con, fw, code, period, operators=operators, zones=zones, submitted=ctx.submitted
                )
                ui.table(figures.lineage_table(fw, behind, fmt=ui.fmt_number, decimals=decimals))
                kept = figures.lineage_uploads(behind)
                if not kept:
                    st.caption(
                        "Les fichiers d'origine de ces valeurs n'ont pas été conservés (données de démonstration)."
                    )
                for upload in kept[:6]:
                    try:
                        accounts.check_download_original(ctx.user, importer.upload_operator(con, upload.upload_id))
                        original = importer.original_file(con, upload.upload_id)  # own operators' only
                    except accounts.AccessError as exc:
                        st.caption(f"{ui.md(upload.file_name)} : {ui.md(exc.message)}")
                        continue
                    if original:
                        st.download_button(
                            f"Fichier d'origine : {ui.md(original[0])}",
                            original[1],
                            file_name=original[0],
                            key=f"orig_{upload.upload_id}",
                            icon=":material/description:",
                        )
                    else:
                        st.caption(f"{ui.md(upload.file_name)} : fichier d'origine introuvable sur le serveur.")

    with tab_lineage:
        if tab_lineage.open:
            lineage_part()

    @st.fragment
    def breakdown_part() -> None:
        """The breakdown: choosing « Par » reruns this part alone (st.fragment)."""
        by = ui.in_address(
            st.radio,
            "Par",
            list(figures.BY_LABELS),
            key="t_by",
            param="par",
            default=next(iter(figures.BY_LABELS)),
            horizontal=True,
            format_func=figures.BY_LABELS.get,
        )

        def breakdown():
            parts = ui.cached(
                figures.aggregate,
                con,
                fw,
                code,
                shown_grain,
                by=by,
                operators=operators,
                zones=zones,
                submitted=ctx.submitted,
            )
            return charts.kpis.breakdown_figure(ind, parts, by, figures.group_labels(fw, by, parts))

        st.plotly_chart(
            ui.shared(con, ("breakdown", code, shown_grain, by, view), breakdown),
            width="stretch",
            config={"displayModeBar": False},
        )

    with tab_breakdown:
        if tab_breakdown.open:
            breakdown_part()


# ------------------------------------------------------------------ all filtered indicators
st.header(f"Vue d'ensemble : {len(codes)} indicateur(s)")
# About fifty small charts take seconds to draw: only when asked for (kept in the link, « ?ensemble=true »).
overview = st.expander(
    "Afficher les courbes de tous les indicateurs filtrés",
    icon=":material/grid_view:",
    key="ensemble",
    bind="query-params",
)
if overview.open:
    with overview:
        st.plotly_chart(
            ui.shared(con, ("overview", view), lambda: charts.kpis.small_multiples(status, series)),
            width="stretch",
            config={"displayModeBar": False},
        )
ui.copy_link_caption()
