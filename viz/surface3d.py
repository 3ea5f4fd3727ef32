"""The playground's other view: the same runs on the surface in 3-D, and their loss against the iteration."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from surfaces import Surface

from optim import Trajectory
from .contour import contour_data, height_title, surface_trace
from .paths import clip_to_view, log_dtick, loss_reference, loss_values
from .style import KIND_COLORS, LOOKS, Theme, figure

#: the 3-D view's own marker symbols (Scatter3d has only a few)
KIND_SYMBOLS_3D = {"minimum": "diamond", "maximum": "circle", "saddle": "cross"}


def surface_figure(surface: Surface, runs: list[Trajectory], th: Theme, *, current: int = 1) -> go.Figure:
    """The same runs on the surface in 3-D (log height where the contour uses log levels), points at iteration t."""
    cd = contour_data(surface, n=101, delta=0.1)  # shallower funnels than the contour's levels need
    vx, vy = surface.variables
    height = (lambda f: np.log10(np.maximum(np.asarray(f, dtype=float) - cd.offset, 1e-300))) if cd.log else \
        (lambda f: np.asarray(f, dtype=float))
    span = float(cd.z.max() - cd.z.min()) or 1.0
    lift = 0.015 * span  # paths float just above the surface, so that it does not hide them
    fig = go.Figure(surface_trace(cd))
    for r in runs:
        pts, last, _ = clip_to_view(r.positions, r.rows, r.diverged, surface.bounds)
        with np.errstate(over="ignore", invalid="ignore"):
            z = height(surface.value(pts)) + lift
        keep = np.isfinite(z)
        color = LOOKS[r.optimizer].color
        fig.add_trace(go.Scatter3d(x=pts[keep, 0], y=pts[keep, 1], z=z[keep], mode="lines", name=r.title,
                                   legendgroup=r.optimizer, line=dict(color=color, width=th.line * 2.2),
                                   hovertemplate=f"{r.title}<br>({vx}, {vy}) = (%{{x:.4g}}, %{{y:.4g}})"
                                                 "<extra></extra>"))
        t = min(current, last + 1)
        p = r.positions[t - 1]
        fig.add_trace(go.Scatter3d(x=[p[0]], y=[p[1]], z=[float(height(r.losses[t - 1])) + lift], mode="markers",
                                   showlegend=False, legendgroup=r.optimizer, name=r.title,
                                   marker=dict(size=th.marker * 0.8, color=color, line=dict(width=1, color="white")),
                                   hovertemplate=f"{r.title} at t = {t}<extra></extra>"))
    for kind in ("minimum", "maximum", "saddle"):
        pts = [p for p in surface.stationary if p.kind == kind]
        if pts:
            fig.add_trace(go.Scatter3d(
                x=[p.point[0] for p in pts], y=[p.point[1] for p in pts],
                z=[float(height(p.value)) + lift for p in pts], mode="markers", name=kind,
                marker=dict(symbol=KIND_SYMBOLS_3D[kind], size=th.marker * 0.8, color=KIND_COLORS[kind]),
                hoverinfo="name"))
    axis = dict(backgroundcolor="white", gridcolor=th.grid, title_font=dict(size=th.font),
                tickfont=dict(size=th.font - 4))
    fig.update_layout(
        scene=dict(xaxis=dict(title=dict(text=vx), range=list(surface.bounds[0]), **axis),
                   yaxis=dict(title=dict(text=vy), range=list(surface.bounds[1]), **axis),
                   zaxis=dict(title=dict(text=height_title(cd, vx, vy)), **axis), aspectmode="manual",
                   aspectratio=dict(x=1, y=1, z=0.55), camera=dict(eye=dict(x=0.9, y=-1.7, z=1.15))),
        legend=dict(orientation="h", x=0, y=1.02, yanchor="bottom"), margin=dict(l=0, r=0, t=30, b=0),
    )
    return figure(fig.data, fig.layout, th, height=th.race.view3d_height)


def loss_figure(surface: Surface, runs: list[Trajectory], th: Theme, *, current: int = 1) -> go.Figure:
    """The loss against the iteration (log scale of f - f* where f* is known), a line at iteration t."""
    fig = go.Figure()
    for r in runs:
        _, last, _ = clip_to_view(r.positions, r.rows, r.diverged, surface.bounds)
        look = LOOKS[r.optimizer]
        fig.add_trace(go.Scatter(x=np.arange(1, last + 2), y=loss_values(surface, r.losses[: last + 1]), mode="lines",
                                 name=r.title, line=dict(color=look.color, width=th.line, dash=look.dash)))
    fig.add_vline(x=current, line=dict(color="#444", dash="dot", width=1.5))
    fig.update_xaxes(title_text="iteration t")
    if loss_reference(surface) is not None:
        shown = np.concatenate([loss_values(surface, r.losses) for r in runs])
        shown = shown[np.isfinite(shown) & (shown > 0)]
        decades = float(np.log10(shown.max() / shown.min())) if shown.size else 1.0
        fig.update_yaxes(title_text="f(w<sub>t</sub>) − f*  (log scale)", type="log", exponentformat="power",
                         dtick=log_dtick(decades))
    else:
        fig.update_yaxes(title_text="f(w<sub>t</sub>)")
    fig.update_layout(showlegend=False)  # the 3-D view beside it names the runs: one legend, not two
    return figure(fig.data, fig.layout, th, height=th.race.view3d_height)
