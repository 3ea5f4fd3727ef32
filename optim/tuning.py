r"""A fair race: each optimizer tuned on the same surface, start and number of steps by one stated criterion.

The grid is a sweep (``optim.sweep``): a log grid of learning rates over the optimizer's own range (the powers
``10^(k / LR_PER_DECADE)`` inside its slider's range), and a grid
of its momentum coefficient (β or β₁, the hyperparameters named in ``MOMENTUM``) where it has one; the other
hyperparameters stay as given. The whole grid of one optimizer is one vectorized call, recorded with its path so
that a criterion over the whole run can be measured.

Criteria, each "smaller is better", with :math:`f^*` the lowest listed minimum of the surface (or, on a surface
without one, the lowest loss any cell of the grid reached) and :math:`\delta_t = \max(f(w_t) - f^*, 10^{-12})`:

* ``mean-log`` (default): :math:`\frac{1}{T+1}\sum_{t=0}^{T} \log_{10}\delta_t`, the log of the geometric mean
  gap: it rewards a fast descent and a good end alike;
* ``final``: :math:`\log_{10}\delta_T`, the gap at the end;
* ``steps``: the first step t at which the run is within ``tol`` of the minimum (in loss, :math:`\delta_t \le`
  tol, or in distance to the nearest listed minimum); a cell that never gets there scores ``steps + 1``.

A cell that diverged or left the domain scores infinity. Ties (cells that all reach the tolerance at the same
step, say) are broken by ``mean-log``, then by the smaller learning rate.

The good band: with the tuned momentum coefficient held, the learning rates around the tuned one whose criterion
is within a factor ``BAND_FACTOR`` of the best (for the loss criteria: a gap within that factor, so a criterion
within ``log10(factor)`` of the best; for steps: at most that factor times the best step). Its width in decades
says how forgiving the optimizer is.

    >>> t = tune(tuning_spec("bowl", "gd", (-1.5, 1.2), 60))
    >>> t.best_hyper["lr"] > 0 and t.band_decades >= 0
    True
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

import surfaces

from . import finish, registry
from .finish import MEASURES, lowest_minimum
from .sweep import Axis, SweepResult, SweepSpec, sweep
from .trajectory import Status

#: hyperparameters tuned beside the learning rate: a momentum coefficient
MOMENTUM = ("beta", "beta1")
#: learning rates per decade of the log grid
LR_PER_DECADE = 10
#: values of the momentum coefficient, evenly from 0 to MOMENTUM_HIGH (0, 0.09, ..., 0.9, 0.99)
MOMENTUM_COUNT = 12
MOMENTUM_HIGH = 0.99
#: the smallest gap f - f* a log criterion sees (a run at the minimum to rounding)
GAP_FLOOR = 1e-12
CRITERIA = {
    "mean-log": "mean of log₁₀(f − f*) over the run",
    "final": "log₁₀(f − f*) at the end",
    "steps": "first step within the tolerance",
}
CRITERIA_LATEX = {
    "mean-log": r"\frac{1}{T+1}\sum_{t=0}^{T} \log_{10}\bigl(f(w_t) - f^*\bigr)",
    "final": r"\log_{10}\bigl(f(w_T) - f^*\bigr)",
    "steps": r"\min\{t : \text{within the tolerance at } w_t\}",
}
#: the good band: a gap (loss criteria) or a number of steps within this factor of the best
BAND_FACTOR = {"mean-log": 10.0, "final": 10.0, "steps": 2.0}


def momentum_name(optimizer: str) -> str | None:
    """The momentum coefficient tuned beside the learning rate (``beta``, ``beta1``), or None."""
    names = [h.name for h in registry.spec(optimizer).hyperparameters if h.name in MOMENTUM and h.sweepable]
    return names[0] if names else None


def tuning_axes(optimizer: str, lr_per_decade: int = LR_PER_DECADE,
                momentum_count: int = MOMENTUM_COUNT) -> tuple[Axis, ...]:
    """The grid of ``optimizer``: learning rates log-spaced over its own range, then its momentum coefficient."""
    h = registry.spec(optimizer).hyperparameter("lr")
    # on the lattice 10^(k / lr_per_decade) inside the range: whole powers of ten (1, Newton's pure step) are on it
    k_low = math.ceil(round(math.log10(h.low) * lr_per_decade, 9))
    k_high = math.floor(round(math.log10(h.high) * lr_per_decade, 9))
    axes = [Axis("lr", 10.0 ** (k_low / lr_per_decade), 10.0 ** (k_high / lr_per_decade), k_high - k_low + 1,
                 log=True)]
    m = momentum_name(optimizer)
    if m is not None and momentum_count > 0:
        high = min(MOMENTUM_HIGH, registry.spec(optimizer).hyperparameter(m).high)
        axes.append(Axis(m, 0.0, high, momentum_count))
    return tuple(axes)


def tuning_spec(surface: str, optimizer: str, start, steps: int, *, fixed: dict | None = None,
                lr_per_decade: int = LR_PER_DECADE, momentum_count: int = MOMENTUM_COUNT, **kwargs) -> SweepSpec:
    """The sweep that tunes ``optimizer``: :func:`tuning_axes`, the other hyperparameters from ``fixed`` (the
    surface's defaults where not given); ``kwargs`` go to :class:`SweepSpec` (convention, options, noise, ...)."""
    axes = tuning_axes(optimizer, lr_per_decade, momentum_count)
    on_axes = {a.param for a in axes}
    fixed = {k: float(v) for k, v in (fixed or {}).items() if k not in on_axes}
    return SweepSpec(surface, optimizer, tuple(start), int(steps), axes, tuple(fixed.items()), **kwargs)


def failed_cells(result: SweepResult) -> np.ndarray:
    """Cells that diverged or left the domain: they score infinity."""
    return np.isin(result.status, (Status.DIVERGED, Status.LEFT_DOMAIN))


def scores(result: SweepResult, criterion: str = "mean-log", *, f_star: float | None = None, tol: float = 1e-3,
           measure: str = "loss") -> tuple[np.ndarray, np.ndarray]:
    """``(criterion, mean-log)`` of every cell, shaped like the grid; both infinite for a failed cell.

    ``result`` must hold the path (``sweep(spec, path=True)``). ``f_star`` None: the surface's lowest minimum, or
    the lowest loss a cell that did not fail reached."""
    if criterion not in CRITERIA:
        raise ValueError(f"unknown criterion '{criterion}'; choose one of: {', '.join(CRITERIA)}")
    if measure not in MEASURES:
        raise ValueError(f"unknown measure '{measure}'; choose loss or distance")
    if result.losses is None:
        raise ValueError("the criteria need every step's loss: run the sweep with path=True")
    surface = surfaces.get(result.spec.surface)
    failed = failed_cells(result)
    losses = result.losses
    if f_star is None:
        f_star = lowest_minimum(surface)
    if f_star is None:
        ok = losses[:, ~failed]
        f_star = float(np.nanmin(ok)) if ok.size and np.isfinite(ok).any() else 0.0
    with np.errstate(invalid="ignore", over="ignore"):
        gap = np.maximum(np.nan_to_num(losses - f_star, nan=np.inf, posinf=np.inf), GAP_FLOOR)
        log_gap = np.log10(gap)
    mean_log = np.where(failed, np.inf, log_gap.mean(axis=0))
    if criterion == "mean-log":
        value = mean_log
    elif criterion == "final":
        value = np.where(failed, np.inf, log_gap[-1])
    else:
        value = np.where(failed, np.inf, first_within(result, tol, measure, f_star).astype(float))
    return value, mean_log


def first_within(result: SweepResult, tol: float, measure: str, f_star: float | None) -> np.ndarray:
    """Per cell, the first step at which it is within ``tol`` of the minimum (``steps + 1`` if never)."""
    surface = surfaces.get(result.spec.surface)
    measure = measure if surface.minima else "loss"
    first = finish.first_within(finish.gap(surface, result.losses, result.positions, measure, f_star), tol)
    return np.where(first >= 0, first, result.spec.steps + 1)


@dataclass(frozen=True, eq=False)
class Tuning:
    """One optimizer tuned: the grid, every cell's score, the best cell and the good band (plain data)."""

    spec: SweepSpec
    criterion: str
    score: np.ndarray  #: (n1, n2) the criterion per cell, inf for a failed cell
    failed: np.ndarray  #: (n1, n2) bool: diverged or left the domain
    best: tuple[int, int]  #: the best cell
    best_hyper: dict  #: the tuned values (few digits that still name the cell), lr and the momentum coefficient
    in_band: np.ndarray  #: (n1,) bool, the learning rates of the good band (with the tuned momentum)
    band: tuple[float, float] | None  #: lowest and highest learning rate of the band; None if nothing converged
    band_decades: float  #: log10(high / low) of the band
    factor: float
    seconds: float

    @property
    def lrs(self) -> np.ndarray:
        return self.spec.axes[0].values

    @property
    def best_score(self) -> float:
        return float(self.score[self.best])


def best_cell(score: np.ndarray, tie: np.ndarray) -> tuple[int, int]:
    """The cell with the smallest ``score``; ties by ``tie``, then by the first index (the smaller lr)."""
    flat = np.lexsort((np.arange(score.size), tie.reshape(-1), score.reshape(-1)))[0]
    i, j = np.unravel_index(flat, score.shape)
    return int(i), int(j)


def good_band(column: np.ndarray, i_best: int, criterion: str, factor: float) -> np.ndarray:
    """The contiguous run of grid rows around ``i_best`` whose score is within ``factor`` of the best."""
    best = column[i_best]
    ok = np.zeros(column.shape, dtype=bool)
    if not np.isfinite(best):
        return ok
    with np.errstate(invalid="ignore"):
        near = column <= (best + math.log10(factor) if criterion != "steps" else best * factor)
    near &= np.isfinite(column)
    lo = hi = i_best
    while lo > 0 and near[lo - 1]:
        lo -= 1
    while hi < len(column) - 1 and near[hi + 1]:
        hi += 1
    ok[lo:hi + 1] = True
    return ok


def tune(spec: SweepSpec, criterion: str = "mean-log", *, tol: float = 1e-3, measure: str = "loss",
         f_star: float | None = None, factor: float | None = None) -> Tuning:
    """Run the grid of ``spec`` (one vectorized call) and pick the best cell by ``criterion`` (see the module)."""
    result = sweep(spec, path=True)
    score, mean_log = scores(result, criterion, f_star=f_star, tol=tol, measure=measure)
    i, j = best_cell(score, mean_log)
    factor = BAND_FACTOR[criterion] if factor is None else float(factor)
    in_band = good_band(score[:, j], i, criterion, factor)
    lrs = spec.axes[0].values
    band = (float(lrs[in_band].min()), float(lrs[in_band].max())) if in_band.any() else None
    decades = math.log10(band[1] / band[0]) if band else 0.0
    hyper = dict(zip(spec.params, spec.short_cell((i, j))))
    return Tuning(spec, criterion, score, failed_cells(result), (i, j), hyper, in_band, band, decades, factor,
                  result.seconds)


__all__ = ["BAND_FACTOR", "CRITERIA", "CRITERIA_LATEX", "MEASURES", "MOMENTUM", "Tuning", "best_cell",
           "first_within", "good_band", "momentum_name", "scores", "tune", "tuning_axes",
           "tuning_spec"]
