"""The moving-averages page: an exponential moving average of a series, its weights unrolled, Adam's bias
correction, and momentum as an average of gradients against classic momentum."""

from __future__ import annotations

import streamlit as st

from optim import averages as A
from ui import curve_views, layout, state, widgets
from viz import averages as va

SCOPE = "ema"
KINDS = {"sine": "noisy sine", "step": "step", "walk": "random walk (a price)", "typed": "numbers I type"}
CORRECTION_STEPS = (1, 2, 3, 5, 10, 20, 50, 100)
ADAM_BETAS = (0.9, 0.999)

KIND = state.choice("series", "sine", tuple(KINDS), scope=SCOPE)
TYPED = state.numbers("typed", (10, 12, 11, 15, 14, 18, 17, 20), -1e6, 1e6, 1, 200, scope=SCOPE)
LENGTH = state.integer("n", 150, 2, 1000, scope=SCOPE)
SEED = state.integer("seed", 0, 0, 9999, scope=SCOPE)
BETA = state.number("beta", 0.9, 0.0, 1.0, scope=SCOPE)
CORRECT = state.flag("corrected", True, scope=SCOPE)
BACK = state.integer("back", 20, 1, 200, scope=SCOPE)
GRAD = state.number("g", 0.5, -100.0, 100.0, scope=SCOPE)


@st.cache_data(max_entries=64, show_spinner=False)
def averaged(kind: str, typed: tuple[float, ...], n: int, seed: int, beta: float):
    x = A.demo_series(kind, n, seed, typed)
    return x, A.ema(x, beta), A.ema(x, beta, corrected=True)


th = layout.theme()
layout.header("Moving averages: momentum and bias correction",
              "An exponential moving average keeps a fading memory of a series; momentum and Adam average gradients "
              "this way, and Adam divides out the pull towards the zero it started from.")

# -- 1. a series and its average ------------------------------------------------------------------------------------
st.subheader("A series and its average")
panel, stage = layout.stage(th.present, (1.1, 3))
c = [panel] * 4 if th.present else layout.slots(4, 4)
kind = widgets.selectbox(KIND, "series", tuple(KINDS), format_func=KINDS.get, container=c[0])
if kind == "typed":
    typed = widgets.text_entry(TYPED, "values, separated by commas", container=c[1])
    n, seed = len(typed), SEED.default
else:
    typed = TYPED.default
    n = widgets.number(LENGTH, "length", 2, 1000, step=1, fmt="%d", integer=True, container=c[1])
    seed = widgets.number(SEED, "seed", 0, 9999, step=1, fmt="%d", integer=True, container=c[2]) \
        if kind != "step" else SEED.default
corrected_on = widgets.toggle(CORRECT, "show the bias-corrected average", container=c[3])
beta = widgets.slider_entry(BETA, "decay rate β (k = 1 − β)", 0.0, 1.0, 0.01, fmt="%.3f", container=panel)
result = layout.last_good("ema-series", lambda: (beta, *averaged(kind, tuple(typed), n, seed, beta)),
                          lambda: (BETA.default, *averaged(KIND.default, TYPED.default, LENGTH.default,
                                                           SEED.default, BETA.default)))
beta, x, avg, cor = result

left, right = (stage, stage) if th.present else st.columns([2.2, 1], gap="medium")
with left:
    layout.plotly(va.series_figure(x, avg, cor if corrected_on else None, beta, th), key="series")
with right:
    k = 1 - beta
    st.latex(rf"\begin{{aligned}} \text{{EMA}}_t &= k\,x_t + (1-k)\,\text{{EMA}}_{{t-1}} \\ k &= {k:.4g} \\ "
             rf"a_t &= \beta\,a_{{t-1}} + (1-\beta)\,x_t,\quad \beta = {beta:.4g} \\ "
             rf"\hat a_t &= \frac{{a_t}}{{1-\beta^t}},\qquad a_0 = 0 \end{{aligned}}")
    st.markdown(f"The notes write the average with k, the weight of today's value; optimizers write it with "
                f"β = 1 − k, the share of the old average kept. Here k = {k:.4g}, β = {beta:.4g}. "
                f"Last value: xₜ = {x[-1]:.5g}, average {avg[-1]:.5g}, corrected {cor[-1]:.5g}.")
    df = va.series_frame(x, avg, beta)
    layout.dataframe(df, key="series-table", height=260)
    layout.csv_download(df, f"ema_{kind}_beta{beta:g}.csv", key="series-csv")

