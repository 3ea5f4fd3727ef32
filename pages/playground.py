"""The optimizer playground: any of the nine optimizers race across a 2-D loss surface, animated, with the gradient
and step arrows of every iteration, the update rules with their numbers, a summary and the iteration tables."""

from __future__ import annotations

import streamlit as st

import surfaces
from optim import CONVENTIONS, NAMES, SPECS, defaults_for, make, run
from surfaces import RegressionSurface
from ui import layout, state, widgets
from viz import _legacy_rules as rules
from viz.race import race_figure
from viz.run_tables import long_columns, long_csv, long_csv_rows, summary_frame
from viz.style import LOOKS, AnimatedFigure, Theme
from viz.surface3d import loss_figure, surface_figure
from viz.tables import csv_bytes, frame

SCOPE = "play"
TWO_D = tuple(surfaces.names(dim=2))
MAX_STEPS = 500
DEFAULT_SURFACE = "rosenbrock"
DEFAULT_OPTIMIZERS = ("gd", "momentum", "rmsprop", "adam")
#: steps that show each surface's story (a saddle is left quickly; Rosenbrock's valley is long)
DEFAULT_STEPS = {"rosenbrock": 500, "saddle": 60, "beale": 300, "himmelblau": 150, "rastrigin": 150,
                 "two-minima": 200, "linear-regression": 200, "bowl": 60, "elongated-bowl": 120}
VIEWS = {"contour": "Contour", "3d": "3-D"}
CONVENTION_LABELS = {"notes": "Notes", "pytorch": "PyTorch"}
#: URL names of the update-rule variants, their labels, and how their values read
VARIANTS = {
    "form": ("form", "Momentum form", {"ema": "v ← βv + (1−β)g (notes)", "classic": "v ← βv + g (PyTorch)"}),
    "evaluation": ("eval", "Gradient taken at", {"lookahead": "the look-ahead point", "pytorch": "w (PyTorch form)"}),
    "eps_in_sqrt": ("epsin", "ε", {True: "inside the root: √(s + ε)", False: "outside: √s + ε"}),
    "bias_correction": ("bc", "Bias correction", {True: "on", False: "off"}),
    "safeguard": ("safe", "Curvature safeguard", {False: "off: plain Newton", True: "on: |λ| floored at λmin"}),
}
#: stochastic gradients: every optimizer but exact gradient descent and Newton's method can have them
STOCHASTIC = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adadelta", "adam")
BATCH_STOPS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000)
HYPER_LABELS = {"lr": "learning rate η", "beta": "momentum β", "beta1": "β₁ (gradient average)",
                "beta2": "β₂ (squared-gradient average)", "rho": "decay ρ", "eps": "ε",
                "min_curvature": "smallest curvature λmin"}

SURFACE = state.choice("surface", DEFAULT_SURFACE, TWO_D, scope=SCOPE)
OPTIMIZERS = state.names("opt", DEFAULT_OPTIMIZERS, NAMES, scope=SCOPE)
CONVENTION = state.choice("conv", "notes", tuple(CONVENTIONS), scope=SCOPE)
VIEW = state.choice("view", "contour", tuple(VIEWS), scope=SCOPE)
SEED = state.integer("seed", 0, 0, 1_000_000, scope=SCOPE)
ITERATION = state.integer("t", 1, 1, MAX_STEPS, scope=SCOPE)


# -- settings that depend on the surface, the convention or the optimizer --------------------------------------------

def steps_setting(surface) -> state.Setting:
    return state.integer("steps", DEFAULT_STEPS.get(surface.name, 200), 1, MAX_STEPS, scope=SCOPE)


def start_settings(surface) -> tuple[state.Setting, state.Setting]:
    (x0, x1), (y0, y1) = surface.bounds
    vx, vy = surface.variables
    sx, sy = surface.starts[0]
    return (state.number(f"{vx}0", sx, x0, x1, scope=SCOPE), state.number(f"{vy}0", sy, y0, y1, scope=SCOPE))


def variant_setting(name: str, option: str, convention: str) -> state.Setting:
    url, _, labels = VARIANTS[option]
    default = CONVENTIONS[convention][name][option]
    if isinstance(default, bool):
        return state.flag(f"{name}.{url}", default, scope=SCOPE)
    return state.choice(f"{name}.{url}", default, tuple(labels), scope=SCOPE)


def classic_factor(name: str, options: dict, beta: float) -> float:
    """The classic momentum form v <- beta v + g traces the EMA form's path with a (1 - beta) times smaller
    learning rate: its defaults are scaled by that, so switching the convention keeps the first view."""
    return 1.0 - beta if name in ("momentum", "nesterov") and options.get("form") == "classic" else 1.0


