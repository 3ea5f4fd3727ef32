r"""Gradient descent and stochastic gradient descent: :math:`w_{t+1} = w_t - \eta\, g_t`."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..base import Optimizer, positive
from ..blocks import outputs, scaled
from ..spec import LR, OptimizerSpec
from ..tex import Step, tex_vector as V


class EmptyState(NamedTuple):
    """Plain gradient descent keeps no state."""


def gd(*, lr: float = 0.1) -> Optimizer:
    r"""Gradient descent: :math:`w_{t+1} = w_t - \eta\, g_t`.

    Args:
        lr: :math:`\eta`, the learning rate (PyTorch ``lr``, Keras ``learning_rate``), > 0.

    Example:
        >>> import numpy as np
        >>> opt = gd(lr=0.1)
        >>> updates, _ = opt.update(np.array([9.0]), opt.init(np.array([2.0])), np.array([2.0]))
        >>> float(2.0 + updates[0])   # the notes' first step on 2w^2 + w + 4 from w = 2
        1.1
    """
    lr = positive("lr", lr, "learning rate")
    neg_lr = -lr

    def update(grads, state, params, hess=None, out=None, diagnostics=True, lr_t=None):
        u, new = outputs(grads, state, out, (), neg_lr)
        return scaled(grads, neg_lr if lr_t is None else -lr_t, out=u), new  # -η g

    return Optimizer("gd", {"lr": lr}, {}, lambda params: EmptyState(), update)


def sgd(*, lr: float = 0.1) -> Optimizer:
    r"""Stochastic gradient descent: gradient descent on a noisy gradient, :math:`w_{t+1} = w_t - \eta\,\tilde g_t`.

    The update rule is the one of :func:`gd`; what makes it stochastic is the gradient it is given. A run
    gives it :math:`\tilde g_t = g_t + \sigma \xi_t` with seeded Gaussian :math:`\xi_t` on analytic surfaces,
    and the gradient of a random mini-batch of samples on ``linear-regression`` (see ``optim.run``).

    Args:
        lr: :math:`\eta`, the learning rate (PyTorch ``lr``), > 0.
    """
    return gd(lr=lr)._replace(name="sgd")


def _gd_latex(options: dict) -> str:
    return r"\begin{aligned}w_{t+1} &= w_t - \eta\, g_t\end{aligned}"


def _sgd_latex(options: dict) -> str:
    return (r"\begin{aligned}\tilde g_t &= \text{gradient of a random mini-batch (or } g_t + \sigma\xi_t\text{)}"
            r" \\ w_{t+1} &= w_t - \eta\, \tilde g_t\end{aligned}")


def _gd_numeric(surface, traj, k: int, t: int) -> list[str]:
    s = Step(traj, k, t)
    return [s.gradient_line(), rf"{s.wn} &= {V(s.w)} - {s.n('lr')} {V(s.g)} = {V(s.w_next)}"]


def _sgd_numeric(surface, traj, k: int, t: int) -> list[str]:
    s = Step(traj, k, t)
    exact = np.asarray(surface.grad(s.w))
    return [rf"\nabla f({s.wt}) &= {V(exact)} \quad \text{{(exact)}}",
            rf"\tilde g_{{{t}}} &= {V(s.g)} \quad \text{{(what the step uses)}}",
            rf"{s.wn} &= {V(s.w)} - {s.n('lr')} {V(s.g)} = {V(s.w_next)}"]


#: the learning rate that makes a first view of each surface instructive, where it is not the factory's 0.1
_LR = {"quartic": 0.01, "elongated-bowl": 0.07, "rosenbrock": 0.001, "beale": 0.01, "himmelblau": 0.01,
       "rastrigin": 0.002, "two-minima": 0.01}

GD = OptimizerSpec(
    name="gd", featured=True, title="Gradient descent", summary="Step against the gradient, scaled by the learning rate.",
    factory=gd, hyperparameters=(LR,), render_latex=_gd_latex, render_numeric=_gd_numeric,
    surface_defaults={name: {"lr": lr} for name, lr in _LR.items()},
    accepts_noise=False, step_arrow=False,
    iteration_matrix=lambda curvature, lr, beta=0.0, **options: (1.0 - lr * curvature)[..., None, None],
    matrix_latex=lambda options: r"e_{t+1} = (1 - \eta\lambda)\, e_t, \qquad \rho = \max_{\lambda} |1 - \eta\lambda|",
)

#: SGD's gradient noise sigma per analytic surface, its mini-batch size on the sample surface, its learning rate
SGD = OptimizerSpec(
    name="sgd", title="Stochastic gradient descent", summary="Gradient descent on a noisy or mini-batch gradient.",
    factory=sgd, hyperparameters=(LR,), render_latex=_sgd_latex, render_numeric=_sgd_numeric,
    surface_defaults={
        "notes-quadratic": {"noise": 2.0}, "notes-parabola": {"noise": 2.0}, "quartic": {"lr": 0.01, "noise": 5.0},
        "bowl": {"noise": 1.0}, "elongated-bowl": {"lr": 0.07, "noise": 1.0}, "saddle": {"noise": 0.5},
        "rosenbrock": {"lr": 0.001, "noise": 20.0}, "beale": {"lr": 0.01, "noise": 2.0},
        "himmelblau": {"lr": 0.01, "noise": 10.0}, "rastrigin": {"lr": 0.002, "noise": 20.0},
        "two-minima": {"lr": 0.01, "noise": 5.0}, "linear-regression": {"lr": 0.05, "batch_size": 1},
    },
    noisy_by_default=True, step_arrow=False,
)
