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
import plotly.colors as px_colors
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from optim.analysis import REGIONS
from optim.registry import spec as optimizer_spec
from optim.run import Status
from optim.sweep import Axis, SweepResult
from surfaces import Surface
from surfaces import get as surfaces_get

from .style import KIND_COLORS, KIND_SYMBOLS, OPTIMIZER_COLORS, STATUS_COLORS, Theme, style

#: how each hyperparameter reads on an axis (the LaTeX symbols of the registry, in Unicode)
SYMBOLS = {"lr": "η", "beta": "β", "beta1": "β₁", "beta2": "β₂", "rho": "ρ", "eps": "ε",
           "min_curvature": "λ_min"}
OUTCOMES = {
    "loss": "final loss",
    "steps": "steps to converge",
    "status": "outcome",
    "rate": "convergence rate ρ",
}
SEQUENTIAL = "Viridis"  # dark = small loss, few steps, fast rate; yellow = the opposite
RUNNING_GREY = "#A6A6A6"
REGION_COLORS = {"monotone": STATUS_COLORS["converged"], "oscillating": STATUS_COLORS["running"],
                 "divergent": STATUS_COLORS["diverged"]}
SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")
#: rates are coloured by log10(1 - rho), which spreads the slow end (0.9, 0.99, 0.999) where maps differ
RATE_TICKS = {-3.0: "0.999", -2.0: "0.99", -1.0: "0.9", math.log10(0.5): "0.5", 0.0: "0"}
UNSELECTED = dict(marker=dict(opacity=1))  # a click must not dim the marks


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


def _rate_heat(grid: "MapGrid", rho: np.ndarray, **kw) -> go.Heatmap:
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
    bar = dict(thickness=24 if th.present else 16, len=1.0 if short else 0.9, tickfont=dict(size=th.font),
               tickvals=[(k + 3) * 250 / 3 for k in ticks], ticktext=list(ticks.values()),
               title=dict(text=title, font=dict(size=th.font), side="right"))
    return go.Scatter(x=[None], y=[None], mode="markers", showlegend=False, hoverinfo="skip", name="rate scale",
                      marker=dict(color=[0], cmin=0, cmax=250, colorscale=_rate_scale(), showscale=True,
                                  colorbar=bar))


def param_label(optimizer: str, param: str, *, log: bool = False) -> str:
    """``"learning rate η"``: the registry's meaning and the formula's symbol (and the scale when it is log)."""
    meaning = optimizer_spec(optimizer).hyperparameter(param).meaning
    return f"{meaning} {SYMBOLS.get(param, param)}" + (" (log scale)" if log else "")


def power_of_ten(k: int) -> str:
    return "1" if k == 0 else "10" if k == 1 else f"10{str(k).translate(SUPERSCRIPT)}"


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

    def centre(self, index: tuple[int, int]) -> tuple[float, float]:
        return float(self.x[index[0]]), float(self.y[index[1]])

    def label(self, index: tuple[int, int]) -> str:
        """``"η = 0.01, β = 0.9"`` for a cell."""
        parts = [f"{SYMBOLS.get(self.xaxis.param, self.xaxis.param)} = {format_value(self.x[index[0]])}"]
        if self.yaxis:
            parts.append(f"{SYMBOLS.get(self.yaxis.param, self.yaxis.param)} = {format_value(self.y[index[1]])}")
        return ", ".join(parts)


