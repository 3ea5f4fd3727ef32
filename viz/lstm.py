"""Figures and tables of the LSTM page: every gate at every step, gradients through time, and the memory task.
Plotly and pandas only; the numbers come from ``nets.lstm``."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from nets import GradientFlow, LSTMCache, LSTMParams, MemoryComparison

from .style import Theme, figure, subplots

RNN = "#D55E00"  #: the vanilla RNN
LSTM = "#0072B2"  #: the LSTM (hidden state)
LSTM_C = "#56B4E9"  #: the LSTM's cell state
CHANCE = "#777777"
CURRENT = "#E69F00"  #: the outline of the current time step

#: the rows of the cell picture: cache field, symbol (HTML), name, LaTeX symbol, kind of range
QUANTITIES = (
    ("f", "f", "forget gate", "f_t", "gate"),
    ("i", "i", "input gate", "iₜ", "gate"),
    ("c_tilde", "c̃", "candidate", r"\tilde c_t", "signed"),
    ("o", "o", "output gate", "o_t", "gate"),
    ("c", "c", "cell state", "c_t", "signed"),
    ("h", "h", "hidden state", "h_t", "signed"),
)
GATE_SCALE = [[0.0, "#FFFFFF"], [1.0, "#0B4F8A"]]  #: 0 = closed (white) .. 1 = open (dark blue)
SIGNED_SCALE = [[0.0, "#B2182B"], [0.5, "#FFFFFF"], [1.0, "#2166AC"]]  #: negative red, 0 white, positive blue


def _f(x: float, digits: int = 3) -> str:
    """A number for LaTeX, 3 decimals, negative numbers in parentheses when they follow an operator."""
    return f"{x:.{digits}f}"


def _p(x: float, digits: int = 3) -> str:
    return f"({_f(x, digits)})" if x < 0 else _f(x, digits)


def _series(cache: LSTMCache, field: str, b: int = 0) -> np.ndarray:
    """(T, H) values of a gate or state for sequence b; c and h without their initial state."""
    a = getattr(cache, field)
    return (a[1:] if field in ("c", "h") else a)[:, b, :]


# -- one cell, every gate at every step ----------------------------------------------------------------------------

def cell_frame(cache: LSTMCache, b: int = 0) -> pd.DataFrame:
    """One row per time step (and hidden unit when H > 1): the input and every gate and state."""
    T, _, H = cache.f.shape
    rows = []
    for t in range(T):
        for k in range(H):
            row = {"t": t + 1}
            if H > 1:
                row["unit"] = k + 1
            for d in range(cache.xs.shape[2]):
                row["xₜ" if cache.xs.shape[2] == 1 else f"xₜ[{d + 1}]"] = float(cache.xs[t, b, d])
            for field, symbol, *_ in QUANTITIES:
                row[f"{symbol}ₜ"] = float(_series(cache, field, b)[t, k])
            rows.append(row)
    return pd.DataFrame(rows)


def cell_heatmap(cache: LSTMCache, th: Theme, *, current: int | None = None, b: int = 0) -> go.Figure:
    """The input and, for every hidden unit, the four gates, the cell state and the hidden state as coloured cells
    with their values printed in them; columns are time steps. ``current`` (1-based) is outlined."""
    T, _, H = cache.f.shape
    xs = cache.xs[:, b, :]
    D = xs.shape[1]
    heights = [D] + [H] * len(QUANTITIES)
    fig = subplots(rows=len(heights), cols=1, shared_xaxes=True, row_heights=heights,
                        vertical_spacing=th.lstm.row_spacing)
    t = np.arange(1, T + 1)
    signed_max = max(1.0, float(np.max(np.abs(cache.c[1:, b]))))
    x_max = max(1e-9, float(np.max(np.abs(xs))))
    size = th.lstm.heat_font

    def unit_labels(name: str, symbol: str, n: int) -> list[str]:
        if n == 1:
            return [f"{name} <b>{symbol}</b><sub>t</sub>"]
        return [f"{name} <b>{symbol}</b><sub>t</sub> · {k + 1}" for k in range(n)]

    fig.add_trace(go.Heatmap(z=xs.T, x=t, y=unit_labels("input", "x", D), coloraxis="coloraxis3",
                             texttemplate="%{z:.2f}", textfont=dict(size=size), xgap=2, ygap=2,
                             hovertemplate="t = %{x}<br>x<sub>t</sub> = %{z:.5f}<extra></extra>"), 1, 1)
    for r, (field, symbol, name, _, kind) in enumerate(QUANTITIES, start=2):
        z = _series(cache, field, b).T
        fig.add_trace(go.Heatmap(z=z, x=t, y=unit_labels(name, symbol, H),
                                 coloraxis="coloraxis" if kind == "gate" else "coloraxis2",
                                 texttemplate="%{z:.2f}", textfont=dict(size=size), xgap=2, ygap=2,
                                 hovertemplate=f"t = %{{x}}<br>{symbol}<sub>t</sub> = %{{z:.5f}}<extra></extra>"),
                      r, 1)
    row_px = th.lstm.row_px
    fig.update_layout(
        coloraxis=dict(colorscale=GATE_SCALE, cmin=0.0, cmax=1.0, showscale=False),
        coloraxis2=dict(colorscale=SIGNED_SCALE, cmin=-signed_max, cmax=signed_max, showscale=False),
        coloraxis3=dict(colorscale=SIGNED_SCALE, cmin=-x_max, cmax=x_max, showscale=False),
        margin=dict(l=10, r=10, t=10, b=10),
    )
    fig.update_xaxes(showgrid=False, tickmode="array", tickvals=t, ticks="")
    fig.update_xaxes(title_text="time step t", row=len(heights), col=1)
    fig.update_yaxes(showgrid=False, autorange="reversed", ticks="")
    if current is not None and 1 <= current <= T:
        fig.add_shape(type="rect", x0=current - 0.5, x1=current + 0.5, y0=0, y1=1, xref="x", yref="paper",
                      line=dict(color=CURRENT, width=th.lstm.current_width), fillcolor="rgba(0,0,0,0)",
                      layer="above")
    return figure(fig.data, fig.layout, th, height=int(row_px * sum(heights) + 70 + 6 * len(heights)), legend=False)


def step_frame(cache: LSTMCache, z: np.ndarray, t: int, b: int = 0) -> pd.DataFrame:
    """Step ``t`` (1-based) for every hidden unit: what came in, each gate before and after squashing, what
    went out."""
    k = t - 1
    H = cache.f.shape[2]
    return pd.DataFrame({
        "unit": np.arange(1, H + 1),
        "hₜ₋₁": cache.h[k, b], "cₜ₋₁": cache.c[k, b],
        "z (forget)": z[k, b, 0], "fₜ": cache.f[k, b],
        "z (input)": z[k, b, 1], "iₜ": cache.i[k, b],
        "z (candidate)": z[k, b, 2], "c̃ₜ": cache.c_tilde[k, b],
        "z (output)": z[k, b, 3], "oₜ": cache.o[k, b],
        "cₜ": cache.c[k + 1, b], "hₜ": cache.h[k + 1, b],
    })


def step_latex(params: LSTMParams, cache: LSTMCache, z: np.ndarray, t: int, unit: int = 1, b: int = 0) -> str:
    """The notes' equations at step ``t`` (1-based) for one hidden unit, with this cell's numbers in them.

    For a single hidden unit the dot product :math:`W_g[h_{t-1}, x_t]` is written out term by term."""
    k, u = t - 1, unit - 1
    H = params.hidden_size
    hx = cache.hx[k, b]
    names = (("f", "f_t", r"\sigma"), ("i", "iₜ", r"\sigma"), ("c", r"\tilde c_t", r"\tanh"),
             ("o", "o_t", r"\sigma"))
    values = (cache.f, cache.i, cache.c_tilde, cache.o)
    lines = []
    for g, ((gname, sym, fn), val) in enumerate(zip(names, values)):
        w = params.W[g, u]
        if H == 1:
            terms = " + ".join(f"{_p(wj)}\\cdot{_p(vj)}" for wj, vj in zip(w, hx))
            expand = rf"{terms} + {_p(params.b[g, u])}"
        else:
            expand = rf"W_{gname}[h_{{t-1}}, x_t] + b_{gname}"
        lines.append(rf"{sym} &= {fn}({expand}) = {fn}({_f(z[k, b, g, u])}) = \mathbf{{{_f(val[k, b, u])}}}")
    f, i, g_, o = (a[k, b, u] for a in values)
    c_prev, c_new, h_new = cache.c[k, b, u], cache.c[k + 1, b, u], cache.h[k + 1, b, u]
    lines.append(rf"c_t &= f_t\,c_{{t-1}} + i_t\,\tilde c_t = {_f(f)}\cdot{_p(c_prev)} + {_f(i)}\cdot{_p(g_)} = "
                 rf"\mathbf{{{_f(c_new)}}}")
    lines.append(rf"h_t &= o_t \tanh(c_t) = {_f(o)}\cdot\tanh({_f(c_new)}) = \mathbf{{{_f(h_new)}}}")
    return r"\begin{aligned}" + r" \\ ".join(lines) + r"\end{aligned}"


def weights_frame(params: LSTMParams) -> pd.DataFrame:
    """The cell's weights, one row per gate and hidden unit: the weights on h_{t-1}, on x_t, and the bias."""
    H, D = params.hidden_size, params.input_size
    rows = []
    for g, name in enumerate(("forget f", "input i", "candidate c̃", "output o")):
        for u in range(H):
            row = {"gate": name, "unit": u + 1}
            for j in range(H):
                row[f"w on hₜ₋₁[{j + 1}]" if H > 1 else "w on hₜ₋₁"] = float(params.W[g, u, j])
            for d in range(D):
                row[f"w on xₜ[{d + 1}]" if D > 1 else "w on xₜ"] = float(params.W[g, u, H + d])
            row["bias b"] = float(params.b[g, u])
            rows.append(row)
    return pd.DataFrame(rows)


