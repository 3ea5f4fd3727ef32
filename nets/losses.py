r"""Loss functions of the notes (Keras's list), each with its derivative, for regression and classification.

Every loss is a mean (or a sum) of one term per example. A :class:`Loss` keeps that term
:math:`\ell(y, \hat y)` and its derivative :math:`\partial\ell/\partial\hat y`, so a page can draw the term
against the residual, the margin or the predicted probability and print the arithmetic example by example.

Regression, residual :math:`r = y - \hat y`:

.. math::
    \text{MSE} = \tfrac1n\sum r_i^2, \quad \text{MAE} = \tfrac1n\sum |r_i|, \quad
    \text{MAPE} = \tfrac{100}{n}\sum \left|\tfrac{r_i}{y_i}\right|, \quad
    \text{MSLE} = \tfrac1n\sum \big(\ln(1 + \hat y_i) - \ln(1 + y_i)\big)^2, \\
    L_1 = \sum |r_i|, \quad L_2 = \sum r_i^2, \quad
    \text{Huber}_\delta = \tfrac1n\sum \begin{cases} \tfrac12 r_i^2 & |r_i| \le \delta \\
    \delta\,(|r_i| - \tfrac12\delta) & \text{otherwise} \end{cases}

Classification: binary cross-entropy on a probability :math:`p` of class 1 and a label :math:`y \in \{0, 1\}`,
:math:`-\big(y\ln p + (1-y)\ln(1-p)\big)`; hinge :math:`\max(0, 1 - y s)` and squared hinge
:math:`\max(0, 1 - y s)^2` on a score :math:`s` and a label :math:`y \in \{-1, 1\}`; categorical
cross-entropy :math:`-\sum_k y_k \ln p_k` on one-hot labels, sparse categorical cross-entropy
:math:`-\ln p_{c}` on the class index :math:`c` (the same number); categorical hinge
:math:`\max(0, 1 + \max_{k \ne c} s_k - s_c)`. Classification losses are means over the examples.

As in Keras, probabilities are clipped to :math:`[\epsilon, 1 - \epsilon]` with :math:`\epsilon = 10^{-7}`
before the logarithm, so a confident wrong answer costs about 16.1, not infinity.

Two slips of the notes are kept as functions, to show what they do: :func:`huber_notes` (their printed
formula, without the absolute value, negative for large negative residuals) and :func:`hinge_notes` (their
code, ``np.max(0, 1 - yHat * y)``, which raises an error: ``np.max``'s second argument is the axis).
"""

from __future__ import annotations

from typing import Callable, NamedTuple

import numpy as np

EPS = 1e-7  #: Keras's clipping of probabilities before a logarithm


class Loss(NamedTuple):
    """One loss: its per-example term, the term's derivative with respect to the prediction, and how the
    terms are combined (``mean`` or ``sum``, times ``scale``)."""

    name: str
    latex: str  #: the whole loss, in LaTeX
    term: Callable[[np.ndarray, np.ndarray], np.ndarray]  #: (y, prediction) -> per-example term
    dterm: Callable[[np.ndarray, np.ndarray], np.ndarray]  #: derivative of the term with respect to prediction
    reduce: str = "mean"  #: "mean" or "sum"
    scale: float = 1.0  #: MAPE's 100 %

    def value(self, y, pred) -> float:
        """The loss of a batch: the terms' mean (or sum), times ``scale``."""
        t = self.term(np.asarray(y, float), np.asarray(pred, float))
        return float(self.scale * (t.mean() if self.reduce == "mean" else t.sum()))

    def grad(self, y, pred) -> np.ndarray:
        """The loss's gradient with respect to every prediction."""
        y, pred = np.asarray(y, float), np.asarray(pred, float)
        d = self.dterm(y, pred) * self.scale
        return d / len(d) if self.reduce == "mean" else d


# -- regression ---------------------------------------------------------------------------------------------------

def huber_term(r, delta: float = 1.0) -> np.ndarray:
    r"""Huber's term of a residual :math:`r`: :math:`\tfrac12 r^2` for :math:`|r| \le \delta`, else
    :math:`\delta(|r| - \tfrac12\delta)`. Quadratic near 0, linear beyond :math:`\delta`, continuous with a
    continuous slope at :math:`\pm\delta`."""
    delta = check_delta(delta)
    a = np.abs(r)
    return np.where(a <= delta, 0.5 * a * a, delta * (a - 0.5 * delta))


def huber_dterm(r, delta: float = 1.0) -> np.ndarray:
    r""":math:`d/dr` of :func:`huber_term`: :math:`r` inside :math:`[-\delta, \delta]`, :math:`\pm\delta` outside."""
    return np.clip(r, -check_delta(delta), check_delta(delta))


