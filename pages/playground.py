"""The optimizer playground: any of the optimizers race across a 2-D loss surface, animated, with the gradient
and step arrows of every iteration, the update rules with their numbers, a summary and the iteration tables."""

from __future__ import annotations

import streamlit as st

import optim
import surfaces
from optim.trajectory import DEFAULT_BOUND
from ui import conjugacy_panel, fair_race, finish_line, function_entry, layout, local_model, slides, state, widgets
from ui.optimizer_settings import OptimizerSettings, RunSettings, settings_panel
from ui.schedule_settings import schedule_panel
from viz.race import race_figure
from viz.run_tables import long_columns, long_csv, long_csv_rows, summary_frame
from viz.style import LOOKS, STATUS_COLORS, AnimatedFigure, Theme, power_text, status_criteria
from viz.surface3d import loss_figure, surface_figure
from viz.tables import csv_bytes, frame

SCOPE = "play"
TWO_D = tuple(surfaces.names(dim=2))
MAX_STEPS = 500
#: steps that show each surface's story (a saddle is left quickly; Rosenbrock's valley is long)
DEFAULT_STEPS = {"rosenbrock": 500, "saddle": 60, "beale": 300, "himmelblau": 150, "rastrigin": 150,
                 "two-minima": 200, "linear-regression": 200, "bowl": 60, "elongated-bowl": 120}
VIEWS = {"contour": "Contour", "3d": "3-D"}
CONVENTION_LABELS = {"notes": "Notes", "pytorch": "PyTorch"}

OWN = function_entry.OWN
OWN_DEFAULT = "sin(x)*cos(y) + 0.1*(x^2+y^2)"
SURFACE = state.choice("surface", "rosenbrock", (*TWO_D, OWN), scope=SCOPE)
OWN_FUNCTION = function_entry.FunctionEntry(SCOPE, OWN_DEFAULT, ("x", "y"))


def current(name: str):
    """The catalog's surface ``name``, or the typed function for ``own``."""
    return OWN_FUNCTION.surface() if name == OWN else surfaces.get(name)


def surface_title(name: str) -> str:
    return "Your own function f(x, y)" if name == OWN else surfaces.get(name).title
OPTIMIZERS = state.names("opt", optim.FEATURED, optim.NAMES, scope=SCOPE)
CONVENTION = state.choice("conv", "notes", optim.CONVENTIONS, scope=SCOPE)
VIEW = state.choice("view", "contour", tuple(VIEWS), scope=SCOPE)
SEED = state.integer("seed", 0, 0, 1_000_000, scope=SCOPE)
ITERATION = state.integer("t", 1, 1, MAX_STEPS, scope=SCOPE)


def steps_setting(surface) -> state.Setting:
    return state.integer("steps", DEFAULT_STEPS.get(surface.name, 200), 1, MAX_STEPS, scope=SCOPE)


def start_settings(surface) -> tuple[state.Setting, state.Setting]:
    return tuple(state.number(f"{v}0", start, lo, hi, scope=SCOPE)
                 for v, start, (lo, hi) in zip(surface.variables, surface.starts[0], surface.bounds))


def optimizer_settings(surface, convention: str) -> dict[str, OptimizerSettings]:
    return {name: OptimizerSettings(SCOPE, name, surface, convention) for name in optim.NAMES}


# -- callbacks ---------------------------------------------------------------------------------------------------------

def reset_for_surface() -> None:
    """A new surface brings its own start, steps and per-optimizer defaults."""
    surface = current(state.get(SURFACE))
    for s, v in zip(start_settings(surface), surface.starts[0]):
        state.set_value(s, v)
    state.set_value(steps_setting(surface), DEFAULT_STEPS.get(surface.name, 200))
    state.set_value(ITERATION, 1)
    for o in optimizer_settings(surface, state.get(CONVENTION)).values():
        o.reset()


def follow_variant_changes(settings: dict[str, OptimizerSettings], convention: str) -> None:
    """Once, in the run that sees it: a new convention sets every optimizer's variants to its own, and an optimizer
    whose variants changed converts its learning rate so that its path stays the same."""
    seen = st.session_state.setdefault("play:seen", {})
    if seen.get("conv", convention) != convention:
        for o in settings.values():
            o.apply_convention()
    seen["conv"] = convention
    for o in settings.values():
        o.follow_options(seen.setdefault("options", {}))


