"""The settings of one optimizer on a page, derived from its spec: its hyperparameters, its rule variants and its
gradient noise or mini-batch size, each a URL-backed setting; the widgets that show them; what a run needs.

Nothing here knows an optimizer by name: symbols, ranges, variants, defaults per surface and the learning-rate
conversion between momentum forms all come from ``optim.spec(name)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

import optim
from viz.style import LOOKS

from . import state, widgets

#: mini-batch sizes a slider offers (the full batch is the largest)
BATCH_STOPS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000)
MAX_NOISE = 1000.0


@dataclass(frozen=True)
class RunSettings:
    """What one run of an optimizer depends on, as plain hashable values (a cache key)."""

    name: str
    hyper: tuple[tuple[str, float], ...]
    options: tuple[tuple[str, object], ...]
    noise: float
    batch_size: int | None
    schedule: object = None  #: an ``optim.schedules.Schedule`` (frozen, hashable) or None
    clip: object = None  #: an ``optim.schedules.Clip`` or None

    def optimizer(self) -> optim.Optimizer:
        return optim.make(self.name, **dict(self.hyper), **dict(self.options), schedule=self.schedule, clip=self.clip)

    def run_kwargs(self) -> dict:
        return {"noise": self.noise, "batch_size": self.batch_size}


class OptimizerSettings:
    """One optimizer's settings on a page (``scope``), for a surface and a convention.

    ``prefix`` names them in the URL: ``adam.lr``, ``adam.bc`` on the playground, ``lr`` on a page of one
    optimizer. With ``scale_lr`` the starting learning rate follows the momentum form (the classic form's is
    (1 - β) times the EMA form's, so both open on the same path).
    """

    def __init__(self, scope: str, name: str, surface, convention: str, *, prefix: bool = True,
                 scale_lr: bool = True, defaults: dict[str, float] | None = None):
        self.spec = optim.spec(name)
        self.name, self.scope, self.surface, self.convention = name, scope, surface, convention
        self.key = f"{name}." if prefix else ""
        self.scale_lr = scale_lr
        self.overrides = dict(defaults or {})  #: a view's own starting hyperparameters (a computed preset)

    # -- the settings ------------------------------------------------------------------------------------------
    def variant(self, v: optim.Variant) -> state.Setting:
        default = self.spec.options_for(self.surface, self.convention)[v.option]
        if isinstance(default, bool):
            return state.flag(f"{self.key}{v.url}", default, scope=self.scope)
        return state.choice(f"{self.key}{v.url}", default, tuple(v.labels), scope=self.scope)

    def options(self, peek: bool = False) -> dict:
        read = self.peek if peek else state.get
        return {v.option: read(self.variant(v)) for v in self.spec.variants}

    def default(self, h: optim.Hyperparameter, options: dict | None = None) -> float:
        if h.name in self.overrides:
            return float(self.overrides[h.name])
        if h.name == "lr" and self.scale_lr:
            return self.spec.start_lr(self.surface.name, options if options is not None else self.options(peek=True))
        return self.spec.defaults_for(self.surface.name)[h.name]

    def hyper(self, h: optim.Hyperparameter, options: dict | None = None) -> state.Setting:
        d = self.default(h, options)
        return state.number(f"{self.key}{h.name}", d, min(h.low, d), max(h.high, d), scope=self.scope)

    def noise(self) -> state.Setting | None:
        """Gradient noise sigma on an analytic surface (its default from ``optim.gradient_noise``)."""
        if self.surface.n_samples is not None or not self.spec.accepts_noise:
            return None
        default = optim.gradient_noise(self.surface, self.name)[0]
        return state.number(f"{self.key}noise", default, 0.0, MAX_NOISE, scope=self.scope)

    def batch(self) -> state.Setting | None:
        """The mini-batch size on a surface of samples (the full batch unless the optimizer is SGD)."""
        n = self.surface.n_samples
        if n is None or not self.spec.accepts_noise:
            return None
        default = optim.gradient_noise(self.surface, self.name)[1] or n
        return state.integer(f"{self.key}batch", default, 1, n, scope=self.scope)

    def peek(self, s: state.Setting):
        """A setting's value without registering it for the URL (an optimizer that is not shown)."""
        return st.session_state.get(s.state_key, s.default)

    # -- what a run needs --------------------------------------------------------------------------------------
    def run_settings(self, schedule=None, clip=None) -> RunSettings:
        """What a run needs; a learning-rate ``schedule`` and gradient ``clip`` apply to a first-order optimizer only."""
        options = self.options()
        hyper = tuple((h.name, float(state.get(self.hyper(h, options)))) for h in self.spec.hyperparameters)
        ns, bs = self.noise(), self.batch()
        first = self.spec.first_order
        return RunSettings(self.name, hyper, tuple(sorted(options.items())),
                           float(state.get(ns)) if ns else 0.0, int(state.get(bs)) if bs else None,
                           schedule if first else None, clip if first else None)

    # -- changes -----------------------------------------------------------------------------------------------
    def reset(self) -> None:
        """Hyperparameters, noise and batch size back to their defaults for the surface (a new surface brings its
        own); the rule variants stay, except those the surface decides (CG's and BFGS's line search)."""
        own = self.spec.surface_options(self.surface) if self.spec.surface_options else {}
        for option, value in own.items():
            state.set_value(self.variant(self.spec.variant(option)), value)
        options = self.options(peek=True)
        for s in [self.hyper(h, options) for h in self.spec.hyperparameters] + [self.noise(), self.batch()]:
            if s:
                state.set_value(s, s.default)

    def apply_convention(self) -> None:
        options = self.spec.options_for(self.surface, self.convention)
        for v in self.spec.variants:
            state.set_value(self.variant(v), options[v.option])

    def follow_options(self, seen: dict) -> None:
        """When this optimizer's options changed since the last run (``seen`` remembers them), convert its
        learning rate so that the path stays the same (``OptimizerSpec.convert_lr``)."""
        options = self.options(peek=True)
        old = seen.get(self.name, options)
        seen[self.name] = options
        if old == options or "lr" not in self.spec.defaults:
            return
        h = self.spec.hyperparameter("lr")
        beta = self.peek(self.hyper(self.spec.hyperparameter("beta"), options)) if "beta" in self.spec.defaults else 0.0
        lr_s = self.hyper(h, options)
        lr = self.spec.convert_lr(self.peek(lr_s), beta, old, options)
        state.set_value(lr_s, float(f"{min(max(lr, h.low), h.high):.6g}"))

    # -- widgets -----------------------------------------------------------------------------------------------
    def controls(self, container) -> None:
        """The hyperparameters, rule variants and gradient noise (or mini-batch) of this optimizer."""
        options = self.options()
        for h in self.spec.shown_hyperparameters(options):
            s = self.hyper(h, options)
            if h.log:  # the learning rate gets an exact entry too; ε and λmin their log stops
                widgets.log_slider_entry(s, h.label, h.low, h.high, container=container, help=h.meaning,
                                         entry=h.name == "lr", stacked=True)
            else:
                widgets.slider(s, h.label, h.low, h.high, 0.001, fmt="%.3f", container=container, help=h.meaning)
        for v in self.spec.variants:
            widgets.segmented(self.variant(v), v.title, tuple(v.labels), format_func=v.labels.get, container=container)
        ns, bs = self.noise(), self.batch()
        if ns:
            widgets.slider(ns, "gradient noise σ", 0.0, MAX_NOISE if state.get(ns) > 100 else 100.0, 0.1, fmt="%.1f",
                           container=container, help="Gaussian noise of this standard deviation is added to each "
                           "coordinate of every gradient.")
        if bs:
            n = self.surface.n_samples
            widgets.select_slider(bs, "mini-batch size B", BATCH_STOPS, container=container,
                                  format_func=lambda v: f"{v:,}" + (" = all" if v >= n else ""),
                                  help=f"Samples per gradient, drawn at random at every step; all {n:,} give the "
                                       "exact full-batch gradient.")
        container.caption(self.spec.summary)


def settings_panel(settings: dict[str, OptimizerSettings], selected, *, key: str, then=None) -> None:
    """One optimizer's settings at a time (a chooser among ``selected``), its title in its colour; ``then`` draws
    below them."""
    if st.session_state.get(key) not in selected:
        st.session_state[key] = selected[0]
    name = st.selectbox("Settings of", selected, format_func=lambda n: optim.spec(n).title, key=key,
                        help="Each optimizer has its own learning rate and settings: choose whose to change.")
    st.markdown(f"<span style='color:{LOOKS[name].color};font-weight:700'>{optim.spec(name).title}</span>",
                unsafe_allow_html=True)
    settings[name].controls(st)
    if then:
        then()