def huber_notes(r, delta: float = 1.0) -> np.ndarray:
    r"""The notes' printed Huber formula, :math:`\delta(r - \tfrac12\delta)` outside :math:`|r| < \delta`: no
    absolute value, so a residual of :math:`-3` with :math:`\delta = 1` gives :math:`-3.5`, a negative loss.
    (The notes' code has the ``np.abs`` and is right.)"""
    r = np.asarray(r, float)
    delta = check_delta(delta)
    return np.where(np.abs(r) < delta, 0.5 * r * r, delta * (r - 0.5 * delta))


def check_delta(delta: float) -> float:
    delta = float(delta)
    if not (np.isfinite(delta) and delta > 0):
        raise ValueError(f"Huber's δ must be a number > 0, got {delta:g}")
    return delta


def regression_losses(delta: float = 1.0) -> dict[str, Loss]:
    """The regression losses, keyed by Keras-like names; Huber with threshold ``delta``."""
    delta = check_delta(delta)

    def msle_term(y, p):
        return (np.log1p(p) - np.log1p(y)) ** 2

    def msle_dterm(y, p):
        return 2.0 * (np.log1p(p) - np.log1p(y)) / (1.0 + p)

    return {
        "mse": Loss("MSE", r"\frac1n\sum_i (y_i - \hat y_i)^2", lambda y, p: (y - p) ** 2,
                    lambda y, p: 2.0 * (p - y)),
        "mae": Loss("MAE", r"\frac1n\sum_i |y_i - \hat y_i|", lambda y, p: np.abs(y - p),
                    lambda y, p: np.sign(p - y)),
        "mape": Loss("MAPE", r"\frac{100\%}{n}\sum_i \left|\frac{y_i - \hat y_i}{y_i}\right|",
                     lambda y, p: np.abs((y - p) / y), lambda y, p: np.sign(p - y) / np.abs(y), scale=100.0),
        "msle": Loss("MSLE", r"\frac1n\sum_i \big(\ln(1 + \hat y_i) - \ln(1 + y_i)\big)^2", msle_term, msle_dterm),
        "l1": Loss("L1 (sum)", r"\sum_i |y_i - \hat y_i|", lambda y, p: np.abs(y - p),
                   lambda y, p: np.sign(p - y), reduce="sum"),
        "l2": Loss("L2 (sum)", r"\sum_i (y_i - \hat y_i)^2", lambda y, p: (y - p) ** 2,
                   lambda y, p: 2.0 * (p - y), reduce="sum"),
        "huber": Loss(f"Huber (δ = {delta:g})",
                      r"\frac1n\sum_i \begin{cases}\tfrac12 r_i^2 & |r_i| \le \delta\\ \delta(|r_i| - \tfrac12\delta)"
                      r" & \text{otherwise}\end{cases}",
                      lambda y, p: huber_term(y - p, delta), lambda y, p: -huber_dterm(y - p, delta)),
    }


def _paired(a, b, first: str, second: str, seconds: str):
    """Two flat float arrays of one non-zero length; ValueError naming the two kinds otherwise."""
    a, b = np.asarray(a, float).ravel(), np.asarray(b, float).ravel()
    if a.size == 0:
        raise ValueError(f"type at least one {first} and one {second}")
    if a.shape != b.shape:
        raise ValueError(f"{a.size} {first}s but {b.size} {seconds}: give one {second} per {first}")
    return a, b


def check_regression(y, pred, *, needs_nonzero_y: bool = False, needs_above_minus_one: bool = False):
    """Targets and predictions as float arrays of one length; ValueError with a reason otherwise."""
    y, pred = _paired(y, pred, "target", "prediction", "predictions")
    if needs_nonzero_y and np.any(y == 0):
        raise ValueError("MAPE divides by every target y_i, and a target is 0")
    if needs_above_minus_one and (np.any(y <= -1) or np.any(pred <= -1)):
        raise ValueError("MSLE takes ln(1 + value), which needs every target and prediction above −1")
    return y, pred


# -- classification -----------------------------------------------------------------------------------------------

def _clip(p):
    return np.clip(p, EPS, 1.0 - EPS)


def binary_crossentropy_term(y, p) -> np.ndarray:
    r""":math:`-\big(y\ln p + (1-y)\ln(1-p)\big)`, with :math:`p` clipped to :math:`[\epsilon, 1-\epsilon]`."""
    p = _clip(np.asarray(p, float))
    return -(y * np.log(p) + (1.0 - y) * np.log1p(-p))


def binary_crossentropy_dterm(y, p) -> np.ndarray:
    r""":math:`\partial/\partial p = (p - y)/\big(p(1-p)\big)` (at the clipped :math:`p`)."""
    p = _clip(np.asarray(p, float))
    return (p - y) / (p * (1.0 - p))


def hinge_term(y, s) -> np.ndarray:
    """``max(0, 1 - y*s)`` for labels -1/+1 and scores s: ``np.maximum``, elementwise."""
    return np.maximum(0.0, 1.0 - y * s)


