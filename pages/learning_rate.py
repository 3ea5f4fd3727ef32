"""The learning-rate page: gradient descent on the notes' 1-D curves, one learning rate or several side by side,
and the quartic's local and global minima."""

from __future__ import annotations

import numpy as np
import streamlit as st

import surfaces
from optim import Status, run
from optim.trajectory import DEFAULT_BOUND, DEFAULT_TOL, Criterion
from optim.analysis import critical_learning_rates, curvature_is_constant, gd_verdict
from optim.methods.gd import GD
from optim.forms import typos
from ui import curve_views, function_entry, layout, state, widgets
from viz import descent
from viz.style import (STATUS_COLORS, STATUS_TEXT_COLORS, VERDICT_STATUS, format_number, power_text,
                       status_criteria)
from viz.tables import csv_bytes, endpoints_frame, frame, stationary_frame

SCOPE = "lr"
ONE_D = surfaces.names(dim=1)
OWN = function_entry.OWN
CURVES = (*ONE_D, OWN)
OWN_DEFAULT = "6*w^4 - 2*w^3 - 12*w^2 + w + 1"
VIEWS = {"one": "One learning rate", "compare": "Side by side", "minima": "Local vs global minimum",
         "optimizers": "Any optimizer", "momentum": "EMA vs classic momentum", "quartic": "Quartic: who ends where"}
NOTES_CASES = ((0.1, 21), (0.2, 10), (0.5, 10))  # the notes' three tables, from w0 = 2
MAX_STEPS = 200

VIEW = state.choice("view", "one", tuple(VIEWS), scope=SCOPE)
SURFACE = state.choice("surface", "notes-quadratic", CURVES, scope=SCOPE)


OWN_FUNCTION = function_entry.FunctionEntry(SCOPE, OWN_DEFAULT, ("w",))


def curve(name: str):
    """The catalog's curve ``name``, or the typed function for ``own``."""
    return OWN_FUNCTION.surface() if name == OWN else surfaces.get(name)


def curve_title(name: str) -> str:
    return "Your own function f(w)" if name == OWN else surfaces.get(name).title


STEPS = state.integer("steps", 21, 1, MAX_STEPS, scope=SCOPE)


def lr_setting(surface) -> state.Setting:
    return state.number("lr", GD.defaults_for(surface.name)["lr"], 1e-4, lr_max(surface), scope=SCOPE)


def w0_setting(surface) -> state.Setting:
    lo, hi = surface.bounds[0]
    return state.number("w0", surface.starts[0][0], lo, hi, scope=SCOPE)


def run_entry(text: str) -> tuple[float, int]:
    """``0.2:10``: a learning rate and its number of rows (10 when not given)."""
    lr_text, _, steps_text = text.partition(":")
    try:
        lr, steps = float(lr_text), int(steps_text) if steps_text.strip() else 10
    except ValueError:
        raise ValueError("not η:rows, like 0.2:10") from None
    if not (0 < lr <= 10 and 1 <= steps <= MAX_STEPS):
        raise ValueError(f"not 0 < η ≤ 10 with 1 to {MAX_STEPS} rows")
    return lr, steps


RUNS = state.sequence("runs", NOTES_CASES, run_entry, show_item=lambda r: f"{r[0]:g}:{r[1]}", min_count=1,
                      max_count=6, what="entries η:rows", scope=SCOPE)
QUARTIC = surfaces.get("quartic")
Q_STARTS = state.numbers("starts", [s[0] for s in QUARTIC.starts], *QUARTIC.bounds[0], max_count=7, scope=SCOPE)
Q_LR = state.number("qlr", 0.01, 1e-4, 0.06, scope=SCOPE)
Q_STEPS = state.integer("qsteps", 60, 1, MAX_STEPS, scope=SCOPE)


LR_BEYOND_LIMIT = 3  #: the slider reaches this multiple of the stability limit: a large rate diverges fast


def lr_max(surface) -> float:
    """Slider range: up to 3 times the stability limit 2/f''(w*) at the global minimum (1 without a minimum), so
    that a rate well beyond it shows how fast it diverges (on the notes' quadratic, 1.5 against the limit 0.5)."""
    h = global_curvature(surface)
    if h is None:
        return 1.0
    return float(np.round(LR_BEYOND_LIMIT * critical_learning_rates(h)[1], 3))


def global_curvature(surface) -> float | None:
    if not surface.minima:
        return None
    best = min(surface.minima, key=lambda m: m.value)
    return float(surface.hess([best.point[0]])[0, 0])


