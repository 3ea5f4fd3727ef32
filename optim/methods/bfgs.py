r"""BFGS: a quasi-Newton method that builds the inverse Hessian from the gradients it has seen."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..base import Objective, Optimizer
from ..linesearch import checked, dot, matvec, search
from ..spec import OptimizerSpec, StateField
from ..tex import Step, tex_matrix, tex_number as N, tex_vector as V
from .cg import C1, LINE_SEARCH, first_trial, line_search_for, search_numeric, search_tex

#: the curvature condition below which an update is skipped: yᵀs <= SKIP · ‖s‖‖y‖
SKIP = 1e-10
#: the curvature constant of the strong Wolfe search (Nocedal & Wright's choice for quasi-Newton methods)
WOLFE_C2 = 0.9


class BFGSState(NamedTuple):
    #: H_t, the inverse-Hessian estimate step t used (built from the pairs (s, y) of steps 1 .. t-1), (d, d, *batch)
    inverse_hessian: np.ndarray
    direction: np.ndarray  #: d_t = -H_t g_t, (d, *batch)
    gradient: np.ndarray  #: g_t, (d, *batch)
    step: np.ndarray  #: s_t = α_t d_t, (d, *batch)
    alpha: np.ndarray  #: α_t, (*batch)
    fevals: np.ndarray  #: function evaluations of the step's line search, (*batch), a whole number
    gevals: np.ndarray  #: gradient evaluations of the step, (*batch), a whole number (1)
    count: np.ndarray  #: steps taken, (*batch)
    failed: np.ndarray  #: (*batch) bool: the line search found no decrease (the trajectory stays put)


def bfgs_update(H: np.ndarray, s: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    r"""The BFGS update of the inverse Hessian, per trajectory, and where it was skipped.

    .. math::
        H_{+} = (I - \rho\, s y^\top)\, H\, (I - \rho\, y s^\top) + \rho\, s s^\top, \qquad \rho = \frac{1}{y^\top s}

    expanded as :math:`H - \rho\,(s\, (H^\top y)^\top + (H y)\, s^\top) + (\rho^2\, y^\top H y + \rho)\, s s^\top`.
    Where :math:`y^\top s \le 10^{-10} \lVert s\rVert \lVert y\rVert` (no positive curvature along the step) the
    update is skipped and :math:`H` kept. ``H`` is ``(d, d, *batch)``, ``s`` and ``y`` are ``(d, *batch)``.
    """
    ys = dot(y, s)
    # the norms apart: their product would underflow to 0 for the tiny steps taken once a run has converged
    skip = ~(ys > SKIP * (np.sqrt(dot(s, s)) * np.sqrt(dot(y, y))))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        rho = np.where(skip, 0.0, 1.0 / ys)
    skip |= ~np.isfinite(rho)  # y's = a denormal number: 1 / y's overflows
    rho = np.where(skip, 0.0, rho)
    Hy = matvec(H, y)  # H y
    yH = np.einsum("i...,ij...->j...", y, H)  # yᵀ H
    yHy = dot(yH, y)
    outer = lambda a, b: np.einsum("i...,j...->ij...", a, b)  # noqa: E731
    with np.errstate(over="ignore", invalid="ignore"):
        new = H - rho * (outer(s, yH) + outer(Hy, s)) + (rho * rho * yHy + rho) * outer(s, s)
    skip |= ~np.all(np.isfinite(new), axis=(0, 1))  # an update that overflowed is no estimate: keep H
    return np.where(skip, H, new), skip


def bfgs(*, lr: float = 1.0, c1: float = 1e-4, line_search: str = "armijo") -> Optimizer:
    r"""BFGS with the inverse-Hessian update and a line search.

    .. math::
        s_{t-1} &= w_t - w_{t-1}, \quad y_{t-1} = g_t - g_{t-1}, \quad \rho = 1 / (y_{t-1}^\top s_{t-1}) \\
        H_t &= (I - \rho\, s_{t-1} y_{t-1}^\top)\, H_{t-1}\, (I - \rho\, y_{t-1} s_{t-1}^\top)
            + \rho\, s_{t-1} s_{t-1}^\top \\
        d_t &= -H_t\, g_t \\
        w_{t+1} &= w_t + \alpha_t\, d_t

    The state records :math:`H_t`, the estimate step :math:`t` uses (its update needs :math:`g_t`, the gradient
    at the point the step starts from). :math:`H_1 = I`, so the first step is steepest descent with the same
    line search. The update is skipped (:math:`H_t = H_{t-1}`) where
    :math:`y^\top s \le 10^{-10} \lVert s \rVert \lVert y \rVert`. The step length :math:`\alpha_t` comes from
    the line search (``optim.linesearch``): ``"exact"``, :math:`\alpha_t = -g_t^\top d_t / (d_t^\top H(w_t) d_t)`
    with the surface's true Hessian :math:`H(w_t)` (exact on a quadratic, where BFGS reaches the minimum in
    :math:`n` steps and :math:`H_{n+1}` is the true inverse Hessian), or ``"armijo"``, halving from
    :math:`\alpha_0 = \eta` (1 by default: the quasi-Newton step) until :math:`f(w_t + \alpha d_t) \le f(w_t) +
    c_1 \alpha\, g_t^\top d_t` (at most 40 halvings). A line search that finds no decrease stops the trajectory
    (status "line search failed at step t"). ``torch.optim`` has no BFGS of this form (its L-BFGS keeps a
    limited memory); both conventions use these forms.

    Args:
        lr: :math:`\eta = \alpha_0`, the first trial step of the Armijo search, > 0 (unused by the exact search).
        c1: :math:`c_1`, the sufficient-decrease constant of the Armijo search, > 0 (below 1).
        line_search: ``"exact"`` (quadratic surfaces), ``"armijo"`` or ``"wolfe"`` (strong Wolfe from
            :math:`\alpha_0 = \eta` with :math:`c_2 = 0.9`, ``WOLFE_C2``; it keeps :math:`y^\top s > 0`).

    Example:
        >>> import numpy as np, surfaces
        >>> from optim import run
        >>> s = surfaces.get("elongated-bowl")
        >>> traj = run(s, bfgs(line_search="exact"), [-1.6, 1.9], 3)
        >>> bool(np.allclose(traj.positions[2], 0.0, atol=1e-10))   # a 2-D quadratic in two steps
        True
        >>> H3 = traj.state["inverse_hessian"][3]   # built from the two steps' (s, y): the true inverse Hessian
        >>> bool(np.allclose(H3, np.linalg.inv(s.hess([0.0, 0.0]))))
        True
    """
    lr, c1 = checked(lr, c1, line_search)

    def init(params):
        d, batch = params.shape[0], params.shape[1:]
        eye = np.broadcast_to(np.eye(d).reshape((d, d) + (1,) * len(batch)), (d, d) + batch).copy()
        zeros = np.zeros(batch)
        return BFGSState(eye, np.zeros(params.shape), np.zeros(params.shape), np.zeros(params.shape), zeros, zeros,
                         zeros, zeros, np.zeros(batch, dtype=bool))

    def update(grads, state, params, hess=None, out=None, diagnostics=True, objective: Objective | None = None):
        if objective is None:
            raise ValueError("BFGS needs the objective: update(grads, state, params, objective=...)")
        g = grads
        H = state.inverse_hessian
        if np.any(state.count > 0):
            H_new, _ = bfgs_update(H, state.step, g - state.gradient)
            H = np.where(state.count > 0, H_new, H)
        direction = -matvec(H, g)
        # a trajectory whose search failed stays put: searching along a zero direction costs it one evaluation at most
        found = search(line_search, objective, params, g, np.where(state.failed, 0.0, direction), lr, c1, WOLFE_C2)
        failed = state.failed | found.failed
        alpha = np.where(failed, 0.0, found.alpha)
        step = alpha * direction
        new = BFGSState(H, direction, np.array(g), step, alpha, found.fevals, 1.0 + found.gevals * np.ones(np.shape(alpha)),
                        state.count + 1.0, failed)
        return step, new

    return Optimizer("bfgs", {"lr": lr, "c1": c1}, {"line_search": line_search}, init, update,
                     recorded=("direction", "alpha", "fevals", "gevals", "inverse_hessian"))


def _bfgs_latex(o: dict) -> str:
    return (r"\begin{aligned}"
            r"s_{t-1} &= w_t - w_{t-1}, \quad y_{t-1} = g_t - g_{t-1}, \quad \rho = 1 / (y_{t-1}^\top s_{t-1}) \\ "
            r"H_t &= (I - \rho\, s_{t-1} y_{t-1}^\top)\, H_{t-1}\, (I - \rho\, y_{t-1} s_{t-1}^\top)"
            r" + \rho\, s_{t-1} s_{t-1}^\top \quad (H_1 = I) \\ "
            r"d_t &= -H_t\, g_t \\ "
            rf"{search_tex(o)} \\ "
            r"w_{t+1} &= w_t + \alpha_t\, d_t\end{aligned}")


def _bfgs_numeric(surface, traj, k: int, t: int) -> list[str]:
    s = Step(traj, k, t)
    H, d = s.after("inverse_hessian"), s.after("direction")
    return [s.gradient_line(),
            rf"H_{{{t}}} &= {tex_matrix(H)}",
            rf"d_{{{t}}} &= -H_{{{t}}} {V(s.g)} = {V(d)}",
            search_numeric(s, d),
            rf"{s.wn} &= {V(s.w)} + {N(s.after('alpha'))} {V(d)} = {V(s.w_next)}"]


BFGS = OptimizerSpec(
    name="bfgs", title="BFGS",
    summary="Learn the inverse curvature from successive gradients; step along −H g with a line search.",
    factory=bfgs,
    hyperparameters=(first_trial("first trial step of the line search (1: the quasi-Newton step)"), C1),
    variants=(LINE_SEARCH,),
    recorded=(StateField("direction", "d"), StateField("alpha", "alpha", "scalar"),
              StateField("fevals", "f_evals", "scalar"), StateField("gevals", "grad_evals", "scalar"),
              StateField("inverse_hessian", "H", "matrix")),
    render_latex=_bfgs_latex, render_numeric=_bfgs_numeric,
    accepts_noise=False, needs_objective=True, surface_options=line_search_for,
)
