r"""Momentum and Nesterov's accelerated gradient: a velocity accumulated from past gradients.

Two forms of the velocity, a named option ``form``:

* ``"ema"`` (the course notes' worked tables): :math:`v_t = \beta v_{t-1} + (1 - \beta)\, g_t`, an exponential
  moving average of the gradients;
* ``"classic"`` (PyTorch's ``SGD(momentum=beta)`` with ``dampening=0``, and the notes' slides on BatchNorm and
  CNNs): :math:`v_t = \beta v_{t-1} + g_t`.

The two trace the same path when the classic learning rate is :math:`(1 - \beta)` times the EMA one.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..base import Optimizer, choice, positive, unit_interval
from ..blocks import accumulate, outputs, scaled, zeros_like
from ..spec import LR, Hyperparameter, OptimizerSpec, StateField, Variant
from ..tex import Step, tex_number, tex_vector as V


class MomentumState(NamedTuple):
    v: np.ndarray  #: velocity, shaped like params


RECORDED = (StateField("v", "v"),)
BETA = Hyperparameter("beta", r"\beta", "β", "momentum", 0.0, 0.999, torch="momentum", keras="momentum",
                      flag="momentum")
FORM = Variant("form", "form", "Momentum form", {"ema": "v ← βv + (1−β)g (notes)", "classic": "v ← βv + g (PyTorch)"},
               notes="ema", pytorch="classic", keras="classic",
               written={"ema": "003, the slides with the worked tables (V = βV + (1−β)∂L/∂w); 004 (v = βv + (1−β)∂J/∂W)",
                        "classic": "002, the slides on BatchNorm and CNNs (v ← ρv + ∇L, then θ ← θ − εv)"},
               remarks={"ema": "PyTorch's SGD(momentum=β, dampening=β) uses this recursion, except that its first "
                               "velocity is g, not (1−β)g",
                        "classic": "Keras stores −η·v (m ← βm − ηg, w ← w + m): the same path"})
EVALUATION = Variant("evaluation", "eval", "Gradient taken at",
                     {"lookahead": "the look-ahead point", "pytorch": "w (PyTorch form)"},
                     notes="lookahead", pytorch="pytorch", keras="pytorch",
                     remarks={"lookahead": "Sutskever et al. (2013); 004 names Nesterov momentum without a formula",
                              "pytorch": "Keras: m ← βm − ηg, w ← w + βm − ηg, the same rule"})


def gradient_coefficient(beta, form: str):
    """The factor c on the gradient in v <- beta v + c g: (1 - beta) for the EMA form, 1 for the classic form."""
    choice("form", form, ("ema", "classic"))
    return 1.0 - beta if form == "ema" else 1.0


def momentum(*, lr: float = 0.1, beta: float = 0.9, form: str = "ema") -> Optimizer:
    r"""Gradient descent with momentum.

    .. math::
        v_t = \beta v_{t-1} + c\, g_t, \qquad w_{t+1} = w_t - \eta\, v_t, \qquad v_0 = 0

    with :math:`c = 1 - \beta` (``form="ema"``) or :math:`c = 1` (``form="classic"``), see the module docstring.

    Args:
        lr: :math:`\eta`, the learning rate (PyTorch ``lr``), > 0.
        beta: :math:`\beta`, the fraction of the old velocity kept (PyTorch and Keras ``momentum``), in [0, 1).
        form: ``"ema"`` or ``"classic"``.
    """
    lr = positive("lr", lr, "learning rate")
    beta = unit_interval("beta", beta, "momentum")
    c = gradient_coefficient(beta, form)
    neg_lr = -lr

    def update(grads, state, params, hess=None, out=None, diagnostics=True, lr_t=None):
        u, new = outputs(grads, state, out, ("v",), neg_lr, beta)
        v = accumulate(state.v, grads, beta, c, out=new.v, tmp=u)  # v = β v + c g
        return scaled(v, neg_lr if lr_t is None else -lr_t, out=u), new  # -η v

    return Optimizer("momentum", {"lr": lr, "beta": beta}, {"form": form},
                     lambda params: MomentumState(zeros_like(params)), update, recorded=("v",))


def nesterov(*, lr: float = 0.1, beta: float = 0.9, form: str = "ema", evaluation: str = "lookahead") -> Optimizer:
    r"""Nesterov's accelerated gradient: momentum whose gradient is taken where the momentum is heading.

    ``evaluation="lookahead"`` (Sutskever et al., 2013) evaluates the gradient at the look-ahead point
    :math:`\hat w_t = w_t - \eta\beta v_{t-1}`:

    .. math::
        v_t = \beta v_{t-1} + c\,\nabla f(w_t - \eta\beta v_{t-1}), \qquad w_{t+1} = w_t - \eta v_t

    ``evaluation="pytorch"`` (PyTorch ``SGD(momentum=beta, nesterov=True)``) is the same method written in the
    shifted variable :math:`u = w - \eta\beta v`, so the gradient is taken at the current point:

    .. math::
        v_t = \beta v_{t-1} + c\, g_t, \qquad w_{t+1} = w_t - \eta\,(c\, g_t + \beta v_t)

    :math:`c` is :math:`1 - \beta` for ``form="ema"`` and 1 for ``form="classic"`` (PyTorch).

    Args:
        lr: :math:`\eta` (PyTorch ``lr``), > 0.
        beta: :math:`\beta` (PyTorch ``momentum``), in [0, 1).
        form: ``"ema"`` or ``"classic"``.
        evaluation: ``"lookahead"`` or ``"pytorch"``.
    """
    lr = positive("lr", lr, "learning rate")
    beta = unit_interval("beta", beta, "momentum")
    c = gradient_coefficient(beta, form)
    choice("evaluation", evaluation, ("lookahead", "pytorch"))
    neg_lr = -lr
    look_coeff = -lr * beta

    def update(grads, state, params, hess=None, out=None, diagnostics=True, lr_t=None):
        step_lr = neg_lr if lr_t is None else -lr_t
        u, new = outputs(grads, state, out, ("v",), neg_lr, beta)
        cg = grads if form == "classic" else scaled(grads, c, out=u)  # c g
        v = accumulate(state.v, cg, beta, out=new.v)  # v = β v + c g
        if evaluation == "lookahead":
            return scaled(v, step_lr, out=u), new  # -η v
        step = np.add(beta * v, cg, out=u)  # -η (c g + β v)
        return scaled(step, step_lr, out=step), new

    def lookahead(params, state, lr_t=None):
        return params + (look_coeff if lr_t is None else -lr_t * beta) * state.v  # w - η β v

    return Optimizer("nesterov", {"lr": lr, "beta": beta}, {"form": form, "evaluation": evaluation},
                     lambda params: MomentumState(zeros_like(params)), update, recorded=("v",),
                     lookahead=lookahead if evaluation == "lookahead" else None)


# -- formulas ------------------------------------------------------------------------------------------------------

def _c_tex(options: dict) -> str:
    return r"(1-\beta)\," if options["form"] == "ema" else ""


def _momentum_latex(o: dict) -> str:
    return (rf"\begin{{aligned}}v_t &= \beta\, v_{{t-1}} + {_c_tex(o)}g_t \\ "
            r"w_{t+1} &= w_t - \eta\, v_t\end{aligned}")


def _nesterov_latex(o: dict) -> str:
    c = _c_tex(o)
    if o["evaluation"] == "lookahead":
        return (rf"\begin{{aligned}}v_t &= \beta\, v_{{t-1}} + {c}\nabla f(w_t - \eta\beta v_{{t-1}}) \\ "
                r"w_{t+1} &= w_t - \eta\, v_t\end{aligned}")
    return (rf"\begin{{aligned}}v_t &= \beta\, v_{{t-1}} + {c}g_t \\ "
            rf"w_{{t+1}} &= w_t - \eta\,({c}g_t + \beta\, v_t)\end{{aligned}}")


def _velocity_lines(s: Step) -> tuple[str, str]:
    c = tex_number(1 - s.h["beta"]) + r"\," if s.o["form"] == "ema" else ""
    return c, rf"v_{{{s.t}}} &= {s.n('beta')} {V(s.before('v'))} + {c}{V(s.g)} = {V(s.after('v'))}"


def _momentum_numeric(surface, traj, k: int, t: int) -> list[str]:
    s = Step(traj, k, t)
    _, velocity = _velocity_lines(s)
    return [s.gradient_line(), velocity, rf"{s.wn} &= {V(s.w)} - {s.n('lr')} {V(s.after('v'))} = {V(s.w_next)}"]


def _nesterov_numeric(surface, traj, k: int, t: int) -> list[str]:
    s = Step(traj, k, t)
    c, velocity = _velocity_lines(s)
    if s.o["evaluation"] == "lookahead":
        look = s.after("lookahead")
        return [rf"\hat w_{{{t}}} &= {V(s.w)} - {s.n('lr')} \cdot {s.n('beta')} {V(s.before('v'))} = {V(look)}",
                rf"g &= \nabla f(\hat w_{{{t}}}) = {V(s.g)}", velocity,
                rf"{s.wn} &= {V(s.w)} - {s.n('lr')} {V(s.after('v'))} = {V(s.w_next)}"]
    return [s.gradient_line(), velocity,
            rf"{s.wn} &= {V(s.w)} - {s.n('lr')}\,({c}{V(s.g)} + {s.n('beta')} {V(s.after('v'))}) = {V(s.w_next)}"]


# -- the linear theory on a quadratic ------------------------------------------------------------------------------

def _momentum_matrix(lam, lr, beta, *, form="ema", evaluation="lookahead"):
    r""":math:`M = \begin{pmatrix} q & -\eta\beta \\ c\lambda & \beta \end{pmatrix}`, :math:`q = 1 - \eta c\lambda`."""
    c = gradient_coefficient(beta, form) * np.ones_like(beta)
    q = 1.0 - lr * c * lam
    return _stack(((q, -lr * beta), (c * lam, beta)))


def _nesterov_matrix(lam, lr, beta, *, form="ema", evaluation="lookahead"):
    r"""Look-ahead: :math:`\begin{pmatrix} q & -\eta\beta q \\ c\lambda & \beta q \end{pmatrix}`; PyTorch's form:
    :math:`\begin{pmatrix} 1 - \eta c\lambda(1+\beta) & -\eta\beta^2 \\ c\lambda & \beta \end{pmatrix}`, the same
    method in a shifted variable (same trace and determinant)."""
    choice("evaluation", evaluation, ("lookahead", "pytorch"))
    c = gradient_coefficient(beta, form) * np.ones_like(beta)
    q = 1.0 - lr * c * lam
    if evaluation == "lookahead":
        return _stack(((q, -lr * beta * q), (c * lam, beta * q)))
    return _stack(((1.0 - lr * c * lam * (1.0 + beta), -lr * beta * beta), (c * lam, beta)))


def _stack(rows) -> np.ndarray:
    return np.stack([np.stack(r, axis=-1) for r in rows], axis=-2)


def _matrix_latex(o: dict, lookahead_rows: bool) -> str:
    c = r"(1-\beta)" if o.get("form", "ema") == "ema" else ""
    cl = rf"{c}\lambda" if c else r"\lambda"
    q = rf"1 - \eta {cl}"
    if not lookahead_rows:
        m = rf"\begin{{pmatrix}} {q} & -\eta\beta \\ {cl} & \beta \end{{pmatrix}}"
    elif o.get("evaluation", "lookahead") == "lookahead":
        m = rf"\begin{{pmatrix}} {q} & -\eta\beta\,({q}) \\ {cl} & \beta\,({q}) \end{{pmatrix}}"
    else:
        m = rf"\begin{{pmatrix}} 1 - \eta {cl}(1+\beta) & -\eta\beta^2 \\ {cl} & \beta \end{{pmatrix}}"
    return (rf"\begin{{pmatrix}} e_{{t+1}} \\ v_t \end{{pmatrix}} = {m} \begin{{pmatrix}} e_t \\ v_{{t-1}} "
            r"\end{pmatrix}, \qquad \rho = \max_{\lambda} |z_{\max}(M_\lambda)|")


def _lr_scale(options: dict, beta: float) -> float:
    """The classic form's learning rate is (1 - beta) times the EMA form's for the same path."""
    return 1.0 - beta if options.get("form") == "classic" else 1.0


_SURFACE = {"quartic": {"lr": 0.01}, "bowl": {"beta": 0.5}, "elongated-bowl": {"lr": 0.07, "beta": 0.8},
            "beale": {"lr": 0.01}, "himmelblau": {"lr": 0.005}, "rastrigin": {"lr": 0.002},
            "two-minima": {"lr": 0.01}}

MOMENTUM = OptimizerSpec(
    name="momentum", featured=True, title="Momentum", summary="Accumulate a velocity from past gradients and step along it.",
    factory=momentum, hyperparameters=(LR, BETA), variants=(FORM,), recorded=RECORDED,
    render_latex=_momentum_latex, render_numeric=_momentum_numeric,
    surface_defaults=_SURFACE | {"rosenbrock": {"lr": 0.01}},
    iteration_matrix=_momentum_matrix, matrix_latex=lambda o: _matrix_latex(o, False), lr_scale=_lr_scale,
)

NESTEROV = OptimizerSpec(
    name="nesterov", title="Nesterov momentum",
    summary="Momentum that takes the gradient where the velocity is about to carry it.",
    factory=nesterov, hyperparameters=(LR, BETA), variants=(FORM, EVALUATION),
    recorded=RECORDED + (StateField("lookahead", "look", "point"),),
    render_latex=_nesterov_latex, render_numeric=_nesterov_numeric,
    surface_defaults=_SURFACE | {"rosenbrock": {"lr": 0.007}},
    iteration_matrix=_nesterov_matrix, matrix_latex=lambda o: _matrix_latex(o, True), lr_scale=_lr_scale,
)
