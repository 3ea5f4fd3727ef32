"""Convergence rates on the hyperparameter map: the rate colour scale (shared with the map's "rate" outcome),
and the measured and theoretical rates side by side with the theory's regions."""

from __future__ import annotations

import math

import numpy as np
import plotly.colors as px_colors
import plotly.graph_objects as go

from optim.analysis import REGIONS, iteration_matrix
from optim.sweep import SweepResult

from .map_grid import SEQUENTIAL, MapGrid, grid_axes
from .style import LOOKS, STATUS_COLORS, Theme, figure, subplots

REGION_COLORS = {"monotone": STATUS_COLORS["converged"], "oscillating": STATUS_COLORS["running"],
                 "divergent": STATUS_COLORS["diverged"]}
#: rates are coloured by log10(1 - rho), which spreads the slow end (0.9, 0.99, 0.999) where maps differ
RATE_TICKS = {-3.0: "0.999", -2.0: "0.99", -1.0: "0.9", math.log10(0.5): "0.5", 0.0: "0"}


def rate_colour(rho: np.ndarray) -> np.ndarray:
    """The colour of a convergence rate as one byte: log10(1 - rho) from -3 (0 here) to 0 (250 here); 255
    marks rho >= 1, drawn in the diverged colour. One byte per cell keeps big maps light."""
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.log10(np.clip(1.0 - np.asarray(rho, dtype=float), 1e-3, 1.0))
    code = np.round((z + 3.0) * (250 / 3)).astype(np.uint8)
    return np.where(np.asarray(rho) >= 1, np.uint8(255), code)


def _rate_scale() -> list:
    """Viridis reversed over the codes 0..250 of rate_colour: slow (rho near 1) yellow, fast dark."""
    return [[1 - q, col] for q, col in px_colors.get_colorscale(SEQUENTIAL)][::-1]


def rate_heat(grid: MapGrid, rho: np.ndarray, **kw) -> go.Heatmap:
    """Rates on the log10(1 - rho) scale (byte-coded, see rate_colour); rho >= 1 in the diverged colour. Its
    colour bar is drawn by rate_colorbar (the byte 255 for divergence must not appear on it)."""
    scale = [[p * 250 / 255, c] for p, c in _rate_scale()]
    scale = scale + [[250 / 255 + 1e-9, STATUS_COLORS["diverged"]], [1.0, STATUS_COLORS["diverged"]]]
    return go.Heatmap(x=grid.x_edges, y=grid.y_edges, z=rate_colour(rho).T, zmin=0, zmax=255, colorscale=scale,
                      showscale=False, **kw)


def rate_colorbar(th: Theme, title: str, *, short: bool = False) -> go.Scatter:
    """The colour bar of the rate maps, on an invisible trace: ticks at rho = 0.999, 0.99, 0.9, 0.5 and 0
    (without 0.5 and 0.99 on a short, one-row map)."""
    ticks = {k: v for k, v in RATE_TICKS.items() if not short or v in ("0.999", "0.9", "0")}
    bar = dict(thickness=th.colorbar_thickness, len=1.0 if short else 0.9, tickfont=dict(size=th.font),
               tickvals=[(k + 3) * 250 / 3 for k in ticks], ticktext=list(ticks.values()),
               title=dict(text=title, font=dict(size=th.font), side="right"))
    return go.Scatter(x=[None], y=[None], mode="markers", showlegend=False, hoverinfo="skip", name="rate scale",
                      marker=dict(color=[0], cmin=0, cmax=250, colorscale=_rate_scale(), showscale=True,
                                  colorbar=bar))


def region_boundaries(fig: go.Figure, x, y, region: np.ndarray, row=None, col=None) -> None:
    """The region boundaries of the theory as lines: a white halo under a black dashed line."""
    for color, width, dash in (("white", 4.5, "solid"), ("black", 2.5, "dash")):
        fig.add_trace(go.Contour(
            x=x, y=y, z=region.T.astype(np.int8), showscale=False, hoverinfo="skip", name="region boundary",
            contours=dict(start=0.5, end=1.5, size=1, coloring="none"), line=dict(color=color, width=width, dash=dash),
            showlegend=False), row=row, col=col)


def region_anchor(region: np.ndarray, code: int) -> tuple[int, int] | None:
    """The cell of a region farthest from its edges (erode the region until one more step would empty it)."""
    mask = region == code
    if not mask.any():
        return None
    while True:  # the grid's border counts as outside: a label should not sit on the frame
        inner = mask.copy()
        inner[0, :] = inner[-1, :] = False
        inner[:, 0] = inner[:, -1] = False
        inner[1:, :] &= mask[:-1, :]
        inner[:-1, :] &= mask[1:, :]
        inner[:, 1:] &= mask[:, :-1]
        inner[:, :-1] &= mask[:, 1:]
        if not inner.any():
            break
        mask = inner
    cells = np.argwhere(mask)
    centre = cells.mean(axis=0)
    i, j = cells[np.argmin(((cells - centre) ** 2).sum(axis=1))]
    return int(i), int(j)


