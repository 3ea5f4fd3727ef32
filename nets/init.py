r"""Weight initializers (Keras's list, PyTorch's formulas) and the depth experiment that shows why they matter.

A weight matrix is shaped ``(fan_in, fan_out)``. The scaled families set the spread from the fans:

.. math::
    \text{normal: } \sigma = \sqrt{\frac{g}{n}}, \qquad \text{uniform on } [-\ell, \ell]: \ \ell = \sqrt{\frac{3g}{n}}
    \quad(\text{the same variance } \ell^2/3 = g/n)

with :math:`g/n = 2/(\text{fan\_in} + \text{fan\_out})` (Glorot/Xavier), :math:`2/\text{fan\_in}` (He/Kaiming)
and :math:`1/\text{fan\_in}` (LeCun). The normal forms are drawn from a plain normal, as
``torch.nn.init.xavier_normal_`` and ``kaiming_normal_`` do (Keras draws a normal truncated at 2σ and widened
by 1/0.8796 to reach the same σ).

``TruncatedNormal(mean, stddev)`` redraws every value beyond two standard deviations, which narrows it: its
standard deviation is :math:`\sigma\sqrt{1 - 4\varphi(2)/(2\Phi(2) - 1)} \approx 0.8796\,\sigma`
(:func:`truncated_std_factor`).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

#: Keras name -> the family of distribution it draws from; the order is the page's
INITIALIZERS = {
    "zeros": "constant", "ones": "constant", "constant": "constant",
    "random_normal": "normal", "truncated_normal": "truncated", "random_uniform": "uniform",
    "glorot_normal": "normal", "he_normal": "normal", "lecun_normal": "normal",
    "glorot_uniform": "uniform", "he_uniform": "uniform", "lecun_uniform": "uniform",
}
_GAIN = {"glorot": lambda fi, fo: 2.0 / (fi + fo), "he": lambda fi, fo: 2.0 / fi, "lecun": lambda fi, fo: 1.0 / fi}


class Spec(NamedTuple):
    """What an initializer draws from: a constant, a normal (possibly truncated) or a uniform distribution."""

    family: str  #: "constant", "normal", "truncated" or "uniform"
    mean: float
    sigma: float  #: the normal's σ parameter (before truncation); 0 for a constant
    low: float  #: uniform bounds; ±2σ around the mean for a truncated normal; the value for a constant
    high: float

    @property
    def std(self) -> float:
        """The standard deviation of the values drawn."""
        if self.family == "constant":
            return 0.0
        if self.family == "uniform":
            return (self.high - self.low) / math.sqrt(12.0)
        return self.sigma * (truncated_std_factor() if self.family == "truncated" else 1.0)


def truncated_std_factor(k: float = 2.0) -> float:
    r"""The standard deviation of a standard normal truncated to :math:`[-k, k]`:
    :math:`\sqrt{1 - 2k\varphi(k)/(2\Phi(k) - 1)}` (0.87962566 for :math:`k = 2`)."""
    phi = math.exp(-0.5 * k * k) / math.sqrt(2 * math.pi)
    mass = math.erf(k / math.sqrt(2.0))
    return math.sqrt(1.0 - 2.0 * k * phi / mass)


def spec(name: str, fan_in: int, fan_out: int, *, mean: float = 0.0, stddev: float = 0.05, minval: float = -0.05,
         maxval: float = 0.05, value: float = 0.0) -> Spec:
    """The distribution of initializer ``name`` for a ``(fan_in, fan_out)`` matrix.

    ``mean`` and ``stddev`` are RandomNormal's and TruncatedNormal's (Keras defaults 0 and 0.05), ``minval``
    and ``maxval`` RandomUniform's, ``value`` Constant's.
    """
    if name not in INITIALIZERS:
        raise ValueError(f"unknown initializer {name!r}")
    if fan_in < 1 or fan_out < 1:
        raise ValueError("fan_in and fan_out must be at least 1")
    if name in ("zeros", "ones", "constant"):
        c = {"zeros": 0.0, "ones": 1.0}.get(name, float(value))
        return Spec("constant", c, 0.0, c, c)
    if name in ("random_normal", "truncated_normal"):
        if not stddev > 0:
            raise ValueError(f"stddev must be > 0, got {stddev:g}")
        fam = "normal" if name == "random_normal" else "truncated"
        return Spec(fam, mean, stddev, mean - 2 * stddev, mean + 2 * stddev)
    if name == "random_uniform":
        if not minval < maxval:
            raise ValueError(f"minval must be below maxval, got {minval:g} and {maxval:g}")
        return Spec("uniform", 0.5 * (minval + maxval), 0.0, minval, maxval)
    var = _GAIN[name.split("_")[0]](fan_in, fan_out)
    if name.endswith("normal"):
        s = math.sqrt(var)
        return Spec("normal", 0.0, s, -2 * s, 2 * s)
    limit = math.sqrt(3.0 * var)
    return Spec("uniform", 0.0, 0.0, -limit, limit)


def sample(s: Spec, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """Draw an array of ``shape`` from ``s``; a truncated normal redraws the values beyond 2σ (whole rounds,
    vectorized, until none is left)."""
    if s.family == "constant":
        return np.full(shape, s.mean)
    if s.family == "uniform":
        return rng.uniform(s.low, s.high, shape)
    w = rng.normal(s.mean, s.sigma, shape)
    if s.family == "truncated":
        bad = np.abs(w - s.mean) > 2 * s.sigma
        while bad.any():
            w[bad] = rng.normal(s.mean, s.sigma, int(bad.sum()))
            bad = np.abs(w - s.mean) > 2 * s.sigma
    return w


def density(s: Spec, x) -> np.ndarray:
    """The probability density of ``s`` at ``x`` (a constant has none: zeros)."""
    x = np.asarray(x, float)
    if s.family == "constant":
        return np.zeros_like(x)
    if s.family == "uniform":
        return np.where((x >= s.low) & (x <= s.high), 1.0 / (s.high - s.low), 0.0)
    z = (x - s.mean) / s.sigma
    pdf = np.exp(-0.5 * z * z) / (s.sigma * math.sqrt(2 * math.pi))
    if s.family == "truncated":
        pdf = np.where(np.abs(z) <= 2, pdf / math.erf(2 / math.sqrt(2.0)), 0.0)
    return pdf


# -- the depth experiment -------------------------------------------------------------------------------------------

#: the experiment's lines: label -> (initializer, parameters); "small"/"large" take the page's σ
EXPERIMENT_LINES = {
    "He normal": ("he_normal", {}),
    "Glorot normal": ("glorot_normal", {}),
    "LeCun normal": ("lecun_normal", {}),
    "small-σ normal": ("random_normal", {"stddev": "small"}),
    "large-σ normal": ("random_normal", {"stddev": "large"}),
    "zeros": ("zeros", {}),
    "constant 0.05": ("constant", {"value": 0.05}),
}
MAX_LAYERS, MAX_WIDTH, MAX_BATCH = 50, 128, 256


class DepthRun(NamedTuple):
    """Per line (axis 0) and layer (axis 1): what went through a deep stack of one activation."""

    labels: tuple[str, ...]
    sigmas: np.ndarray  #: (lines,) the weights' standard deviation (formula)
    act_var: np.ndarray  #: (lines, layers) variance of the layer's outputs h_l over batch and units
    grad_var: np.ndarray  #: (lines, layers) variance of ∂L/∂W_l over its entries (0 where all entries are equal
    #: to rounding, as with constant weights: every weight of the layer gets the same update)
    unit_spread: np.ndarray  #: (lines, layers) std across a layer's units over their RMS, batch mean: 0 = identical
    stalled: np.ndarray  #: (lines, layers) share of outputs whose local derivative φ'(a) is below 0.01
    input_var: float


def depth_experiment(labels=tuple(EXPERIMENT_LINES), *, activation: str = "relu", layers: int = 20,
                     width: int = 128, batch: int = 128, small_sigma: float = 0.05, large_sigma: float = 0.5,
                     seed: int = 0) -> DepthRun:
    r"""Push one seeded batch :math:`x \sim \mathcal N(0, 1)` through ``layers`` square layers
    :math:`h_l = \phi(h_{l-1} W_l)` (no bias) for every initializer in ``labels`` and backpropagate a seeded
    random upstream gradient :math:`\partial L/\partial h_L \sim \mathcal N(0, 1)`.

    Records the variance of each layer's outputs, of each weight gradient
    :math:`\partial L/\partial W_l = h_{l-1}^\top \delta_l` (taken as exactly 0 when it is below
    :math:`10^{-12}` of the entries' mean square: equal entries up to rounding), how much the units of a
    layer differ, and the share of outputs where :math:`|\varphi'(a)| < 0.01` (ReLU: switched off; tanh:
    saturated, :math:`|h| > 0.995`), which pass almost no gradient back. All
    lines run together as one stack of matrix products per layer. Values beyond float range become inf.
    """
    if activation not in ("relu", "tanh"):
        raise ValueError("activation must be relu or tanh")
    if not (1 <= layers <= MAX_LAYERS and 1 <= width <= MAX_WIDTH and 2 <= batch <= MAX_BATCH):
        raise ValueError(f"needs 1–{MAX_LAYERS} layers, width 1–{MAX_WIDTH}, batch 2–{MAX_BATCH}")
    rng = np.random.default_rng(seed)
    specs = []
    for label in labels:
        name, params = EXPERIMENT_LINES[label]
        params = {k: {"small": small_sigma, "large": large_sigma}.get(v, v) for k, v in params.items()}
        specs.append(spec(name, width, width, **params))
    x = rng.standard_normal((batch, width))
    upstream = rng.standard_normal((batch, width))
    W = np.stack([sample(s, (layers, width, width), rng) for s in specs])  # (lines, layers, w, w)
    n = len(specs)
    act_var, grad_var, spread, stalled = (np.empty((n, layers)) for _ in range(4))
    hs, pre = [np.broadcast_to(x, (n, batch, width))], []
    with np.errstate(over="ignore", invalid="ignore"):
        for l in range(layers):
            a = hs[-1] @ W[:, l]
            h = np.maximum(a, 0.0) if activation == "relu" else np.tanh(a)
            pre.append(a)
            hs.append(h)
            act_var[:, l] = h.var(axis=(1, 2))
            rms = np.sqrt(np.mean(h * h, axis=2))
            spread[:, l] = np.mean(np.divide(h.std(axis=2), rms, out=np.zeros_like(rms), where=rms > 0), axis=1)
            local = (a > 0) if activation == "relu" else 1.0 - h * h  # φ'(a): ReLU's 0 or 1, tanh's 1 − h²
            stalled[:, l] = np.mean(local < 0.01, axis=(1, 2))
        g = np.broadcast_to(upstream, (n, batch, width))
        for l in reversed(range(layers)):
            d = g * ((pre[l] > 0) if activation == "relu" else 1.0 - hs[l + 1] ** 2)
            dw = np.swapaxes(hs[l], 1, 2) @ d
            v, m2 = dw.var(axis=(1, 2)), np.mean(dw * dw, axis=(1, 2))
            grad_var[:, l] = np.where(v <= 1e-12 * m2, 0.0, v)  # equal entries up to rounding: exactly 0
            g = d @ np.swapaxes(W[:, l], 1, 2)
    act_var, grad_var = (np.where(np.isfinite(v), v, np.inf) for v in (act_var, grad_var))
    return DepthRun(tuple(labels), np.array([s.std for s in specs]), act_var, grad_var, spread, stalled,
                    float(x.var()))
