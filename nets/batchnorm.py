r"""Batch Normalization, step by step: forward with every intermediate, backward, running averages, inference.

For a mini-batch of :math:`m` activations of one feature, :math:`h_1, \dots, h_m` (rows of ``x``, shaped
``(m, d)`` for ``d`` features that are normalized independently; a stack of independent batches
``(..., m, d)`` is normalized batch by batch over axis -2, which lets one call train several networks):

.. math::
    \mu &= \frac{1}{m}\sum_{i=1}^m h_i
        &\text{batch mean (``mu``)} \\
    \sigma^2 &= \frac{1}{m}\sum_{i=1}^m (h_i - \mu)^2
        &\text{batch variance, biased: divides by } m \text{ (``var``)} \\
    \hat h_i &= \frac{h_i - \mu}{\sqrt{\sigma^2 + \epsilon}}
        &\text{normalize (``x_hat``)} \\
    y_i &= \gamma\, \hat h_i + \beta
        &\text{rescale and shift (``y``)}

Where :math:`\epsilon` goes is a named option, ``eps_in_sqrt``:

* ``eps_in_sqrt=True`` (default): :math:`\hat h_i = (h_i - \mu)/\sqrt{\sigma^2 + \epsilon}`, the form of
  Ioffe & Szegedy (2015), PyTorch ``BatchNorm1d`` and Keras ``BatchNormalization``.
* ``eps_in_sqrt=False``: :math:`\hat h_i = (h_i - \mu)/(\sigma + \epsilon)`, the form the course notes
  (lecture 002) write. The notes' denominator is the larger one exactly when
  :math:`\sigma > (1 - \epsilon)/2`. For typical activations (:math:`\sigma \gg \sqrt\epsilon`) the two
  outputs agree to a relative :math:`\epsilon/\sigma - \epsilon/(2\sigma^2)` (for :math:`\sigma = 1` and
  :math:`\epsilon = 10^{-5}`, :math:`5\cdot 10^{-6}`); they part ways only when :math:`\sigma` is as small
  as :math:`\sqrt\epsilon`.

With :math:`\gamma = 1, \beta = 0` the output of a training-mode step has mean 0 (to rounding) and variance
:math:`\sigma^2/(\sigma^2 + \epsilon)` (standard form) or :math:`\sigma^2/(\sigma + \epsilon)^2` (notes' form),
slightly below 1 because of :math:`\epsilon`.

Training versus inference (Ioffe & Szegedy, sec. 3.1): during training each batch is normalized with its own
:math:`\mu, \sigma^2`, so one example's output depends on the other examples of its batch. Running averages

.. math::
    \hat\mu \leftarrow (1 - \alpha)\,\hat\mu + \alpha\,\mu, \qquad
    \hat\sigma^2 \leftarrow (1 - \alpha)\,\hat\sigma^2 + \alpha\,\frac{m}{m - 1}\sigma^2

(:math:`\alpha` = ``momentum``, PyTorch's convention: the weight of the *new* batch, default 0.1; Keras's
``momentum=0.99`` is the weight of the *old* average, i.e. :math:`1 - \alpha`) are kept alongside, and at
inference time they replace the batch statistics, so the layer becomes a fixed affine map of each example.
PyTorch feeds the unbiased variance :math:`\frac{m}{m-1}\sigma^2` into the running average
(``unbiased=True``); Keras feeds the biased one (``unbiased=False``).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

DEFAULT_EPS = 1e-5


class BatchNormCache(NamedTuple):
    """Every intermediate of a training-mode forward pass, shaped ``(m, d)`` or ``(d,)`` (with any leading
    stack axes in front).

    Pages draw a histogram of each ``(m, d)`` array and tabulate the small-batch numbers.
    """

    x: np.ndarray  #: (m, d) input :math:`h_i`
    mu: np.ndarray  #: (d,) batch mean :math:`\mu`
    var: np.ndarray  #: (d,) biased batch variance :math:`\sigma^2`
    sigma: np.ndarray  #: (d,) batch standard deviation :math:`\sigma = \sqrt{\sigma^2}`
    denom: np.ndarray  #: (d,) what the centred input is divided by: sqrt(var + eps) or sigma + eps
    x_centered: np.ndarray  #: (m, d) :math:`h_i - \mu`
    x_hat: np.ndarray  #: (m, d) normalized :math:`\hat h_i`
    y: np.ndarray  #: (m, d) output :math:`\gamma \hat h_i + \beta`
    gamma: np.ndarray  #: (d,) scale :math:`\gamma`
    beta: np.ndarray  #: (d,) shift :math:`\beta`
    eps: float  #: :math:`\epsilon`
    eps_in_sqrt: bool  #: which form was used


class BatchNormGrads(NamedTuple):
    r"""Gradients of a scalar loss, given :math:`\partial L/\partial y`."""

    dx: np.ndarray  #: (m, d) :math:`\partial L/\partial h_i`
    dgamma: np.ndarray  #: (d,) :math:`\partial L/\partial \gamma = \sum_i \partial L/\partial y_i\, \hat h_i`
    dbeta: np.ndarray  #: (d,) :math:`\partial L/\partial \beta = \sum_i \partial L/\partial y_i`


class RunningStats(NamedTuple):
    """The running averages a BatchNorm layer keeps for inference (PyTorch ``running_mean``/``running_var``)."""

    mean: np.ndarray  #: (d,) :math:`\hat\mu`, starts at 0
    var: np.ndarray  #: (d,) :math:`\hat\sigma^2`, starts at 1
    count: int  #: number of batches averaged in (PyTorch ``num_batches_tracked``)


def _check_eps(eps: float) -> float:
    eps = float(eps)
    if not np.isfinite(eps) or eps < 0:
        raise ValueError(f"eps (the small constant added to the variance) must be >= 0, got {eps!r}")
    return eps


def _as_batch(x) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim < 2:
        raise ValueError(f"x must be shaped (m, d) (a batch of m examples of d features), got shape {x.shape}")
    return x


def _feature_param(value, shape: tuple[int, ...], name: str) -> np.ndarray:
    """Broadcast gamma or beta to the statistics' shape ``(..., d)``."""
    try:
        arr = np.broadcast_to(np.asarray(value, dtype=float), shape).copy()
    except ValueError:
        raise ValueError(f"{name} must broadcast to {shape} (one value per feature), "
                         f"got shape {np.shape(value)}") from None
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite")
    return arr


