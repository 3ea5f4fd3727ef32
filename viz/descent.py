"""Figures for gradient descent on a 1-D curve: the animated descent, the learning-rate strip, comparisons.

The animation follows the house rule for size: everything that does not move (the curve, the faint path of
all iterates) is drawn once; each frame only moves the current point, the current step and the markers on
the w_t and f(w_t) plots.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from optim.analysis import critical_learning_rates
from surfaces import Surface

from .style import KIND_COLORS, KIND_SYMBOLS, SERIES_COLORS, STATUS_COLORS, Theme, format_number, style

FRAME_MS = 450


def curve_view(surface: Surface, points: np.ndarray | None = None) -> tuple[np.ndarray, tuple[float, float]]:
    """Sample points of the curve over the view box, widened to include the finite iterates it can show."""
    lo, hi = surface.bounds[0]
    if points is not None and points.size:
        finite = points[np.isfinite(points) & (np.abs(points) < 10 * max(abs(lo), abs(hi)))]
        if finite.size:
            lo, hi = min(lo, finite.min()), max(hi, finite.max())
    pad = 0.04 * (hi - lo)
    w = np.linspace(lo - pad, hi + pad, 400)
    return w, (lo - pad, hi + pad)


def _stationary_traces(surface: Surface, th: Theme, row=None, col=None) -> list[go.Scatter]:
    traces = []
    for kind in ("minimum", "maximum"):
        pts = [s for s in surface.stationary if s.kind == kind]
        if not pts:
            continue
        traces.append(go.Scatter(
            x=[p.point[0] for p in pts], y=[p.value for p in pts], mode="markers", name=kind + " (f′ = 0)",
            marker=dict(symbol=KIND_SYMBOLS[kind], size=th.marker + 6, color=KIND_COLORS[kind],
                        line=dict(width=1, color="white")),
            hovertext=[f"{p.label}<br>w = {format_number(p.point[0])}<br>f = {format_number(p.value)}" for p in pts],
            hoverinfo="text",
        ))
    return traces


def descent_figure(surface: Surface, positions: np.ndarray, losses: np.ndarray, th: Theme, *,
                   color: str = "#000000") -> go.Figure:
    """Animated gradient descent on a 1-D curve, with w_t and f(w_t) against the iteration beside it.

    Args:
        positions: w_0 .. w_T, shape (T + 1,) (after a divergence, the last rows repeat the escape point).
        losses: f(w_0) .. f(w_T).
    """
    w = np.asarray(positions, dtype=float)
    f = np.asarray(losses, dtype=float)
    T = w.size - 1
    grid, (x0, x1) = curve_view(surface, w)
    fg = surface.value(grid[:, None])
    y_lo, y_hi = float(fg.min()), float(fg.max())
    pad = 0.08 * (y_hi - y_lo)
    y_range = (y_lo - pad, y_hi + pad)
    it = np.arange(T + 1)

    fig = make_subplots(rows=2, cols=2, specs=[[{"rowspan": 2}, {}], [None, {}]], column_widths=[0.6, 0.4],
                        horizontal_spacing=0.08, vertical_spacing=0.2,
                        subplot_titles=("f(w) and the iterates", "w<sub>t</sub>", "f(w<sub>t</sub>)"))
    lw, ms = th.line, th.marker
    # static: the curve, the path through all iterates, w_t and f(w_t) series
    fig.add_trace(go.Scatter(x=grid, y=fg, mode="lines", name="f(w)", line=dict(color="#444", width=lw),
                             hoverinfo="skip"), 1, 1)
    for tr in _stationary_traces(surface, th):
        fig.add_trace(tr, 1, 1)
    fig.add_trace(go.Scatter(x=w, y=f, mode="lines+markers", name="iterates w<sub>t</sub>",
                             line=dict(color=color, width=max(1.0, lw / 2), dash="dot"),
                             marker=dict(size=ms * 0.6, color=color, opacity=0.45),
                             customdata=it, hovertemplate="t = %{customdata}<br>w = %{x:.5f}<br>f = %{y:.5f}"
                             "<extra></extra>"), 1, 1)
    fig.add_trace(go.Scatter(x=it, y=w, mode="lines+markers", line=dict(color=color, width=lw),
                             marker=dict(size=ms * 0.6), showlegend=False, name="w_t",
                             hovertemplate="t = %{x}<br>w = %{y:.5f}<extra></extra>"), 1, 2)
    fig.add_trace(go.Scatter(x=it, y=f, mode="lines+markers", line=dict(color=color, width=lw),
                             marker=dict(size=ms * 0.6), showlegend=False, name="f(w_t)",
                             hovertemplate="t = %{x}<br>f = %{y:.5f}<extra></extra>"), 2, 2)
    for wm in [s.point[0] for s in surface.minima]:
        fig.add_hline(y=wm, line=dict(color=KIND_COLORS["minimum"], dash="dash", width=1), row=1, col=2)

    # animated: current point, current step, markers on the right
    def moving(k: int) -> list[go.Scatter]:
        k1 = min(k + 1, T)
        return [
            go.Scatter(x=[w[k], w[k1]], y=[f[k], f[k1]], mode="lines", line=dict(color=color, width=lw * 1.6),
                       name="step t → t+1", showlegend=k == 0, hoverinfo="skip"),
            go.Scatter(x=[w[k]], y=[f[k]], mode="markers", name="current w<sub>t</sub>",
                       marker=dict(size=ms * 1.8, color=color, line=dict(width=2, color="white")),
                       showlegend=k == 0, hovertemplate=f"t = {k}<br>w = %{{x:.5f}}<br>f = %{{y:.5f}}<extra></extra>"),
            go.Scatter(x=[k], y=[w[k]], mode="markers", marker=dict(size=ms * 1.5, color=color), showlegend=False,
                       hoverinfo="skip"),
            go.Scatter(x=[k], y=[f[k]], mode="markers", marker=dict(size=ms * 1.5, color=color), showlegend=False,
                       hoverinfo="skip"),
        ]

    first = len(fig.data)
    for tr, (r, c) in zip(moving(0), ((1, 1), (1, 1), (1, 2), (2, 2))):
        fig.add_trace(tr, r, c)
    moving_idx = list(range(first, first + 4))
    fig.frames = [go.Frame(data=moving(k), traces=moving_idx, name=str(k)) for k in range(T + 1)]
    _add_player(fig, T, th)

    fig.update_xaxes(title_text="w", range=[x0, x1], row=1, col=1)
    fig.update_yaxes(title_text="f(w)", range=list(y_range), row=1, col=1)
    fig.update_xaxes(title_text="iteration t", row=2, col=2)
    f_fin = f[np.isfinite(f)]
    if f_fin.size and f_fin.max() > 50 * max(1.0, abs(f_fin.min())):
        fig.update_yaxes(type="log", row=2, col=2)
    style(fig, th, height=th.height + 80)
    fig.update_layout(legend=dict(orientation="h", yanchor="bottom", y=1.08, x=0, xanchor="left"),
                      margin=dict(t=90 if th.present else 70, b=130 if th.present else 110))
    return fig


def _add_player(fig: go.Figure, T: int, th: Theme) -> None:
    """Play / pause buttons and a step slider that move the animated traces frame by frame."""
    play = dict(label="▶ Play", method="animate",
                args=[None, {"frame": {"duration": FRAME_MS, "redraw": False}, "fromcurrent": True,
                             "transition": {"duration": 120}}])
    pause = dict(label="❚❚ Pause", method="animate",
                 args=[[None], {"frame": {"duration": 0, "redraw": False}, "mode": "immediate"}])
    fig.update_layout(
        updatemenus=[dict(type="buttons", direction="left", buttons=[play, pause], x=0, y=-0.17,
                          xanchor="left", yanchor="top", pad=dict(t=0, r=10), showactive=False,
                          font=dict(size=th.font))],
        sliders=[dict(
            active=0, x=0.3 if th.present else 0.22, y=-0.17, len=0.7 if th.present else 0.78, xanchor="left",
            yanchor="top", pad=dict(t=0), currentvalue=dict(prefix="step t = ", font=dict(size=th.font), xanchor="right"),
            font=dict(size=max(10, th.font - 4)),
            steps=[dict(label=str(k), method="animate",
                        args=[[str(k)], {"frame": {"duration": 0, "redraw": False}, "mode": "immediate"}])
                   for k in range(T + 1)],
        )],
    )


def rate_strip(curvature: float, lr: float, lr_max: float, th: Theme) -> go.Figure:
    """The learning-rate axis coloured by what gradient descent does: regions, critical rates, current eta."""
    one, two = critical_learning_rates(curvature)
    hi = max(lr_max, lr) * 1.02
    regions = [(0.0, one, STATUS_COLORS["converged"], "monotone"),
               (one, two, STATUS_COLORS["running"], "oscillating"),
               (two, max(hi, two * 1.001), STATUS_COLORS["diverged"], "diverges")]
    fig = go.Figure()
    for a, b, col, text in regions:
        if a >= hi:
            continue
        fig.add_shape(type="rect", x0=a, x1=min(b, hi), y0=0, y1=1, fillcolor=col, opacity=0.28, line_width=0)
        fig.add_annotation(x=(a + min(b, hi)) / 2, y=0.22, text=text, showarrow=False, font=dict(size=th.font - 4))
    for x, label in ((one, f"1/f″ = {one:g}"), (two, f"2/f″ = {two:g}")):
        if x <= hi:
            fig.add_vline(x=x, line=dict(color="#333", width=2, dash="dot"))
            fig.add_annotation(x=x, y=1.0, yanchor="bottom", text=label, showarrow=False, font=dict(size=th.font - 2))
    fig.add_trace(go.Scatter(x=[lr], y=[0.72], mode="markers", marker=dict(symbol="triangle-down", size=th.marker * 2,
                                                                          color="#000"),
                             name="η", hovertemplate="η = %{x}<extra></extra>"))
    style(fig, th, height=150 if th.present else 120, legend=False)
    fig.update_xaxes(range=[0, hi], title_text="learning rate η", showgrid=False)
    fig.update_yaxes(visible=False, range=[0, 1.35], showgrid=False)
    fig.update_layout(margin=dict(t=28, b=10))
    return fig


def compare_paths(series: list[tuple[str, np.ndarray]], surface: Surface, th: Theme) -> go.Figure:
    """w_t against t for several runs (one per learning rate), the minimum dashed."""
    fig = go.Figure()
    for i, (label, w) in enumerate(series):
        fig.add_trace(go.Scatter(x=np.arange(w.size), y=w, mode="lines+markers", name=label,
                                 line=dict(color=SERIES_COLORS[i % len(SERIES_COLORS)], width=th.line),
                                 marker=dict(size=th.marker * 0.7)))
    for m in surface.minima:
        fig.add_hline(y=m.point[0], line=dict(color=KIND_COLORS["minimum"], dash="dash", width=1.5),
                      annotation_text=f"w* = {format_number(m.point[0])}", annotation_position="bottom right")
    style(fig, th, height=360 if not th.present else 460)
    fig.update_xaxes(title_text="iteration t")
    fig.update_yaxes(title_text="w<sub>t</sub>")
    return fig


def basins_figure(surface: Surface, paths: list[np.ndarray], labels: list[str], th: Theme) -> go.Figure:
    """Several gradient-descent paths on one curve, with its minima and maxima marked."""
    allw = np.concatenate(paths) if paths else None
    grid, (x0, x1) = curve_view(surface, allw)
    fg = surface.value(grid[:, None])
    fig = go.Figure(go.Scatter(x=grid, y=fg, mode="lines", name="f(w)", line=dict(color="#444", width=th.line),
                               hoverinfo="skip"))
    for i, (w, label) in enumerate(zip(paths, labels)):
        c = SERIES_COLORS[i % len(SERIES_COLORS)]
        fig.add_trace(go.Scatter(x=w, y=surface.value(w[:, None]), mode="lines+markers", name=label,
                                 line=dict(color=c, width=th.line * 0.8), marker=dict(size=th.marker * 0.7, color=c)))
        fig.add_trace(go.Scatter(x=[w[0]], y=[surface.value([w[0]])], mode="markers", showlegend=False,
                                 marker=dict(symbol="circle-open", size=th.marker * 1.6, color=c,
                                             line=dict(width=3)), hoverinfo="skip"))
    for tr in _stationary_traces(surface, th):
        fig.add_trace(tr)
    style(fig, th)
    fig.update_xaxes(title_text="w", range=[x0, x1])
    fig.update_yaxes(title_text="f(w)", range=[float(fg.min()) - 0.6, float(fg.max()) * 1.05])
    return fig
