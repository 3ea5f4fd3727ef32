"""Run an optimizer on a surface from a batch of start points, recording what every step did.

    traj = run(get("rosenbrock"), adam(lr=0.05), starts=[[-1.5, 2.0]], steps=500)

One call advances every trajectory of the batch together: the start points ``(*batch, d)`` and every
array-valued hyperparameter broadcast to one batch shape, and each step is a handful of whole-array numpy
operations. Internally the arrays are coordinate-first, ``(d, *batch)``, so each coordinate of the whole
batch is one contiguous block; the Trajectory hands them back in the usual ``(..., d)`` layout. What the
status of a trajectory means is in ``optim.trajectory``.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import numpy as np

from . import noise as _noise
from . import registry
from .base import Objective, Optimizer
from .config import MAX_STEPS, RunConfig
from .record import Buffers, reset, sanitize
from .schedules import CLIPPED, ETA
from .trajectory import DEFAULT_BOUND, DEFAULT_TOL, STEP_SHRINK, Criterion, Status, Trajectory

__all__ = ["MAX_STEPS", "PARALLEL_MIN_CHUNK", "run"]


def _gradient_oracle(surface, noise, batch_size, seed: int, ids: np.ndarray):
    """The function ``(X, step) -> gradient`` the optimizer sees: exact, noisy, or a real mini-batch."""
    if batch_size is not None and batch_size < surface.n_samples:
        n = surface.n_samples
        return lambda X, t, out=None: surface.batch_grad_cf(X, _noise.indices(seed, ids, t, batch_size, n))
    if np.any(noise):
        d = surface.dim
        return lambda X, t, out=None: surface.grad_cf(X) + noise * _noise.normal(seed, ids, t, d)
    return lambda X, t, out=None: surface.grad_cf(X, out)  # exact (a batch of all n samples is the full batch)


def run(surface, optimizer: Optimizer, starts, steps: int, *, tol: float = DEFAULT_TOL, bound: float = DEFAULT_BOUND,
        record: str = "all", noise=None, batch_size: int | None = None, seed: int = 0, ids=None) -> Trajectory:
    """Run ``optimizer`` on ``surface`` for ``steps`` steps from every start point at once.

    Args:
        surface: the loss surface.
        optimizer: an Optimizer from ``optim`` (its array hyperparameters broadcast against the batch).
        starts: start points shaped ``(*batch, d)``; a single point may be given as ``[x, y]``.
        steps: number of updates, 1 to ``MAX_STEPS``.
        tol: threshold for convergence, on the gradient norm and on the step length (see ``optim.trajectory``).
        bound: a coordinate beyond this (or not finite) counts as divergence.
        record: ``"all"`` (positions, losses, gradients, optimizer state), ``"path"`` (positions and losses),
            or ``"final"`` (only the final point, loss and status: for large grids).
        noise: standard deviation of Gaussian noise added to each gradient component (analytic surfaces).
            May be an array broadcasting against the batch. ``None``: see ``optim.gradient_noise``.
        batch_size: on a surface of samples, the number of samples per gradient (drawn uniformly with
            replacement at every step; a batch of all n samples is the exact gradient). ``None``: see
            ``optim.gradient_noise``.
        seed: seed of the noise and of the mini-batches.
        ids: an integer id per trajectory, shaped like the batch, that keys its random numbers (default: its
            flat index). Running one trajectory with the id it had in a grid reproduces it exactly.

    Returns:
        A Trajectory.

    Large batches are split into contiguous chunks that run in parallel threads (numpy releases the GIL
    inside its array operations); trajectories are independent, so the result does not depend on the split.
    """
    cfg = RunConfig.resolve(surface, optimizer, starts, steps, tol=tol, bound=bound, record=record, noise=noise,
                            batch_size=batch_size, seed=seed, ids=ids)
    t0 = time.perf_counter()
    traj = _execute(cfg)
    return replace(traj, seconds=time.perf_counter() - t0)


def _execute(cfg: RunConfig) -> Trajectory:
    surface, optimizer, steps, batch, d = cfg.surface, cfg.optimizer, cfg.steps, cfg.batch, cfg.surface.dim
    K = cfg.size
    # Work on the flattened batch (K,), split into chunks.
    chunks = _chunks(K) if len(batch) > 0 else [None]
    flat = chunks != [None]
    X0 = cfg.starts.reshape((d,) + ((K,) if flat else batch))
    buffers = Buffers.allocate(optimizer, X0, steps, cfg.record)
    needs_hessian = cfg.spec.needs_hessian
    objective = Objective.from_surface(surface) if cfg.spec.needs_objective else None
    exact = cfg.exact

    def job(chunk):
        if chunk is None:
            opt, X, sel, ids_c, noise_c = optimizer, X0, (), cfg.ids, cfg.noise
        else:
            sel = (slice(*chunk),)
            opt = _slice_optimizer(optimizer, batch, sel)
            X, ids_c = X0[(slice(None),) + sel], cfg.ids.reshape(-1)[sel]
            noise_c = np.broadcast_to(cfg.noise, batch).reshape(-1)[sel] if np.ndim(cfg.noise) else cfg.noise
        oracle = _gradient_oracle(surface, noise_c, cfg.batch_size, cfg.seed, ids_c)
        return _loop(surface, opt, needs_hessian, X, steps, oracle, exact, cfg.tol ** 2, cfg.bound, buffers.view(sel),
                     objective)

    if len(chunks) > 1:
        with ThreadPoolExecutor(max_workers=len(chunks)) as pool:
            parts = list(pool.map(job, chunks))
    else:
        parts = [job(chunks[0])]
    last_above, last_big_step, diverged_at, outside, escape, X, final_loss, failed_at = (
        np.concatenate(arrays, axis=-1).reshape(arrays[0].shape[:-1] + batch) if flat else arrays[0]
        for arrays in zip(*parts)
    )

    diverged = diverged_at >= 0
    # Converged from step k on: by the gradient when every gradient norm from point k on is below tol, by the step
    # when every step from point k on is shorter than tol (not for a failed line search: its steps are 0).
    by_gradient, by_step = last_above < steps, (last_big_step < steps - 1) & (failed_at < 0)
    converged = ~diverged & (by_gradient | by_step)
    gradient_first = by_gradient & (~by_step | (last_above <= last_big_step))
    converged_by = np.where(converged, np.where(gradient_first, Criterion.GRADIENT, Criterion.STEP),
                            Criterion.NONE).astype(np.int8)
    failed = ~diverged & ~converged & (failed_at >= 0)
    left = diverged & outside  # stopped at a point where the function is not defined
    status = np.select([left, diverged, converged, failed],
                       [Status.LEFT_DOMAIN, Status.DIVERGED, Status.CONVERGED, Status.LINE_SEARCH_FAILED],
                       Status.RUNNING).astype(np.int8)
    converged_at = np.where(gradient_first, last_above, last_big_step) + 1
    event_step = np.select([diverged, converged, failed], [diverged_at, converged_at, failed_at], -1)
    final = np.where(diverged, escape, X)
    if diverged.any():
        with np.errstate(all="ignore"):  # the escaped point may be inf: inf - inf is NaN, sanitized below
            final_loss = np.where(diverged, surface.value_cf(sanitize(escape)), final_loss)
    return Trajectory(
        surface=surface.name,
        variables=tuple(surface.variables),
        optimizer=optimizer.name,
        hyperparams=dict(optimizer.hyperparams),
        options=dict(optimizer.options),
        steps=steps,
        status=status,
        event_step=event_step,
        converged_by=converged_by,
        final_position=np.moveaxis(sanitize(final), 0, -1),
        final_loss=sanitize(np.asarray(final_loss, dtype=float)),
        tol=cfg.tol,
        bound=cfg.bound,
        noise=cfg.noise,
        batch_size=cfg.batch_size,
        seed=cfg.seed,
        schedule=optimizer.schedule,
        clip=optimizer.clip,
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
    return registry.make(optimizer.name, **hyper, **optimizer.options, schedule=optimizer.schedule, clip=optimizer.clip)


def _loop(surface, opt: Optimizer, needs_hessian: bool, X: np.ndarray, steps: int, oracle, exact: bool,
          tol2: float, bound: float, rec: Buffers, objective: Objective | None = None):
    """The step loop for one chunk of trajectories; fills ``rec`` and returns the per-trajectory outcome.

    ``objective`` (for a line-search method) is passed to the update, which may then evaluate the surface at
    trial points; the step at which a trajectory's state first says ``failed`` is its line-search failure."""
    batch = X.shape[1:]
    state = opt.init(X)
    keep_path, keep_all = rec.positions is not None, rec.gradients is not None
    clip, schedule, lr = opt.clip, opt.schedule, opt.hyperparams.get("lr")
    if keep_path:
        rec.positions[0] = X
    if keep_all:
        _record_state(rec, 0, state, {"lookahead": X, CLIPPED.name: 0.0,
                                      ETA.name: None if schedule is None else schedule.rate(lr, 0)})
    exact_at_x = exact and opt.lookahead is None
    fused = keep_path and exact_at_x
    last_above = np.full(batch, -1, dtype=np.int64)  # last step whose true gradient norm was >= tol
    last_big_step = np.full(batch, -1, dtype=np.int64)  # last step t that was not short (see optim.trajectory)
    longest2 = np.zeros(batch)  # the squared length of the longest step so far
    diverged_at = np.full(batch, -1, dtype=np.int64)
    failed_at = np.full(batch, -1, dtype=np.int64)  # the step whose line search found no decrease
    extra = {} if objective is None else {"objective": objective}
    outside = np.zeros(batch, dtype=bool)  # of those, the ones that stopped at a point outside the domain
    check_domain = surface.partial_domain
    escape = np.zeros(X.shape)  # the point that left the bound, per diverged trajectory
    limit = min(bound, np.finfo(float).max)  # an infinite coordinate diverged even when bound = inf
    park = np.array(surface.stationary[0].point if surface.stationary else [0.0] * X.shape[0])
    park = park.reshape((-1,) + (1,) * len(batch))
    # Buffers reused at every step: the update writes its step and the new state in place (no allocation).
    u, g_buffer = np.empty(X.shape), np.empty(X.shape)
    g_clipped = np.empty(X.shape) if clip is not None else None
    norm2, above = np.empty(batch), np.empty(batch, dtype=bool)
    if not keep_path:
        X = np.array(X)  # final mode: the positions are updated in place

    def track(v, last, t):
        """Record ``t`` in ``last`` where the true gradient ``v`` is not below tol."""
        np.einsum("i...,i...->...", v, v, out=norm2)
        np.copyto(last, t, where=np.greater_equal(norm2, tol2, out=above))

    def track_step(v, t, lr_t=None):
        """Record ``t`` in ``last_big_step`` where the step ``v`` is not short: at least tol (measured at the base
        rate: ``‖v‖ η / η_t >= tol``), or more than STEP_SHRINK times the longest step so far."""
        np.einsum("i...,i...->...", v, v, out=norm2)
        np.maximum(longest2, norm2, out=longest2)
        threshold = tol2 if lr_t is None else tol2 * np.square(np.divide(lr_t, lr))
        big = np.greater_equal(norm2, threshold, out=above)
        big |= norm2 > STEP_SHRINK ** 2 * longest2
        np.copyto(last_big_step, t, where=big)

    def leave_domain(X, g, loss, t, state):
        return _leave_domain(X, g, loss, t, state, diverged_at, outside, escape)

    with np.errstate(all="ignore"):
        for t in range(steps):
            if fused:
                rec.losses[t], g = surface.value_and_grad_cf(X)
            elif keep_path:
                rec.losses[t] = surface.value_cf(X)
            step_lr = {} if schedule is None else {"lr_t": schedule.rate(lr, t)}  # η_t
            Xg = opt.lookahead(X, state, **step_lr) if opt.lookahead else X
            if not fused:
                g = oracle(Xg, t, out=g_buffer)
            if check_domain:
                X, g, state = leave_domain(X, g, rec.losses[t] if keep_path else surface.value_cf(X), t, state)
            track(g if exact_at_x else surface.grad_cf(X), last_above, t)
            H = surface.hess_cf(Xg) if needs_hessian else None
            g_used = g if clip is None else clip.apply(g, out=g_clipped)
            updates, state = opt.update(g_used, state, X, hess=H, out=(u, state), diagnostics=keep_all, **extra,
                                        **step_lr)
            if objective is not None:
                np.copyto(failed_at, t + 1, where=state.failed & (failed_at < 0))
            track_step(updates, t, step_lr.get("lr_t"))
            X = np.add(X, updates, out=rec.positions[t + 1] if keep_path else X)
            if keep_all:
                rec.gradients[t] = g
                _record_state(rec, t + 1, state, {"lookahead": Xg, CLIPPED.name: g_used, ETA.name: step_lr.get("lr_t")})
            # Fast check on the whole chunk; NaN fails it too. Diverged trajectories are parked at a
            # stationary point with zero state so that they stop producing NaN and the fast check holds again.
            if not (X.max() <= limit and X.min() >= -limit):
                X, state = _park(X, state, t + 1, limit, park, diverged_at, escape, copy=keep_path)
        final_loss = surface.value_cf(X)
        if keep_path:
            rec.losses[steps] = final_loss
        g_final = surface.grad_cf(X)
        if check_domain:
            leave_domain(X, g_final, final_loss, steps, state)
        track(g_final, last_above, steps)
    return last_above, last_big_step, diverged_at, outside, escape, X, final_loss, failed_at


