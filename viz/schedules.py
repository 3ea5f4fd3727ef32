"""The learning-rate schedule as a small figure: η_t against t, one line per optimizer (each from its own η)."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

import optim
from optim.schedules import Schedule

from .style import LOOKS, Theme, figure

ETA_TITLE = "η<sub>t</sub>"  #: the y axis: the rate of step t


def schedule_figure(schedule: Schedule, rates: dict[str, float], steps: int, th: Theme) -> go.Figure:
    """η_t for t = 0 .. steps − 1 of each optimizer in ``rates`` (name -> its base rate η), in its colour and dash."""
    t = np.arange(steps)
    data = [{"type": "scatter", "x": t, "y": np.broadcast_to(schedule.rate(lr, t), t.shape), "mode": "lines",
             "name": f"{optim.spec(name).title} (η = {lr:g})",
             "line": {"color": LOOKS[name].color, "dash": LOOKS[name].dash, "width": th.line},
             "hovertemplate": "t = %{x}<br>η_t = %{y:.5g}<extra></extra>"}
            for name, lr in rates.items()]
    layout = {"xaxis": {"title": {"text": "t"}, "rangemode": "tozero"},
              "yaxis": {"title": {"text": ETA_TITLE}, "rangemode": "tozero", "exponentformat": "power"},
              "legend": {"orientation": "h", "y": -0.3}, "margin": {"t": 10}}
    return figure(data, layout, th, height=th.height // 2 + 60)
