r"""Dropout: a random mask in training, scaled so that nothing changes on average; nothing at inference.

Two numbers describe the same layer and the notes mix them: the *keep probability* :math:`p` (the chance a
unit survives; the notes' "1.0 means no dropout", and their "0.8 for an input layer") and the *drop rate*
:math:`1 - p` (what ``torch.nn.Dropout(p=...)`` and ``keras.layers.Dropout(rate=...)`` take).

Inverted dropout (PyTorch, Keras) scales the survivors in training so that every unit keeps its expected
value, and leaves inference alone:

.. math::
    m_i \sim \operatorname{Bernoulli}(p), \qquad
    y_i = \begin{cases} m_i\,x_i / p & \text{training} \\ x_i & \text{inference} \end{cases}, \qquad
    \mathbb E[y_i] = x_i

The original paper's form (``inverted=False``) leaves training unscaled and multiplies by :math:`p` at
inference instead. The number of active units among :math:`n` is :math:`\operatorname{Binomial}(n, p)`: mean
:math:`np`, standard deviation :math:`\sqrt{np(1 - p)}`.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np


def keep_probability(value: float, meaning: str = "keep") -> float:
    """The keep probability p from a number that means ``"keep"`` (p itself) or ``"drop"`` (1 - p)."""
    value = float(value)
    if meaning not in ("keep", "drop"):
        raise ValueError("meaning must be keep or drop")
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"a probability must be in [0, 1], got {value:g}")
    p = value if meaning == "keep" else 1.0 - value
    if p == 0.0:
        raise ValueError("a keep probability of 0 drops every unit, and the scale 1/p is undefined")
    if not np.isfinite(1.0 / p):
        raise ValueError(f"a keep probability of {p:.3g} makes the scale 1/p overflow")
    return p


class DropoutPass(NamedTuple):
    x: np.ndarray  #: the layer's input
    mask: np.ndarray  #: 1 where the unit is kept (all ones at inference)
    y: np.ndarray  #: the output
    scale: float  #: what the kept units are multiplied by
    keep: float


def dropout(x, keep: float, *, training: bool = True, inverted: bool = True,
            rng: np.random.Generator | None = None, mask=None) -> DropoutPass:
    """One dropout pass over ``x`` (any shape) with keep probability ``keep`` in (0, 1].

    Training draws ``mask`` (or uses the one given); inference uses no mask. See the module's formulas.
    """
    x = np.asarray(x, float)
    keep = keep_probability(keep)
    if not training:
        scale = 1.0 if inverted else keep
        return DropoutPass(x, np.ones_like(x), x * scale, scale, keep)
    if mask is None:
        rng = rng or np.random.default_rng()
        mask = rng.random(x.shape) < keep
    mask = np.asarray(mask, float)
    scale = 1.0 / keep if inverted else 1.0
    return DropoutPass(x, mask, x * mask * scale, scale, keep)


def active_units(n: int, keep: float) -> tuple[float, float]:
    """Mean and standard deviation of the number of kept units among ``n``: np and sqrt(np(1-p))."""
    keep = keep_probability(keep)
    return n * keep, math.sqrt(n * keep * (1.0 - keep))


def binomial_pmf(n: int, keep: float) -> np.ndarray:
    """P(k units kept) for k = 0..n, computed in log space (exact to rounding for any n)."""
    k = np.arange(n + 1)
    lgamma = np.vectorize(math.lgamma, otypes=[float])
    if keep == 1.0:
        return (k == n).astype(float)
    log = lgamma(n + 1) - lgamma(k + 1) - lgamma(n - k + 1) + k * math.log(keep) + (n - k) * math.log1p(-keep)
    return np.exp(log)


def simulate_counts(n: int, keep: float, trials: int = 2000, seed: int = 0) -> np.ndarray:
    """Kept units in each of ``trials`` seeded masks over ``n`` units (one array call)."""
    keep = keep_probability(keep)
    return (np.random.default_rng(seed).random((trials, n)) < keep).sum(axis=1)
