r"""What the mathematics predicts about a run, before running it.

Gradient descent on a quadratic :math:`f(w) = a w^2 + b w + c` (curvature :math:`h = f'' = 2a`) is the map

.. math::
    w_{t+1} - w^* = (1 - \eta h)\,(w_t - w^*), \qquad w^* = -\frac{b}{2a},

so the error is multiplied by the contraction factor :math:`q = 1 - \eta h` at every step: it shrinks
without changing sign when :math:`0 < q < 1` (:math:`\eta < 1/h`), vanishes in one step at
:math:`\eta = 1/h`, shrinks while changing sign when :math:`-1 < q < 0`, flips between two points for ever at
:math:`\eta = 2/h` and grows beyond it. Near a minimum of any smooth function the same holds with
:math:`h = f''(w^*)`: these are the local predictions for the quartic.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import NamedTuple

import numpy as np

import surfaces

from . import registry
from .rates import MeasuredRates
from .sweep import SweepSpec

VERDICTS = {
    "one-step": "Converges in one step",
    "monotone": "Converges without overshooting",
    "oscillating": "Converges while oscillating",
    "cycle": "Oscillates for ever",
    "diverges": "Diverges",
}


class Verdict(NamedTuple):
    kind: str  #: a key of VERDICTS
    factor: float  #: q = 1 - eta h, the factor on the error per step
    curvature: float  #: h = f''(w*)
    minimum: float  #: w*

    @property
    def label(self) -> str:
        return VERDICTS[self.kind]

    @property
    def converges(self) -> bool:
        return abs(self.factor) < 1


def classify_factor(q: float) -> str:
    """The behaviour of the error e_{t+1} = q e_t (exact comparisons: q = -1 at eta = 2/h is a cycle)."""
    if q == 0:
        return "one-step"
    if 0 < q < 1:
        return "monotone"
    if -1 < q < 0:
        return "oscillating"
    if q == -1:
        return "cycle"
    return "diverges"


def gd_verdict(curvature: float, lr: float, minimum: float = 0.0) -> Verdict:
    """Verdict for gradient descent with step ``lr`` near a minimum of curvature ``curvature`` (> 0)."""
    q = 1.0 - float(lr) * float(curvature)
    return Verdict(classify_factor(q), q, float(curvature), float(minimum))


def critical_learning_rates(curvature: float) -> tuple[float, float]:
    """(1/h, 2/h): the fastest step (one-step convergence, start of overshooting) and the stability limit."""
    h = float(curvature)
    return 1.0 / h, 2.0 / h


def curvature_is_constant(surface, samples: int = 7) -> bool:
    """Whether a 1-D surface is a quadratic (its second derivative is the same across the view box)."""
    lo, hi = surface.bounds[0]
    h = surface.hess(np.linspace(lo, hi, samples)[:, None])[..., 0, 0]
    return bool(np.allclose(h, h[0], rtol=1e-12, atol=0))


# -- linear theory of GD, momentum and Nesterov on a quadratic ----------------------------------------------------
#
# On f(w) = 1/2 (w - w*)^T A (w - w*) + c every update of these three optimizers is linear in the error
# e = w - w* and in the velocity v. In the eigenbasis of A the directions decouple: along an eigenvector with
# eigenvalue lambda the state (e_t, v_{t-1}) is multiplied by a fixed 2 x 2 iteration matrix M (for GD, the
# number 1 - eta lambda). The error therefore shrinks like rho^t, with rho the spectral radius of M, maximised
# over the eigenvalues of A. The sign and phase of M's dominant eigenvalue decide how: real and positive,
# monotone; negative or complex, oscillating; rho >= 1, divergent.

REGIONS = ("monotone", "oscillating", "divergent")  #: codes 0, 1, 2 of ``Theory.region``
REGION_LABELS = {
    "monotone": "monotone: the error shrinks without changing sign",
    "oscillating": "oscillating: the error overshoots or spirals in",
    "divergent": "divergent: the error grows",
}


class Theory(NamedTuple):
    """The linear theory's prediction per hyperparameter setting (arrays broadcast like the hyperparameters)."""

    rate: np.ndarray  #: rho, the factor by which the error shrinks per step in the long run
    region: np.ndarray  #: 0 monotone, 1 oscillating, 2 divergent (an index into REGIONS)
    dominant: np.ndarray  #: the dominant eigenvalue of the iteration matrix (complex)


