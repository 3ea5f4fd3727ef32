"""Run an optimizer on a surface from a batch of start points, recording what every step did.

    traj = run(get("rosenbrock"), adam(lr=0.05), starts=[[-1.5, 2.0]], steps=500)

One call advances every trajectory of the batch together: the start points ``(*batch, d)`` and every
array-valued hyperparameter broadcast to one batch shape, and each step is a handful of whole-array numpy
operations. Internally the arrays are coordinate-first, ``(d, *batch)``, so each coordinate of the whole
batch is one contiguous block; the Trajectory hands them back in the usual ``(..., d)`` layout.

Status of each trajectory, decided from the true gradient (not a noisy one):

* converged at step k: the gradient norm is below ``tol`` at step k and at every step after it;
* diverged at step k: step k produced a point that is not finite or has a coordinate beyond ``bound``.
  Nothing after step k is computed garbage: every later row repeats step k's values, and a coordinate
  that overflowed is stored as +/-inf, never NaN;
* running: neither, when the steps ran out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from math import prod
from typing import Literal

import numpy as np

from surfaces import RegressionSurface, Surface

from . import noise as _noise
from .base import Optimizer

MAX_STEPS = 10_000
MAX_HISTORY_VALUES = 200_000_000  # 1.6 GB of float64 per recorded array: beyond this, record less
DEFAULT_TOL = 1e-6
DEFAULT_BOUND = 1e6

Record = Literal["all", "path", "final"]


class Status(IntEnum):
    RUNNING = 0
    CONVERGED = 1
    DIVERGED = 2

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True, eq=False)
class Trajectory:
    """What a run did, for every trajectory of the batch.

    Arrays are indexed ``[step, *batch, ...]``. ``positions[t]`` is the point after t steps (``positions[0]``
    the start), ``losses[t]`` the loss there. ``gradients[t]`` is the gradient that step t + 1 used (noisy for
    SGD, taken at the look-ahead point for Nesterov's look-ahead form). ``state[name][t]`` is the optimizer's
    state after step t (``[0]`` is the initial state); for Nesterov's look-ahead form ``state["lookahead"][t]``
    is the point where step t's gradient was taken. With ``record="path"`` only positions and losses are kept;
    with ``record="final"`` none of the per-step arrays are (they are ``None``).
    """

    surface: Surface
    optimizer: Optimizer
    steps: int
    status: np.ndarray  # (*batch) int8, values of Status
    event_step: np.ndarray  # (*batch) step at which it converged or diverged, -1 while running
    final_position: np.ndarray  # (*batch, d): the last point, or for a diverged run the point that left
    final_loss: np.ndarray  # (*batch)
    positions: np.ndarray | None = None  # (steps + 1, *batch, d)
    losses: np.ndarray | None = None  # (steps + 1, *batch)
    gradients: np.ndarray | None = None  # (steps, *batch, d)
    state: dict[str, np.ndarray] = field(default_factory=dict)  # name -> (steps + 1, *batch, d)
    tol: float = DEFAULT_TOL
    bound: float = DEFAULT_BOUND
    noise: float | np.ndarray = 0.0
    batch_size: int | None = None
    seed: int = 0

    @property
    def batch_shape(self) -> tuple[int, ...]:
        return self.status.shape

    @property
    def rows(self) -> np.ndarray:
        """Number of meaningful steps per trajectory: all of them, or up to the step that diverged."""
        return np.where(self.status == Status.DIVERGED, self.event_step, self.steps)

    def status_label(self, index=()) -> str:
        return Status(int(self.status[index])).label


def _check_steps(steps) -> int:
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)):
        raise ValueError(f"steps must be a whole number, got {steps!r}")
    if not 1 <= steps <= MAX_STEPS:
        raise ValueError(f"steps must be between 1 and {MAX_STEPS:,}, got {steps:,}")
    return int(steps)


def _gradient_oracle(surface: Surface, noise, batch_size, seed: int, ids: np.ndarray):
    """The function ``(X, step) -> gradient`` the optimizer sees: exact, noisy, or a real mini-batch."""
    if batch_size is not None:
        if not isinstance(surface, RegressionSurface):
            raise ValueError(
                f"a batch size applies to a loss averaged over samples ('linear-regression'); "
                f"'{surface.name}' is an analytic function: use noise to make its gradient stochastic"
            )
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(f"batch size must be a whole number of samples, at least 1; got {batch_size!r}")
        if batch_size >= surface.n_samples:
            return lambda X, t: surface.grad_cf(X)  # the full batch: the exact mean gradient
        n = surface.n_samples
        return lambda X, t: surface.batch_grad_cf(X, _noise.indices(seed, ids, t, batch_size, n))
    if np.any(noise):
        d = surface.dim
        return lambda X, t: surface.grad_cf(X) + noise * _noise.normal(seed, ids, t, d)
    return lambda X, t: surface.grad_cf(X)


def run(
    surface: Surface,
    optimizer: Optimizer,
    starts,
    steps: int,
    *,
    tol: float = DEFAULT_TOL,
    bound: float = DEFAULT_BOUND,
    record: Record = "all",
    noise=None,
    batch_size: int | None = None,
    seed: int = 0,
    ids=None,
) -> Trajectory:
    """Run ``optimizer`` on ``surface`` for ``steps`` steps from every start point at once.

    Args:
        surface: the loss surface.
        optimizer: an Optimizer from ``optim`` (its array hyperparameters broadcast against the batch).
        starts: start points shaped ``(*batch, d)``; a single point may be given as ``[x, y]``.
        steps: number of updates, 1 to ``MAX_STEPS``.
        tol: gradient-norm threshold for convergence.
        bound: a coordinate beyond this (or not finite) counts as divergence.
        record: ``"all"`` (positions, losses, gradients, optimizer state), ``"path"`` (positions and losses),
            or ``"final"`` (only the final point, loss and status: for large grids).
        noise: standard deviation of Gaussian noise added to each gradient component (analytic surfaces).
            May be an array broadcasting against the batch. ``None`` means the optimizer's default: the
            surface's SGD noise for a stochastic optimizer, 0 otherwise.
        batch_size: on ``linear-regression``, the number of samples per gradient (drawn uniformly with
            replacement at every step; a batch of all n samples is the exact gradient). ``None`` means the
            surface's SGD batch size for a stochastic optimizer, the full batch otherwise.
        seed: seed of the noise and of the mini-batches.
        ids: an integer id per trajectory, shaped like the batch, that keys its random numbers (default: its
            flat index). Running one trajectory with the id it had in a grid reproduces it exactly.

    Returns:
        A Trajectory.
    """
    steps = _check_steps(steps)
    if record not in ("all", "path", "final"):
        raise ValueError(f"record must be 'all', 'path' or 'final', got {record!r}")
    if not tol > 0 or not bound > 0:
        raise ValueError("tol and bound must be positive numbers")
    seed = int(seed)
    if not 0 <= seed < 2**64:  # the noise hashes the seed as one 64-bit word
        raise ValueError(f"seed must be a whole number from 0 to 2**64 - 1, got {seed}")

    P0 = surface._cf(starts)  # (d, *start_batch), validates the dimension
    if not np.all(np.isfinite(P0)):
        raise ValueError("start points must be finite numbers")
    d = surface.dim
    if noise is None:
        noise = surface.defaults.get("sgd", {}).get("noise", 0.0) if optimizer.stochastic else 0.0
    if batch_size is None and optimizer.stochastic and isinstance(surface, RegressionSurface):
        batch_size = surface.defaults.get("sgd", {}).get("batch_size", 1)
    noise = np.asarray(noise, dtype=float) if np.ndim(noise) else float(noise)
    if not np.all(np.isfinite(noise)) or np.any(np.asarray(noise) < 0):
        raise ValueError(f"noise must be a standard deviation >= 0, got {noise!r}")
    try:
        batch = np.broadcast_shapes(P0.shape[1:], optimizer.batch_shape, np.shape(noise))
    except ValueError:
        raise ValueError(
            f"the start points (batch shape {P0.shape[1:]}) and the hyperparameter arrays "
            f"(shape {optimizer.batch_shape}) do not broadcast together"
        ) from None
    K = prod(batch)
    if record != "final" and (steps + 1) * K * d > MAX_HISTORY_VALUES:
        raise ValueError(
            f"recording {steps:,} steps of {K:,} trajectories needs {(steps + 1) * K * d * 8 / 1e9:.1f} GB "
            "per array; use record='final' or fewer steps"
        )
    ids = np.arange(K).reshape(batch) if ids is None else np.broadcast_to(np.asarray(ids, dtype=np.int64), batch)
    oracle = _gradient_oracle(surface, noise, batch_size, seed, ids)
    exact = not np.any(noise) and (batch_size is None or batch_size >= getattr(surface, "n_samples", 0))
    exact_at_x = exact and optimizer.lookahead is None

    # Left-pad the start points' batch axes so they line up with the batch (the coordinate axis stays first).
    P0 = P0.reshape((d,) + (1,) * (len(batch) + 1 - P0.ndim) + P0.shape[1:])
    X = np.array(np.broadcast_to(P0, (d,) + batch))
    state = optimizer.init(X)
    keep_path, keep_all = record != "final", record == "all"
    if keep_path:
        positions = np.empty((steps + 1, d) + batch)
        losses = np.empty((steps + 1,) + batch)
        positions[0] = X
    if keep_all:
        gradients = np.empty((steps, d) + batch)
        fields = list(optimizer.recorded) + (["lookahead"] if optimizer.lookahead else [])
        history = {name: np.zeros((steps + 1,) + np.shape(getattr(state, name, X))) for name in fields}
        for name in optimizer.recorded:
            history[name][0] = getattr(state, name)
        if optimizer.lookahead:
            history["lookahead"][0] = X

    tol2 = float(tol) ** 2
    limit = min(float(bound), np.finfo(float).max)  # an infinite coordinate diverged even when bound = inf
    last_above = np.full(batch, -1, dtype=np.int64)  # last step whose true gradient norm was >= tol
    diverged_at = np.full(batch, -1, dtype=np.int64)
    escape = np.zeros((d,) + batch)  # the point that left, for record="final"
    alive = np.ones(batch, dtype=bool)

    def track_convergence(g_true, t):
        n2 = np.einsum("i...,i...->...", g_true, g_true)
        np.copyto(last_above, t, where=~(n2 < tol2))  # NaN counts as above

    with np.errstate(all="ignore"):
        for t in range(steps):
            if keep_path:
                losses[t] = surface.value_cf(X)
            Xg = optimizer.lookahead(X, state) if optimizer.lookahead else X
            g = oracle(Xg, t)
            track_convergence(g if exact_at_x else surface.grad_cf(X), t)
            H = surface.hess_cf(Xg) if optimizer.needs_hessian else None
            updates, state = optimizer.update(g, state, X, hess=H)
            X = np.add(X, updates, out=positions[t + 1] if keep_path else None)
            bad = ~(np.abs(X).max(axis=0) <= limit)
            newly = bad & alive
            if newly.any():
                diverged_at[newly] = t + 1
                escape[:, newly] = X[:, newly]
                alive &= ~newly
            if keep_all:
                gradients[t] = g
                for name in optimizer.recorded:
                    history[name][t + 1] = getattr(state, name)
                if optimizer.lookahead:
                    history["lookahead"][t + 1] = Xg
        final_loss = surface.value_cf(X)
        if keep_path:
            losses[steps] = final_loss
        track_convergence(surface.grad_cf(X), steps)

    diverged = diverged_at >= 0
    converged = ~diverged & (last_above < steps)
    status = np.where(diverged, Status.DIVERGED, np.where(converged, Status.CONVERGED, Status.RUNNING)).astype(np.int8)
    event_step = np.where(diverged, diverged_at, np.where(converged, last_above + 1, -1))

    final = np.where(diverged, escape, X)
    if diverged.any():
        with np.errstate(all="ignore"):  # the escaped point may be inf: inf - inf is NaN, sanitized below
            final_loss = np.where(diverged, surface.value_cf(_sanitize(escape)), final_loss)
    extras = {}
    if keep_path:
        extras["positions"] = _freeze(positions, diverged_at, time_axis_offset=0, layout_d=True)
        extras["losses"] = _freeze(losses, diverged_at, time_axis_offset=0)
    if keep_all:
        extras["gradients"] = _freeze(gradients, diverged_at, time_axis_offset=-1, layout_d=True)
        extras["state"] = {
            name: _freeze(h, diverged_at, 0, layout_d=h.ndim == len(batch) + 2) for name, h in history.items()
        }
    return Trajectory(
        surface=surface,
        optimizer=optimizer,
        steps=steps,
        status=status,
        event_step=event_step,
        final_position=np.moveaxis(_sanitize(final), 0, -1),
        final_loss=_sanitize(np.asarray(final_loss, dtype=float)),
        tol=float(tol),
        bound=float(bound),
        noise=noise,
        batch_size=batch_size,
        seed=seed,
        **extras,
    )


def _sanitize(a: np.ndarray) -> np.ndarray:
    """NaN (from inf - inf and the like after an overflow) becomes +inf: a diverged value, never NaN."""
    return np.where(np.isnan(a), np.inf, a) if np.isnan(a).any() else a


def _freeze(h: np.ndarray, diverged_at: np.ndarray, time_axis_offset: int, layout_d: bool = False) -> np.ndarray:
    """Repeat each diverged trajectory's last meaningful row over the rest of its history.

    ``h`` is indexed ``[t, (d,) *batch]``; for arrays indexed by step (positions, losses, state) the last
    meaningful row is the diverging step k, for gradients (``time_axis_offset=-1``) it is row k - 1, the
    gradient at the last point inside the bound. Returns the public layout ``[t, *batch, (d)]``.
    """
    if (diverged_at >= 0).any():
        T = h.shape[0]
        last = np.where(diverged_at >= 0, diverged_at + time_axis_offset, T - 1)
        idx = np.minimum(np.arange(T).reshape((T,) + (1,) * diverged_at.ndim), last)
        if layout_d:
            idx = idx[:, None]
        h = np.take_along_axis(h, np.broadcast_to(idx, h.shape), axis=0)
        # Only diverged trajectories' NaN become inf: a trajectory's record must not depend on its neighbours
        # (Newton's initial curvature is NaN by design and stays so in a trajectory that did not diverge).
        h = np.where(np.isnan(h) & (diverged_at >= 0), np.inf, h)
    return np.moveaxis(h, 1, -1) if layout_d else h
