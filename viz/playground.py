r"""Figures and tables of the optimizer playground: several optimizers racing across one 2-D surface.

The race figure is a contour plot with every path and, beside it, the loss against the iteration. It animates
client-side and follows the house rule for size: the contour, the paths and the loss curves are sent once;
each frame carries the coordinates of at most five small traces (the current points, the gradient arrows, the
step arrows, Nesterov's look-ahead points, and the iteration line on the loss plot), each holding all
optimizers at once, rounded to 1/4000 of the view. The figure is a plain dict (building hundreds of validated
``go.Frame`` objects would take most of a second), cached as such and handed to Streamlit as a
``viz.style.AnimatedFigure``. Nine optimizers x 500 steps stay near 400 kB.

Iterations are numbered as in the iteration tables (and the course notes): iteration t starts at the point
:math:`w_t`, takes the gradient :math:`g_t` and moves to :math:`w_{t+1}`; :math:`w_1` is the start, and after
T steps the last point is :math:`w_{T+1}`.
"""

from __future__ import annotations

import base64
import copy
import csv
import io
import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from optim import SPECS, Status, Table, Trajectory, iteration_table, latex
from surfaces import Surface

from .style import (KIND_COLORS, KIND_SYMBOLS, OPTIMIZER_COLORS, OPTIMIZER_DASHES, OPTIMIZER_SYMBOLS, Theme,
                    format_number, style)

#: at most this many animation frames; longer runs are sampled evenly (the last iteration always included)
FRAME_CAP = 251
#: at most this many stops on the figure's step slider (each is drawn; Play still shows every frame)
SLIDER_CAP = 101
#: a normal-speed play of the whole run takes about this long, whatever the number of steps
PLAY_SECONDS = 12.0
SPEEDS = {"slow": 3.0, "normal": 1.0, "fast": 1 / 3}
GRADIENT_COLOR = "#E0001B"  # the direction of -g_t, on every optimizer
STEP_COLOR = "#6A3D9A"  # the step actually taken: velocity, adapted step, Newton step
CONTOUR_SCALE = [[0.0, "#FFFFFF"], [0.35, "#EDEDED"], [1.0, "#B8B8B8"]]
CONTOUR_POINTS = 101  #: per axis
#: a path shows a marker at every iterate up to this many steps (the spacing shows the step sizes); longer
#: paths are lines only: thousands of marker symbols are what costs a browser most in drawing the figure
MARKED_STEPS = 150
RACE_HEIGHT = {False: 860, True: 1000}  #: pixels, legend and player included
PLAYER_TOP = {False: 90, True: 120}  #: room above the plots for the legend
PLAYER_BOTTOM = {False: 215, True: 295}  #: room below the plots for the axis title, buttons and slider
STEP_ARROW = ("momentum", "nesterov", "adagrad", "rmsprop", "adadelta", "adam", "newton")


# -- what one run gives the page (picklable, unlike a Trajectory) ---------------------------------------------------

@dataclass(frozen=True, eq=False)
class RunRecord:
    """One optimizer's run from one start point, as plain arrays (a Trajectory holds a Surface, with lambdas).

    ``positions[k]`` is the point after k steps, ``gradients[k]`` the gradient step k + 1 used, ``state[name][k]``
    the optimizer state after k steps (see ``optim.run.Trajectory``).
    """

    name: str
    hyper: dict
    options: dict
    positions: np.ndarray  # (T + 1, 2)
    losses: np.ndarray  # (T + 1,)
    gradients: np.ndarray  # (T, 2)
    state: dict[str, np.ndarray]
    status: int
    event_step: int
    rows: int  #: meaningful steps: all of them, or up to the step that diverged
    final_position: np.ndarray
    final_loss: float
    table: Table
    noise: float = 0.0
    batch_size: int | None = None

    @classmethod
    def from_trajectory(cls, traj: Trajectory) -> "RunRecord":
        if traj.batch_shape != ():
            raise ValueError("a RunRecord holds one trajectory: run from a single start point")
        opt = traj.optimizer
        return cls(
            name=opt.name, hyper={k: float(v) for k, v in opt.hyperparams.items()}, options=dict(opt.options),
            positions=traj.positions, losses=traj.losses, gradients=traj.gradients, state=dict(traj.state),
            status=int(traj.status), event_step=int(traj.event_step), rows=int(traj.rows),
            final_position=traj.final_position, final_loss=float(traj.final_loss), table=iteration_table(traj),
            noise=float(np.asarray(traj.noise)), batch_size=traj.batch_size,
        )

    @property
    def steps(self) -> int:
        return self.positions.shape[0] - 1

    @property
    def title(self) -> str:
        return SPECS[self.name].title

    @property
    def diverged(self) -> bool:
        return self.status == Status.DIVERGED

    def outcome(self) -> str:
        """``converged at step 68``, ``diverged at step 12`` or ``still moving after 300 steps``."""
        if self.status == Status.CONVERGED:
            return f"converged at step {self.event_step}"
        if self.status == Status.DIVERGED:
            return f"diverged at step {self.event_step}"
        return f"still moving after {self.steps} steps"


# -- geometry ---------------------------------------------------------------------------------------------------------

def nice_step(span: float, count: int) -> float:
    """A round spacing (1, 1.25, 1.5, 2, 2.5, 3, 4 or 5 times a power of ten), about ``count`` intervals over
    ``span``."""
    raw = span / count
    power = 10.0 ** math.floor(math.log10(raw))
    for m in (1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 10.0):
        if raw <= m * power * 1.0001:
            return m * power
    return 10.0 * power


def click_grid(surface: Surface, count: int = 20) -> tuple[np.ndarray, np.ndarray, float]:
    """Round-numbered points covering the view box: where a click on the contour can move the start."""
    (x0, x1), (y0, y1) = surface.bounds
    h = nice_step(max(x1 - x0, y1 - y0), count)
    xs = np.arange(math.ceil(x0 / h - 1e-9), math.floor(x1 / h + 1e-9) + 1) * h
    ys = np.arange(math.ceil(y0 / h - 1e-9), math.floor(y1 / h + 1e-9) + 1) * h
    return np.round(xs, 10), np.round(ys, 10), h


