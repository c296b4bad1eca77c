"""Tendances: where each indicator stands, whether it is on track for its target, and where its numbers come from."""

import streamlit as st

from ardenne_kpi import accounts, charts_kpis, kpis, ui
from ardenne_kpi.format import csv_excel_fr
from ardenne_kpi.reports import importer

ctx = ui.page_setup("Tendances", icon=":material/trending_up:")
fw, con = ctx.fw, ctx.con
def choice(container, label, section, key):
    codes = [e.code for e in getattr(fw, section)]
    return container.selectbox(label, [None, *codes], key=key, placeholder="Tous",
                               format_func=lambda c: "Tous / toutes" if c is None else f"{c} · {fw.label(section, c)}")


st.title("Tendances des indicateurs")

with st.sidebar:
    st.subheader("Filtres")
    dimension = choice(st, "Dimension", "dimensions", "t_dim")
    key = choice(st, "Clé du mix", "keys", "t_key")
    objective = choice(st, "Objectif", "objectives", "t_obj")
    project = choice(st, "Projet", "projects", "t_proj")
    operator = choice(st, "Opérateur", "operators", "t_op")
    audience = choice(st, "Public", "audiences", "t_aud")
    zone = choice(st, "Zone", "zones", "t_zone")
    grain = st.radio("Granularité", list(kpis.GRAIN_LABELS), index=2, key="t_grain",
                     format_func=kpis.GRAIN_LABELS.get)

codes = tuple(kpis.select_indicators(fw, dimension=dimension, key=key, objective=objective, project=project,
                                     operator=operator, audience=audience))
operators = [operator] if operator else None
zones = [zone] if zone else None
scoped = bool(operators or zones)

if not codes:
    st.info("Aucun indicateur ne correspond à ces filtres. Élargissez la dimension, la clé, l'objectif ou le projet.")
    st.stop()

status = ui.cached(kpis.indicator_status, con, fw, codes=list(codes))  # cached until the data change
if status["n_values"].sum() == 0:
    st.info("Aucune valeur n'est encore enregistrée pour ces indicateurs. Importez les rapports des partenaires "
            "depuis la page « Importer un rapport » : les tendances apparaîtront dès le premier import.")
    st.stop()

counts = kpis.status_counts(status)
for column, (s, n) in zip(st.columns(len(counts)), counts.items(), strict=True):
    column.metric(f"{kpis.STATUS_SYMBOLS[s]} {kpis.STATUS_LABELS[s]}", f"{n} / {len(status)}", border=True)
st.caption(
    "Statut : la dernière valeur complète, comparée à la progression attendue à sa date (rythme linéaire de la "
    f"référence vers chaque cible datée). En bonne voie dès {ui.fmt_percent(fw.on_track)} de la progression "
    f"attendue, à surveiller dès {ui.fmt_percent(fw.at_risk)}. Statuts et cibles portent sur tout le portefeuille."
)
series = ui.cached(kpis.trends, con, fw, codes, grain, operators=operators, zones=zones)

# ------------------------------------------------------------------ one indicator in detail
st.header("Un indicateur en détail")
code = st.selectbox("Indicateur", codes, key="t_indicator", format_func=lambda c: f"{c} · {fw.indicator(c).label}")
ind = fw.indicator(code)
row = status.set_index("indicator").loc[code]
shown_grain = kpis.display_grain(ind, grain)
trend = series.get(code)
decimals = kpis.decimals_of(ind)

color = kpis.STATUS_COLORS[row["status"]]
st.markdown(
    f"<span style='background:{color};color:white;padding:0.3em 0.8em;border-radius:0.4em;font-size:1.3rem;"
    f"font-weight:700'>{kpis.STATUS_SYMBOLS[row['status']]} {kpis.STATUS_LABELS[row['status']]}</span>"
    f"&nbsp; {ind.unit} · {kpis.GRAIN_LABELS.get(shown_grain, shown_grain)}",
    unsafe_allow_html=True)
m1, m2, m3, m4, m5 = st.columns(5)
m1.metric(f"Dernière valeur ({row['latest_period'] or '–'})", ui.fmt_number(row["latest_value"], decimals))
m2.metric(f"Référence ({ind.baseline.period.code})", ui.fmt_number(ind.baseline.value, decimals))
m3.metric(f"Cible ({row['target_period']})", ui.fmt_number(row["target"], decimals))
m4.metric("Attendu à cette date", ui.fmt_number(row["expected"], decimals))
m5.metric("Progression vers la cible", ui.fmt_percent(row["progress"]))
if row["note"]:
    st.caption(row["note"])
