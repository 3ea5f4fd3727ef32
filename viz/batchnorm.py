"""Figures and tables of the Batch Normalization page: the four steps as histograms, running averages, and the
learning-rate experiment. Plotly and pandas only; the numbers come from ``nets.batchnorm`` and ``nets.toy``."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from nets.batchnorm import BatchNormCache, RunningTrace
from nets.toy import LRExperiment

from .style import SERIES_COLORS, STATUS_COLORS, Theme, figure, format_number, subplots

BAR = "#0072B2"  #: histogram bars
ONE = "#D55E00"  #: example 1, followed through the steps
PLAIN = "#000000"  #: the network without BN
WITH_BN = "#0072B2"  #: the network with BN
POPULATION = "#009E73"  #: what the batches are drawn from
OUTCOME_COLORS = {"trained": STATUS_COLORS["converged"], "slow": STATUS_COLORS["running"],
                  "stuck": "#CC3311", "diverged": STATUS_COLORS["diverged"]}
OUTCOME_WORDS = {"trained": "trained", "slow": "slow", "stuck": "stuck", "diverged": "overflowed"}

#: the four stages of the forward pass: column name, axis symbol (HTML), one-line meaning
STAGES = (
    ("hᵢ", "h", "the batch as it arrives"),
    ("hᵢ − μ", "h − μ", "minus the batch mean"),
    ("ĥᵢ", "ĥ", "divided by the spread"),
    ("yᵢ", "y = γĥ + β", "rescaled and shifted"),
)


def _num(x: float, digits: int = 4) -> str:
    """A compact number for labels and formulas (the tables carry 5 decimals); rounding noise shows as 0."""
    if abs(x) < 1e-10:
        return "0"
    return format_number(x) if abs(x) >= 1e4 else f"{x:.{digits}g}".replace("-", "−")


def _tex(x: float, digits: int = 4) -> str:
    """A number for LaTeX: powers of ten as such (1e-05 is 10^{-5})."""
    if x != 0 and (abs(x) < 1e-3 or abs(x) >= 1e4):
        mant, exp = f"{x:.{digits - 1}e}".split("e")
        mant = mant.rstrip("0").rstrip(".")
        return (f"{mant} \\cdot " if mant not in ("1", "-1") else "-" if mant == "-1" else "") + f"10^{{{int(exp)}}}"
    return _num(x, digits).replace("−", "-")


# -- the four steps ---------------------------------------------------------------------------------------------

def stage_values(cache: BatchNormCache, feature: int = 0) -> list[np.ndarray]:
    """The batch at each stage: h, h − μ, ĥ, y (one feature)."""
    return [a[:, feature] for a in (cache.x, cache.x_centered, cache.x_hat, cache.y)]


def steps_frame(cache: BatchNormCache, feature: int = 0) -> pd.DataFrame:
    """One row per example: i and its value at every stage, at full precision."""
    df = pd.DataFrame({"i": np.arange(1, cache.x.shape[0] + 1)})
    for (name, _, _), values in zip(STAGES, stage_values(cache, feature)):
        df[name] = values
    return df


def summary_frame(cache: BatchNormCache, feature: int = 0) -> pd.DataFrame:
    """Mean, variance (divided by m) and standard deviation of each stage's column, computed over the batch.

    The first column shows μ and σ², the ĥ column 0 and (nearly) 1, the y column β and about γ².
    """
    rows = {"over the batch": ["mean", "variance (÷ m)", "standard deviation"]}
    for (name, _, _), values in zip(STAGES, stage_values(cache, feature)):
        mean = float(np.mean(values))
        var = float(np.mean((values - mean) ** 2))
        rows[name] = [mean + 0.0, var, math.sqrt(var)]
    return pd.DataFrame(rows)


def step_formulas(cache: BatchNormCache, feature: int = 0) -> list[str]:
    """LaTeX for each stage with this batch's numbers: the mean, the spread, normalization, rescaling."""
    mu, sigma = float(cache.mu[feature]), float(cache.sigma[feature])
    denom, gamma, beta = float(cache.denom[feature]), float(cache.gamma[feature]), float(cache.beta[feature])
    if cache.eps_in_sqrt:
        norm = r"\hat h_i = \frac{h_i - \mu}{\sqrt{\sigma^2 + \epsilon}}"
    else:
        norm = r"\hat h_i = \frac{h_i - \mu}{\sigma + \epsilon}"
    sign = "+" if beta >= 0 else "-"
    same_height = r"\vphantom{\sum_{i=1}^{m}\dfrac{h_i}{\sqrt{\sigma^2}}}"  # the four panels line up
    return [same_height + f for f in (
        rf"\mu = \frac{{1}}{{m}}\sum_{{i=1}}^{{m}} h_i = {_tex(mu)}",
        rf"\sigma = \sqrt{{\tfrac{{1}}{{m}}\textstyle\sum_{{i}} (h_i - \mu)^2}} = {_tex(sigma)}",
        norm + rf" = \frac{{h_i - \mu}}{{{_tex(denom, 5)}}}",
        rf"y_i = \gamma\,\hat h_i + \beta = {_tex(gamma)}\,\hat h_i {sign} {_tex(abs(beta))}",
    )]


