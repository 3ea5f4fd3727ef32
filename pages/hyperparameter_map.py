"""The hyperparameter map: a whole grid of (learning rate, beta) settings run at once, its outcome as a map,
one clicked cell's run on the surface, and for GD and momentum on a quadratic the theory's rate beside the
measured one.

Computation: the grid is one vectorized call of the core (``optim.sweep``) when it is at most 200 x 200 x 500
cell-steps (about 0.3 s); a larger grid runs in blocks of rows, each one call, with a progress bar between
blocks, so a change of a setting interrupts it within a block. Every block is cached.
"""

from __future__ import annotations

import streamlit as st

import optim
from optim import analysis, rates, sweep
from optim.sweep import SweepSpec
from ui import function_entry, layout, state, widgets
from ui.map_settings import (CONVENTION, MAX_RESOLUTION, MAX_STEPS, OPTIMIZER, OWN, OWN_FUNCTION, RESOLUTION,
                             SCOPE, SEED, SURFACE, SURFACES, MapSettings, on_change, on_click, surface_title)
from viz import hypermap, map_grid
from viz.cell_path import path_figure
from viz.rates import rate_figure
from viz.style import LOOKS, status_criteria
from viz.tables import csv_bytes, frame

RATE_STEPS = 300  # horizon of the measured convergence rates (paths are recorded: memory grows with it)
FINE = 121  # resolution of the theory's region boundaries (plotly interpolates the contour between cells)
READING = {
    "loss": "Dark: the run ended close to the minimum (f − f* down to rounding level); yellow: it made little or no "
            "progress from its start; orange-red: it diverged.",
    "steps": "Dark: it converged in few steps; yellow: it needed nearly all of them; grey: it was still moving "
             "at the end; orange-red: it diverged.",
    "status": "Green: converged; orange: still moving at the end; orange-red: diverged.",
    "rate": "ρ is the factor by which the distance to the minimum shrinks per step, measured from the run: dark "
            "is fast (ρ near 0), yellow is slow (ρ near 1), orange-red means the distance grew.",
}
CONVENTION_NAMES = {"notes": "course notes", "pytorch": "PyTorch"}


def convention_label(spec: optim.OptimizerSpec, convention: str) -> str:
    """``course notes (momentum form: v ← βv + (1−β)g)``: the convention and the forms where it matters."""
    differ = [f"{v.title.lower()}: {v.labels[v.value(convention)].rsplit(' (', 1)[0]}" for v in spec.variants
              if v.notes != v.pytorch]
    return CONVENTION_NAMES[convention] + (f" ({'; '.join(differ)})" if differ else "")


# -- cached core calls ---------------------------------------------------------------------------------------------

@st.cache_data(max_entries=256, show_spinner=False)
def grid_block(spec: SweepSpec, rows: tuple[int, int]) -> sweep.SweepResult:
    return sweep.sweep(spec, rows)


@st.cache_data(max_entries=256, show_spinner=False)
def rate_block(spec: SweepSpec, steps: int, rows: tuple[int, int]) -> rates.MeasuredRates:
    return rates.measured_rates(spec, steps, rows)


@st.cache_data(max_entries=32, show_spinner=False)
def theory_maps(spec: SweepSpec):
    """The theory on the grid's cells, and on a grid fine enough for smooth region boundaries."""
    return analysis.theory_map(spec), analysis.theory_map(spec, FINE)


@st.cache_data(max_entries=128, show_spinner=False)
def cell_run(spec: SweepSpec, index: tuple[int, int]) -> optim.Trajectory:
    """One cell run alone with every step recorded (plain data: its table, path and outcome)."""
    return sweep.run_cell(spec, index)


def in_blocks(blocks, compute, merge, label: str):
    """Compute ``blocks`` one after another with a progress bar between them (none for a single block)."""
    if len(blocks) == 1:
        return compute(blocks[0])
    slot = st.empty()
    parts = []
    for k, rows in enumerate(blocks):
        slot.progress(k / len(blocks), text=f"{label}: rows {rows[0] + 1} to {rows[1]} of {blocks[-1][1]}")
        parts.append(compute(rows))
    slot.empty()
    return merge(parts)


# -- page ----------------------------------------------------------------------------------------------------------

th = layout.theme()
layout.header("Hyperparameter map",
              "Run a whole grid of settings at once: where does each (learning rate, β) converge, crawl or diverge?")