def clip_to_view(positions: np.ndarray, rows: int, diverged: bool, bounds) -> tuple[np.ndarray, int, np.ndarray | None]:
    """The part of a path to draw: all of it, or for a diverged run up to where it finally leaves the view.

    Returns ``(points, last, exit)``: the points to draw, the index of the last recorded point drawn, and for a
    diverged run the point where its last step crosses the edge of the view box (``None`` otherwise).
    """
    P = positions[: rows + 1]
    if not diverged:
        return P, rows, None
    (x0, x1), (y0, y1) = bounds
    with np.errstate(invalid="ignore"):
        inside = (P[:, 0] >= x0) & (P[:, 0] <= x1) & (P[:, 1] >= y0) & (P[:, 1] <= y1)
    idx = np.flatnonzero(inside)
    last = int(idx[-1]) if idx.size else 0
    if last >= rows:  # the escape point itself is inside the view: cannot happen with a bound beyond the view
        return P, rows, None
    p = P[last]
    q = np.clip(np.nan_to_num(P[last + 1], nan=0.0, posinf=1e300, neginf=-1e300), -1e300, 1e300)
    d = q - p
    t = 1.0
    for i, (lo, hi) in enumerate(((x0, x1), (y0, y1))):
        if d[i] > 0:
            t = min(t, (hi - p[i]) / d[i])
        elif d[i] < 0:
            t = min(t, (lo - p[i]) / d[i])
    exit_point = p + max(t, 0.0) * d
    return np.vstack([P[: last + 1], exit_point]), last, exit_point


def loss_reference(surface: Surface) -> float | None:
    """f* for the loss plot: the lowest listed minimum, or None where there is none (a saddle)."""
    return min(m.value for m in surface.minima) if surface.minima else None


LOSS_FLOOR = 1e-12  #: the loss plot's lowest value: f - f* below it (or exactly 0) is drawn there


def loss_values(surface: Surface, losses: np.ndarray) -> np.ndarray:
    """What the loss plot shows: f - f* on a log scale (floored at LOSS_FLOOR), or f itself where f* is unknown."""
    ref = loss_reference(surface)
    if ref is None:
        return np.asarray(losses, dtype=float)
    with np.errstate(invalid="ignore", over="ignore"):
        return np.maximum(np.asarray(losses, dtype=float) - ref, LOSS_FLOOR)


@dataclass(frozen=True)
class ContourData:
    xs: np.ndarray
    ys: np.ndarray
    f: np.ndarray  #: f on the grid, shape (len(ys), len(xs))
    z: np.ndarray  #: what is drawn: f, or log10(f - f_min + delta) for surfaces with log-spaced levels
    log: bool
    offset: float  #: f_min - delta, so that f = 10**z + offset on a log surface
    levels: tuple[float, float, float]  #: start, end, size of the contour levels in z
    ticks: tuple[list[float], list[str]]  #: colour-bar ticks in z, labelled with f


def contour_data(surface: Surface, n: int = 81, delta: float | None = None) -> ContourData:
    """The surface sampled over its view box, with contour levels: log-spaced where the surface needs them.

    On a log surface the height is log10(f - f_min + delta); ``delta`` (default: a thousandth, or a millionth of
    the range) sets how deep the minima's funnels go.
    """
    (x0, x1), (y0, y1) = surface.bounds
    xs, ys = np.linspace(x0, x1, n), np.linspace(y0, y1, n)
    X, Y = np.meshgrid(xs, ys)
    F = surface.value(np.stack([X, Y], axis=-1))
    f_min = float(min([F.min()] + [m.value for m in surface.minima]))
    f_max = float(F.max())
    if surface.log_levels:
        delta = delta if delta is not None else max(1e-3, 1e-6 * (f_max - f_min))
        offset = f_min - delta
        Z = np.log10(F - offset)
        lo, hi = math.floor(float(Z.min())), math.ceil(float(Z.max()))
        # no levels in the lowest 2 % of the view: there a valley narrower than the grid would break into dashes
        levels = (max(lo + 0.25, math.floor(float(np.percentile(Z, 2)) * 4) / 4), hi, 0.25)
        tick_z = list(range(lo, hi + 1))
        ticks = (tick_z, [_short(10.0**k + offset) for k in tick_z])
    else:
        offset = 0.0
        Z = F
        step = nice_step(f_max - f_min, 22)
        levels = (math.floor(f_min / step) * step + step, f_max, step)
        tick_step = nice_step(f_max - f_min, 5)
        tick_z = list(np.arange(math.ceil(f_min / tick_step), math.floor(f_max / tick_step) + 1) * tick_step)
        ticks = (tick_z, [_short(v) for v in tick_z])
    return ContourData(xs, ys, F, Z, bool(surface.log_levels), offset, levels, ticks)


def _short(v: float) -> str:
    return f"{v:.3g}".replace("e+0", "e").replace("e-0", "e-").replace("-", "−")


# -- the race figure ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Moving:
    """Per-frame coordinates of the animated traces: arrays shaped (iterations, points)."""

    x: np.ndarray
    y: np.ndarray


