"""Figures of the hyperparameter map: the grid's outcome as a clickable heatmap, the measured and theoretical
convergence rates side by side, and one cell's path on the surface.

Heatmaps sit in data coordinates (a log axis for the learning rate) with cell edges halfway between the
values (geometrically halfway on a log axis), so each cell is centred on its setting. Streamlit reports clicks
on scatter points only, not on heatmap cells: every map carries an invisible marker at each cell centre, one
trace per status, which also carries the hover text. Arrays go out as float32 to keep a 200 x 200 map small.
"""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go

from optim.trajectory import Status, describe_outcome
from optim.sweep import SweepResult
from surfaces import get as surfaces_get

from .map_grid import SEQUENTIAL, MapGrid, grid_axes
from .rates import rate_colorbar, rate_heat
from .style import STATUS_COLORS, Theme, figure, power_of_ten

OUTCOMES = {
    "loss": "final loss",
    "steps": "steps to converge",
    "status": "outcome",
    "rate": "convergence rate ρ",
}
RUNNING_GREY = "#A6A6A6"
UNSELECTED = dict(marker=dict(opacity=1))  # a click must not dim the marks


def _heat(grid: MapGrid, z: np.ndarray, **kw) -> go.Heatmap:
    """A heatmap of ``z`` indexed [i, j] (first axis, second axis), drawn with the first axis along x."""
    return go.Heatmap(x=grid.x_edges, y=grid.y_edges, z=np.asarray(z, dtype=np.float32).T, **kw)


def _mask(grid: MapGrid, mask: np.ndarray, color: str, name: str) -> go.Heatmap:
    """The cells of ``mask`` in one colour, the others transparent (one byte per cell on the wire)."""
    return go.Heatmap(x=grid.x_edges, y=grid.y_edges, z=np.asarray(mask, dtype=np.uint8).T,
                      colorscale=[[0, "rgba(0,0,0,0)"], [1, color]], zmin=0, zmax=1, showscale=False,
                      hoverinfo="skip", name=name)


def _legend_square(name: str, color: str, th: Theme, symbol: str = "square", line: str | None = None) -> go.Scatter:
    return go.Scatter(x=[None], y=[None], mode="markers", name=name, showlegend=True, hoverinfo="skip",
                      unselected=UNSELECTED,
                      marker=dict(symbol=symbol, size=th.marker + 4, color=color,
                                  line=dict(width=1.5, color=line or color)))


def map_figure(result: SweepResult, outcome: str, th: Theme, *, selected: tuple[int, int] | None = None,
               default: tuple[float, ...] | None = None, f_star: float | None = None, rates=None,
               title: str | None = None) -> go.Figure:
    """The grid's outcome as a heatmap, clickable cell by cell.

    Args:
        outcome: a key of OUTCOMES. ``"loss"`` colours log10 of f(w_T) - f* (``f_star``, the lowest minimum;
            the raw loss on a linear scale when there is none), ``"steps"`` the step at which a cell converged
            (cells still running after the last step in grey), ``"status"`` converged / running / diverged,
            ``"rate"`` the measured convergence rate (``rates``, a ``MeasuredRates``). Diverged cells always
            have their own colour.
        selected: the clicked cell, outlined. default: the surface's default hyperparameters, starred.
    """
    grid = MapGrid(result)
    steps = result.spec.steps
    fig = go.Figure()
    shown_value, diverged = _outcome_traces(fig, grid, result, outcome, th, f_star, rates)
    if diverged is not None:
        fig.add_trace(_mask(grid, diverged, STATUS_COLORS["diverged"], "diverged"))
    _click_targets(fig, grid, result, shown_value, outcome)
    # legend: the colours that are not on the colour bar
    if outcome == "status":
        fig.add_trace(_legend_square("converged", STATUS_COLORS["converged"], th))
        fig.add_trace(_legend_square(describe_outcome(Status.RUNNING, -1, steps), STATUS_COLORS["running"], th))
    if outcome == "steps":
        fig.add_trace(_legend_square(describe_outcome(Status.RUNNING, -1, steps), RUNNING_GREY, th))
    fig.add_trace(_legend_square("ρ ≥ 1: the error grows" if outcome == "rate" else "diverged",
                                 STATUS_COLORS["diverged"], th))
    _marks(fig, grid, th, selected, default)
    grid_axes(fig, grid)
    fig.update_layout(
        title=dict(text=title, x=0, xanchor="left") if title else None,
        legend=dict(orientation="h", yanchor="top", y=-0.16 if grid.yaxis else -0.45, x=0, xanchor="left",
                    itemclick=False, itemdoubleclick=False),
        margin=dict(t=th.map.titled_margin_top if title else th.map.margin_top, r=10, b=10),
        hovermode="closest", hoverdistance=-1, clickmode="event+select", dragmode=False,
    )
    return figure(fig.data, fig.layout, th, height=_map_height(grid, th))


