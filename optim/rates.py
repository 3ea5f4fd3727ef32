r"""Convergence rates measured from the runs themselves, cell by cell of a grid, to set beside the linear
theory of ``optim.analysis``."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import surfaces

from .run import run
from .sweep import SweepSpec
from .trajectory import Status

#: memory for the recorded paths of one block of :func:`measured_rates` (bytes)
RATE_BLOCK_BYTES = 48_000_000


def rate_from_errors(errors: np.ndarray, diverged_at: np.ndarray | None = None, *, floor: float = 1e-280,
                     min_window: int = 8) -> np.ndarray:
    r"""The convergence rate measured from the distance to the minimum, step by step.

    ``errors`` is :math:`\|w_t - w^*\|` shaped ``(T + 1, *batch)``. The measure is the decay of
    :math:`s_t = \sqrt{\|e_t\|^2 + \|e_{t-1}\|^2}` over the second half of the usable steps,
    :math:`\hat\rho = (s_b / s_a)^{1/(b - a)}` with :math:`a = \lfloor b/2 \rfloor`:

    * pairing each error with the one before it keeps an oscillating error (whose :math:`\|e_t\|` can pass
      close to 0 at some steps) from looking faster than it is: the pair is the state of a two-step method;
    * the second half lets the faster eigen-directions die out first;
    * "usable" ends at the last step above ``floor`` (rounding of the iterate makes smaller errors
      meaningless) or at the last point inside the bound for a diverged run (``diverged_at``).

    When fewer than ``min_window`` usable steps remain (the error fell below the floor almost at once), the
    result is the bound :math:`(\text{floor} / s_0)^{1/n}` over the n steps that took it there.
    """
    e = np.asarray(errors, dtype=float)
    T = e.shape[0] - 1
    prev = np.concatenate([e[:1], e[:-1]], axis=0)
    with np.errstate(over="ignore", invalid="ignore"):
        s = np.hypot(e, prev)
    usable = np.isfinite(s) & (s > floor)
    # b: the last step before s first leaves the usable range (T when it never does)
    first_bad = np.where(usable.all(axis=0), T + 1, np.argmin(usable, axis=0))
    b = first_bad - 1
    if diverged_at is not None:
        d = np.asarray(diverged_at)
        b = np.where(d >= 0, np.minimum(b, d - 1), b)
    b = np.maximum(b, 0)
    a = b // 2
    take = lambda idx: np.take_along_axis(s, idx[None], axis=0)[0]  # noqa: E731
    s0, sa, sb = s[0], take(a), take(b)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        tail = (sb / sa) ** (1.0 / np.maximum(b - a, 1))
        quick = (floor / s0) ** (1.0 / np.maximum(first_bad, 1))
    short = (b - a) < min_window
    rate = np.where(short & (first_bad <= T), np.minimum(quick, tail), tail)
    if diverged_at is not None:  # it left the bound: whatever the transient, it diverged
        rate = np.where(np.asarray(diverged_at) >= 0, np.maximum(np.nan_to_num(rate, nan=1.0), 1.0), rate)
    return np.where(s0 > floor, rate, 0.0)  # started at the minimum: nothing to measure


def oscillates(positions: np.ndarray, minimum: np.ndarray, errors: np.ndarray,
               diverged_at: np.ndarray | None = None, floor: float = 1e-280) -> np.ndarray:
    """Whether the error oscillates in the second half of the usable steps (see :func:`rate_from_errors`):
    two consecutive errors point more than 90 degrees apart (an overshoot), or the distance to the minimum
    grows for a step (a spiral passing its closest point). A monotone approach does neither."""
    e_vec = positions - minimum  # (T + 1, *batch, d)
    dots = np.einsum("t...d,t...d->t...", e_vec[1:], e_vec[:-1])  # (T, *batch)
    with np.errstate(invalid="ignore"):
        turns = (dots < 0) | (errors[1:] > errors[:-1])
    T = dots.shape[0]
    usable = np.isfinite(errors) & (errors > floor)
    last = np.where(usable.all(axis=0), T, np.argmin(usable, axis=0) - 1)
    if diverged_at is not None:
        d = np.asarray(diverged_at)
        last = np.where(d >= 0, np.minimum(last, d - 1), last)
    t = np.arange(T).reshape((T,) + (1,) * (dots.ndim - 1))
    window = (t >= last // 2) & (t < last)
    return np.any(window & turns, axis=0)


@dataclass(frozen=True, eq=False)
class MeasuredRates:
    rate: np.ndarray  #: (n1, n2) measured rate, >= 1 for cells that diverged
    oscillating: np.ndarray  #: (n1, n2) bool: the error changed direction late in the run
    diverged: np.ndarray  #: (n1, n2) bool
    steps: int  #: the horizon the rates were measured over


def rate_blocks(spec: SweepSpec, steps: int | None = None, block_bytes: int | None = None) -> list[tuple[int, int]]:
    """Blocks of rows whose recorded paths (``steps`` steps) fit in ``block_bytes`` (``RATE_BLOCK_BYTES``)."""
    block_bytes = RATE_BLOCK_BYTES if block_bytes is None else block_bytes
    T = spec.steps if steps is None else int(steps)
    n1, n2 = spec.shape
    per_row = (T + 1) * n2 * (2 * surfaces.get(spec.surface).dim + 3) * 8
    k = max(1, int(block_bytes // per_row))
    return [(a, min(a + k, n1)) for a in range(0, n1, k)]


def measured_rates(spec: SweepSpec, steps: int | None = None, rows: tuple[int, int] | None = None,
                   block_bytes: int | None = None) -> MeasuredRates:
    """Measure every cell's convergence rate from its path (``record="path"``) over ``steps`` steps (the
    spec's by default), in blocks of rows whose paths fit in ``block_bytes``, keeping only the rates.

    Needs a surface with a listed minimum: the error is the distance to it (the first listed minimum).
    """
    surface = surfaces.get(spec.surface)
    if not surface.minima:
        raise ValueError(f"'{surface.name}' has no minimum to measure the convergence rate against")
    minimum = np.array(surface.minima[0].point, dtype=float)
    # below about 1e-16 |w*| the iterate's own rounding decides the error: stay well above it
    floor = max(1e-280, 1e-12 * float(np.linalg.norm(minimum)))
    T = spec.steps if steps is None else int(steps)
    n2 = spec.shape[1]
    lo, hi = rows or (0, spec.shape[0])
    rate, osc, div = [], [], []
    for a, b in rate_blocks(spec, T, block_bytes):
        a, b = max(a, lo), min(b, hi)
        if a >= b:
            continue
        with np.errstate(over="ignore", invalid="ignore"):
            traj = run(surface, spec.make_optimizer((a, b)), [list(spec.start)], T, record="path",
                       ids=spec.ids((a, b)), **spec.run_kwargs())
        shape = (b - a, n2)
        pos = np.broadcast_to(traj.positions, (T + 1,) + shape + (surface.dim,))
        dv = np.broadcast_to(np.where(traj.status == Status.DIVERGED, traj.event_step, -1), shape)
        errors = np.linalg.norm(pos - minimum, axis=-1)
        rate.append(rate_from_errors(errors, dv, floor=floor))
        osc.append(oscillates(pos, minimum, errors, dv, floor=floor))
        div.append(dv >= 0)
    return MeasuredRates(np.concatenate(rate), np.concatenate(osc), np.concatenate(div), T)


def merge_rates(parts: list[MeasuredRates]) -> MeasuredRates:
    """Measured rates of consecutive blocks of rows, as one."""
    cat = lambda name: np.concatenate([getattr(p, name) for p in parts], axis=0)  # noqa: E731
    return MeasuredRates(cat("rate"), cat("oscillating"), cat("diverged"), parts[0].steps)
