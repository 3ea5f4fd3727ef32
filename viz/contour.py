"""Contours of a 2-D surface, for every figure that draws one: the surface sampled on a grid, its levels, and
the contour traces (the playground's race and 3-D view, the hyperparameter map's view of one run).

Two kinds of levels: :func:`contour_data` (the playground's: about 22 round linear levels, or quarter-decade
levels of log10(f - f_min + delta) on surfaces with ``log_levels``) and :func:`backdrop` (a light contour
behind one path, over a view widened to the path: 15 levels up to the 90 % quantile, or 18 log levels).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import plotly.graph_objects as go

from surfaces import Surface

from .style import Theme
from .wire import b64

CONTOUR_SCALE = [[0.0, "#FFFFFF"], [0.35, "#EDEDED"], [1.0, "#B8B8B8"]]
CONTOUR_POINTS = 101  #: per axis, of the race's contour
LINE_COLOR = "#8C8C8C"


def nice_step(span: float, count: int) -> float:
    """A round spacing (1, 1.25, 1.5, 2, 2.5, 3, 4 or 5 times a power of ten), about ``count`` intervals over
    ``span``."""
    raw = span / count
    power = 10.0 ** math.floor(math.log10(raw))
    for m in (1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 10.0):
        if raw <= m * power * 1.0001:
            return m * power
    return 10.0 * power


def short_number(v: float) -> str:
    """A level or an offset in three significant digits: ``1e3``, ``−0.25``."""
    return f"{v:.3g}".replace("e+0", "e").replace("e-0", "e-").replace("-", "−")


def grid_values(surface: Surface, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """f on the grid ``xs`` x ``ys``, shape (len(ys), len(xs)): rows along y, as plotly draws z."""
    return surface.value(np.stack(np.meshgrid(xs, ys), axis=-1))


@dataclass(frozen=True)
class ContourData:
    xs: np.ndarray
    ys: np.ndarray
    f: np.ndarray  #: f on the grid, shape (len(ys), len(xs))
    z: np.ndarray  #: what is drawn: f, or log10(f - f_min + delta) for surfaces with log-spaced levels
    log: bool
    offset: float  #: f_min - delta, so that f = 10**z + offset on a log surface
    levels: tuple[float, float, float]  #: start, end, size of the contour levels in z


def contour_data(surface: Surface, n: int = 81, delta: float | None = None) -> ContourData:
    """The surface sampled over its view box, with contour levels: log-spaced where the surface needs them.

    On a log surface the height is log10(f - f_min + delta); ``delta`` (default: a thousandth, or a millionth of
    the range) sets how deep the minima's funnels go.
    """
    (x0, x1), (y0, y1) = surface.bounds
    xs, ys = np.linspace(x0, x1, n), np.linspace(y0, y1, n)
    F = grid_values(surface, xs, ys)
    if not np.isfinite(F).all():
        F = np.where(np.isfinite(F), F, np.nan)
    f_min = float(min([np.nanmin(F)] + [m.value for m in surface.minima]))  # NaN: a typed function's
    f_max = float(np.nanmax(F))  # undefined region, left blank
    if surface.log_levels:
        delta = delta if delta is not None else max(1e-3, 1e-6 * (f_max - f_min))
        offset = f_min - delta
        Z = np.log10(F - offset)
        hi = math.ceil(float(np.nanmax(Z)))
        lo = math.floor(float(np.nanmin(Z)))
        # no levels in the lowest 2 % of the view: there a valley narrower than the grid would break into dashes
        levels = (max(lo + 0.25, math.floor(float(np.percentile(Z, 2)) * 4) / 4), hi, 0.25)
    else:
        offset = 0.0
        Z = F
        step = nice_step(f_max - f_min, 22)
        levels = (math.floor(f_min / step) * step + step, f_max, step)
    return ContourData(xs, ys, F, Z, bool(surface.log_levels), offset, levels)


def height_title(cd: ContourData, vx: str, vy: str) -> str:
    """What the height of a drawn surface is: ``f(x, y)``, ``log₁₀ f`` or ``log₁₀(f + 0.001)``."""
    if not cd.log:
        return f"f({vx}, {vy})"
    sign = "+" if cd.offset < 0 else "−"
    return "log₁₀ f" if abs(cd.offset) < 1e-12 else f"log₁₀(f {sign} {short_number(abs(cd.offset))})"


@lru_cache(maxsize=32)
def contour_trace(surface: Surface, th: Theme) -> dict:
    """The race's filled contour as a plain dict, its heights quantized to 16 bits: a finer grid for the bytes
    of a coarser float one.

    The drawn levels are converted to the same units, so every line sits where the float heights put it (to
    1/65535 of the range); nothing shows the units, as hovering the contour is off.
    """
    cd = contour_data(surface, n=CONTOUR_POINTS)
    lo, hi = float(np.nanmin(cd.z)), float(np.nanmax(cd.z))
    scale = 65535.0 / ((hi - lo) or 1.0)
    q = np.round((cd.z - lo) * scale)
    start, end, size = cd.levels
    # a typed function undefined in part of the box: float32 heights, where NaN is a blank gap
    z = b64(q, "u2") if np.isfinite(q).all() else b64(q, "f4")
    return dict(
        type="contour", x0=float(cd.xs[0]), dx=float(cd.xs[1] - cd.xs[0]), y0=float(cd.ys[0]),
        dy=float(cd.ys[1] - cd.ys[0]), z=z, colorscale=CONTOUR_SCALE, showscale=False, autocontour=False,
        contours=dict(start=(start - lo) * scale, end=(end - lo) * scale, size=size * scale, coloring="fill"),
        line=dict(color=LINE_COLOR, width=th.race.contour_line, smoothing=0), hoverinfo="skip", name="f",
        showlegend=False, xaxis="x", yaxis="y")


def surface_trace(cd: ContourData) -> go.Surface:
    """The surface in 3-D, the contour's colours, every second level drawn on it."""
    return go.Surface(x=cd.xs, y=cd.ys, z=cd.z, colorscale=CONTOUR_SCALE, showscale=False, opacity=0.8,
                      contours=dict(z=dict(show=True, start=cd.levels[0], end=cd.levels[1], size=cd.levels[2] * 2,
                                           color=LINE_COLOR, width=1)),
                      hoverinfo="skip", name="f", lighting=dict(ambient=0.8, diffuse=0.4, specular=0.05))


def backdrop(surface: Surface, box, n: int = 160) -> go.Contour:
    """A light filled contour over ``box`` (which may be wider than the surface's view), behind a path."""
    (x0, x1), (y0, y1) = box
    gx, gy = np.linspace(x0, x1, n), np.linspace(y0, y1, n)
    Z = grid_values(surface, gx, gy)
    if surface.log_levels:
        z = np.log10(Z - Z.min() + 1e-3)
        levels = dict(start=float(z.min()), end=float(z.max()), size=float(z.max() - z.min()) / 18)
    else:
        z = Z
        top = np.quantile(Z, 0.9)
        levels = dict(start=float(Z.min()), end=float(top), size=float(top - Z.min()) / 15)
    return go.Contour(x=gx, y=gy, z=z, colorscale="Greys", reversescale=True, opacity=0.55, showscale=False,
                      contours=dict(coloring="fill", showlines=True, **levels), line=dict(width=1),
                      hoverinfo="skip", name="f(x, y)")