def make_activations(m: int = 64, d: int = 1, *, shift: float = 0.0, scale: float = 1.0, skew: float = 0.0,
                     seed: int = 0) -> np.ndarray:
    r"""A seeded batch of pre-normalization activations, as a previous layer might hand them over.

    Each entry is drawn from a skew-normal distribution with shape :math:`\alpha` (``skew``), standardized so
    that its *population* mean is ``shift`` and its standard deviation ``scale``:

    .. math::
        z = \delta |u_0| + \sqrt{1 - \delta^2}\, u_1, \quad \delta = \frac{\alpha}{\sqrt{1 + \alpha^2}}, \quad
        u_0, u_1 \sim \mathcal N(0, 1), \qquad
        h = \text{shift} + \text{scale}\cdot\frac{z - \delta\sqrt{2/\pi}}{\sqrt{1 - 2\delta^2/\pi}}

    ``skew=0`` is a normal distribution; ``skew=5`` is strongly right-skewed, like the output of a ReLU-ish
    layer; negative values skew to the left. A sample's own mean and standard deviation differ from
    ``shift`` and ``scale`` by sampling noise, which is what batch normalization then removes.

    Args:
        m: batch size :math:`m`, >= 1.
        d: number of features (columns), >= 1.
        shift: population mean of every feature.
        scale: population standard deviation, > 0.
        skew: skew-normal shape :math:`\alpha`.
        seed: seed of ``numpy.random.default_rng``.

    Returns:
        ``(m, d)`` float array.
    """
    if int(m) < 1 or int(d) < 1:
        raise ValueError(f"m and d must be at least 1, got m={m}, d={d}")
    if not scale > 0:
        raise ValueError(f"scale (the standard deviation of the activations) must be > 0, got {scale!r}")
    rng = np.random.default_rng(seed)
    u = rng.standard_normal((2, int(m), int(d)))
    delta = skew / np.sqrt(1.0 + skew * skew)
    z = delta * np.abs(u[0]) + np.sqrt(1.0 - delta * delta) * u[1]
    mean = delta * np.sqrt(2.0 / np.pi)
    std = np.sqrt(1.0 - 2.0 * delta * delta / np.pi)
    return shift + scale * (z - mean) / std