def quadratic_form(surface, samples: int = 5) -> tuple[np.ndarray, np.ndarray] | None:
    """``(A, w*)`` when ``surface`` is a quadratic with a positive-definite Hessian A and minimum w*, else None.

    A quadratic has the same Hessian everywhere: it is compared at a grid of points across the view box.
    """
    axes = [np.linspace(lo, hi, samples) for lo, hi in surface.bounds]
    points = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, surface.dim)
    H = surface.hess(points)  # (n, d, d)
    if not np.allclose(H, H[0], rtol=1e-12, atol=1e-12 * float(np.abs(H[0]).max())):
        return None
    A = 0.5 * (H[0] + H[0].T)
    if not np.all(np.linalg.eigvalsh(A) > 0) or not surface.minima:
        return None
    return A, np.array(surface.minima[0].point, dtype=float)


def curvatures(surface) -> np.ndarray | None:
    """The eigenvalues of the Hessian of a quadratic surface, ascending (None if it is not a quadratic bowl)."""
    form = quadratic_form(surface)
    return None if form is None else np.linalg.eigvalsh(form[0])


def _theory_spec(name: str):
    s = registry.spec(name)
    if s.iteration_matrix is None:
        raise ValueError(f"the linear theory covers {', '.join(theory_optimizers())}, not {name}")
    return s


def theory_optimizers() -> tuple[str, ...]:
    """The optimizers whose step is a fixed linear map on a quadratic (their spec has an iteration matrix)."""
    return tuple(n for n, s in registry.SPECS.items() if s.iteration_matrix is not None)


def iteration_matrix(name: str, curvature, lr, beta=0.0, **options) -> np.ndarray:
    r"""The matrix M with (e_{t+1}, v_t) = M (e_t, v_{t-1}) along one eigen-direction of curvature lambda.

    Shapes broadcast: ``curvature``, ``lr`` and ``beta`` may be arrays; the result is ``(..., 2, 2)``
    (``(..., 1, 1)`` for ``"gd"``, whose state is the error alone). Each optimizer's matrix is in its home
    (``optim.methods``), beside its update rule; ``options`` are its variant options (``form``, ``evaluation``).
    """
    spec = _theory_spec(name)
    lam, lr, beta = np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in (curvature, lr, beta)))
    return spec.iteration_matrix(lam, lr, beta, **(spec.options() | options))


def iteration_eigenvalues(name: str, curvature, lr, beta=0.0, **options) -> np.ndarray:
    """Both eigenvalues of the iteration matrix (complex, ``(..., 2)``; ``(..., 1)`` for GD), in closed form."""
    M = iteration_matrix(name, curvature, lr, beta, **options)
    if M.shape[-1] == 1:
        return M[..., 0].astype(complex)
    half_trace = 0.5 * (M[..., 0, 0] + M[..., 1, 1])
    det = M[..., 0, 0] * M[..., 1, 1] - M[..., 0, 1] * M[..., 1, 0]
    root = np.sqrt((half_trace * half_trace - det).astype(complex))
    return np.stack([half_trace + root, half_trace - root], axis=-1)


def theory(optimizer, curvatures_) -> Theory:
    """The predicted convergence rate and region for ``optimizer`` (GD, momentum or Nesterov, hyperparameters
    scalar or arrays) on a quadratic whose Hessian has the eigenvalues ``curvatures_``.

    The rate is the largest spectral radius over the eigen-directions; the region is decided by the dominant
    eigenvalue (oscillating if any direction that attains the rate oscillates).
    """
    name = optimizer.name
    _theory_spec(name)
    hp, opts = optimizer.hyperparams, optimizer.options
    lr = np.asarray(hp["lr"], dtype=float)[..., None]
    beta = np.asarray(hp.get("beta", 0.0), dtype=float)[..., None]
    lam = np.asarray(curvatures_, dtype=float).reshape(-1)
    z = iteration_eigenvalues(name, lam, lr, beta, **opts)  # (..., m, k)
    modulus = np.abs(z)
    pick = np.argmax(modulus, axis=-1)[..., None]
    per_direction = np.take_along_axis(modulus, pick, axis=-1)[..., 0]  # (..., m)
    dominant_z = np.take_along_axis(z, pick, axis=-1)[..., 0]
    rate = per_direction.max(axis=-1)
    # real and positive (up to rounding in the complex square root) is monotone; anything else oscillates
    wobbles = (np.abs(dominant_z.imag) > 1e-12 * np.maximum(modulus.max(axis=-1), 1e-300)) | (dominant_z.real < 0)
    ties = per_direction >= rate[..., None] * (1.0 - 1e-12)
    oscillating = np.any(ties & wobbles, axis=-1)
    region = np.where(rate >= 1.0, 2, np.where(oscillating, 1, 0)).astype(np.int8)
    dominant = np.take_along_axis(dominant_z, np.argmax(per_direction, axis=-1)[..., None], axis=-1)[..., 0]
    return Theory(rate, region, dominant)


