"""Figures and tables of the moving-averages page: a series and its average, the weights of the unrolled average,
the bias-correction divisors and Adam's corrected moments. Numbers from ``optim.averages``."""

from __future__ import annotations

import numpy as np
import pandas as pd

from optim import averages as A

from .style import SERIES_COLORS, Theme, figure

RAW = "#999999"
AVERAGE = "#0072B2"
CORRECTED = "#D55E00"
WRONG = "#CC79A7"
LEGEND = {"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0}


def series_figure(x: np.ndarray, avg: np.ndarray, corrected: np.ndarray | None, beta: float, th: Theme):
    t = np.arange(1, x.size + 1)
    data = [{"type": "scatter", "mode": "lines+markers" if x.size <= 40 else "lines", "x": t, "y": x,
             "name": "series xₜ", "line": {"color": RAW, "width": th.line / 2}, "marker": {"size": th.marker - 3}},
            {"type": "scatter", "mode": "lines", "x": t, "y": avg, "name": f"EMA, β = {beta:g}, from 0",
             "line": {"color": AVERAGE, "width": th.line}}]
    if corrected is not None:
        data.append({"type": "scatter", "mode": "lines", "x": t, "y": corrected, "name": "÷ (1 − βᵗ): bias-corrected",
                     "line": {"color": CORRECTED, "width": th.line, "dash": "dash"}})
    layout = {"xaxis": {"title": {"text": "t"}}, "yaxis": {"title": {"text": "value"}}, "legend": LEGEND}
    return figure(data, layout, th, height=int(th.height * 0.85))


def weights_figure(weights: np.ndarray, beta: float, th: Theme):
    j = np.arange(weights.size)
    data = [{"type": "bar", "x": j, "y": weights, "name": "(1 − β)βʲ", "marker": {"color": AVERAGE}}]
    window = float(A.effective_window(beta))
    shapes = [{"type": "line", "xref": "x", "yref": "paper", "x0": window, "x1": window, "y0": 0, "y1": 1,
               "line": {"color": CORRECTED, "dash": "dash", "width": th.line}}]
    annotations = [{"x": window, "y": 1, "xref": "x", "yref": "paper", "yanchor": "bottom", "showarrow": False,
                    "text": f"1/(1 − β) = {window:.4g}"}]
    layout = {"xaxis": {"title": {"text": "j, steps back (weight of x at t − j)"}}, "yaxis": {"title": {"text": "weight"}},
              "shapes": shapes, "annotations": annotations, "showlegend": False}
    return figure(data, layout, th, height=int(th.height * 0.7))


def series_frame(x: np.ndarray, avg: np.ndarray, beta: float) -> pd.DataFrame:
    t = np.arange(1, x.size + 1)
    divisor = A.weight_sum(beta, t)
    return pd.DataFrame({"t": t, "xₜ": x, "EMAₜ": avg, "1 − βᵗ": divisor, "EMAₜ / (1 − βᵗ)": avg / divisor})


def weights_frame(weights: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({"j (steps back)": np.arange(weights.size), "weight (1 − β) βʲ": weights,
                         "running sum": np.cumsum(weights)})


def correction_frame(betas: tuple[float, ...], steps: tuple[int, ...]) -> pd.DataFrame:
    t = np.asarray(steps)
    cols = {"t": t}
    for b in betas:
        cols[f"1 − {b:g}ᵗ"] = A.weight_sum(b, t)
    return pd.DataFrame(cols)


def adam_frame(m: A.AdamMoments, steps: tuple[int, ...]) -> pd.DataFrame:
    i = np.asarray(steps) - 1
    return pd.DataFrame({"t": m.t[i], "mₜ": m.m[i], "m̂ = m/(1 − β₁ᵗ)": m.m_hat[i], "m/(1 − β₁) (slide)": m.m_wrong[i],
                         "vₜ": m.v[i], "v̂ = v/(1 − β₂ᵗ)": m.v_hat[i], "v/(1 − β₂) (slide)": m.v_wrong[i]})


def adam_figure(m: A.AdamMoments, g: float, th: Theme):
    data = [{"type": "scatter", "mode": "lines", "x": m.t, "y": m.m, "name": "m (from 0)",
             "line": {"color": AVERAGE, "width": th.line}},
            {"type": "scatter", "mode": "lines", "x": m.t, "y": m.m_hat, "name": "m̂ = m / (1 − β₁ᵗ)",
             "line": {"color": CORRECTED, "width": th.line, "dash": "dash"}},
            {"type": "scatter", "mode": "lines", "x": m.t, "y": m.m_wrong, "name": "m / (1 − β₁) (slide)",
             "line": {"color": WRONG, "width": th.line, "dash": "dot"}}]
    layout = {"xaxis": {"title": {"text": "t"}, "type": "log"}, "yaxis": {"title": {"text": "first moment"}},
              "legend": LEGEND, "shapes": [{"type": "line", "xref": "paper", "x0": 0, "x1": 1, "y0": g, "y1": g,
                                            "line": {"color": RAW, "dash": "dash"}}]}
    return figure(data, layout, th, height=int(th.height * 0.75))


def paths_figure(paths: list[tuple[str, np.ndarray]], th: Theme):
    data = [{"type": "scatter", "mode": "lines+markers", "x": np.arange(p.size), "y": p, "name": name,
             "line": {"color": SERIES_COLORS[i % len(SERIES_COLORS)], "width": th.line, "dash": ("solid", "dot")[i % 2]},
             "marker": {"size": th.marker - 2 * i, "symbol": ("circle", "x")[i % 2]}}
            for i, (name, p) in enumerate(paths)]
    layout = {"xaxis": {"title": {"text": "iteration"}}, "yaxis": {"title": {"text": "w"}}, "legend": LEGEND}
    return figure(data, layout, th, height=int(th.height * 0.7))