def on_click() -> None:
    """A click on the contour (on the invisible grid, a path or a marker) moves the start point there."""
    surface = current(state.get(SURFACE))
    point = widgets.clicked_point("race", st.session_state.get("play:clickable", set()), surface.bounds)
    for s, v in zip(start_settings(surface), point or ()):
        state.set_value(s, float(f"{v:.6g}"))


def new_noise() -> None:
    state.set_value(SEED, (state.get(SEED) + 1) % 1_000_001)


# -- cached core calls -------------------------------------------------------------------------------------------------

@st.cache_data(max_entries=512, show_spinner=False)
def run_one(surface_name: str, rs: RunSettings, start: tuple, steps: int, seed: int) -> optim.Trajectory:
    """One optimizer from one start: a single vectorized core call, recorded in full (plain data)."""
    return optim.run(surfaces.get(surface_name), rs.optimizer(), list(start), steps, seed=seed, **rs.run_kwargs())


def runs_for(surface_name: str, keys: tuple) -> list[optim.Trajectory]:
    return [run_one(surface_name, *key) for key in keys]


@st.cache_data(max_entries=32, show_spinner=False)
def race_spec(surface_name: str, keys: tuple, th: Theme) -> dict:
    """The animated race opens at iteration 1 whatever the formulas inspect: a figure that does not depend on
    that slider is not sent and drawn again when it moves."""
    return race_figure(surfaces.get(surface_name), runs_for(surface_name, keys), th)


@st.cache_data(max_entries=16, show_spinner=False)
def surface_figures(surface_name: str, keys: tuple, t: int, th: Theme):
    surface, runs = surfaces.get(surface_name), runs_for(surface_name, keys)
    return surface_figure(surface, runs, th, current=t), loss_figure(surface, runs, th, current=t)


@st.cache_data(max_entries=256, show_spinner=False)
def csv_rows(surface_name: str, key: tuple, columns: tuple) -> str:
    """One run's rows of the long CSV: a change of one optimizer formats only its own rows again."""
    return long_csv_rows(run_one(surface_name, *key), columns)


@st.cache_data(max_entries=256, show_spinner=False)
def table_csv(surface_name: str, key: tuple) -> bytes:
    return csv_bytes(run_one(surface_name, *key).table)


@st.cache_data(max_entries=32, show_spinner=False)
def tables(surface_name: str, keys: tuple, tol: float, measure: str):
    runs = runs_for(surface_name, keys)
    columns = long_columns(runs)
    rows = [csv_rows(surface_name, key, columns) for key in keys]
    return summary_frame(surfaces.get(surface_name), runs, tol=tol, measure=measure), long_csv(runs, rows)


# -- page --------------------------------------------------------------------------------------------------------------

th = layout.theme()
layout.header("Optimizer playground", "Optimizers race across a loss surface from the same start: press ▶ Play, "
                                      "change a learning rate or click the contour to start elsewhere.")
if th.present:  # one projected screen: every control in a panel beside the race, the race as high as it fits
    panel, stage = st.columns([1.2, 3.3], gap="medium")
    c_surface, c_opt, verdict, settings_slot, c_steps = (panel.container(key=k) for k in (
        "surface", "optimizers", "verdict", "settings", "steps"))
    c_x, c_y = panel.columns(2)
    c_conv, c_view, c_schedule, c_formula = (panel.container() for _ in range(4))
else:
    c_surface, c_opt, c_conv, c_view = st.columns([1.4, 2.7, 1.3, 1.2], vertical_alignment="bottom")
    verdict, stage, c_schedule = None, None, st.container()
surface_name = widgets.selectbox(SURFACE, "Surface", (*TWO_D, OWN), format_func=surface_title, container=c_surface,
                                 then=reset_for_surface)
surface = OWN_FUNCTION.entry("f(x, y) =", container=c_surface if th.present else st.container(), derivatives=True,
                             wide=not th.present) if surface_name == OWN else current(surface_name)