def _outcome_traces(fig: go.Figure, grid: MapGrid, result: SweepResult, outcome: str, th: Theme, f_star, rates):
    """The heatmap (and colour bar) of ``outcome``. Returns the value each cell's hover shows, and the diverged
    cells still to paint in their colour (None where the outcome's own colours show them)."""
    status = result.status
    diverged = status == Status.DIVERGED
    colorbar = dict(thickness=th.colorbar_thickness, len=1.0 if grid.yaxis is None else 0.9,
                    tickfont=dict(size=th.font),
                    title=dict(font=dict(size=th.font), side="right"))
    shown_value = result.final_loss
    if outcome == "loss":
        shown_value = _loss_heat(fig, grid, result, f_star, diverged, colorbar)
    elif outcome == "steps":
        z = np.where(status == Status.CONVERGED, result.event_step, np.nan)
        colorbar.update(title_text="steps to converge")
        fig.add_trace(_heat(grid, z, colorscale=SEQUENTIAL, zmin=0, zmax=result.spec.steps, colorbar=colorbar,
                            hoverinfo="skip", name="steps"))
        fig.add_trace(_mask(grid, status == Status.RUNNING, RUNNING_GREY, "running"))
    elif outcome == "status":
        # the diverged cells are painted by the caller; a rarer ending (a failed line search) only where it occurs
        for s in Status:
            if s != Status.DIVERGED and (s in (Status.CONVERGED, Status.RUNNING) or np.any(status == s)):
                fig.add_trace(_mask(grid, status == s, STATUS_COLORS[s.label], s.label))
    elif outcome == "rate":
        shown_value = rates.rate
        grows = diverged | (rates.rate >= 1)
        fig.add_trace(rate_heat(grid, np.where(grows, 1.0, rates.rate), hoverinfo="skip", name="rate"))
        fig.add_trace(rate_colorbar(th, "ρ (measured)", short=grid.yaxis is None))
        diverged = None  # coloured by the rate map itself
    else:
        raise ValueError(f"unknown outcome {outcome!r}; choose one of {', '.join(OUTCOMES)}")
    return shown_value, diverged


def _loss_heat(fig: go.Figure, grid: MapGrid, result: SweepResult, f_star, diverged, colorbar: dict) -> np.ndarray:
    """The final loss: log10 of f - f* with power-of-ten ticks, or f itself where f* is unknown. Returns what
    each cell's hover shows."""
    if f_star is None:
        z = np.where(diverged, np.nan, result.final_loss)
        colorbar.update(title_text="final f")
        fig.add_trace(_heat(grid, z, colorscale=SEQUENTIAL, colorbar=colorbar, hoverinfo="skip", name="final loss"))
        return result.final_loss
    floor = 1e-16 * max(1.0, abs(f_star))
    gap = np.maximum(result.final_loss - f_star, floor)
    z = np.where(diverged, np.nan, np.log10(gap))
    lo, hi = _nice_log_range(z)
    # no progress is no progress: everything above the start's gap gets the top colour
    start_gap = float(surfaces_get(result.spec.surface).value(list(result.spec.start))) - f_star
    hi = min(hi, math.ceil(math.log10(max(start_gap, floor))) + 1)
    lo = min(lo, hi - 1)
    ticks = list(range(lo, hi + 1, max(1, math.ceil((hi - lo) / (3 if grid.yaxis is None else 7)))))
    labels = [power_of_ten(k) for k in ticks]
    if ticks[-1] == hi and np.nanmax(z, initial=-np.inf) > hi:
        labels[-1] = "≥ " + labels[-1]
    colorbar.update(title_text="final f − f*", tickvals=ticks, ticktext=labels)
    fig.add_trace(_heat(grid, z, colorscale=SEQUENTIAL, zmin=lo, zmax=hi, colorbar=colorbar, hoverinfo="skip",
                        name="final loss"))
    return gap


