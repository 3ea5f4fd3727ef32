"""Figures and tables of the initializers page: a sampled weight matrix against its density, every initializer's
spread at the chosen fans, and the depth experiment. Numbers from ``nets.init``."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from nets import init as I

from .losses import short
from .style import SERIES_COLORS, Theme, figure

NAMES = {
    "zeros": "Zeros", "ones": "Ones", "constant": "Constant(c)", "random_normal": "RandomNormal(μ, σ)",
    "truncated_normal": "TruncatedNormal(μ, σ)", "random_uniform": "RandomUniform(a, b)",
    "glorot_normal": "Glorot (Xavier) normal", "he_normal": "He (Kaiming) normal", "lecun_normal": "LeCun normal",
    "glorot_uniform": "Glorot (Xavier) uniform", "he_uniform": "He (Kaiming) uniform",
    "lecun_uniform": "LeCun uniform",
}
FORMULAS = {
    "zeros": r"w = 0", "ones": r"w = 1", "constant": r"w = c",
    "random_normal": r"w \sim \mathcal N(\mu, \sigma^2)",
    "truncated_normal": r"w \sim \mathcal N(\mu, \sigma^2),\ \text{redrawn while } |w - \mu| > 2\sigma",
    "random_uniform": r"w \sim U(a, b)",
    "glorot_normal": r"w \sim \mathcal N\Big(0, \sigma^2\Big),\ \sigma = \sqrt{\tfrac{2}{\text{fan\_in} + \text{fan\_out}}}",
    "he_normal": r"w \sim \mathcal N\Big(0, \sigma^2\Big),\ \sigma = \sqrt{\tfrac{2}{\text{fan\_in}}}",
    "lecun_normal": r"w \sim \mathcal N\Big(0, \sigma^2\Big),\ \sigma = \sqrt{\tfrac{1}{\text{fan\_in}}}",
    "glorot_uniform": r"w \sim U(-\ell, \ell),\ \ell = \sqrt{\tfrac{6}{\text{fan\_in} + \text{fan\_out}}}",
    "he_uniform": r"w \sim U(-\ell, \ell),\ \ell = \sqrt{\tfrac{6}{\text{fan\_in}}}",
    "lecun_uniform": r"w \sim U(-\ell, \ell),\ \ell = \sqrt{\tfrac{3}{\text{fan\_in}}}",
}
LINE_COLORS = dict(zip(I.EXPERIMENT_LINES, ("#0072B2", "#009E73", "#56B4E9", "#E69F00", "#D55E00", "#7F7F7F",
                                            "#CC79A7")))


def numbers_latex(name: str, s: I.Spec, fan_in: int, fan_out: int) -> str:
    """The formula with this layer's fans put in."""
    if name.startswith(("glorot", "he", "lecun")):
        family = name.split("_")[0]
        num, den = {"glorot": (2, f"{fan_in} + {fan_out}"), "he": (2, f"{fan_in}"), "lecun": (1, f"{fan_in}")}[family]
        if name.endswith("normal"):
            return rf"\sigma = \sqrt{{\tfrac{{{num}}}{{{den}}}}} = {s.sigma:.5g}"
        return rf"\ell = \sqrt{{\tfrac{{{3 * num}}}{{{den}}}}} = {s.high:.5g},\quad \text{{sd}} = \ell/\sqrt3 = {s.std:.5g}"
    if s.family == "truncated":
        return (rf"\text{{sd}} = \sigma\sqrt{{1 - \tfrac{{4\varphi(2)}}{{2\Phi(2) - 1}}}} = {I.truncated_std_factor():.5f}"
                rf"\,\sigma = {s.std:.5g}")
    if s.family == "uniform":
        return rf"\text{{mean}} = \tfrac{{a + b}}{{2}} = {s.mean:.5g},\quad \text{{sd}} = \tfrac{{b - a}}{{\sqrt{{12}}}} = {s.std:.5g}"
    if s.family == "normal":
        return rf"\text{{mean}} = {s.mean:.5g},\quad \text{{sd}} = {s.std:.5g}"
    return rf"\text{{every weight}} = {s.mean:g}"