def shared_bins(values: list[np.ndarray]) -> tuple[np.ndarray, tuple[float, float]]:
    """One set of bin edges for every stage (so shifts and shrinks are visible) and the x range to show."""
    allv = np.concatenate(values)
    lo, hi = float(allv.min()), float(allv.max())
    if hi - lo < 1e-9:
        lo, hi = lo - 1.0, hi + 1.0
    n = int(np.clip(3 * math.sqrt(values[0].size), 12, 60))
    edges = np.linspace(lo, hi, n + 1)
    pad = 0.04 * (hi - lo)
    return edges, (lo - pad, hi + pad)


def step_histograms(cache: BatchNormCache, th: Theme, feature: int = 0) -> list[go.Figure]:
    """One histogram per stage on shared bins and axes, the mean and ±1 standard deviation marked, every
    example as a tick along the bottom and example 1 in orange."""
    values = stage_values(cache, feature)
    edges, xrange = shared_bins(values)
    counts = [np.histogram(v, edges)[0] for v in values]
    top = max(int(c.max()) for c in counts)
    rug_y = -0.09 * top
    figs = []
    for (name, symbol, _), v, c in zip(STAGES, values, counts):
        mean, sd = float(v.mean()), float(v.std())
        fig = go.Figure()
        fig.add_trace(go.Bar(x=(edges[:-1] + edges[1:]) / 2, y=c, width=np.diff(edges), name="count",
                             marker=dict(color=BAR, line=dict(width=0.5, color="white")), opacity=0.8,
                             hovertemplate=f"{symbol} ≈ %{{x:.3f}}<br>%{{y}} examples<extra></extra>"))
        fig.add_trace(go.Scatter(x=v, y=np.full(v.size, rug_y), mode="markers", name="examples",
                                 marker=dict(symbol="line-ns-open", size=th.marker + 2, color="#333",
                                             line=dict(width=th.batchnorm.rug_line)),
                                 customdata=np.arange(1, v.size + 1),
                                 hovertemplate="example %{customdata}: %{x:.5f}<extra></extra>"))
        fig.add_trace(go.Scatter(x=[v[0]], y=[rug_y], mode="markers", name="example 1",
                                 marker=dict(symbol="diamond", size=th.marker + 5, color=ONE,
                                             line=dict(width=1, color="white")),
                                 hovertemplate="example 1: %{x:.5f}<extra></extra>"))
        fig.add_vrect(x0=mean - sd, x1=mean + sd, fillcolor="#888", opacity=0.12, line_width=0)
        fig.add_vline(x=mean, line=dict(color="#000", width=th.line), layer="above")
        fig.add_annotation(x=mean, y=1.0, yref="paper", yanchor="bottom", showarrow=False,
                           text=f"mean {_num(mean, 3)} · sd {_num(sd, 3)}", font=dict(size=th.font - 1))
        fig.update_xaxes(title_text=symbol, range=list(xrange))
        fig.update_yaxes(title_text="count", range=[rug_y * 1.9, top * 1.12], zeroline=True,
                         zerolinecolor="#999")
        fig.update_layout(margin=dict(l=10, r=10, t=th.batchnorm.hist_margin_top, b=10), bargap=0)
        figs.append(figure(fig.data, fig.layout, th, height=th.batchnorm.hist_height, legend=False))
    return figs


# -- training versus inference ----------------------------------------------------------------------------------

def running_frame(trace: RunningTrace, feature: int = 0) -> pd.DataFrame:
    """Per training batch: its statistics, the running averages after it, and the probe's two outputs."""
    n = trace.batch_mean.shape[0]
    return pd.DataFrame({
        "batch": np.arange(1, n + 1),
        "batch mean μ": trace.batch_mean[:, feature],
        "batch variance σ²": trace.batch_var[:, feature],
        "running mean μ̂": trace.running_mean[:, feature],
        "running variance σ̂²": trace.running_var[:, feature],
        "probe, training mode": trace.probe_train[:, feature],
        "probe, inference mode": trace.probe_inference[:, feature],
    })


