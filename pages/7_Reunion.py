"""Mode réunion: the committee walks through the agenda, one slide at a time, from the keyboard
(→ / ← or D for the start), on the same figures as the committee pack."""

import streamlit as st

from ardenne_kpi import charts, figures, ui
from ardenne_kpi.committee import meeting
from ardenne_kpi.figures import analyses

ctx = ui.page_setup("Mode réunion", icon=":material/co_present:", meeting=True)
fw, con = ctx.fw, ctx.con

data = ui.cached(meeting.collect, con, fw)  # the pack's figures, cached until the data change
slides = ui.shared(con, ("meeting agenda",), lambda: meeting.agenda(data))  # one list for every session
numbers = list(range(1, len(slides) + 1))
# The slide is kept in the address (« ?diapo=3 »), read on the session's first run. No widget shows
# it (three buttons move it), so Streamlit's binding, which binds widgets, cannot hold it.
if "meeting_slide" not in st.session_state:
    asked = st.query_params.get("diapo", "1")
    st.session_state["meeting_slide"] = int(asked) if asked.isdigit() else 1
if st.session_state["meeting_slide"] not in numbers:
    st.session_state["meeting_slide"] = 1


def go(step: int | None) -> None:
    now = st.session_state["meeting_slide"]
    st.session_state["meeting_slide"] = 1 if step is None else min(max(now + step, 1), len(slides))


n = st.session_state["meeting_slide"]
st.query_params["diapo"] = str(n)
slide = slides[n - 1]

back, forward, restart, where = st.columns([3, 3, 2.2, 4.5], vertical_alignment="center")
back.button(
    "Précédent",
    icon=":material/arrow_back:",
    shortcut="Left",
    on_click=go,
    args=(-1,),
    disabled=n == 1,
    key="meeting_back",
    width="stretch",
)
forward.button(
    "Suivant",
    icon=":material/arrow_forward:",
    shortcut="Right",
    on_click=go,
    args=(1,),
    disabled=n == len(slides),
    key="meeting_next",
    type="primary",
    width="stretch",
)
restart.button("Début", shortcut="D", on_click=go, args=(None,), disabled=n == 1, key="meeting_start", width="stretch")
where.markdown(f"**{ui.md(meeting.progress_line(slides, n))}**")

st.title(ui.md(slide.title))

if slide.kind == "tiles":
    tiles = meeting.tiles(data)
    for row in (tiles[:4], tiles[4:]):
        for column, (label, value, meaning) in zip(st.columns(4), row, strict=False):
            with column.container(border=True):  # the explanation shows: nobody hovers on a projector
                st.metric(label, value)
                st.caption(meaning)

elif slide.kind == "dimension":
    st.plotly_chart(
        charts.coverage.dimension_row(meeting.dimension_cells(data, slide.dimension), height=175),
        width="stretch",
        config={"displayModeBar": False, "staticPlot": True},
    )
    st.caption(
        "Le chiffre de chaque case : le nombre d'indicateurs qui servent cette clé ; "
        "▼ : au moins un de ces indicateurs est en retard sur sa cible."
    )

if slide.kind in ("dimension", meeting.SUITE):
    ui.text_table(meeting.dimension_part(data, slide), hide_index=True)

elif slide.kind == "indicator":
    ind = fw.indicator(slide.indicator)
    facts = meeting.indicator_facts(data, slide.indicator)
    color = figures.STATUS_COLORS[facts["status"]]
    left, right = st.columns([3, 2])
    with left:
        st.markdown(
            f"<span style='background:{color};color:white;padding:0.1em 0.5em;border-radius:0.4em;"
            f"font-weight:700'>{figures.STATUS_SYMBOLS[facts['status']]} "
            f"{figures.STATUS_LABELS[facts['status']]}</span>&nbsp; {ui.html_text(ind.code)} · "
            f"{ui.html_text(facts['sentence'])}" + ui.meeting_chart_style((slide.title, 70), (facts["sentence"], 55)),
            unsafe_allow_html=True,
        )

        def slide_chart():
            trend = ui.cached(figures.trends, con, fw, (ind.code,), figures.evaluation_grain(ind, fw)).get(ind.code)
            if trend is None:
                return None
            figure = charts.kpis.trend_figure(ind, trend, figures.expected_path(ind), status=facts["status"])
            # the slide's heading names it; the legend above the plot, clear of the period ticks
            return figure.update_layout(
                title_text="",
                margin_t=40,
                height=None,
                legend={"x": 1, "xanchor": "right", "y": 1, "yanchor": "bottom"},
            )

        figure = ui.shared(con, ("meeting chart", ind.code), slide_chart)
        if figure is not None:
            with st.container(key="meeting_chart"):  # its height follows the screen's (see ui.styles.MEETING_CSS)
                st.plotly_chart(figure, width="stretch", height="stretch", config={"displayModeBar": False})
    with right:
        m1, m2, m3 = st.columns(3)
        m1.metric("Dernière valeur", ui.md(facts["latest"]))
        m1.caption(facts["latest_period"])
        m2.metric("Cible", ui.md(facts["target"]))
        m2.caption(facts["target_period"])
        m3.metric("Progression", facts["progress"])
        m3.caption(facts["progress_words"])
        body = facts["analysis"]["body"] if facts["analysis"] else ""
        with st.container(border=True, key=f"meeting_analysis_{ui.meeting_text_size(body)}"):  # long: smaller type
            st.markdown("**Analyse du coordinateur**")
            if facts["analysis"]:
                st.markdown(ui.md_lines(facts["analysis"]["body"]))
                st.caption(ui.md(analyses.signature(facts["analysis"], fw)))
            else:
                st.markdown("_Pas encore d'analyse du coordinateur._")

elif slide.kind == "end":
    st.markdown(
        "Merci. Le dossier du comité (PDF et classeur) reprend ces chiffres : page « Suivi des rapports », "
        "onglet « Dossier du comité »."
    )
    ui.page_link("Accueil", "Quitter le mode réunion", icon=":material/logout:")

st.caption(ui.md(meeting.sources(data, slide)))
if slide.kind in ("tiles", "end"):  # said once at each end: the buttons show their keys too
    st.caption("Clavier : → suivant · ← précédent · D début · le lien de la page rouvre cette diapositive.")