for s_, (lo_, hi_), v_ in zip(start_settings(surface), surface.bounds, surface.starts[0]):
    if not lo_ <= state.get(s_) <= hi_:  # a new function: its own start
        state.set_value(s_, v_)
selected = widgets.multiselect(OPTIMIZERS, "Optimizers", optim.NAMES, format_func=lambda n: optim.spec(n).title,
                               container=c_opt, help="Any of them; each has its own colour, marker and dash.")
if not th.present:
    c_formula, c_x, c_y, c_steps = st.columns([2.6, 0.9, 0.9, 2.0], vertical_alignment="bottom")
    settings_slot = st.sidebar
if not selected:
    st.info("Choose at least one optimizer above.")
    st.stop()
conv = widgets.segmented(CONVENTION, "Convention", optim.CONVENTIONS, format_func=CONVENTION_LABELS.get,
                         container=c_conv, help="Which variants the update rules use: the course notes' forms or "
                                                "torch.optim's. Each optimizer's settings can change its own.")
view = widgets.segmented(VIEW, "View", tuple(VIEWS), format_func=VIEWS.get, container=c_view)
settings = optimizer_settings(surface, conv)
follow_variant_changes(settings, conv)
steps = widgets.slider(steps_setting(surface), "steps T", 1, MAX_STEPS, 1, fmt="%d", integer=True,
                       container=c_steps, help="Use ← → on the slider for single steps.")
start = tuple(float(widgets.number(s, f"start {v}₁", *bounds, step=0.05, fmt="%.3f", container=c,
                                   help="Or click anywhere on the contour."))
              for s, v, bounds, c in zip(start_settings(surface), surface.variables, surface.bounds, (c_x, c_y)))
c_formula.latex(surface.latex)
seed = state.get(SEED)
with c_schedule:
    configs = schedule_panel(SCOPE, settings, selected, int(steps), th)
    tol, measure = finish_line.current(SCOPE)
    configs, tunings = fair_race.panel(SCOPE, surface, settings, configs, start, int(steps), int(seed), tol=tol,
                                       measure=measure)
stochastic = any(c.noise > 0 or (c.batch_size is not None and c.batch_size < surface.n_samples)
                 for c in configs.values())
keys = tuple((configs[name], start, int(steps), int(seed)) for name in selected)
runs = runs_for(surface.name, keys)
t = min(int(state.get(ITERATION)), steps)  # the iteration the formulas (and the 3-D view) show

with stage if th.present else st.container():
    if view == "contour":
        spec = race_spec(surface.name, keys, th)
        st.session_state["play:clickable"] = {i for i, tr in enumerate(spec["data"]) if tr.get("xaxis", "x") == "x"}
        race = AnimatedFigure({"data": spec["data"], "layout": spec["layout"]}, spec["frames"])
        layout.plotly(race, key="race", on_select=on_click, selection_mode="points")
        st.caption("Click anywhere on the contour to start there. ▶ Play runs all paths together (▶ slow and ▶▶ fast "
                   "at other speeds, ◀◀ Start goes back) and the slider scrubs through the iterations. At iteration "
                   "t each optimizer is at its marker $w_t$; the red arrow points along $-g_t$ (its direction only), "
                   "the purple one is the step actually taken to $w_{t+1}$: momentum's velocity, an adaptive "
                   "method's rescaled step. "
                   "Darker contours are higher" + (", levels log-spaced." if surface.log_levels else "."))
    else:
        fig3d, fig_loss = surface_figures(surface.name, keys, int(t), th)
        left, right = st.columns([3, 2])
        with left:
            layout.plotly(fig3d, key="surface3d")
        with right:
            layout.plotly(fig_loss, key="loss")
        st.caption("Drag to turn the surface. Heights are f" + (" on a log scale" if surface.log_levels else "")
                   + f"; the dots mark each optimizer at iteration t = {t}.")

if verdict is not None:  # the race's outcome, in words, beside it
    verdict.caption("  \n".join(
        f"<span style='color:{STATUS_COLORS[r.status_label()]}'>●</span> **{r.title}** {r.outcome()}"
        for r in runs), unsafe_allow_html=True)