def running_figure(trace: RunningTrace, th: Theme, feature: int = 0) -> go.Figure:
    """Three panels against the batch number: the mean, the variance, and one fixed example's output."""
    n = trace.batch_mean.shape[0]
    k = np.arange(1, n + 1)
    fig = subplots(rows=3, cols=1, shared_xaxes=True, vertical_spacing=0.09,
                        subplot_titles=("mean: each batch's μ and the running average μ̂",
                                        "variance: each batch's σ² and the running average σ̂²",
                                        f"one fixed example h = {_num(float(trace.probe[feature]))}, normalized"))
    ms, lw = th.marker * 0.75, th.line
    rows = ((trace.batch_mean, trace.running_mean, trace.population_mean, "μ", "μ̂"),
            (trace.batch_var, trace.running_var, trace.population_var, "σ²", "σ̂²"))
    for r, (batch, running, pop, b_name, r_name) in enumerate(rows, start=1):
        fig.add_trace(go.Scatter(x=k, y=batch[:, feature], mode="markers", name=f"this batch's {b_name}",
                                 marker=dict(size=ms, color="#999"), legendgroup="batch", showlegend=r == 1,
                                 hovertemplate=f"batch %{{x}}<br>{b_name} = %{{y:.5f}}<extra></extra>"), r, 1)
        fig.add_trace(go.Scatter(x=k, y=running[:, feature], mode="lines", name=f"running average {r_name}",
                                 line=dict(color=WITH_BN, width=lw), legendgroup="running", showlegend=r == 1,
                                 hovertemplate=f"after batch %{{x}}<br>{r_name} = %{{y:.5f}}<extra></extra>"), r, 1)
        fig.add_hline(y=pop, line=dict(color=POPULATION, width=max(1.5, lw * 0.7), dash="dash"), row=r, col=1)
        fig.add_annotation(x=1, xref="x domain", y=pop, yref=f"y{'' if r == 1 else r}", xanchor="right",
                           yanchor="bottom", showarrow=False, text=f"population {'mean' if r == 1 else 'variance'} "
                           f"{_num(pop)}", font=dict(color=POPULATION, size=th.font - 2),
                           bgcolor="rgba(255,255,255,0.8)")
    fig.add_trace(go.Scatter(x=k, y=trace.probe_train[:, feature], mode="markers+lines",
                             name="training mode (this batch's μ, σ²)",
                             line=dict(color=ONE, width=max(1.0, lw * 0.4)), marker=dict(size=ms, color=ONE),
                             hovertemplate="batch %{x}<br>y = %{y:.5f}<extra></extra>"), 3, 1)
    fig.add_trace(go.Scatter(x=k, y=trace.probe_inference[:, feature], mode="lines",
                             name="inference mode (running μ̂, σ̂²)", line=dict(color=WITH_BN, width=lw),
                             hovertemplate="after batch %{x}<br>y = %{y:.5f}<extra></extra>"), 3, 1)
    fig.add_hline(y=1.0, line=dict(color=POPULATION, width=max(1.5, lw * 0.7), dash="dash"), row=3, col=1)
    fig.update_xaxes(title_text="training batch", row=3, col=1)
    fig.update_yaxes(title_text="μ", row=1, col=1)
    fig.update_yaxes(title_text="σ²", row=2, col=1)
    fig.update_yaxes(title_text="y", row=3, col=1)
    fig.update_layout(legend=dict(orientation="h", yanchor="bottom", y=1.04, x=0, xanchor="left"),
                      margin=dict(t=th.batchnorm.running_margin_top))
    return figure(fig.data, fig.layout, th, height=th.height + 280)


# -- does BN allow higher learning rates? -----------------------------------------------------------------------

LOSS_RANGE = (1e-3, 1e3)  #: the loss axis; higher peaks are marked at the top edge


def experiment_frame(exp: LRExperiment) -> pd.DataFrame:
    """One row per learning rate: both networks' outcome, final accuracy, final loss and overflow step.

    η is written as text (0.01, not 0.01000); in the CSV it reads back as the same number. A run that overflowed
    has no final loss (an empty cell; the next column says at which step), never "inf".
    """
    df = pd.DataFrame({"η": [_lr(x) for x in exp.learning_rates]})
    for label, c in (("plain", exp.plain), ("BN", exp.bn)):
        df[f"{label}: outcome"] = list(c.outcome)
        df[f"{label}: accuracy (%)"] = 100 * c.accuracy  # in %, as the chart and the outcome words
        df[f"{label}: final loss"] = np.where(np.isfinite(c.final_loss), c.final_loss, np.nan)
        df[f"{label}: overflowed"] = [f"at step {int(s)}" if s >= 0 else "no" for s in c.diverged_at]
    return df


