"""The hyperparameter map's settings, declared once: surface, optimizer, the two axes with their ranges, the values
fixed in every cell, the start point, the gradient noise and the clicked cell, each URL-backed; and what a change of
one implies for the others (a new optimizer brings its axes, a new range forgets the clicked cell)."""

from __future__ import annotations

import math

import streamlit as st

import optim
import surfaces
from optim.sweep import Axis, SweepSpec

from . import state
from .function_entry import OWN, FunctionEntry
from .optimizer_settings import OptimizerSettings
from .schedule_settings import schedule_box, show_schedule

SCOPE = "map"
MAX_RESOLUTION = 200
MAX_STEPS = 2000

SURFACES = (*surfaces.names(), OWN)
SURFACE = state.choice("surface", "elongated-bowl", SURFACES, scope=SCOPE)
#: a typed f(x, y) (``?surface=own&f=...&box=...``); the default is a bowl the theory covers
OWN_FUNCTION = FunctionEntry(SCOPE, "x^2 + 10*y^2", ("x", "y"))
#: the map opens on the first featured optimizer with a velocity to tune (a theory matrix and rule variants)
FIRST = next(n for n in optim.FEATURED if optim.spec(n).iteration_matrix and optim.spec(n).variants)
OPTIMIZER = state.choice("opt", FIRST, optim.NAMES, scope=SCOPE)
CONVENTION = state.choice("conv", "notes", optim.CONVENTIONS, scope=SCOPE)
RESOLUTION = state.integer("n", 100, 2, MAX_RESOLUTION, scope=SCOPE)
DEFAULT_STEPS = 300
#: steps per run where 300 show no structure: on Rosenbrock and Beale no cell of Adam's or momentum's default map
#: converges within 300 steps; within 2,000 a band does (75 and 27 of 40 x 40 on Rosenbrock, 465 and 264 on Beale)
MAP_STEPS = {"rosenbrock": 2000, "beale": 2000}
SEED = state.integer("seed", 0, 0, 2**31 - 1, scope=SCOPE)


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError("not a number") from None
    if not math.isfinite(value):
        raise ValueError("not finite")
    return value