st.caption(f"Règle de calcul : {kpis.rule_text(ind)}")
if shown_grain != grain:
    st.caption(kpis.display_grain_reason(ind, grain))

if trend is None:
    st.info("Aucune valeur déclarée pour cet indicateur avec ces filtres (non déclaré n'est pas zéro).")
else:
    like = kpis.comparable(ind, shown_grain) and not (scoped and ind.agg_space == "sum")
    reason = ("La cible porte sur tout le portefeuille : elle n'est pas comparée à une partie (zone, opérateur)."
              if scoped else f"La cible est fixée par {kpis.GRAIN_LABELS[kpis.evaluation_grain(ind)].lower()} : "
              "choisissez cette granularité pour la comparer.")
    st.plotly_chart(charts_kpis.trend_figure(ind, trend, kpis.expected_path(ind), comparable=like,
                                             status=row["status"], reason=reason),
                    width="stretch", config={"displayModeBar": False})
    with st.expander("Vue Interreg : déjà déclaré + cette période = total, face à la cible"):
        st.dataframe(kpis.interreg_table(fw, code, kpis.interreg_view(fw, code, trend), fmt=ui.fmt_number),
                     hide_index=True, width="stretch")

    # ------------------------------------------------------------------ table, download, lineage
    st.subheader("Valeurs")
    st.dataframe(kpis.values_table(fw, code, trend, fmt=ui.fmt_number), hide_index=True, width="stretch")
    st.download_button("Télécharger les valeurs (.csv pour Excel)", csv_excel_fr(kpis.values_table(fw, code, trend)),
                       file_name=f"{code}_{shown_grain}.csv", mime="text/csv", icon=":material/download:")

    st.subheader("D'où vient ce chiffre ?")
    reported = trend[trend["n_values"] > 0]
    period = st.selectbox("Valeur", reported["period"], key="t_lineage", index=None,
                          placeholder="Choisissez une période pour voir les valeurs enregistrées derrière elle",
                          format_func=dict(zip(reported["period"], reported["label"], strict=False)).get)
    if period:
        with ui.user_errors():
            note = reported.set_index("period").loc[period, "note"]
            if note:
                st.caption(note)
            behind = kpis.lineage(con, fw, code, period, operators=operators, zones=zones)
            st.dataframe(kpis.lineage_table(fw, behind, fmt=ui.fmt_number, decimals=decimals), hide_index=True,
                         width="stretch")
            kept = behind[behind["stored_path"].notna()].drop_duplicates("upload_id")
            if kept.empty:
                st.caption("Les fichiers d'origine de ces valeurs n'ont pas été conservés (données de démonstration).")
            for upload in kept.head(6).itertuples(index=False):
                try:
                    original = importer.original_file_for(con, upload.upload_id, ctx.user)  # own operators' only
                except accounts.AccessError as exc:
                    st.caption(f"{upload.file_name} : {exc.message}")
                    continue
                if original:
                    st.download_button(f"Fichier d'origine : {original[0]}", original[1], file_name=original[0],
                                       key=f"orig_{upload.upload_id}", icon=":material/description:")
                else:
                    st.caption(f"{upload.file_name} : fichier d'origine introuvable sur le serveur.")

    # ------------------------------------------------------------------ breakdown
    st.subheader("Ventilation")
    by = st.radio("Par", list(kpis.BY_LABELS), horizontal=True, key="t_by", format_func=kpis.BY_LABELS.get)
    parts = ui.cached(kpis.aggregate, con, fw, code, shown_grain, by=by, operators=operators, zones=zones)
    labels = {c: kpis.group_label(fw, by, c) for c in parts[by].unique()}
    st.plotly_chart(charts_kpis.breakdown_figure(ind, parts, by, labels), width="stretch",
                    config={"displayModeBar": False})

# ------------------------------------------------------------------ all filtered indicators
st.header(f"Vue d'ensemble : {len(codes)} indicateur(s)")
st.plotly_chart(charts_kpis.small_multiples(status, series), width="stretch", config={"displayModeBar": False})
