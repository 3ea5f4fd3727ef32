r"""The local models of a surface around a point: the linear and the quadratic Taylor model, the Hessian's
eigen-decomposition, and the Newton steps they give.

.. math::
    m_1(w) = f(p) + g^\top (w - p), \qquad
    m_2(w) = m_1(w) + \tfrac12 (w - p)^\top H (w - p), \qquad g = \nabla f(p),\ H = \nabla^2 f(p).

When :math:`H` is invertible, :math:`m_2` has one stationary point, :math:`p - H^{-1} g`: the plain Newton step
lands there. It is the model's minimum only when :math:`H` is positive definite; where :math:`H` is indefinite the
model is a saddle and the plain step goes to the saddle's centre, uphill along the directions of negative
curvature. The safeguarded step (Newton's ``safeguard`` option, :func:`optim.newton`) uses
:math:`\max(|\lambda|, \lambda_{\min})` for every eigenvalue and turns downhill along them; both steps are
computed by Newton's own update, not a second copy of it.

Everything broadcasts: points shaped ``(..., d)`` give models with that batch shape.

    >>> import surfaces
    >>> m = local_model(surfaces.get("bowl"), [1.0, -0.5])
    >>> m.kind, bool(np.allclose(m.point + m.newton_step, surfaces.get("bowl").minima[0].point))
    ('minimum', True)
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .methods.newton import NEWTON, newton

#: eigenvalues closer to zero than this (relative to the largest) count as zero: the model is flat there
FLAT = 1e-12


class LocalModel(NamedTuple):
    """The Taylor models at ``point``; arrays batch-first, ``(..., d)`` and ``(..., d, d)``."""

    point: np.ndarray
    value: np.ndarray  #: f(p), (...)
    grad: np.ndarray  #: g, (..., d)
    hess: np.ndarray  #: H, (..., d, d)
    eigenvalues: np.ndarray  #: ascending, (..., d)
    eigenvectors: np.ndarray  #: unit vectors in the columns, (..., d, d): H q_i = λ_i q_i
    newton_step: np.ndarray  #: -H⁻¹ g, (..., d): to the stationary point of m₂ (not finite when H is singular)
    safe_step: np.ndarray  #: the safeguarded step, -Q max(|Λ|, λmin)⁻¹ Qᵀ g, (..., d)
    min_curvature: float

    @property
    def kind(self) -> str | np.ndarray:
        """``minimum``, ``maximum``, ``saddle`` (indefinite H) or ``flat`` (a zero eigenvalue): the shape of m₂."""
        lam = self.eigenvalues
        scale = np.maximum(np.abs(lam).max(axis=-1), 1e-300)
        pos, neg = (lam > FLAT * scale[..., None]).all(-1), (lam < -FLAT * scale[..., None]).all(-1)
        mixed = (lam > FLAT * scale[..., None]).any(-1) & (lam < -FLAT * scale[..., None]).any(-1)
        kind = np.select([pos, neg, mixed], ["minimum", "maximum", "saddle"], "flat")
        return str(kind) if kind.ndim == 0 else kind

    @property
    def defined(self) -> bool:
        """Whether f, its gradient and its Hessian are finite at every point of the batch (a model exists)."""
        return bool(np.isfinite(self.value).all() and np.isfinite(self.grad).all() and np.isfinite(self.hess).all())

    @property
    def newton_defined(self) -> bool:
        """Whether the plain Newton step is finite everywhere in the batch (H invertible)."""
        return bool(np.isfinite(self.newton_step).all())

    def linear(self, w) -> np.ndarray:
        """m₁ at the points ``w`` (``(..., d)``, broadcasting against the model's batch)."""
        dw = np.asarray(w, dtype=float) - self.point
        return self.value + (self.grad * dw).sum(-1)

    def quadratic(self, w) -> np.ndarray:
        """m₂ at the points ``w``."""
        dw = np.asarray(w, dtype=float) - self.point
        return self.linear(w) + 0.5 * (dw[..., :, None] * self.hess * dw[..., None, :]).sum((-1, -2))

    def model_gradient(self, w) -> np.ndarray:
        """∇m₂ at ``w``: g + H (w - p); zero at ``p + newton_step``."""
        dw = np.asarray(w, dtype=float) - self.point
        return self.grad + (self.hess @ dw[..., None])[..., 0]


def local_model(surface, points, *, min_curvature: float | None = None) -> LocalModel:
    """The Taylor models of ``surface`` at ``points`` (``(..., d)``): value, gradient, Hessian, its eigen-pairs and
    the plain and safeguarded Newton steps (``min_curvature``: the safeguard's λmin, Newton's default if None)."""
    min_curvature = NEWTON.defaults["min_curvature"] if min_curvature is None else min_curvature
    p = np.asarray(points, dtype=float)
    with np.errstate(all="ignore"):
        value = np.asarray(surface.value(p), dtype=float)
        g = np.asarray(surface.grad(p), dtype=float)
        H = np.asarray(surface.hess(p), dtype=float)
        lam, Q = np.linalg.eigh(H)
        steps = []
        for safeguard in (False, True):  # Newton's own update, at lr 1, coordinate-first as the run calls it
            opt = newton(lr=1.0, safeguard=safeguard, min_curvature=min_curvature)
            X = np.moveaxis(p, -1, 0)
            u, _ = opt.update(np.moveaxis(g, -1, 0), opt.init(X), X, hess=np.moveaxis(H, (-2, -1), (0, 1)))
            steps.append(np.moveaxis(u, 0, -1))
    return LocalModel(p, value, g, H, lam, Q, steps[0], steps[1], float(min_curvature))


__all__ = ["LocalModel", "local_model"]