class MapSettings:
    """The settings of the map for the current surface and optimizer (read from the URL-backed state)."""

    def __init__(self):
        self.surface = current(state.get(SURFACE))
        self.opt = state.get(OPTIMIZER)
        self.spec = optim.spec(self.opt)
        self.convention = state.get(CONVENTION)
        # the values fixed in every cell and the noise, named without a prefix: ``?beta=0.8&noise=2``
        self.own = OptimizerSettings(SCOPE, self.opt, self.surface, self.convention, prefix=False, scale_lr=False)

    # -- settings ----------------------------------------------------------------------------------------------
    @property
    def steps(self) -> state.Setting:
        """Steps of every run: enough on this surface for the map to show where runs converge."""
        return state.integer("steps", MAP_STEPS.get(self.surface.name, DEFAULT_STEPS), 1, MAX_STEPS, scope=SCOPE)

    @property
    def axis_params(self) -> tuple[str, ...]:
        return tuple(h.name for h in self.spec.hyperparameters if h.sweepable)

    def axis(self, which: str) -> state.Setting:
        if which == "x":
            return state.choice("x", "lr", self.axis_params, scope=SCOPE)
        rest = self.axis_params[1:]
        return state.choice("y", rest[0] if rest else "none", self.axis_params + ("none",), scope=SCOPE)

    def default_range(self, param: str) -> tuple[float, float]:
        h = self.spec.hyperparameter(param)
        d = self.spec.defaults_for(self.surface.name)[param]
        if param == "lr":  # four decades around the surface's default learning rate
            return max(h.low, float(f"{d / 100:.3g}")), min(h.high, float(f"{d * 100:.3g}"))
        if not h.log and h.low == 0.0 and h.high < 1:  # a decay rate from 0
            return 0.0, 0.99
        return h.low, h.high

    def range(self, param: str, which: str) -> tuple[state.Setting, state.Setting]:
        h = self.spec.hyperparameter(param)
        lo, hi = self.default_range(param)
        return (state.number(f"{which}lo", lo, h.low, h.high, scope=SCOPE),
                state.number(f"{which}hi", hi, h.low, h.high, scope=SCOPE))

    def fixed(self, param: str) -> state.Setting:
        return self.own.hyper(self.spec.hyperparameter(param))

    def starts(self) -> list[state.Setting]:
        names = ("x0", "y0")[: self.surface.dim]
        return [state.number(n, self.surface.starts[0][k], *self.surface.bounds[k], scope=SCOPE)
                for k, n in enumerate(names)]

    def noise(self) -> state.Setting | None:
        """The gradient noise (or mini-batch size) of an optimizer defined with a noisy gradient."""
        if not self.spec.noisy_by_default:
            return None
        return self.own.batch() if self.surface.n_samples else self.own.noise()

    def chosen_params(self) -> tuple[str, ...]:
        x, y = state.get(self.axis("x")), state.get(self.axis("y"))
        return (x,) if y in ("none", x) else (x, y)

    def cell(self, params: tuple[str, ...]) -> state.Setting:
        """The clicked cell, by its hyperparameter values (``?cell=0.01,0.9``): it survives a change of resolution
        and snaps to the nearest cell. By default, the cell of the surface's default hyperparameters."""
        d = self.spec.defaults_for(self.surface.name)
        return state.sequence("cell", tuple(float(d[p]) for p in params), _number, show_item=state.format_float,
                              min_count=len(params), max_count=len(params), what="numbers", scope=SCOPE)

    def schedule(self, steps: int):
        """The expander "Schedule and clipping" of a first-order optimizer and its choice: (the expander, the
        schedule, the clipping); (None, None, None) for a method that chooses its own step length."""
        return schedule_box(SCOPE, int(steps)) if self.spec.first_order else (None, None, None)

    def show_schedule(self, box, spec: SweepSpec, index: tuple[int, int], th) -> None:
        """η_t of the clicked cell in the expander (every cell's schedule starts from its own η)."""
        if box is None:
            return
        show_schedule(box, spec.schedule, spec.clip, {self.opt: spec.cell_hyperparameters(index)["lr"]}, spec.steps,
                      th, key="schedule")
        if spec.schedule or spec.clip:
            box.caption(r"Every cell runs with this schedule and clipping, its $\eta_t$ from its own η; the figure "
                        "shows the clicked cell's.")

    def sweep_spec(self, axes, fixed: dict, start, steps: int, n: int, noise, seed: int, schedule=None,
                   clip=None) -> SweepSpec:
        kind = "batch_size" if self.surface.n_samples else "noise"
        return SweepSpec(self.surface.name, self.opt, start, int(steps),
                         tuple(Axis(p, lo, hi, int(n), log=log) for p, lo, hi, log in axes), tuple(fixed.items()),
                         self.convention, seed=int(seed), schedule=schedule, clip=clip,
                         **({kind: noise} if noise is not None else {}))

    # -- callbacks ---------------------------------------------------------------------------------------------
    def reset_cell(self) -> None:
        params = self.chosen_params()
        d = self.spec.defaults_for(self.surface.name)
        state.set_value(self.cell(params), tuple(float(d[p]) for p in params))

    def reset_axis(self, which: str) -> None:
        param = state.get(self.axis(which))
        if param != "none":
            for setting, value in zip(self.range(param, which), self.default_range(param)):
                state.set_value(setting, value)
        self.reset_cell()

    def reset_all(self) -> None:
        """A new surface or optimizer: its axes, ranges, fixed values, start point and cell from their defaults."""
        state.set_value(self.axis("x"), "lr")
        state.set_value(self.axis("y"), self.axis("y").default)
        self.own.reset()
        for setting in self.starts():
            state.set_value(setting, setting.default)
        self.reset_axis("x")
        self.reset_axis("y")

    def reset_surface(self) -> None:
        """A new surface: its number of steps, then everything a new optimizer resets."""
        state.set_value(self.steps, self.steps.default)
        self.reset_all()

    def swap_if_same(self, changed: str) -> None:
        """Both axes on one hyperparameter make no map: the other axis takes the one this axis left."""
        xs, ys = self.axis("x"), self.axis("y")
        x, y = state.get(xs), state.get(ys)
        if x == y:
            others = [p for p in self.axis_params if p != x]
            if changed == "x":
                state.set_value(ys, others[0] if others else "none")
            else:
                state.set_value(xs, others[0])
        self.reset_axis("x")
        self.reset_axis("y")

    def select_cell(self, values) -> None:
        params = self.chosen_params()
        state.set_value(self.cell(params), tuple(float(v) for v in values[: len(params)]))


def current(name: str):
    """The catalog's surface ``name``, or the typed function for ``own``."""
    return OWN_FUNCTION.surface() if name == OWN else surfaces.get(name)


def surface_title(name: str) -> str:
    return "Your own function f(x, y)" if name == OWN else surfaces.get(name).title


def on_change(method: str, *args):
    """A widget callback that calls ``MapSettings().<method>(*args)`` with the settings current when it fires."""
    return lambda: getattr(MapSettings(), method)(*args)


def on_click() -> None:
    """A click on the map selects the cell under it (stored by its hyperparameter values)."""
    points = (st.session_state.get("map-chart") or {}).get("selection", {}).get("points", [])
    if points:
        MapSettings().select_cell((points[0]["x"], points[0].get("y")))
