r"""Toy 2-D datasets and the Batch Normalization learning-rate experiment.

The course notes (lecture 002) claim that batch normalization "allows higher learning rates".
:func:`bn_learning_rate_experiment` puts that to a fair test: the same multi-layer perceptron, from the same
initial weights, trained by plain mini-batch SGD on the same sequence of mini-batches, with and without a
BatchNorm layer before every hidden ReLU, at several learning rates. All runs of one kind train together:
every parameter carries a leading axis with one slice per learning rate, so a step is a few batched matrix
products whatever the number of learning rates.

The network, for an input :math:`x \in \mathbb R^2` and hidden layers :math:`\ell = 1..L`:

.. math::
    a_\ell = h_{\ell-1} W_\ell + b_\ell, \qquad
    h_\ell = \operatorname{relu}(a_\ell) \;\text{(plain)} \quad\text{or}\quad
    h_\ell = \operatorname{relu}(\operatorname{BN}_{\gamma_\ell,\beta_\ell}(a_\ell)) \;\text{(with BN)}, \qquad
    z = h_L w_{out} + b_{out}

and the loss is the mean binary cross-entropy of :math:`p = \sigma(z)` against labels :math:`y \in \{0, 1\}`,
computed stably from the logit: :math:`\ell(z, y) = \max(z, 0) - z y + \log(1 + e^{-|z|})`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import batchnorm as bn


class Dataset(NamedTuple):
    """A labelled 2-D point cloud."""

    X: np.ndarray  #: (n, 2) points
    y: np.ndarray  #: (n,) labels 0.0 or 1.0
    name: str


def two_moons(n: int = 512, *, noise: float = 0.15, seed: int = 0) -> Dataset:
    r"""Two interleaving half circles (as scikit-learn's ``make_moons``), standardized to mean 0, std 1.

    Class 0: :math:`(\cos t, \sin t)`, class 1: :math:`(1 - \cos t, \tfrac12 - \sin t)`, :math:`t \in [0, \pi]`
    evenly spaced, plus Gaussian noise of standard deviation ``noise``; then each coordinate is standardized.
    Half the points (rounded down) are class 0.
    """
    if int(n) < 2:
        raise ValueError(f"n must be at least 2, got {n}")
    rng = np.random.default_rng(seed)
    n0 = n // 2
    t0, t1 = np.linspace(0, np.pi, n0), np.linspace(0, np.pi, n - n0)
    X = np.concatenate([np.stack([np.cos(t0), np.sin(t0)], 1), np.stack([1 - np.cos(t1), 0.5 - np.sin(t1)], 1)])
    X = X + noise * rng.standard_normal(X.shape)
    y = np.concatenate([np.zeros(n0), np.ones(n - n0)])
    order = rng.permutation(n)
    X = (X - X.mean(0)) / X.std(0)
    return Dataset(X[order], y[order], "two moons")


def spirals(n: int = 512, *, turns: float = 1.25, noise: float = 0.08, seed: int = 0) -> Dataset:
    r"""Two interleaved Archimedean spirals, the second the first turned by :math:`\pi`.

    :math:`r = t`, angle :math:`2\pi\,\text{turns}\cdot t + k\pi` for class :math:`k`, :math:`t \in (0.1, 1]`,
    plus Gaussian noise of standard deviation ``noise``; then standardized like :func:`two_moons`.
    """
    if int(n) < 2:
        raise ValueError(f"n must be at least 2, got {n}")
    rng = np.random.default_rng(seed)
    n0 = n // 2
    pts = []
    for k, count in ((0, n0), (1, n - n0)):
        t = np.linspace(0.1, 1.0, count)
        ang = 2 * np.pi * turns * t + k * np.pi
        pts.append(np.stack([t * np.cos(ang), t * np.sin(ang)], 1))
    X = np.concatenate(pts) + noise * rng.standard_normal((n, 2))
    y = np.concatenate([np.zeros(n0), np.ones(n - n0)])
    order = rng.permutation(n)
    X = (X - X.mean(0)) / X.std(0)
    return Dataset(X[order], y[order], "spirals")


DATASETS = {"two moons": two_moons, "spirals": spirals}
TRAINED_ACCURACY = 0.9  #: a run whose final accuracy reaches this counts as "trained"
STUCK_ACCURACY = 0.6  #: one that ends below this (chance is 0.5) counts as "stuck"


class MLPParams(NamedTuple):
    """Parameters of R networks trained side by side: every array has the run axis first.

    ``W[l]`` is ``(R, fan_in, fan_out)``, ``b[l]``, ``gamma[l]``, ``beta[l]`` are ``(R, fan_out)``. The last
    entry of ``W`` and ``b`` is the output layer (fan_out 1), which has no BatchNorm; ``gamma`` and ``beta``
    have one entry per hidden layer (unused by the plain network).
    """

    W: tuple[np.ndarray, ...]
    b: tuple[np.ndarray, ...]
    gamma: tuple[np.ndarray, ...]
    beta: tuple[np.ndarray, ...]


def init_mlp(sizes: tuple[int, ...], runs: int = 1, *, seed: int = 0) -> MLPParams:
    r"""He-initialised weights :math:`W \sim \mathcal N(0, 2/\text{fan\_in})`, zero biases, :math:`\gamma = 1`,
    :math:`\beta = 0`; the same draw is copied to each of the ``runs`` slices.

    ``sizes`` lists the layer widths from input to output, e.g. ``(2, 32, 32, 32, 1)``.
    """
    rng = np.random.default_rng(seed)
    W = tuple(np.repeat((rng.standard_normal((i, o)) * np.sqrt(2.0 / i))[None], runs, 0)
              for i, o in zip(sizes[:-1], sizes[1:]))
    b = tuple(np.zeros((runs, o)) for o in sizes[1:])
    gamma = tuple(np.ones((runs, o)) for o in sizes[1:-1])
    beta = tuple(np.zeros((runs, o)) for o in sizes[1:-1])
    return MLPParams(W, b, gamma, beta)


def bce_with_logits(z: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    r"""Mean binary cross-entropy over the last axis and its gradient w.r.t. the logits.

    .. math::
        L = \frac1B\sum_i \max(z_i, 0) - z_i y_i + \log(1 + e^{-|z_i|}), \qquad
        \frac{\partial L}{\partial z_i} = \frac{\sigma(z_i) - y_i}{B}
    """
    B = z.shape[-1]
    loss = np.mean(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z))), axis=-1)
    e = np.exp(-np.abs(z))
    p = np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    return loss, (p - y) / B


class MLPCache(NamedTuple):
    inputs: tuple[np.ndarray, ...]  #: input of each linear layer, (R, B, fan_in)
    pre: tuple[np.ndarray, ...]  #: what each ReLU received, (R, B, fan_out)
    bn: tuple[bn.BatchNormCache | None, ...]


def mlp_forward(params: MLPParams, X: np.ndarray, *, use_bn: bool, running: tuple | None = None,
                eps: float = bn.DEFAULT_EPS) -> tuple[np.ndarray, MLPCache]:
    """Logits ``(R, B)`` of every run for the inputs ``X`` ``(B, 2)`` (or ``(R, B, 2)``).

    With ``use_bn``, hidden layers normalize with the batch's statistics (training mode) unless ``running``
    (one :class:`~nets.batchnorm.RunningStats` per hidden layer) is given (inference mode).
    """
    h = np.broadcast_to(X, (params.W[0].shape[0],) + X.shape[-2:])
    inputs, pre, caches = [], [], []
    for l, (W, b) in enumerate(zip(params.W[:-1], params.b[:-1])):
        inputs.append(h)
        a = h @ W + b[:, None, :]
        cache = None
        if use_bn and running is None:
            a, cache = bn.batchnorm_forward(a, params.gamma[l], params.beta[l], eps=eps)
        elif use_bn:
            a = bn.batchnorm_inference(a, running[l], params.gamma[l], params.beta[l], eps=eps)
        pre.append(a)
        caches.append(cache)
        h = np.maximum(a, 0.0)
    inputs.append(h)
    z = (h @ params.W[-1])[..., 0] + params.b[-1]
    return z, MLPCache(tuple(inputs), tuple(pre), tuple(caches))


def mlp_backward(params: MLPParams, cache: MLPCache, dz: np.ndarray, *, use_bn: bool) -> MLPParams:
    """Gradients of the loss w.r.t. every parameter, given dL/dz ``(R, B)``; shaped like ``params``."""
    dW, db, dgamma, dbeta = [], [], [], []
    dh = dz[..., None]
    dW.append(np.swapaxes(cache.inputs[-1], 1, 2) @ dh)
    db.append(dz.sum(-1, keepdims=True))
    dh = dh @ np.swapaxes(params.W[-1], 1, 2)
    for l in range(len(params.W) - 2, -1, -1):
        da = dh * (cache.pre[l] > 0)
        if use_bn:
            g = bn.batchnorm_backward(da, cache.bn[l])
            dgamma.append(g.dgamma)
            dbeta.append(g.dbeta)
            da = g.dx
        dW.append(np.swapaxes(cache.inputs[l], 1, 2) @ da)
        db.append(da.sum(1))
        if l > 0:
            dh = da @ np.swapaxes(params.W[l], 1, 2)
    zeros = tuple(np.zeros_like(g) for g in params.gamma)
    return MLPParams(tuple(dW[::-1]), tuple(db[::-1]),
                     tuple(dgamma[::-1]) if use_bn else zeros, tuple(dbeta[::-1]) if use_bn else zeros)


class TrainingCurves(NamedTuple):
    """One kind of network (plain or with BN) trained at each of R learning rates."""

    loss: np.ndarray  #: (R, steps) mini-batch training loss at each step; NaN after the run diverged
    eval_steps: np.ndarray  #: (E,) steps after which the whole dataset was evaluated
    eval_loss: np.ndarray  #: (R, E) loss on the whole dataset (BN in inference mode, running statistics)
    #: (R,) final accuracy on the whole dataset (inference mode); an overflowed network's outputs are not
    #: numbers, it then answers "class 0" everywhere, and its accuracy is that answer's (about chance)
    accuracy: np.ndarray
    diverged_at: np.ndarray  #: (R,) first step whose loss or parameters were not finite, -1 if none
    final_loss: np.ndarray  #: (R,) mean mini-batch loss over the last 10% of steps; +inf if diverged
    #: per run: "diverged" (overflowed), "trained" (final accuracy >= 0.9), "stuck" (below 0.6, about chance
    #: on the balanced datasets), "slow" (in between: learning, not there yet)
    outcome: tuple[str, ...]


class LRExperiment(NamedTuple):
    """The result of :func:`bn_learning_rate_experiment`."""

    learning_rates: np.ndarray  #: (R,)
    plain: TrainingCurves
    bn: TrainingCurves
    data: Dataset
    sizes: tuple[int, ...]
    batch_size: int
    steps: int


def _train(params: MLPParams, data: Dataset, lrs: np.ndarray, batches: np.ndarray, *, use_bn: bool,
           eval_every: int, momentum: float = 0.1) -> TrainingCurves:
    R, steps = len(lrs), len(batches)
    lr = lrs[:, None]
    loss = np.full((R, steps), np.nan)
    diverged_at = np.full(R, -1)
    alive = np.ones(R, dtype=bool)
    running = tuple(bn.init_running_stats((R, g.shape[1])) for g in params.gamma)
    eval_steps = np.arange(eval_every, steps + 1, eval_every)
    eval_loss = np.full((R, len(eval_steps)), np.nan)
    flat = list(params.W) + list(params.b) + list(params.gamma) + list(params.beta)
    n_w, n_b, n_g = len(params.W), len(params.b), len(params.gamma)

    def pack(ps):
        return MLPParams(tuple(ps[:n_w]), tuple(ps[n_w:n_w + n_b]), tuple(ps[n_w + n_b:n_w + n_b + n_g]),
                         tuple(ps[n_w + n_b + n_g:]))

    def evaluate(ps, running):
        z, _ = mlp_forward(pack(ps), data.X, use_bn=use_bn, running=running if use_bn else None)
        return z, bce_with_logits(z, data.y)[0]

    e = 0
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for t, idx in enumerate(batches):
            z, cache = mlp_forward(pack(flat), data.X[idx], use_bn=use_bn)
            L, dz = bce_with_logits(z, data.y[idx])
            grads = mlp_backward(pack(flat), cache, dz, use_bn=use_bn)
            if use_bn:
                running = tuple(bn.update_running_stats(r, c, momentum=momentum) for r, c in zip(running, cache.bn))
            gflat = list(grads.W) + list(grads.b) + list(grads.gamma) + list(grads.beta)
            for k, (p, g) in enumerate(zip(flat, gflat)):
                flat[k] = p - (lr if p.ndim == 2 else lr[..., None]) * g
            finite = np.isfinite(L)
            for p in flat:
                finite &= np.isfinite(p).reshape(R, -1).all(1)
            newly = alive & ~finite
            diverged_at[newly] = t
            alive &= finite
            loss[alive, t] = L[alive]
            if e < len(eval_steps) and t + 1 == eval_steps[e]:
                eval_loss[alive, e] = evaluate(flat, running)[1][alive]
                e += 1
        z, _ = evaluate(flat, running)
    accuracy = np.mean((z > 0) == (data.y > 0.5), axis=-1)  # NaN > 0 is False: an overflowed net says "0"
    tail = max(1, steps // 10)
    final_loss = np.full(R, np.inf)
    final_loss[alive] = np.mean(loss[alive, -tail:], axis=1)
    outcome = tuple("diverged" if not ok else "trained" if acc >= TRAINED_ACCURACY
                    else "stuck" if acc < STUCK_ACCURACY else "slow" for ok, acc in zip(alive, accuracy))
    return TrainingCurves(loss, eval_steps, eval_loss, accuracy, diverged_at, final_loss, outcome)


def bn_learning_rate_experiment(learning_rates=(0.01, 0.1, 1.0, 3.0, 10.0), *, dataset: str = "two moons",
                                n: int = 512, hidden: tuple[int, ...] = (32, 32, 32, 32), batch_size: int = 32,
                                steps: int = 600, eval_every: int = 20, seed: int = 0) -> LRExperiment:
    r"""Train the same MLP with and without BatchNorm at each learning rate by plain mini-batch SGD.

    .. math::
        \theta_{t+1} = \theta_t - \eta\, \nabla_\theta L_{B_t}(\theta_t)

    Fair by construction: both kinds start from the same He-initialised weights (BN adds :math:`\gamma = 1,
    \beta = 0`), see the same seeded sequence of mini-batches :math:`B_t`, and use no momentum, no weight
    decay, no gradient clipping and no learning-rate schedule. A run counts as diverged at the first step
    whose loss or parameters overflow; its curve is NaN from there.

    What the defaults (two moons, 4 hidden layers of 32, batch 32, 600 steps, seed 0) show, with
    ``learning_rates=(0.01, 0.1, 1, 3, 10)``: without BN the network trains at 0.01 (slowly: 91% accuracy),
    0.1 and 1; at 3 its loss shoots up to about 1e35 within five steps, after which every ReLU of the last
    hidden layer is dead and it predicts one class (50%); at 10 it overflows at step 8. With BN it trains at
    0.01 to 3 (98.6% to 99.2%) and is ahead at 0.01, but at 10 it fails too, at chance, though without
    overflowing. So BN widened the usable range by about half a decade here, not without limit. Seeds 1 to 3
    tell the same story: with BN, 0.01 to 3 train and 10 does not (stuck, or 70% for seed 2); without BN,
    0.1 always trains, 3 is always stuck, 10 always overflows, 1 trains or not depending on the seed (seed 2
    overflows, seed 3 is stuck), and 0.01 is slow for seeds 1 and 3 (87% to 90% after 600 steps).

    Args:
        learning_rates: :math:`\eta` values, > 0.
        dataset: ``"two moons"`` or ``"spirals"``.
        n: dataset size.
        hidden: widths of the hidden layers.
        batch_size: mini-batch size (>= 2, BN needs a batch variance).
        steps: SGD steps.
        eval_every: evaluate the whole dataset every this many steps.
        seed: seeds the dataset, the initial weights and the batch order.
    """
    lrs = np.asarray(learning_rates, dtype=float).ravel()
    if lrs.size == 0 or not np.all(np.isfinite(lrs) & (lrs > 0)):
        raise ValueError(f"learning_rates must be positive numbers, got {learning_rates!r}")
    if dataset not in DATASETS:
        raise ValueError(f"dataset must be one of {', '.join(map(repr, DATASETS))}; got {dataset!r}")
    if not 2 <= batch_size <= n:
        raise ValueError(f"batch_size must be between 2 and n={n}, got {batch_size}")
    if steps < 1 or eval_every < 1:
        raise ValueError("steps and eval_every must be at least 1")
    seeds = np.random.SeedSequence(seed).spawn(3)
    data = DATASETS[dataset](n, seed=seeds[0])
    sizes = (2, *hidden, 1)
    params = init_mlp(sizes, len(lrs), seed=seeds[1])
    rng = np.random.default_rng(seeds[2])
    per_epoch = n // batch_size
    epochs = -(-steps // per_epoch)
    batches = np.concatenate([rng.permutation(n)[:per_epoch * batch_size].reshape(per_epoch, batch_size)
                              for _ in range(epochs)])[:steps]
    plain = _train(params, data, lrs, batches, use_bn=False, eval_every=eval_every)
    with_bn = _train(params, data, lrs, batches, use_bn=True, eval_every=eval_every)
    return LRExperiment(lrs, plain, with_bn, data, sizes, batch_size, steps)