def _record_state(rec: Buffers, row: int, state, extras: dict) -> None:
    """Row ``row`` of every recorded state field: the optimizer's own, or what the run records beside it
    (``extras``: the look-ahead point, the clipped gradient, the step's rate), for the fields ``rec`` holds."""
    for name, buffer in rec.state.items():
        buffer[row] = extras[name] if name in extras else getattr(state, name)


def _park(X, state, t: int, limit: float, park, diverged_at, escape, *, copy: bool):
    """Trajectories whose point left the bound at step ``t``: record the step and the point that left, and park
    them at a stationary point with zero state, so that they stop producing NaN (``copy``: keep ``X`` as it was
    recorded)."""
    bad = ~(np.abs(X).max(axis=0) <= limit)
    newly = bad & (diverged_at < 0)
    diverged_at[newly] = t
    escape[:, newly] = X[:, newly]
    if copy:
        X = X.copy()
    X[:, bad] = np.broadcast_to(park, X.shape)[:, bad]
    return X, reset(state, bad)


def _leave_domain(X, g, loss, t: int, state, diverged_at, outside, escape):
    """A finite point where the function or its gradient is not defined: the run stops there ("left the domain at
    step t"); it is parked where it is with a zero gradient and zero state."""
    defined = np.isfinite(loss) & np.isfinite(g).all(axis=0)
    if defined.all():
        return X, g, state
    bad = ~defined
    newly = bad & (diverged_at < 0)
    diverged_at[newly], outside[newly] = t, True
    escape[:, newly] = X[:, newly]
    g = np.array(g)
    g[:, bad] = 0.0
    return X, g, reset(state, bad)