@st.cache_data(max_entries=512, show_spinner=False)
def gd_run(surface_name: str, lr: float, w0: float, steps: int):
    """One gradient-descent run, recorded in full (plain data: its table, path, losses and status)."""
    return run(surfaces.get(surface_name), GD.make(lr=lr), [w0], steps)


@st.cache_data(max_entries=64, show_spinner=False)
def quartic_runs(starts: tuple[float, ...], lr: float, steps: int):
    traj = run(QUARTIC, GD.make(lr=lr), np.array(starts)[:, None], steps)
    return traj.positions[..., 0].T.copy(), traj.status, traj.event_step, traj.converged_by


def verdict_for(surface, lr: float, final_w: float, status: int):
    """The predicted behaviour: exact on a quadratic, local at the minimum the run approaches otherwise."""
    quadratic = curvature_is_constant(surface)
    near = min(surface.minima, key=lambda m: abs(m.point[0] - final_w)) if np.isfinite(final_w) else surface.minima[0]
    h = float(surface.hess([near.point[0]])[0, 0])
    v = gd_verdict(h, lr, near.point[0])
    if not quadratic and status == Status.DIVERGED:
        v = v._replace(kind="diverges")
    return v, quadratic


def show_verdict(v, r) -> None:
    """The verdict in large coloured type, with what actually happened in the run ``r``."""
    status = int(r.status)
    st.markdown(f"## :{STATUS_TEXT_COLORS[VERDICT_STATUS[v.kind]]}[{v.label}]")
    outcome = r.outcome().capitalize()
    tol, bound = power_text(DEFAULT_TOL), power_text(DEFAULT_BOUND)
    if status == Status.DIVERGED:
        st.markdown(f"#### :{STATUS_TEXT_COLORS['diverged']}[{outcome}]: w left ±{bound}.")
    elif status == Status.LEFT_DOMAIN:
        st.markdown(f"#### :{STATUS_TEXT_COLORS['diverged']}[{outcome}]: f or f′ is not defined at the point it "
                    "reached.")
    elif status == Status.CONVERGED:
        why = (f"|f′(w)| < {tol}" if int(r.converged_by) == Criterion.GRADIENT
               else f"every step moved w by less than {tol}")
        st.markdown(f"#### :{STATUS_TEXT_COLORS['converged']}[{outcome}]: {why} from then on.")
    else:
        w, step = r.positions[-1, 0], abs(r.positions[-1, 0] - r.positions[-2, 0])
        if v.kind == "diverges":
            st.markdown(f"#### {outcome}: w = {format_number(w)}, moving away from w* = {format_number(v.minimum)}; "
                        f"it counts as diverged once it leaves ±{bound}.")
        else:
            st.markdown(f"#### {outcome}: the last step moved w by {format_number(step)}. It counts as converged "
                        f"once |f′(w)| stays below {tol}, or its steps have shrunk below {tol}.")


def show_derivation(lr: float, v, quadratic: bool) -> None:
    """Why: the contraction factor of the error per step."""
    h, q = v.curvature, v.factor
    st.latex(rf"\begin{{gathered}} e_t = w_t - w^* \\ e_{{t+1}} = (1 - \eta f''(w^*))\, e_t \\ "
             rf"|1 - \eta f''(w^*)| = |1 - {lr:g} \times {h:.5g}| = {abs(q):.5g} \end{{gathered}}")
    if quadratic:
        a = h / 2
        st.caption(f"For f = aw² + bw + c the error w − w* is multiplied by 1 − 2aη = 1 − 2·{a:g}·{lr:g} = {q:.5g} "
                   "at every step: it shrinks when |1 − 2aη| < 1 and changes sign when 1 − 2aη < 0. "
                   f"So η < 1/(2a) = {1 / h:g} never overshoots and η > 1/a = {2 / h:g} diverges.")
    else:
        st.caption(f"Near the minimum w* = {format_number(v.minimum)} (f″ = {h:.5g}) the error is multiplied by "
                   f"{q:.5g} per step. Far from it the curve is not a parabola and the prediction is only local.")


def reset_for_surface() -> None:
    s = curve(state.get(SURFACE))
    state.set_value(lr_setting(s), GD.defaults_for(s.name)["lr"])
    state.set_value(w0_setting(s), s.starts[0][0])


def file_name(name: str) -> str:
    return "own-function" if name == OWN else name


def preset(lr: float, steps: int) -> None:
    state.set_value(SURFACE, "notes-quadratic")
    state.set_value(lr_setting(surfaces.get("notes-quadratic")), lr)
    state.set_value(w0_setting(surfaces.get("notes-quadratic")), 2.0)
    state.set_value(STEPS, steps)


