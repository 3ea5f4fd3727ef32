r"""The activation functions of the notes (Keras's list), each with its derivative, and softmax.

Every :class:`Activation` maps an array elementwise; ``f`` and ``df`` broadcast over any shape. Softmax maps
a whole vector of logits to probabilities (:func:`softmax`, :func:`softmax_jacobian`).

Where the derivative is tiny the gradient *vanishes*: a unit whose input lands there barely learns.
:func:`vanishing` marks :math:`|f'(x)| < \tau` (default :math:`\tau = 0.01`).

Hard sigmoid comes in two conventions, a named option: Keras 2's :math:`\operatorname{clip}(0.2x + 0.5, 0, 1)`
and PyTorch's (and Keras 3's) :math:`\operatorname{clip}(x/6 + 1/2, 0, 1)`.
"""

from __future__ import annotations

from typing import Callable, NamedTuple

import numpy as np

SELU_ALPHA = 1.6732632423543772848170429916717  #: Klambauer et al. (2017)
SELU_SCALE = 1.0507009873554804934193349852946
VANISH = 0.01  #: |f'(x)| below this counts as a vanishing gradient
HARD_SIGMOID_SLOPES = {"keras2": 0.2, "pytorch": 1.0 / 6.0}


class Activation(NamedTuple):
    name: str
    latex: str  #: f(x)
    dlatex: str  #: f'(x)
    f: Callable[[np.ndarray], np.ndarray]
    df: Callable[[np.ndarray], np.ndarray]
    range_text: str  #: the output range


def _sigmoid(x):
    x = np.asarray(x, float)
    e = np.exp(-np.abs(x))  # never overflows
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _softplus(x):
    x = np.asarray(x, float)
    return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))


def _elu(x, alpha=1.0):
    x = np.asarray(x, float)
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0.0)))


def _delu(x, alpha=1.0):
    x = np.asarray(x, float)
    return np.where(x > 0, 1.0, alpha * np.exp(np.minimum(x, 0.0)))


def activations(hard_sigmoid: str = "pytorch") -> dict[str, Activation]:
    """The activations keyed by their Keras names; ``hard_sigmoid`` picks its slope (``"keras2"`` 0.2 or
    ``"pytorch"`` 1/6)."""
    if hard_sigmoid not in HARD_SIGMOID_SLOPES:
        raise ValueError(f"hard_sigmoid must be one of {', '.join(HARD_SIGMOID_SLOPES)}")
    a = HARD_SIGMOID_SLOPES[hard_sigmoid]
    a_tex = "0.2" if hard_sigmoid == "keras2" else r"\tfrac16"
    return {
        "relu": Activation("ReLU", r"\max(0, x)", r"\begin{cases}1 & x > 0\\ 0 & x < 0\end{cases}",
                           lambda x: np.maximum(0.0, x), lambda x: (np.asarray(x) > 0).astype(float), "[0, ∞)"),
        "sigmoid": Activation("sigmoid", r"\sigma(x) = \frac{1}{1 + e^{-x}}", r"\sigma(x)\,(1 - \sigma(x))",
                              _sigmoid, lambda x: _sigmoid(x) * (1.0 - _sigmoid(x)), "(0, 1)"),
        "tanh": Activation("tanh", r"\tanh x = \frac{e^x - e^{-x}}{e^x + e^{-x}}", r"1 - \tanh^2 x",
                           np.tanh, lambda x: 1.0 - np.tanh(x) ** 2, "(−1, 1)"),
        "elu": Activation("ELU (α = 1)", r"\begin{cases}x & x > 0\\ \alpha(e^x - 1) & x \le 0\end{cases}",
                          r"\begin{cases}1 & x > 0\\ \alpha e^x & x \le 0\end{cases}", _elu, _delu, "(−α, ∞)"),
        "selu": Activation("SELU", r"\lambda\begin{cases}x & x > 0\\ \alpha(e^x - 1) & x \le 0\end{cases},\ "
                                   r"\lambda \approx 1.0507,\ \alpha \approx 1.6733",
                           r"\lambda\begin{cases}1 & x > 0\\ \alpha e^x & x \le 0\end{cases}",
                           lambda x: SELU_SCALE * _elu(x, SELU_ALPHA), lambda x: SELU_SCALE * _delu(x, SELU_ALPHA),
                           "(−λα, ∞) ≈ (−1.758, ∞)"),
        "softplus": Activation("softplus", r"\ln(1 + e^x)", r"\sigma(x) = \frac{1}{1 + e^{-x}}", _softplus, _sigmoid,
                               "(0, ∞)"),
        "softsign": Activation("softsign", r"\frac{x}{1 + |x|}", r"\frac{1}{(1 + |x|)^2}",
                               lambda x: np.asarray(x, float) / (1.0 + np.abs(x)),
                               lambda x: 1.0 / (1.0 + np.abs(np.asarray(x, float))) ** 2, "(−1, 1)"),
        "hard_sigmoid": Activation(
            "hard sigmoid", rf"\operatorname{{clip}}({a_tex}\,x + \tfrac12,\ 0,\ 1)",
            rf"\begin{{cases}}{a_tex} & |x| < {'2.5' if hard_sigmoid == 'keras2' else '3'}\\ 0 & \text{{otherwise}}"
            r"\end{cases}",
            lambda x: np.clip(a * np.asarray(x, float) + 0.5, 0.0, 1.0),
            lambda x: np.where(np.abs(a * np.asarray(x, float)) < 0.5, a, 0.0), "[0, 1]"),
        "exponential": Activation("exponential", r"e^x", r"e^x", np.exp, np.exp, "(0, ∞)"),
        "linear": Activation("linear", r"x", r"1", lambda x: np.asarray(x, float) * 1.0,
                             lambda x: np.ones_like(np.asarray(x, float)), "(−∞, ∞)"),
    }


def vanishing(df_values, tau: float = VANISH) -> np.ndarray:
    """Where the derivative's magnitude is below ``tau``: the gradient barely passes."""
    return np.abs(np.asarray(df_values, float)) < tau


def softmax(z, axis: int = -1) -> np.ndarray:
    r""":math:`\operatorname{softmax}(z)_i = e^{z_i} / \sum_j e^{z_j}`, computed as
    :math:`e^{z_i - \max z} / \sum_j e^{z_j - \max z}` (the same value, no overflow)."""
    z = np.asarray(z, float)
    e = np.exp(z - np.max(z, axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def softmax_jacobian(z) -> np.ndarray:
    r""":math:`\partial p_i/\partial z_j = p_i(\delta_{ij} - p_j)` for one vector of logits."""
    p = softmax(z)
    return np.diag(p) - np.outer(p, p)
