r"""Batch, mini-batch and online gradient descent on a surface of samples: the counts and a real race.

An epoch is one pass over the n samples; a batch of B samples gives one update, so an epoch takes
:math:`\lceil n / B \rceil` updates (the last batch holds :math:`n - (\lceil n/B \rceil - 1) B` samples), each
update reads B samples and every epoch reads n whatever B is.

:func:`race` runs plain gradient descent with real mini-batches of a :class:`surfaces.regression.RegressionSurface`:

.. math::
    \theta_{t+1} = \theta_t - \eta_t\, \nabla L_{\mathcal B_t}(\theta_t), \qquad
    \nabla L_{\mathcal B}(\theta) = \frac{2}{|\mathcal B|} \sum_{i \in \mathcal B} (w x_i + b - y_i)\,(x_i, 1)

with the batches taken without replacement from an order reshuffled every epoch (``replace=False``, the notes'
description) or drawn uniformly with replacement (``replace=True``). ``decay = τ`` gives
:math:`\eta_t = \eta / (1 + t / \tau)` (counted in updates); ``None`` keeps η constant. A run whose w or b
leaves ``±bound`` (as in ``optim.run``) has diverged: it stops there, its table ends with the update before.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .trajectory import DEFAULT_BOUND

COLUMNS = ("update", "epoch", "iteration in epoch", "batch size", "samples read", "lr", "w", "b", "loss",
           "batch grad w", "batch grad b", "full grad w", "full grad b")


class EpochCounts(NamedTuple):
    batch_size: np.ndarray  #: B (capped at n)
    per_epoch: np.ndarray  #: ⌈n / B⌉ updates
    last_batch: np.ndarray  #: samples in the last batch of an epoch
    reads_per_update: np.ndarray  #: B
    reads_per_epoch: np.ndarray  #: n


def epoch_counts(n: int, batch_sizes) -> EpochCounts:
    """The counts of an epoch for each batch size (an array broadcasts). B must be in 1 .. n."""
    n = check_samples(n)
    B = np.asarray(batch_sizes, dtype=np.int64)
    if np.any(B < 1) or np.any(B > n):
        raise ValueError(f"a batch size must be at least 1 and at most n = {n:,}")
    per = -(-n // B)
    return EpochCounts(B, per, n - (per - 1) * B, B, np.full(B.shape, n))


def check_samples(n) -> int:
    if int(n) != n or n < 1:
        raise ValueError("n, the number of samples, must be a whole number of at least 1")
    return int(n)


def reads_after(n: int, batch_size: int, updates) -> np.ndarray:
    """Samples read after ``updates`` updates with batches of B taken epoch by epoch (the last one short)."""
    c = epoch_counts(n, batch_size)
    k = np.asarray(updates, dtype=np.int64)
    full, rest = np.divmod(k, c.per_epoch)
    return full * n + rest * batch_size


def epochs_after(n: int, batch_size: int, updates) -> np.ndarray:
    return reads_after(n, batch_size, updates) / n


def batches(n: int, batch_size: int, updates: int, rng: np.random.Generator, *, replace: bool = False):
    """The sample indices of each of ``updates`` batches, as a list of arrays (the last of an epoch may be short
    without replacement)."""
    if replace:
        return list(rng.integers(0, n, size=(updates, batch_size)))
    out = []
    while len(out) < updates:
        order = rng.permutation(n)
        out.extend(order[i:i + batch_size] for i in range(0, n, batch_size))
    return out[:updates]


class Race(NamedTuple):
    batch_size: int
    table: np.ndarray  #: (updates + 1, len(COLUMNS)); row 0 is the start (no gradient yet: NaN); a run that
    #: diverged has rows up to the last update inside the bound
    diverged_at: int = -1  #: the update that took w or b beyond ±bound; -1 if never

    @property
    def diverged(self) -> bool:
        return self.diverged_at >= 0

    def column(self, name: str) -> np.ndarray:
        return self.table[:, COLUMNS.index(name)]


def race(surface, batch_size: int, lr: float, updates: int, start, *, seed: int = 0, replace: bool = False,
         decay: float | None = None, bound: float = DEFAULT_BOUND) -> Race:
    """Gradient descent with mini-batches of ``batch_size`` samples for ``updates`` updates (see the module)."""
    n = surface.n_samples
    epoch_counts(n, batch_size)
    if not lr > 0:
        raise ValueError("the learning rate must be above 0")
    if decay is not None and not decay > 0:
        raise ValueError("the decay time τ must be above 0")
    per = int(-(-n // batch_size))
    rng = np.random.default_rng([seed, batch_size, int(replace)])
    idx = batches(n, batch_size, updates, rng, replace=replace)
    p = np.asarray(start, dtype=float).copy()
    t = np.full((updates + 1, len(COLUMNS)), np.nan)
    read = 0
    t[0, :9] = [0, 0, 0, 0, 0, lr, p[0], p[1], float(surface.value(p))]
    t[0, 11:] = surface.grad(p)
    for k in range(1, updates + 1):
        eta = lr / (1.0 + (k - 1) / decay) if decay else lr
        g = surface.batch_grad(p, idx[k - 1])
        p = p - eta * g
        read += len(idx[k - 1])
        if not np.all(np.abs(p) <= bound):  # also NaN: stop before the loss of a point out there overflows
            return Race(batch_size, t[:k], k)
        t[k] = [k, (k - 1) // per + 1, (k - 1) % per + 1, len(idx[k - 1]), read, eta, p[0], p[1],
                float(surface.value(p)), g[0], g[1], *surface.grad(p)]
    return Race(batch_size, t)


def first_below(values: np.ndarray, target: float) -> int | None:
    """The first index where ``values`` is at or below ``target`` and stays there... the first index at all
    (a noisy run may come back up): None if never."""
    hit = np.flatnonzero(values <= target)
    return int(hit[0]) if hit.size else None


def noise_floor(loss: np.ndarray, minimum: float, tail: float = 0.25) -> float:
    """The mean excess loss L − L* over the last ``tail`` share of a run: what a constant learning rate leaves."""
    m = max(1, int(round(len(loss) * tail)))
    return float(np.mean(loss[-m:] - minimum))