def batchnorm_forward(x, gamma=1.0, beta=0.0, *, eps: float = DEFAULT_EPS,
                      eps_in_sqrt: bool = True) -> tuple[np.ndarray, BatchNormCache]:
    r"""Training-mode batch normalization of ``x`` with its own batch statistics.

    .. math::
        y_i = \gamma\,\frac{h_i - \mu}{\sqrt{\sigma^2 + \epsilon}} + \beta
        \quad\text{or, with ``eps_in_sqrt=False``,}\quad
        y_i = \gamma\,\frac{h_i - \mu}{\sigma + \epsilon} + \beta

    Args:
        x: :math:`h`, shaped ``(m, d)`` (a 1-D array is one feature, ``(m, 1)``), or ``(..., m, d)``.
        gamma: :math:`\gamma`, scalar or ``(d,)`` (PyTorch ``weight``), or broadcasting to ``(..., d)``.
        beta: :math:`\beta`, scalar or ``(d,)`` (PyTorch ``bias``), or broadcasting to ``(..., d)``.
        eps: :math:`\epsilon` >= 0 (PyTorch ``eps``).
        eps_in_sqrt: the standard form (True) or the notes' :math:`\sigma + \epsilon` (False).

    Returns:
        ``(y, cache)``: the ``(m, d)`` output and a :class:`BatchNormCache` of every intermediate.
    """
    x = _as_batch(x)
    eps = _check_eps(eps)
    stat_shape = x.shape[:-2] + x.shape[-1:]
    gamma, beta = _feature_param(gamma, stat_shape, "gamma"), _feature_param(beta, stat_shape, "beta")
    mu = x.mean(axis=-2)
    xc = x - mu[..., None, :]
    var = np.mean(xc * xc, axis=-2)
    sigma = np.sqrt(var)
    denom = np.sqrt(var + eps) if eps_in_sqrt else sigma + eps
    if np.any(denom == 0):
        raise ValueError("a feature is constant over the batch and eps is 0: the normalization divides by 0")
    x_hat = xc / denom[..., None, :]
    y = gamma[..., None, :] * x_hat + beta[..., None, :]
    return y, BatchNormCache(x, mu, var, sigma, denom, xc, x_hat, y, gamma, beta, eps, bool(eps_in_sqrt))


