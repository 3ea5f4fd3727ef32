r"""The nine optimizers as (init, update) pairs over coordinate-first arrays.

Notation shared by every docstring: :math:`w_t` the parameters (``params``), :math:`g_t = \nabla f(w_t)` the
gradient the update receives (``grads``), :math:`\eta` the learning rate (``lr``). Each update returns
``updates`` with :math:`w_{t+1} = w_t + \text{updates}`. All rules act coordinate by coordinate except
Newton's, so they work on arrays of any shape; hyperparameters broadcast against the batch axes.

``update(grads, state, params, hess=None, out=None)`` is pure by default: it reads its arguments and
returns new arrays. Like a ufunc it can instead write into buffers ``out = (updates, state)``, which may be
the input state itself: the run loop updates its state in place that way, with no allocation per step. Both
ways run the same operations in the same order, so they give the same numbers to the last bit.

Where the course notes and PyTorch disagree, the difference is a named option (``form``, ``evaluation``,
``eps_in_sqrt``, ``bias_correction``); ``optim.registry.CONVENTIONS`` names the two coherent sets,
``"notes"`` and ``"pytorch"``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .base import Optimizer, choice, positive, unit_interval


class EmptyState(NamedTuple):
    """Plain gradient descent keeps no state."""


class MomentumState(NamedTuple):
    v: np.ndarray  #: velocity, shaped like params


class AdagradState(NamedTuple):
    G: np.ndarray  #: running sum of squared gradients
    lr_eff: np.ndarray  #: the per-coordinate step size eta / sqrt(G + eps) of the last update (diagnostic)


class RMSPropState(NamedTuple):
    s: np.ndarray  #: exponential moving average of squared gradients
    lr_eff: np.ndarray  #: the per-coordinate step size of the last update (diagnostic)


class AdaDeltaState(NamedTuple):
    s: np.ndarray  #: moving average of squared gradients
    delta: np.ndarray  #: moving average of squared (unscaled) updates
    lr_eff: np.ndarray  #: the per-coordinate step size on the gradient in the last update (diagnostic)


class AdamState(NamedTuple):
    m: np.ndarray  #: first moment: moving average of gradients
    v: np.ndarray  #: second moment: moving average of squared gradients
    lr_eff: np.ndarray  #: eta / (sqrt(v_hat) + eps), the step size applied to m_hat in the last update
    beta1_power: float | np.ndarray  #: beta1 ** t, for bias correction
    beta2_power: float | np.ndarray  #: beta2 ** t


class NewtonState(NamedTuple):
    curvature: np.ndarray  #: Hessian eigenvalues at the last update point, ascending, (d, *batch); 0 before any


def _zeros(params) -> np.ndarray:
    return np.zeros(np.shape(params), dtype=float)


def _outputs(grads, state: tuple, out, fields: tuple[str, ...], *hyper):
    """The arrays an update writes: the caller's ``out = (updates, state)``, or new ones of the broadcast shape
    of the gradient and the hyperparameters (a grid of learning rates widens a single start point's state)."""
    if out is not None:
        return out
    shape = np.broadcast_shapes(np.shape(grads), *(np.shape(h) for h in hyper))
    return np.empty(shape), state._replace(**{f: np.empty(shape) for f in fields})


# -- gradient descent ----------------------------------------------------------------------------------------


def gd(lr: float = 0.1) -> Optimizer:
    r"""Gradient descent: :math:`w_{t+1} = w_t - \eta\, g_t`.

    Args:
        lr: :math:`\eta`, the learning rate (PyTorch ``lr``), > 0.

    Example:
        >>> import numpy as np
        >>> opt = gd(lr=0.1)
        >>> updates, _ = opt.update(np.array([9.0]), opt.init(np.array([2.0])), np.array([2.0]))
        >>> float(2.0 + updates[0])   # the notes' first step on 2w^2 + w + 4 from w = 2
        1.1
    """
    lr = positive("lr", lr, "learning rate")
    neg_lr = -lr

    def update(grads, state, params, hess=None, out=None):
        u, new = _outputs(grads, state, out, (), neg_lr)
        return np.multiply(grads, neg_lr, out=u), new

    return Optimizer("gd", {"lr": lr}, {}, lambda params: EmptyState(), update)


def sgd(lr: float = 0.1) -> Optimizer:
    r"""Stochastic gradient descent: gradient descent on a noisy gradient, :math:`w_{t+1} = w_t - \eta\,\tilde g_t`.

    The update rule is the one of :func:`gd`; what makes it stochastic is the gradient it is given. A run
    gives it :math:`\tilde g_t = g_t + \sigma \xi_t` with seeded Gaussian :math:`\xi_t` on analytic surfaces,
    and the gradient of a random mini-batch of samples on ``linear-regression`` (see ``optim.run``).

    Args:
        lr: :math:`\eta`, the learning rate (PyTorch ``lr``), > 0.
    """
    return gd(lr)._replace(name="sgd", stochastic=True)


# -- momentum -------------------------------------------------------------------------------------------------


def _momentum_coeff(beta, form: str):
    """The factor c on the gradient in v <- beta v + c g: (1 - beta) for the EMA form, 1 for the classic form."""
    choice("form", form, ("ema", "classic"))
    return 1.0 - beta if form == "ema" else 1.0


def momentum(lr: float = 0.1, beta: float = 0.9, *, form: str = "ema") -> Optimizer:
    r"""Gradient descent with momentum.

    .. math::
        v_t = \beta v_{t-1} + c\, g_t, \qquad w_{t+1} = w_t - \eta\, v_t, \qquad v_0 = 0

    ``form="ema"`` (the notes, lecture 003): :math:`c = 1 - \beta`, so :math:`v` is an exponential moving
    average of gradients. ``form="classic"`` (the notes, lecture 002; PyTorch ``SGD(momentum=beta)`` with
    ``dampening=0``): :math:`c = 1`. The two forms trace the same path when the classic learning rate is
    :math:`(1 - \beta)` times the EMA one.

    Args:
        lr: :math:`\eta`, the learning rate (PyTorch ``lr``), > 0.
        beta: :math:`\beta`, the fraction of the old velocity kept (PyTorch ``momentum``), in [0, 1).
        form: ``"ema"`` or ``"classic"``.
    """
    lr = positive("lr", lr, "learning rate")
    beta = unit_interval("beta", beta, "momentum")
    c = _momentum_coeff(beta, form)
    neg_lr = -lr

    def update(grads, state, params, hess=None, out=None):
        u, new = _outputs(grads, state, out, ("v",), neg_lr, beta)
        v = np.multiply(state.v, beta, out=new.v)
        if form == "ema":
            v += np.multiply(grads, c, out=u)
        else:
            v += grads
        return np.multiply(v, neg_lr, out=u), new

    return Optimizer("momentum", {"lr": lr, "beta": beta}, {"form": form},
                     lambda params: MomentumState(_zeros(params)), update, recorded=("v",))


def nesterov(lr: float = 0.1, beta: float = 0.9, *, form: str = "ema", evaluation: str = "lookahead") -> Optimizer:
    r"""Nesterov's accelerated gradient: momentum whose gradient is taken where the momentum is heading.

    ``evaluation="lookahead"`` (Sutskever et al., 2013; the form the notes' momentum suggests) evaluates the
    gradient at the look-ahead point :math:`\hat w_t = w_t - \eta\beta v_{t-1}`:

    .. math::
        v_t = \beta v_{t-1} + c\,\nabla f(w_t - \eta\beta v_{t-1}), \qquad w_{t+1} = w_t - \eta v_t

    ``evaluation="pytorch"`` (PyTorch ``SGD(momentum=beta, nesterov=True)``) is the same method written in the
    shifted variable :math:`u = w - \eta\beta v`, so the gradient is taken at the current point:

    .. math::
        v_t = \beta v_{t-1} + c\, g_t, \qquad w_{t+1} = w_t - \eta\,(c\, g_t + \beta v_t)

    :math:`c` is :math:`1 - \beta` for ``form="ema"`` and 1 for ``form="classic"`` (PyTorch), as in
    :func:`momentum`.

    Args:
        lr: :math:`\eta` (PyTorch ``lr``), > 0.
        beta: :math:`\beta` (PyTorch ``momentum``), in [0, 1).
        form: ``"ema"`` or ``"classic"``.
        evaluation: ``"lookahead"`` or ``"pytorch"``.
    """
    lr = positive("lr", lr, "learning rate")
    beta = unit_interval("beta", beta, "momentum")
    c = _momentum_coeff(beta, form)
    choice("evaluation", evaluation, ("lookahead", "pytorch"))
    neg_lr = -lr
    look_coeff = -lr * beta

    def update(grads, state, params, hess=None, out=None):
        u, new = _outputs(grads, state, out, ("v",), neg_lr, beta)
        cg = np.multiply(grads, c, out=u) if form == "ema" else grads
        v = np.multiply(state.v, beta, out=new.v)
        v += cg
        if evaluation == "lookahead":
            return np.multiply(v, neg_lr, out=u), new
        step = np.add(beta * v, cg, out=u)  # beta v_t + c g_t
        step *= neg_lr
        return step, new

    def lookahead(params, state):
        return params + look_coeff * state.v

    return Optimizer("nesterov", {"lr": lr, "beta": beta}, {"form": form, "evaluation": evaluation},
                     lambda params: MomentumState(_zeros(params)), update, recorded=("v",),
                     lookahead=lookahead if evaluation == "lookahead" else None)


# -- adaptive learning rates -------------------------------------------------------------------------------------


def _inverse_rms(mean_sq, eps, eps_in_sqrt: bool, out=None) -> np.ndarray:
    """1 / sqrt(mean_sq + eps) or 1 / (sqrt(mean_sq) + eps), written into ``out`` if given."""
    if eps_in_sqrt:
        d = np.add(mean_sq, eps, out=out)
        np.sqrt(d, out=d)
    else:
        d = np.sqrt(mean_sq, out=out)
        d += eps
    return np.reciprocal(d, out=d)


def adagrad(lr: float = 0.1, eps: float = 1e-10, *, eps_in_sqrt: bool = True) -> Optimizer:
    r"""Adagrad: a per-coordinate learning rate that shrinks with the sum of all past squared gradients.

    .. math::
        G_t = G_{t-1} + g_t^2, \qquad \eta_t = \frac{\eta}{\sqrt{G_t + \epsilon}}, \qquad
        w_{t+1} = w_t - \eta_t\, g_t, \qquad G_0 = 0

    ``eps_in_sqrt=True`` is the notes' form (lectures 001, 002, 004). ``eps_in_sqrt=False`` puts
    :math:`\epsilon` outside the root, :math:`\eta_t = \eta / (\sqrt{G_t} + \epsilon)`, as PyTorch's
    ``Adagrad`` (with ``lr_decay=0``, ``initial_accumulator_value=0``) and the notes' lecture 003 do.

    Args:
        lr: :math:`\eta` (PyTorch ``lr``), > 0.
        eps: :math:`\epsilon` (PyTorch ``eps``), > 0.
        eps_in_sqrt: where :math:`\epsilon` goes.
    """
    lr = positive("lr", lr, "learning rate")
    eps = positive("eps", eps, "the small constant that keeps the division finite")

    def update(grads, state, params, hess=None, out=None):
        u, new = _outputs(grads, state, out, ("G", "lr_eff"), lr, eps)
        G = np.add(np.multiply(grads, grads, out=u), state.G, out=new.G)
        lr_eff = _inverse_rms(G, eps, eps_in_sqrt, out=new.lr_eff)
        lr_eff *= lr
        return np.multiply(np.negative(lr_eff, out=u), grads, out=u), new

    return Optimizer("adagrad", {"lr": lr, "eps": eps}, {"eps_in_sqrt": eps_in_sqrt},
                     lambda p: AdagradState(_zeros(p), _zeros(p)), update, recorded=("G", "lr_eff"))


def rmsprop(lr: float = 0.01, rho: float = 0.9, eps: float = 1e-8, *, eps_in_sqrt: bool = False) -> Optimizer:
    r"""RMSProp: Adagrad with a moving average of squared gradients instead of their sum.

    .. math::
        s_t = \rho s_{t-1} + (1 - \rho)\, g_t^2, \qquad \eta_t = \frac{\eta}{\sqrt{s_t} + \epsilon}, \qquad
        w_{t+1} = w_t - \eta_t\, g_t, \qquad s_0 = 0

    :math:`\epsilon` outside the root is the notes' usual form (lectures 002, 003) and PyTorch's
    ``RMSprop`` (``centered=False``, ``momentum=0``); ``eps_in_sqrt=True`` gives
    :math:`\eta / \sqrt{s_t + \epsilon}` (lecture 004).

    Args:
        lr: :math:`\eta` (PyTorch ``lr``), > 0.
        rho: :math:`\rho`, the decay of the average (the notes' :math:`\beta` or :math:`\gamma`; PyTorch
            ``alpha``), in [0, 1).
        eps: :math:`\epsilon` (PyTorch ``eps``), > 0.
        eps_in_sqrt: where :math:`\epsilon` goes.
    """
    lr = positive("lr", lr, "learning rate")
    rho = unit_interval("rho", rho, "decay of the squared-gradient average")
    eps = positive("eps", eps, "the small constant that keeps the division finite")
    one_minus_rho = 1.0 - rho

    def update(grads, state, params, hess=None, out=None):
        u, new = _outputs(grads, state, out, ("s", "lr_eff"), lr, rho, eps)
        g2 = np.multiply(grads, grads, out=u)
        g2 *= one_minus_rho
        s = np.multiply(state.s, rho, out=new.s)
        s += g2
        lr_eff = _inverse_rms(s, eps, eps_in_sqrt, out=new.lr_eff)
        lr_eff *= lr
        return np.multiply(np.negative(lr_eff, out=u), grads, out=u), new

    return Optimizer("rmsprop", {"lr": lr, "rho": rho, "eps": eps}, {"eps_in_sqrt": eps_in_sqrt},
                     lambda p: RMSPropState(_zeros(p), _zeros(p)), update, recorded=("s", "lr_eff"))


def adadelta(lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6, *, eps_in_sqrt: bool = True) -> Optimizer:
    r"""AdaDelta: RMSProp whose step size is the RMS of recent updates, so no learning rate is needed.

    .. math::
        s_t &= \rho s_{t-1} + (1 - \rho)\, g_t^2 \\
        \Delta_t &= \frac{\sqrt{u_{t-1} + \epsilon}}{\sqrt{s_t + \epsilon}}\, g_t \\
        u_t &= \rho u_{t-1} + (1 - \rho)\, \Delta_t^2 \\
        w_{t+1} &= w_t - \eta\, \Delta_t, \qquad s_0 = u_0 = 0

    Zeiler's AdaDelta has no learning rate (:math:`\eta = 1`, the default); PyTorch's ``Adadelta`` and the
    notes' lecture 004 scale the step by ``lr``. :math:`\epsilon` inside both roots is Zeiler's, PyTorch's and
    the notes' form; ``eps_in_sqrt=False`` gives :math:`(\sqrt{u} + \epsilon) / (\sqrt{s} + \epsilon)`.
    The recorded ``lr_eff`` is :math:`\eta \sqrt{u_{t-1} + \epsilon} / \sqrt{s_t + \epsilon}`.

    Args:
        lr: :math:`\eta` (PyTorch ``lr``), > 0.
        rho: :math:`\rho` (PyTorch ``rho``), in [0, 1).
        eps: :math:`\epsilon` (PyTorch ``eps``), > 0.
        eps_in_sqrt: where :math:`\epsilon` goes.
    """
    lr = positive("lr", lr, "learning rate")
    rho = unit_interval("rho", rho, "decay of the averages")
    eps = positive("eps", eps, "the small constant that keeps the division finite and starts the steps")
    one_minus_rho = 1.0 - rho

    def update(grads, state, params, hess=None, out=None):
        u, new = _outputs(grads, state, out, ("s", "delta", "lr_eff"), lr, rho, eps)
        g2 = np.multiply(grads, grads, out=u)
        g2 *= one_minus_rho
        s = np.multiply(state.s, rho, out=new.s)
        s += g2
        if eps_in_sqrt:  # the RMS of the past updates, read before the state is overwritten
            ratio = np.add(state.delta, eps, out=new.lr_eff)
            np.sqrt(ratio, out=ratio)
        else:
            ratio = np.sqrt(state.delta, out=new.lr_eff)
            ratio += eps
        ratio *= _inverse_rms(s, eps, eps_in_sqrt, out=u)
        step = np.multiply(ratio, grads, out=u)
        step2 = step * step
        step2 *= one_minus_rho
        delta = np.multiply(state.delta, rho, out=new.delta)
        delta += step2
        ratio *= lr
        step *= -lr
        return step, new

    return Optimizer("adadelta", {"lr": lr, "rho": rho, "eps": eps}, {"eps_in_sqrt": eps_in_sqrt},
                     lambda p: AdaDeltaState(_zeros(p), _zeros(p), _zeros(p)), update,
                     recorded=("s", "delta", "lr_eff"))


def adam(lr: float = 0.001, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8, *,
         bias_correction: bool = True) -> Optimizer:
    r"""Adam: momentum on the gradient (first moment) divided by the RMS of the gradient (second moment).

    .. math::
        m_t &= \beta_1 m_{t-1} + (1 - \beta_1)\, g_t, \qquad v_t = \beta_2 v_{t-1} + (1 - \beta_2)\, g_t^2 \\
        \hat m_t &= \frac{m_t}{1 - \beta_1^t}, \qquad \hat v_t = \frac{v_t}{1 - \beta_2^t} \\
        w_{t+1} &= w_t - \frac{\eta}{\sqrt{\hat v_t} + \epsilon}\, \hat m_t, \qquad m_0 = v_0 = 0

    With ``bias_correction=True`` this is the notes' Adam (lectures 003, 004) and PyTorch's ``Adam``
    (``amsgrad=False``, ``weight_decay=0``). ``bias_correction=False`` uses :math:`m_t, v_t` directly (lecture
    002); with :math:`\beta_1 = 0` it is then exactly :func:`rmsprop` with :math:`\rho = \beta_2`.
    The recorded ``lr_eff`` is :math:`\eta / (\sqrt{\hat v_t} + \epsilon)`.

    Args:
        lr: :math:`\eta` (PyTorch ``lr``), > 0.
        beta1: :math:`\beta_1`, decay of the first moment (PyTorch ``betas[0]``), in [0, 1).
        beta2: :math:`\beta_2`, decay of the second moment (PyTorch ``betas[1]``), in [0, 1).
        eps: :math:`\epsilon` (PyTorch ``eps``), > 0.
        bias_correction: whether to divide by :math:`1 - \beta^t`.
    """
    lr = positive("lr", lr, "learning rate")
    beta1 = unit_interval("beta1", beta1, "decay of the gradient average")
    beta2 = unit_interval("beta2", beta2, "decay of the squared-gradient average")
    eps = positive("eps", eps, "the small constant that keeps the division finite")
    one_minus_b1, one_minus_b2 = 1.0 - beta1, 1.0 - beta2

    def init(params):
        return AdamState(_zeros(params), _zeros(params), _zeros(params), 1.0, 1.0)

    def update(grads, state, params, hess=None, out=None):
        u, new = _outputs(grads, state, out, ("m", "v", "lr_eff"), lr, beta1, beta2, eps)
        m = np.multiply(state.m, beta1, out=new.m)
        m += np.multiply(grads, one_minus_b1, out=u)
        g2 = np.multiply(grads, grads, out=u)
        g2 *= one_minus_b2
        v = np.multiply(state.v, beta2, out=new.v)
        v += g2
        b1p, b2p = state.beta1_power * beta1, state.beta2_power * beta2
        if bias_correction:
            lr_eff = np.divide(v, 1.0 - b2p, out=new.lr_eff)
            np.sqrt(lr_eff, out=lr_eff)
        else:
            lr_eff = np.sqrt(v, out=new.lr_eff)
        lr_eff += eps
        np.divide(lr, lr_eff, out=lr_eff)
        step = np.multiply(m, -1.0 / (1.0 - b1p) if bias_correction else -1.0, out=u)
        step *= lr_eff
        return step, new._replace(beta1_power=b1p, beta2_power=b2p)

    return Optimizer("adam", {"lr": lr, "beta1": beta1, "beta2": beta2, "eps": eps},
                     {"bias_correction": bias_correction}, init, update, recorded=("m", "v", "lr_eff"))


# -- second order -------------------------------------------------------------------------------------------------


def newton(lr: float = 1.0, *, safeguard: bool = False, min_curvature: float = 0.1) -> Optimizer:
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
    neg_lr = -lr

    def update(grads, state, params, hess=None, out=None):  # eigendecompositions allocate anyway: out unused
        if hess is None:
            raise ValueError("Newton's method needs the Hessian: call update(grads, state, params, hess=...)")
        d = grads.shape[0]
        H = np.moveaxis(hess, (0, 1), (-2, -1))  # (*batch, d, d)
        lam, Q = np.linalg.eigh(H)  # ascending eigenvalues (*batch, d), vectors in columns
        g = np.moveaxis(grads, 0, -1)[..., None]  # (*batch, d, 1)
        coeffs = np.swapaxes(Q, -1, -2) @ g  # (*batch, d, 1): the gradient in the eigenbasis
        # lam is batch-first (*batch, d): give min_curvature (scalar or batch-shaped) a trailing axis for d
        curv = np.maximum(np.abs(lam), np.asarray(min_curvature)[..., None]) if safeguard else lam
        with np.errstate(divide="ignore", invalid="ignore"):
            step = Q @ (coeffs / curv[..., None])
        step = np.moveaxis(step[..., 0], -1, 0) * neg_lr
        return step.reshape(grads.shape), NewtonState(np.moveaxis(lam, -1, 0).reshape((d,) + grads.shape[1:]))

    return Optimizer("newton", {"lr": lr, "min_curvature": min_curvature}, {"safeguard": safeguard},
                     lambda p: NewtonState(_zeros(p)), update,
                     recorded=("curvature",), needs_hessian=True)


FACTORIES = {f.__name__: f for f in (gd, sgd, momentum, nesterov, adagrad, rmsprop, adadelta, adam, newton)}
