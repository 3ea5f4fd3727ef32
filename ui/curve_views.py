"""The learning-rate page's views of every optimizer on the notes' one-weight curves: any optimizers on one curve,
momentum's two forms on one path, and where each method ends on the quartic from the notes' four starts.

Settings are URL-backed (``ui.state``); each optimizer's hyperparameters and variants come from its spec through
``ui.optimizer_settings``; the numbers come from the core (``optim.run``, ``optim.endpoints``); no optimizer is
named here except through the specs.
"""

from __future__ import annotations

import streamlit as st

import optim
import surfaces
from optim.derived import with_corrected
from optim.endpoints import MOMENTUM, ON_CURVES, ROLL_BETAS, ROLL_LRS, roll_over_grid, run_ends, same_path
from viz.curve_runs import ends_frame, ends_row, gap_text, runs_figure
from viz.averages import paths_figure
from viz.style import LOOKS, status_criteria
from viz.tables import csv_bytes, frame

from . import layout, state, widgets
from .optimizer_settings import OptimizerSettings, RunSettings, settings_panel
from .schedule_settings import schedule_panel

MAX_STEPS = 3000
CONVENTION = "notes"
ROLL_START, ROLL_STEPS = -1.4, 1500


def color_title(name: str, extra: str = "") -> None:
    st.markdown(f"<span style='color:{LOOKS[name].color};font-weight:700;font-size:1.15em'>"
                f"{optim.spec(name).title}</span> &nbsp; {extra}", unsafe_allow_html=True)


@st.cache_data(max_entries=256, show_spinner=False)
def run_one(surface_name: str, rs: RunSettings, w0: float, steps: int) -> optim.Trajectory:
    """One optimizer from one start on a catalog curve, recorded in full."""
    return optim.run(surfaces.get(surface_name), rs.optimizer(), [w0], steps, **rs.run_kwargs())


def run_on(surface, rs: RunSettings, w0: float, steps: int) -> optim.Trajectory:
    if surface.name in surfaces.names(dim=1):
        return run_one(surface.name, rs, w0, steps)
    return optim.run(surface, rs.optimizer(), [w0], steps, **rs.run_kwargs())  # a typed function: not cached


def label(r: optim.Trajectory) -> str:
    """A run's legend entry: its optimizer, and how it ended where that is not a plain convergence."""
    status = r.status_label()
    return r.title + ("" if status in ("converged", "running") else f" ({r.outcome()})")


def chosen(setting: state.Setting, surface, scope: str, container, defaults: dict | None = None):
    """The optimizers picked in ``container`` and the settings of each (from its spec, URL-backed)."""
    names = widgets.multiselect(setting, "Optimizers", optim.NAMES, format_func=lambda n: optim.spec(n).title,
                                container=container, help="Several at once; each keeps its colour, marker and dash.")
    settings = {n: OptimizerSettings(scope, n, surface, CONVENTION, defaults=(defaults or {}).get(n))
                for n in optim.NAMES}
    seen = st.session_state.setdefault(f"{scope}:seen-options", {})
    for n in names:
        settings[n].follow_options(seen)
    return names, settings


def run_table(r: optim.Trajectory, key: str, file_stem: str, title: str | None = None) -> None:
    """The run's table (the notes' five columns, then its state) and its CSV."""
    table = with_corrected(r)
    layout.dataframe(frame(table), key=f"{key}-table", height=min(420, 38 + 35 * int(r.rows)))
    layout.csv_download(csv_bytes(table), f"{file_stem}.csv", key=f"{key}-csv",
                        label=f"Download {title or r.title} (CSV)")


# -- any optimizers on one curve ------------------------------------------------------------------------------------

def optimizers_view(scope: str, surface, w0: float, steps: int, file_name: str, th) -> None:
    picks = state.names("opt", ON_CURVES, optim.NAMES, scope=scope)
    names, settings = chosen(picks, surface, scope, st)
    if not names:
        st.info("Choose at least one optimizer.")
        return
    configs = schedule_panel(scope, settings, names, steps, th)  # first-order optimizers only
    runs = [run_on(surface, configs[n], w0, steps) for n in names]
    fig_col, set_col = st.columns([2.3, 1.7])
    with set_col:
        for r in runs:
            color_title(r.optimizer)
            st.latex(r.spec.latex(r.options))
        settings_panel(settings, names, key=f"w:{scope}:settings-of")
    with fig_col:
        layout.plotly(runs_figure(surface, [(label(r), LOOKS[r.optimizer], r.positions[:, 0]) for r in runs], th),
                      key="runs")
    st.caption("Row t of each table: $w_t$ before the step, $f(w_t)$, the gradient $f'(w_t)$, $w_{t+1}$ after it, "
               "then what the optimizer keeps after the step (velocity v, sums G and averages s, u, m, v, the step "
               "size lr_eff it applied, Adam's bias-corrected m_hat = m/(1 − β₁ᵗ) and v_hat = v/(1 − β₂ᵗ), Newton's "
               "curvature f″, a line search's direction d and step length alpha; with a schedule the rate eta_t "
               r"($\eta_t$) of the step, with clipping the gradient g_clip the update used). 5 decimals here; the CSV "
               "has every digit. " + status_criteria())
    for r in runs:
        with st.container(border=True):
            color_title(r.optimizer, f"{r.settings_text()} · {r.outcome()}")
            run_table(r, r.optimizer, f"{r.optimizer}_{file_name}_w{w0:g}")


