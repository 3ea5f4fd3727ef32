r"""The playground's race: several optimizers racing across one 2-D surface, animated.

The race figure is a contour plot with every path and, beside it, the loss against the iteration. It animates
client-side and follows the house rule for size: the contour, the paths and the loss curves are sent once;
each frame carries the coordinates of at most five small traces (the current points, the gradient arrows, the
step arrows, Nesterov's look-ahead points, and the iteration line on the loss plot), each holding all
optimizers at once, rounded to 1/4000 of the view. The figure is a plain dict (building hundreds of validated
``go.Frame`` objects would take most of a second), cached as such and handed to Streamlit as a
``viz.style.AnimatedFigure``. Nine optimizers x 500 steps stay near 400 kB.

Iterations are numbered as in the iteration tables (see ``viz.paths``): the figure's frame t shows w_t.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from surfaces import Surface

from optim import Trajectory
from .contour import contour_data, contour_trace, nice_step
from .paths import clip_to_view, log_dtick, loss_reference, loss_values
from .race_player import add_player, frames_of, plot_height
from .style import KIND_COLORS, KIND_SYMBOLS, LOOKS, Theme, figure, format_number, subplots
from .wire import b64, rounded, view_digits

GRADIENT_COLOR = "#E0001B"  # the direction of -g_t, on every optimizer
STEP_COLOR = "#6A3D9A"  # the step actually taken: velocity, adapted step, Newton step
#: a path shows a marker at every iterate up to this many steps (the spacing shows the step sizes); longer
#: paths are lines only: thousands of marker symbols are what costs a browser most in drawing the figure
MARKED_STEPS = 150


def race_figure(surface: Surface, runs: list[Trajectory], th: Theme, *, current: int = 1) -> dict:
    """The animated race: contour with paths (left) and the loss against the iteration (right), as a plain dict.

    Args:
        runs: one record per optimizer, all with the same number of steps from the same start.
        current: the iteration t (1 .. T + 1) the figure opens at; Play starts from the beginning.

    Returns:
        The figure as a dict ready for ``plotly.io.to_json`` (``viz.style.AnimatedFigure`` for Streamlit).
        Built without plotly's validation, which would cost a tenth of a second per figure; the tests validate
        it with ``go.Figure(spec)``.
    """
    if not runs:
        raise ValueError("the race needs at least one run")
    T = runs[0].steps
    current = int(min(max(current, 1), T + 1))
    layout = copy.deepcopy(_base_layout(th))
    data: list[dict] = [dict(contour_trace(surface, th)), _grid_trace(surface, th)]
    data += _landmark_traces(surface, th)
    data.append(_start_trace(surface, runs[0].positions[0], th))
    drawn = [clip_to_view(r.positions, r.rows, r.diverged, surface.bounds) for r in runs]
    data += _path_traces(surface, runs, drawn, th, layout.setdefault("annotations", []))
    data += _loss_traces(surface, runs, drawn, th)

    # animated: a few traces, each holding all optimizers; frames replace only their coordinates
    mv = _moving_points(surface, runs, drawn)
    if not any("lookahead" in r.state for r in runs):
        del mv["lookahead"]
    moving = _moving_styles(runs, th)
    keys = [key for key in moving if key in mv]
    first = len(data)
    digits = view_digits(surface.bounds)
    for key in keys:
        data.append(dict(type="scatter", x=rounded(mv[key].x[current - 1], digits),
                         y=rounded(mv[key].y[current - 1], digits),
                         hoverinfo="skip", xaxis="x", yaxis="y", **moving[key]))
    # the current iteration on the loss plot: a vertical line whose y never changes
    y_range = _loss_range(surface, runs, drawn)
    data.append(dict(type="scatter", x=[current, current],
                     y=[10 ** y_range[0], 10 ** y_range[1]] if loss_reference(surface) is not None else list(y_range),
                     mode="lines", line=dict(color="#333", width=max(1.0, th.line * 0.6), dash="dot"),
                     showlegend=False, hoverinfo="skip", name="iteration t", xaxis="x2", yaxis="y2"))
    _set_ranges(layout, surface, T, y_range)

    frame_ts = frames_of(T)
    frames = _frames(data, first, frame_ts, [mv[key] for key in keys], digits)
    for tr in data:  # a click selects a grid point; nothing else may fade as "unselected"
        if tr["type"] == "scatter" and "unselected" not in tr:
            tr["unselected"] = {"marker": {"opacity": tr.get("marker", {}).get("opacity", 1)}}
    spec = {"data": data, "layout": layout, "frames": frames}
    active = int(np.argmin(np.abs(frame_ts - current)))
    add_player(spec, frame_ts, active, th, T)
    return spec


# -- the traces drawn once --------------------------------------------------------------------------------------------

def _landmark_traces(surface: Surface, th: Theme) -> list[dict]:
    """The minima, maxima and saddles, with their coordinates and value on hover."""
    landmark = th.marker + (8 if len(surface.stationary) <= 12 else 2)  # Rastrigin has dozens: smaller marks
    traces = []
    for kind in ("minimum", "maximum", "saddle"):
        pts = [p for p in surface.stationary if p.kind == kind]
        if pts:
            traces.append(dict(
                type="scatter", x=[p.point[0] for p in pts], y=[p.point[1] for p in pts], mode="markers", name=kind,
                marker=dict(symbol=KIND_SYMBOLS[kind], size=landmark, color=KIND_COLORS[kind],
                            line=dict(width=1.5, color="white")),
                hovertext=[f"{p.label}<br>({format_number(p.point[0])}, {format_number(p.point[1])})<br>"
                           f"f = {format_number(p.value)}" for p in pts], hoverinfo="text", xaxis="x", yaxis="y"))
    return traces


def _start_trace(surface: Surface, start: np.ndarray, th: Theme) -> dict:
    vx, vy = surface.variables
    return dict(
        type="scatter", x=[float(start[0])], y=[float(start[1])], mode="markers", name="start w<sub>1</sub>",
        marker=dict(symbol="circle-open", size=th.marker * 2.2, color="#000", line=dict(width=th.line + 1)),
        hovertemplate=f"start: {vx} = %{{x:.5g}}, {vy} = %{{y:.5g}}<extra></extra>", xaxis="x", yaxis="y")


def _path_traces(surface: Surface, runs: list[Trajectory], drawn: list[tuple], th: Theme,
                 annotations: list[dict]) -> list[dict]:
    """Every run's path on the contour; a diverged run's label where it leaves the view (added to
    ``annotations``)."""
    T = runs[0].steps
    traces = []
    for r, (pts, _, exit_point) in zip(runs, drawn):
        look = LOOKS[r.optimizer]
        label = r.title + (f" ({r.outcome()})" if r.diverged else "")
        traces.append(dict(
            type="scatter", x=b64(pts[:, 0]), y=b64(pts[:, 1]), name=label,
            mode="lines+markers" if T <= MARKED_STEPS else "lines",
            legendgroup=r.optimizer, line=dict(color=look.color, width=th.line, dash=look.dash),
            marker=dict(symbol=look.symbol, size=max(4, th.marker * 0.5), color=look.color, opacity=0.75),
            hovertemplate=f"{r.title}<br>after %{{pointNumber}} steps: (%{{x:.5g}}, %{{y:.5g}})<extra></extra>",
            unselected=dict(marker=dict(opacity=0.75)), xaxis="x", yaxis="y"))
        if exit_point is not None:
            # each further label one line further in, so that runs leaving at the same place stay readable
            ax, ay = _toward_center(exit_point, surface.bounds, stack=sum(a.get("xref") == "x" for a in annotations),
                                    line=th.font + 12)
            annotations.append(dict(
                x=float(exit_point[0]), y=float(exit_point[1]), xref="x", yref="y", ax=ax, ay=ay,
                text=f"{r.title}: {r.outcome()}", showarrow=True, arrowhead=2,
                arrowcolor=look.color, arrowwidth=1.5, font=dict(color=look.color, size=th.font),
                bgcolor="rgba(255,255,255,0.9)", bordercolor=look.color))
    return traces


def _loss_traces(surface: Surface, runs: list[Trajectory], drawn: list[tuple], th: Theme) -> list[dict]:
    """Every run's loss against the iteration, on the right."""
    shown = "f − f*" if loss_reference(surface) is not None else "f"
    return [dict(
        type="scatter", x0=1, dx=1, y=b64(loss_values(surface, r.losses[: last + 1])), mode="lines",
        legendgroup=r.optimizer, showlegend=False, name=r.title,
        line=dict(color=LOOKS[r.optimizer].color, width=th.line, dash=LOOKS[r.optimizer].dash),
        hovertemplate=f"{r.title}<br>t = %{{x}}<br>{shown} = %{{y:.5g}}<extra></extra>", xaxis="x2", yaxis="y2")
        for r, (_, last, _) in zip(runs, drawn)]