# -- gradients through time -----------------------------------------------------------------------------------------

def gradient_frame(flow: GradientFlow) -> pd.DataFrame:
    f = np.concatenate([[np.nan], flow.forget_gate])  # no gate before the first step
    return pd.DataFrame({"t": flow.steps, "RNN ‖∂h(T)/∂hₜ‖": flow.rnn, "LSTM ‖∂h(T)/∂hₜ‖": flow.lstm_h,
                         "LSTM ‖∂h(T)/∂cₜ‖": flow.lstm_c, "mean forget gate fₜ": f})


def _positive(a: np.ndarray) -> np.ndarray:
    """Values for a log axis: zeros and non-finite values are left out (NaN)."""
    a = np.asarray(a, dtype=float).copy()
    a[~(np.isfinite(a) & (a > 0))] = np.nan
    return a


def gradient_figure(flow: GradientFlow, th: Theme) -> go.Figure:
    """Gradient norms against the time step (log scale), and the LSTM's mean forget gate below."""
    T = int(flow.steps[-1])
    fig = subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.74, 0.26], vertical_spacing=0.08,
                        subplot_titles=("how much of the gradient reaches step t",
                                        "LSTM forget gate f<sub>t</sub> (mean over units)"))
    lw = th.line
    for y, name, color, dash in ((flow.rnn, "vanilla RNN ‖∂h<sub>T</sub>/∂h<sub>t</sub>‖", RNN, "solid"),
                                 (flow.lstm_h, "LSTM ‖∂h<sub>T</sub>/∂h<sub>t</sub>‖", LSTM, "solid"),
                                 (flow.lstm_c, "LSTM ‖∂h<sub>T</sub>/∂c<sub>t</sub>‖ (cell state)", LSTM_C, "dash")):
        fig.add_trace(go.Scatter(x=flow.steps, y=_positive(y), mode="lines", name=name,
                                 line=dict(color=color, width=lw, dash=dash),
                                 hovertemplate="t = %{x}<br>norm %{y:.3e}<extra>" + name + "</extra>"), 1, 1)
    fig.add_trace(go.Scatter(x=flow.steps[1:], y=flow.forget_gate, mode="lines", name="f<sub>t</sub>",
                             line=dict(color=LSTM, width=lw), showlegend=False,
                             hovertemplate="t = %{x}<br>f = %{y:.4f}<extra></extra>"), 2, 1)
    fig.add_annotation(x=0.98, y=0.04, xref="x domain", yref="y domain", xanchor="right", yanchor="bottom",
                       text="← the gradient flows backwards from h<sub>T</sub>", showarrow=False,
                       font=dict(size=th.font - 1, color="#333"), bgcolor="rgba(255,255,255,0.8)")
    fig.update_yaxes(type="log", exponentformat="power", title_text="Frobenius norm", dtick=_decade_step(flow),
                     row=1, col=1)
    fig.update_yaxes(range=[0, 1.05], title_text="f<sub>t</sub>", row=2, col=1)
    fig.update_xaxes(title_text="time step t", range=[-0.5, T + 0.5], row=2, col=1)
    fig.update_layout(legend=dict(orientation="h", yanchor="bottom", y=1.06, x=0, xanchor="left"),
                      margin=dict(t=th.lstm.gradient_margin_top))
    return figure(fig.data, fig.layout, th, height=th.height + 140)


