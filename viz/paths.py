"""Where a run is drawn and what its loss plot shows: shared by the race and the 3-D view of the playground.

Iterations are numbered as in the iteration tables (and the course notes): iteration t starts at the point
w_t, takes the gradient g_t and moves to w_{t+1}; w_1 is the start, and after T steps the last point is
w_{T+1}.
"""

from __future__ import annotations

import numpy as np

from surfaces import Surface

LOSS_FLOOR = 1e-12  #: the loss plot's lowest value: f - f* below it (or exactly 0) is drawn there


def clip_to_view(positions: np.ndarray, rows: int, diverged: bool, bounds) -> tuple[np.ndarray, int, np.ndarray | None]:
    """The part of a path to draw: all of it, or for a diverged run up to where it finally leaves the view.

    Returns ``(points, last, exit)``: the points to draw, the index of the last recorded point drawn, and for a
    diverged run the point where its last step crosses the edge of the view box (``None`` otherwise).
    """
    rows, diverged = int(rows), bool(diverged)
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


def loss_values(surface: Surface, losses: np.ndarray) -> np.ndarray:
    """What the loss plot shows: f - f* on a log scale (floored at LOSS_FLOOR), or f itself where f* is unknown."""
    ref = loss_reference(surface)
    if ref is None:
        return np.asarray(losses, dtype=float)
    with np.errstate(invalid="ignore", over="ignore"):
        return np.maximum(np.asarray(losses, dtype=float) - ref, LOSS_FLOOR)


def log_dtick(decades: float):
    """Tick spacing of a log axis: labelled 2 and 5 within a decade or two, then every (second, third) power."""
    return "D2" if decades < 2 else 1 if decades <= 7 else 2 if decades <= 14 else 3