@lru_cache(maxsize=4)
def _base_layout(th: Theme) -> dict:
    """Subplots, axes, theme and legend of the race figure: the same for every race, built once per theme."""
    if th.narrow:  # a phone: the contour above the loss plot, each as wide as the screen
        fig = subplots(rows=2, cols=1, row_heights=list(th.race.column_widths), vertical_spacing=th.race.spacing)
        loss = dict(row=2, col=1)
    else:
        fig = subplots(rows=1, cols=2, column_widths=list(th.race.column_widths), horizontal_spacing=th.race.spacing)
        loss = dict(row=1, col=2)
    fig.update_xaxes(constrain="domain", showgrid=False, mirror=True, row=1, col=1)
    fig.update_yaxes(scaleanchor="x", scaleratio=1, constrain="domain", showgrid=False, mirror=True, row=1, col=1)
    fig.update_xaxes(title_text="iteration t", **loss)
    fig.update_yaxes(side="right", **loss)  # its labels then stay clear of the contour
    fig.update_layout(
        legend=dict(orientation="h", x=0, xanchor="left", y=1.01, yanchor="bottom", groupclick="togglegroup",
                    font=dict(size=th.race.legend_font), bgcolor="rgba(255,255,255,0)"),
        legend2=dict(orientation="h", x=0, xanchor="left", y=-(th.race.bottom - 8) / plot_height(th),
                     yanchor="bottom", font=dict(size=th.race.legend_font), itemclick=False,
                     itemdoubleclick=False, bgcolor="rgba(255,255,255,0)"),
        margin=dict(l=10, r=10, t=th.race.top, b=th.race.bottom),
        hovermode="closest", hoverdistance=40, dragmode="zoom", clickmode="event",
    )
    return figure([], fig.layout, th, height=th.race.height).to_dict()["layout"]


