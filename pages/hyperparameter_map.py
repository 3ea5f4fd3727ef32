"""The hyperparameter map: a whole grid of (learning rate, beta) settings run at once, its outcome as a map,
one clicked cell's run on the surface, and for GD and momentum on a quadratic the theory's rate beside the
measured one.

Computation: the grid is one vectorized call of the core (``optim.sweep``) when it is at most 200 x 200 x 500
cell-steps (about 0.3 s); a larger grid runs in blocks of rows, each one call, with a progress bar between
blocks, so a change of a setting interrupts it within a block. Every block is cached.
"""

from __future__ import annotations

import math

import streamlit as st

import surfaces
from optim import CONVENTIONS, NAMES, iteration_table, registry, sweep
from optim.analysis import REGION_LABELS, curvatures, matrix_latex
from optim.run import Status
from optim.sweep import Axis, SweepSpec
from ui import layout, state, widgets
from viz import hypermap, map_grid
from viz.cell_path import path_figure
from viz.rates import rate_figure
from viz.style import LOOKS
from viz.tables import csv_bytes, frame

SCOPE = "map"
MAX_RESOLUTION = 200
MAX_STEPS = 2000
RATE_STEPS = 300  # horizon of the measured convergence rates (paths are recorded: memory grows with it)
FINE = 121  # resolution of the theory's region boundaries (plotly interpolates the contour between cells)

SURFACE = state.choice("surface", "elongated-bowl", surfaces.names(), scope=SCOPE)
OPTIMIZER = state.choice("opt", "momentum", NAMES, scope=SCOPE)
CONVENTION = state.choice("conv", "notes", tuple(CONVENTIONS), scope=SCOPE)
RESOLUTION = state.integer("n", 100, 2, MAX_RESOLUTION, scope=SCOPE)
STEPS = state.integer("steps", 300, 1, MAX_STEPS, scope=SCOPE)
SEED = state.integer("seed", 0, 0, 2**31 - 1, scope=SCOPE)
READING = {
    "loss": "Dark: the run ended close to the minimum (f − f* down to rounding level); yellow: it made little or no "
            "progress from its start; orange-red: it diverged.",
    "steps": "Dark: it converged in few steps; yellow: it needed nearly all of them; grey: it was still moving "
             "at the end; orange-red: it diverged.",
    "status": "Green: converged; orange: still moving at the end; orange-red: diverged.",
    "rate": "ρ is the factor by which the distance to the minimum shrinks per step, measured from the run: dark "
            "is fast (ρ near 0), yellow is slow (ρ near 1), orange-red means the distance grew.",
}
CONVENTION_LABELS = {"notes": "course notes (momentum: v = βv + (1−β)g)",
                     "pytorch": "PyTorch (momentum: v = βv + g)"}


# -- settings that depend on the surface and the optimizer ------------------------------------------------------

def axis_params(optimizer: str) -> tuple[str, ...]:
    """Hyperparameters a map can sweep (Newton's min_curvature only acts with its safeguard, which is off)."""
    return tuple(h.name for h in registry.spec(optimizer).hyperparameters if h.name != "min_curvature")


def default_y(optimizer: str) -> str:
    rest = axis_params(optimizer)[1:]
    return rest[0] if rest else "none"


def x_setting(optimizer: str) -> state.Setting:
    return state.choice("x", "lr", axis_params(optimizer), scope=SCOPE)


def y_setting(optimizer: str) -> state.Setting:
    return state.choice("y", default_y(optimizer), axis_params(optimizer) + ("none",), scope=SCOPE)


def default_range(surface, optimizer: str, param: str) -> tuple[float, float]:
    h = registry.spec(optimizer).hyperparameter(param)
    if param == "lr":  # four decades around the surface's default learning rate
        d = registry.defaults_for(surface, optimizer)["lr"]
        return max(h.low, float(f"{d / 100:.3g}")), min(h.high, float(f"{d * 100:.3g}"))
    if h.name in ("beta", "beta1", "rho"):
        return 0.0, 0.99
    return h.low, h.high


def range_settings(surface, optimizer: str, param: str, which: str) -> tuple[state.Setting, state.Setting]:
    h = registry.spec(optimizer).hyperparameter(param)
    lo, hi = default_range(surface, optimizer, param)
    return (state.number(f"{which}lo", lo, h.low, h.high, scope=SCOPE),
            state.number(f"{which}hi", hi, h.low, h.high, scope=SCOPE))


