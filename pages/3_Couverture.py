"""Couverture: which cells of the plan are served, reported, behind target or on track."""

import streamlit as st

from ardenne_kpi import charts, ui
from ardenne_kpi.exports import coverage as coverage_exports
from ardenne_kpi.figures import coverage

ctx = ui.page_setup("Couverture", icon=":material/grid_on:")
fw = ctx.fw


st.title("Couverture du plan")
st.markdown(
    "Chaque case croise deux axes du plan. **La couleur dit l'état** de la case, **le nombre** ce qu'elle "
    "compte. Cliquez une case pour voir ses indicateurs."
)

semesters = [s.code for s in fw.calendar.semesters]


def pair(text: str) -> tuple[str, str]:
    first, second = text.split("~")
    return first, second


with st.container(border=True):
    if not set(st.session_state.get("coverage_window", ())) <= set(semesters):
        del st.session_state["coverage_window"]  # another framework's semesters
    start, end = ui.in_address(
        st.select_slider,
        "Période (semestres du programme)",
        key="coverage_window",
        param="periode",
        default=(semesters[0], semesters[-1]),
        parse=lambda text: pair(text) if set(pair(text)) <= set(semesters) else None,
        text="~".join,
        options=semesters,
        format_func=lambda code: fw.calendar.semester(code).label_fr,
    )
    # (address parameter, coverage.Filters field, framework section, label, "all" placeholder)
    choices = (
        ("projet", "project", "projects", "Projet", "Tous"),
        ("operateur", "operator", "operators", "Opérateur", "Tous"),
        ("public", "audience", "audiences", "Public", "Tous"),
        ("zone", "zone", "zones", "Zone", "Toutes"),
    )
    picked = {}
    for column, (param, key, section, label, everything) in zip(st.columns(4), choices, strict=True):
        codes = [e.code for e in getattr(fw, section)]
        picked[key] = ui.in_address(
            column.selectbox,
            label,
            codes,
            index=None,
            placeholder=everything,
            key=f"coverage_{key}",
            param=param,
            format_func=lambda c, section=section: fw.label(section, c),
        )

kind = (
    ui.in_address(
        st.segmented_control,
        "Matrice",
        list(coverage.SPECS),
        key="coverage_kind",
        param="matrice",
        default="dimension_key",
        format_func=lambda k: coverage.SPECS[k].title,
    )
    or "dimension_key"
)
measure = (
    ui.in_address(
        st.segmented_control,
        "Chaque case compte",
        list(coverage.MEASURES),
        key="coverage_measure",
        param="mesure",
        default="n_indicators",
        format_func=coverage.MEASURES.get,
    )
    or "n_indicators"
)

with ui.user_errors():
    filters = coverage.Filters(
        window=coverage.window_of(fw, start, end),
        **picked,
        submitted=ctx.submitted,
    )
    cov = ui.cached(coverage.compute, ctx.con, fw, filters)
    matrix = cov[kind]

    if cov.last_update is None:
        st.warning(
            "Aucun rapport n'a encore été importé : les cases servies apparaissent « non renseignées ». "
            "Importez les rapports des partenaires depuis la page « Importer un rapport »."
        )

    counts = matrix.state_counts()
    for column, state in zip(st.columns(len(counts)), counts, strict=True):
        column.metric(
            f"{coverage.GAP_MARKS[state]} {coverage.GAP_SHORT[state]}".strip(),
            f"{counts[state]} / {len(matrix.cells)}",
            help=coverage.GAP_LABELS[state],
        )

    st.subheader(f"{matrix.title} : {coverage.MEASURES[measure].lower()} par case")
    event = st.plotly_chart(
        ui.shared(
            ctx.con,
            ("coverage heatmap", filters, kind, measure),
            lambda: charts.coverage.coverage_heatmap(matrix, measure),
        ),
        key=f"coverage_heatmap_{kind}",
        on_select="rerun",
        selection_mode="points",
        config={"displayModeBar": False},
    )
    st.caption(
        " · ".join(f"{name} : {ui.md(value)}" for name, value in cov.filter_labels)
        + f" · référentiel {ui.md(cov.framework_version)}"
    )

    # A click selects the cell; the list below does the same from the keyboard.
    choices = matrix.cell_choices()
    picked_key = f"coverage_cell_{kind}"
    clicked = charts.coverage.selected_cell(matrix, event.selection.points if event else [])
    if clicked and clicked in choices and clicked != st.session_state.get(f"{picked_key}_click"):
        st.session_state[f"{picked_key}_click"] = clicked
        st.session_state[picked_key] = clicked
    cell = ui.in_address(
        st.selectbox,
        "Case affichée",
        list(choices),
        index=None,
        key=picked_key,
        param="case",
        parse=pair,
        text="~".join,
        format_func=choices.get,
        placeholder="Cliquez une case de la carte, ou choisissez-la ici",
    )

    if cell is not None:
        row, col = cell
        info = matrix.cell(row, col)
        st.subheader(f"{ui.md(info['row_label'])} × {ui.md(info['col_label'])}")
        st.markdown(
            f"**{coverage.GAP_LABELS[info['state']]}** · {info['n_indicators']} indicateur(s), "
            f"{info['n_with_data']} renseigné(s) sur la période, {info['n_activities']} activité(s), "
            f"progression moyenne {ui.fmt_percent(info['mean_progress'])}"
        )
        if info["n_indicators"] == 0:
            st.info(
                "Aucun indicateur ne sert cette case : c'est un manque du plan. Rattachez-y un indicateur "
                "dans le référentiel (page « Référentiel »)."
            )
        else:
            ui.table(coverage.cell_table(matrix, row, col, fmt=ui.fmt_number, calendar=fw.calendar))

    period_name = f"{start}-{end}" if start != end else start
    d1, d2 = st.columns(2)
    d1.download_button(
        "Télécharger les matrices (.xlsx)",
        lambda: coverage_exports.coverage_workbook(cov),
        file_name=f"couverture_{period_name}.xlsx",
        icon=":material/download:",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    d2.download_button(
        "Télécharger le détail (.csv)",
        lambda: coverage_exports.detail_csv(cov, french=True),
        file_name=f"couverture_detail_{period_name}.csv",
        mime="text/csv",
        icon=":material/table:",
    )
