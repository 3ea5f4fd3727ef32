"""The finish line on the playground: the tolerance and its measure (loss or distance, URL settings), and the
strip that ranks the optimizers by the step at which they first came that close to the minimum."""

from __future__ import annotations

import streamlit as st

from optim.finish import MEASURES
from viz.finish_line import finish_figure
from viz.run_tables import finish_frame
from viz.style import Theme

from . import layout, state, widgets

MEASURE_LABELS = {"loss": "loss f − f*", "distance": "distance to a minimum"}


def tol_setting(scope: str) -> state.Setting:
    return state.number("tol", 1e-3, 1e-12, 1e6, scope=scope)


def measure_setting(scope: str) -> state.Setting:
    return state.choice("finish", "loss", MEASURES, scope=scope)


def current(scope: str) -> tuple[float, str]:
    """``(tol, measure)`` as the URL or the widgets set them."""
    return float(state.get(tol_setting(scope))), state.get(measure_setting(scope))


def panel(scope: str, surface, runs, steps: int, th: Theme) -> None:
    """The tolerance's widgets and the finish-line strip (or why there is none)."""
    c_tol, c_measure, _ = st.columns([1.2, 1.8, 3], vertical_alignment="bottom")
    tol = widgets.number(tol_setting(scope), "finish tolerance", 1e-12, 1e6, fmt="%.3g", container=c_tol,
                         help="A run finishes at the first step within this of the minimum.")
    measure = widgets.segmented(measure_setting(scope), "measured in", MEASURES, format_func=MEASURE_LABELS.get,
                                container=c_measure)
    if not surface.minima:
        st.caption("This surface lists no minimum: there is no finish line to reach.")
        return
    fin = finish_frame(surface, runs, float(tol), measure)
    layout.plotly(finish_figure(fin, int(steps), float(tol), measure, th), key="finish")
    st.caption("Ranked by the first step t at which " + (r"$f(w_t) - f^* \le$ tol" if measure == "loss" else
                                                         r"$\min_m \lVert w_t - m \rVert \le$ tol")
               + " (step 0 is the start); runs that never got there follow, the closest first, and runs that "
                 "diverged before they got there come last. The summary below has the evaluations each needed.")