panel, stage = layout.stage(th.present)
with panel:
    c1, c2, c3 = (st.container(),) * 3 if th.present else st.columns([3, 2, 3])
    if widgets.selectbox(SURFACE, "Surface", SURFACES, format_func=surface_title, container=c1,
                         then=on_change("reset_surface")) == OWN:
        OWN_FUNCTION.entry("f(x, y) =", container=st.container(), derivatives=True, wide=True)  # rows below this one
    widgets.selectbox(OPTIMIZER, "Optimizer", optim.NAMES, format_func=lambda n: optim.spec(n).title, container=c2,
                      then=on_change("reset_all"))
    ms = MapSettings()
    surface, opt, spec_ = ms.surface, ms.opt, ms.spec
    if spec_.variants:
        widgets.selectbox(CONVENTION, "Update-rule forms", optim.CONVENTIONS, container=c3,
                          format_func=lambda c: convention_label(spec_, c))
    convention = state.get(CONVENTION)
    st.latex(surface.latex + (r" \\ " if th.present else r"\qquad\qquad ") + spec_.latex(spec_.options_for(surface, convention)))

    axes = []
    for which, col in zip(("x", "y"), (st.container(),) * 2 if th.present else st.columns(2)):
        p1, p2, p3 = (col, *col.columns(2)) if th.present else col.columns([2, 1, 1], vertical_alignment="bottom")
        choices = ms.axis_params + (("none",) if which == "y" else ())
        param = widgets.selectbox(ms.axis(which), f"{'Horizontal' if which == 'x' else 'Vertical'} axis", choices,
                                  format_func=lambda p: "none (one row)" if p == "none" else map_grid.param_label(opt, p),
                                  container=p1, then=on_change("swap_if_same", which))
        if param == "none" or (which == "y" and param == axes[0][0]):
            continue
        h = spec_.hyperparameter(param)
        lo_s, hi_s = ms.range(param, which)
        fmt = "%g"  # 0.0007 and 7, 0 and 0.99: as the value would be typed (not 7.0e-4, 7.0e+0)
        lo = widgets.number(lo_s, f"{h.text} from", h.low, h.high, fmt=fmt, container=p2, then=on_change("reset_cell"))
        hi = widgets.number(hi_s, f"{h.text} to", h.low, h.high, fmt=fmt, container=p3, then=on_change("reset_cell"))
        if not lo < hi:
            col.warning(f"The range of {h.text} must go from low to high; using {lo_s.default:g} to {hi_s.default:g}.")
            lo, hi = lo_s.default, hi_s.default
        axes.append((param, lo, hi, h.log))

    fixed_names = [p for p in ms.axis_params if p not in [a[0] for a in axes]]
    noise_setting = ms.noise()
    b1, b2, b3, b4 = (*st.columns(2), st.container(), st.container()) if th.present else \
        st.columns([1, 1, 2, 2], vertical_alignment="bottom")
    n = widgets.number(RESOLUTION, "cells per axis", 2, MAX_RESOLUTION, step=10, fmt="%d", integer=True, container=b1,
                       help=f"Up to {MAX_RESOLUTION} x {MAX_RESOLUTION} = {MAX_RESOLUTION ** 2:,} runs, all at once.")
    steps = widgets.number(ms.steps, "steps of every run", 1, MAX_STEPS, step=50, fmt="%d", integer=True, container=b2)
    start = tuple(widgets.number(s_, f"start {v}", *surface.bounds[k], step=0.1, fmt="%.3f", container=c,
                                 then=on_change("reset_cell"))
                  for k, (s_, v, c) in enumerate(zip(ms.starts(), surface.variables, b3.columns(surface.dim))))
    fixed, noise, seed = {}, None, 0
    if fixed_names or noise_setting:
        summary = ", ".join(f"{spec_.hyperparameter(p).text} = {state.get(ms.fixed(p)):.4g}" for p in fixed_names)
        with b4.popover("The same in every cell: " + (summary or "gradient noise"), width="stretch"):
            for p in fixed_names:
                h, setting = spec_.hyperparameter(p), ms.fixed(p)
                fixed[p] = widgets.number(setting, map_grid.param_label(opt, p), min(h.low, setting.default),
                                          max(h.high, setting.default), fmt="%.2e" if h.log else "%.4f")
            if noise_setting and surface.n_samples:
                noise = widgets.number(noise_setting, "mini-batch size", 1, surface.n_samples, fmt="%d", integer=True)
            elif noise_setting:
                noise = widgets.number(noise_setting, "gradient noise σ", 0.0, 1000.0, fmt="%.3f")
            if noise_setting:
                seed = widgets.number(SEED, "seed of the noise", 0, 2**31 - 1, fmt="%d", integer=True)
    sched_box, schedule, clip = ms.schedule(steps)
try:
    spec = ms.sweep_spec(axes, fixed, start, steps, n, noise, seed, schedule, clip)
except ValueError as exc:
    st.warning(f"These settings do not make a grid: {exc}.")
    st.stop()

result = in_blocks(sweep.row_blocks(spec), lambda rows: grid_block(spec, rows), sweep.merge,
                   f"Running {spec.shape[0] * spec.shape[1]:,} settings")
cell = ms.cell(spec.params)
index = spec.nearest_cell(state.get(cell))
short = spec.short_cell(index)
if state.get(cell) not in (cell.default, short):  # a click: the link names the cell in a few digits
    state.set_value(cell, short)
