"""Figures and tables of the dropout page: one layer's mask and outputs, and the number of active units against
the binomial distribution. Numbers from ``nets.dropout``."""

from __future__ import annotations

import numpy as np
import pandas as pd

from nets import dropout as D

from .style import Theme, figure

INPUT = "#999999"
OUTPUT = "#0072B2"
DROPPED = "#D55E00"


def layer_inputs(n: int) -> np.ndarray:
    """The small layer's activations entering dropout: fixed (seeded), positive as after a ReLU, around 1."""
    return np.round(np.random.default_rng(10_000).uniform(0.2, 1.8, n), 2)


def layer_figure(p: D.DropoutPass, th: Theme, training: bool):
    n = p.x.size
    units = np.arange(1, n + 1)
    dropped = p.mask == 0
    data = [{"type": "bar", "x": units, "y": p.x, "name": "input xᵢ", "marker": {"color": INPUT}},
            {"type": "bar", "x": units, "y": p.y, "name": "output yᵢ", "marker": {"color": OUTPUT}}]
    if training:
        data.append({"type": "scatter", "mode": "markers", "x": units[dropped], "y": np.zeros(dropped.sum()),
                     "name": "dropped (y_i = 0)", "marker": {"symbol": "x", "size": th.marker + 6, "color": DROPPED,
                                                             "line": {"width": 2}}})
    layout = {"barmode": "group", "xaxis": {"title": {"text": "unit i"}, "dtick": 1 if n <= 24 else 4},
              "yaxis": {"title": {"text": "activation"}, "range": [-0.15, max(2.0, float(p.y.max()) * 1.1)]},
              "legend": {"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0}}
    return figure(data, layout, th, height=int(th.height * 0.8))


def count_figure(n: int, keep: float, counts: np.ndarray, th: Theme, current: int | None):
    k = np.arange(n + 1)
    observed = np.bincount(counts, minlength=n + 1) / counts.size
    mean, sd = D.active_units(n, keep)
    data = [{"type": "bar", "x": k, "y": observed, "name": f"{counts.size} seeded masks",
             "marker": {"color": "rgba(0,114,178,0.5)"}},
            {"type": "scatter", "mode": "lines+markers", "x": k, "y": D.binomial_pmf(n, keep),
             "name": "Binomial(n, p)", "line": {"color": "#000000", "width": th.line}, "marker": {"size": th.marker - 4}}]
    shapes = [{"type": "rect", "xref": "x", "yref": "paper", "x0": mean - sd, "x1": mean + sd, "y0": 0, "y1": 1,
               "fillcolor": "rgba(0,0,0,0.07)", "line": {"width": 0}, "layer": "below"},
              {"type": "line", "xref": "x", "yref": "paper", "x0": mean, "x1": mean, "y0": 0, "y1": 1,
               "line": {"color": "#000000", "dash": "dash"}}]
    if current is not None:
        shapes.append({"type": "line", "xref": "x", "yref": "paper", "x0": current, "x1": current, "y0": 0, "y1": 1,
                       "line": {"color": DROPPED, "width": th.line}})
    layout = {"xaxis": {"title": {"text": "units kept"}}, "yaxis": {"title": {"text": "share of masks"}},
              "shapes": shapes, "legend": {"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0}}
    return figure(data, layout, th, height=int(th.height * 0.7))


def layer_frame(train: D.DropoutPass, infer: D.DropoutPass, average: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({"unit i": np.arange(1, train.x.size + 1), "xᵢ": train.x, "mask mᵢ": train.mask.astype(int),
                         "training yᵢ": train.y, "inference yᵢ": infer.y,
                         "training yᵢ, mean of the masks": average})