def fixed_setting(surface, optimizer: str, param: str) -> state.Setting:
    h = registry.spec(optimizer).hyperparameter(param)
    d = registry.defaults_for(surface, optimizer)[param]
    return state.number(param, d, min(h.low, d), max(h.high, d), scope=SCOPE)


def start_settings(surface) -> list[state.Setting]:
    names = ("x0", "y0") if surface.dim == 2 else ("x0",)
    return [state.number(n, surface.starts[0][k], *surface.bounds[k], scope=SCOPE) for k, n in enumerate(names)]


def noise_setting(surface) -> state.Setting:
    return state.number("noise", surface.defaults.get("sgd", {}).get("noise", 0.0), 0.0, 1000.0, scope=SCOPE)


def batch_setting(surface) -> state.Setting:
    return state.integer("batch", surface.defaults.get("sgd", {}).get("batch_size", 1), 1, surface.n_samples,
                         scope=SCOPE)


def cell_setting(surface, optimizer: str, params: tuple[str, ...]) -> state.Setting:
    """The clicked cell, by its hyperparameter values (``?cell=0.01,0.9``): it survives a change of resolution
    and snaps to the nearest cell. By default, the cell of the surface's default hyperparameters."""
    d = registry.defaults_for(surface, optimizer)
    count = len(params)

    def parse(text: str) -> tuple[float, ...]:
        parts = text.split(",")
        if len(parts) != count:
            raise ValueError(f"not {'one number' if count == 1 else 'two numbers separated by a comma'}")
        try:
            values = tuple(float(p) for p in parts)
        except ValueError:
            raise ValueError("not a number" if count == 1 else "not two numbers") from None
        if not all(map(math.isfinite, values)):
            raise ValueError("not finite")
        return values

    return state.Setting("cell", tuple(float(d[p]) for p in params), parse,
                         lambda v: ",".join(repr(float(x)) for x in v), SCOPE)


def current():
    s = surfaces.get(state.get(SURFACE))
    opt = state.get(OPTIMIZER)
    return s, opt


def reset_axis(which: str) -> None:
    s, opt = current()
    param = state.get(x_setting(opt) if which == "x" else y_setting(opt))
    if param != "none":
        for setting, value in zip(range_settings(s, opt, param, which), default_range(s, opt, param)):
            state.set_value(setting, value)
    reset_cell()


def reset_cell() -> None:
    s, opt = current()
    params = chosen_params(opt)
    d = registry.defaults_for(s, opt)
    state.set_value(cell_setting(s, opt, params), tuple(float(d[p]) for p in params))


def reset_all() -> None:
    """A new surface or optimizer: its axes, ranges, fixed values, start point and cell from their defaults."""
    s, opt = current()
    state.set_value(x_setting(opt), "lr")
    state.set_value(y_setting(opt), default_y(opt))
    for p in axis_params(opt):
        state.set_value(fixed_setting(s, opt, p), registry.defaults_for(s, opt)[p])
    for setting in start_settings(s):
        state.set_value(setting, setting.default)
    if s.name == "linear-regression":
        state.set_value(batch_setting(s), batch_setting(s).default)
    else:
        state.set_value(noise_setting(s), noise_setting(s).default)
    reset_axis("x")
    reset_axis("y")


def swap_if_same(changed: str) -> None:
    """Both axes on one hyperparameter make no map: the other axis takes the one this axis left."""
    _, opt = current()
    xs, ys = x_setting(opt), y_setting(opt)
    x, y = state.get(xs), state.get(ys)
    if x == y:
        others = [p for p in axis_params(opt) if p != x]
        if changed == "x":
            state.set_value(ys, others[0] if others else "none")
        else:
            state.set_value(xs, others[0])
    reset_axis("x")
    reset_axis("y")


def chosen_params(opt: str) -> tuple[str, ...]:
    x, y = state.get(x_setting(opt)), state.get(y_setting(opt))
    return (x,) if y in ("none", x) else (x, y)


# -- cached core calls ---------------------------------------------------------------------------------------------

@st.cache_data(max_entries=256, show_spinner=False)
def grid_block(spec: SweepSpec, rows: tuple[int, int]) -> sweep.SweepResult:
    return sweep.sweep(spec, rows)


@st.cache_data(max_entries=256, show_spinner=False)
def rate_block(spec: SweepSpec, steps: int, rows: tuple[int, int]) -> sweep.MeasuredRates:
    return sweep.measured_rates(spec, steps, rows)