def hyper_setting(surface, name: str, h, options: dict) -> state.Setting:
    default = defaults_for(surface, name)[h.name]
    if h.name == "lr":
        default *= classic_factor(name, options, defaults_for(surface, name).get("beta", 0.0))
        default = float(f"{default:.6g}")
    return state.number(f"{name}.{h.name}", default, h.low, h.high, scope=SCOPE)


def noise_setting(surface, name: str) -> state.Setting | None:
    """Gradient noise sigma on analytic surfaces (SGD's default from the surface, 0 for the others)."""
    if isinstance(surface, RegressionSurface) or name not in STOCHASTIC:
        return None
    default = surface.defaults.get("sgd", {}).get("noise", 1.0) if name == "sgd" else 0.0
    return state.number(f"{name}.noise", default, 0.0, 1000.0, scope=SCOPE)


def batch_setting(surface, name: str) -> state.Setting | None:
    """Mini-batch size on linear regression (SGD's default from the surface, the full batch for the others)."""
    if not isinstance(surface, RegressionSurface) or name not in STOCHASTIC:
        return None
    n = surface.n_samples
    default = surface.defaults.get("sgd", {}).get("batch_size", 1) if name == "sgd" else n
    return state.integer(f"{name}.batch", default, 1, n, scope=SCOPE)


def options_of(name: str, convention: str) -> dict:
    return {opt: state.get(variant_setting(name, opt, convention)) for opt in SPECS[name].variants}


def config_of(surface, name: str, convention: str) -> tuple:
    """Everything one run depends on, as plain hashable values: (hyper, options, noise, batch)."""
    options = options_of(name, convention)
    hyper = tuple((h.name, float(state.get(hyper_setting(surface, name, h, options))))
                  for h in SPECS[name].hyperparameters)
    ns, bs = noise_setting(surface, name), batch_setting(surface, name)
    noise = float(state.get(ns)) if ns else 0.0
    batch = int(state.get(bs)) if bs else None
    return hyper, tuple(sorted(options.items())), noise, batch


# -- callbacks --------------------------------------------------------------------------------------------------------

def reset_for_surface() -> None:
    """A new surface brings its own start, steps and per-optimizer defaults."""
    surface = surfaces.get(state.get(SURFACE))
    convention = state.get(CONVENTION)
    for s, v in zip(start_settings(surface), surface.starts[0]):
        state.set_value(s, v)
    state.set_value(steps_setting(surface), DEFAULT_STEPS.get(surface.name, 200))
    state.set_value(ITERATION, 1)
    for name in NAMES:
        options = options_of(name, convention)
        for h in SPECS[name].hyperparameters:
            s = hyper_setting(surface, name, h, options)
            state.set_value(s, s.default)
        for s in (noise_setting(surface, name), batch_setting(surface, name)):
            if s:
                state.set_value(s, s.default)


def peek(s: state.Setting):
    """A setting's value without registering it for the URL (for optimizers that are not shown)."""
    return st.session_state.get(s.state_key, s.default)


def rescale_lr(surface, name: str, old_form: str, new_form: str) -> None:
    """Keep a momentum path when its form changes: the classic learning rate is (1 - beta) times the EMA one."""
    if old_form == new_form or name not in ("momentum", "nesterov"):
        return
    beta = peek(hyper_setting(surface, name, SPECS[name].hyperparameter("beta"), {"form": new_form}))
    h = SPECS[name].hyperparameter("lr")
    lr_s = hyper_setting(surface, name, h, {"form": new_form})
    lr = peek(lr_s) * ((1.0 - beta) if new_form == "classic" else 1.0 / (1.0 - beta))
    state.set_value(lr_s, float(f"{min(max(lr, h.low), h.high):.6g}"))


def follow_variant_changes(surface, convention: str) -> None:
    """Apply what a change of convention or momentum form implies, once, in the run that sees it.

    A new convention sets every optimizer's variants to its own; a momentum form that changes (by the
    convention or by its own control) rescales that optimizer's learning rate so that its path stays the same.
    """
    seen = st.session_state.setdefault("play:seen", {})
    old_convention = seen.get("conv", convention)
    if old_convention != convention:
        for name in NAMES:
            for opt in SPECS[name].variants:
                state.set_value(variant_setting(name, opt, convention), CONVENTIONS[convention][name][opt])
    seen["conv"] = convention
    for name in ("momentum", "nesterov"):
        form = peek(variant_setting(name, "form", convention))
        old = seen.get(name, form)
        if old != form:
            rescale_lr(surface, name, old, form)
        seen[name] = form


