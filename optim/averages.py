r"""Exponential moving averages, the idea under momentum, RMSProp and Adam.

.. math::
    a_t = \beta\, a_{t-1} + (1 - \beta)\, x_t \quad(\text{the notes: } a_t = k\,x_t + (1 - k)\,a_{t-1},\ k = 1 - \beta)

Unrolled from :math:`a_0 = 0`, :math:`a_t = \sum_{j=0}^{t-1} (1 - \beta)\beta^j x_{t-j}`: the value ``j`` steps
back carries the weight :math:`(1 - \beta)\beta^j`, the weights sum to :math:`1 - \beta^t`, and dividing by that
sum is Adam's bias correction. The recurrence is :func:`optim.blocks.moving_average`, written once.

Everything broadcasts: ``beta`` shaped ``(k,)`` against a series shaped ``(T,)`` averages it with k rates at once,
shaped ``(k, T)`` (time is the last axis).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .base import unit_interval
from .blocks import decay, moving_average

SERIES_KINDS = ("sine", "step", "walk", "typed")


def _beta(beta):
    return unit_interval("beta", beta if np.ndim(beta) == 0 else np.asarray(beta, dtype=float), "decay rate")


def ema(series, beta, *, start: float = 0.0, corrected: bool = False) -> np.ndarray:
    r"""The moving average of ``series`` (time on the last axis) at every step, :math:`a_1 \dots a_T`.

    Args:
        series: :math:`x_1 \dots x_T`, shaped ``(..., T)``.
        beta: :math:`\beta \in [0, 1)`, broadcasting against ``series[..., 0]``.
        start: :math:`a_0` (0 as in Adam; ``x_1`` makes the first average the first value).
        corrected: divide :math:`a_t` by :math:`1 - \beta^t` (only meaningful with ``start = 0``).
    """
    x = np.asarray(series, dtype=float)
    beta = _beta(beta)
    d = decay(beta)
    shape = np.broadcast_shapes(x.shape[:-1], np.shape(beta))
    avg = np.full(shape, float(start))
    out = np.empty(shape + (x.shape[-1],))
    for t in range(x.shape[-1]):
        avg = moving_average(avg, x[..., t], d)
        out[..., t] = avg
    if corrected:
        out = out / weight_sum(np.expand_dims(beta, -1), np.arange(1, x.shape[-1] + 1))
    return out


def ema_weights(beta, t: int) -> np.ndarray:
    r"""The weights :math:`(1 - \beta)\beta^j`, ``j = 0 .. t - 1``, of :math:`x_t, x_{t-1}, \dots, x_1` in
    :math:`a_t` (from :math:`a_0 = 0`)."""
    beta = _beta(beta)
    if t < 1:
        raise ValueError("t must be at least 1")
    j = np.arange(t)
    return (1.0 - np.expand_dims(beta, -1)) * np.expand_dims(beta, -1) ** j


def weight_sum(beta, t):
    r""":math:`1 - \beta^t`, the sum of the first ``t`` weights: the bias-correction divisor."""
    return 1.0 - np.asarray(beta, dtype=float) ** np.asarray(t)


def effective_window(beta):
    r""":math:`1 / (1 - \beta)`: about how many recent values the average remembers."""
    return 1.0 / (1.0 - np.asarray(beta, dtype=float))


def demo_series(kind: str, n: int, seed: int = 0, values=()) -> np.ndarray:
    """A series to average: ``"sine"`` (a sine wave plus seeded Gaussian noise), ``"step"`` (0 then 1 from the
    middle on), ``"walk"`` (a seeded random walk from 100, like a daily price) or ``"typed"`` (``values``)."""
    if kind == "typed":
        if len(values) < 1:
            raise ValueError("the series needs at least one value")
        return np.asarray(values, dtype=float)
    if kind not in SERIES_KINDS:
        raise ValueError(f"unknown series '{kind}'; choose one of {', '.join(SERIES_KINDS)}")
    if n < 1:
        raise ValueError("the series needs at least one value")
    t = np.arange(n)
    rng = np.random.default_rng(seed)
    if kind == "sine":
        return np.sin(2 * np.pi * t / 50) + 0.4 * rng.standard_normal(n)
    if kind == "step":
        return (t >= n // 2).astype(float)
    return 100.0 + np.cumsum(rng.standard_normal(n))


class AdamMoments(NamedTuple):
    """Adam's two averages on a gradient series, with and without bias correction, and the slide's divisor
    1 - β (wrong) beside the right one 1 - βᵗ."""

    t: np.ndarray
    m: np.ndarray
    v: np.ndarray
    m_hat: np.ndarray
    v_hat: np.ndarray
    m_wrong: np.ndarray  #: m / (1 - β₁)
    v_wrong: np.ndarray  #: v / (1 - β₂)


def adam_moments(grads, beta1: float = 0.9, beta2: float = 0.999) -> AdamMoments:
    r""":math:`m_t` (average of g), :math:`v_t` (average of g²), :math:`\hat m_t = m_t/(1-\beta_1^t)`,
    :math:`\hat v_t = v_t/(1-\beta_2^t)` and the divisions by :math:`1-\beta` a slide writes instead."""
    g = np.asarray(grads, dtype=float)
    m, v = ema(g, beta1), ema(g * g, beta2)
    t = np.arange(1, g.shape[-1] + 1)
    return AdamMoments(t, m, v, m / weight_sum(beta1, t), v / weight_sum(beta2, t), m / (1 - beta1), v / (1 - beta2))