# -- page -------------------------------------------------------------------------------------------------------

th = layout.theme()
layout.header("Learning rate", "Gradient descent on one curve: how the step size η decides between converging, "
                               "oscillating and diverging; then every other optimizer on the same curves.")
panel, stage = layout.stage(th.present) if state.get(VIEW) == "one" else (st.container(), st.container())
view = widgets.segmented(VIEW, "View", tuple(VIEWS), format_func=VIEWS.get, label_visibility="collapsed",
                         container=panel)

if view in ("one", "compare", "optimizers"):
    c_surface, c_formula = (panel.container(), panel.container()) if th.present else \
        panel.columns([1, 2], vertical_alignment="center")
    name = widgets.selectbox(SURFACE, "Curve", CURVES, format_func=curve_title, container=c_surface,
                             then=reset_for_surface)
    surface = OWN_FUNCTION.entry("f(w) =", container=c_surface) if name == OWN else curve(name)
    (w_lo, w_hi), lr_top = surface.bounds[0], lr_max(surface)
    if not w_lo <= state.get(w0_setting(surface)) <= w_hi:  # a new function: its own start
        state.set_value(w0_setting(surface), surface.starts[0][0])
    if state.get(lr_setting(surface)) > lr_top:
        state.set_value(lr_setting(surface), min(GD.defaults_for(surface.name)["lr"], lr_top))
    with c_formula:
        rule = "" if view == "optimizers" else r",\qquad w_{t+1} = w_t - \eta\, f'(w_t)"
        if th.present:  # a narrow panel: one formula per line
            rule = rule.replace(r",\qquad", r" \\ ")
        st.latex(r"\begin{gathered}" + surface.latex + rule + r" \\ " + r",\quad ".join(surface.derivative_latex)
                 + r"\end{gathered}")

if view == "one":
    if th.present:  # the verdict right under the learning rate, on the first screen of a projector
        controls, verdict, rest, presets = (panel.container(key=k) for k in ("lr", "verdict", "rest", "presets"))
    else:
        presets = panel.container()
        controls, verdict = panel.columns([3, 2], vertical_alignment="center")
        rest = controls
    presets.write("The notes' three cases:")
    cols = [presets] * len(NOTES_CASES) if th.present else presets.columns(len(NOTES_CASES) + 1)
    for col, (lr_c, n) in zip(cols, NOTES_CASES):
        col.button(f"η = {lr_c}, {n} rows", on_click=preset, args=(lr_c, n), key=f"preset-{lr_c}",
                   width="stretch")
    with controls:
        lr = widgets.slider_entry(
            lr_setting(surface), "learning rate η", 0.001, lr_max(surface), 0.001, fmt="%.4f",
            beneath=None if global_curvature(surface) is None else lambda value: layout.plotly(
                descent.rate_strip(global_curvature(surface), value, lr_max(surface), th), key="rate-strip"))
    with rest:
        c2, c3 = (st.container(), st.container()) if th.present else st.columns(2)  # a narrow panel: stacked
        lo, hi = surface.bounds[0]
        w0 = widgets.slider_entry(w0_setting(surface), "start w", lo, hi, 0.01, fmt="%.3f", container=c2)
        steps = widgets.slider_entry(STEPS, "iterations", 1, MAX_STEPS, 1, fmt="%d", integer=True, container=c3)
    r = gd_run(surface.name, lr, w0, steps)
    v, quadratic = verdict_for(surface, lr, float(r.positions[-1, 0]), int(r.status)) if surface.minima else (None, False)
    with verdict:
        if v is None:
            st.markdown(f"#### {r.outcome().capitalize()}")
            st.caption("This function has no minimum in view, so there is no stability limit to predict.")
        else:
            show_verdict(v, r)
    with stage:
        layout.plotly(descent.descent_figure(surface, r.positions[:, 0], r.losses, th), key="descent")
    left, right = st.columns([3, 2])
    with right:
        if v is not None:
            st.subheader("Why")
            show_derivation(lr, v, quadratic)
        if surface.stationary and name == OWN:
            st.subheader("Critical points")
            layout.dataframe(stationary_frame(surface), key="own-critical")
    with left:
        st.subheader("Iteration table")
        st.caption("Each row: the point w before the step, f(w), the gradient f′(w), and w after the step. "
                   "Shown to 5 decimals; the CSV has every digit.")
        layout.dataframe(frame(r.table), key="table")
        layout.csv_download(csv_bytes(r.table), f"{GD.name}_{file_name(name)}_lr{lr:g}_w{w0:g}.csv", key="csv")
        if (name, lr, w0) == ("notes-quadratic", 0.2, 2.0) and steps >= 4:  # the notes' table with its typo
            typo = typos()[0]
            st.caption(f"⚠ The notes print {typo.printed} in row 4; computed: {typo.computed}. {typo.why}.")

