"""The initializers page: each initializer's formula from fan-in and fan-out and a sampled matrix against its
density; then the depth experiment: a batch through many layers with each initializer."""

from __future__ import annotations

import numpy as np
import streamlit as st

from nets import init as I
from ui import layout, state, widgets
from viz import initializers as vi

SCOPE = "init"
VIEWS = {"sample": "One initializer", "depth": "Why it matters: 10 to 50 layers"}
LINES = tuple(I.EXPERIMENT_LINES)

VIEW = state.choice("view", "sample", tuple(VIEWS), scope=SCOPE)
INIT = state.choice("init", "he_normal", tuple(I.INITIALIZERS), scope=SCOPE)
FAN_IN = state.integer("fanin", 256, 1, 1024, scope=SCOPE)
FAN_OUT = state.integer("fanout", 128, 1, 1024, scope=SCOPE)
MEAN = state.number("mean", 0.0, -1.0, 1.0, scope=SCOPE)
STD = state.number("std", 0.05, 0.001, 2.0, scope=SCOPE)
LOW = state.number("a", -0.05, -2.0, 2.0, scope=SCOPE)
HIGH = state.number("b", 0.05, -2.0, 2.0, scope=SCOPE)
CONST = state.number("c", 0.1, -2.0, 2.0, scope=SCOPE)
SEED = state.integer("seed", 1234, 0, 9999, scope=SCOPE)
ACT = state.choice("act", "relu", ("relu", "tanh"), scope=SCOPE)
LAYERS = state.integer("layers", 20, 2, I.MAX_LAYERS, scope=SCOPE)
WIDTH = state.integer("width", 128, 8, I.MAX_WIDTH, scope=SCOPE)
BATCH = state.integer("batch", 128, 8, I.MAX_BATCH, scope=SCOPE)
SMALL = state.number("small", 0.05, 0.001, 0.5, scope=SCOPE)
LARGE = state.number("large", 0.5, 0.01, 2.0, scope=SCOPE)
SHOW = state.names("lines", LINES, LINES, scope=SCOPE)
DSEED = state.integer("dseed", 0, 0, 9999, scope=SCOPE)
DEFAULTS = {"mean": MEAN.default, "stddev": STD.default, "minval": LOW.default, "maxval": HIGH.default,
            "value": CONST.default}


@st.cache_data(max_entries=64, show_spinner=False)
def table(fan_in: int, fan_out: int, params: tuple, seed: int):
    return vi.spread_frame(fan_in, fan_out, dict(params), seed)


@st.cache_data(max_entries=32, show_spinner=False)
def experiment(lines: tuple, activation: str, layers: int, width: int, batch: int, small: float, large: float,
               seed: int) -> I.DepthRun:
    return I.depth_experiment(lines, activation=activation, layers=layers, width=width, batch=batch,
                              small_sigma=small, large_sigma=large, seed=seed)


th = layout.theme()
layout.header("Initializers", "Where a network's first weights come from, and why their spread decides whether a "
                              "deep network can learn at all.")
view = widgets.segmented(VIEW, "View", tuple(VIEWS), format_func=VIEWS.get, label_visibility="collapsed")

if view == "sample":
    controls, picture = st.columns([1, 2.2], gap="medium")
    with controls:
        c = layout.slots(6, 1)
        name = widgets.selectbox(INIT, "initializer", tuple(I.INITIALIZERS), format_func=vi.NAMES.get, container=c[0])
        fan_in = widgets.slider_entry(FAN_IN, "fan_in (inputs per unit)", 1, 1024, 1, fmt="%d", integer=True,
                                      container=c[1])
        fan_out = widgets.slider_entry(FAN_OUT, "fan_out (units)", 1, 1024, 1, fmt="%d", integer=True, container=c[2])
        mean, std, low, high, const = (state.get(s) for s in (MEAN, STD, LOW, HIGH, CONST))
        if name in ("random_normal", "truncated_normal"):
            mean = widgets.slider_entry(MEAN, "mean μ", -1.0, 1.0, 0.01, fmt="%.2f", container=c[3])
            std = widgets.slider_entry(STD, "stddev σ", 0.001, 2.0, 0.001, fmt="%.3f", container=c[4])
        elif name == "random_uniform":
            low = widgets.slider_entry(LOW, "minval a", -2.0, 2.0, 0.01, fmt="%.2f", container=c[3])
            high = widgets.slider_entry(HIGH, "maxval b", -2.0, 2.0, 0.01, fmt="%.2f", container=c[4])
        elif name == "constant":
            const = widgets.slider_entry(CONST, "value c", -2.0, 2.0, 0.01, fmt="%.2f", container=c[3])
        seed = widgets.number(SEED, "seed", 0, 9999, step=1, fmt="%d", integer=True, container=c[5])
    params = {"mean": mean, "stddev": std, "minval": low, "maxval": high, "value": const}
    result = layout.last_good("init-spec", lambda: (I.spec(name, fan_in, fan_out, **params),
                                                    table(fan_in, fan_out, tuple(sorted(params.items())), seed)),
                              lambda: (I.spec(name, fan_in, fan_out, **DEFAULTS),
                                       table(fan_in, fan_out, tuple(sorted(DEFAULTS.items())), seed)))
    if result is not None:
        s, df = result
        w = I.sample(s, (fan_in, fan_out), np.random.default_rng(seed))
        with picture:
            left, right = st.columns(2)
            left.latex(vi.FORMULAS[name])
            right.latex(vi.numbers_latex(name, s, fan_in, fan_out))
            layout.plotly(vi.histogram_figure(w, s, th, f"{vi.NAMES[name]}: a {fan_in} × {fan_out} weight matrix"),
                          key="histogram")
            st.caption(f"Seed {seed}: sample mean {w.mean():.5g}, sample sd {w.std():.5g}, largest |w| "
                       f"{np.abs(w).max():.5g}. The normal forms of Glorot, He and LeCun are drawn from a plain normal, "
                       "as PyTorch does; Keras draws them from a normal cut at 2σ and widened by 1/0.8796, which has "
                       "the same sd.")
        st.subheader(f"Every initializer at fan_in = {fan_in}, fan_out = {fan_out}")
        layout.dataframe(df, key="spread-table", height=38 + 35 * len(df))
        layout.csv_download(df, f"initializers_{fan_in}x{fan_out}.csv", key="spread-csv")
    st.markdown(
        f"- **TruncatedNormal is narrower than its σ:** redrawing everything beyond 2σ removes the tails, leaving a "
        f"standard deviation of {I.truncated_std_factor():.4f} σ (the table's sample agrees).\n"
        "- **Uniform or normal, same spread:** a uniform on [−ℓ, ℓ] has variance ℓ²/3, so ℓ = √(3g/n) matches "
        "σ = √(g/n); hence the 6 in Glorot's and He's limits, and LeCun uniform's ℓ = √(3/fan_in), which the notes "
        "leave out.\n"
        "- **A slip in the notes:** their RandomUniform example has minval = −0.5 and maxval = 0.05, a range whose "
        "mean is −0.225, nowhere near 0. Keras's default is −0.05 to 0.05; the −0.5 is most likely a typo "
        "(type a = −0.5 above to see the lopsided histogram).")