def histogram_figure(w: np.ndarray, s: I.Spec, th: Theme, title: str):
    """The sampled weights as a density histogram, with the formula's density drawn over it."""
    w = w.ravel()
    if s.family == "constant":
        data = [{"type": "bar", "x": [s.mean], "y": [w.size], "width": [0.02 * max(1.0, abs(s.mean))],
                 "name": f"all {w.size} weights", "marker": {"color": SERIES_COLORS[0]}}]
        layout = {"xaxis": {"title": {"text": "weight"}}, "yaxis": {"title": {"text": "count"}},
                  "title": {"text": title}}
        return figure(data, layout, th, height=int(th.height * 0.85))
    counts, edges = np.histogram(w, bins=60, density=True)
    centres = 0.5 * (edges[1:] + edges[:-1])
    span = max(s.high - s.low, 1e-12)
    x = np.linspace(s.low - 0.25 * span, s.high + 0.25 * span, 400) if s.family != "normal" else \
        np.linspace(s.mean - 4 * s.sigma, s.mean + 4 * s.sigma, 400)
    data = [{"type": "bar", "x": centres, "y": counts, "width": float(edges[1] - edges[0]), "name": f"{w.size} sampled weights",
             "marker": {"color": "rgba(0,114,178,0.45)", "line": {"width": 0}}},
            {"type": "scatter", "mode": "lines", "x": x, "y": I.density(s, x), "name": "the formula's density",
             "line": {"color": "#D55E00", "width": th.line}}]
    layout = {"xaxis": {"title": {"text": "weight"}}, "yaxis": {"title": {"text": "density"}},
              "title": {"text": title}, "bargap": 0, "legend": {"orientation": "h", "y": -0.25}}
    return figure(data, layout, th, height=int(th.height * 0.85))


def spread_frame(fan_in: int, fan_out: int, params: dict, seed: int) -> pd.DataFrame:
    """Every initializer at these fans: the parameter its formula gives, the spread and a seeded sample's spread."""
    rows = []
    rng = np.random.default_rng(seed)
    for name in I.INITIALIZERS:
        s = I.spec(name, fan_in, fan_out, **params)
        w = I.sample(s, (fan_in, fan_out), rng)
        rows.append({"initializer": NAMES[name], "distribution": s.family,
                     "σ (normal)": s.sigma if s.family in ("normal", "truncated") else np.nan,
                     "limit ℓ (uniform)": s.high if s.family == "uniform" else np.nan,
                     "mean": s.mean, "sd (formula)": s.std, "sd (sample)": float(w.std()),
                     "largest |w| (sample)": float(np.abs(w).max())})
    return pd.DataFrame(rows)


# -- the depth experiment -----------------------------------------------------------------------------------------

def _positive(v: np.ndarray) -> np.ndarray:
    return np.where(np.isfinite(v) & (v > 0), v, np.nan)


