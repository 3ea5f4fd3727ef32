"""A function and its derivative, stacked on one shared x axis: the figure of the loss and activation pages."""

from __future__ import annotations

from typing import NamedTuple, Sequence

import numpy as np

from .style import SERIES_COLORS, Theme, figure

VANISH_FILL = "rgba(213, 94, 0, 0.13)"  #: where a gradient vanishes


class Curve(NamedTuple):
    name: str
    y: np.ndarray
    dy: np.ndarray | None
    color: str | None = None
    dash: str = "solid"


def intervals(x: np.ndarray, mask: np.ndarray) -> list[tuple[float, float]]:
    """The runs of ``mask`` along the grid ``x`` as ``(start, end)`` pairs."""
    m = np.concatenate([[False], np.asarray(mask, bool), [False]]).astype(int)
    starts, ends = np.flatnonzero(np.diff(m) == 1), np.flatnonzero(np.diff(m) == -1) - 1
    return [(float(x[s]), float(x[e])) for s, e in zip(starts, ends)]


def function_and_derivative(x: np.ndarray, curves: Sequence[Curve], th: Theme, *, x_title: str, top: str,
                            bottom: str, shade: Sequence[tuple[float, float]] = (), shade_label: str = "",
                            y_range: tuple[float, float] | None = None,
                            dy_range: tuple[float, float] | None = None, height: int | None = None):
    """Two panels sharing x: the curves on top, their derivatives below; optional shaded x intervals."""
    data = []
    for k, c in enumerate(curves):
        color = c.color or SERIES_COLORS[k % len(SERIES_COLORS)]
        line = {"color": color, "width": th.line, "dash": c.dash}
        data.append({"type": "scatter", "mode": "lines", "x": x, "y": c.y, "name": c.name, "line": line,
                     "legendgroup": c.name, "xaxis": "x", "yaxis": "y"})
        if c.dy is not None:
            data.append({"type": "scatter", "mode": "lines", "x": x, "y": c.dy, "name": f"{c.name}: derivative",
                         "line": line, "legendgroup": c.name, "showlegend": False, "xaxis": "x", "yaxis": "y2"})
    shapes = [{"type": "rect", "xref": "x", "yref": "paper", "x0": a, "x1": b, "y0": 0, "y1": 1,
               "fillcolor": VANISH_FILL, "line": {"width": 0}, "layer": "below"} for a, b in shade]
    if shade and shade_label:
        data.append({"type": "scatter", "mode": "markers", "x": [None], "y": [None], "name": shade_label,
                     "marker": {"symbol": "square", "size": th.marker + 4, "color": VANISH_FILL}})
    zero = {"type": "line", "xref": "paper", "x0": 0, "x1": 1, "line": {"color": th.ink, "width": 1}}
    layout = {
        "xaxis": {"domain": [0, 1], "anchor": "y2", "title": {"text": x_title}},
        "yaxis": {"domain": [0.45, 1], "title": {"text": top}, **({"range": list(y_range)} if y_range else {})},
        "yaxis2": {"domain": [0, 0.36], "title": {"text": bottom},
                   **({"range": list(dy_range)} if dy_range else {})},
        "shapes": shapes + [zero | {"yref": "y", "y0": 0, "y1": 0}, zero | {"yref": "y2", "y0": 0, "y1": 0}],
        "legend": {"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0},
        "margin": {"t": th.blocks.curve_margin_top},
        "hovermode": "x unified",
    }
    return figure(data, layout, th, height=height or th.blocks.curve_height)