else:
    c = layout.slots(4, 2 if th.present else 4)
    activation = widgets.segmented(ACT, "activation", ("relu", "tanh"), container=c[0])
    layers = widgets.slider_entry(LAYERS, "layers", 2, I.MAX_LAYERS, 1, fmt="%d", integer=True, container=c[1])
    width = widgets.slider_entry(WIDTH, "units per layer", 8, I.MAX_WIDTH, 8, fmt="%d", integer=True, container=c[2])
    batch = widgets.slider_entry(BATCH, "batch size", 8, I.MAX_BATCH, 8, fmt="%d", integer=True, container=c[3])
    c = layout.slots(3, 3)
    small = widgets.slider_entry(SMALL, "small σ (too low)", 0.001, 0.5, 0.001, fmt="%.3f", container=c[0])
    large = widgets.slider_entry(LARGE, "large σ (too high)", 0.01, 2.0, 0.01, fmt="%.2f", container=c[1])
    seed = widgets.number(DSEED, "seed", 0, 9999, step=1, fmt="%d", integer=True, container=c[2])
    lines = widgets.multiselect(SHOW, "initializers", LINES)
    if not lines:
        st.info("Pick at least one initializer.")
        st.stop()
    with st.spinner("Pushing the batch through the layers…"):
        run = experiment(tuple(lines), activation, layers, width, batch, small, large, seed)
    st.latex(r"h_0 = x \sim \mathcal N(0, 1),\quad h_l = " + ("\\max(0,\\ h_{l-1}W_l)" if activation == "relu"
                                                              else "\\tanh(h_{l-1}W_l)")
             + r",\quad \frac{\partial L}{\partial h_L} \sim \mathcal N(0, 1),\quad "
               r"\frac{\partial L}{\partial W_l} = h_{l-1}^\top \delta_l")
    layout.plotly(vi.depth_figure(run, th, activation), key="depth")
    st.caption(f"What was measured: one batch of {batch} inputs drawn from N(0, 1) (seed {seed}) through {layers} "
               f"layers of {width} {activation} units, no biases, every weight matrix {width} × {width} drawn from "
               "the initializer; then a random upstream gradient (also N(0, 1)) backpropagated. Left: the variance of "
               "each layer's outputs over the batch and the units. Right: the variance of each layer's weight "
               "gradient. Log scale; a line that stops has hit exactly 0 or overflowed.")
    st.subheader("What happened")
    st.markdown("\n".join(f"- {t}" for t in vi.depth_findings(run, activation)))
    summary = vi.depth_summary(run, activation)
    layout.dataframe(summary, key="depth-summary")
    layout.csv_download(vi.depth_frame(run), f"initializers_depth_{activation}_{layers}x{width}_seed{seed}.csv",
                        key="depth-csv", label="Download every layer (CSV)")
    st.caption("He's σ = √(2/fan_in) makes up for ReLU zeroing half of its inputs, so the variance stays put layer "
               "after layer; Glorot and LeCun are a factor of 2 too small for ReLU and shrink it by about half per "
               "layer, and suit tanh better (it still shrinks slowly there). A fixed σ ignores the fan-in: too small "
               "vanishes; too large explodes with ReLU and saturates tanh, whose outputs pile up at ±1. Verdicts: "
               "Var(h) at the last layer over the first, above 100 explodes, above 3 grows, below 1/3 shrinks, below "
               "1/100 vanishes; saturates = more than half of the last layer's tanh outputs pass under 1% of the "
               "gradient.")