def theory_text(name: str, eigenvalues: str, part: str) -> str:
    """The sentence before (``part="before"``) or after the iteration matrix of ``name`` on a page: what the
    matrix acts on, and how its dominant eigenvalue decides the behaviour. ``eigenvalues`` lists the Hessian's."""
    scalar = iteration_matrix(name, 1.0, 1.0).shape[-1] == 1
    title = registry.spec(name).title.lower()
    if part == "before":
        if scalar:
            return (f"On a quadratic with Hessian eigenvalues {eigenvalues}, {title} multiplies the error e = w − w* "
                    "along each eigenvector by the same factor at every step:")
        return (f"On a quadratic with Hessian eigenvalues {eigenvalues}, every step is a fixed linear map M of the "
                "error e = w − w* and the velocity v, one 2 × 2 matrix per eigenvector of the Hessian:")
    if scalar:
        return ("So the error shrinks like ρᵗ. The factor 1 − ηλ that attains ρ decides how: positive, monotone; "
                "negative, the error changes sign at every step (oscillating); ρ ≥ 1, divergent.")
    return ("The error shrinks like ρᵗ, with ρ the largest modulus of an eigenvalue z of M over the λ's. The dominant "
            "z decides how: " + "; ".join(REGION_LABELS[r] + f" ({c})" for r, c in (
                ("monotone", "z real and positive"), ("oscillating", "z negative or complex, |z| < 1"),
                ("divergent", "|z| ≥ 1"))) + ".")


def matrix_latex(name: str, options: dict | None = None) -> str:
    """The iteration matrix of ``name`` (with its variant options) in LaTeX, for the page beside the map."""
    spec = _theory_spec(name)
    return spec.matrix_latex(spec.options() | (options or {}))


# -- theory on the grid --------------------------------------------------------------------------------------------

def theory_unavailable(spec: SweepSpec) -> str | None:
    """Why the linear theory does not cover this grid (None when it does)."""
    if spec.optimizer not in theory_optimizers():
        titles = [registry.spec(n).title for n in theory_optimizers()]
        return (f"the iteration-matrix theory covers {', '.join(titles[:-1])} and {titles[-1]}; "
                f"{registry.spec(spec.optimizer).title}'s step is not a fixed linear map")
    if curvatures(surfaces.get(spec.surface)) is None:
        return "the iteration-matrix theory needs a quadratic bowl (a constant, positive-definite Hessian)"
    if (spec.schedule is not None and spec.schedule.active) or (spec.clip is not None and spec.clip.active):
        return ("the iteration-matrix theory needs one fixed linear map per step: a constant learning rate and "
                "an unclipped gradient (set the schedule to constant and clipping off)")
    return None


def theory_map(spec: SweepSpec, count: int | None = None) -> tuple[np.ndarray, np.ndarray, Theory]:
    """The theory's rate and region on the grid (or on a ``count`` x ``count`` grid over the same ranges).

    Returns the values along each axis (the second is ``[0.5]`` for a one-axis grid) and the Theory, its
    arrays shaped (n1, n2).
    """
    reason = theory_unavailable(spec)
    if reason:
        raise ValueError(reason)
    if count is not None:
        spec = replace(spec, axes=tuple(replace(a, count=count) for a in spec.axes))
    th = theory(spec.make_optimizer(), curvatures(surfaces.get(spec.surface)))
    shape = spec.shape
    th = Theory(*(np.broadcast_to(a, shape).copy() for a in th))
    second = spec.axes[1].values if len(spec.axes) > 1 else np.array([0.5])
    return spec.axes[0].values, second, th


def agreement(measured: MeasuredRates, th: Theory, clear: float = 0.98) -> dict[str, float]:
    """How well the runs agree with the theory: the median and largest |measured - theoretical rate| over the
    cells the theory says converge at a rate below ``clear``, and the fraction of cells whose measured
    behaviour (monotone, oscillating, growing) is the theory's region."""
    converging = th.rate < clear
    diff = np.abs(measured.rate - th.rate)[converging]
    region = np.where(measured.diverged | (measured.rate >= 1), 2, np.where(measured.oscillating, 1, 0))
    return {
        "cells": int(converging.sum()),
        "median": float(np.median(diff)) if diff.size else math.nan,
        "max": float(diff.max()) if diff.size else math.nan,
        "regions": float((region == th.region).mean()),
    }
