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

from typing import NamedTuple

import numpy as np

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

THEORY_OPTIMIZERS = ("gd", "momentum", "nesterov")
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


def _coefficient(beta, form: str):
    return 1.0 - beta if form == "ema" else np.ones_like(beta)


def iteration_matrix(name: str, curvature, lr, beta=0.0, *, form: str = "ema",
                     evaluation: str = "lookahead") -> np.ndarray:
    r"""The matrix M with (e_{t+1}, v_t) = M (e_t, v_{t-1}) along one eigen-direction of curvature lambda.

    Shapes broadcast: ``curvature``, ``lr`` and ``beta`` may be arrays; the result is ``(..., 2, 2)``
    (``(..., 1, 1)`` for ``"gd"``, whose state is the error alone). With :math:`c = 1 - \beta` (EMA form) or
    1 (classic form) and :math:`q = 1 - \eta c \lambda`:

    * momentum: :math:`M = \begin{pmatrix} q & -\eta\beta \\ c\lambda & \beta \end{pmatrix}`
    * Nesterov, look-ahead: :math:`M = \begin{pmatrix} q & -\eta\beta q \\ c\lambda & \beta q \end{pmatrix}`
    * Nesterov, PyTorch's form: :math:`M = \begin{pmatrix} 1 - \eta c\lambda(1+\beta) & -\eta\beta^2 \\
      c\lambda & \beta \end{pmatrix}`, the same method in a shifted variable (same trace and determinant).
    """
    lam, lr, beta = np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in (curvature, lr, beta)))
    if name == "gd":
        return (1.0 - lr * lam)[..., None, None]
    if name not in ("momentum", "nesterov"):
        raise ValueError(f"the linear theory covers {', '.join(THEORY_OPTIMIZERS)}, not {name}")
    if form not in ("ema", "classic"):
        raise ValueError(f"form must be 'ema' or 'classic', got {form!r}")
    c = _coefficient(beta, form)
    q = 1.0 - lr * c * lam
    if name == "momentum":
        rows = ((q, -lr * beta), (c * lam, beta))
    elif evaluation == "lookahead":
        rows = ((q, -lr * beta * q), (c * lam, beta * q))
    elif evaluation == "pytorch":
        rows = ((1.0 - lr * c * lam * (1.0 + beta), -lr * beta * beta), (c * lam, beta))
    else:
        raise ValueError(f"evaluation must be 'lookahead' or 'pytorch', got {evaluation!r}")
    return np.stack([np.stack(r, axis=-1) for r in rows], axis=-2)


def iteration_eigenvalues(name: str, curvature, lr, beta=0.0, *, form: str = "ema",
                          evaluation: str = "lookahead") -> np.ndarray:
    """Both eigenvalues of the iteration matrix (complex, ``(..., 2)``; ``(..., 1)`` for GD), in closed form."""
    M = iteration_matrix(name, curvature, lr, beta, form=form, evaluation=evaluation)
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
    if name not in THEORY_OPTIMIZERS:
        raise ValueError(f"the linear theory covers {', '.join(THEORY_OPTIMIZERS)}, not {optimizer.name}")
    hp, opts = optimizer.hyperparams, optimizer.options
    lr = np.asarray(hp["lr"], dtype=float)[..., None]
    beta = np.asarray(hp.get("beta", 0.0), dtype=float)[..., None]
    lam = np.asarray(curvatures_, dtype=float).reshape(-1)
    z = iteration_eigenvalues(name, lam, lr, beta, form=opts.get("form", "ema"),
                              evaluation=opts.get("evaluation", "lookahead"))  # (..., m, k)
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


def matrix_latex(name: str, options: dict | None = None) -> str:
    """The iteration matrix of ``name`` (with its variant options) in LaTeX, for the page beside the map."""
    o = options or {}
    c = r"(1-\beta)" if o.get("form", "ema") == "ema" else ""
    cl = rf"{c}\lambda" if c else r"\lambda"
    if name == "gd":
        return r"e_{t+1} = (1 - \eta\lambda)\, e_t, \qquad \rho = \max_{\lambda} |1 - \eta\lambda|"
    q = rf"1 - \eta {cl}"
    if name == "momentum":
        m = rf"\begin{{pmatrix}} {q} & -\eta\beta \\ {cl} & \beta \end{{pmatrix}}"
    elif o.get("evaluation", "lookahead") == "lookahead":
        m = (rf"\begin{{pmatrix}} {q} & -\eta\beta\,({q}) \\ {cl} & \beta\,({q}) \end{{pmatrix}}")
    else:
        m = rf"\begin{{pmatrix}} 1 - \eta {cl}(1+\beta) & -\eta\beta^2 \\ {cl} & \beta \end{{pmatrix}}"
    return (rf"\begin{{pmatrix}} e_{{t+1}} \\ v_t \end{{pmatrix}} = {m} \begin{{pmatrix}} e_t \\ v_{{t-1}} "
            r"\end{pmatrix}, \qquad \rho = \max_{\lambda} |z_{\max}(M_\lambda)|")
