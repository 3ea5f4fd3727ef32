"""One cell of the hyperparameter map: its run's path on the surface (the contour in 2-D, the curve in 1-D)."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from surfaces import Surface

from .contour import backdrop
from .style import KIND_COLORS, KIND_SYMBOLS, STATUS_COLORS, Theme, figure

DRAWN_LIMIT = 1e6  # the run's divergence bound: every point before the escape is drawn
VIEW_GROWTH = 3.0  # the view widens to the path, up to this many times the surface's box


def path_figure(surface: Surface, positions: np.ndarray, th: Theme, *, title: str, color: str,
                diverged: bool = False) -> go.Figure:
    """A run's path on the surface: on the contour plot in 2-D, on the curve in 1-D."""
    P = np.asarray(positions, dtype=float)
    drawn = np.all(np.isfinite(P) & (np.abs(P) <= DRAWN_LIMIT), axis=-1)  # a diverging path runs off the frame
    if surface.dim == 1:
        return _path_1d(surface, P[drawn, 0], th, title=title, color=color, diverged=diverged)
    (x0, x1), (y0, y1) = _view(surface.bounds, P[drawn])
    fig = go.Figure(backdrop(surface, ((x0, x1), (y0, y1))))
    path = P[drawn]
    t = np.flatnonzero(drawn)
    fig.add_trace(go.Scatter(x=path[:, 0], y=path[:, 1], mode="lines+markers", name="w<sub>t</sub>",
                             line=dict(color=color, width=th.line), marker=dict(size=th.marker * 0.55, color=color),
                             customdata=t + 1, hovertemplate="t = %{customdata}<br>x = %{x:.5f}<br>y = %{y:.5f}"
                             "<extra></extra>"))
    fig.add_trace(go.Scatter(x=[P[0, 0]], y=[P[0, 1]], mode="markers", name="start",
                             marker=dict(symbol="circle-open", size=th.marker + 8, color=color, line=dict(width=3))))
    in_view = (path[:, 0] >= x0) & (path[:, 0] <= x1) & (path[:, 1] >= y0) & (path[:, 1] <= y1)
    end = path[np.flatnonzero(in_view)[-1]] if diverged and in_view.any() else path[-1]
    fig.add_trace(go.Scatter(x=[end[0]], y=[end[1]], mode="markers",
                             name="last point in view (diverged)" if diverged else "end",
                             marker=dict(symbol="x" if diverged else "circle", size=th.marker + 6,
                                         color=STATUS_COLORS["diverged"] if diverged else color,
                                         line=dict(width=2, color="white"))))
    for kind in ("minimum", "saddle", "maximum"):
        pts = [p for p in surface.stationary if p.kind == kind]
        if pts:
            fig.add_trace(go.Scatter(x=[p.point[0] for p in pts], y=[p.point[1] for p in pts], mode="markers",
                                     name=kind, hovertext=[p.label for p in pts], hoverinfo="text",
                                     marker=dict(symbol=KIND_SYMBOLS[kind], size=th.marker + 6,
                                                 color=KIND_COLORS[kind], line=dict(width=1, color="white"))))
    fig.update_xaxes(title_text=surface.variables[0], range=[x0, x1], showgrid=False, constrain="domain")
    fig.update_yaxes(title_text=surface.variables[1], range=[y0, y1], showgrid=False, constrain="domain")
    if 1 / 3 < (y1 - y0) / (x1 - x0) < 3:  # true shapes: a round bowl looks round
        fig.update_yaxes(scaleanchor="x", scaleratio=1)
    fig.update_layout(title=dict(text=title, x=0, xanchor="left"),
                      legend=dict(orientation="h", yref="container", yanchor="bottom", y=0, x=0, xanchor="left"),
                      margin=fixed_margins(th))
    return figure(fig.data, fig.layout, th)


def fixed_margins(th: Theme) -> dict:
    """Margins that do not grow with the legend, so the plot keeps its size whatever the run (a diverged run's
    longer legend entry once shrank it): room for the tick labels and axis titles, and two legend rows below."""
    return dict(t=th.map.path_margin_top, l=round(4.8 * th.font), r=round(1.5 * th.font),
                b=round(4.2 * th.font + 2 * 1.9 * th.font), autoexpand=False)


def _view(bounds, points: np.ndarray) -> list[tuple[float, float]]:
    """The surface's box, widened to the points that lie within VIEW_GROWTH times it, with a margin."""
    box = []
    for k, (lo, hi) in enumerate(bounds):
        mid, half = 0.5 * (lo + hi), 0.5 * (hi - lo) * VIEW_GROWTH
        v = points[:, k] if points.size else np.empty(0)
        v = v[(v >= mid - half) & (v <= mid + half)]
        if v.size:
            lo, hi = min(lo, float(v.min())), max(hi, float(v.max()))
        pad = 0.04 * (hi - lo)
        box.append((lo - pad, hi + pad))
    return box


def _path_1d(surface: Surface, w: np.ndarray, th: Theme, *, title: str, color: str, diverged: bool) -> go.Figure:
    ((lo, hi),) = _view(surface.bounds, w[:, None])
    grid = np.linspace(lo, hi, 400)
    fig = go.Figure(go.Scatter(x=grid, y=surface.value(grid[:, None]), mode="lines", name="f(w)",
                               line=dict(color="#444", width=th.line), hoverinfo="skip"))
    shown = w
    fig.add_trace(go.Scatter(x=shown, y=surface.value(shown[:, None]), mode="lines+markers", name="w<sub>t</sub>",
                             line=dict(color=color, width=th.line * 0.7, dash="dot"),
                             marker=dict(size=th.marker * 0.8, color=color),
                             customdata=np.arange(shown.size),
                             hovertemplate="t = %{customdata}<br>w = %{x:.5f}<br>f = %{y:.5f}<extra></extra>"))
    fig.add_trace(go.Scatter(x=[w[0]], y=surface.value(w[:1, None]), mode="markers", name="start",
                             marker=dict(symbol="circle-open", size=th.marker + 8, color=color, line=dict(width=3))))
    for m in surface.minima:
        fig.add_trace(go.Scatter(x=[m.point[0]], y=[m.value], mode="markers", name=m.label,
                                 marker=dict(symbol=KIND_SYMBOLS["minimum"], size=th.marker + 6,
                                             color=KIND_COLORS["minimum"])))
    f_view = surface.value(grid[:, None])
    fig.update_xaxes(title_text="w", range=[lo, hi])
    fig.update_yaxes(title_text="f(w)", range=[float(f_view.min()) - 0.05 * float(np.ptp(f_view)),
                                               float(f_view.max()) * 1.05 if f_view.max() > 0 else 1.0])
    fig.update_layout(title=dict(text=title, x=0, xanchor="left"),
                      legend=dict(orientation="h", yanchor="top", y=th.map.path_legend_y, x=0),
                      margin=dict(t=th.map.path_margin_top, b=10))
    return figure(fig.data, fig.layout, th)