def depth_figure(run: I.DepthRun, th: Theme, activation: str):
    layers = np.arange(1, run.act_var.shape[1] + 1)
    data = []
    for k, label in enumerate(run.labels):
        line = {"color": LINE_COLORS[label], "width": th.line}
        data.append({"type": "scatter", "mode": "lines+markers", "x": layers, "y": _positive(run.act_var[k]),
                     "name": label, "legendgroup": label, "line": line, "marker": {"size": th.marker - 3},
                     "xaxis": "x", "yaxis": "y"})
        data.append({"type": "scatter", "mode": "lines+markers", "x": layers, "y": _positive(run.grad_var[k]),
                     "name": label, "legendgroup": label, "showlegend": False, "line": line | {"dash": "dot"},
                     "marker": {"size": th.marker - 3, "symbol": "diamond"}, "xaxis": "x2", "yaxis": "y2"})
    layout = {
        "xaxis": {"domain": [0, 0.47], "title": {"text": "layer l"}, "anchor": "y"},
        "xaxis2": {"domain": [0.53, 1], "title": {"text": "layer l"}, "anchor": "y2"},
        "yaxis": {"type": "log", "title": {"text": f"Var(h_l), {activation} outputs"}, "exponentformat": "power"},
        "yaxis2": {"type": "log", "title": {"text": "Var(∂L/∂W_l)"}, "anchor": "x2", "exponentformat": "power"},
        "legend": {"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0},
        "margin": {"t": th.blocks.depth_margin_top},
    }
    return figure(data, layout, th, height=int(th.height * 1.1))


def verdict(act_var: np.ndarray, stalled_last: float = 0.0, activation: str = "relu") -> str:
    """In words: what happened to the outputs' variance from the first layer to the last."""
    if np.all(act_var == 0):
        return "dead: every output 0"
    if activation == "tanh" and stalled_last > 0.5:
        return "saturates"
    first, last = act_var[0], act_var[-1]
    if not np.isfinite(last):
        return "explodes (overflow)"
    if last > 100 * first:
        return "explodes"
    if last < first / 100:
        return "vanishes"
    if last > 3 * first:
        return "grows"
    if last < first / 3:
        return "shrinks"
    return "stays put"


def depth_summary(run: I.DepthRun, activation: str) -> pd.DataFrame:
    """One row per initializer, variances as text with 4 significant digits (they span 10⁻³⁰⁰ to 10³⁰⁰; the CSV
    of :func:`depth_frame` keeps the numbers)."""
    last = run.act_var.shape[1]
    return pd.DataFrame({
        "initializer": run.labels, "sd of the weights": run.sigmas,
        "Var(h) layer 1": [short(v) for v in run.act_var[:, 0]],
        f"Var(h) layer {last}": [short(v) for v in run.act_var[:, -1]],
        "Var(∂L/∂W) layer 1": [short(v) for v in run.grad_var[:, 0]],
        f"Var(∂L/∂W) layer {last}": [short(v) for v in run.grad_var[:, -1]],
        "outputs": [verdict(v, st[-1], activation) for v, st in zip(run.act_var, run.stalled)],
        f"φ′ < 0.01 at layer {last}": [f"{100 * st[-1]:.0f}%" for st in run.stalled],
        "units identical?": ["yes" if np.nanmax(s) < 1e-6 else "no" for s in run.unit_spread],
    })


def depth_frame(run: I.DepthRun) -> pd.DataFrame:
    """Every line and layer: the long table behind the figure."""
    n, layers = run.act_var.shape
    return pd.DataFrame({"initializer": np.repeat(run.labels, layers), "layer": np.tile(np.arange(1, layers + 1), n),
                         "Var(h_l)": run.act_var.ravel(), "Var(∂L/∂W_l)": run.grad_var.ravel(),
                         "spread across units / RMS": run.unit_spread.ravel(),
                         "share with φ′ < 0.01": run.stalled.ravel()})


def depth_findings(run: I.DepthRun, activation: str) -> list[str]:
    out = []
    last = run.act_var.shape[1]
    for k, label in enumerate(run.labels):
        v = run.act_var[k]
        what = verdict(v, run.stalled[k, -1], activation)
        if what.startswith("dead"):
            out.append(f"**{label}:** every output and every weight gradient is exactly 0 from layer 1 on: all units "
                       "compute the same thing and receive the same update, so they can never become different.")
            continue
        line = (f"**{label}** (weights' sd {short(run.sigmas[k])}): Var(h) {short(v[0])} at layer 1, "
                f"{short(v[-1])} at layer {last}: {what}.")
        if what == "saturates":
            line += (f" {100 * run.stalled[k, -1]:.0f}% of the last layer's outputs sit at ±1, where tanh passes "
                     "less than 1% of the gradient back.")
        if np.nanmax(run.unit_spread[k]) < 1e-6:
            line += " Every unit of a layer holds the same value: the layer acts like a single unit."
        out.append(line)
    return out