# -- momentum's two forms -------------------------------------------------------------------------------------------

def momentum_forms_view(scope: str, th) -> None:
    """EMA and classic momentum on the notes' quadratic from w = 2: one path, because the classic learning rate is
    (1 - beta) times the EMA one (the learning-rate and moving-averages pages both show it)."""
    curve = surfaces.get("notes-quadratic")
    spec = optim.spec(MOMENTUM)
    form = spec.variant("form")
    ema, classic = {"form": form.notes}, {"form": form.pytorch}
    start = spec.defaults_for(curve.name)
    lr_s = state.number("mlr", start["lr"], 1e-3, 1.0, scope=scope)
    beta_s = state.number("mbeta", start["beta"], 0.0, 0.99, scope=scope)
    steps_s = state.integer("msteps", 20, 1, 200, scope=scope)
    c = layout.slots(3, 3)
    lr = widgets.number(lr_s, "learning rate η (average form)", 1e-3, 1.0, step=0.01, fmt="%.4g", container=c[0])
    beta = widgets.number(beta_s, "β", 0.0, 0.99, step=0.01, fmt="%.3g", container=c[1])
    steps = widgets.number(steps_s, "iterations", 1, 200, step=1, fmt="%d", integer=True, container=c[2])
    w0 = curve.starts[0][0]
    pair = same_path(curve, spec.name, {"lr": lr, "beta": beta}, ema, classic, w0, steps)
    a, b, lr_c = pair.old, pair.new, pair.lr
    st.latex(rf"\begin{{gathered}}{curve.latex},\quad w_1 = {w0:g} \\ {spec.latex(ema)}\ \ \eta = {lr:g}"
             rf"\qquad\text{{vs}}\qquad {spec.latex(classic)}\ \ \eta' = (1-\beta)\eta = {lr_c:.6g}\end{{gathered}}")
    st.markdown(r"**Why one path.** Divide the average-form velocity by 1 − β: $u = v/(1 - \beta)$ obeys "
                r"$u_t = \beta u_{t-1} + g_t$, the classic velocity, and the step $\eta v_t = \eta(1 - \beta) u_t$. "
                f"So the classic form at η′ = (1 − β)η = {lr_c:.6g} takes the same steps, its velocity "
                f"1/(1 − β) = {1 / (1 - beta):.4g} times larger: η′ × classic velocity = η × average velocity. "
                f"Computed over {steps} iterations: the largest difference between the two paths' w = "
                f"**{gap_text(pair.gap)}**, and between their steps = **{gap_text(pair.step_gap)}** "
                "(rounding only).")
    layout.plotly(paths_figure([(f"average form, η = {lr:g}", a.positions[:, 0]),
                                (f"classic form, η′ = {lr_c:.6g}", b.positions[:, 0])], th), key="momentum-paths")
    left, right = st.columns(2)
    with left:
        st.markdown(f"**v ← βv + (1 − β)g** (the notes' worked tables), η = {lr:g}")
        run_table(a, "ema", f"{spec.name}_average_lr{lr:g}_beta{beta:g}", "the average form")
    with right:
        st.markdown(f"**v ← βv + g** (PyTorch, Keras; the BatchNorm and CNN slides), η′ = {lr_c:.6g}")
        run_table(b, "classic", f"{spec.name}_classic_lr{lr_c:.6g}_beta{beta:g}", "the classic form")


# -- the quartic: who ends where ------------------------------------------------------------------------------------

@st.cache_data(max_entries=8, show_spinner=False)
def rolling_momentum(start: float, steps: int, form: str):
    """The (learning rate, beta) grid of the EMA-form momentum from ``start``: which cells end in the global
    minimum, and a robust cell that does so where gradient descent at the same rate does not."""
    quartic = surfaces.get("quartic")
    target = min(quartic.minima, key=lambda m: m.value).point[0]
    grid = roll_over_grid(quartic, MOMENTUM, start, target, ROLL_LRS, ROLL_BETAS, steps, {"form": form})
    return grid, grid.pick()


