"""The learning-rate schedule and gradient clipping of a page's first-order optimizers: URL-backed settings, their
controls in an expander, the figure of η_t, and the RunSettings of every optimizer with them.

A setting outside its range in a link falls back to its default with a notice (``ui.state``); a combination that
makes no sense (a warm-up longer than the run) gets a one-line message and the run keeps the default (no
schedule, no clipping).
"""

from __future__ import annotations

import streamlit as st

import optim
from optim.schedules import KINDS, Clip, Schedule
from viz.schedules import schedule_figure
from viz.style import Theme

from . import layout, state, widgets
from .optimizer_settings import OptimizerSettings, RunSettings

LABELS = {"constant": "constant", "step": "step decay", "exponential": "exponential", "inverse-time": "inverse time",
          "cosine": "cosine annealing", "cosine-restarts": "cosine with warm restarts"}
CLIPS = {"off": "off", "norm": "by global norm", "value": "by value"}
MAX_PERIOD = 10_000
_D = Schedule()
#: field -> (URL name, label, low, high, whole number, help)
FIELDS = {
    "gamma": ("gamma", "decay factor γ", 1e-6, 1.0, False, "η is multiplied by γ (0 < γ ≤ 1)"),
    "step_size": ("period", "period s", 1, MAX_PERIOD, True, "steps between two decays"),
    "decay": ("decay", "decay k", 0.0, 1e3, False, r"$\eta_t = \eta / (1 + k t)$"),
    "t_max": ("tmax", "half period T", 1, MAX_PERIOD, True, r"$\eta_t$ reaches $\eta_{min}$ at t = T"),
    "eta_min": ("etamin", r"lowest rate $\eta_{min}$", 0.0, 10.0, False, "the cosine's floor"),
    "t0": ("t0", "first period T₀", 1, MAX_PERIOD, True, "steps before the first restart"),
    "t_mult": ("tmult", "period factor m", 1, 10, True, "each period is m times the last"),
    "warmup": ("warmup", "warm-up N", 0, MAX_PERIOD, True, r"$\eta_t$ rises linearly from 0 over the first N steps"),
}


class ScheduleSettings:
    """The schedule and clipping settings of one page (``scope``)."""

    def __init__(self, scope: str):
        self.kind = state.choice("sched", "constant", KINDS, scope=scope)
        make = lambda f, url, low, high, whole: (  # noqa: E731
            state.integer(url, getattr(_D, f), low, high, scope=scope) if whole
            else state.number(url, getattr(_D, f), low, high, scope=scope))
        self.fields = {f: make(f, url, low, high, whole) for f, (url, _, low, high, whole, _) in FIELDS.items()}
        self.clip_kind = state.choice("clip", "off", tuple(CLIPS), scope=scope)
        self.clip_size = state.number("clipc", 1.0, 1e-6, 1e6, scope=scope)

    def chosen(self, steps: int) -> tuple[Schedule | None, Clip | None, str | None]:
        """The schedule and clipping of the settings, or the defaults (None) and the one-line reason."""
        kind = state.get(self.kind)
        values = {f: state.get(self.fields[f]) for f in (*Schedule.parameters(kind), "warmup")}
        clip_kind = state.get(self.clip_kind)
        try:
            schedule = Schedule(kind, **values)
            schedule.check_steps(steps)
            clip = Clip(**{clip_kind: state.get(self.clip_size)}) if clip_kind != "off" else None
        except ValueError as exc:
            return None, None, f"{exc}: no schedule and no clipping"
        return (schedule if schedule.active else None), clip, None

    def controls(self, container) -> None:
        kind = widgets.selectbox(self.kind, "Learning-rate schedule", KINDS, format_func=LABELS.get, container=container,
                                 help=r"$\eta_t$ of step t (from 0, as torch's schedulers): the first update uses "
                                      r"$\eta_0$.")
        names = (*Schedule.parameters(kind), "warmup")
        for f, col in zip(names, container.columns(len(names))):
            _, label, low, high, whole, text = FIELDS[f]
            widgets.number(self.fields[f], label, low, high, container=col, integer=whole, help=text,
                           step=1 if whole else None)
        c_kind, c_size = container.columns(2)
        clip = widgets.segmented(self.clip_kind, "Gradient clipping", tuple(CLIPS), format_func=CLIPS.get,
                                 container=c_kind, help="As torch.nn.utils.clip_grad_norm_ / clip_grad_value_, "
                                 "per trajectory, before the update.")
        if clip != "off":
            widgets.number(self.clip_size, "largest norm c" if clip == "norm" else "largest |g| c", 1e-6, 1e6,
                           container=c_size)


def schedule_box(scope: str, steps: int):
    """The expander "Schedule and clipping" with its controls: (the expander, to draw in later, the schedule and
    the clipping chosen, each None when off or when the settings make no sense: then a one-line message)."""
    ss = ScheduleSettings(scope)
    box = st.expander("Schedule and clipping", expanded=state.get(ss.kind) != "constant"
                      or state.get(ss.clip_kind) != "off" or state.get(ss.fields["warmup"]) > 0)
    ss.controls(box)
    schedule, clip, problem = ss.chosen(steps)
    if problem:
        box.warning(problem[0].upper() + problem[1:], icon=":material/error:")
    return box, schedule, clip


def show_schedule(box, schedule: Schedule | None, clip: Clip | None, rates: dict[str, float], steps: int,
                  th: Theme, *, without: bool = False, key: str = "schedule") -> None:
    """In ``box``: the schedule's formula and η_t against t for each optimizer in ``rates`` (name -> its η), the
    clipping's formula, and (``without``) that the methods choosing their own step run without them."""
    if schedule is not None and rates:
        box.latex(schedule.latex())
        with box:
            layout.plotly(schedule_figure(schedule, rates, steps, th), key=key)
    if clip is not None:
        box.latex(clip.latex())
    if (schedule or clip) and without:
        box.caption("Newton's method, conjugate gradients and BFGS choose their own step length: they run without "
                    "a schedule or clipping.")


def schedule_panel(scope: str, settings: dict[str, OptimizerSettings], selected, steps: int,
                   th: Theme) -> dict[str, RunSettings]:
    """The expander "Schedule and clipping" (controls, η_t against t, the formulas) and every selected optimizer's
    RunSettings with them (Newton, CG and BFGS choose their own step: they run without)."""
    box, schedule, clip = schedule_box(scope, steps)
    configs = {name: settings[name].run_settings(schedule, clip) for name in selected}
    first = {n: dict(c.hyper)["lr"] for n, c in configs.items() if optim.spec(n).first_order}
    show_schedule(box, schedule, clip, first, steps, th, without=len(first) < len(configs))
    return configs