def _lr(x: float) -> str:
    return f"{x:g}"


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _outcome_words(curves, k: int) -> str:
    """How one run ended, in words: "overflowed", "stuck at 50% accuracy", "slow (84% accuracy)", "trained"."""
    outcome = curves.outcome[k]
    if outcome == "stuck":
        return f"stuck at {curves.accuracy[k]:.0%} accuracy"
    if outcome == "slow":
        return f"slow, {curves.accuracy[k]:.0%} accuracy"
    return OUTCOME_WORDS[outcome]


def experiment_findings(exp: LRExperiment) -> list[str]:
    """What the runs show, in plain sentences written from the outcomes (nothing is assumed in advance)."""
    lrs = [_lr(x) for x in exp.learning_rates]
    plain_ok = [o == "trained" for o in exp.plain.outcome]
    bn_ok = [o == "trained" for o in exp.bn.outcome]
    both = [lr for lr, p, b in zip(lrs, plain_ok, bn_ok) if p and b]
    only_bn = [k for k, (p, b) in enumerate(zip(plain_ok, bn_ok)) if b and not p]
    only_plain = [k for k, (p, b) in enumerate(zip(plain_ok, bn_ok)) if p and not b]
    neither = [k for k, (p, b) in enumerate(zip(plain_ok, bn_ok)) if not p and not b]
    out = []
    if both:
        out.append(f"Both networks trained at η = {_join(both)}.")
    if only_bn:
        out.append("**Only the network with BN trained** at " + _join(
            [f"η = {lrs[k]} (the plain one {_outcome_words(exp.plain, k)})" for k in only_bn]) + ".")
    if only_plain:
        out.append("**Only the plain network trained** at " + _join(
            [f"η = {lrs[k]} (the one with BN {_outcome_words(exp.bn, k)})" for k in only_plain]) + ".")
    if neither:
        out.append("**Neither trained** at " + _join(
            [f"η = {lrs[k]} (plain {_outcome_words(exp.plain, k)}, BN {_outcome_words(exp.bn, k)})"
             for k in neither]) + ".")
    top_plain = max((x for x, p in zip(exp.learning_rates, plain_ok) if p), default=None)
    top_bn = max((x for x, b in zip(exp.learning_rates, bn_ok) if b), default=None)
    if top_bn is not None and (top_plain is None or top_bn > top_plain):
        above = [lrs[k] for k, x in enumerate(exp.learning_rates) if x > top_bn]
        tail = (f"higher, but not without limit: even BN failed at η = {_join(above)}" if above
                else "higher (no larger η was tried)")
        out.append(f"So here BN raised the largest learning rate that trains from "
                   f"{_lr(top_plain) if top_plain is not None else 'none of these'} to {_lr(top_bn)}: {tail}.")
    elif top_bn is not None and top_plain is not None and top_bn == top_plain:
        out.append(f"Here BN did not raise the largest learning rate that trains (η = {_lr(top_bn)} for both).")
    elif top_plain is not None and (top_bn is None or top_plain > top_bn):
        out.append("Here the plain network tolerated a larger learning rate than the one with BN.")
    return out