def on_click() -> None:
    """A click on the contour (on the invisible grid, a path or a marker) moves the start point there."""
    event = st.session_state.get("race")
    points = (event or {}).get("selection", {}).get("points", []) if isinstance(event, dict) else \
        getattr(getattr(event, "selection", None), "points", []) or []
    surface = surfaces.get(state.get(SURFACE))
    clickable = st.session_state.get("play:clickable", set())
    (x0, x1), (y0, y1) = surface.bounds
    for p in points:
        x, y = p.get("x"), p.get("y")
        if p.get("curve_number") not in clickable or not isinstance(x, (int, float)) or not isinstance(y, (int, float)):
            continue
        if x0 <= x <= x1 and y0 <= y <= y1:
            sx, sy = start_settings(surface)
            state.set_value(sx, float(f"{x:.6g}"))
            state.set_value(sy, float(f"{y:.6g}"))
            return


def new_noise() -> None:
    state.set_value(SEED, (state.get(SEED) + 1) % 1_000_001)


# -- cached core calls -------------------------------------------------------------------------------------------------

@st.cache_data(max_entries=512, show_spinner=False)
def run_one(surface_name: str, name: str, hyper: tuple, options: tuple, start: tuple, steps: int, noise: float,
            batch: int | None, seed: int) -> rules.RunRecord:
    """One optimizer from one start: a single vectorized core call, recorded in full (plain arrays)."""
    surface = surfaces.get(surface_name)
    kwargs = {}
    if isinstance(surface, RegressionSurface):
        kwargs["batch_size"] = batch
    else:
        kwargs["noise"] = noise
    traj = run(surface, make(name, **dict(hyper), **dict(options)), list(start), steps, seed=seed, **kwargs)
    return rules.RunRecord.from_trajectory(traj)


def runs_for(surface_name: str, keys: tuple) -> list[rules.RunRecord]:
    return [run_one(surface_name, *key) for key in keys]


@st.cache_data(max_entries=32, show_spinner=False)
def race_spec(surface_name: str, keys: tuple, th: Theme) -> dict:
    """The animated race opens at iteration 1 whatever the formulas inspect: a figure that does not depend on
    that slider is not sent and drawn again when it moves."""
    return race_figure(surfaces.get(surface_name), runs_for(surface_name, keys), th)


@st.cache_data(max_entries=16, show_spinner=False)
def surface_figures(surface_name: str, keys: tuple, t: int, th: Theme):
    surface = surfaces.get(surface_name)
    runs = runs_for(surface_name, keys)
    return surface_figure(surface, runs, th, current=t), loss_figure(surface, runs, th, current=t)


@st.cache_data(max_entries=256, show_spinner=False)
def csv_rows(surface_name: str, key: tuple, columns: tuple) -> str:
    """One run's rows of the long CSV: a change of one optimizer formats only its own rows again."""
    return long_csv_rows(run_one(surface_name, *key), columns)


@st.cache_data(max_entries=256, show_spinner=False)
def table_csv(surface_name: str, key: tuple) -> bytes:
    return csv_bytes(run_one(surface_name, *key).table)


@st.cache_data(max_entries=32, show_spinner=False)
def tables(surface_name: str, keys: tuple):
    runs = runs_for(surface_name, keys)
    columns = long_columns(runs)
    rows = [csv_rows(surface_name, key, columns) for key in keys]
    return summary_frame(surfaces.get(surface_name), runs), long_csv(runs, rows)


# -- each optimizer's settings, in the sidebar (beside the figure, whatever the scroll) --------------------------------

