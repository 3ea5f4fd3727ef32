"""Where the hyperparameter map's cells sit: one axis per swept hyperparameter (a log axis for the learning
rate), cell edges halfway between the values (geometrically halfway on a log axis), so each cell is centred on
its setting; and how a hyperparameter reads on an axis."""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go

from optim.registry import spec as optimizer_spec
from optim.sweep import Axis, SweepResult


SEQUENTIAL = "Viridis"  # dark = small loss, few steps, fast rate; yellow = the opposite


def param_label(optimizer: str, param: str, *, log: bool = False) -> str:
    """``"learning rate η"``: the hyperparameter's meaning and its symbol (and the scale when it is log)."""
    h = optimizer_spec(optimizer).hyperparameter(param)
    return f"{h.meaning} {h.text}" + (" (log scale)" if log else "")


def symbol(optimizer: str, param: str) -> str:
    """``η``: how a hyperparameter reads on an axis (its symbol, in Unicode)."""
    return optimizer_spec(optimizer).hyperparameter(param).text


def format_value(v: float) -> str:
    """A hyperparameter value as the page shows it: 4 significant digits."""
    return f"{v:.4g}"


def cell_edges(axis: Axis) -> np.ndarray:
    """Edges of the axis's cells: halfway between values (in log space on a log axis); count + 1 numbers."""
    v = np.log(axis.values) if axis.log else axis.values.astype(float)
    if v.size == 1:
        half = 0.5 if not axis.log else 0.25
        edges = np.array([v[0] - half, v[0] + half])
    else:
        mid = 0.5 * (v[1:] + v[:-1])
        edges = np.concatenate([[v[0] - (mid[0] - v[0])], mid, [v[-1] + (v[-1] - mid[-1])]])
    return np.exp(edges) if axis.log else edges


class MapGrid:
    """Where a result's cells sit on the figure: x along the first axis, y along the second (or one row)."""

    def __init__(self, result: SweepResult):
        self.spec = result.spec
        self.xaxis = self.spec.axes[0]
        self.yaxis = self.spec.axes[1] if len(self.spec.axes) > 1 else None
        self.x = self.xaxis.values
        self.y = self.yaxis.values if self.yaxis else np.array([0.5])
        self.x_edges = cell_edges(self.xaxis)
        self.y_edges = cell_edges(self.yaxis) if self.yaxis else np.array([0.0, 1.0])

    def symbol(self, axis: Axis) -> str:
        return symbol(self.spec.optimizer, axis.param)

    def centre(self, index: tuple[int, int]) -> tuple[float, float]:
        return float(self.x[index[0]]), float(self.y[index[1]])

    def label(self, index: tuple[int, int]) -> str:
        """``"η = 0.01, β = 0.9"`` for a cell."""
        parts = [f"{self.symbol(self.xaxis)} = {format_value(self.x[index[0]])}"]
        if self.yaxis:
            parts.append(f"{self.symbol(self.yaxis)} = {format_value(self.y[index[1]])}")
        return ", ".join(parts)


def grid_axes(fig: go.Figure, grid: MapGrid, row=None, col=None, y_title: bool = True) -> None:
    """The map's axes: each hyperparameter's name and symbol, log where it is swept on a log scale."""
    opt = grid.spec.optimizer
    xa = dict(title_text=param_label(opt, grid.xaxis.param, log=grid.xaxis.log),
              range=_range(grid.x_edges, grid.xaxis.log), showgrid=False, ticks="outside")
    if grid.xaxis.log:
        xa.update(type="log", dtick=1, exponentformat="power")
    fig.update_xaxes(**xa, row=row, col=col)
    if grid.yaxis:
        ya = dict(range=_range(grid.y_edges, grid.yaxis.log), showgrid=False, ticks="outside")
        if y_title:
            ya["title_text"] = param_label(opt, grid.yaxis.param, log=grid.yaxis.log)
        if grid.yaxis.log:
            ya.update(type="log", dtick=1, exponentformat="power")
        fig.update_yaxes(**ya, row=row, col=col)
    else:
        fig.update_yaxes(visible=False, range=[0, 1], row=row, col=col)


def _range(edges: np.ndarray, log: bool) -> list[float]:
    return [math.log10(edges[0]), math.log10(edges[-1])] if log else [float(edges[0]), float(edges[-1])]