CLICK_INTERVALS = 80  #: a click lands within half a spacing of 1/80 of the box (a few pixels), not on a coarse grid


def click_grid(surface: Surface, count: int = CLICK_INTERVALS) -> tuple[np.ndarray, np.ndarray, float]:
    """Round-numbered points covering the view box, about ``count`` intervals across its longer side: where a click
    on the contour can move the start (Streamlit reports a click on a point, not on a contour), so the start lands
    within half a spacing (0.025 on Rosenbrock's 4 x 4 box) of where the user clicked."""
    (x0, x1), (y0, y1) = surface.bounds
    h = nice_step(max(x1 - x0, y1 - y0), count)
    xs = np.arange(math.ceil(x0 / h - 1e-9), math.floor(x1 / h + 1e-9) + 1) * h
    ys = np.arange(math.ceil(y0 / h - 1e-9), math.floor(y1 / h + 1e-9) + 1) * h
    return np.round(xs, 10), np.round(ys, 10), h


@lru_cache(maxsize=32)
def _grid_trace(surface: Surface, th: Theme) -> dict:
    """Invisible points over the view box: a click on one is a selection Streamlit reports (contours are not)."""
    gx, gy, _ = click_grid(surface)
    GX, GY = np.meshgrid(gx, gy)
    vx, vy = surface.variables
    return dict(  # x and y only (no f for the hover: 6,561 points on Rosenbrock, a third of the bytes)
        type="scatter", x=b64(GX.ravel()), y=b64(GY.ravel()), mode="markers",
        marker=dict(size=max(6, th.marker), color="rgba(0,0,0,0)"), showlegend=False, name="start here",
        hovertemplate=f"({vx}, {vy}) = (%{{x:.4g}}, %{{y:.4g}})<br>click to start here<extra></extra>",
        selected=dict(marker=dict(opacity=0)), unselected=dict(marker=dict(opacity=0)), xaxis="x", yaxis="y")