def hinge_dterm(y, s) -> np.ndarray:
    """The hinge's (sub)gradient with respect to the score: -y where the margin y*s is below 1, else 0."""
    return np.where(y * s < 1.0, -y, 0.0)


def squared_hinge_term(y, s) -> np.ndarray:
    return np.maximum(0.0, 1.0 - y * s) ** 2


def squared_hinge_dterm(y, s) -> np.ndarray:
    return -2.0 * y * np.maximum(0.0, 1.0 - y * s)


def hinge_notes(y_hat, y):
    """The notes' hinge code, run as printed: ``np.max(0, 1 - yHat * y)``. It raises (``np.max`` reads its
    second argument as the axis); ``np.maximum`` is the elementwise maximum the formula means."""
    return np.max(0, 1 - np.asarray(y_hat, float) * np.asarray(y, float))


def one_hot(labels, k: int) -> np.ndarray:
    return (np.asarray(labels)[:, None] == np.arange(k)).astype(float)


def categorical_crossentropy_terms(onehot, probs) -> np.ndarray:
    r"""Per example :math:`-\sum_k y_k \ln p_k` (probabilities clipped)."""
    return -np.sum(onehot * np.log(_clip(np.asarray(probs, float))), axis=-1)


def sparse_categorical_crossentropy_terms(labels, probs) -> np.ndarray:
    r"""Per example :math:`-\ln p_{c}`: the same numbers as the categorical form with one-hot labels."""
    probs = np.asarray(probs, float)
    return -np.log(_clip(np.take_along_axis(probs, np.asarray(labels)[:, None], axis=-1)[:, 0]))


def categorical_crossentropy_grad(onehot, probs) -> np.ndarray:
    r""":math:`\partial/\partial p_k` of the mean loss: :math:`-y_k / (n\,p_k)`."""
    probs = _clip(np.asarray(probs, float))
    return -onehot / probs / probs.shape[0]


def categorical_hinge_terms(onehot, scores) -> np.ndarray:
    r"""Keras's categorical hinge per example: :math:`\max(0, 1 + \max_{k\ne c} s_k - s_c)`."""
    scores = np.asarray(scores, float)
    pos = np.sum(onehot * scores, axis=-1)
    neg = np.max(np.where(onehot > 0, -np.inf, scores), axis=-1)
    return np.maximum(0.0, 1.0 + neg - pos)


def categorical_hinge_grad(onehot, scores) -> np.ndarray:
    r"""The mean categorical hinge's (sub)gradient: where the term is positive, :math:`-1` at the true
    class and :math:`+1` at the strongest other class, over :math:`n`."""
    scores = np.asarray(scores, float)
    others = np.where(onehot > 0, -np.inf, scores)
    rival = one_hot(np.argmax(others, axis=-1), scores.shape[-1])
    active = (categorical_hinge_terms(onehot, scores) > 0)[:, None]
    return active * (rival - onehot) / scores.shape[0]


def check_binary(y, p):
    """Labels 0/1 and probabilities in [0, 1], one per label."""
    y, p = _paired(y, p, "label", "probability", "probabilities")
    if not np.all((y == 0) | (y == 1)):
        raise ValueError("binary labels must be 0 or 1")
    if np.any((p < 0) | (p > 1)):
        raise ValueError("a predicted probability is outside [0, 1]")
    return y, p


def check_margin(y, s):
    """Labels -1/+1 and any scores, one per label."""
    y, s = _paired(y, s, "label", "score", "scores")
    if not np.all((y == -1) | (y == 1)):
        raise ValueError("hinge labels must be −1 or 1")
    return y, s


def check_categorical(labels, probs):
    """Class indices ``(n,)`` and a probability matrix ``(n, k)`` whose rows sum to 1 (to 1e-6)."""
    labels, probs = np.asarray(labels, float).ravel(), np.atleast_2d(np.asarray(probs, float))
    if labels.size == 0 or probs.size == 0:
        raise ValueError("type at least one label and one row of probabilities")
    if probs.shape[0] != labels.size:
        raise ValueError(f"{labels.size} labels but {probs.shape[0]} rows of probabilities: one row per example")
    if probs.shape[1] < 2:
        raise ValueError("each row needs a probability for at least 2 classes")
    if not np.all((labels == np.round(labels)) & (labels >= 0) & (labels < probs.shape[1])):
        raise ValueError(f"labels must be class numbers 0 to {probs.shape[1] - 1}")
    if np.any((probs < 0) | (probs > 1)):
        raise ValueError("a predicted probability is outside [0, 1]")
    sums = probs.sum(axis=1)
    bad = np.flatnonzero(np.abs(sums - 1.0) > 1e-6)
    if bad.size:
        raise ValueError(f"row {bad[0] + 1} of the probabilities sums to {sums[bad[0]]:.6g}, not 1")
    return labels.astype(int), probs