def optimizer_controls(name: str, container) -> None:
    """The hyperparameters, update-rule variants and gradient noise (or mini-batch) of one optimizer."""
    spec = SPECS[name]
    options = options_of(name, conv)
    controls: list = [h for h in spec.hyperparameters
                      if not (h.name == "min_curvature" and not options.get("safeguard"))]
    controls += list(spec.variants)
    ns, bs = noise_setting(surface, name), batch_setting(surface, name)
    controls += [ns or bs] if ns or bs else []
    for c in controls:
        if isinstance(c, str):  # an update-rule variant
            _, title, labels = VARIANTS[c]
            widgets.segmented(variant_setting(name, c, conv), title, tuple(labels), format_func=labels.get,
                              container=container)
        elif c is ns:
            widgets.slider(ns, "gradient noise σ", 0.0, 1000.0 if state.get(ns) > 100 else 100.0, 0.1, fmt="%.1f",
                           container=container, help="Gaussian noise of this standard deviation is added to each "
                           "coordinate of every gradient.")
        elif c is bs:
            n = surface.n_samples
            widgets.select_slider(bs, "mini-batch size B", BATCH_STOPS, container=container,
                                  format_func=lambda v, n=n: f"{v:,}" + (" = all" if v >= n else ""),
                                  help=f"Samples per gradient, drawn at random at every step; all {n:,} give the "
                                       "exact full-batch gradient.")
        else:
            label = "damping η" if (name, c.name) == ("newton", "lr") else HYPER_LABELS.get(c.name, c.meaning)
            s = hyper_setting(surface, name, c, options)
            if c.log:  # the learning rate gets an exact entry too; ε and λmin their log stops
                widgets.log_slider_entry(s, label, c.low, c.high, container=container, help=c.meaning,
                                         entry=c.name == "lr", stacked=True)
            else:
                widgets.slider(s, label, c.low, c.high, 0.001, fmt="%.3f", container=container, help=c.meaning)
    container.caption(spec.summary)


def settings_panel() -> None:
    """One optimizer's settings at a time, chosen from the race; drawn after the figure, so a change of one
    setting sends the new figure before these widgets."""
    with st.sidebar:
        st.markdown("**Settings of each optimizer**")
        key = "w:play:settings-of"
        if st.session_state.get(key) not in selected:
            st.session_state[key] = selected[0]
        name = st.selectbox("Optimizer", selected, format_func=lambda n: SPECS[n].title, key=key,
                            label_visibility="collapsed")
        st.markdown(f"<span style='color:{LOOKS[name].color};font-weight:700'>{SPECS[name].title}</span>",
                    unsafe_allow_html=True)
        optimizer_controls(name, st)
        if stochastic:
            st.button("New random gradients", on_click=new_noise, icon=":material/casino:", width="stretch",
                      help=f"Draw other noise and mini-batches for every stochastic run (now seed {seed}).")


# -- page --------------------------------------------------------------------------------------------------------------

th = layout.theme()
layout.header("Optimizer playground", "Optimizers race across a loss surface from the same start: press ▶ Play, "
                                      "change a learning rate or click the contour to start elsewhere.")

if th.present:  # large type: fewer controls per row
    c_surface, c_opt = st.columns([1.2, 2.4], vertical_alignment="bottom")
else:
    c_surface, c_opt, c_conv, c_view = st.columns([1.4, 2.7, 1.3, 1.2], vertical_alignment="bottom")
surface = surfaces.get(widgets.selectbox(SURFACE, "Surface", TWO_D, format_func=lambda n: surfaces.get(n).title,
                                         container=c_surface, then=reset_for_surface))
selected = widgets.multiselect(OPTIMIZERS, "Optimizers", NAMES, format_func=lambda n: SPECS[n].title,
                               container=c_opt, help="Any of the nine; each has its own colour, marker and dash.")
if th.present:
    st.latex(surface.latex)
    c_x, c_y, c_steps = st.columns([1, 1, 2], vertical_alignment="bottom")
    c_conv, c_view, _ = st.columns([1.3, 1.1, 1.6], vertical_alignment="bottom")
else:
    c_formula, c_x, c_y, c_steps = st.columns([2.6, 0.9, 0.9, 2.0], vertical_alignment="bottom")
    with c_formula:
        st.latex(surface.latex)
conv = widgets.segmented(CONVENTION, "Convention", tuple(CONVENTIONS), format_func=CONVENTION_LABELS.get,
                         container=c_conv, help="Which variants the update rules use: the course notes' forms or "
                                                "torch.optim's. Each optimizer's settings can change its own.")
view = widgets.segmented(VIEW, "View", tuple(VIEWS), format_func=VIEWS.get, container=c_view)
if not selected:
    st.info("Choose at least one optimizer above.")
    st.stop()
follow_variant_changes(surface, conv)
sx_set, sy_set = start_settings(surface)
vx, vy = surface.variables
sx = widgets.number(sx_set, f"start {vx}₁", *surface.bounds[0], step=0.05, fmt="%.3f", container=c_x,
                    help="Or click anywhere on the contour.")
sy = widgets.number(sy_set, f"start {vy}₁", *surface.bounds[1], step=0.05, fmt="%.3f", container=c_y,
                    help="Or click anywhere on the contour.")
steps = widgets.slider(steps_setting(surface), "steps T", 1, MAX_STEPS, 1, fmt="%d", integer=True,
                       container=c_steps, help="Use ← → on the slider for single steps.")

