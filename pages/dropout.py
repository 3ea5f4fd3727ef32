"""The dropout page: keep probability against drop rate, the inverted-dropout scale, a live mask on a small
layer in training and the pass at inference, and the spread of the number of active units."""

from __future__ import annotations

import numpy as np
import streamlit as st

from nets import dropout as D
from ui import layout, state, widgets
from viz import dropout as vd

SCOPE = "drop"
MEANINGS = {"keep": "keep probability p (the notes)", "drop": "drop rate 1 − p (PyTorch, Keras)"}
MODES = {"train": "training", "infer": "inference"}
SCALINGS = {"inverted": "inverted: ×1/p in training (PyTorch, Keras)", "original": "original paper: ×p at inference"}
TRIALS = 4000

VALUE = state.number("value", 0.8, 0.0, 1.0, scope=SCOPE)
MEANING = state.choice("means", "keep", tuple(MEANINGS), scope=SCOPE)
UNITS = state.integer("n", 12, 2, 64, scope=SCOPE)
SEED = state.integer("seed", 0, 0, 9999, scope=SCOPE)
MODE = state.choice("mode", "train", tuple(MODES), scope=SCOPE)
SCALING = state.choice("scaling", "inverted", tuple(SCALINGS), scope=SCOPE)


def redraw():
    state.set_value(SEED, (state.get(SEED) + 1) % 10_000)


th = layout.theme()
layout.header("Dropout", "In training, switch off a random share of a layer's units at every step, so that no unit "
                         "can rely on any other.")
controls, picture = st.columns([1, 2.2], gap="medium")
with controls:
    c = layout.slots(6, 1)
    meaning = widgets.selectbox(MEANING, "the number below is the", tuple(MEANINGS), format_func=MEANINGS.get,
                                container=c[0])
    value = widgets.slider_entry(VALUE, "keep probability p" if meaning == "keep" else "drop rate",
                                 0.0, 1.0, 0.05, fmt="%.2f", container=c[1])
    n = widgets.slider_entry(UNITS, "units in the layer", 2, 64, 1, fmt="%d", integer=True, container=c[2])
    mode = widgets.segmented(MODE, "pass", tuple(MODES), format_func=MODES.get, container=c[3])
    scaling = widgets.selectbox(SCALING, "scaling", tuple(SCALINGS), format_func=SCALINGS.get, container=c[4])
    seed = state.get(SEED)
    c[5].button("new mask", on_click=redraw, icon=":material/casino:", disabled=mode != "train",
                help=f"Draw another mask (seed {seed} now).")
    if not th.present:
        st.caption(f"Mask seed {seed}.")

keep = layout.last_good("dropout-keep", lambda: D.keep_probability(value, meaning),
                        lambda: D.keep_probability(VALUE.default, MEANING.default))
inverted = scaling == "inverted"
x = vd.layer_inputs(n)
train = D.dropout(x, keep, training=True, inverted=inverted, rng=np.random.default_rng(seed))
infer = D.dropout(x, keep, training=False, inverted=inverted)
masks = np.random.default_rng(seed).random((TRIALS, n)) < keep
average = D.dropout(np.broadcast_to(x, (TRIALS, n)), keep, mask=masks, inverted=inverted).y.mean(axis=0)
mean, sd = D.active_units(n, keep)

with picture:
    cols = st.columns(4)
    cols[0].metric("keep p", f"{keep:.4g}", help="The keep probability.")
    cols[1].metric("drop rate", f"{1 - keep:.4g}", help="1 − p, what PyTorch and Keras take.")
    cols[2].metric("scale", f"×{train.scale:.4g}" if inverted else "×1")
    cols[3].metric("units kept", f"{mean:.3g} ± {sd:.3g}", help="Mean n·p and standard deviation √(n·p·(1 − p)).")
    shown = train if mode == "train" else infer
    layout.plotly(vd.layer_figure(shown, th, mode == "train"), key="layer")
    if mode == "train":
        st.caption(f"This step keeps {int(train.mask.sum())} of {n} units. "
                   + (f"The survivors are multiplied by 1/p = {1 / keep:.4g}, so each unit's output is right *on "
                      "average*: the last column of the table averages over "
                      f"{TRIALS} masks and lands near $x_i$." if inverted else
                      "The survivors pass unchanged; the whole layer is multiplied by p at inference instead."))
    else:
        st.caption("At inference every unit is on. With inverted dropout nothing is scaled: the output is the input. "
                   if inverted else f"At inference every unit is on and multiplied by p = {keep:.4g}, the share that "
                                    "was on during training.")
    st.latex(r"m_i \sim \text{Bernoulli}(p),\qquad y_i = " +
             (r"\begin{cases} m_i\,x_i/p & \text{training}\\ x_i & \text{inference}\end{cases}" if inverted else
              r"\begin{cases} m_i\,x_i & \text{training}\\ p\,x_i & \text{inference}\end{cases}")
)
    st.latex(r"\mathbb E[\#\text{kept}] = np,\qquad \text{sd}(\#\text{kept}) = \sqrt{np(1-p)}")

left, right = (st.container(), st.container()) if th.present else st.columns([1.5, 1], gap="medium")
with left:
    st.subheader("The layer, unit by unit")
    df = vd.layer_frame(train, infer, average)
    layout.dataframe(df, key="layer-table")
    layout.csv_download(df, f"dropout_p{keep:g}_n{n}_seed{seed}.csv", key="layer-csv")
with right:
    st.subheader("How many units survive")
    counts = masks.sum(axis=1)
    layout.plotly(vd.count_figure(n, keep, counts, th, int(train.mask.sum()) if mode == "train" else None),
                  key="counts")
    st.caption(f"{TRIALS} seeded masks: {counts.mean():.4g} units kept on average (formula {mean:.4g}), sd "
               f"{counts.std():.3g} (formula {sd:.3g}). The orange line is the mask drawn above.")

st.subheader("Two things the notes blur")
st.markdown(
    "- **Keep probability or drop rate?** The notes call their number the probability of *training* a unit, where "
    "1.0 means no dropout: a keep probability. Then they recommend a larger value, 0.8, for input layers. As a keep "
    "probability that is right (drop only 20% of the inputs); read as a drop rate, as `torch.nn.Dropout(p=0.8)` or "
    "`keras.layers.Dropout(0.8)` would, it throws away 80% of the input. Switch the meaning above to see both.\n"
    "- **Never on the output layer.** The output units are the answer itself: dropping one would set a class score "
    "or a regression output to 0 at random, and the loss would punish the network for noise it cannot control. "
    "Dropout belongs on the hidden (and possibly the input) layers, where other units can take over.")