@st.cache_data(max_entries=32, show_spinner=False)
def theory_maps(spec: SweepSpec):
    """The theory on the grid's cells, and on a grid fine enough for smooth region boundaries."""
    return sweep.theory_map(spec), sweep.theory_map(spec, FINE)


@st.cache_data(max_entries=128, show_spinner=False)
def cell_run(spec: SweepSpec, index: tuple[int, int]):
    """One cell run alone with every step recorded: its table (DataFrame and CSV) and path."""
    traj = sweep.run_cell(spec, index)
    table = iteration_table(traj)
    return frame(table), csv_bytes(table), traj.positions.copy(), int(traj.status), int(traj.event_step)


def in_blocks(blocks, compute, merge, label: str):
    """Compute ``blocks`` one after another with a progress bar between them (none for a single block)."""
    if len(blocks) == 1:
        return compute(blocks[0])
    slot = st.empty()
    parts = []
    total = blocks[-1][1]
    for k, rows in enumerate(blocks):
        slot.progress(k / len(blocks), text=f"{label}: rows {rows[0] + 1} to {rows[1]} of {total}")
        parts.append(compute(rows))
    slot.empty()
    return merge(parts)


def on_click() -> None:
    """A click on the map selects the cell under it (stored by its hyperparameter values)."""
    event = st.session_state.get("map-chart")
    points = (event or {}).get("selection", {}).get("points", [])
    if not points:
        return
    s, opt = current()
    params = chosen_params(opt)
    values = (points[0]["x"],) + ((points[0]["y"],) if len(params) > 1 else ())
    state.set_value(cell_setting(s, opt, params), tuple(float(v) for v in values))


# -- page ----------------------------------------------------------------------------------------------------------

th = layout.theme()
layout.header("Hyperparameter map",
              "Run a whole grid of settings at once: where does each (learning rate, β) converge, crawl or diverge?")

c1, c2, c3 = st.columns([3, 2, 3])
surface = surfaces.get(widgets.selectbox(SURFACE, "Surface", surfaces.names(),
                                         format_func=lambda n: surfaces.get(n).title, container=c1, then=reset_all))
opt = widgets.selectbox(OPTIMIZER, "Optimizer", NAMES, format_func=lambda n: registry.spec(n).title, container=c2,
                        then=reset_all)
opt_spec = registry.spec(opt)
if opt_spec.variants:
    convention = widgets.selectbox(CONVENTION, "Update-rule forms", tuple(CONVENTIONS), container=c3,
                                   format_func=lambda c: CONVENTION_LABELS[c] if opt in ("momentum", "nesterov")
                                   else {"notes": "course notes", "pytorch": "PyTorch"}[c])
else:
    convention = state.get(CONVENTION)
st.latex(surface.latex + r"\qquad\qquad " + registry.latex(opt, registry.variant_options(opt, convention)))

params = axis_params(opt)
symbol = lambda p: map_grid.SYMBOLS.get(p, p)  # noqa: E731
xs, ys = x_setting(opt), y_setting(opt)
axes = []
for which, setting, col in zip(("x", "y"), (xs, ys), st.columns(2)):
    p1, p2, p3 = col.columns([2, 1, 1], vertical_alignment="bottom")
    options = params if which == "x" else params + ("none",)
    param = widgets.selectbox(setting, f"{'Horizontal' if which == 'x' else 'Vertical'} axis", options,
                              format_func=lambda p: "none (one row)" if p == "none" else map_grid.param_label(opt, p),
                              container=p1, then=lambda w=which: swap_if_same(w))
    if param == "none" or (which == "y" and param == axes[0][0]):
        continue
    h = opt_spec.hyperparameter(param)
    lo_s, hi_s = range_settings(surface, opt, param, which)
    fmt = "%.1e" if h.log else "%.3f"
    lo = widgets.number(lo_s, f"{symbol(param)} from", h.low, h.high, fmt=fmt, container=p2, then=reset_cell)
    hi = widgets.number(hi_s, f"{symbol(param)} to", h.low, h.high, fmt=fmt, container=p3, then=reset_cell)
    if not lo < hi:
        col.warning(f"The range of {symbol(param)} must go from low to high; using "
                    f"{lo_s.default:g} to {hi_s.default:g}.")
        lo, hi = lo_s.default, hi_s.default
    axes.append((param, lo, hi, h.log))