def batchnorm_backward(dy, cache: BatchNormCache) -> BatchNormGrads:
    r"""Backward pass of :func:`batchnorm_forward`.

    With :math:`s` the denominator (``cache.denom``) and :math:`g_i = \gamma\,\partial L/\partial y_i` the
    gradient reaching :math:`\hat h_i`:

    .. math::
        \frac{\partial L}{\partial s} = -\frac{1}{s^2}\sum_i g_i (h_i - \mu), \qquad
        \frac{\partial L}{\partial \sigma^2} = \frac{\partial L}{\partial s}\,\frac{ds}{d\sigma^2}, \qquad
        \frac{ds}{d\sigma^2} = \frac{1}{2\sqrt{\sigma^2 + \epsilon}} \;\text{or}\; \frac{1}{2\sigma}

    .. math::
        \frac{\partial L}{\partial h_i} = c_i - \frac{1}{m}\sum_j c_j, \qquad
        c_i = \frac{g_i}{s} + \frac{2}{m}(h_i - \mu)\frac{\partial L}{\partial \sigma^2}

    For the standard form this simplifies to the familiar
    :math:`\frac{1}{m s}\big(m g_i - \sum_j g_j - \hat h_i \sum_j g_j \hat h_j\big)`. The notes' form has no
    derivative at :math:`\sigma = 0` (a constant feature); there the variance term is taken as 0, which is
    its limit along the only direction the batch can move without changing :math:`\sigma`.

    Args:
        dy: :math:`\partial L/\partial y`, shaped like ``cache.y``.
        cache: from :func:`batchnorm_forward`.
    """
    dy = np.asarray(dy, dtype=float).reshape(cache.y.shape)
    m = dy.shape[-2]
    dbeta = dy.sum(axis=-2)
    dgamma = np.sum(dy * cache.x_hat, axis=-2)
    g = dy * cache.gamma[..., None, :]
    s = cache.denom
    ds = -np.sum(g * cache.x_centered, axis=-2) / (s * s)
    if cache.eps_in_sqrt:
        dvar = ds / (2.0 * s)
    else:
        safe = np.where(cache.sigma > 0, cache.sigma, 1.0)
        dvar = np.where(cache.sigma > 0, ds / (2.0 * safe), 0.0)
    c = g / s[..., None, :] + (2.0 / m) * cache.x_centered * dvar[..., None, :]
    dx = c - c.mean(axis=-2, keepdims=True)
    return BatchNormGrads(dx, dgamma, dbeta)


def init_running_stats(shape: int | tuple[int, ...]) -> RunningStats:
    """Fresh running averages for ``d`` features (or a stack ``(..., d)``): mean 0, variance 1, as PyTorch
    initialises them."""
    return RunningStats(np.zeros(shape), np.ones(shape), 0)


def update_running_stats(stats: RunningStats, cache: BatchNormCache, *, momentum: float = 0.1,
                         unbiased: bool = True) -> RunningStats:
    r"""One step of the running averages after a training-mode batch.

    .. math::
        \hat\mu \leftarrow (1 - \alpha)\hat\mu + \alpha\mu, \qquad
        \hat\sigma^2 \leftarrow (1 - \alpha)\hat\sigma^2 + \alpha\, v, \qquad
        v = \tfrac{m}{m-1}\sigma^2 \;(\text{``unbiased=True``, PyTorch}) \text{ or } \sigma^2 \;(\text{Keras})

    Args:
        stats: the current :class:`RunningStats`.
        cache: the batch's :class:`BatchNormCache`.
        momentum: :math:`\alpha`, the weight of the new batch (PyTorch ``momentum``; Keras's is
            :math:`1 - \alpha`), in (0, 1].
        unbiased: feed the unbiased batch variance (needs m >= 2).
    """
    if not 0 < momentum <= 1:
        raise ValueError(f"momentum (the weight of the new batch in the running average) must be in (0, 1], "
                         f"got {momentum!r}")
    m = cache.x.shape[-2]
    if unbiased and m < 2:
        raise ValueError("the unbiased variance needs a batch of at least 2 examples")
    v = cache.var * (m / (m - 1)) if unbiased else cache.var
    return RunningStats((1 - momentum) * stats.mean + momentum * cache.mu,
                        (1 - momentum) * stats.var + momentum * v, stats.count + 1)


