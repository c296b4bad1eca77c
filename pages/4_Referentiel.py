"""Référentiel: browse the plan's framework, download it, replace it with a corrected one."""

from collections.abc import Sequence

import streamlit as st

from ardenne_kpi import figures, framework_admin, ui
from ardenne_kpi.core import accounts
from ardenne_kpi.core.errors import FrameworkError
from ardenne_kpi.framework import workbook as framework_workbook

ctx = ui.page_setup("Référentiel", icon=":material/account_tree:")
fw = ctx.fw

st.title("Référentiel du plan")
st.markdown(
    f"**{len(fw.dimensions)} dimensions**, **{len(fw.keys)} clés** du mix marketing territorial regroupées en "
    f"**{len(fw.themes)} thèmes**, **{len(fw.objectives)} objectifs**, **{len(fw.projects)} projets** et "
    f"**{len(fw.indicators)} indicateurs** · version {ui.md(fw.version)}"
)

download, yaml_download = st.columns(2)
# The workbook takes about a second to write: built when asked for, not at every rerun.
download.download_button(
    "Télécharger le référentiel (.xlsx)",
    lambda: framework_workbook.to_workbook(fw),
    file_name=f"referentiel_{fw.version}.xlsx",
    icon=":material/download:",
    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
)
yaml_download.download_button(
    "Télécharger le fichier source (.yaml)",
    framework_admin.to_yaml(fw),
    file_name=f"referentiel_{fw.version}.yaml",
    mime="text/yaml",
    icon=":material/code:",
)

# Only the open tab is built (on_change="rerun": a click on another tab reruns the page).
tab_ind, tab_dims, tab_obj, tab_proj, tab_actors = st.tabs(
    ["Indicateurs", "Dimensions et clés", "Objectifs", "Projets et activités", "Opérateurs, zones, publics"],
    key="ref_tab",
    on_change="rerun",
)

with tab_ind:
    c1, c2, c3, c4 = st.columns(4)
    picked = {}
    for column, (param, label, section) in zip(
        (c1, c2, c3, c4),
        (
            ("dimension", "Dimension", "dimensions"),
            ("cle", "Clé", "keys"),
            ("projet", "Projet", "projects"),
            ("operateur", "Opérateur", "operators"),
        ),
        strict=True,
    ):
        codes = [e.code for e in getattr(fw, section)]
        picked[param] = ui.in_address(
            column.multiselect,
            label,
            codes,
            key=f"ref_{param}",
            param=param,
            many=True,
            placeholder="Tous",
            format_func=lambda c, section=section: fw.label(section, c),
            select_all=False,
        )
    dims, keys, projects, operators = picked.values()
    search = st.text_input(
        "Rechercher (code ou libellé)", placeholder="ex. nuitées, BRD01", key="recherche", bind="query-params"
    )
    table = framework_admin.indicators_table(
        fw, dimensions=dims, keys=keys, projects=projects, operators=operators, search=search
    )
    st.caption(f"{len(table)} indicateur(s)")
    ui.table(table, wide="Libellé" if "Libellé" in table.columns else None)

if tab_dims.open:
    with tab_dims:
        ui.table(framework_admin.dimensions_table(fw))
        st.subheader("Clés et thèmes")
        st.caption(
            "Le rattachement des clés aux thèmes est incertain dans le texte source : il se modifie dans le "
            "référentiel (colonne « thème » de la feuille « Clés »)."
        )
        ui.table(framework_admin.keys_table(fw))

if tab_obj.open:
    ui.table(framework_admin.objectives_table(fw), container=tab_obj)

if tab_proj.open:
    ui.table(framework_admin.projects_table(fw), container=tab_proj)

if tab_actors.open:
    with tab_actors:
        for title, frame in framework_admin.actors_tables(fw).items():
            st.subheader(title)
            ui.table(frame)

st.divider()
st.subheader("Séries rapportées hors obligation")
# Built once per data revision for every session (on one million values, tens of thousands of series).
outside = ui.shared(ctx.con, ("outside series",), lambda: figures.outside_series(ctx.con, fw))
if outside.empty:
    st.caption("Chaque série rapportée est prévue par une obligation.")