exact = tuple(float(a.values[k]) for a, k in zip(spec.axes, index))
grid = map_grid.MapGrid(result)
theory_reason = analysis.theory_unavailable(spec)
outcomes = {k: v for k, v in hypermap.OUTCOMES.items() if k != "rate" or surface.minima}
OUTCOME = state.choice("show", "loss", tuple(outcomes), scope=SCOPE)
with stage:  # the map and the clicked cell's run side by side, the run as large as the map
    left, right = st.columns(2)
    verdict = panel.container(key="verdict")
with left:
    shown = widgets.segmented(OUTCOME, "Colour the map by", tuple(outcomes), format_func=outcomes.get,
                              container=panel if th.present else st.container())
    rate_steps = min(spec.steps, RATE_STEPS)
    measured = None
    if shown == "rate" or (theory_reason is None and surface.minima):
        measured = in_blocks(rates.rate_blocks(spec, rate_steps), lambda rows: rate_block(spec, rate_steps, rows),
                             rates.merge_rates, "Measuring convergence rates")
    d = spec_.defaults_for(surface.name)
    f_star = min(m.value for m in surface.minima) if surface.minima else None
    counts = result.counts()
    fig = hypermap.map_figure(result, shown, th, selected=index, default=tuple(d[p] for p in spec.params),
                              f_star=f_star, rates=measured)
    layout.plotly(fig, key="map-chart", on_select=on_click, selection_mode="points")
    took = f"{result.seconds:.2f} s" if result.seconds >= 1 else f"{1000 * result.seconds:.0f} ms"
    (verdict if th.present else st).caption(f"{spec.shape[0] * spec.shape[1]:,} runs of {spec.steps} steps from ({', '.join(f'{v:g}' for v in start)}) "
               f"in {took}: {counts['converged']:,} converged, {counts['running']:,} still running, "
               f"{counts['diverged']:,} diverged. {status_criteria()} ★ marks the default setting. "
               "**Click a cell** to see its run.")
    st.caption("How to read it: every cell is one run, from the same start, with that cell's "
               + " and ".join(spec_.hyperparameter(p).text for p in spec.params) + ". " + READING[shown])
    layout.csv_download(sweep.to_csv(result).encode(),
                        f"map_{function_entry.file_label(surface)}_{opt}_{'_'.join(spec.params)}.csv",
                        label="Download the grid (CSV)", key="grid-csv")

run = cell_run(spec, index)  # the same spec, schedule and clipping included: its path ends where its cell does
label = grid.label(index)
ms.show_schedule(sched_box, spec, index, th)
with right:
    layout.plotly(path_figure(surface, run.positions, th, title=f"The run at {label}<br><b>{run.outcome()}</b>",
                              color=LOOKS[opt].color, diverged=bool(run.diverged)), key="cell-path")

st.subheader(f"Iteration table of the run at {label}")
st.caption("Each row: the point before the step, the loss, the gradient the step used, the point after it and "
           "the optimizer's state. Shown to 5 decimals; the CSV has every digit.")
layout.dataframe(frame(run.table), key="cell-table", height=320)
cell_name = "_".join(f"{p}{v:g}" for p, v in zip(spec.params, exact))
layout.csv_download(csv_bytes(run.table), f"{opt}_{function_entry.file_label(surface)}_{cell_name}.csv",
                    label="Download this run's table (CSV)", key="cell-csv")

st.subheader("Why: the theory on a quadratic")
if theory_reason:
    names = [optim.spec(n).title for n in analysis.theory_optimizers()]
    st.caption(f"No theory map here: {theory_reason}." + ("" if spec.schedule or spec.clip else
               f" Try {', '.join(names[:-1])} or {names[-1]} on an isotropic or elongated bowl, the notes' "
               "quadratic or linear regression."))
else:
    (_, _, thy), (fx, fy, fine) = theory_maps(spec)
    eig = ", ".join(f"λ = {v:.4g}" for v in analysis.curvatures(surface))
    st.markdown(analysis.theory_text(opt, eig, "before"))
    st.latex(analysis.matrix_latex(opt, spec_.options(convention)))
    st.markdown(analysis.theory_text(opt, eig, "after"))
    layout.plotly(rate_figure(result, measured, thy.rate, thy.region, (fx, fy, fine.region, fine.rate), th),
                  key="rate-maps")
    agree = analysis.agreement(measured, thy)
    st.caption(r"Measured: $\rho = (s_b / s_a)^{1/(b - a)}$ with "
               r"$s_t = \sqrt{\lVert e_t \rVert^2 + \lVert e_{t-1} \rVert^2}$ over the second "
               f"half of the first {measured.steps} steps (until the error reaches rounding level). "
               f"Over the {agree['cells']:,} cells the theory says converge with ρ < 0.98, the median difference "
               f"is {agree['median']:.1e} and the largest {agree['max']:.3f}; the measured behaviour (monotone, "
               f"oscillating, growing) is the theory's region in {100 * agree['regions']:.1f}% of all cells. "
               "The differences sit next to the region boundaries, where M is close to defective, and where ρ is "
               f"so close to 1 that {measured.steps} steps still show the transient rather than the rate.")
