"""Counter-based random numbers: each value is a hash of (seed, trajectory id, step, stream).

A trajectory's noise therefore depends only on its own id, never on how many other trajectories share the
batch or where it sits in it: a run of one point from a grid reproduces that grid cell exactly, noise and
all. The hash is SplitMix64's finalizer (Steele, Lea and Flood, 2014), applied once per input word.
"""

from __future__ import annotations

import numpy as np

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def _mix(z: np.ndarray) -> np.ndarray:
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def hash64(seed: int, ids: np.ndarray, step: int, stream: np.ndarray | int) -> np.ndarray:
    """64 random bits for every broadcast combination of ``ids`` and ``stream``."""
    with np.errstate(over="ignore"):
        h = _mix(np.atleast_1d(np.uint64(seed)) + _GOLDEN)
        h = _mix(h ^ (np.asarray(ids, dtype=np.uint64) + _GOLDEN))
        h = _mix(h ^ (np.uint64(step) * _GOLDEN + np.uint64(1)))
        return _mix(h ^ (np.asarray(stream, dtype=np.uint64) * _GOLDEN + np.uint64(2)))


def normal(seed: int, ids: np.ndarray, step: int, d: int) -> np.ndarray:
    """Standard normal draws shaped ``(d, *ids.shape)`` (Box-Muller on the two 32-bit halves of a hash)."""
    h = hash64(seed, ids[None], step, np.arange(d).reshape((d,) + (1,) * np.ndim(ids)))
    u1 = ((h >> np.uint64(32)).astype(float) + 0.5) * 2.0**-32
    u2 = ((h & np.uint64(0xFFFFFFFF)).astype(float) + 0.5) * 2.0**-32
    return np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)


def indices(seed: int, ids: np.ndarray, step: int, size: int, n: int) -> np.ndarray:
    """``size`` sample indices in ``[0, n)`` per id, drawn uniformly with replacement: shape ``(*ids.shape, size)``."""
    h = hash64(seed, np.asarray(ids)[..., None], step, np.arange(size))
    return ((h >> np.uint64(11)).astype(float) * (n * 2.0**-53)).astype(np.intp)
