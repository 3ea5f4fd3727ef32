"""Page furniture: the sidebar, presentation mode, the page header, tables, downloads and charts."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from optim.table import Table
from viz import style
from viz.tables import csv_bytes, formats, frame

from . import client, router, state, viewport, widgets

PRESENT = state.flag("present", False, scope="app")

_PRESENTATION_CSS = """
<style>
html { font-size: clamp(16px, 1.95vh, 21px); }
.stApp, .stApp p, .stApp li, .stApp label, .stApp span { color: #000; }
[data-testid="stMainBlockContainer"] { padding-top: 3.2rem; padding-bottom: 3rem; }
.stApp h1 { font-size: 2.1rem; padding: 0 0 0.2rem 0; }
.stApp h2 { font-size: 1.7rem; }
.stApp h3 { font-size: 1.4rem; }
.stApp h5 { font-size: 1.05rem; padding: 0 0 0.3rem 0; }
[data-testid="stMarkdownContainer"] p, [data-testid="stMarkdownContainer"] li { font-size: 1.05rem; }
[data-testid="stCaptionContainer"] { font-size: 0.95rem; color: #111 !important; }
[data-testid="stSlider"] [role="slider"] { width: 1.4rem; height: 1.4rem; }
.katex { font-size: 1.15em; }
[data-testid="stSidebarNav"] span, [data-testid="stSidebarNav"] a { font-size: 0.85rem; }
[data-testid="stSidebar"][aria-expanded="true"] { min-width: 340px; }
</style>
"""


#: every mode: a multiselect shows all its chosen items, wrapping onto more lines (Streamlit scrolls them sideways
#: in one line, so that with more than a few only the first ones show), and the sidebar's long page titles wrap
#: instead of ending in an ellipsis
_CSS = """<style>
[data-testid="stMultiSelectTagsContainer"] { flex-wrap: wrap; overflow: visible; }
[data-testid="stMultiSelect"] div:has(> [data-testid="stMultiSelectTagsContainer"]) { max-height: none; }
[data-testid="stSidebarNavLink"] { height: auto; min-height: 2rem; }
[data-testid="stSidebarNavLink"] > span:last-child { min-width: 0; flex: 1 1 auto; height: auto; }
[data-testid="stSidebarNavLink"] [data-testid="stMarkdownContainer"], [data-testid="stSidebarNavLink"] p {
  white-space: normal; overflow: visible; text-overflow: clip; }
</style>"""


def linked_present() -> bool:
    """Whether the address asks for presentation mode (read before any setting is: for the page's set-up)."""
    try:
        return bool(PRESENT.parse(st.query_params.get("present", "0")))
    except ValueError:
        return False


def sidebar() -> bool:
    """The shared sidebar: the presentation switch (kept in the URL as ``present=1``)."""
    with st.sidebar:
        present = widgets.toggle(PRESENT, "Presentation mode",
                                 help="Larger text, markers and lines, stronger contrast: for a projector.")
        st.caption("Every setting is in the address bar: copy it to share exactly this view.")
        client.mount()
        viewport.report()
        st.html(_CSS)
    if present:
        st.markdown(_PRESENTATION_CSS, unsafe_allow_html=True)
    if viewport.first_wait():
        # a browser's first run: figures are sized for the screen, so wait for its size (a rerun a moment
        # later) rather than draw every figure twice
        st.caption("Fitting the page to this screen…")
        st.stop()
    return present


def theme() -> style.Theme:
    """The figures' theme: presentation mode's sizes fitted to the reported screen height."""
    size = viewport.current()
    return style.fitted(style.theme(bool(state.get(PRESENT))), size and size.height, size and size.width)


def slots(n: int, per_row: int) -> list:
    """n places for widgets: stacked (``per_row = 1``) or in rows of ``per_row`` columns (on a projector)."""
    if per_row == 1:
        return [st.container() for _ in range(n)]
    out = []
    while len(out) < n:
        out += st.columns(per_row)
    return out[:n]


def stage(present: bool, ratio: tuple[float, float] = (1.2, 3.3)) -> tuple:
    """Where a page puts its controls and its main figure: on a projector side by side, the controls in a panel on
    the left and the figure from the top of the screen beside them; otherwise stacked, the controls first."""
    if present:
        return tuple(st.columns(list(ratio), gap="medium"))
    return st.container(), st.container()


def header(title: str, purpose: str) -> None:
    """The page title and its one-line purpose. Every page starts with it."""
    router.ensure_routed()
    st.title(title)
    st.markdown(f"##### {purpose}")


def show_notices(container) -> None:
    for text in state.notices():
        container.warning(text, icon=":material/link_off:")


def dataframe(df: pd.DataFrame, *, key: str | None = None, height: int | str = "auto",
              column_width: int | None = None) -> None:
    """A table shown to 5 decimals (scientific for huge values); the data keep full precision.

    In presentation mode the table is drawn as text that grows with the page's type (the interactive grid draws
    its cells on a canvas at one size whatever the page's type), scrolling within ``height`` pixels (60 % of the
    screen for "auto"), its header staying in view. ``column_width`` fixes every column's width in pixels (the
    iteration column, headed t, two thirds of it): narrow tables side by side show all their columns."""
    fmts = formats(df)
    if state.get(PRESENT):
        _text_table(df, fmts, key, height)
        return
    config = {c: st.column_config.NumberColumn(c, format=f, width=column_width) for c, f in fmts.items()}
    if column_width:
        config |= {c: st.column_config.Column("t", width=round(column_width * 2 / 3)) if c == "iteration"
                   else st.column_config.Column(c, width=column_width) for c in df.columns if c not in fmts}
    st.dataframe(df, hide_index=True, column_config=config, key=key, height=height, width="stretch")


_TABLE_CSS = """<style>
.lab-table-box { overflow: auto; border: 1px solid #c8c8c8; border-radius: 0.4rem; }
.lab-table { border-collapse: collapse; width: 100%; font-size: 1rem; font-variant-numeric: tabular-nums; }
.lab-table th { position: sticky; top: 0; background: #eef0f4; font-weight: 600; }
.lab-table th, .lab-table td { padding: 0.2rem 0.7rem; text-align: right; border-bottom: 1px solid #e2e2e2;
                              white-space: nowrap; }
</style>"""


def _text_table(df: pd.DataFrame, fmts: dict[str, str], key: str | None, height: int | str) -> None:
    def cell(f):
        return lambda v: f % v if isinstance(v, (int, float)) and not pd.isna(v) else str(v)

    body = df.to_html(index=False, border=0, classes="lab-table", escape=True, na_rep="",
                      formatters={c: cell(f) for c, f in fmts.items()})
    limit = f"{int(height)}px" if isinstance(height, int) else "60vh"
    with st.container(key=f"text-table-{key}" if key else None):
        st.html(f"{_TABLE_CSS}<div class='lab-table-box' style='max-height: {limit}'>{body}</div>")


def table(t: Table, *, key: str | None = None, height: int | str = "auto") -> pd.DataFrame:
    df = frame(t)
    dataframe(df, key=key, height=height)
    return df


def csv_download(t: Table | pd.DataFrame | bytes, file_name: str, *, label: str = "Download CSV",
                 key: str | None = None) -> None:
    """A download button for a table's CSV (every digit): a Table, a DataFrame (without its index) or bytes."""
    if isinstance(t, pd.DataFrame):
        t = t.to_csv(index=False).encode()
    data = t if isinstance(t, bytes) else csv_bytes(t)
    st.download_button(label, data, file_name=file_name, mime="text/csv", key=key, icon=":material/download:",
                       on_click="ignore")


def plotly(fig: go.Figure, *, key: str | None = None, **kwargs):
    """A plotly chart with our theme (Streamlit's own theme would override fonts and colours)."""
    return st.plotly_chart(fig, theme=None, key=key, config={"displaylogo": False}, **kwargs)


def last_good(key: str, compute, fallback=None):
    """``compute()``, remembered as this page's last good result; if it raises ValueError (numbers that do not
    fit together), a one-line warning with the reason and the last good result instead (or ``fallback()``,
    the defaults' result, when there is none yet)."""
    store = f"last-good:{key}"
    try:
        value = compute()
    except ValueError as exc:
        st.warning(f"{widgets.quote(str(exc), 160)}. Showing the last numbers that worked.",
                   icon=":material/edit_off:")
        if store not in st.session_state and fallback is not None:
            st.session_state[store] = fallback()
        return st.session_state.get(store)
    st.session_state[store] = value
    return value