# -- 2. unrolled ------------------------------------------------------------------------------------------------------
st.subheader("The average unrolled: the weight of each past value")
back = widgets.slider_entry(BACK, "values back t", 1, 200, 1, fmt="%d", integer=True)
weights = A.ema_weights(beta, back)
total, window = float(A.weight_sum(beta, back)), float(A.effective_window(beta))
left, right = (st.container(), st.container()) if th.present else st.columns([2.2, 1], gap="medium")
with left:
    layout.plotly(va.weights_figure(weights, beta, th), key="weights")
with right:
    st.latex(rf"a_t = \sum_{{j=0}}^{{t-1}} (1-\beta)\beta^j\, x_{{t-j}},\qquad \sum_{{j=0}}^{{t-1}}(1-\beta)\beta^j "
             rf"= 1 - \beta^t")
    first = ", ".join(f"{w:.6g}" for w in weights[:5])
    st.markdown(f"With β = {beta:.4g} the weights of xₜ, xₜ₋₁, xₜ₋₂, … are {first}{', …' if back > 5 else ''}. "
                f"Over t = {back} values they add up to 1 − βᵗ = **{total:.6g}**, not 1: the rest, βᵗ = "
                f"{1 - total:.6g}, is the weight of the starting value a₀ = 0. The effective window is "
                f"1/(1 − β) = **{window:.4g}** values.")
    wdf = va.weights_frame(weights)
    layout.dataframe(wdf, key="weights-table", height=240)
    layout.csv_download(wdf, f"ema_weights_beta{beta:g}_t{back}.csv", key="weights-csv")

# -- 3. bias correction ---------------------------------------------------------------------------------------------
st.subheader("Bias correction in Adam")
left, right = (st.container(), st.container()) if th.present else st.columns([1, 1.4], gap="medium")
with left:
    cdf = va.correction_frame(ADAM_BETAS, CORRECTION_STEPS)
    st.caption("The divisor 1 − βᵗ for Adam's two rates. With β₂ = 0.999 the second moment stays far too small "
               "for hundreds of steps without it.")
    layout.dataframe(cdf, key="correction-table")
    layout.csv_download(cdf, "bias_correction.csv", key="correction-csv")
    st.latex(r"\begin{aligned} m_t &= \beta_1 m_{t-1} + (1-\beta_1)\,g_t, & \hat m_t &= \frac{m_t}{1-\beta_1^t} \\ "
             r"v_t &= \beta_2 v_{t-1} + (1-\beta_2)\,g_t^2, & \hat v_t &= \frac{v_t}{1-\beta_2^t} \end{aligned}")
with right:
    g = widgets.number(GRAD, "constant gradient g", -100.0, 100.0, step=0.1, fmt="%.4g")
    moments = A.adam_moments([g] * CORRECTION_STEPS[-1], *ADAM_BETAS)
    layout.plotly(va.adam_figure(moments, g, th), key="adam")
adf = va.adam_frame(moments, CORRECTION_STEPS)
per_unit = A.adam_moments([1.0] * CORRECTION_STEPS[-1], *ADAM_BETAS)  # the averages scale as g and g²: the factors
st.markdown(f"On a constant gradient g = {g:g} the averages should be g = {g:g} and g² = {g * g:g}. Started at 0, "
            f"m₁ = {moments.m[0]:.5g} and v₁ = {moments.v[0]:.5g}; the corrected m̂ₜ and v̂ₜ are exactly g and g² at "
            f"every t. One slide divides by 1 − β instead of 1 − βᵗ: that is right only at t = 1, and by t = 100 "
            f"it gives m/(1 − β₁) = {moments.m_wrong[-1]:.5g} ({per_unit.m_wrong[-1]:.4g} g) and v/(1 − β₂) = "
            f"{moments.v_wrong[-1]:.5g} ({per_unit.v_wrong[-1]:.4g} g²)." if g else
            "On a zero gradient every average is 0, corrected or not: type another g.")
layout.dataframe(adf, key="adam-table")
layout.csv_download(adf, f"adam_moments_g{g:g}.csv", key="adam-csv")

# -- 4. momentum ----------------------------------------------------------------------------------------------------
st.subheader("Momentum: an average of gradients, or a sum")
curve_views.momentum_forms_view(SCOPE, th)