def experiment_figure(exp: LRExperiment, th: Theme) -> go.Figure:
    """One panel per learning rate: the loss of the plain network and of the one with BN against the step.

    Thin lines are the loss of each mini-batch (what SGD sees); thick lines with dots the loss on the whole
    dataset every few steps (BN in inference mode). A run that overflowed is marked where it did.
    """
    R = len(exp.learning_rates)
    cols = min(R, th.batchnorm.columns)
    rows = math.ceil(R / cols)
    titles = []
    for k, lr in enumerate(exp.learning_rates):
        po, bo = exp.plain.outcome[k], exp.bn.outcome[k]
        titles.append(f"<b>η = {_lr(lr)}</b><br><span style='color:{OUTCOME_COLORS[po]}'>plain: {po}</span> · "
                      f"<span style='color:{OUTCOME_COLORS[bo]}'>BN: {bo}</span>")
    fig = subplots(rows=rows, cols=cols, shared_yaxes=True, subplot_titles=titles,
                        horizontal_spacing=th.batchnorm.spacing,
                        vertical_spacing=0.2 if rows > 1 else 0.1)
    steps = np.arange(exp.steps)  # loss[t]: after t SGD updates
    lo, hi = LOSS_RANGE
    for k in range(R):
        r, c = k // cols + 1, k % cols + 1
        for label, curves, color in (("plain", exp.plain, PLAIN), ("with BN", exp.bn, WITH_BN)):
            loss = curves.loss[k]
            fig.add_trace(go.Scattergl(x=steps, y=loss, mode="lines", name=f"{label}: each mini-batch",
                                       line=dict(color=color, width=1), opacity=0.22, legendgroup=f"{label}-mb",
                                       showlegend=k == 0,
                                       hovertemplate=f"{label}<br>step %{{x}}<br>mini-batch loss %{{y:.4g}}"
                                                     "<extra></extra>"), r, c)
            fig.add_trace(go.Scatter(x=curves.eval_steps, y=curves.eval_loss[k], mode="lines+markers",
                                     name=f"{label}: whole dataset", line=dict(color=color, width=th.line),
                                     marker=dict(size=th.marker * 0.55, color=color), legendgroup=f"{label}-all",
                                     showlegend=k == 0,
                                     hovertemplate=f"{label}<br>after step %{{x}}<br>loss on all data %{{y:.4g}}"
                                                   "<extra></extra>"), r, c)
            finite = loss[np.isfinite(loss)]
            peak = float(finite.max()) if finite.size else math.nan
            at = int(curves.diverged_at[k])
            if at >= 0:
                fig.add_trace(go.Scatter(x=[at], y=[hi * 0.6], mode="markers+text", text=["overflow"],
                                         textposition="bottom right" if at < exp.steps / 2 else "bottom left",
                                         textfont=dict(color=color, size=th.font - 2),
                                         marker=dict(symbol="x", size=th.marker + 4, color=color),
                                         showlegend=False, name=f"{label} overflowed",
                                         hovertemplate=f"{label}: loss or weights overflowed at step {at}"
                                                       "<extra></extra>"), r, c)
            elif math.isfinite(peak) and peak > hi:
                step = int(np.nanargmax(loss))
                fig.add_trace(go.Scatter(x=[step], y=[hi * 0.6], mode="markers", showlegend=False,
                                         marker=dict(symbol="triangle-up", size=th.marker + 4, color=color),
                                         name=f"{label} peak", hovertemplate=f"{label}: loss peaked at "
                                         f"{peak:.3g} at step {step}<extra></extra>"), r, c)
            if math.isfinite(peak) and peak > hi:
                exp10 = int(math.floor(math.log10(peak)))
                fig.add_annotation(x=0.98, y=0.02 if label == "plain" else 0.12, xref="x domain", yref="y domain",
                                   xanchor="right", yanchor="bottom", showarrow=False,
                                   text=f"{label} peaked at 10<sup>{exp10}</sup>",
                                   font=dict(color=color, size=th.font - 3), row=r, col=c)
        fig.add_hline(y=math.log(2), line=dict(color="#888", width=1, dash="dot"), row=r, col=c)
    fig.update_yaxes(type="log", range=[math.log10(lo), math.log10(hi)], exponentformat="power", dtick=1)
    for r in range(1, rows + 1):
        fig.update_yaxes(title_text="loss L", row=r, col=1)
    fig.update_xaxes(title_text="SGD step t", range=[0, exp.steps], nticks=th.batchnorm.nticks)
    fig.update_annotations(selector=dict(xref="paper"), font_size=th.font - 1)
    fig.update_layout(legend=dict(orientation="h", yanchor="bottom", y=1.12 if rows == 1 else 1.06, x=0,
                                  xanchor="left"),
                      margin=dict(t=th.batchnorm.experiment_margin_top))
    return figure(fig.data, fig.layout, th, height=th.batchnorm.panel_height * rows * (0.8 if rows > 1 else 1) + 60)


def dataset_figure(exp: LRExperiment, th: Theme) -> go.Figure:
    """The training data: two classes in the plane."""
    X, y = exp.data.X, exp.data.y
    fig = go.Figure()
    for label, color, symbol in ((0, SERIES_COLORS[0], "circle"), (1, SERIES_COLORS[1], "diamond")):
        m = y == label
        fig.add_trace(go.Scatter(x=X[m, 0], y=X[m, 1], mode="markers", name=f"class {label}",
                                 marker=dict(color=color, size=th.marker * 0.6, symbol=symbol,
                                             line=dict(width=0.5, color="white"))))
    fig.update_xaxes(title_text="x₁", scaleanchor="y", scaleratio=1)
    fig.update_yaxes(title_text="x₂")
    fig.update_layout(legend=dict(orientation="h", yanchor="bottom", y=1.0, x=0), margin=dict(t=30))
    return figure(fig.data, fig.layout, th, height=th.batchnorm.dataset_height)