configs = {name: config_of(surface, name, conv) for name in selected}
seed = state.get(SEED)
stochastic = any(c[2] > 0 or (c[3] is not None and c[3] < getattr(surface, "n_samples", 0)) for c in configs.values())
start = (float(sx), float(sy))
keys = tuple((name, *configs[name][:2], start, int(steps), *configs[name][2:], int(seed)) for name in selected)
runs = runs_for(surface.name, keys)
t = min(int(state.get(ITERATION)), steps)  # the iteration the formulas (and the 3-D view) show

# -- the race ---------------------------------------------------------------------------------------------------------
if view == "contour":
    spec = race_spec(surface.name, keys, th)
    st.session_state["play:clickable"] = {i for i, tr in enumerate(spec["data"]) if tr.get("xaxis", "x") == "x"}
    race = AnimatedFigure({"data": spec["data"], "layout": spec["layout"]}, spec["frames"])
    layout.plotly(race, key="race", on_select=on_click, selection_mode="points")
    st.caption("Click anywhere on the contour to start there. ▶ Play runs all paths together (▶ slow and ▶▶ fast "
               "at other speeds, ◀◀ Start goes back) and the slider scrubs through the iterations. At iteration t "
               "each optimizer is at its marker w_t; the red arrow points along −g_t (its direction only), the purple "
               "one is the step actually taken to w_t+1: momentum's velocity, an adaptive method's rescaled step. "
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

settings_panel()

# -- the update rules --------------------------------------------------------------------------------------------------
st.subheader("Update rules, with the numbers of one iteration")
if steps > 1:
    t = widgets.slider(ITERATION, "iteration t", 1, steps, 1, fmt="%d", integer=True,
                       help="The numbers below are this row of each iteration table. ← → for single steps.")
else:
    t = 1
    state.set_value(ITERATION, 1)
st.caption("w_t is the point (" + ", ".join(f"{v}_t" for v in surface.variables) + "), g_t = ∇f(w_t) its gradient, "
           "η the learning rate; squares, products ⊙ and divisions of vectors are per coordinate. The numbers are "
           f"row t = {t} of each iteration table below.")
for r in runs:
    with st.container(border=True):
        note = "" if t <= r.rows else (f" &nbsp; <span style='color:#D55E00'>diverged at step {r.event_step}: it "
                                       f"left the plane (beyond ±10⁶) before iteration {t}</span>")
        st.markdown(f"<span style='color:{LOOKS[r.name].color};font-weight:700;font-size:1.2em'>"
                    f"{r.title}</span> &nbsp; {rules.settings_text(r)}{note}", unsafe_allow_html=True)
        rule = rules.symbolic_rule(r)
        numbers = rules.numeric_rule(surface, r, t) if t <= r.rows else None
        if th.present:  # large type: the numbers below the rule
            st.latex(rule)
            if numbers:
                st.latex(numbers)
        else:  # one formula element per optimizer: the rule, its numbers beside it
            st.latex(rule + (r" \qquad\qquad " + numbers if numbers else ""))

# -- tables ------------------------------------------------------------------------------------------------------------
summary, long_csv = tables(surface.name, keys)
st.subheader("Summary")
st.caption("Converged: the gradient norm stayed below 10⁻⁶ from that step on. Diverged: a coordinate left ±10⁶. "
           "Distance: from the final point to the nearest listed minimum.")
layout.dataframe(summary, key="summary")
layout.csv_download(long_csv, f"playground_{surface.name}.csv", label="Download all runs (CSV, long format)",
                    key="csv-all")

st.subheader("Iteration tables")
st.caption("Row t: the point w_t before the step, f(w_t), the gradient the step used, the point after it and the "
           "optimizer's state after it. Shown to 5 decimals; the CSV has every digit.")
TABLE = state.choice("table", selected[0], selected, scope=SCOPE)
table_name = state.get(TABLE)
if table_name not in selected:  # its optimizer was just taken off the race
    table_name = selected[0]
    state.set_value(TABLE, table_name)
titles = [SPECS[n].title for n in selected]


def pick_table() -> None:
    label = st.session_state.get("w:play:tables")
    if label in titles:
        state.set_value(TABLE, selected[titles.index(label)])


st.session_state["w:play:tables"] = SPECS[table_name].title
for key, r, tab in zip(keys, runs, st.tabs(titles, key="w:play:tables", on_change=pick_table)):
    if tab.open:
        with tab:
            layout.dataframe(frame(r.table), key=f"table-{r.name}", height=420)
            layout.csv_download(table_csv(surface.name, key), f"{r.name}_{surface.name}.csv", key=f"csv-{r.name}",
                                label=f"Download {r.title} (CSV)")
