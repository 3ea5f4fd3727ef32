r"""Nonlinear conjugate gradients: each direction is the negative gradient plus a multiple of the last direction."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..base import Objective, Optimizer, choice
from ..linesearch import checked, dot, search
from ..spec import Hyperparameter, OptimizerSpec, StateField, Variant
from ..tex import Step, tex_number as N, tex_vector as V

BETA_RULES = ("fletcher-reeves", "polak-ribiere")
#: the first Armijo trial after a successful step is GROWTH times the step that keeps the first-order decrease
#: (see conjugate_gradients; 1.5, 2 and 4 took 3000+, 3000+ and ~1580 steps on Rosenbrock, 10 about 830)
GROWTH = 10.0
#: the curvature constant of the strong Wolfe search: small for conjugate gradients (c2 < 1/2 keeps Fletcher-Reeves'
#: directions descent directions), 0.9 for BFGS (Nocedal & Wright, sec. 3.1 and 5.2)
WOLFE_C2 = 0.1


class CGState(NamedTuple):
    direction: np.ndarray  #: d_t, the direction of the last step, (d, *batch)
    gradient: np.ndarray  #: g_{t-1}, the gradient of the last step, (d, *batch)
    beta: np.ndarray  #: β_t of the last step (0 on a restart), (*batch)
    alpha: np.ndarray  #: α_t, the step length the line search found, (*batch)
    fevals: np.ndarray  #: function evaluations of the last step's line search, (*batch), a whole number
    gevals: np.ndarray  #: gradient evaluations of the last step, (*batch), a whole number (1)
    slope: np.ndarray  #: g_tᵀ d_t of the last step (for the next first trial), (*batch)
    since: np.ndarray  #: steps since the last restart, (*batch)
    failed: np.ndarray  #: (*batch) bool: the line search found no decrease (the trajectory stays put)


def conjugate_gradients(*, lr: float = 1.0, c1: float = 1e-4, beta_rule: str = "polak-ribiere",
                        line_search: str = "armijo") -> Optimizer:
    r"""Nonlinear conjugate gradients (Fletcher-Reeves or Polak-Ribière+), with restarts and a line search.

    .. math::
        \beta_t &= \frac{g_t^\top g_t}{g_{t-1}^\top g_{t-1}} \ \text{(Fletcher-Reeves)} \quad\text{or}\quad
            \beta_t = \max\Big(0, \frac{g_t^\top (g_t - g_{t-1})}{g_{t-1}^\top g_{t-1}}\Big)
            \ \text{(Polak-Ribière+)} \\
        d_t &= -g_t + \beta_t\, d_{t-1} \\
        w_{t+1} &= w_t + \alpha_t\, d_t

    The method restarts (:math:`\beta_t = 0`, :math:`d_t = -g_t`) at the first step, every :math:`n` steps
    (:math:`n` the dimension) and whenever :math:`d_t` is not a descent direction (:math:`g_t^\top d_t \ge 0`).
    The step length :math:`\alpha_t` comes from the line search (``optim.linesearch``):

    * ``"exact"``: :math:`\alpha_t = -g_t^\top d_t / (d_t^\top H(w_t) d_t)`, exact on a quadratic, where the
      method is linear conjugate gradients and reaches the minimum in :math:`n` steps;
    * ``"armijo"``: backtracking by halving until :math:`f(w_t + \alpha d_t) \le f(w_t) + c_1 \alpha\,
      g_t^\top d_t` (at most 40 halvings). The first trial is :math:`\alpha_0 = \eta` at the first step and
      after a failed one, and afterwards ten times the previous step's length scaled by the change of the slope,
      :math:`10\, \alpha_{t-1}\, g_{t-1}^\top d_{t-1} / (g_t^\top d_t)` (the scaled step of Nocedal & Wright,
      *Numerical Optimization*, eq. 3.60, expects the same first-order decrease as the last step). Backtracking
      only shortens, so the factor ``GROWTH = 10`` lets the steps lengthen again: with the plain scaled step,
      Polak-Ribière+ on Rosenbrock from (-1.5, 2) shrinks its steps to about 1e-4 and stalls near (-1.23, 1.53);
      with 10 it reaches (1, 1) in about 830 steps (4 to 5 evaluations of f per step).

    A line search that finds no decrease stops the trajectory (status "line search failed at step t").
    ``torch.optim`` has no conjugate gradients; both conventions use these forms.

    Args:
        lr: :math:`\eta`, the first trial step of the Armijo search, > 0 (unused by the exact search).
        c1: :math:`c_1`, the sufficient-decrease constant of the Armijo search, > 0 (below 1).
        beta_rule: ``"fletcher-reeves"`` or ``"polak-ribiere"`` (Polak-Ribière+, clipped at 0).
        line_search: ``"exact"`` (quadratic surfaces), ``"armijo"`` or ``"wolfe"`` (strong Wolfe with
            :math:`c_2 = 0.1`, ``WOLFE_C2``, from the same first trial as Armijo's; see ``optim.linesearch``).

    Example:
        >>> import numpy as np, surfaces
        >>> from optim import run
        >>> s = surfaces.get("elongated-bowl")
        >>> traj = run(s, conjugate_gradients(line_search="exact"), [-1.6, 1.9], 2)
        >>> bool(np.allclose(traj.positions[-1], 0.0, atol=1e-10))   # a 2-D quadratic in two steps
        True
    """
    lr, c1 = checked(lr, c1, line_search)
    choice("beta_rule", beta_rule, BETA_RULES)
    fletcher_reeves = beta_rule == "fletcher-reeves"

    def init(params):
        batch = params.shape[1:]
        zeros = np.zeros(batch)
        return CGState(np.zeros(params.shape), np.zeros(params.shape), zeros, zeros, zeros, zeros, zeros,
                       np.full(batch, float(params.shape[0])), np.zeros(batch, dtype=bool))

    def update(grads, state, params, hess=None, out=None, diagnostics=True, objective: Objective | None = None):
        if objective is None:
            raise ValueError("conjugate gradients needs the objective: update(grads, state, params, objective=...)")
        g = grads
        beta, direction, slope, restart = _direction(g, state, fletcher_reeves)
        with np.errstate(divide="ignore", invalid="ignore"):
            guess = GROWTH * state.alpha * state.slope / slope
        fresh = (state.alpha <= 0) | ~np.isfinite(guess) | ~(guess > 0)
        alpha0 = np.where(fresh, lr, guess)
        # a trajectory whose search failed stays put: searching along a zero direction costs it one evaluation at most
        found = search(line_search, objective, params, g, np.where(state.failed, 0.0, direction), alpha0, c1, WOLFE_C2)
        failed = state.failed | found.failed
        alpha = np.where(failed, 0.0, found.alpha)
        step = alpha * direction
        since = np.where(restart, 1.0, state.since + 1.0)
        new = CGState(direction, np.array(g), beta, alpha, found.fevals, 1.0 + found.gevals * np.ones(np.shape(alpha)),
                      slope, since, failed)
        return step, new

    return Optimizer("cg", {"lr": lr, "c1": c1}, {"beta_rule": beta_rule, "line_search": line_search}, init,
                     update, recorded=("direction", "beta", "alpha", "fevals", "gevals"))


def _direction(g: np.ndarray, state: CGState, fletcher_reeves: bool):
    """β_t, the direction d_t = -g_t + β_t d_{t-1}, its slope g_tᵀ d_t, and where the method restarts (d_t = -g_t):
    every n steps, and wherever d_t would not go downhill."""
    g_old = state.gradient
    gg, gg_old = dot(g, g), dot(g_old, g_old)
    with np.errstate(divide="ignore", invalid="ignore"):
        beta = gg / gg_old if fletcher_reeves else np.maximum(0.0, dot(g, g - g_old) / gg_old)
    restart = state.since >= g.shape[0]
    beta = np.where(restart | ~np.isfinite(beta), 0.0, beta)
    direction = -g + beta * state.direction
    slope = dot(g, direction)
    not_descent = slope >= 0
    return (np.where(not_descent, 0.0, beta), np.where(not_descent, -g, direction), np.where(not_descent, -gg, slope),
            restart | not_descent)


def _beta_tex(o: dict) -> str:
    if o["beta_rule"] == "fletcher-reeves":
        return r"\frac{g_t^\top g_t}{g_{t-1}^\top g_{t-1}}"
    return r"\max\Big(0, \frac{g_t^\top (g_t - g_{t-1})}{g_{t-1}^\top g_{t-1}}\Big)"


def search_tex(o: dict, d: str = "d_t") -> str:
    """The line search's rule, for a LaTeX aligned block."""
    if o["line_search"] == "exact":
        return rf"\alpha_t &= -\frac{{g_t^\top {d}}}{{{d}^\top H(w_t)\, {d}}}"
    if o["line_search"] == "wolfe":
        return (rf"\alpha_t &: f(w_t + \alpha_t {d}) \le f(w_t) + c_1 \alpha_t\, g_t^\top {d}, \ "
                rf"|\nabla f(w_t + \alpha_t {d})^\top {d}| \le c_2 |g_t^\top {d}|")
    return (rf"\alpha_t &= \alpha_0 / 2^j,\ j \text{{ the first with }} f(w_t + \alpha_t {d}) \le f(w_t) + "
            rf"c_1 \alpha_t\, g_t^\top {d}")


def _cg_latex(o: dict) -> str:
    return (r"\begin{aligned}"
            rf"\beta_t &= {_beta_tex(o)} \quad (0 \text{{ on a restart}}) \\ "
            r"d_t &= -g_t + \beta_t\, d_{t-1} \\ "
            rf"{search_tex(o)} \\ "
            r"w_{t+1} &= w_t + \alpha_t\, d_t\end{aligned}")


def search_numeric(s: Step, d: np.ndarray) -> str:
    """The line search's line with step ``s``'s numbers."""
    alpha, fevals = s.after("alpha"), s.after("fevals")
    if s.o["line_search"] == "exact":
        t = s.t
        return rf"\alpha_{{{t}}} &= -\frac{{g_{{{t}}}^\top d_{{{t}}}}}{{d_{{{t}}}^\top H d_{{{t}}}}} = {N(alpha)}"
    name = "strong Wolfe" if s.o["line_search"] == "wolfe" else "Armijo"
    return (rf"\alpha_{{{s.t}}} &= {N(alpha)} \quad (\text{{{name}}},\ c_1 = {s.n('c1')},\ "
            rf"{int(fevals)} \text{{ evaluations of }} f)")


def _cg_numeric(surface, traj, k: int, t: int) -> list[str]:
    s = Step(traj, k, t)
    d_prev, d, beta = s.before("direction"), s.after("direction"), s.after("beta")
    return [s.gradient_line(),
            rf"\beta_{{{t}}} &= {N(beta)}",
            rf"d_{{{t}}} &= -{V(s.g)} + {N(beta)} {V(d_prev)} = {V(d)}",
            search_numeric(s, d),
            rf"{s.wn} &= {V(s.w)} + {N(s.after('alpha'))} {V(d)} = {V(s.w_next)}"]


LINE_SEARCH = Variant("line_search", "ls", "Line search",
                      {"armijo": "Armijo backtracking (halving)", "exact": "exact (quadratic surfaces)",
                       "wolfe": "strong Wolfe (bracketing)"},
                      notes="armijo", pytorch="armijo")  # torch.optim has neither: the same in both conventions


def line_search_for(surface) -> dict:
    """The line search a run on ``surface`` starts with: exact on a quadratic surface (where it is exact), Armijo
    backtracking elsewhere."""
    return {"line_search": "exact" if getattr(surface, "quadratic", False) else "armijo"}

C1 = Hyperparameter("c1", "c_1", "c₁", "sufficient-decrease constant", 1e-6, 0.5, log=True, short="Armijo c₁")


def first_trial(meaning: str) -> Hyperparameter:
    return Hyperparameter("lr", r"\alpha_0", "α₀", meaning, 1e-3, 10.0, log=True, short=f"first trial step α₀")


CG = OptimizerSpec(
    name="cg", title="Conjugate gradients",
    summary="Search along the negative gradient bent by the last direction: n steps on an n-D quadratic.",
    factory=conjugate_gradients,
    hyperparameters=(first_trial("first trial step of the line search"), C1),
    variants=(Variant("beta_rule", "beta", "β rule",
                      {"polak-ribiere": "Polak-Ribière+ (β ≥ 0)", "fletcher-reeves": "Fletcher-Reeves"},
                      notes="polak-ribiere", pytorch="polak-ribiere"),
              LINE_SEARCH),
    recorded=(StateField("direction", "d"), StateField("beta", "beta", "scalar"),
              StateField("alpha", "alpha", "scalar"), StateField("fevals", "f_evals", "scalar"),
              StateField("gevals", "grad_evals", "scalar")),
    render_latex=_cg_latex, render_numeric=_cg_numeric,
    accepts_noise=False, needs_objective=True, surface_options=line_search_for,
)
