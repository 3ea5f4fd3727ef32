"""The activations page: each activation function with its formula, curve and derivative and where its gradient
vanishes; several compared; softmax on logits you type."""

from __future__ import annotations

import streamlit as st

from nets import activations as A
from ui import layout, state, widgets
from viz import activations as va

SCOPE = "act"
VIEWS = {"one": "One function", "compare": "Compare", "softmax": "Softmax"}
KEYS = tuple(A.activations())
CONVENTIONS = {"pytorch": "x/6 + ½ (PyTorch, Keras 3)", "keras2": "0.2x + ½ (Keras 2)"}

VIEW = state.choice("view", "one", tuple(VIEWS), scope=SCOPE)
FN = state.choice("fn", "sigmoid", KEYS, scope=SCOPE)
SHOW = state.names("show", ("relu", "sigmoid", "tanh"), KEYS, scope=SCOPE)
REACH = state.number("reach", 6.0, 1.0, 20.0, scope=SCOPE)
HARD = state.choice("hard", "pytorch", tuple(CONVENTIONS), scope=SCOPE)
LOGITS = state.vector("z", (2.0, 0.0, -2.0, -3.0), low=-500.0, high=500.0, max_count=10, scope=SCOPE)

th = layout.theme()
layout.header("Activations", "The nonlinearity after each layer's weighted sum, and how much gradient it lets back "
                             "through.")
view = widgets.segmented(VIEW, "View", tuple(VIEWS), format_func=VIEWS.get, label_visibility="collapsed")
hard = state.get(HARD)
acts = A.activations(hard)

if view in ("one", "compare"):
    controls, picture = st.columns([1, 2.4], gap="medium")
    with controls:
        c = layout.slots(3, 1)
        if view == "one":
            key = widgets.selectbox(FN, "activation", KEYS, format_func=lambda k: acts[k].name, container=c[0])
            keys = (key,)
        else:
            keys = widgets.multiselect(SHOW, "activations", KEYS, format_func=lambda k: acts[k].name, container=c[0])
        reach = widgets.slider_entry(REACH, "inputs from −x to x", 1.0, 20.0, 0.5, fmt="%.1f", container=c[1])
        if "hard_sigmoid" in keys:
            widgets.selectbox(HARD, "hard sigmoid's slope", tuple(CONVENTIONS), format_func=CONVENTIONS.get,
                              container=c[2])
    with picture:
        if view == "one":
            act = acts[key]
            left, right = st.columns(2)
            left.latex(rf"\text{{{act.name}}}:\ f(x) = {act.latex}")
            right.latex(rf"f'(x) = {act.dlatex}")
            st.caption(f"Output range {act.range_text}.")
            layout.plotly(va.one_figure(act, th, reach), key="one")
            st.markdown(va.vanishing_text(act, reach))
            st.caption(f"A unit whose input falls in the shaded range passes back less than {A.VANISH:g} of the "
                       "gradient it receives: stacked over layers, such factors multiply towards zero.")
        elif keys:
            layout.plotly(va.compare_figure(keys, acts, th, reach), key="compare")
            for col, k in zip(layout.slots(len(keys), 1 if th.present else 2), keys):
                col.latex(rf"\text{{{acts[k].name}}}:\ {acts[k].latex}")
        else:
            st.info("Pick at least one activation.")
    if keys:
        df = va.samples_frame(keys, acts)
        st.subheader("At a few inputs")
        layout.dataframe(df, key="samples")
        layout.csv_download(df, "activations.csv", key="samples-csv")
        if "relu" in keys:
            st.caption("ReLU has no derivative at exactly 0; like PyTorch and Keras, the table takes it as 0.")
    if view == "one" and key == "relu":
        st.markdown("**A slip in the notes:** they write ReLU as Φ = (0, α), a pair; the function is "
                    "Φ = max(0, α), with α = Σᵢ xᵢwᵢ the unit's weighted input.")
else:
    z = widgets.text_entry(LOGITS, "logits z (up to 10 numbers, commas or spaces)")
    df = va.softmax_frame(z)
    left, right = (st.container(), st.container()) if th.present else st.columns([1.2, 1], gap="medium")
    with left:
        layout.plotly(va.softmax_figure(df, th), key="softmax")
    with right:
        st.latex(r"\operatorname{softmax}(z)_k = \frac{e^{z_k}}{\sum_j e^{z_j}} = "
                 r"\frac{e^{z_k - \max z}}{\sum_j e^{z_j - \max z}}")
        st.markdown(va.softmax_sum_text(df))
        st.caption("Subtracting the largest logit changes nothing (it cancels) and keeps e^z from overflowing: "
                   "try a logit of 500. Adding the same number to every logit leaves the probabilities as they are.")
        st.markdown("**Check against the notes:** their example probabilities 0.86, 0.11, 0.015, 0.005 add up to "
                    "0.99, not 1: they are rounded. The default logits 2, 0, −2, −3 give "
                    f"{', '.join(va.short(p) for p in A.softmax([2.0, 0.0, -2.0, -3.0]))}.")
    layout.dataframe(df, key="softmax-table")
    layout.csv_download(df, "softmax.csv", key="softmax-csv")