fixed_names = [p for p in params if p not in [a[0] for a in axes]]
stochastic = registry.make(opt).stochastic
starts = start_settings(surface)
b1, b2, b3, b4 = st.columns([1, 1, 2, 2], vertical_alignment="bottom")
n = widgets.number(RESOLUTION, "cells per axis", 2, MAX_RESOLUTION, step=10, fmt="%d", integer=True, container=b1,
                   help=f"Up to {MAX_RESOLUTION} x {MAX_RESOLUTION} = {MAX_RESOLUTION ** 2:,} runs, all at once.")
steps = widgets.number(STEPS, "steps of every run", 1, MAX_STEPS, step=50, fmt="%d", integer=True, container=b2)
start = tuple(widgets.number(s_, f"start {v}", *surface.bounds[k], step=0.1, fmt="%.3f", container=c,
                             then=reset_cell)
              for k, (s_, v, c) in enumerate(zip(starts, surface.variables, b3.columns(len(starts)))))
fixed, noise, batch, seed = {}, None, None, 0
if fixed_names or stochastic:
    summary = ", ".join(f"{symbol(p)} = {state.get(fixed_setting(surface, opt, p)):.4g}" for p in fixed_names)
    with b4.popover("The same in every cell: " + (summary or "gradient noise"), width="stretch"):
        for p in fixed_names:
            h = opt_spec.hyperparameter(p)
            setting = fixed_setting(surface, opt, p)
            fixed[p] = widgets.number(setting, map_grid.param_label(opt, p), min(h.low, setting.default),
                                      max(h.high, setting.default), fmt="%.2e" if h.log else "%.4f")
        if stochastic:
            if isinstance(surface, surfaces.RegressionSurface):
                batch = widgets.number(batch_setting(surface), "mini-batch size", 1, surface.n_samples, fmt="%d",
                                       integer=True)
            else:
                noise = widgets.number(noise_setting(surface), "gradient noise σ", 0.0, 1000.0, fmt="%.3f")
            seed = widgets.number(SEED, "seed of the noise", 0, 2**31 - 1, fmt="%d", integer=True)

try:
    spec = SweepSpec(surface.name, opt, start, int(steps),
                     tuple(Axis(p, lo, hi, int(n), log=log) for p, lo, hi, log in axes), tuple(fixed.items()),
                     convention, noise=noise, batch_size=batch, seed=int(seed))
except ValueError as exc:
    st.warning(f"These settings do not make a grid: {exc}.")
    st.stop()

result = in_blocks(sweep.row_blocks(spec), lambda rows: grid_block(spec, rows), sweep.merge,
                   f"Running {spec.shape[0] * spec.shape[1]:,} settings")
params_used = spec.params
cell = cell_setting(surface, opt, params_used)
index = spec.nearest_cell(state.get(cell))
exact = tuple(float(a.values[k]) for a, k in zip(spec.axes, index))
if state.get(cell) not in (cell.default, exact):  # a click: snap the link to the cell's exact values
    state.set_value(cell, exact)
grid = map_grid.MapGrid(result)
theory_reason = sweep.theory_unavailable(spec)
can_measure = bool(surface.minima)

outcomes = dict(hypermap.OUTCOMES)
if not can_measure:
    outcomes.pop("rate")
OUTCOME = state.choice("show", "loss", tuple(outcomes), scope=SCOPE)
if th.present:  # a projector: the map across the page, the run below it
    left, right = st.container(), st.container()
else:
    left, right = st.columns([3, 2])
with left:
    shown = widgets.segmented(OUTCOME, "Colour the map by", tuple(outcomes), format_func=outcomes.get)
    rates = None
    rate_steps = min(spec.steps, RATE_STEPS)
    if shown == "rate" or (theory_reason is None and can_measure):
        rates = in_blocks(sweep.rate_blocks(spec, rate_steps), lambda rows: rate_block(spec, rate_steps, rows),
                          sweep.merge_rates, "Measuring convergence rates")
    d = registry.defaults_for(surface, opt)
    f_star = min(m.value for m in surface.minima) if surface.minima else None
    counts = result.counts()
    fig = hypermap.map_figure(result, shown, th, selected=index, default=tuple(d[p] for p in params_used),
                              f_star=f_star, rates=rates)
    layout.plotly(fig, key="map-chart", on_select=on_click, selection_mode="points")
    took = f"{result.seconds:.2f} s" if result.seconds >= 1 else f"{1000 * result.seconds:.0f} ms"
    origin = ", ".join(f"{v:g}" for v in start)
    st.caption(f"{spec.shape[0] * spec.shape[1]:,} runs of {spec.steps} steps from ({origin}) in {took}: "
               f"{counts['converged']:,} converged (gradient norm below 10⁻⁶), "
               f"{counts['running']:,} still running, {counts['diverged']:,} diverged (left ±10⁶). "
               "★ marks the default setting. **Click a cell** to see its run.")
    st.caption("How to read it: every cell is one run, from the same start, with that cell's "
               + " and ".join(symbol(p) for p in params_used) + ". " + READING[shown])
    layout.csv_download(sweep.to_csv(result).encode(), f"map_{surface.name}_{opt}_{'_'.join(params_used)}.csv",
                        label="Download the grid (CSV)", key="grid-csv")