fair_race.show(tunings, th)
finish_line.panel(SCOPE, surface, runs, int(steps), th)
slides.panel(surface, runs, keys, int(t))  # GIF, MP4, PNG and handout, made when asked

with settings_slot:  # one optimizer's settings at a time, drawn after the figure so a change sends the figure first
    settings_panel(settings, selected, key="w:play:settings-of",
                   then=lambda: st.button("New random gradients", on_click=new_noise, icon=":material/casino:",
                                          width="stretch", help="Draw other noise and mini-batches for every "
                                          f"stochastic run (now seed {seed}).") if stochastic else None)

if conjugacy_panel.applies(surface, selected):
    conjugacy_panel.show(surface, start, th)
st.subheader("Update rules, with the numbers of one iteration")
if steps > 1:
    t = widgets.slider(ITERATION, "iteration t", 1, steps, 1, fmt="%d", integer=True,
                       help="The numbers below are this row of each iteration table. ← → for single steps.")
else:
    t = 1
    state.set_value(ITERATION, 1)
st.caption("$w_t$ is the point $(" + ", ".join(f"{v}_t" for v in surface.variables) + r")$, $g_t = \nabla f(w_t)$ its "
           "gradient, η the learning rate; squares, products ⊙ and divisions of vectors are per coordinate. The numbers "
           "are "
           f"row t = {t} of each iteration table below.")
for r in runs:
    with st.container(border=True):
        why = f": it left the plane (beyond ±{power_text(DEFAULT_BOUND)})" if r.diverged else ","
        note = "" if t <= r.rows else (f" &nbsp; <span style='color:{STATUS_COLORS[r.status_label()]}'>"
                                       f"{r.outcome()}{why} before iteration {t}</span>")
        st.markdown(f"<span style='color:{LOOKS[r.optimizer].color};font-weight:700;font-size:1.2em'>"
                    f"{r.title}</span> &nbsp; {r.settings_text()}{note}", unsafe_allow_html=True)
        rule = r.spec.latex(r.options)
        numbers = r.spec.numeric(surface, r, t) if t <= r.rows else None
        if th.present:  # large type: the numbers below the rule
            st.latex(rule)
            if numbers:
                st.latex(numbers)
        else:  # one formula element per optimizer: the rule, its numbers beside it
            st.latex(rule + (r" \qquad\qquad " + numbers if numbers else ""))

local_model.panel(SCOPE, surface, runs, selected, t, th)

summary, all_csv = tables(surface.name, keys, tol, measure)
st.subheader("Summary")
st.caption(f"{status_criteria()} Distance: from the final point to the nearest listed minimum.")
layout.dataframe(summary, key="summary")
layout.csv_download(all_csv, f"playground_{function_entry.file_label(surface)}.csv",
                    label="Download all runs (CSV, long format)", key="csv-all")

st.subheader("Iteration tables")
st.caption("Row t: the point $w_t$ before the step, $f(w_t)$, the gradient the step used, the point after it and the "
           "optimizer's state after it. Shown to 5 decimals; the CSV has every digit.")
TABLE = state.choice("table", selected[0], selected, scope=SCOPE)
if state.get(TABLE) not in selected:  # its optimizer was just taken off the race
    state.set_value(TABLE, selected[0])
titles = [optim.spec(n).title for n in selected]


def pick_table() -> None:
    label = st.session_state.get("w:play:tables")
    if label in titles:
        state.set_value(TABLE, selected[titles.index(label)])


st.session_state["w:play:tables"] = optim.spec(state.get(TABLE)).title
for key, r, tab in zip(keys, runs, st.tabs(titles, key="w:play:tables", on_change=pick_table)):
    if tab.open:
        with tab:
            layout.dataframe(frame(r.table), key=f"table-{r.optimizer}", height=420)
            layout.csv_download(table_csv(surface.name, key), f"{r.optimizer}_{function_entry.file_label(surface)}.csv",
                                key=f"csv-{r.optimizer}", label=f"Download {r.title} (CSV)")