def _loss_range(surface: Surface, runs, drawn) -> tuple[float, float]:
    """The loss plot's y range: log10 of the shown f - f* (padded), or f over the view box where f* is unknown."""
    if loss_reference(surface) is None:  # f is unbounded below (a saddle): show the values the view holds
        f = contour_data(surface).f
        lo, hi = float(f.min()), float(f.max())
        pad = 0.05 * (hi - lo or 1.0)
        return lo - pad, hi + pad
    shown = np.concatenate([loss_values(surface, r.losses[: last + 1]) for r, (_, last, _) in zip(runs, drawn)])
    shown = np.log10(shown[np.isfinite(shown)])
    lo, hi = (float(shown.min()), float(shown.max())) if shown.size else (-1.0, 1.0)
    pad = max(0.05 * (hi - lo), 0.3)
    return lo - pad, hi + pad


def _set_ranges(layout: dict, surface: Surface, T: int, y_range: tuple[float, float]) -> None:
    """The contour's axes over the view box; the loss plot's over the iterations and the shown losses."""
    (x0, x1), (y0, y1) = surface.bounds
    vx, vy = surface.variables
    layout["xaxis"].update(title=dict(text=vx), range=[x0, x1])
    layout["yaxis"].update(title=dict(text=vy), range=[y0, y1])
    layout["xaxis2"].update(range=[0.5, T + 1.5])
    layout["yaxis2"].update(range=list(y_range))
    if loss_reference(surface) is not None:
        decades = y_range[1] - y_range[0]
        layout["yaxis2"].update(type="log", exponentformat="power", dtick=log_dtick(decades),
                                title=dict(text="loss f(w<sub>t</sub>) − f*  (log scale)"))
    else:
        layout["yaxis2"].update(title=dict(text="loss f(w<sub>t</sub>)"))


def _toward_center(p: np.ndarray, bounds, stack: int = 0, line: float = 26) -> tuple[float, float]:
    """Pixel offsets for an annotation's text: from the exit point towards the middle of the view, ``stack`` lines
    further for the ``stack``-th label."""
    (x0, x1), (y0, y1) = bounds
    dx = -1 if p[0] > (x0 + x1) / 2 else 1
    dy = 1 if p[1] > (y0 + y1) / 2 else -1  # screen y points down
    return 60 * dx, (40 + stack * line) * dy


# -- the animated traces ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Moving:
    """Per-frame coordinates of the animated traces: arrays shaped (iterations, points)."""

    x: np.ndarray
    y: np.ndarray


def _moving_styles(runs: list[Trajectory], th: Theme) -> dict[str, dict]:
    """How the animated traces look: current points, gradient arrows, step arrows, look-ahead points."""
    ms, lw = th.marker, th.line
    colors = [LOOKS[r.optimizer].color for r in runs]
    symbols = [LOOKS[r.optimizer].symbol for r in runs]
    arrow = dict(symbol="arrow", angleref="previous", size=[0, ms * 1.6, 0] * len(runs))
    # the look-ahead points belong to the optimizer that has them: its colour
    look_color = next((LOOKS[r.optimizer].color for r in runs if "lookahead" in r.state), None)
    return {
        "current": dict(mode="markers", name="at iteration t: w<sub>t</sub>", legend="legend2",
                        marker=dict(size=ms * 1.9, color=colors, symbol=symbols, line=dict(width=2, color="white")),
                        unselected=dict(marker=dict(opacity=1))),
        "gradient": dict(mode="lines+markers", name="−g<sub>t</sub> direction", legend="legend2",
                         line=dict(color=GRADIENT_COLOR, width=lw * 1.2), marker=dict(color=GRADIENT_COLOR, **arrow)),
        "step": dict(mode="lines+markers", name="step to w<sub>t+1</sub>", legend="legend2",
                     line=dict(color=STEP_COLOR, width=lw * 1.5), marker=dict(color=STEP_COLOR, **arrow),
                     showlegend=any(r.spec.step_arrow for r in runs)),
        "lookahead": dict(mode="markers", name="look-ahead ŵ<sub>t</sub>", legend="legend2",
                          marker=dict(symbol="circle-open-dot", size=ms * 1.6, color=look_color,
                                      line=dict(width=2.5))),
    }


