"""Figures and tables of the activations page: one function with its derivative and the range where the gradient
vanishes, several side by side, and softmax on typed logits. Numbers from ``nets.activations``."""

from __future__ import annotations

import numpy as np
import pandas as pd

from nets import activations as A

from .curves import Curve, function_and_derivative, intervals
from .losses import short
from .style import Theme, figure

ONE = "#0072B2"


def grid(reach: float) -> np.ndarray:
    return np.linspace(-reach, reach, 1201)


def vanishing_intervals(act: A.Activation, reach: float) -> list[tuple[float, float]]:
    x = grid(reach)
    return intervals(x, A.vanishing(act.df(x)))


def vanishing_text(act: A.Activation, reach: float) -> str:
    """Where |f'(x)| < 0.01 within the drawn range, in words."""
    spans = vanishing_intervals(act, reach)
    if not spans:
        return f"|f′(x)| ≥ {A.VANISH:g} everywhere on [−{reach:g}, {reach:g}]: the gradient never vanishes here."
    parts = []
    for a, b in spans:
        if a <= -reach + 1e-9 and b >= reach - 1e-9:
            parts.append("everywhere")
        elif a <= -reach + 1e-9:
            parts.append(f"x < {short(b)}")
        elif b >= reach - 1e-9:
            parts.append(f"x > {short(a)}")
        else:
            parts.append(f"{short(a)} < x < {short(b)}")
    return f"|f′(x)| < {A.VANISH:g} (shaded) for " + " and ".join(parts) + f", within [−{reach:g}, {reach:g}]."


def one_figure(act: A.Activation, th: Theme, reach: float):
    x = grid(reach)
    y, dy = act.f(x), act.df(x)
    fin = y[np.isfinite(y)]
    top = min(float(fin.max()), 3 * reach) if fin.size else 1.0
    low = max(float(fin.min()), -3 * reach) if fin.size else -1.0
    pad = 0.08 * (top - low or 1.0)
    return function_and_derivative(x, [Curve(act.name, y, dy, ONE)], th, x_title="x (the unit's input)",
                                  top="f(x)", bottom="f′(x)", shade=vanishing_intervals(act, reach),
                                  shade_label=f"|f′| < {A.VANISH:g}: gradient vanishes",
                                  y_range=(low - pad, top + pad),
                                  dy_range=(min(-0.05, float(np.min(dy)) - 0.1), float(min(np.max(dy), 3 * reach)) + 0.1))


def compare_figure(keys, acts: dict[str, A.Activation], th: Theme, reach: float):
    x = grid(reach)
    curves = [Curve(acts[k].name, acts[k].f(x), acts[k].df(x)) for k in keys]
    return function_and_derivative(x, curves, th, x_title="x", top="f(x)", bottom="f′(x)",
                                   y_range=(-2.0, 3.0), dy_range=(-0.1, 1.6))


def samples_frame(keys, acts: dict[str, A.Activation], points=(-5, -2, -1, -0.5, 0, 0.5, 1, 2, 5)) -> pd.DataFrame:
    """Each function and derivative at a few inputs (x = 0 is where ReLU's derivative is taken as 0)."""
    x = np.asarray(points, float)
    cols = {"x": x}
    for k in keys:
        cols[f"{acts[k].name}: f(x)"] = acts[k].f(x)
        cols[f"{acts[k].name}: f′(x)"] = acts[k].df(x)
    return pd.DataFrame(cols)


def softmax_frame(logits) -> pd.DataFrame:
    z = np.asarray(logits, float)
    shifted = np.exp(z - z.max())
    return pd.DataFrame({"k": np.arange(1, len(z) + 1), "logit zₖ": z, "exp(zₖ − max z)": shifted,
                         "pₖ = softmax(z)ₖ": A.softmax(z)})


def softmax_figure(df: pd.DataFrame, th: Theme):
    p = df["pₖ = softmax(z)ₖ"].to_numpy()
    data = [{"type": "bar", "x": [f"z{k} = {short(z)}" for k, z in zip(df["k"], df["logit zₖ"])], "y": p,
             "marker": {"color": ONE}, "text": [short(v) for v in p], "textposition": "outside",
             "name": "probability", "cliponaxis": False}]
    layout = {"yaxis": {"title": {"text": "probability"}, "range": [0, 1.15]},
              "xaxis": {"title": {"text": "class (logit)"}}}
    return figure(data, layout, th, height=int(th.height * 0.8), legend=False)


def softmax_sum_text(df: pd.DataFrame) -> str:
    e = df["exp(zₖ − max z)"].to_numpy()
    p = df["pₖ = softmax(z)ₖ"].to_numpy()
    return (f"Σ exp(zₖ − max z) = {' + '.join(short(v) for v in e)} = {short(e.sum())}; "
            f"Σ p_k = {' + '.join(short(v) for v in p)} = {p.sum():.15g}")
