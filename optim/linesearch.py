r"""Line searches along a direction, vectorized over a batch of trajectories (conjugate gradients, BFGS).

Given the point :math:`w` (``X``, coordinate-first ``(d, *batch)``), the gradient :math:`g` there and a
direction :math:`d` (``D``), each search returns one step length :math:`\alpha` per trajectory:

* ``"exact"``: :math:`\alpha = -\dfrac{g^\top d}{d^\top H(w)\, d}`, the minimum of f along the line when f is
  quadratic (exact there; on other surfaces the minimum of the local quadratic model along the line). It
  fails where the curvature :math:`d^\top H d` along the line is not positive (no minimum along the line).
* ``"armijo"``: backtracking from a first trial :math:`\alpha_0`, halving until the sufficient decrease
  (Armijo) condition :math:`f(w + \alpha d) \le f(w) + c_1 \alpha\, g^\top d` holds, at most ``MAX_HALVINGS``
  halvings. All trajectories are tried at once; each round evaluates f only at the trajectories still
  searching (a mask, never a Python loop over trajectories). It fails where no trial satisfies the condition.
* ``"wolfe"``: the strong Wolfe conditions, sufficient decrease and
  :math:`|\nabla f(w + \alpha d)^\top d| \le c_2 |g^\top d|`, by bracketing: from :math:`\alpha_0`, a trial
  that breaks sufficient decrease or whose slope is above :math:`c_2 |g^\top d|` (it went past a minimum along
  the line) is a new upper end, one whose slope is below :math:`-c_2 |g^\top d|` (too short) a new lower end; the
  next trial is twice the lower end while there is no upper end, then the secant root of the slope between the
  ends, kept inside the bracket's middle 80 % (Nocedal & Wright, *Numerical Optimization*, sec. 3.5, with a
  safeguarded secant for the interpolation). Vectorized like Armijo's. After
  ``MAX_WOLFE_TRIALS`` trials it takes the lower end if it has one (a sufficient decrease) and fails otherwise.
  Each trial evaluates f and its gradient.

A failed search gives :math:`\alpha = 0` (the trajectory stays put) and ``failed = True``. A zero direction
(a zero gradient) gives :math:`\alpha = 0` without failing.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .base import Objective, choice, positive

LINE_SEARCHES = ("exact", "armijo", "wolfe")


def checked(lr, c1, line_search: str):
    """The settings every line-search method shares, validated: the first trial step ``lr`` > 0, the
    sufficient-decrease constant ``0 < c1 < 1`` and the kind of search; returns ``(lr, c1)``."""
    lr = positive("lr", lr, "first trial step")
    c1 = positive("c1", c1, "sufficient-decrease constant")
    if np.any(np.asarray(c1) >= 1):
        raise ValueError(f"c1 (sufficient-decrease constant) must be below 1, got {c1!r}")
    choice("line_search", line_search, LINE_SEARCHES)
    return lr, c1
MAX_HALVINGS = 40
MAX_WOLFE_TRIALS = 60


class Search(NamedTuple):
    alpha: np.ndarray  #: (*batch) the step length found, 0 where the search failed
    fevals: np.ndarray  #: (*batch) function evaluations the search made (f(w) included), as floats
    failed: np.ndarray  #: (*batch) bool
    gevals: np.ndarray | float = 0.0  #: (*batch) gradient evaluations at trial points (the Wolfe search's)


def dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """:math:`a^\\top b` per trajectory, for coordinate-first ``(d, *batch)`` arrays."""
    return np.einsum("i...,i...->...", a, b)


def matvec(M: np.ndarray, v: np.ndarray) -> np.ndarray:
    """:math:`M v` per trajectory: ``M`` is ``(d, d, *batch)``, ``v`` is ``(d, *batch)``."""
    return np.einsum("ij...,j...->i...", M, v)


def exact(objective: Objective, X: np.ndarray, G: np.ndarray, D: np.ndarray) -> Search:
    r""":math:`\alpha = -g^\top d / (d^\top H(w) d)`; fails where :math:`d^\top H d \le 0` or :math:`g^\top d > 0`."""
    slope = dot(G, D)
    curvature = dot(D, matvec(objective.hess(X), D))
    with np.errstate(divide="ignore", invalid="ignore"):
        alpha = -slope / curvature
    zero = slope == 0
    failed = ~zero & ~((curvature > 0) & (slope < 0) & np.isfinite(alpha))
    alpha = np.where(zero | failed, 0.0, alpha)
    return Search(alpha, np.zeros(np.shape(slope)), failed)


def _flat(objective: Objective, X, G, D, alpha0):
    """What a backtracking search starts from, over the flattened batch: ``d, batch, K``, the point and direction
    ``(d, K)``, the slope :math:`g^\top d`, :math:`f(w)` and the first trials, each ``(K,)``."""
    d, batch = X.shape[0], X.shape[1:]
    K = int(np.prod(batch, dtype=np.int64))
    slope = dot(G, D).reshape(K)
    f0 = np.asarray(objective.value(X), dtype=float).reshape(K)
    alpha = np.array(np.broadcast_to(alpha0, batch), dtype=float).reshape(K)
    return d, batch, K, X.reshape(d, K), D.reshape(d, K), slope, f0, alpha


def armijo(objective: Objective, X: np.ndarray, G: np.ndarray, D: np.ndarray, alpha0, c1,
           max_halvings: int = MAX_HALVINGS) -> Search:
    r"""Backtracking: :math:`\alpha = \alpha_0 / 2^j` for the smallest :math:`j \le` ``max_halvings`` with
    :math:`f(w + \alpha d) \le f(w) + c_1 \alpha\, g^\top d`.

    Args:
        objective: the function (coordinate-first value at least).
        X, G, D: the point :math:`w`, the gradient :math:`g` there and the direction :math:`d`, ``(d, *batch)``.
        alpha0: :math:`\alpha_0` > 0, the first trial, a number or an array shaped like the batch.
        c1: :math:`c_1`, the sufficient-decrease constant, a number or an array broadcasting over the batch.
    """
    d, batch, K, Xf, Df, slope, f0, alpha = _flat(objective, X, G, D, alpha0)
    c1 = np.broadcast_to(c1, batch).reshape(K)
    fevals = np.ones(K)  # f(w)
    accepted = np.zeros(K, dtype=bool)
    todo = np.flatnonzero(slope <= 0)  # an ascent direction has no Armijo step: it fails
    with np.errstate(all="ignore"):
        for _ in range(max_halvings + 1):
            a = alpha[todo]
            trial = np.asarray(objective.value(Xf[:, todo] + a * Df[:, todo]), dtype=float).reshape(-1)
            fevals[todo] += 1
            ok = trial <= f0[todo] + c1[todo] * a * slope[todo]  # NaN or inf at the trial point: not ok
            accepted[todo[ok]] = True
            todo = todo[~ok]
            if not todo.size:
                break
            alpha[todo] *= 0.5
    failed = ~accepted
    alpha[failed] = 0.0
    return Search(alpha.reshape(batch), fevals.reshape(batch), failed.reshape(batch))


def wolfe(objective: Objective, X: np.ndarray, G: np.ndarray, D: np.ndarray, alpha0, c1, c2,
          max_trials: int = MAX_WOLFE_TRIALS) -> Search:
    r"""A step length that satisfies the strong Wolfe conditions (see the module docstring), by bracketing and
    bisection, every trajectory at once.

    Args:
        objective: the function (coordinate-first value and gradient).
        X, G, D: the point :math:`w`, the gradient :math:`g` there and the direction :math:`d`, ``(d, *batch)``.
        alpha0: :math:`\alpha_0` > 0, the first trial, a number or an array shaped like the batch.
        c1, c2: the constants, :math:`0 < c_1 < c_2 < 1`, numbers or arrays broadcasting over the batch.
    """
    d, batch, K, Xf, Df, slope, f0, alpha = _flat(objective, X, G, D, alpha0)
    c1, c2 = np.broadcast_to(c1, batch).reshape(K), np.broadcast_to(c2, batch).reshape(K)
    lo, hi = np.zeros(K), np.full(K, np.inf)
    slope_lo, slope_hi = slope.copy(), np.full(K, np.nan)  # φ' at the bracket's ends
    fevals, gevals = np.ones(K), np.zeros(K)
    accepted = slope == 0  # a zero direction: nothing to search
    alpha[accepted] = 0.0
    todo = np.flatnonzero(slope < 0)  # an ascent direction has no Wolfe step: it fails
    with np.errstate(all="ignore"):
        for _ in range(max_trials):
            a, s0 = alpha[todo], slope[todo]
            P = Xf[:, todo] + a * Df[:, todo]
            trial = np.asarray(objective.value(P), dtype=float).reshape(-1)
            s = dot(np.asarray(objective.grad(P), dtype=float).reshape(d, -1), Df[:, todo])
            fevals[todo] += 1
            gevals[todo] += 1
            decrease = trial <= f0[todo] + c1[todo] * a * s0  # NaN or inf: False
            past = ~decrease | ~(s <= -c2[todo] * s0)  # went past a minimum along the line (or NaN)
            short = ~past & (s < c2[todo] * s0)
            ok = ~past & ~short
            accepted[todo[ok]] = True
            hi[todo[past]], lo[todo[short]] = a[past], a[short]
            slope_hi[todo[past]], slope_lo[todo[short]] = s[past], s[short]
            todo = todo[~ok]
            if not todo.size:
                break
            alpha[todo] = _next_trial(lo[todo], hi[todo], slope_lo[todo], slope_hi[todo])
    fallback = ~accepted & (lo > 0)  # out of trials: the longest sufficient decrease found
    alpha[fallback] = lo[fallback]
    failed = ~accepted & ~fallback
    alpha[failed] = 0.0
    return Search(alpha.reshape(batch), fevals.reshape(batch), failed.reshape(batch), gevals.reshape(batch))


def _next_trial(lo, hi, slope_lo, slope_hi):
    """Twice the lower end while there is no upper end; then the secant root of φ' between the ends, kept in the
    bracket's middle 80 % (the midpoint where the secant is undefined: no slope where the function was not finite)."""
    width = hi - lo
    secant = lo - slope_lo * width / (slope_hi - slope_lo)
    inside = np.clip(secant, lo + 0.1 * width, hi - 0.1 * width)
    inside = np.where(np.isfinite(inside), inside, lo + 0.5 * width)
    return np.where(np.isfinite(hi), inside, 2.0 * lo)


def search(kind: str, objective: Objective, X, G, D, alpha0, c1, c2=0.9) -> Search:
    """The line search ``kind`` (one of ``LINE_SEARCHES``); ``c2`` is the Wolfe search's curvature constant."""
    if kind == "exact":
        return exact(objective, X, G, D)
    if kind == "wolfe":
        return wolfe(objective, X, G, D, alpha0, c1, c2)
    return armijo(objective, X, G, D, alpha0, c1)
