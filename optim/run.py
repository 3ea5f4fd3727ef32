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

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from enum import IntEnum
from math import prod
from typing import Literal

import numpy as np

from surfaces import RegressionSurface, Surface

from . import noise as _noise
from .base import Optimizer
from .optimizers import FACTORIES as _FACTORIES

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
            return lambda X, t, out=None: surface.grad_cf(X, out)  # the full batch: the exact mean gradient
        n = surface.n_samples
        return lambda X, t, out=None: surface.batch_grad_cf(X, _noise.indices(seed, ids, t, batch_size, n))
    if np.any(noise):
        d = surface.dim
        return lambda X, t, out=None: surface.grad_cf(X) + noise * _noise.normal(seed, ids, t, d)
    return lambda X, t, out=None: surface.grad_cf(X, out)


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

    Large batches are split into contiguous chunks that run in parallel threads (numpy releases the GIL
    inside its array operations); trajectories are independent, so the result does not depend on the split.
    """
    steps = _check_steps(steps)
    if record not in ("all", "path", "final"):
        raise ValueError(f"record must be 'all', 'path' or 'final', got {record!r}")
    for name, v in (("tol", tol), ("bound", bound)):
        if np.ndim(v) or isinstance(v, bool) or not isinstance(v, (int, float, np.number)) or not v > 0:
            raise ValueError(f"{name} must be one positive number, got {v!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed < 2**64:
        # the noise hashes the seed as one 64-bit word
        raise ValueError(f"seed must be a whole number from 0 to 2**64 - 1, got {seed!r}")
    seed = int(seed)

    P0 = surface._cf(starts)  # (d, *start_batch), validates the dimension
    if not np.all(np.isfinite(P0)):
        raise ValueError("start points must be finite numbers")
    d = surface.dim
    if noise is None:  # a stochastic optimizer's default noise, unless a mini-batch makes the gradient noisy
        stochastic = optimizer.stochastic and batch_size is None
        noise = surface.defaults.get("sgd", {}).get("noise", 0.0) if stochastic else 0.0
    if batch_size is None and optimizer.stochastic and isinstance(surface, RegressionSurface):
        batch_size = surface.defaults.get("sgd", {}).get("batch_size", 1)
    noise = np.asarray(noise, dtype=float) if np.ndim(noise) else float(noise)
    if batch_size is not None and np.any(noise):
        raise ValueError("give either a batch size (the gradient of a random mini-batch of samples) or gradient "
                         "noise (added to the exact gradient), not both")
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
    if ids is None:
        ids = np.arange(K).reshape(batch)
    else:
        try:
            ids = np.broadcast_to(np.asarray(ids, dtype=np.int64), batch)
        except (TypeError, ValueError):
            raise ValueError(f"ids must be whole numbers shaped like the batch {batch}") from None
    # Right-align the start points' batch axes with the full batch (behind the coordinate axis).
    P0 = P0.reshape((d,) + (1,) * (len(batch) - (P0.ndim - 1)) + P0.shape[1:])
    X0 = np.array(np.broadcast_to(P0, (d,) + batch))
    _gradient_oracle(surface, noise, batch_size, seed, ids)  # validates batch_size before any work

    # Work on the flattened batch (K,), split into chunks, when the optimizer can be rebuilt per chunk.
    chunks = _chunks(K) if optimizer.name in _FACTORIES and len(batch) > 0 else [None]
    flat = chunks != [None]
    shape = (K,) if flat else batch
    X0 = X0.reshape((d,) + shape)
    buffers = _Buffers.allocate(optimizer, X0, steps, record)

    def job(chunk):
        if chunk is None:
            opt, X, sel, ids_c, noise_c = optimizer, X0, (), ids, noise
        else:
            sel = (slice(*chunk),)
            opt = _slice_optimizer(optimizer, batch, sel)
            X, ids_c = X0[(slice(None),) + sel], ids.reshape(-1)[sel]
            noise_c = np.broadcast_to(noise, batch).reshape(-1)[sel] if np.ndim(noise) else noise
        oracle = _gradient_oracle(surface, noise_c, batch_size, seed, ids_c)
        exact = not np.any(noise_c) and (batch_size is None or batch_size >= getattr(surface, "n_samples", 0))
        return _loop(surface, opt, X, steps, oracle, exact, float(tol) ** 2, float(bound), buffers.view(sel))

    if len(chunks) > 1:
        with ThreadPoolExecutor(max_workers=len(chunks)) as pool:
            parts = list(pool.map(job, chunks))
    else:
        parts = [job(chunks[0])]
    last_above, diverged_at, escape, X, final_loss = (
        np.concatenate(arrays, axis=-1).reshape(arrays[0].shape[:-1] + batch) if flat else arrays[0]
        for arrays in zip(*parts)
    )

    diverged = diverged_at >= 0
    converged = ~diverged & (last_above < steps)
    status = np.where(diverged, Status.DIVERGED, np.where(converged, Status.CONVERGED, Status.RUNNING)).astype(np.int8)
    event_step = np.where(diverged, diverged_at, np.where(converged, last_above + 1, -1))
    final = np.where(diverged, escape, X)
    if diverged.any():
        with np.errstate(all="ignore"):  # the escaped point may be inf: inf - inf is NaN, sanitized below
            final_loss = np.where(diverged, surface.value_cf(_sanitize(escape)), final_loss)
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
        **buffers.finish(diverged_at, final_loss, batch),
    )


# Each thread takes at least this many trajectories. The threads share the GIL for the Python between numpy's
# array operations, so small chunks lose more to waiting than they gain: Adam on Rosenbrock (bench_core),
# 10,000 trajectories take 39 ms per 200 steps in one thread and 65 ms in two; 20,000 break even (77 / 80 ms);
# 40,000 run 1.6 times and 80,000 2.6 times faster in two.
PARALLEL_MIN_CHUNK = 12_000


def _chunks(K: int) -> list[tuple[int, int]]:
    workers = int(os.environ.get("OPTIM_THREADS", os.cpu_count() or 1))
    n = max(1, min(workers, K // PARALLEL_MIN_CHUNK))
    edges = np.linspace(0, K, n + 1).astype(int)
    return [(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:])]


def _slice_optimizer(optimizer: Optimizer, batch: tuple[int, ...], sel) -> Optimizer:
    """The same optimizer on a slice of the flattened batch: array hyperparameters are broadcast and sliced."""
    hyper = {k: np.broadcast_to(v, batch).reshape(-1)[sel] if np.ndim(v) else v
             for k, v in optimizer.hyperparams.items()}
    return _FACTORIES[optimizer.name](**hyper, **optimizer.options)


@dataclass
class _Buffers:
    """Preallocated per-step records, coordinate-first: positions (T+1, d, *shape), losses (T+1, *shape), ..."""

    positions: np.ndarray | None
    losses: np.ndarray | None
    gradients: np.ndarray | None
    state: dict[str, np.ndarray]

    @classmethod
    def allocate(cls, optimizer: Optimizer, X0: np.ndarray, steps: int, record: str) -> "_Buffers":
        positions = losses = gradients = None
        state = {}
        if record != "final":
            positions = np.empty((steps + 1,) + X0.shape)
            losses = np.empty((steps + 1,) + X0.shape[1:])
        if record == "all":
            gradients = np.empty((steps,) + X0.shape)
            names = list(optimizer.recorded) + (["lookahead"] if optimizer.lookahead else [])
            state = {name: np.empty((steps + 1,) + X0.shape) for name in names}
        return cls(positions, losses, gradients, state)

    def view(self, sel) -> "_Buffers":
        """The records of the trajectories ``sel`` (a tuple indexing the batch axes)."""
        vec, sca = (slice(None), slice(None)) + sel, (slice(None),) + sel
        pick = lambda a, idx: None if a is None else a[idx]  # noqa: E731
        return _Buffers(pick(self.positions, vec), pick(self.losses, sca), pick(self.gradients, vec),
                        {k: v[vec] for k, v in self.state.items()})

    def finish(self, diverged_at: np.ndarray, escape_loss: np.ndarray, batch: tuple[int, ...]) -> dict:
        """Freeze diverged trajectories, restore the batch shape and move to the public ``(..., d)`` layout.

        Every row of a trajectory that diverged at step k repeats row k from k on (the point that left, its loss
        ``escape_loss`` rather than the loss where the run was parked, the state that took it there), and its
        gradients repeat row k - 1 (the gradient at the last point inside the bound).
        """
        out = {}
        cf = lambda a: np.moveaxis(a.reshape(a.shape[:2] + batch), 1, -1)  # noqa: E731
        if self.positions is not None:
            _freeze(self.positions, diverged_at, 0)
            _freeze(self.losses, diverged_at, 0, escape_loss, lead=1)
            out["positions"] = cf(self.positions)
            out["losses"] = self.losses.reshape(self.losses.shape[:1] + batch)
        if self.gradients is not None:
            _freeze(self.gradients, diverged_at, -1)
            out["gradients"] = cf(self.gradients)
            out["state"] = {}
            for k, v in self.state.items():
                _freeze(v, diverged_at, 0)
                out["state"][k] = cf(v)
        return out


def _loop(surface: Surface, opt: Optimizer, X: np.ndarray, steps: int, oracle, exact: bool, tol2: float,
          bound: float, rec: _Buffers):
    """The step loop for one chunk of trajectories; fills ``rec`` and returns the per-trajectory outcome."""
    batch = X.shape[1:]
    state = opt.init(X)
    keep_path, keep_all = rec.positions is not None, rec.gradients is not None
    if keep_path:
        rec.positions[0] = X
    for name in opt.recorded if keep_all else ():
        rec.state[name][0] = getattr(state, name)
    if keep_all and opt.lookahead:
        rec.state["lookahead"][0] = X
    exact_at_x = exact and opt.lookahead is None
    fused = keep_path and exact_at_x
    last_above = np.full(batch, -1, dtype=np.int64)  # last step whose true gradient norm was >= tol
    diverged_at = np.full(batch, -1, dtype=np.int64)
    escape = np.zeros(X.shape)  # the point that left the bound, per diverged trajectory
    limit = min(bound, np.finfo(float).max)  # an infinite coordinate diverged even when bound = inf
    park = np.array(surface.stationary[0].point if surface.stationary else [0.0] * X.shape[0])
    park = park.reshape((-1,) + (1,) * len(batch))
    # Buffers reused at every step: the update writes its step and the new state in place (no allocation).
    u, g_buffer = np.empty(X.shape), np.empty(X.shape)
    norm2, above = np.empty(batch), np.empty(batch, dtype=bool)
    if not keep_path:
        X = np.array(X)  # final mode: the positions are updated in place

    def track_convergence(g_true, t):
        np.einsum("i...,i...->...", g_true, g_true, out=norm2)
        np.copyto(last_above, t, where=np.greater_equal(norm2, tol2, out=above))

    with np.errstate(all="ignore"):
        for t in range(steps):
            if fused:
                rec.losses[t], g = surface.value_and_grad_cf(X)
            elif keep_path:
                rec.losses[t] = surface.value_cf(X)
            Xg = opt.lookahead(X, state) if opt.lookahead else X
            if not fused:
                g = oracle(Xg, t, out=g_buffer)
            track_convergence(g if exact_at_x else surface.grad_cf(X), t)
            H = surface.hess_cf(Xg) if opt.needs_hessian else None
            updates, state = opt.update(g, state, X, hess=H, out=(u, state))
            X = np.add(X, updates, out=rec.positions[t + 1] if keep_path else X)
            if keep_all:
                rec.gradients[t] = g
                for name in opt.recorded:
                    rec.state[name][t + 1] = getattr(state, name)
                if opt.lookahead:
                    rec.state["lookahead"][t + 1] = Xg
            # Fast check on the whole chunk; NaN fails it too. Diverged trajectories are parked at a
            # stationary point with zero state so that they stop producing NaN and the fast check holds again.
            if not (X.max() <= limit and X.min() >= -limit):
                bad = ~(np.abs(X).max(axis=0) <= limit)
                newly = bad & (diverged_at < 0)
                diverged_at[newly] = t + 1
                escape[:, newly] = X[:, newly]
                if keep_path:
                    X = X.copy()  # keep the recorded row as it was
                X[:, bad] = np.broadcast_to(park, X.shape)[:, bad]
                state = _reset(state, bad)
        final_loss = surface.value_cf(X)
        if keep_path:
            rec.losses[steps] = final_loss
        track_convergence(surface.grad_cf(X), steps)
    return last_above, diverged_at, escape, X, final_loss


def _reset(state: tuple, mask: np.ndarray) -> tuple:
    """Zero the state of the trajectories in ``mask`` (for parked, diverged trajectories)."""
    fields = []
    for value in state:
        if isinstance(value, np.ndarray) and value.shape[value.ndim - mask.ndim:] == mask.shape:
            value = value.copy()
            value[..., mask] = 0.0
        fields.append(value)
    return type(state)(*fields)


def _sanitize(a: np.ndarray) -> np.ndarray:
    """NaN (from inf - inf and the like after an overflow) becomes +inf: a diverged value, never NaN."""
    return np.where(np.isnan(a), np.inf, a) if np.isnan(a).any() else a


def _freeze(h: np.ndarray, diverged_at: np.ndarray, time_axis_offset: int, values: np.ndarray | None = None, *,
            lead: int = 2):
    """In place: from row k + ``time_axis_offset`` on, repeat that row (or ``values``) for each diverged trajectory.

    ``h`` is a record indexed ``[t, (d,) *batch]`` (``lead`` axes before the batch); ``diverged_at`` holds each trajectory's step k (-1: did not
    diverge). Trajectories are grouped by k, so the work is one slice assignment per distinct step, touching
    only the diverged trajectories' later rows; NaN (from an overflow) is stored as +inf.
    """
    k_all = diverged_at.ravel()
    div = np.flatnonzero(k_all >= 0)
    if not div.size:
        return
    flat = h.reshape(h.shape[:lead] + (-1,))  # a view: the records are contiguous
    start = k_all[div] + time_axis_offset
    order = np.argsort(start, kind="stable")
    start, div = start[order], div[order]
    cuts = np.flatnonzero(np.diff(start)) + 1
    for rows, cols in zip(np.split(start, cuts), np.split(div, cuts)):
        k = int(rows[0])
        row = flat[k][..., cols] if values is None else np.asarray(values).ravel()[cols]
        flat[k:, ..., cols] = _sanitize(row)
