"""A fair race on the playground: the switch "same settings" / "each tuned", the tuning of every selected
optimizer by the sweep engine (``optim.tuning``, one vectorized grid per optimizer, a progress bar), and the tuned
values written into the optimizers' own URL settings, so that the race runs with them and a link reproduces it.

The tuned values are applied when what the tuning depends on changes (the surface, the start, the steps, the
criterion, an optimizer's other settings): a learning rate moved by hand afterwards stays as moved. Going back to
"same settings" restores the values from before the tuning.
"""

from __future__ import annotations

import math
from dataclasses import replace

import streamlit as st

import optim
from optim.tuning import (BAND_FACTOR, CRITERIA, CRITERIA_LATEX, LR_PER_DECADE, MOMENTUM_COUNT, Tuning, tune,
                          tuning_axes, tuning_spec)
from viz.style import Theme
from viz.tuning import band_figure, tuning_frame

from . import layout, state, widgets
from .optimizer_settings import OptimizerSettings, RunSettings

MODES = {"same": "Same settings", "tuned": "Each tuned"}


def mode_setting(scope: str) -> state.Setting:
    return state.choice("race", "same", tuple(MODES), scope=scope)


def criterion_setting(scope: str) -> state.Setting:
    return state.choice("crit", "mean-log", tuple(CRITERIA), scope=scope)


def tuned_params(name: str) -> set[str]:
    return {a.param for a in tuning_axes(name)}


@st.cache_data(max_entries=256, show_spinner=False)
def tuned_one(surface_name: str, base: RunSettings, start: tuple, steps: int, seed: int, criterion: str,
              tol: float, measure: str) -> Tuning:
    """One optimizer tuned: its grid as one sweep call, with every setting but the tuned ones as given."""
    spec = tuning_spec(surface_name, base.name, start, steps, fixed=dict(base.hyper), options=base.options,
                       noise=base.noise, batch_size=base.batch_size, seed=seed, schedule=base.schedule,
                       clip=base.clip)
    return tune(spec, criterion, tol=tol, measure=measure)


def _with(rs: RunSettings, values: dict) -> RunSettings:
    return replace(rs, hyper=tuple((h, float(values.get(h, v))) for h, v in rs.hyper))


def _set(o: OptimizerSettings, rs: RunSettings, values: dict) -> None:
    options = dict(rs.options)
    for p, v in values.items():
        state.set_value(o.hyper(o.spec.hyperparameter(p), options), float(v))


def panel(scope: str, surface, settings: dict[str, OptimizerSettings], configs: dict[str, RunSettings], start,
          steps: int, seed: int, *, tol: float, measure: str, container=None):
    """The switch (and the criterion); in "each tuned", tune every optimizer of ``configs`` and return
    ``(configs with the tuned values, {name: Tuning})``; otherwise ``(configs, None)``."""
    box = container or st.container()
    c_mode, c_crit, c_bar = box.columns([1.5, 1.7, 2.8], vertical_alignment="bottom")
    mode = widgets.segmented(mode_setting(scope), "Race", tuple(MODES), format_func=MODES.get, container=c_mode,
                             help="Same settings: every optimizer runs with the values of its own sliders. Each "
                                  "tuned: every optimizer gets the learning rate (and β or β₁) that does best on "
                                  "this surface, start and number of steps, by the criterion beside.")
    saved_key, applied_key = f"{scope}:before-tuning", f"{scope}:tuned-key"
    if mode != "tuned":
        before = st.session_state.pop(saved_key, None)
        st.session_state.pop(applied_key, None)
        if before and before[0] == surface.name:  # back to the hand-set values (a new surface brought its own)
            for name, values in before[1].items():
                if name in configs:
                    _set(settings[name], configs[name], values)
                    configs = configs | {name: _with(configs[name], values)}
        return configs, None
    criterion = widgets.selectbox(criterion_setting(scope), "Tuned by", tuple(CRITERIA), format_func=CRITERIA.get,
                                  container=c_crit, help="What the tuning minimizes, for every optimizer alike.")
    steps_based = criterion == "steps"
    tunings = {}
    key = [surface.name, tuple(start), int(steps), int(seed), criterion] + ([tol, measure] if steps_based else [])
    bar = c_bar.progress(0.0, text="Tuning…")
    for k, (name, rs) in enumerate(configs.items()):
        base = replace(rs, hyper=tuple((h, v) for h, v in rs.hyper if h not in tuned_params(name)))
        key.append(base)
        bar.progress(k / len(configs), text=f"Tuning {optim.spec(name).title} ({k + 1} of {len(configs)})…")
        try:
            tunings[name] = tuned_one(surface.name, base, tuple(start), int(steps), int(seed), criterion,
                                      float(tol) if steps_based else 1e-3, measure if steps_based else "loss")
        except ValueError as exc:
            st.warning(f"{optim.spec(name).title} could not be tuned: {widgets.quote(str(exc), 160)}",
                       icon=":material/tune:")
    bar.empty()
    key = tuple(key)
    if st.session_state.get(applied_key) != key:  # something the tuning depends on changed: apply it
        if saved_key not in st.session_state:
            st.session_state[saved_key] = (surface.name, {name: {p: v for p, v in rs.hyper if p in tuned_params(name)}
                                                          for name, rs in configs.items()})
        for name, t in tunings.items():
            _set(settings[name], configs[name], t.best_hyper)
            configs = configs | {name: _with(configs[name], t.best_hyper)}
        st.session_state[applied_key] = key
    return configs, tunings


def show(tunings: dict[str, Tuning] | None, th: Theme) -> None:
    """The tuned values, the criterion and each optimizer's good band (a table and a strip per optimizer)."""
    if not tunings:
        return
    first = next(iter(tunings.values()))
    criterion = first.criterion
    factor = BAND_FACTOR[criterion]
    st.markdown(f"**Each tuned** by the {CRITERIA[criterion]}: $\\;{CRITERIA_LATEX[criterion]}$, smaller is "
                "better; $f^*$ is the lowest listed minimum (where the surface lists none, the lowest loss the grid "
                "reached).")
    st.caption(f"Each optimizer ran on a grid of learning rates, {LR_PER_DECADE} per decade over its own range, "
               f"and of β or β₁ ({MOMENTUM_COUNT} values from 0 to 0.99) where it has one, all from this start for "
               "these steps; the race "
               "uses the best cell. A diverged run counts as worst. The good band: the learning rates next to the "
               "tuned one (with its β held) whose criterion is "
               + (f"at most {factor:g} times the best number of steps" if criterion == "steps" else
                  f"within log₁₀ {factor:g} = {math.log10(factor):g} of the best (a gap f − f* within a factor "
                  f"{factor:g})")
               + "; its width in decades says how forgiving the optimizer is.")
    layout.dataframe(tuning_frame(tunings), key="tuning")
    layout.plotly(band_figure(tunings, th), key="bands")