def _decade_step(flow: GradientFlow) -> int:
    """Tick every 10^k decades so that a log axis spanning 60 decades does not print 60 labels."""
    vals = np.concatenate([_positive(flow.rnn), _positive(flow.lstm_h), _positive(flow.lstm_c)])
    vals = vals[np.isfinite(vals)]
    if vals.size == 0:
        return 1
    span = math.log10(vals.max()) - math.log10(vals.min())
    return max(1, int(math.ceil(span / 8)))


def times_ten(x: float) -> str:
    """1.9e-10 as 1.9 × 10⁻¹⁰ (and plain decimals between 0.01 and 1000)."""
    if not math.isfinite(x):
        return "∞" if x > 0 else "undefined"
    if x == 0 or 0.01 <= abs(x) < 1000:
        return f"{x:.3g}"
    mant, exp = f"{x:.1e}".split("e")
    sup = str(int(exp)).translate(str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹"))
    return f"{mant} × 10{sup}"


def gradient_verdict(ratio: float) -> str:
    """What happened to a gradient that is ``ratio`` times its size after flowing back to t = 0."""
    if not math.isfinite(ratio) or ratio > 1e3:
        return f"exploded: {times_ten(ratio)} times its size at T"
    if ratio < 1e-3:
        return f"vanished: {times_ten(ratio)} of its size at T"
    return f"survived: {times_ten(ratio)} times its size at T"


def gradient_texts(flow: GradientFlow) -> tuple[str, str, str]:
    """The explanation under the gradient figure, what happened in this run, and a note on the measurement."""
    ratios = gradient_summary(flow)
    explanation = (
        r"Backpropagating from the last output $h_T$ to step t multiplies T − t Jacobians. In the RNN each one is "
        r"$\mathrm{diag}(1 - h_k^2)\, W_h$: when they shrink vectors the product shrinks geometrically (**vanishing "
        "gradient**: the early steps get no learning signal), when they stretch them it grows (**exploding "
        "gradient**). The LSTM's cell state adds a path that is only multiplied by the forget gate, here "
        f"$f_t$ = {float(np.mean(flow.forget_gate)):.2f} on average.")
    verdict = (f"**Here, from t = T back to t = 0,** the RNN's gradient {gradient_verdict(ratios['rnn'])}; "
               f"the LSTM's {gradient_verdict(ratios['lstm_h'])}.")
    note = (f"Norms are Frobenius norms of the H × H Jacobians at the initial weights; both start at "
            f"√H = {float(flow.rnn[-1]):.2f} for $\\partial h_T/\\partial h_T = I$. The RNN's $W_h$ is a seeded "
            f"Gaussian matrix rescaled to spectral radius {flow.rnn_spectral_radius:.2f}.")
    return explanation, verdict, note


def gradient_summary(flow: GradientFlow) -> dict[str, float]:
    """How much of the gradient is left after flowing from T back to 0: the ratio of the norm at t = 0 to the
    norm at t = T, for each curve."""
    return {name: float(a[0] / a[-1]) for name, a in (("rnn", flow.rnn), ("lstm_h", flow.lstm_h),
                                                      ("lstm_c", flow.lstm_c))}


# -- the memory task ------------------------------------------------------------------------------------------------

def memory_example_figure(xs: np.ndarray, label: float, th: Theme) -> go.Figure:
    """One input sequence of the task: the sign at t = 1 (with the marker channel on), then noise."""
    T = xs.shape[0]
    t = np.arange(1, T + 1)
    colors = ["#000"] + ["#BBBBBB"] * (T - 1)
    fig = go.Figure(go.Bar(x=t, y=xs[:, 0], marker_color=colors, name="channel 1: sign, then noise",
                           hovertemplate="t = %{x}<br>x = %{y:.3f}<extra></extra>"))
    fig.add_trace(go.Scatter(x=[1], y=[xs[0, 0]], mode="markers+text", text=["remember this"],
                             textposition="top right" if xs[0, 0] > 0 else "bottom right",
                             marker=dict(color=RNN, size=th.marker + 4, symbol="star"),
                             textfont=dict(size=th.font - 1, color=RNN), name="the bit (marker channel = 1)"))
    fig.add_annotation(x=T, y=1.0, xref="x", yref="paper", xanchor="right", yanchor="bottom", showarrow=False,
                       text=f"label: {'+1' if label > 0.5 else '−1'} (read out from h<sub>T</sub> after step {T})",
                       font=dict(size=th.font - 1))
    fig.update_xaxes(title_text="time step t")
    fig.update_yaxes(title_text="x<sub>t</sub>")
    fig.update_layout(margin=dict(t=34, b=10))
    return figure(fig.data, fig.layout, th, height=th.lstm.example_height, legend=False)


def memory_figure(comp: MemoryComparison, th: Theme) -> go.Figure:
    """Held-out accuracy and training loss of both models against the Adam step."""
    fig = subplots(rows=1, cols=2, horizontal_spacing=th.lstm.memory_spacing,
                        subplot_titles=("accuracy on 500 held-out sequences", "training loss (each mini-batch)"))
    for curves, name, color in ((comp.lstm, "LSTM", LSTM), (comp.rnn, "vanilla RNN", RNN)):
        fig.add_trace(go.Scatter(x=curves.eval_steps, y=curves.eval_accuracy * 100, mode="lines+markers",
                                 name=name, line=dict(color=color, width=th.line), legendgroup=name,
                                 marker=dict(size=th.marker * 0.5, color=color),
                                 hovertemplate=f"{name}<br>step %{{x}}<br>accuracy %{{y:.1f}}%<extra></extra>"),
                      1, 1)
        fig.add_trace(go.Scatter(x=np.arange(curves.loss.size), y=curves.loss, mode="lines", name=name,
                                 line=dict(color=color, width=max(1.0, th.line * 0.6)), legendgroup=name,
                                 showlegend=False,
                                 hovertemplate=f"{name}<br>step %{{x}}<br>loss %{{y:.4f}}<extra></extra>"), 1, 2)
    fig.add_hline(y=50, line=dict(color=CHANCE, dash="dot", width=2), row=1, col=1,
                  annotation_text="chance 50%", annotation_position="bottom right")
    fig.add_hline(y=math.log(2), line=dict(color=CHANCE, dash="dot", width=2), row=1, col=2,
                  annotation_text="ln 2: guessing", annotation_position="top right")
    fig.update_yaxes(title_text="accuracy (%)", range=[0, 104], row=1, col=1)
    fig.update_yaxes(title_text="cross-entropy", rangemode="tozero", row=1, col=2)
    fig.update_xaxes(title_text="Adam step")
    fig.update_layout(legend=dict(orientation="h", yanchor="bottom", y=1.1, x=0, xanchor="left"),
                      margin=dict(t=th.lstm.memory_margin_top))
    return figure(fig.data, fig.layout, th, height=th.height)


def memory_frame(comp: MemoryComparison) -> pd.DataFrame:
    """Held-out accuracy (in %, as the chart and the text) and loss of both models at every evaluation step."""
    return pd.DataFrame({"step": comp.lstm.eval_steps, "LSTM accuracy (%)": 100 * comp.lstm.eval_accuracy,
                         "LSTM loss": comp.lstm.eval_loss, "RNN accuracy (%)": 100 * comp.rnn.eval_accuracy,
                         "RNN loss": comp.rnn.eval_loss})


def first_step_above(curves, level: float = 0.95) -> int | None:
    """The first evaluation step at which the held-out accuracy reached ``level``."""
    hit = np.flatnonzero(curves.eval_accuracy >= level)
    return int(curves.eval_steps[hit[0]]) if hit.size else None


def memory_findings(comp: MemoryComparison) -> list[str]:
    """What the two runs did, in sentences written from their curves."""
    out = []
    for curves, name in ((comp.lstm, "LSTM"), (comp.rnn, "vanilla RNN")):
        acc = curves.final_accuracy * 100
        first = first_step_above(curves)
        if first is not None:
            how = f"reached 95% after {first} steps and ended at **{acc:.1f}%**"
        elif acc >= 60:
            how = f"learned part of it: **{acc:.1f}%** at the end"
        else:
            how = f"stayed near chance: **{acc:.1f}%** at the end"
        out.append(f"The {name} {how}.")
    return out
