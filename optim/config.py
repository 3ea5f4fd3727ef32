"""Everything a run depends on, validated and resolved once: the :class:`RunConfig` of :func:`optim.run`."""

from __future__ import annotations

from dataclasses import dataclass
from math import prod
from typing import Literal

import numpy as np

from . import registry
from .base import Optimizer
from .trajectory import DEFAULT_BOUND, DEFAULT_TOL

MAX_STEPS = 10_000
MAX_HISTORY_VALUES = 200_000_000  # 1.6 GB of float64 per recorded array: beyond this, record less
#: the largest tolerance (its square must stay finite); the bound may be anything positive, infinity included
MAX_THRESHOLD = 1e150

Record = Literal["all", "path", "final"]


def check_steps(steps) -> int:
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)):
        raise ValueError(f"steps must be a whole number, got {steps!r}")
    if not 1 <= steps <= MAX_STEPS:
        raise ValueError(f"steps must be between 1 and {MAX_STEPS:,}, got {steps:,}")
    return int(steps)


def _positive_number(name: str, v, high: float = MAX_THRESHOLD) -> float:
    if np.ndim(v) or isinstance(v, bool) or not isinstance(v, (int, float, np.number)) or not 0 < v <= high:
        raise ValueError(f"{name} must be one positive number up to {high:g}, got {v!r}")
    return float(v)


def _seed(seed) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed < 2**64:
        # the noise hashes the seed as one 64-bit word
        raise ValueError(f"seed must be a whole number from 0 to 2**64 - 1, got {seed!r}")
    return int(seed)


def _batch_size(surface, batch_size) -> int | None:
    if batch_size is None:
        return None
    if getattr(surface, "n_samples", None) is None:
        raise ValueError(
            f"a batch size applies to a loss averaged over samples ('linear-regression'); "
            f"'{surface.name}' is an analytic function: use noise to make its gradient stochastic"
        )
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch size must be a whole number of samples, at least 1; got {batch_size!r}")
    return int(batch_size)


def _noise(noise) -> float | np.ndarray:
    noise = np.asarray(noise, dtype=float) if np.ndim(noise) else float(noise)
    if not np.all(np.isfinite(noise)) or np.any(np.asarray(noise) < 0):
        raise ValueError(f"noise must be a standard deviation >= 0, got {noise!r}")
    if np.any(np.asarray(noise) > MAX_THRESHOLD):  # the gradient's square must stay finite (Adam's v)
        raise ValueError(f"noise must be at most {MAX_THRESHOLD:g}, got {noise!r}")
    return noise


@dataclass(frozen=True, eq=False)
class RunConfig:
    """A run's settings after validation, with every default resolved (noise, batch size, ids)."""

    surface: object
    optimizer: Optimizer
    steps: int
    record: str
    tol: float
    bound: float
    noise: float | np.ndarray
    batch_size: int | None
    seed: int
    starts: np.ndarray  #: (d, *batch) coordinate-first, broadcast to the full batch
    batch: tuple[int, ...]
    ids: np.ndarray  #: (*batch) int64

    @property
    def spec(self):
        return registry.spec(self.optimizer.name)

    @property
    def size(self) -> int:
        return prod(self.batch)

    @property
    def exact(self) -> bool:
        """Whether the gradient the optimizer sees is the exact one (no noise, no proper mini-batch)."""
        n = getattr(self.surface, "n_samples", None)
        return not np.any(self.noise) and (self.batch_size is None or self.batch_size >= (n or 0))

    @classmethod
    def resolve(cls, surface, optimizer: Optimizer, starts, steps, *, tol=DEFAULT_TOL, bound=DEFAULT_BOUND,
                record: Record = "all", noise=None, batch_size=None, seed=0, ids=None) -> "RunConfig":
        steps = check_steps(steps)
        if optimizer.schedule is not None:
            optimizer.schedule.check_steps(steps)
        if record not in ("all", "path", "final"):
            raise ValueError(f"record must be 'all', 'path' or 'final', got {record!r}")
        tol, seed = _positive_number("tol", tol), _seed(seed)
        bound = _positive_number("bound", bound, np.inf)
        batch_size = _batch_size(surface, batch_size)
        if noise is not None:
            noise = _noise(noise)
        noise, batch_size = registry.gradient_noise(surface, optimizer.name, noise, batch_size)
        noise = _noise(noise)

        P0 = surface.coordinate_first(starts)  # (d, *start_batch), validates the dimension
        if not np.all(np.isfinite(P0)):
            raise ValueError("start points must be finite numbers")
        if np.any(np.abs(P0) > bound):
            raise ValueError(f"start points must lie within ±{bound:g} (beyond it a run counts as diverged)")
        d = surface.dim
        opt_batch = np.broadcast_shapes(*(np.shape(v) for v in optimizer.hyperparams.values()))
        try:
            batch = np.broadcast_shapes(P0.shape[1:], opt_batch, np.shape(noise))
        except ValueError:
            raise ValueError(
                f"the start points (batch shape {P0.shape[1:]}) and the hyperparameter arrays "
                f"(shape {opt_batch}) do not broadcast together"
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
        return cls(surface, optimizer, steps, record, tol, bound, noise, batch_size, seed, X0, batch, ids)
