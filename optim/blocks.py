r"""The building blocks update rules are composed of, each one line of a formula.

Every block is a pure function of arrays by default; given ``out=`` it writes there instead (``out`` may be
the input accumulator itself), so the run loop updates its state in place with no allocation per step. The
operations and their order are the same either way, so both give the same numbers to the last bit.

    accumulate(acc, x, decay, coeff)     acc ← decay·acc + coeff·x      (momentum's velocity, Adagrad's sum)
    moving_average(avg, x, decay(β))     avg ← β·avg + (1 − β)·x
    squared(g)                           g ⊙ g
    rms(s, eps, eps_in_sqrt)             √(s + ε)       or   √s + ε      (correction=c: of s / c)
    inverse_rms(s, eps, eps_in_sqrt)     1 / √(s + ε)   or   1 / (√s + ε)
    scale_by_rms(g, s, lr, eps, ...)     −η g / √(s + ε)    (the adaptive step of Adagrad and RMSProp)
    scaled(x, c)                         c·x            (the learning-rate scale, bias correction)
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


def accumulate(acc, x, decay, coeff=1.0, *, out=None, tmp=None):
    """``decay * acc + coeff * x`` (``decay = 1``: a running sum; ``coeff = 1``: the new value as it is).

    ``tmp`` is a scratch buffer for ``coeff * x``; it is not needed when ``coeff`` is 1.
    """
    base = acc if type(decay) is float and decay == 1.0 else np.multiply(acc, decay, out=out)
    term = x if type(coeff) is float and coeff == 1.0 else np.multiply(x, coeff, out=tmp)
    return np.add(base, term, out=out)


class Decay(NamedTuple):
    """A decay rate β and its complement 1 − β, computed once (β may be an array: one per cell of a grid)."""

    rate: float | np.ndarray
    complement: float | np.ndarray


def decay(beta) -> Decay:
    return Decay(beta, 1.0 - beta)


def moving_average(avg, x, d: Decay, *, out=None, tmp=None):
    """The exponential moving average ``β * avg + (1 - β) * x`` with ``d = decay(β)``."""
    return accumulate(avg, x, d.rate, d.complement, out=out, tmp=tmp)


def squared(g, *, out=None):
    """``g ⊙ g``, per coordinate."""
    return np.multiply(g, g, out=out)


def rms(mean_sq, eps, eps_in_sqrt: bool, *, out=None, correction=None):
    """``sqrt(mean_sq + eps)`` (``eps_in_sqrt``) or ``sqrt(mean_sq) + eps``: a root mean square kept from 0.

    ``correction`` (``1 - beta^t``) first divides the average by it, the bias correction: ``sqrt(mean_sq / c) + eps``,
    computed as ``sqrt(mean_sq) / sqrt(c) + eps`` like PyTorch's Adam (``sqrt(mean_sq / c + eps)`` inside).
    """
    if eps_in_sqrt:
        d = np.multiply(mean_sq, 1.0 / correction, out=out) if correction is not None else mean_sq
        d = np.add(d, eps, out=out)
        return np.sqrt(d, out=d)
    d = np.sqrt(mean_sq, out=out)
    if correction is not None:
        d *= 1.0 / np.sqrt(correction)
    d += eps
    return d


def inverse_rms(mean_sq, eps, eps_in_sqrt: bool, *, out=None):
    """``1 / sqrt(mean_sq + eps)`` (``eps_in_sqrt``) or ``1 / (sqrt(mean_sq) + eps)``."""
    d = rms(mean_sq, eps, eps_in_sqrt, out=out)
    return np.reciprocal(d, out=d)


def scale_by_rms(grads, mean_sq, lr, eps, eps_in_sqrt: bool, *, lr_eff, out=None, diagnostics: bool = True):
    """The adaptive step ``-lr * g / sqrt(mean_sq + eps)`` (or ``/ (sqrt(mean_sq) + eps)``) of Adagrad and RMSProp,
    in PyTorch's order (the root, then one division of ``g``); with ``diagnostics`` the per-coordinate step size
    ``lr / sqrt(...)`` a table shows is written into ``lr_eff`` (which is otherwise scratch space)."""
    d = rms(mean_sq, eps, eps_in_sqrt, out=lr_eff)
    step = np.divide(grads, d, out=out)
    step *= -lr
    if diagnostics:
        np.divide(lr, d, out=lr_eff)
    return step


def scaled(x, c, *, out=None):
    """``c * x``: the learning-rate scale (``c = -lr``), a bias correction (``c = 1 / (1 - beta^t)``)."""
    return np.multiply(x, c, out=out)


def zeros_like(params) -> np.ndarray:
    return np.zeros(np.shape(params), dtype=float)


def outputs(grads, state: tuple, out, fields: tuple[str, ...], *hyper):
    """The arrays an update writes: the caller's ``out = (updates, state)``, or new ones of the broadcast shape
    of the gradient and the hyperparameters (a grid of learning rates widens a single start point's state)."""
    if out is not None:
        return out
    shape = np.broadcast_shapes(np.shape(grads), *(np.shape(h) for h in hyper))
    return np.empty(shape), state._replace(**{f: np.empty(shape) for f in fields})
