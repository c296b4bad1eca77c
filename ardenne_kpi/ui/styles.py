"""The app's look: its name, the style sheet every page carries (large type, Streamlit's
English hidden or said in French) and the meeting mode's, which fits a slide to the screen."""

from __future__ import annotations

APP_NAME = "Ardenne KPI"

CSS = """
<style>
/* Read from the back of a meeting room: larger text, strong contrast. */
html, body, [class*="css"] { font-size: 18px; }
[data-testid="stMetricValue"] { font-size: 2.4rem; font-weight: 700; }
[data-testid="stMetricLabel"] p { font-size: 1.05rem; }
/* Long chart and tile labels wrap instead of being cut. */
[data-testid="stMetricLabel"] p, [data-testid="stMetricLabel"] div { white-space: normal; overflow: visible; }
/* Streamlit's own English, where it offers no option: the file drop zone says it in French... */
[data-testid="stFileUploaderDropzoneInstructions"] > div > span,
[data-testid="stFileUploaderDropzoneInstructions"] > div > small { display: none; }
[data-testid="stFileUploaderDropzoneInstructions"] > div::before {
  content: "Glissez-déposez les fichiers ici"; display: block; font-weight: 600; }
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p { display: none; }
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"]::after { content: "Parcourir"; }
/* ...and the table toolbar (English tooltips) is hidden: each page offers its own downloads. */
[data-testid="stElementToolbar"] { display: none; }
</style>
"""

# The meeting mode: no sidebar (nor its toggle), no Streamlit header, large type that scales
# with the screen (a slide fits 1280×720 as 1920×1080, the same slide larger), tables whose
# cells wrap, and the indicator's chart as tall as the screen leaves it.
MEETING_CSS = """
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stExpandSidebarButton"],
[data-testid="stHeader"], [data-testid="stToolbar"] { display: none; }
html { font-size: max(14px, min(2.5vh, 1.4vw)); }
.block-container, [data-testid="stMainBlockContainer"] {
  padding: 0.6rem 2rem 0.4rem 2rem; max-width: 100%; }
[data-testid="stMainBlockContainer"] [data-testid="stVerticalBlock"] { gap: 0.6rem; }
[data-testid="stMarkdownContainer"] p, [data-testid="stMarkdownContainer"] li { font-size: 1.15rem; }
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] p { font-size: 0.85rem; }
[data-testid="stMetricValue"], [data-testid="stMetricValue"] * { font-size: 1.7rem !important; }
[data-testid="stMetricValue"] div { white-space: normal; overflow: visible; }
[data-testid="stMetricLabel"] p { font-size: 1rem; }
h1 { font-size: 1.9rem !important; padding: 0.1rem 0 0.3rem 0 !important; line-height: 1.2 !important; }
[data-testid="stTable"] td, [data-testid="stTable"] th {
  font-size: 1rem; white-space: normal; overflow-wrap: anywhere; padding: 0.3rem 0.6rem; }
[data-testid="stMain"]:focus { outline: none; }  /* a click that gives the keyboard to the slide draws no frame */
.st-key-meeting_chart { min-height: 12rem; }
.st-key-meeting_analysis_small [data-testid="stMarkdownContainer"] p { font-size: 0.95rem; }
.st-key-meeting_analysis_smaller [data-testid="stMarkdownContainer"] p { font-size: 0.75rem; }
</style>
"""


def meeting_chart_style(*texts_above: tuple[str, int]) -> str:
    """The style that binds the meeting slide's chart (`st.container(key="meeting_chart")`) to
    what the screen leaves: the viewport's height less the slide's other lines, counted from the
    texts above it, each (text, characters per line at the meeting's scale). To write in a
    markdown element already on the slide (its own element would add a gap)."""
    lines = sum(max(1, -(-len(text) // per_line)) for text, per_line in texts_above)
    return f"<style>div.st-key-meeting_chart {{ flex: 0 0 auto !important; height: calc(100vh - {13.5 + 2.1 * lines:.1f}rem) !important; }}</style>"


def meeting_text_size(text: str) -> str:
    """The type a meeting slide gives a text of this length, so that a long analysis still fits
    beside its chart: « normal », « small » or « smaller » (see MEETING_CSS)."""
    return "normal" if len(text) <= 320 else "small" if len(text) <= 550 else "smaller"