@st.cache_data(max_entries=64, show_spinner=False)
def quartic_ends(rs: RunSettings, starts: tuple, steps: int):
    return run_ends(surfaces.get("quartic"), rs.name, dict(rs.hyper), dict(rs.options), starts, steps)


def claim_lines(title: str, ends) -> list[str]:
    """Which starts ended at which kind of critical point, as sentences."""
    by_kind: dict[str, list[str]] = {}
    for i in range(len(ends.starts)):
        kind = ends.label[i] if ends.reached[i] else "no critical point yet"
        by_kind.setdefault(kind, []).append(f"{ends.starts[i]:g}")
    return [f"{title} from {', '.join(s)} → **{k}**" for k, s in by_kind.items()]


def quartic_view(scope: str, starts_setting: state.Setting, th) -> None:
    quartic = surfaces.get("quartic")
    st.latex(r"\begin{gathered}" + quartic.latex + r" \\ " + r",\quad ".join(quartic.derivative_latex)
             + r"\end{gathered}")
    steps_s = state.integer("esteps", 1500, 1, MAX_STEPS, scope=scope)
    grid, pick = rolling_momentum(ROLL_START, ROLL_STEPS, optim.spec(MOMENTUM).variant("form").notes)
    defaults = {MOMENTUM: {"lr": pick[0], "beta": pick[1]}} if pick else {}
    picks = state.names("qopt", ON_CURVES, optim.NAMES, scope=scope)
    names, settings = chosen(picks, quartic, scope + "q", st, defaults)
    c_starts, c_steps = st.columns(2, vertical_alignment="bottom")
    starts = widgets.text_entry(starts_setting, "start points (comma-separated)", container=c_starts)
    steps = widgets.slider_entry(steps_s, "iterations", 1, MAX_STEPS, 1, fmt="%d", integer=True, container=c_steps)
    if not names:
        st.info("Choose at least one optimizer.")
        return
    results = {n: quartic_ends(settings[n].run_settings(), tuple(starts), steps) for n in names}
    series = [(optim.spec(n).title, LOOKS[n], traj.positions[:, i, 0])
              for n, (traj, _) in results.items() for i in range(len(starts))]
    fig_col, set_col = st.columns([3, 1])
    with set_col:
        settings_panel(settings, names, key=f"w:{scope}:q-settings-of")
    with fig_col:
        layout.plotly(runs_figure(quartic, series, th), key="quartic-runs")
    if pick:
        text = (f"**Momentum over the hump, computed.** Over a grid of {len(ROLL_LRS)} learning rates × "
                f"{len(ROLL_BETAS)} values of β (one vectorized run of {ROLL_STEPS} steps from w = "
                f"{ROLL_START:g}), the EMA momentum ends in the global minimum for "
                f"{int(grid.reached.sum())} settings. At η = {pick[0]:g}, β = {pick[1]:g} (and at every neighbouring "
                "grid setting) it rolls over the hump, while gradient descent at the same η stays in the local "
                "minimum: this view starts momentum there.")
        if grid.plain_min_lr() is not None:
            text += f" Without momentum, η ≥ {grid.plain_min_lr():g} also gets across, by overshooting."
        st.markdown(text)
    rows = [ends_row(optim.spec(n).title, ends, i) for n, (_, ends) in results.items() for i in range(len(starts))]
    st.subheader("Who ends where")
    st.caption("The end of each run, the critical point (f′(w) = 0, the roots of 24w³ − 6w² − 24w + 1) nearest to it "
               "and its kind from the sign of f″ there; reached: within 10⁻³ of it.")
    table = ends_frame(rows)
    layout.dataframe(table, key="quartic-ends", height=int((40 + 36 * len(table)) * (1.4 if th.present else 1)))
    st.caption(status_criteria())
    layout.csv_download(table, "quartic_who_ends_where.csv", key="quartic-ends-csv")
    second = [n for n in names if optim.spec(n).needs_hessian]
    st.markdown("**“Second-order methods do not get stuck in local minima” (003, second-order slides).** "
                + ("Add Newton's method to test it." if not second else "Computed here:"))
    for n in second:
        for line in claim_lines(optim.spec(n).title, results[n][1]):
            st.markdown(f"- {line}")
    if second:
        st.caption("Newton's step −f′/f″ jumps to the critical point of the local parabola, whatever its kind: it "
                   "ends at the critical point its start is attracted to, a maximum as readily as a minimum. The "
                   "claim holds only for starts already attracted to the global minimum. The curvature safeguard "
                   "(its settings) uses |f″|, so it never climbs to a maximum, but it still stops in the local "
                   "minimum of its basin.")