def _moving_points(surface: Surface, runs: list[Trajectory], drawn: list[tuple]) -> dict[str, _Moving]:
    """Coordinates, at every iteration t = 1 .. T + 1, of the current points, arrows and look-ahead points.

    Row t - 1 holds iteration t: the point w_t, the direction of -g_t drawn from where g_t was taken (a fixed
    length: only its direction is to scale), the step from w_t to w_{t+1} (to scale; left out when shorter than
    0.4 % of the view, where it would be all arrowhead), Nesterov's look-ahead point. A run's rows after it left
    the view (diverged) are NaN: nothing is drawn for it any more.
    """
    T = runs[0].steps
    n = len(runs)
    (x0, x1), (y0, y1) = surface.bounds
    arrow_len = 0.09 * min(x1 - x0, y1 - y0)
    min_step = 0.004 * min(x1 - x0, y1 - y0)
    cur_x, cur_y = np.full((T + 1, n), np.nan), np.full((T + 1, n), np.nan)
    g_x, g_y = np.full((T + 1, 3 * n), np.nan), np.full((T + 1, 3 * n), np.nan)
    s_x, s_y = g_x.copy(), g_y.copy()
    look_names = [i for i, r in enumerate(runs) if "lookahead" in r.state]
    l_x, l_y = np.full((T + 1, max(1, len(look_names))), np.nan), np.full((T + 1, max(1, len(look_names))), np.nan)
    for i, (r, (_, last, exit_point)) in enumerate(zip(runs, drawn)):
        P = r.positions
        shown = last + 1  # iterations 1 .. last + 1 have their point inside the drawn part
        cur_x[:shown, i], cur_y[:shown, i] = P[:shown, 0], P[:shown, 1]
        k = min(int(r.rows), shown)  # iterations with a step: 1 .. k
        if k == 0:
            continue
        g = r.gradients[:k]
        base = r.state["lookahead"][1 : k + 1] if "lookahead" in r.state else P[:k]
        norm = np.linalg.norm(g, axis=1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            tip = base - arrow_len * g / np.where(norm > 0, norm, np.nan)
        g_x[:k, 3 * i], g_y[:k, 3 * i] = base[:, 0], base[:, 1]
        g_x[:k, 3 * i + 1], g_y[:k, 3 * i + 1] = tip[:, 0], tip[:, 1]
        if r.spec.step_arrow:
            nxt = P[1 : k + 1].copy()
            if exit_point is not None and k == last + 1:
                nxt[-1] = exit_point  # the step that leaves the view ends at the edge
            visible = np.linalg.norm(nxt - P[:k], axis=1) >= min_step  # a shorter one would be all arrowhead
            s_x[:k, 3 * i] = np.where(visible, P[:k, 0], np.nan)
            s_y[:k, 3 * i] = np.where(visible, P[:k, 1], np.nan)
            s_x[:k, 3 * i + 1] = np.where(visible, nxt[:, 0], np.nan)
            s_y[:k, 3 * i + 1] = np.where(visible, nxt[:, 1], np.nan)
        if i in look_names:
            j = look_names.index(i)
            la = r.state["lookahead"][1 : k + 1]
            l_x[:k, j], l_y[:k, j] = la[:, 0], la[:, 1]
    return {"current": _Moving(cur_x, cur_y), "gradient": _Moving(g_x, g_y), "step": _Moving(s_x, s_y),
            "lookahead": _Moving(l_x, l_y)}


def _frames(data: list[dict], first: int, frame_ts: np.ndarray, moving: list[_Moving], digits: int) -> list[dict]:
    """One frame per iteration in ``frame_ts``: new coordinates for the animated traces (``data[first:]``, the
    last of them the iteration line on the loss plot)."""
    # Every other scatter trace of the contour plot goes into each frame too, unchanged ({}): plotly.js redraws
    # only the traces a frame names, and a scatter trace it did not redraw loses its drawing node, after which a
    # click on the plot raises inside plotly's click-to-select ("reading 'selectAll'") and the click never reaches
    # Streamlit. Naming them costs a few bytes per frame and keeps click-to-start working after Play.
    kept = [i for i, tr in enumerate(data[:first]) if tr["type"] == "scatter" and tr.get("xaxis", "x") == "x"]
    indices = list(range(first, len(data)))
    return [
        {"name": str(int(t)), "traces": kept + indices,
         "data": [{} for _ in kept]
         + [{"x": rounded(m.x[t - 1], digits), "y": rounded(m.y[t - 1], digits)} for m in moving]
         + [{"x": [int(t)] * 2}]}
        for t in frame_ts
    ]