def batchnorm_inference(x, stats: RunningStats, gamma=1.0, beta=0.0, *, eps: float = DEFAULT_EPS,
                        eps_in_sqrt: bool = True) -> np.ndarray:
    r"""Inference-mode batch normalization: the running averages replace the batch statistics.

    .. math::
        y = \gamma\,\frac{h - \hat\mu}{\sqrt{\hat\sigma^2 + \epsilon}} + \beta
        \quad\text{(or } \sqrt{\hat\sigma^2} + \epsilon \text{ with ``eps_in_sqrt=False``)}

    Each example is transformed on its own: the output no longer depends on the rest of the batch, and a
    batch of one is fine.
    """
    x = _as_batch(x)
    eps = _check_eps(eps)
    shape = np.broadcast_shapes(np.shape(stats.mean), x.shape[:-2] + x.shape[-1:])
    gamma, beta = _feature_param(gamma, shape, "gamma"), _feature_param(beta, shape, "beta")
    denom = np.sqrt(stats.var + eps) if eps_in_sqrt else np.sqrt(stats.var) + eps
    return (gamma / denom)[..., None, :] * (x - stats.mean[..., None, :]) + beta[..., None, :]


class RunningTrace(NamedTuple):
    """What :func:`running_average_demo` recorded, one row per training batch (``(n_batches, d)``)."""

    batch_mean: np.ndarray  #: :math:`\mu` of each batch
    batch_var: np.ndarray  #: biased :math:`\sigma^2` of each batch
    running_mean: np.ndarray  #: :math:`\hat\mu` after each batch
    running_var: np.ndarray  #: :math:`\hat\sigma^2` after each batch
    population_mean: float  #: the mean the batches are drawn around (``shift``)
    population_var: float  #: the variance they are drawn with (``scale**2``)
    probe: np.ndarray  #: (d,) one fixed example
    probe_train: np.ndarray  #: (n_batches, d) its training-mode output in place of each batch's first example
    probe_inference: np.ndarray  #: (n_batches, d) its inference-mode output with the running stats so far


def running_average_demo(n_batches: int = 100, m: int = 16, d: int = 1, *, shift: float = 3.0,
                         scale: float = 2.0, skew: float = 0.0, momentum: float = 0.1, unbiased: bool = True,
                         eps: float = DEFAULT_EPS, seed: int = 0) -> RunningTrace:
    """Stream seeded batches through a BatchNorm layer (gamma=1, beta=0) in training mode.

    Records the batch statistics, the running averages converging towards the population's, and one fixed
    example (the population mean plus one standard deviation, so its ideal output is about 1) normalized two
    ways: in training mode, swapped in for the first example of each batch (its output jitters with its
    batch-mates), and in inference mode with the running averages so far (it settles as they converge). The
    running averages are fed the random batches themselves, without the probe.
    """
    if int(m) < 2:
        raise ValueError(f"m must be at least 2 for a batch variance, got {m}")
    if int(n_batches) < 1:
        raise ValueError(f"n_batches must be at least 1, got {n_batches}")
    stats = init_running_stats(d)
    probe = np.full(d, shift + scale)
    rows = {k: np.empty((n_batches, d)) for k in ("bm", "bv", "rm", "rv", "pt", "pi")}
    seeds = np.random.SeedSequence(seed).spawn(n_batches)
    for k in range(n_batches):
        x = make_activations(m, d, shift=shift, scale=scale, skew=skew, seed=seeds[k])
        _, cache = batchnorm_forward(x, eps=eps)
        stats = update_running_stats(stats, cache, momentum=momentum, unbiased=unbiased)
        rows["pt"][k] = batchnorm_forward(np.vstack([probe, x[1:]]), eps=eps)[0][0]
        rows["bm"][k], rows["bv"][k] = cache.mu, cache.var
        rows["rm"][k], rows["rv"][k] = stats.mean, stats.var
        rows["pi"][k] = batchnorm_inference(probe[None], stats, eps=eps)[0]
    return RunningTrace(rows["bm"], rows["bv"], rows["rm"], rows["rv"], float(shift), float(scale) ** 2,
                        probe, rows["pt"], rows["pi"])