def rate_figure(result: SweepResult, measured, theory_rate: np.ndarray, theory_region: np.ndarray, fine,
                th: Theme) -> go.Figure:
    """Measured and theoretical convergence rates side by side, on one colour scale, with the theory's region
    boundaries on both and the regions named.

    Args:
        measured: ``MeasuredRates`` of the grid. theory_rate, theory_region: the theory on the grid's cells.
        fine: ``(x values, y values, region)`` of the theory on a finer grid, for smooth boundaries.
    """
    grid = MapGrid(result)
    if grid.yaxis is None:
        return _rate_curve(result, measured, theory_rate, theory_region, fine, th)
    fig = subplots(rows=1, cols=2, shared_yaxes=True, horizontal_spacing=0.04,
                        subplot_titles=("measured from the runs", "theory: spectral radius of M"))
    grows_m = measured.diverged | (measured.rate >= 1)
    panels = ((measured.rate, grows_m), (theory_rate, theory_rate >= 1))
    xs = grid.symbol(grid.xaxis)
    ys = grid.symbol(grid.yaxis)
    for col, (rho, grows) in enumerate(panels, start=1):
        fig.add_trace(rate_heat(grid, np.where(grows, 1.0, rho), customdata=np.asarray(rho, dtype=np.float32).T,
                                 name="ρ",
                                 hovertemplate=f"{xs} = %{{x:.4g}}<br>{ys} = %{{y:.4g}}<br>ρ = %{{customdata:.4f}}"
                                 "<extra></extra>"), 1, col)
        region_boundaries(fig, fine[0], fine[1], fine[2], 1, col)
        grid_axes(fig, grid, 1, col, y_title=col == 1)
    fig.add_trace(rate_colorbar(th, "ρ"), 1, 2)
    for code, name in enumerate(REGIONS):
        where = region_anchor(theory_region, code)
        if where is None:
            continue
        x, y = grid.centre(where)
        fig.add_annotation(x=math.log10(x) if grid.xaxis.log else x, y=math.log10(y) if grid.yaxis.log else y,
                           text=f"<b>{name}</b>", showarrow=False, xref="x2", yref="y2",
                           font=dict(size=th.font, color="black"), bgcolor="rgba(255,255,255,0.85)",
                           bordercolor=REGION_COLORS[name], borderwidth=2, borderpad=3)
    fig.update_layout(margin=dict(t=th.map.rate_margin_top, r=10), dragmode=False)
    fig.update_annotations(font_size=th.font)
    return figure(fig.data, fig.layout, th, height=th.height, legend=False)


def _rate_curve(result: SweepResult, measured, theory_rate, theory_region, fine, th: Theme) -> go.Figure:
    """One hyperparameter: rho against it, the theory as a line and the runs as dots, regions shaded."""
    grid = MapGrid(result)
    x = grid.x
    fig = go.Figure()
    fx, fregion, frate = fine[0], fine[2][:, 0], fine[3][:, 0]
    edges = np.flatnonzero(np.diff(fregion)) + 1
    starts = np.concatenate([[0], edges])
    stops = np.concatenate([edges, [fx.size]])
    top = 1.6
    for k, (a, b) in enumerate(zip(starts, stops)):
        name = REGIONS[int(fregion[a])]
        x0, x1 = fx[a], fx[min(b, fx.size - 1)]
        fig.add_vrect(x0=x0, x1=x1, fillcolor=REGION_COLORS[name], opacity=0.18, line_width=0, layer="below")
        mid = math.sqrt(x0 * x1) if grid.xaxis.log else 0.5 * (x0 + x1)
        fig.add_annotation(x=math.log10(mid) if grid.xaxis.log else mid, y=top * (0.93 if k % 2 == 0 else 0.8),
                           text=f"<b>{name}</b>", showarrow=False, font=dict(size=th.font - 2),
                           bgcolor="rgba(255,255,255,0.8)")
    # an optimizer without a velocity has the number 1 - ηλ for M: its spectral radius is written out
    scalar = iteration_matrix(result.spec.optimizer, 1.0, 1.0).shape[-1] == 1
    theory_name = "theory: max |1 − ηλ|" if scalar else "theory: spectral radius of M"
    fig.add_trace(go.Scatter(x=fx, y=np.minimum(frate, top), mode="lines", name=theory_name,
                             line=dict(color="black", width=th.line)))
    m = np.minimum(measured.rate[:, 0], top)
    fig.add_trace(go.Scatter(x=x, y=m, mode="markers", name="measured from the runs",
                             marker=dict(size=th.marker, color=LOOKS[result.spec.optimizer].color,
                                         symbol="circle-open", line=dict(width=2)),
                             hovertemplate=f"{grid.symbol(grid.xaxis)} = %{{x:.4g}}"
                             "<br>measured ρ = %{y:.4f}<extra></extra>"))
    fig.add_hline(y=1, line=dict(color="#333", dash="dot", width=1.5))
    grid_axes(fig, grid)
    fig.update_yaxes(visible=True, title_text="convergence rate ρ", range=[0, top], showgrid=True)
    fig.update_layout(legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0), dragmode=False)
    return figure(fig.data, fig.layout, th, height=th.map.curve_height)