elif view == "compare":
    st.caption("Each column is a separate run from the same start. Edit the list as η:rows, for example "
               "0.1:21, 0.2:10, 0.5:10 (the notes' three tables).")
    text = st.text_input("learning rates", value=RUNS.show(state.get(RUNS)), key="w:runs-text")
    try:
        runs = RUNS.parse(text)
        state.set_value(RUNS, runs)
    except ValueError as exc:
        st.warning(f"Could not read “{text}”: {exc}. Showing the last valid list.")
        runs = state.get(RUNS)
    w0 = widgets.slider_entry(w0_setting(surface), "start w", *surface.bounds[0], 0.01, fmt="%.3f")
    results = [gd_run(surface.name, lr_c, w0, n) for lr_c, n in runs]
    # each run's status: the predicted one where there is a minimum, else what the run did; its colour and words agree
    verdicts = [verdict_for(surface, lr_c, float(r.positions[-1, 0]), int(r.status))[0] if surface.minima else None
                for (lr_c, _), r in zip(runs, results)]
    statuses = [VERDICT_STATUS[v.kind] if v else r.status_label() for v, r in zip(verdicts, results)]
    layout.plotly(descent.compare_paths([(f"η = {lr_c:g}", r.positions[:, 0], STATUS_COLORS[s])
                                         for (lr_c, _), r, s in zip(runs, results, statuses)], surface, th),
                  key="compare-paths")
    for i, (col, (lr_c, n), r, v, s) in enumerate(zip(st.columns(len(runs)), runs, results, verdicts, statuses)):
        with col:  # keys by position: the same η may appear twice
            st.markdown(f"### η = {lr_c:g}")
            if v is not None:
                st.markdown(f":{STATUS_TEXT_COLORS[s]}[{v.label}] · factor {v.factor:.3g}")
            else:
                st.markdown(f":{STATUS_TEXT_COLORS[s]}[{r.outcome().capitalize()}]")
            layout.dataframe(frame(r.table)[["iteration", "w", "f(w)", "f'(w)", "w_next"]], key=f"cmp-{i}",
                             column_width=62)
            layout.csv_download(csv_bytes(r.table), f"{GD.name}_{file_name(name)}_lr{lr_c:g}.csv", key=f"cmp-csv-{i}")

elif view == "optimizers":
    c_w0, c_steps = st.columns(2)
    w0 = widgets.slider_entry(w0_setting(surface), "start w", *surface.bounds[0], 0.01, fmt="%.3f", container=c_w0)
    steps = widgets.slider_entry(STEPS, "iterations", 1, MAX_STEPS, 1, fmt="%d", integer=True, container=c_steps)
    curve_views.optimizers_view(SCOPE, surface, w0, steps, file_name(name), th)

elif view == "momentum":
    curve_views.momentum_forms_view(SCOPE, th)

elif view == "quartic":
    curve_views.quartic_view(SCOPE, Q_STARTS, th)

else:
    st.latex(QUARTIC.latex + r",\quad " + r",\quad ".join(QUARTIC.derivative_latex))
    st.caption("Gradient descent only looks downhill from where it stands: which minimum it reaches depends on "
               "the start. The critical points solve f′(w) = 0; the sign of f″ tells their kind.")
    starts = widgets.text_entry(Q_STARTS, "start points (comma-separated)")
    c1, c2 = st.columns(2)
    q_lr = widgets.slider_entry(Q_LR, "learning rate η", 0.001, 0.06, 0.001, fmt="%.3f", container=c1)
    q_steps = widgets.slider_entry(Q_STEPS, "iterations", 1, MAX_STEPS, 1, fmt="%d", integer=True, container=c2)
    paths, status, events, by = quartic_runs(tuple(starts), q_lr, q_steps)
    layout.plotly(descent.basins_figure(QUARTIC, list(paths), [f"start {w:g}" for w in starts], th), key="basins")
    left, right = st.columns(2)
    with left:
        st.subheader("Critical points")
        layout.dataframe(stationary_frame(QUARTIC), key="critical")
    with right:
        st.subheader("Where each start ends")
        ends = endpoints_frame(QUARTIC, starts, paths[:, -1], status, events, paths.shape[1] - 1, by)
        layout.dataframe(ends, key="ends")
        st.caption(status_criteria())
        layout.csv_download(ends, "quartic_ends.csv", key="ends-csv")