else:
    st.caption(
        "Rapportées sans qu'aucune obligation ne les prévoie : elles comptent dans les chiffres (la note dit "
        "« hors obligation ») et sont attendues entre leur premier et leur dernier rapport (jusqu'à la fin de "
        "leur projet pour un stock ou une enquête). La coordination peut en faire une obligation, ou les arrêter."
    )
    shown = ui.shared(ctx.con, ("outside table",), lambda: framework_admin.outside_table(outside))
    if len(shown) <= ui.TABLE_ROWS:
        ui.text_table(shown, hide_index=True)
    else:  # a long list scrolls; st.dataframe shows text as it is (no Markdown to neutralise)
        ui.table(shown, wide="Série")
    chosen = None  # the series the coordination acts on (only it is offered one)
    if accounts.is_admin(ctx.user):
        labels = ui.shared(ctx.con, ("outside labels",), lambda: list(shown["Série"]))
        offered: Sequence[int] = range(len(labels))
        if len(labels) > framework_admin.PICK_AMONG:  # thousands on a large base: found by words, not scrolled
            words = st.text_input(
                f"Trouver une série parmi les {ui.fmt_number(len(labels), 0)} (indicateur, opérateur, zone…)",
                key="outside_search",
                placeholder="ex. BRD01 FTLB",
            )
            offered, found = framework_admin.series_matching(labels, words, framework_admin.PICK_AMONG)
            if found > len(offered):
                st.caption(f"{ui.fmt_number(found, 0)} séries trouvées : les {len(offered)} premières sont proposées.")
        chosen = st.selectbox(
            "Série",
            offered,
            format_func=labels.__getitem__,
            key="outside_series",
            placeholder="Choisissez une série" if offered else "Écrivez d'abord quelques mots pour la trouver",
        )
    if chosen is not None:
        series = dict(
            ui.shared(ctx.con, ("outside records",), lambda: framework_admin.outside_records(outside))[chosen]
        )
        adopt, end = st.columns(2)
        action = None
        if adopt.button("L'adopter comme obligation", icon=":material/playlist_add_check:"):
            action = framework_admin.adopt_series
        if end.button(f"L'arrêter après {series['last_period']}", icon=":material/stop_circle:"):
            action = framework_admin.end_series
        if action is not None:
            with ui.user_errors():
                accounts.check_admin(ctx.user, "modifier le référentiel")
                action(ctx.con, fw, series, ctx.user.name)
                st.success("Référentiel modifié : le changement est gardé dans son historique.")
                st.rerun()

st.divider()
if not accounts.is_admin(ctx.user):
    st.caption("Seule la coordination (administrateur) peut remplacer le référentiel.")
    st.stop()
# each change rewrites the framework, so a new data revision: kept until then
history = ui.shared(ctx.con, ("framework history",), lambda: framework_admin.history_table(ctx.con))
if not history.empty:
    with st.expander(f"Historique des changements du référentiel ({len(history)})", icon=":material/history:"):
        ui.text_table(history, hide_index=True)
with st.expander("Remplacer le référentiel (coordination)", icon=":material/edit_document:"):
    st.markdown(
        "Téléchargez le classeur ci-dessus, corrigez-le, puis déposez-le ici (ou un fichier .yaml). Il est "
        "entièrement vérifié avant d'être enregistré : s'il contient une erreur, rien ne change. "
        "**Les codes sont un contrat** : corrigez les libellés, ajoutez des codes, ne renommez pas un code existant."
    )
    upload = st.file_uploader("Référentiel corrigé", type=["xlsx", "yaml", "yml"], key="framework_upload")
    if upload is not None:
        try:
            candidate = framework_admin.read_candidate(upload.getvalue(), upload.name, fw)
            framework_admin.check_replacement(ctx.con, candidate)
        except FrameworkError as exc:
            st.error(f"Référentiel refusé : {len(exc.problems)} problème(s) à corriger.")
            st.dataframe({"Problème": exc.problems}, hide_index=True, width="stretch")
        else:
            st.success(f"Référentiel valide (version {ui.md(candidate.version)}). Voici ce qui changera :")
            st.dataframe(framework_admin.changes(fw, candidate), hide_index=True, width="stretch")
            if st.button("Enregistrer ce référentiel", type="primary"):
                with ui.user_errors():
                    accounts.check_admin(ctx.user, "remplacer le référentiel")
                    framework_admin.replace(ctx.con, candidate, changed_by=ctx.user.name)
                    st.success("Référentiel enregistré : toutes les pages l'utilisent désormais.")
                    st.rerun()