df, table_csv, positions, status, event = cell_run(spec, index)
label = grid.label(index)
what = {Status.CONVERGED: f"converged at step {event}", Status.RUNNING: f"still running after {spec.steps} steps",
        Status.DIVERGED: f"diverged at step {event}"}[Status(status)]
with right:
    layout.plotly(path_figure(surface, positions, th, title=f"The run at {label}<br><b>{what}</b>",
                              color=LOOKS[opt].color, diverged=status == Status.DIVERGED),
                  key="cell-path")

st.subheader(f"Iteration table of the run at {label}")
st.caption("Each row: the point before the step, the loss, the gradient the step used, the point after it and "
           "the optimizer's state. Shown to 5 decimals; the CSV has every digit.")
layout.dataframe(df, key="cell-table", height=320)
cell_name = "_".join(f"{p}{v:g}" for p, v in zip(params_used, exact))
layout.csv_download(table_csv, f"{opt}_{surface.name}_{cell_name}.csv", label="Download this run's table (CSV)",
                    key="cell-csv")

st.subheader("Why: the theory on a quadratic")
if theory_reason:
    st.caption(f"No theory map here: {theory_reason}. Try gradient descent, momentum or Nesterov on "
               "an isotropic or elongated bowl, the notes' quadratic or linear regression.")
else:
    (_, _, thy), (fx, fy, fine) = theory_maps(spec)
    lam = curvatures(surface)
    eig = ", ".join(f"λ = {v:.4g}" for v in lam)
    opts = registry.variant_options(opt, convention)
    if opt == "gd":
        st.markdown(f"On a quadratic with Hessian eigenvalues {eig}, gradient descent multiplies the error "
                    "e = w − w* along each eigenvector by the same factor at every step:")
        st.latex(matrix_latex(opt, opts))
        st.markdown("So the error shrinks like ρᵗ. The factor 1 − ηλ that attains ρ decides how: positive, "
                    "monotone; negative, the error changes sign at every step (oscillating); ρ ≥ 1, divergent.")
    else:
        st.markdown(f"On a quadratic with Hessian eigenvalues {eig}, every step is a fixed linear map M of the "
                    "error e = w − w* and the velocity v, one 2 × 2 matrix per eigenvector of the Hessian:")
        st.latex(matrix_latex(opt, opts))
        st.markdown("The error shrinks like ρᵗ, with ρ the largest modulus of an eigenvalue z of M over the λ's. "
                    "The dominant z decides how: " + "; ".join(REGION_LABELS[r] + f" ({c})" for r, c in (
                        ("monotone", "z real and positive"), ("oscillating", "z negative or complex, |z| < 1"),
                        ("divergent", "|z| ≥ 1"))) + ".")
    fig = rate_figure(result, rates, thy.rate, thy.region, (fx, fy, fine.region, fine.rate), th)
    layout.plotly(fig, key="rate-maps")
    agree = sweep.agreement(rates, thy)
    st.caption(f"Measured: ρ = (s_b / s_a)^(1/(b − a)) with s_t = √(‖e_t‖² + ‖e_(t−1)‖²) over the second "
               f"half of the first {rates.steps} steps (until the error reaches rounding level). "
               f"Over the {agree['cells']:,} cells the theory says converge with ρ < 0.98, the median difference "
               f"is {agree['median']:.1e} and the largest {agree['max']:.3f}; the measured behaviour (monotone, "
               f"oscillating, growing) is the theory's region in {100 * agree['regions']:.1f}% of all cells. "
               "The differences sit next to the region boundaries, where M is close to defective, and where ρ is "
               f"so close to 1 that {rates.steps} steps still show the transient rather than the rate.")