def _axes(fig: go.Figure, grid: MapGrid, th: Theme, row=None, col=None, y_title: bool = True) -> None:
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
    status = result.status
    diverged = status == Status.DIVERGED
    running = status == Status.RUNNING
    steps = result.spec.steps
    fig = go.Figure()
    colorbar = dict(thickness=24 if th.present else 16, len=1.0 if grid.yaxis is None else 0.9,
                    tickfont=dict(size=th.font),
                    title=dict(font=dict(size=th.font), side="right"))
    shown_value = result.final_loss
    if outcome == "loss":
        if f_star is not None:
            floor = 1e-16 * max(1.0, abs(f_star))
            gap = np.maximum(result.final_loss - f_star, floor)
            shown_value = gap
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
        else:
            z = np.where(diverged, np.nan, result.final_loss)
            colorbar.update(title_text="final f")
            fig.add_trace(_heat(grid, z, colorscale=SEQUENTIAL, colorbar=colorbar, hoverinfo="skip", name="final loss"))
    elif outcome == "steps":
        z = np.where(status == Status.CONVERGED, result.event_step, np.nan)
        colorbar.update(title_text="steps to converge")
        fig.add_trace(_heat(grid, z, colorscale=SEQUENTIAL, zmin=0, zmax=steps, colorbar=colorbar,
                            hoverinfo="skip", name="steps"))
        fig.add_trace(_mask(grid, running, RUNNING_GREY, "running"))
    elif outcome == "status":
        for s in (Status.CONVERGED, Status.RUNNING):
            fig.add_trace(_mask(grid, status == s, STATUS_COLORS[s.label], s.label))
    elif outcome == "rate":
        shown_value = rates.rate
        grows = diverged | (rates.rate >= 1)
        fig.add_trace(_rate_heat(grid, np.where(grows, 1.0, rates.rate), hoverinfo="skip", name="rate"))
        fig.add_trace(rate_colorbar(th, "ρ (measured)", short=grid.yaxis is None))
        diverged = None  # coloured by the rate map itself
    else:
        raise ValueError(f"unknown outcome {outcome!r}; choose one of {', '.join(OUTCOMES)}")
    if diverged is not None:
        fig.add_trace(_mask(grid, diverged, STATUS_COLORS["diverged"], "diverged"))
    _click_targets(fig, grid, result, shown_value, outcome)
    # legend: the colours that are not on the colour bar
    if outcome == "status":
        fig.add_trace(_legend_square("converged", STATUS_COLORS["converged"], th))
        fig.add_trace(_legend_square(f"still running after {steps} steps", STATUS_COLORS["running"], th))
    if outcome == "steps":
        fig.add_trace(_legend_square(f"still running after {steps} steps", RUNNING_GREY, th))
    fig.add_trace(_legend_square("ρ ≥ 1: the error grows" if outcome == "rate" else "diverged",
                                 STATUS_COLORS["diverged"], th))
    _marks(fig, grid, th, selected, default)
    _axes(fig, grid, th)
    style(fig, th, height=_map_height(grid, th))
    fig.update_layout(
        title=dict(text=title, x=0, xanchor="left") if title else None,
        legend=dict(orientation="h", yanchor="top", y=-0.16 if grid.yaxis else -0.45, x=0, xanchor="left",
                    itemclick=False, itemdoubleclick=False),
        margin=dict(t=(70 if title else 20) if th.present else (50 if title else 14), r=10, b=10),
        hovermode="closest", hoverdistance=-1, clickmode="event+select", dragmode=False,
    )
    return fig


def _map_height(grid: MapGrid, th: Theme) -> int:
    if grid.yaxis is None:
        return 360 if th.present else 290
    return th.height + (100 if th.present else 70)


def _nice_log_range(z: np.ndarray) -> tuple[int, int]:
    finite = z[np.isfinite(z)]
    if not finite.size:
        return -1, 1
    lo, hi = math.floor(float(finite.min())), math.ceil(float(finite.max()))
    return lo, max(hi, lo + 1)


def _click_targets(fig: go.Figure, grid: MapGrid, result: SweepResult, value: np.ndarray, outcome: str) -> None:
    """Invisible markers at every cell centre, one trace per status: hover text and click selection."""
    X, Y = np.meshgrid(grid.x, grid.y, indexing="ij")
    xs = SYMBOLS.get(grid.xaxis.param, grid.xaxis.param)
    head = f"{xs} = %{{x:.4g}}"
    if grid.yaxis:
        head += f"<br>{SYMBOLS.get(grid.yaxis.param, grid.yaxis.param)} = %{{y:.4g}}"
    what = {"loss": "final f − f* = %{customdata[0]:.3e}", "steps": "final loss %{customdata[0]:.3e}",
            "status": "final loss %{customdata[0]:.3e}", "rate": "measured ρ = %{customdata[0]:.4f}"}[outcome]
    text = {Status.CONVERGED: "converged at step %{customdata[1]}",
            Status.RUNNING: f"still running after {result.spec.steps} steps",
            Status.DIVERGED: "diverged at step %{customdata[1]}"}
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


# -- theory beside the measurement ----------------------------------------------------------------------------

