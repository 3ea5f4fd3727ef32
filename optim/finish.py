r"""The finish line of a race: when a run first came within a tolerance of the minimum, the best loss so far, and
how many evaluations of f, its gradient and its Hessian the method used to get there.

"Within the tolerance" is measured in loss, :math:`f(w_t) - f^* \le \text{tol}` with :math:`f^*` the lowest listed
minimum, or in distance, :math:`\min_m \lVert w_t - m \rVert \le \text{tol}` over the listed minima. Step t is the
point after t steps (step 0 is the start), as in the iteration tables. All functions take a batch.

Evaluations the method itself made (a run also evaluates f at every point to record it; that is not counted):

* a first-order method: one gradient per step (at the look-ahead point for Nesterov's form), no f;
* a method that needs the Hessian (Newton): one gradient and one Hessian per step;
* a line-search method (CG, BFGS): what its recorded ``fevals`` and ``gevals`` say per step.
"""

from __future__ import annotations

import numpy as np

from .trajectory import Trajectory

MEASURES = ("loss", "distance")


def lowest_minimum(surface) -> float | None:
    """f* of a surface: its lowest listed minimum, None when it lists none."""
    values = [m.value for m in surface.minima]
    return float(min(values)) if values else None


def gap(surface, losses: np.ndarray, positions: np.ndarray | None, measure: str = "loss",
        f_star: float | None = None) -> np.ndarray:
    """How far every recorded point is from the finish: ``f - f*`` (loss) or the distance to the nearest listed
    minimum, shaped like ``losses`` ``(steps + 1, *batch)``; not finite values count as infinitely far.

    ``f_star`` None: the surface's lowest minimum (a ValueError if it lists none)."""
    if measure not in MEASURES:
        raise ValueError(f"unknown measure '{measure}'; choose loss or distance")
    if measure == "distance":
        if not surface.minima:
            raise ValueError(f"'{surface.name}' lists no minimum to measure a distance to")
        g = surface.nearest_minimum(positions)[0]
    else:
        f_star = lowest_minimum(surface) if f_star is None else f_star
        if f_star is None:
            raise ValueError(f"'{surface.name}' lists no minimum: there is no f* to measure the loss from")
        with np.errstate(invalid="ignore", over="ignore"):
            g = np.asarray(losses, dtype=float) - f_star
    return np.nan_to_num(g, nan=np.inf)


def first_within(gaps: np.ndarray, tol: float, rows=None) -> np.ndarray:
    """The first step t (axis 0 of ``gaps``) with ``gaps[t] <= tol``, -1 where there is none up to ``rows``
    (a batch-shaped count of meaningful steps: a diverged run's later rows repeat its last one)."""
    gaps = np.asarray(gaps, dtype=float)
    t = np.arange(gaps.shape[0]).reshape((-1,) + (1,) * (gaps.ndim - 1))
    close = gaps <= tol
    if rows is not None:
        close &= t <= np.asarray(rows)
    return np.where(close.any(axis=0), close.argmax(axis=0), -1)


def best_so_far(losses: np.ndarray, rows=None) -> np.ndarray:
    """The lowest loss of the run's meaningful points (``rows`` steps, all by default)."""
    losses = np.asarray(losses, dtype=float)
    t = np.arange(losses.shape[0]).reshape((-1,) + (1,) * (losses.ndim - 1))
    keep = np.isfinite(losses) & (t <= (losses.shape[0] - 1 if rows is None else np.asarray(rows)))
    return np.where(keep, losses, np.inf).min(axis=0)


def evaluations(traj: Trajectory, steps) -> dict[str, np.ndarray]:
    """Evaluations of f, of the gradient and of the Hessian the method made in its first ``steps`` steps (a
    number or batch-shaped array); the keys are ``f``, ``gradient``, ``hessian`` (see the module docstring)."""
    spec = traj.spec
    steps = np.asarray(steps)
    per_step = lambda name: traj.state[name][1:]  # noqa: E731  (row k + 1 is step k + 1's count)

    def summed(name):
        counts = np.nan_to_num(per_step(name))
        cum = np.concatenate([np.zeros((1,) + counts.shape[1:]), np.cumsum(counts, axis=0)])
        return np.take_along_axis(cum, np.clip(steps, 0, cum.shape[0] - 1)[None, ...].astype(int), axis=0)[0] \
            if cum.ndim > 1 else cum[np.clip(steps, 0, cum.shape[0] - 1)]

    f = summed("fevals") if "fevals" in traj.state else np.zeros(steps.shape)
    g = summed("gevals") if "gevals" in traj.state else steps.astype(float)
    h = steps.astype(float) if spec.needs_hessian else np.zeros(steps.shape)
    return {"f": np.asarray(f), "gradient": np.asarray(g), "hessian": np.asarray(h)}


__all__ = ["MEASURES", "best_so_far", "evaluations", "first_within", "gap", "lowest_minimum"]