def _map_height(grid: MapGrid, th: Theme) -> int:
    return th.map.row_height if grid.yaxis is None else th.map.height


def _nice_log_range(z: np.ndarray) -> tuple[int, int]:
    finite = z[np.isfinite(z)]
    if not finite.size:
        return -1, 1
    lo, hi = math.floor(float(finite.min())), math.ceil(float(finite.max()))
    return lo, max(hi, lo + 1)


def _click_targets(fig: go.Figure, grid: MapGrid, result: SweepResult, value: np.ndarray, outcome: str) -> None:
    """Invisible markers at every cell centre, one trace per status: hover text and click selection."""
    X, Y = np.meshgrid(grid.x, grid.y, indexing="ij")
    xs = grid.symbol(grid.xaxis)
    head = f"{xs} = %{{x:.4g}}"
    if grid.yaxis:
        head += f"<br>{grid.symbol(grid.yaxis)} = %{{y:.4g}}"
    what = {"loss": "final f − f* = %{customdata[0]:.3e}", "steps": "final loss %{customdata[0]:.3e}",
            "status": "final loss %{customdata[0]:.3e}", "rate": "measured ρ = %{customdata[0]:.4f}"}[outcome]
    text = {s: describe_outcome(s, "%{customdata[1]}", result.spec.steps) for s in Status}
    for s in Status:
        m = result.status == s
        if not m.any():
            continue
        big = float(np.finfo(np.float32).max)
        data = np.stack([np.clip(np.nan_to_num(value[m], nan=big, posinf=big, neginf=-big), -big, big),
                         result.event_step[m]], axis=-1).astype(np.float32)
        fig.add_trace(go.Scatter(
            x=X[m].astype(np.float32), y=Y[m].astype(np.float32), mode="markers", name=f"cells: {s.label}",
            marker=dict(size=8, opacity=0), customdata=data, showlegend=False,
            hovertemplate=f"{head}<br><b>{text[s]}</b><br>{what}<br><i>click: show this run</i><extra></extra>",
        ))


def _marks(fig: go.Figure, grid: MapGrid, th: Theme, selected, default) -> None:
    if default is not None and all(v is not None for v in default):
        x, y = default[0], default[1] if grid.yaxis else 0.5
        if grid.xaxis.low <= x <= grid.xaxis.high and (grid.yaxis is None or grid.yaxis.low <= y <= grid.yaxis.high):
            star = dict(symbol="star", size=th.marker + 10, color="white", line=dict(width=2, color="black"))
            fig.add_trace(go.Scatter(x=[x], y=[y], mode="markers", name="default setting", hoverinfo="skip",
                                     unselected=UNSELECTED, marker=star))
    if selected is not None:
        x, y = grid.centre(selected)
        for width, color, size in ((6, "white", th.marker + 14), (3, "black", th.marker + 12)):
            square = dict(symbol="square-open", size=size, color=color, line=dict(width=width, color=color))
            fig.add_trace(go.Scatter(x=[x], y=[y], mode="markers", hoverinfo="skip", showlegend=color == "black",
                                     name="the run shown", unselected=UNSELECTED, marker=square))