def _boundaries(fig: go.Figure, x, y, region: np.ndarray, row=None, col=None) -> None:
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
    fig = make_subplots(rows=1, cols=2, shared_yaxes=True, horizontal_spacing=0.04,
                        subplot_titles=("measured from the runs", "theory: spectral radius of M"))
    grows_m = measured.diverged | (measured.rate >= 1)
    panels = ((measured.rate, grows_m), (theory_rate, theory_rate >= 1))
    xs = SYMBOLS.get(grid.xaxis.param, grid.xaxis.param)
    ys = SYMBOLS.get(grid.yaxis.param, grid.yaxis.param)
    for col, (rho, grows) in enumerate(panels, start=1):
        fig.add_trace(_rate_heat(grid, np.where(grows, 1.0, rho), customdata=np.asarray(rho, dtype=np.float32).T,
                                 name="ρ",
                                 hovertemplate=f"{xs} = %{{x:.4g}}<br>{ys} = %{{y:.4g}}<br>ρ = %{{customdata:.4f}}"
                                 "<extra></extra>"), 1, col)
        _boundaries(fig, fine[0], fine[1], fine[2], 1, col)
        _axes(fig, grid, th, 1, col, y_title=col == 1)
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
    style(fig, th, height=th.height, legend=False)
    fig.update_layout(margin=dict(t=60 if th.present else 45, r=10), dragmode=False)
    fig.update_annotations(font_size=th.font)
    return fig


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
    theory_name = "theory: max |1 − ηλ|" if result.spec.optimizer == "gd" else "theory: spectral radius of M"
    fig.add_trace(go.Scatter(x=fx, y=np.minimum(frate, top), mode="lines", name=theory_name,
                             line=dict(color="black", width=th.line)))
    m = np.minimum(measured.rate[:, 0], top)
    fig.add_trace(go.Scatter(x=x, y=m, mode="markers", name="measured from the runs",
                             marker=dict(size=th.marker, color=OPTIMIZER_COLORS.get(result.spec.optimizer, "#0072B2"),
                                         symbol="circle-open", line=dict(width=2)),
                             hovertemplate=f"{SYMBOLS.get(grid.xaxis.param, grid.xaxis.param)} = %{{x:.4g}}"
                             "<br>measured ρ = %{y:.4f}<extra></extra>"))
    fig.add_hline(y=1, line=dict(color="#333", dash="dot", width=1.5))
    style(fig, th, height=380 if th.present else 320)
    _axes(fig, grid, th)
    fig.update_yaxes(visible=True, title_text="convergence rate ρ", range=[0, top], showgrid=True)
    fig.update_layout(legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0), dragmode=False)
    return fig


# -- one cell's run -------------------------------------------------------------------------------------------

def path_figure(surface: Surface, positions: np.ndarray, th: Theme, *, title: str, color: str,
                diverged: bool = False) -> go.Figure:
    """A run's path on the surface: on the contour plot in 2-D, on the curve in 1-D."""
    P = np.asarray(positions, dtype=float)
    drawn = np.all(np.isfinite(P) & (np.abs(P) <= DRAWN_LIMIT), axis=-1)  # a diverging path runs off the frame
    if surface.dim == 1:
        return _path_1d(surface, P[drawn, 0], th, title=title, color=color, diverged=diverged)
    (x0, x1), (y0, y1) = _view(surface.bounds, P[drawn])
    gx, gy = np.linspace(x0, x1, 160), np.linspace(y0, y1, 160)
    Z = surface.value(np.stack(np.meshgrid(gx, gy), axis=-1))
    levels = _levels(Z, surface.log_levels)
    fig = go.Figure(go.Contour(
        x=gx, y=gy, z=np.log10(Z - Z.min() + 1e-3) if surface.log_levels else Z, colorscale="Greys", reversescale=True,
        opacity=0.55, showscale=False, contours=dict(coloring="fill", showlines=True, **levels), line=dict(width=1),
        hoverinfo="skip", name="f(x, y)"))
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
    style(fig, th)
    fig.update_xaxes(title_text=surface.variables[0], range=[x0, x1], showgrid=False, constrain="domain")
    fig.update_yaxes(title_text=surface.variables[1], range=[y0, y1], showgrid=False, constrain="domain")
    if 1 / 3 < (y1 - y0) / (x1 - x0) < 3:  # true shapes: a round bowl looks round
        fig.update_yaxes(scaleanchor="x", scaleratio=1)
    fig.update_layout(title=dict(text=title, x=0, xanchor="left"),
                      legend=dict(orientation="v", yanchor="top", y=1, x=1.02, xanchor="left"),
                      margin=dict(t=90 if th.present else 70, b=10))
    return fig


DRAWN_LIMIT = 1e6  # the run's divergence bound: every point before the escape is drawn
VIEW_GROWTH = 3.0  # the view widens to the path, up to this many times the surface's box


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


def _levels(Z: np.ndarray, log: bool) -> dict:
    if log:
        lz = np.log10(Z - Z.min() + 1e-3)
        return dict(start=float(lz.min()), end=float(lz.max()), size=float(lz.max() - lz.min()) / 18)
    return dict(start=float(Z.min()), end=float(np.quantile(Z, 0.9)), size=float(np.quantile(Z, 0.9) - Z.min()) / 15)


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
    style(fig, th)
    f_view = surface.value(grid[:, None])
    fig.update_xaxes(title_text="w", range=[lo, hi])
    fig.update_yaxes(title_text="f(w)", range=[float(f_view.min()) - 0.05 * float(np.ptp(f_view)),
                                               float(f_view.max()) * 1.05 if f_view.max() > 0 else 1.0])
    fig.update_layout(title=dict(text=title, x=0, xanchor="left"),
                      legend=dict(orientation="h", yanchor="top", y=-0.2 if th.present else -0.17, x=0),
                      margin=dict(t=90 if th.present else 70, b=10))
    return fig