def _frames_of(steps: int, cap: int = FRAME_CAP) -> np.ndarray:
    """The iterations t (1 .. steps + 1) that get an animation frame: every one, or every k-th (k as small as the
    cap allows, so the markers move evenly) and always the last."""
    stride = -(-(steps + 1) // cap)
    ts = np.arange(1, steps + 2, stride)
    return ts if ts[-1] == steps + 1 else np.append(ts, steps + 1)


def _moving_points(surface: Surface, runs: list["RunRecord"], drawn: list[tuple]) -> dict[str, _Moving]:
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
    nan = np.full((T + 1, n), np.nan)
    cur_x, cur_y = nan.copy(), nan.copy()
    g_x, g_y = np.full((T + 1, 3 * n), np.nan), np.full((T + 1, 3 * n), np.nan)
    s_x, s_y = g_x.copy(), g_y.copy()
    look_names = [i for i, r in enumerate(runs) if "lookahead" in r.state]
    l_x, l_y = np.full((T + 1, max(1, len(look_names))), np.nan), np.full((T + 1, max(1, len(look_names))), np.nan)
    for i, (r, (_, last, exit_point)) in enumerate(zip(runs, drawn)):
        P = r.positions
        shown = last + 1  # iterations 1 .. last + 1 have their point inside the drawn part
        cur_x[:shown, i], cur_y[:shown, i] = P[:shown, 0], P[:shown, 1]
        k = min(r.rows, shown)  # iterations with a step: 1 .. k
        if k == 0:
            continue
        g = r.gradients[:k]
        base = r.state["lookahead"][1 : k + 1] if "lookahead" in r.state else P[:k]
        norm = np.linalg.norm(g, axis=1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            tip = base - arrow_len * g / np.where(norm > 0, norm, np.nan)
        g_x[:k, 3 * i], g_y[:k, 3 * i] = base[:, 0], base[:, 1]
        g_x[:k, 3 * i + 1], g_y[:k, 3 * i + 1] = tip[:, 0], tip[:, 1]
        if r.name in STEP_ARROW:
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


def _f32(a: np.ndarray) -> np.ndarray:
    """Drawn coordinates as float32: half the bytes, and plenty for a position on a screen."""
    with np.errstate(over="ignore"):
        return np.ascontiguousarray(a, dtype=np.float32)


def _digits(surface: Surface) -> int:
    """Decimals that resolve 1/4000 of the view: far below a pixel, and short in JSON."""
    span = min(hi - lo for lo, hi in surface.bounds)
    return max(0, math.ceil(-math.log10(span / 4000)))


def _rounded(a: np.ndarray, digits: int) -> list:
    """A short array as a JSON list of rounded numbers, None (null, a gap) where it is not finite.

    A frame's few coordinates cost a third less this way than as base64, which also has '/' that
    ``plotly.io.to_json`` escapes to six characters.
    """
    r = np.round(np.asarray(a, dtype=float), digits)
    return [float(v) if math.isfinite(v) else None for v in r.tolist()]


def _b64(a: np.ndarray, dtype: str = "f4") -> dict:
    """An array as plotly.js's typed-array JSON, float32 by default (plotly.py encodes the arrays of validated
    traces like this; this figure is a plain dict, so it encodes by hand). NaN is a gap, as null in a list."""
    arr = _f32(a) if dtype == "f4" else np.ascontiguousarray(a, dtype=np.dtype(dtype).newbyteorder("<"))
    out = {"dtype": dtype, "bdata": base64.b64encode(arr.tobytes()).decode("ascii")}
    if arr.ndim > 1:  # a 2-D array (the contour's z) says its shape, rows first
        out["shape"] = ", ".join(map(str, arr.shape))
    return out


def race_figure(surface: Surface, runs: list[RunRecord], th: Theme, *, current: int = 1) -> dict:
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
    cd = contour_data(surface)
    (x0, x1), (y0, y1) = surface.bounds
    vx, vy = surface.variables
    ref = loss_reference(surface)
    lw, ms = th.line, th.marker
    layout = copy.deepcopy(_base_layout(th))
    data: list[dict] = [dict(_contour_trace(surface, th))]
    data.append(_grid_trace(surface, th))

    landmark = ms + (8 if len(surface.stationary) <= 12 else 2)  # Rastrigin has dozens: smaller marks
    for kind in ("minimum", "maximum", "saddle"):
        pts = [p for p in surface.stationary if p.kind == kind]
        if pts:
            data.append(dict(
                type="scatter", x=[p.point[0] for p in pts], y=[p.point[1] for p in pts], mode="markers", name=kind,
                marker=dict(symbol=KIND_SYMBOLS[kind], size=landmark, color=KIND_COLORS[kind],
                            line=dict(width=1.5, color="white")),
                hovertext=[f"{p.label}<br>({format_number(p.point[0])}, {format_number(p.point[1])})<br>"
                           f"f = {format_number(p.value)}" for p in pts], hoverinfo="text", xaxis="x", yaxis="y"))
    start = runs[0].positions[0]
    data.append(dict(
        type="scatter", x=[float(start[0])], y=[float(start[1])], mode="markers", name="start w<sub>1</sub>",
        marker=dict(symbol="circle-open", size=ms * 2.2, color="#000", line=dict(width=lw + 1)),
        hovertemplate=f"start: {vx} = %{{x:.5g}}, {vy} = %{{y:.5g}}<extra></extra>", xaxis="x", yaxis="y"))

    drawn = [clip_to_view(r.positions, r.rows, r.diverged, surface.bounds) for r in runs]
    annotations = layout.setdefault("annotations", [])
    for r, (pts, _, exit_point) in zip(runs, drawn):
        color = OPTIMIZER_COLORS[r.name]
        label = r.title + (f" (diverged at step {r.event_step})" if r.diverged else "")
        data.append(dict(
            type="scatter", x=_b64(pts[:, 0]), y=_b64(pts[:, 1]), name=label,
            mode="lines+markers" if T <= MARKED_STEPS else "lines",
            legendgroup=r.name, line=dict(color=color, width=lw, dash=OPTIMIZER_DASHES[r.name]),
            marker=dict(symbol=OPTIMIZER_SYMBOLS[r.name], size=max(4, ms * 0.5), color=color, opacity=0.75),
            hovertemplate=f"{r.title}<br>after %{{pointNumber}} steps: (%{{x:.5g}}, %{{y:.5g}})<extra></extra>",
            unselected=dict(marker=dict(opacity=0.75)), xaxis="x", yaxis="y"))
        if exit_point is not None:
            # each further label one line further in, so that runs leaving at the same place stay readable
            ax, ay = _toward_center(exit_point, surface.bounds, stack=sum(a.get("xref") == "x" for a in annotations),
                                    line=th.font + 12)
            annotations.append(dict(
                x=float(exit_point[0]), y=float(exit_point[1]), xref="x", yref="y", ax=ax, ay=ay,
                text=f"{r.title}: diverged at step {r.event_step}", showarrow=True, arrowhead=2, arrowcolor=color,
                arrowwidth=1.5, font=dict(color=color, size=th.font), bgcolor="rgba(255,255,255,0.9)",
                bordercolor=color))
    for r, (_, last, _) in zip(runs, drawn):
        data.append(dict(
            type="scatter", x0=1, dx=1, y=_b64(loss_values(surface, r.losses[: last + 1])), mode="lines",
            legendgroup=r.name, showlegend=False, name=r.title,
            line=dict(color=OPTIMIZER_COLORS[r.name], width=lw, dash=OPTIMIZER_DASHES[r.name]),
            hovertemplate=f"{r.title}<br>t = %{{x}}<br>{'f − f*' if ref is not None else 'f'} = %{{y:.5g}}"
                          "<extra></extra>", xaxis="x2", yaxis="y2"))

    # animated: a few traces, each holding all optimizers; frames replace only their coordinates
    mv = _moving_points(surface, runs, drawn)
    if not any("lookahead" in r.state for r in runs):
        del mv["lookahead"]
    colors = [OPTIMIZER_COLORS[r.name] for r in runs]
    symbols = [OPTIMIZER_SYMBOLS[r.name] for r in runs]
    arrow = dict(symbol="arrow", angleref="previous", size=[0, ms * 1.6, 0] * len(runs))
    moving = {
        "current": dict(mode="markers", name="at iteration t: w<sub>t</sub>", legend="legend2",
                        marker=dict(size=ms * 1.9, color=colors, symbol=symbols, line=dict(width=2, color="white")),
                        unselected=dict(marker=dict(opacity=1))),
        "gradient": dict(mode="lines+markers", name="−g<sub>t</sub> direction", legend="legend2",
                         line=dict(color=GRADIENT_COLOR, width=lw * 1.2), marker=dict(color=GRADIENT_COLOR, **arrow)),
        "step": dict(mode="lines+markers", name="step to w<sub>t+1</sub>", legend="legend2",
                     line=dict(color=STEP_COLOR, width=lw * 1.5), marker=dict(color=STEP_COLOR, **arrow),
                     showlegend=any(r.name in STEP_ARROW for r in runs)),
        "lookahead": dict(mode="markers", name="look-ahead ŵ<sub>t</sub>", legend="legend2",
                          marker=dict(symbol="circle-open-dot", size=ms * 1.6, color=OPTIMIZER_COLORS["nesterov"],
                                      line=dict(width=2.5))),
    }
    keys = [key for key in moving if key in mv]
    first = len(data)
    digits = _digits(surface)
    for key in keys:
        data.append(dict(type="scatter", x=_rounded(mv[key].x[current - 1], digits),
                         y=_rounded(mv[key].y[current - 1], digits),
                         hoverinfo="skip", xaxis="x", yaxis="y", **moving[key]))
    # the current iteration on the loss plot: a vertical line whose y never changes
    y_range = _loss_range(surface, runs, drawn, cd)
    data.append(dict(type="scatter", x=[current, current],
                     y=[10 ** y_range[0], 10 ** y_range[1]] if ref is not None else list(y_range), mode="lines",
                     line=dict(color="#333", width=max(1.0, lw * 0.6), dash="dot"), showlegend=False,
                     hoverinfo="skip", name="iteration t", xaxis="x2", yaxis="y2"))
    indices = list(range(first, len(data)))

    layout["xaxis"].update(title=dict(text=vx), range=[x0, x1])
    layout["yaxis"].update(title=dict(text=vy), range=[y0, y1])
    layout["xaxis2"].update(range=[0.5, T + 1.5])
    layout["yaxis2"].update(range=list(y_range))
    if ref is not None:
        decades = y_range[1] - y_range[0]
        layout["yaxis2"].update(type="log", exponentformat="power", dtick=_log_dtick(decades),
                                title=dict(text="loss f(w<sub>t</sub>) − f*  (log scale)"))
    else:
        layout["yaxis2"].update(title=dict(text="loss f(w<sub>t</sub>)"))

    frame_ts = _frames_of(T)
    # Every other scatter trace of the contour plot goes into each frame too, unchanged ({}): plotly.js redraws
    # only the traces a frame names, and a scatter trace it did not redraw loses its drawing node, after which a
    # click on the plot raises inside plotly's click-to-select ("reading 'selectAll'") and the click never reaches
    # Streamlit. Naming them costs a few bytes per frame and keeps click-to-start working after Play.
    kept = [i for i, tr in enumerate(data[:first]) if tr["type"] == "scatter" and tr.get("xaxis", "x") == "x"]
    frames = [
        {"name": str(int(t)), "traces": kept + indices,
         "data": [{} for _ in kept]
         + [{"x": _rounded(mv[key].x[t - 1], digits), "y": _rounded(mv[key].y[t - 1], digits)} for key in keys]
         + [{"x": [int(t)] * 2}]}
        for t in frame_ts
    ]
    for tr in data:  # a click selects a grid point; nothing else may fade as "unselected"
        if tr["type"] == "scatter" and "unselected" not in tr:
            tr["unselected"] = {"marker": {"opacity": tr.get("marker", {}).get("opacity", 1)}}
    spec = {"data": data, "layout": layout, "frames": frames}
    active = int(np.argmin(np.abs(frame_ts - current)))
    _add_player(spec, frame_ts, active, th, T)
    return spec


@lru_cache(maxsize=4)
def _base_layout(th: Theme) -> dict:
    """Subplots, axes, theme and legend of the race figure: the same for every race, built once per theme."""
    fig = make_subplots(rows=1, cols=2, column_widths=[0.7, 0.3] if th.present else [0.63, 0.37],
                        horizontal_spacing=0.06 if th.present else 0.08)
    style(fig, th, height=RACE_HEIGHT[th.present])
    fig.update_xaxes(constrain="domain", showgrid=False, mirror=True, row=1, col=1)
    fig.update_yaxes(scaleanchor="x", scaleratio=1, constrain="domain", showgrid=False, mirror=True, row=1, col=1)
    fig.update_xaxes(title_text="iteration t", row=1, col=2)
    fig.update_yaxes(side="right", row=1, col=2)  # its labels then stay clear of the contour
    height = RACE_HEIGHT[th.present]
    plot_h = height - PLAYER_TOP[th.present] - PLAYER_BOTTOM[th.present]
    fig.update_layout(
        legend=dict(orientation="h", x=0, xanchor="left", y=1.01, yanchor="bottom", groupclick="togglegroup",
                    font=dict(size=th.font - (3 if th.present else 1)), bgcolor="rgba(255,255,255,0)"),
        legend2=dict(orientation="h", x=0, xanchor="left", y=-(PLAYER_BOTTOM[th.present] - 8) / plot_h,
                     yanchor="bottom", font=dict(size=th.font - (3 if th.present else 1)), itemclick=False,
                     itemdoubleclick=False, bgcolor="rgba(255,255,255,0)"),
        margin=dict(l=10, r=10, t=PLAYER_TOP[th.present], b=PLAYER_BOTTOM[th.present]),
        hovermode="closest", hoverdistance=40, dragmode="zoom", clickmode="event",
    )
    return fig.to_dict()["layout"]  # no template: viz.style states the look explicitly


@lru_cache(maxsize=32)
def _contour_trace(surface: Surface, th: Theme) -> dict:
    """The filled contour, its heights quantized to 16 bits: a finer grid for the bytes of a coarser float one.

    The drawn levels are converted to the same units, so every line sits where the float heights put it (to
    1/65535 of the range); nothing shows the units, as hovering the contour is off.
    """
    cd = contour_data(surface, n=CONTOUR_POINTS)
    lo, hi = float(cd.z.min()), float(cd.z.max())
    scale = 65535.0 / ((hi - lo) or 1.0)
    q = np.round((cd.z - lo) * scale)
    start, end, size = cd.levels
    return dict(
        type="contour", x0=float(cd.xs[0]), dx=float(cd.xs[1] - cd.xs[0]), y0=float(cd.ys[0]),
        dy=float(cd.ys[1] - cd.ys[0]), z=_b64(q, "u2"), colorscale=CONTOUR_SCALE, showscale=False, autocontour=False,
        contours=dict(start=(start - lo) * scale, end=(end - lo) * scale, size=size * scale, coloring="fill"),
        line=dict(color="#8C8C8C", width=0.8 if not th.present else 1.2, smoothing=0), hoverinfo="skip", name="f",
        showlegend=False, xaxis="x", yaxis="y")


@lru_cache(maxsize=32)
def _grid_trace(surface: Surface, th: Theme) -> dict:
    """Invisible points over the view box: a click on one is a selection Streamlit reports (contours are not)."""
    gx, gy, _ = click_grid(surface)
    GX, GY = np.meshgrid(gx, gy)
    GF = surface.value(np.stack([GX, GY], axis=-1))
    vx, vy = surface.variables
    return dict(
        type="scatter", x=_b64(GX.ravel()), y=_b64(GY.ravel()), customdata=_b64(GF.ravel()), mode="markers",
        marker=dict(size=max(6, th.marker), color="rgba(0,0,0,0)"), showlegend=False, name="start here",
        hovertemplate=f"({vx}, {vy}) = (%{{x:.4g}}, %{{y:.4g}}), f = %{{customdata:.4g}}<br>click to start here"
                      "<extra></extra>",
        selected=dict(marker=dict(opacity=0)), unselected=dict(marker=dict(opacity=0)), xaxis="x", yaxis="y")


def _loss_range(surface: Surface, runs, drawn, cd: ContourData) -> tuple[float, float]:
    """The loss plot's y range: log10 of the shown f - f* (padded), or f over the view box where f* is unknown."""
    if loss_reference(surface) is None:  # f is unbounded below (a saddle): show the values the view holds
        lo, hi = float(cd.f.min()), float(cd.f.max())
        pad = 0.05 * (hi - lo or 1.0)
        return lo - pad, hi + pad
    shown = np.concatenate([loss_values(surface, r.losses[: last + 1]) for r, (_, last, _) in zip(runs, drawn)])
    shown = np.log10(shown[np.isfinite(shown)])
    lo, hi = (float(shown.min()), float(shown.max())) if shown.size else (-1.0, 1.0)
    pad = max(0.05 * (hi - lo), 0.3)
    return lo - pad, hi + pad


def _log_dtick(decades: float):
    """Tick spacing of a log axis: labelled 2 and 5 within a decade or two, then every (second, third) power."""
    return "D2" if decades < 2 else 1 if decades <= 7 else 2 if decades <= 14 else 3


def _toward_center(p: np.ndarray, bounds, stack: int = 0, line: float = 26) -> tuple[float, float]:
    """Pixel offsets for an annotation's text: from the exit point towards the middle of the view, ``stack`` lines
    further for the ``stack``-th label."""
    (x0, x1), (y0, y1) = bounds
    dx = -1 if p[0] > (x0 + x1) / 2 else 1
    dy = 1 if p[1] > (y0 + y1) / 2 else -1  # screen y points down
    return 60 * dx, (40 + stack * line) * dy


def frame_duration(frames: int, speed: str = "normal") -> int:
    """Milliseconds per frame so that a whole play lasts about PLAY_SECONDS at normal speed."""
    ms = PLAY_SECONDS * 1000.0 / max(frames, 1) * SPEEDS[speed]
    return int(min(max(ms, 15.0), 600.0))


def _add_player(spec: dict, frame_ts: np.ndarray, active: int, th: Theme, T: int) -> None:
    """Play, pause, back-to-start and speed buttons on one row, and a full-width slider over the frames below."""

    def play(speed: str) -> dict:
        return {"frame": {"duration": frame_duration(len(frame_ts), speed), "redraw": False}, "fromcurrent": True,
                "transition": {"duration": 0}, "mode": "immediate"}

    still = {"frame": {"duration": 0, "redraw": False}, "mode": "immediate", "transition": {"duration": 0}}
    height = RACE_HEIGHT[th.present]
    plot_h = height - PLAYER_TOP[th.present] - PLAYER_BOTTOM[th.present]
    below = lambda px: -px / plot_h  # noqa: E731  (paper coordinates of a point px pixels under the plots)
    font = dict(size=th.font)
    buttons_y = below(88 if th.present else 52)
    spec["layout"]["updatemenus"] = [dict(
        type="buttons", direction="left", x=0.0, y=buttons_y, xanchor="left", yanchor="top", showactive=False,
        pad=dict(t=0, r=8), font=font, bgcolor="#F2F2F2", bordercolor="#888",
        buttons=[dict(label="▶ Play", method="animate", args=[None, play("normal")]),
                 dict(label="❚❚ Pause", method="animate", args=[[None], still]),
                 dict(label="◀◀ Start", method="animate", args=[[str(int(frame_ts[0]))], still]),
                 dict(label="▶ slow", method="animate", args=[None, play("slow")]),
                 dict(label="▶▶ fast", method="animate", args=[None, play("fast")])],
    )]
    # the slider has a stop at every frame up to SLIDER_CAP stops, then at every k-th (and the last): each stop
    # is drawn with a tick and a label, which cost more to draw than the frames; Play still shows every frame
    stride = -(-len(frame_ts) // SLIDER_CAP)
    stops = list(range(0, len(frame_ts), stride))
    stops += [len(frame_ts) - 1] if stops[-1] != len(frame_ts) - 1 else []
    frame_ts = frame_ts[stops]
    active = int(np.argmin(np.abs(np.asarray(stops) - active)))
    labels = [str(int(t)) if t <= T else f"{T + 1} (after the last step)" for t in frame_ts]
    spec["layout"]["sliders"] = [dict(
        active=active, x=0.0, len=1.0, y=below(140 if th.present else 96), xanchor="left", yanchor="top",
        pad=dict(t=0, b=0), ticklen=0, minorticklen=0, font=dict(color="rgba(0,0,0,0)", size=4),
        currentvalue=dict(prefix="iteration t = ", font=dict(size=th.font, color=th.ink), xanchor="left",
                          offset=8),
        bgcolor="#DDDDDD", activebgcolor="#9E9E9E", bordercolor="#888", borderwidth=1,
        transition=dict(duration=0),
        steps=[dict(label=lab, method="animate", args=[[str(int(t))], still]) for t, lab in zip(frame_ts, labels)],
    )]


# -- the 3-D view ------------------------------------------------------------------------------------------------------

def surface_figure(surface: Surface, runs: list[RunRecord], th: Theme, *, current: int = 1) -> go.Figure:
    """The same runs on the surface in 3-D (log height where the contour uses log levels), points at iteration t."""
    cd = contour_data(surface, n=101, delta=0.1)  # shallower funnels than the contour's levels need
    vx, vy = surface.variables
    height = (lambda f: np.log10(np.maximum(np.asarray(f, dtype=float) - cd.offset, 1e-300))) if cd.log else \
        (lambda f: np.asarray(f, dtype=float))
    span = float(cd.z.max() - cd.z.min()) or 1.0
    lift = 0.015 * span  # paths float just above the surface, so that it does not hide them
    fig = go.Figure(go.Surface(x=cd.xs, y=cd.ys, z=cd.z, colorscale=CONTOUR_SCALE, showscale=False, opacity=0.8,
                               contours=dict(z=dict(show=True, start=cd.levels[0], end=cd.levels[1],
                                                    size=cd.levels[2] * 2, color="#8C8C8C", width=1)),
                               hoverinfo="skip", name="f", lighting=dict(ambient=0.8, diffuse=0.4, specular=0.05)))
    for r in runs:
        pts, last, _ = clip_to_view(r.positions, r.rows, r.diverged, surface.bounds)
        with np.errstate(over="ignore", invalid="ignore"):
            z = height(surface.value(pts)) + lift
        keep = np.isfinite(z)
        color = OPTIMIZER_COLORS[r.name]
        fig.add_trace(go.Scatter3d(x=pts[keep, 0], y=pts[keep, 1], z=z[keep], mode="lines", name=r.title,
                                   legendgroup=r.name, line=dict(color=color, width=lw3(th)),
                                   hovertemplate=f"{r.title}<br>({vx}, {vy}) = (%{{x:.4g}}, %{{y:.4g}})"
                                                 "<extra></extra>"))
        t = min(current, last + 1)
        p = r.positions[t - 1]
        fig.add_trace(go.Scatter3d(x=[p[0]], y=[p[1]], z=[float(height(r.losses[t - 1])) + lift], mode="markers",
                                   showlegend=False, legendgroup=r.name, name=r.title,
                                   marker=dict(size=th.marker * 0.8, color=color, line=dict(width=1, color="white")),
                                   hovertemplate=f"{r.title} at t = {t}<extra></extra>"))
    for kind in ("minimum", "maximum", "saddle"):
        pts = [p for p in surface.stationary if p.kind == kind]
        if pts:
            fig.add_trace(go.Scatter3d(
                x=[p.point[0] for p in pts], y=[p.point[1] for p in pts],
                z=[float(height(p.value)) + lift for p in pts], mode="markers", name=kind,
                marker=dict(symbol={"minimum": "diamond", "maximum": "circle", "saddle": "cross"}[kind],
                            size=th.marker * 0.8, color=KIND_COLORS[kind]), hoverinfo="name"))
    style(fig, th, height=th.height + (200 if th.present else 140))
    if cd.log:
        sign = "+" if cd.offset < 0 else "−"
        ztitle = "log₁₀ f" if abs(cd.offset) < 1e-12 else f"log₁₀(f {sign} {_short(abs(cd.offset))})"
    else:
        ztitle = f"f({vx}, {vy})"
    axis = dict(backgroundcolor="white", gridcolor=th.grid, title_font=dict(size=th.font),
                tickfont=dict(size=th.font - 4))
    fig.update_layout(
        scene=dict(xaxis=dict(title=dict(text=vx), range=list(surface.bounds[0]), **axis),
                   yaxis=dict(title=dict(text=vy), range=list(surface.bounds[1]), **axis),
                   zaxis=dict(title=dict(text=ztitle), **axis), aspectmode="manual",
                   aspectratio=dict(x=1, y=1, z=0.55), camera=dict(eye=dict(x=0.9, y=-1.7, z=1.15))),
        legend=dict(orientation="h", x=0, y=1.02, yanchor="bottom"), margin=dict(l=0, r=0, t=30, b=0),
    )
    return fig


def lw3(th: Theme) -> float:
    return th.line * 2.2


def loss_figure(surface: Surface, runs: list[RunRecord], th: Theme, *, current: int = 1) -> go.Figure:
    """The loss against the iteration (log scale of f - f* where f* is known), a line at iteration t."""
    ref = loss_reference(surface)
    fig = go.Figure()
    for r in runs:
        _, last, _ = clip_to_view(r.positions, r.rows, r.diverged, surface.bounds)
        fig.add_trace(go.Scatter(x=np.arange(1, last + 2), y=loss_values(surface, r.losses[: last + 1]), mode="lines",
                                 name=r.title, line=dict(color=OPTIMIZER_COLORS[r.name], width=th.line,
                                                         dash=OPTIMIZER_DASHES[r.name])))
    fig.add_vline(x=current, line=dict(color="#444", dash="dot", width=1.5))
    style(fig, th, height=th.height + (200 if th.present else 140))
    fig.update_xaxes(title_text="iteration t")
    if ref is not None:
        shown = np.concatenate([loss_values(surface, r.losses) for r in runs])
        shown = shown[np.isfinite(shown) & (shown > 0)]
        decades = float(np.log10(shown.max() / shown.min())) if shown.size else 1.0
        fig.update_yaxes(title_text="f(w<sub>t</sub>) − f*  (log scale)", type="log", exponentformat="power",
                         dtick=_log_dtick(decades))
    else:
        fig.update_yaxes(title_text="f(w<sub>t</sub>)")
    fig.update_layout(legend=dict(orientation="h", x=0, y=1.02, yanchor="bottom"))
    return fig


# -- tables ------------------------------------------------------------------------------------------------------------

def settings_text(r: RunRecord) -> str:
    """The hyperparameters and variant of a run in a few characters: ``η = 0.05, β₁ = 0.9``."""
    names = {"lr": "η", "beta": "β", "beta1": "β₁", "beta2": "β₂", "rho": "ρ", "eps": "ε", "min_curvature": "λmin"}
    parts = [f"{names.get(k, k)} = {v:g}" for k, v in r.hyper.items()
             if not (k == "min_curvature" and not r.options.get("safeguard"))]
    if r.noise:
        parts.append(f"σ = {r.noise:g}")
    if r.batch_size is not None:
        parts.append(f"B = {r.batch_size:g}")
    return ", ".join(parts)


def summary_frame(surface: Surface, runs: list[RunRecord]) -> pd.DataFrame:
    """One row per optimizer: its settings, outcome, final point, final loss and distance to the nearest minimum."""
    vx, vy = surface.variables
    rows = []
    for r in runs:
        row = {"optimizer": r.title, "settings": settings_text(r), "outcome": r.outcome(),
               "at step": str(r.event_step) if r.event_step >= 0 else "",
               f"final {vx}": float(r.final_position[0]), f"final {vy}": float(r.final_position[1]),
               "final f": float(r.final_loss)}
        if surface.minima:
            dist, which = surface.nearest_minimum(r.final_position)
            m = surface.minima[int(which)]
            row["distance to nearest minimum"] = float(dist)
            row["nearest minimum"] = f"({m.point[0]:.4g}, {m.point[1]:.4g})"
        rows.append(row)
    return pd.DataFrame(rows)


def long_frame(runs: list[RunRecord]) -> pd.DataFrame:
    """Every run's iteration table stacked, with an ``optimizer`` column; state columns an optimizer lacks are
    empty."""
    columns: list[str] = []
    for r in runs:
        columns += [c for c in r.table.columns if c not in columns]
    parts = []
    for r in runs:
        df = pd.DataFrame(r.table.data, columns=list(r.table.columns))
        df.insert(0, "optimizer", r.name)
        parts.append(df)
    out = pd.concat(parts, ignore_index=True).reindex(columns=["optimizer"] + columns)
    out["iteration"] = out["iteration"].astype(int)
    return out


def long_columns(runs: list[RunRecord]) -> tuple[str, ...]:
    """The long table's columns: ``optimizer``, then every run's table columns in order of first appearance."""
    columns: list[str] = []
    for r in runs:
        columns += [c for c in r.table.columns if c not in columns]
    return ("optimizer", *columns)


def long_csv_rows(r: RunRecord, columns: tuple[str, ...]) -> str:
    """One run's rows of the long CSV (no header): full precision, empty where the run has no such column."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    pos = [r.table.columns.index(c) if c in r.table.columns else -1 for c in columns[2:]]
    for row in r.table.data:
        writer.writerow([r.name, str(int(row[0]))] + [repr(float(row[p])) if p >= 0 else "" for p in pos])
    return buf.getvalue()


def long_csv(runs: list[RunRecord], rows: list[str] | None = None) -> bytes:
    """The long table as CSV at full precision (every float as its shortest round-trip text), empty = n/a.

    ``rows`` may give each run's :func:`long_csv_rows` already made (a page caches them per run).
    """
    columns = long_columns(runs)
    header = ",".join(f'"{c}"' if "," in c else c for c in columns) + "\n"
    rows = rows if rows is not None else [long_csv_rows(r, columns) for r in runs]
    return (header + "".join(rows)).encode()


# -- the update rule with numbers --------------------------------------------------------------------------------------

def tex_number(x: float, digits: int = 5) -> str:
    """A number for a formula: 5 significant digits, powers of ten written out, ∞ where it overflowed."""
    x = float(x)
    if math.isnan(x):
        return r"\text{undefined}"
    if math.isinf(x):
        return r"\infty" if x > 0 else r"-\infty"
    if x == 0:
        return "0"
    text = f"{x:.{digits}g}"
    if "e" in text:
        mant, exp = text.split("e")
        return rf"{mant} \times 10^{{{int(exp)}}}"
    return text


def tex_vector(v) -> str:
    return r"\begin{pmatrix}" + r" \\ ".join(tex_number(c) for c in np.ravel(v)) + r"\end{pmatrix}"


def numeric_rule(surface: Surface, r: RunRecord, t: int) -> str:
    r"""The update rule of iteration t with the run's numbers: every symbol of :func:`optim.latex` replaced.

    ``t`` counts from 1 as in the iteration table: the row ``iteration = t`` holds the same numbers.
    """
    if not 1 <= t <= r.rows:
        raise ValueError(f"iteration {t} is outside 1 .. {r.rows}")
    k = t - 1
    V = tex_vector
    w, w1, g = r.positions[k], r.positions[k + 1], r.gradients[k]
    h = r.hyper
    o = r.options
    st = r.state
    eta = tex_number(h["lr"])
    wt, wn = f"w_{{{t}}}", f"w_{{{t + 1}}}"
    lines: list[str] = []
    if r.name in ("gd", "sgd"):
        if r.name == "sgd":
            true_g = surface.grad(w)
            lines.append(rf"\nabla f({wt}) &= {V(true_g)} \quad \text{{(exact)}}")
            lines.append(rf"\tilde g_{{{t}}} &= {V(g)} \quad \text{{(what the step uses)}}")
        else:
            lines.append(rf"g_{{{t}}} &= \nabla f({wt}) = {V(g)}")
        lines.append(rf"{wn} &= {V(w)} - {eta} {V(g)} = {V(w1)}")
    elif r.name in ("momentum", "nesterov"):
        beta = tex_number(h["beta"])
        ema = o["form"] == "ema"
        c = tex_number(1 - h["beta"]) + r"\," if ema else ""
        v0, v1 = st["v"][k], st["v"][k + 1]
        if r.name == "nesterov" and o["evaluation"] == "lookahead":
            look = st["lookahead"][k + 1]
            lines.append(rf"\hat w_{{{t}}} &= {V(w)} - {eta} \cdot {beta} {V(v0)} "
                         rf"= {V(look)}")
            lines.append(rf"g &= \nabla f(\hat w_{{{t}}}) = {V(g)}")
        else:
            lines.append(rf"g_{{{t}}} &= \nabla f({wt}) = {V(g)}")
        lines.append(rf"v_{{{t}}} &= {beta} {V(v0)} + {c}{V(g)} = {V(v1)}")
        if r.name == "nesterov" and o["evaluation"] == "pytorch":
            lines.append(rf"{wn} &= {V(w)} - {eta}\,({c}{V(g)} + "
                         rf"{beta} {V(v1)}) = {V(w1)}")
        else:
            lines.append(rf"{wn} &= {V(w)} - {eta} {V(v1)} = {V(w1)}")
    elif r.name in ("adagrad", "rmsprop"):
        acc, sym = ("G", "G") if r.name == "adagrad" else ("s", "s")
        a0, a1 = st[acc][k], st[acc][k + 1]
        lines.append(rf"g_{{{t}}} &= \nabla f({wt}) = {V(g)}")
        if r.name == "adagrad":
            lines.append(rf"G_{{{t}}} &= G_{{{t - 1}}} + g_{{{t}}}^2 = {V(a0)} + {V(g ** 2)} = {V(a1)}")
        else:
            lines.append(rf"s_{{{t}}} &= {tex_number(h['rho'])} {V(a0)} + {tex_number(1 - h['rho'])} {V(g ** 2)} "
                         rf"= {V(a1)}")
        denom = rf"\sqrt{{{sym}_{{{t}}} + \epsilon}}" if o["eps_in_sqrt"] else rf"\sqrt{{{sym}_{{{t}}}}} + \epsilon"
        lines.append(rf"\frac{{\eta}}{{{denom}}} &= {V(st['lr_eff'][k + 1])} \quad (\epsilon = {tex_number(h['eps'])})")
        lines.append(rf"{wn} &= {V(w)} - {V(st['lr_eff'][k + 1])} \odot {V(g)} = {V(w1)}")
    elif r.name == "adadelta":
        rho, one_rho = tex_number(h["rho"]), tex_number(1 - h["rho"])
        s0, s1, u0, u1 = st["s"][k], st["s"][k + 1], st["delta"][k], st["delta"][k + 1]
        ratio = st["lr_eff"][k + 1] / h["lr"]
        delta = ratio * g
        lines.append(rf"g_{{{t}}} &= \nabla f({wt}) = {V(g)}")
        lines.append(rf"s_{{{t}}} &= {rho} {V(s0)} + {one_rho} {V(g ** 2)} = {V(s1)}")
        lines.append(rf"\Delta_{{{t}}} &= {V(ratio)} \odot {V(g)} = {V(delta)}")
        lines.append(rf"u_{{{t}}} &= {rho} {V(u0)} + {one_rho} {V(delta ** 2)} = {V(u1)}")
        lines.append(rf"{wn} &= {V(w)} - {eta} {V(delta)} = {V(w1)}")
    elif r.name == "adam":
        b1, b2 = h["beta1"], h["beta2"]
        m0, v0, m1, v1 = st["m"][k], st["v"][k], st["m"][k + 1], st["v"][k + 1]
        lines.append(rf"g_{{{t}}} &= \nabla f({wt}) = {V(g)}")
        lines.append(rf"m_{{{t}}} &= {tex_number(b1)} {V(m0)} + {tex_number(1 - b1)} {V(g)} = {V(m1)}")
        lines.append(rf"v_{{{t}}} &= {tex_number(b2)} {V(v0)} + {tex_number(1 - b2)} {V(g ** 2)} = {V(v1)}")
        if o["bias_correction"]:
            mh = m1 / (1 - b1**t)
            lines.append(rf"\hat m_{{{t}}} &= \frac{{m_{{{t}}}}}{{1 - {tex_number(b1)}^{{{t}}}}} = {V(mh)}, \quad "
                         rf"\hat v_{{{t}}} = \frac{{v_{{{t}}}}}{{1 - {tex_number(b2)}^{{{t}}}}} = "
                         rf"{V(v1 / (1 - b2 ** t))}")
        else:
            mh = m1
        vsym = rf"\hat v_{{{t}}}" if o["bias_correction"] else f"v_{{{t}}}"
        lines.append(rf"\frac{{\eta}}{{\sqrt{{{vsym}}} + \epsilon}} &= {V(st['lr_eff'][k + 1])}")
        lines.append(rf"{wn} &= {V(w)} - {V(st['lr_eff'][k + 1])} \odot {V(mh)} = {V(w1)}")
    elif r.name == "newton":
        H = surface.hess(w)
        lines.append(rf"g_{{{t}}} &= \nabla f({wt}) = {V(g)}")
        lines.append(rf"H({wt}) &= \begin{{pmatrix}} {tex_number(H[0, 0])} & {tex_number(H[0, 1])} \\ "
                     rf"{tex_number(H[1, 0])} & {tex_number(H[1, 1])} \end{{pmatrix}}, \quad \text{{eigenvalues }} "
                     rf"{tex_number(st['curvature'][k + 1][0])},\ {tex_number(st['curvature'][k + 1][1])}")
        inv = r"\tilde H^{-1}" if o["safeguard"] else rf"H({wt})^{{-1}}"
        lines.append(rf"{inv} g_{{{t}}} &= {V((w - w1) / h['lr'])}")
        lines.append(rf"{wn} &= {V(w)} - {eta} {V((w - w1) / h['lr'])} = {V(w1)}")
    else:
        raise ValueError(f"unknown optimizer '{r.name}'")
    return r"\begin{aligned}" + r" \\ ".join(lines) + r"\end{aligned}"


def symbolic_rule(r: RunRecord) -> str:
    return latex(r.name, r.options)


__all__ = [
    "FRAME_CAP", "RunRecord", "click_grid", "clip_to_view", "contour_data", "frame_duration",
    "long_columns", "long_csv", "long_csv_rows", "long_frame", "loss_figure", "numeric_rule", "race_figure",
    "settings_text", "summary_frame", "surface_figure", "symbolic_rule", "tex_number",
]
