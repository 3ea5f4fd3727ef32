"""The n-step figure: conjugate gradients, BFGS and steepest descent, all with the exact line search, on one
quadratic's contour (see ``optim.conjugacy``)."""

from __future__ import annotations

import plotly.graph_objects as go

from optim.conjugacy import QuadraticSteps
from surfaces.base import Surface

from .contour import contour_trace
from .style import LOOKS, Look, Theme, figure

STEEPEST = "#555555"  #: steepest descent is not one of the app's optimizers: grey, dotted


def conjugacy_figure(surface: Surface, result: QuadraticSteps, th: Theme) -> go.Figure:
    """The three paths from the same start over the contour; CG and BFGS end on the minimum after n steps."""
    vx, vy = surface.variables
    paths = [(traj.positions[: result.n + 1], LOOKS[traj.optimizer], f"{traj.spec.title}: {result.n} steps")
             for traj in (result.cg, result.bfgs)]
    paths.append((result.steepest, Look(STEEPEST, "circle", "dot"),
                  f"steepest descent: {len(result.steepest) - 1} steps"))
    data = [contour_trace(surface, th)]
    for points, look, name in paths:
        data.append(dict(type="scatter", x=points[:, 0], y=points[:, 1], mode="lines+markers", name=name,
                         line=dict(color=look.color, width=th.line, dash=look.dash),
                         marker=dict(color=look.color, size=th.marker, symbol=look.symbol),
                         hovertemplate=f"{name}<br>{vx} = %{{x:.4f}}<br>{vy} = %{{y:.4f}}<extra></extra>"))
    data.append(dict(type="scatter", x=[result.minimum[0]], y=[result.minimum[1]], mode="markers", name="minimum w*",
                     marker=dict(color="black", size=th.marker + 6, symbol="star")))
    (x0, x1), (y0, y1) = surface.bounds
    layout = dict(xaxis=dict(title=dict(text=vx), range=[x0, x1], constrain="domain", showgrid=False),
                  yaxis=dict(title=dict(text=vy), range=[y0, y1], scaleanchor="x", scaleratio=1, constrain="domain",
                             showgrid=False),
                  legend=dict(orientation="h", x=0, y=1.02, yanchor="bottom"))
    return figure(data, layout, th, height=th.height + 80)
