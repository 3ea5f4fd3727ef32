r"""Newton's method: the step that would land on the minimum of the local quadratic model."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..base import Optimizer, boolean, positive
from ..blocks import zeros_like
from ..spec import Hyperparameter, OptimizerSpec, StateField, Variant
from ..tex import Step, tex_matrix, tex_number, tex_vector as V


class NewtonState(NamedTuple):
    curvature: np.ndarray  #: Hessian eigenvalues at the last update point, ascending, (d, *batch); 0 before any


def newton(*, lr: float = 1.0, safeguard: bool = False, min_curvature: float = 0.1) -> Optimizer:
    r"""Newton's method: the step that would land on the minimum of the local quadratic model.

    .. math::
        w_{t+1} = w_t - \eta\, H(w_t)^{-1} g_t

    With :math:`\eta = 1` it solves a quadratic with a positive-definite Hessian in one step. Where the
    Hessian is not positive definite the plain method heads for the stationary point of the model, a maximum
    or a saddle, just as readily as for a minimum. ``safeguard=True`` replaces every eigenvalue
    :math:`\lambda` of :math:`H` by :math:`\max(|\lambda|, \lambda_{\min})` (the saddle-free Newton method of
    Dauphin et al., 2014), which turns the step downhill along every direction of negative curvature.

    The step is computed from the eigendecomposition :math:`H = Q \Lambda Q^T`, batched over all points; a
    zero eigenvalue in the plain method gives an infinite step, which the run reports as divergence.

    Args:
        lr: :math:`\eta`, a damping factor, > 0 (1 is the pure method).
        safeguard: use :math:`|\lambda|` floored at ``min_curvature``.
        min_curvature: :math:`\lambda_{\min}` > 0, the smallest curvature the safeguard allows.
    """
    lr = positive("lr", lr, "damping factor")
    min_curvature = positive("min_curvature", min_curvature, "smallest curvature the safeguard allows")
    boolean("safeguard", safeguard)
    neg_lr = -lr

    def update(grads, state, params, hess=None, out=None, diagnostics=True):  # eigh allocates anyway: out unused
        if hess is None:
            raise ValueError("Newton's method needs the Hessian: call update(grads, state, params, hess=...)")
        d = grads.shape[0]
        H = np.moveaxis(hess, (0, 1), (-2, -1))  # (*batch, d, d)
        lam, Q = np.linalg.eigh(H)  # H = Q Λ Qᵀ: ascending eigenvalues (*batch, d), vectors in columns
        g = np.moveaxis(grads, 0, -1)[..., None]  # (*batch, d, 1)
        coeffs = np.swapaxes(Q, -1, -2) @ g  # Qᵀ g: the gradient in the eigenbasis
        # lam is batch-first (*batch, d): give min_curvature (scalar or batch-shaped) a trailing axis for d
        curv = np.maximum(np.abs(lam), np.asarray(min_curvature)[..., None]) if safeguard else lam
        with np.errstate(divide="ignore", invalid="ignore"):
            step = Q @ (coeffs / curv[..., None])  # Q Λ⁻¹ Qᵀ g
        step = np.moveaxis(step[..., 0], -1, 0) * neg_lr
        return step.reshape(grads.shape), NewtonState(np.moveaxis(lam, -1, 0).reshape((d,) + grads.shape[1:]))

    return Optimizer("newton", {"lr": lr, "min_curvature": min_curvature}, {"safeguard": safeguard},
                     lambda p: NewtonState(zeros_like(p)), update, recorded=("curvature",))


def _newton_latex(o: dict) -> str:
    if o["safeguard"]:
        return (r"\begin{aligned}H_t &= Q \Lambda Q^\top, \quad \tilde\Lambda = \max(|\Lambda|, \lambda_{\min}) \\ "
                r"w_{t+1} &= w_t - \eta\, Q \tilde\Lambda^{-1} Q^\top g_t\end{aligned}")
    return r"\begin{aligned}w_{t+1} &= w_t - \eta\, H(w_t)^{-1} g_t\end{aligned}"


def _newton_numeric(surface, traj, k: int, t: int) -> list[str]:
    s = Step(traj, k, t)
    H = np.asarray(surface.hess(s.w))
    eig = r",\ ".join(tex_number(c) for c in np.ravel(s.after("curvature")))
    newton_step = (s.w - s.w_next) / s.h["lr"]
    inv = r"\tilde H^{-1}" if s.o["safeguard"] else rf"H({s.wt})^{{-1}}"
    return [s.gradient_line(),
            rf"H({s.wt}) &= {tex_matrix(H)}, \quad \text{{eigenvalues }} {eig}",
            rf"{inv} g_{{{t}}} &= {V(newton_step)}",
            rf"{s.wn} &= {V(s.w)} - {s.n('lr')} {V(newton_step)} = {V(s.w_next)}"]


NEWTON = OptimizerSpec(
    name="newton", title="Newton's method",
    summary="Divide the gradient by the curvature: jump to the bottom of the local quadratic.",
    factory=newton,
    hyperparameters=(Hyperparameter("lr", r"\eta", "η", "damping factor", 0.05, 2.0, log=True, short="damping η"),
                     Hyperparameter("min_curvature", r"\lambda_{\min}", "λmin", "smallest curvature the safeguard allows",
                                    1e-3, 10.0, log=True, sweepable=False, shown_if="safeguard",
                                    short="smallest curvature λmin")),
    variants=(Variant("safeguard", "safe", "Curvature safeguard",
                      {False: "off: plain Newton", True: "on: |λ| floored at λmin"},
                      notes=False, pytorch=False,
                      written={False: "003 (second-order slides on 6x⁴ − 2x³ − 12x² + x + 1); 004 names it in its list"}),),  # torch.optim has no Newton method: the plain one is kept
    recorded=(StateField("curvature", "curvature", "eigen"),),
    render_latex=_newton_latex, render_numeric=_newton_numeric,
    accepts_noise=False, needs_hessian=True,
)
