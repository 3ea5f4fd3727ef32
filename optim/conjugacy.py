r"""Why conjugate gradients and BFGS finish a quadratic in n steps, and steepest descent does not.

On :math:`f(w) = \tfrac12 w^\top A w + b^\top w + c` with an exact line search, each step of conjugate gradients
goes along a direction conjugate to the earlier ones (:math:`d_i^\top A d_j = 0`): the line search removes the
error along that direction for good, and after :math:`n` directions (the dimension) nothing is left. BFGS with
the same search makes the same steps, and its :math:`n` pairs :math:`(s_k, y_k = A s_k)` determine :math:`A`, so
its estimate :math:`H_n` equals :math:`A^{-1}`. Steepest descent with the same exact search takes
:math:`d_t = -g_t`; each new gradient is orthogonal to the last direction (:math:`g_{t+1}^\top d_t = 0`), which
is conjugacy only when :math:`A` is a multiple of the identity, so on an elongated bowl it zig-zags.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .base import Objective
from .linesearch import dot, exact, matvec
from .registry import make
from .run import run
from .trajectory import Trajectory


class QuadraticSteps(NamedTuple):
    """What :func:`quadratic_steps` found on one quadratic surface from one start."""

    n: int  #: the dimension: the number of steps CG and BFGS need
    cg: Trajectory  #: conjugate gradients (Polak-Ribière+, exact search), n steps, everything recorded
    bfgs: Trajectory  #: BFGS (exact search), n + 1 steps (the last one is 0: it sits at the minimum)
    steepest: np.ndarray  #: steepest descent with the exact search: ``(steps + 1, d)`` positions
    hessian: np.ndarray  #: A, ``(d, d)``
    inverse_estimate: np.ndarray  #: BFGS's H built from its n steps, ``(d, d)``
    minimum: np.ndarray  #: w* = w_0 - A⁻¹ g(w_0), ``(d,)``
    cg_conjugacy: float  #: d_1ᵀ A d_0 of conjugate gradients' first two directions (0: conjugate)
    steepest_conjugacy: float  #: the same for steepest descent's first two directions

    def distance(self, positions: np.ndarray, k: int) -> float:
        """The distance from the minimum after ``k`` steps of a path ``(steps + 1, d)``."""
        return float(np.linalg.norm(positions[k] - self.minimum))

    @property
    def exact_inverse(self) -> np.ndarray:
        """A⁻¹, what BFGS's estimate should be."""
        return np.linalg.inv(self.hessian)

    @property
    def inverse_error(self) -> float:
        """The largest entry of |H - A⁻¹|."""
        return float(np.abs(self.inverse_estimate - self.exact_inverse).max())


def has_minimum_in_n_steps(surface) -> bool:
    """A quadratic of two or more variables whose Hessian is positive definite: where the n-step argument holds (a
    saddle has no minimum, and on one variable every method with an exact search takes one step)."""
    if not surface.quadratic or surface.dim < 2:
        return False
    centre = np.array([(lo + hi) / 2 for lo, hi in surface.bounds])  # the Hessian of a quadratic is the same anywhere
    A = np.asarray(surface.hess(centre), dtype=float)
    return bool(np.all(np.linalg.eigvalsh((A + A.T) / 2) > 0))


def steepest_descent(surface, starts, steps: int) -> np.ndarray:
    """Steepest descent with the exact line search from every start at once: positions ``(steps + 1, *batch, d)``
    (a trajectory whose gradient vanished stays where it is)."""
    X = np.moveaxis(np.asarray(starts, dtype=float), -1, 0)
    objective = Objective.from_surface(surface)
    path = [X]
    for _ in range(steps):
        G = surface.grad_cf(X)
        found = exact(objective, X, G, -G)
        X = X - found.alpha * G
        path.append(X)
    return np.moveaxis(np.stack(path), 1, -1)


def quadratic_steps(surface, start, extra: int = 8) -> QuadraticSteps:
    """Conjugate gradients and BFGS for n steps and steepest descent for n + ``extra`` steps, all with the exact line
    search, from ``start`` on a quadratic ``surface`` (``surface.quadratic``)."""
    if not has_minimum_in_n_steps(surface):
        raise ValueError(f"{surface.title} is not a quadratic with a minimum (a positive-definite Hessian) in two or "
                         "more variables: the n-step argument needs one")
    n = surface.dim
    cg = run(surface, make("cg", line_search="exact"), start, n)
    # H is updated with a step's pair (s, y) at the start of the next step: the n-th pair is in H after step n + 1
    bfgs = run(surface, make("bfgs", line_search="exact"), start, n + 1)
    steepest = steepest_descent(surface, start, n + extra)
    w0 = np.asarray(start, dtype=float)
    A = np.asarray(surface.hess(w0), dtype=float)

    def conjugacy(d0: np.ndarray, d1: np.ndarray) -> float:
        return float(dot(d1[:, None], matvec(A[:, :, None], d0[:, None]))[0])

    cg_dirs = cg.state["direction"]
    sd_dirs = np.diff(steepest, axis=0)
    return QuadraticSteps(n, cg, bfgs, steepest, A, bfgs.state["inverse_hessian"][n + 1],
                          w0 - np.linalg.solve(A, surface.grad(w0)),
                          conjugacy(cg_dirs[1], cg_dirs[2]) if n >= 2 else 0.0,
                          conjugacy(sd_dirs[0], sd_dirs[1]) if n >= 2 else 0.0)
