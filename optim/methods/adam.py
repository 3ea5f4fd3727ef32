r"""Adam: momentum on the gradient (first moment) divided by the RMS of the gradient (second moment)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..base import Optimizer, boolean, positive, unit_interval
from ..blocks import decay, moving_average, outputs, rms, squared, zeros_like
from ..spec import EPS, LR, Hyperparameter, OptimizerSpec, StateField, Variant
from ..tex import Step, tex_number, tex_vector as V


class AdamState(NamedTuple):
    m: np.ndarray  #: first moment: moving average of gradients
    v: np.ndarray  #: second moment: moving average of squared gradients
    lr_eff: np.ndarray  #: eta / (sqrt(v_hat) + eps), the step size applied to m_hat in the last update
    beta1_power: float | np.ndarray  #: beta1 ** t, for bias correction
    beta2_power: float | np.ndarray  #: beta2 ** t


def adam(*, lr: float = 0.001, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8,
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
        lr: :math:`\eta` (PyTorch ``lr``, Keras ``learning_rate``), > 0.
        beta1: :math:`\beta_1`, decay of the first moment (PyTorch ``betas[0]``, Keras ``beta_1``), in [0, 1).
        beta2: :math:`\beta_2`, decay of the second moment (PyTorch ``betas[1]``, Keras ``beta_2``), in [0, 1).
        eps: :math:`\epsilon` (PyTorch ``eps``, Keras ``epsilon``), > 0.
        bias_correction: whether to divide by :math:`1 - \beta^t`.
    """
    lr = positive("lr", lr, "learning rate")
    beta1 = unit_interval("beta1", beta1, "decay of the gradient average")
    beta2 = unit_interval("beta2", beta2, "decay of the squared-gradient average")
    eps = positive("eps", eps, "the small constant that keeps the division finite")
    boolean("bias_correction", bias_correction)

    def init(params):
        return AdamState(zeros_like(params), zeros_like(params), zeros_like(params), 1.0, 1.0)

    b1, b2 = decay(beta1), decay(beta2)

    def update(grads, state, params, hess=None, out=None, diagnostics=True, lr_t=None):
        u, new = outputs(grads, state, out, ("m", "v", "lr_eff"), lr, beta1, beta2, eps)
        b1p, b2p = state.beta1_power * beta1, state.beta2_power * beta2
        m = moving_average(state.m, grads, b1, out=new.m, tmp=u)  # m = β₁ m + (1 - β₁) g
        v = moving_average(state.v, squared(grads, out=u), b2, out=new.v, tmp=u)  # v = β₂ v + (1 - β₂) g²
        eta = lr if lr_t is None else lr_t
        d = rms(v, eps, False, out=new.lr_eff, correction=1.0 - b2p if bias_correction else None)  # √v̂ + ε
        step = np.divide(m, d, out=u)  # m / (√v̂ + ε)
        step *= -eta / (1.0 - b1p) if bias_correction else -eta  # -η m̂ / (√v̂ + ε), with m̂ = m / (1 - β₁ᵗ)
        if diagnostics:
            np.divide(eta, d, out=new.lr_eff)  # the step size η / (√v̂ + ε) a table shows
        return step, new._replace(beta1_power=b1p, beta2_power=b2p)

    return Optimizer("adam", {"lr": lr, "beta1": beta1, "beta2": beta2, "eps": eps},
                     {"bias_correction": bias_correction}, init, update, recorded=("m", "v", "lr_eff"))


def _adam_latex(o: dict) -> str:
    lines = [r"m_t &= \beta_1 m_{t-1} + (1-\beta_1)\, g_t", r"v_t &= \beta_2 v_{t-1} + (1-\beta_2)\, g_t^2"]
    if o["bias_correction"]:
        lines += [r"\hat m_t &= \frac{m_t}{1-\beta_1^t}, \quad \hat v_t = \frac{v_t}{1-\beta_2^t}",
                  r"w_{t+1} &= w_t - \frac{\eta}{\sqrt{\hat v_t} + \epsilon}\, \hat m_t"]
    else:
        lines += [r"w_{t+1} &= w_t - \frac{\eta}{\sqrt{v_t} + \epsilon}\, m_t"]
    return r"\begin{aligned}" + r" \\ ".join(lines) + r"\end{aligned}"


def _adam_numeric(surface, traj, k: int, t: int) -> list[str]:
    s = Step(traj, k, t)
    b1, b2 = s.h["beta1"], s.h["beta2"]
    m1, v1 = s.after("m"), s.after("v")
    lines = [s.gradient_line(),
             rf"m_{{{t}}} &= {tex_number(b1)} {V(s.before('m'))} + {tex_number(1 - b1)} {V(s.g)} = {V(m1)}",
             rf"v_{{{t}}} &= {tex_number(b2)} {V(s.before('v'))} + {tex_number(1 - b2)} {V(s.g ** 2)} = {V(v1)}"]
    if s.o["bias_correction"]:
        mh = m1 / (1 - b1**t)
        lines.append(rf"\hat m_{{{t}}} &= \frac{{m_{{{t}}}}}{{1 - {tex_number(b1)}^{{{t}}}}} = {V(mh)}, \quad "
                     rf"\hat v_{{{t}}} = \frac{{v_{{{t}}}}}{{1 - {tex_number(b2)}^{{{t}}}}} = {V(v1 / (1 - b2 ** t))}")
    else:
        mh = m1
    vsym = rf"\hat v_{{{t}}}" if s.o["bias_correction"] else f"v_{{{t}}}"
    lr_eff = s.after("lr_eff")
    lines += [rf"\frac{{\eta}}{{\sqrt{{{vsym}}} + \epsilon}} &= {V(lr_eff)}",
              rf"{s.wn} &= {V(s.w)} - {V(lr_eff)} \odot {V(mh)} = {V(s.w_next)}"]
    return lines


ADAM = OptimizerSpec(
    name="adam", featured=True, title="Adam", summary="Momentum divided by the RMS of the gradient, both bias-corrected.",
    factory=adam,
    hyperparameters=(LR,
                     Hyperparameter("beta1", r"\beta_1", "β₁", "decay of the gradient average", 0.0, 0.999,
                                    torch="betas[0]", keras="beta_1", short="β₁ (gradient average)"),
                     Hyperparameter("beta2", r"\beta_2", "β₂", "decay of the squared-gradient average", 0.5, 0.9999,
                                    torch="betas[1]", keras="beta_2", short="β₂ (squared-gradient average)"),
                     EPS),
    variants=(Variant("bias_correction", "bc", "Bias correction", {True: "on", False: "off"}, notes=True,
                      pytorch=True, keras=True,
                      written={True: "004 (v/(1 − β₁ᵗ), s/(1 − β₂ᵗ)); 003 with a typo: it divides by 1 − β₁ and "
                                     "1 − β₂, without the power t",
                               False: "002 (m/(√v + 1e-5)); 001 writes m and v only, no step"},
                      remarks={True: "Keras adds ε to √v before the correction: ε̂ = ε√(1 − β₂ᵗ) in these terms"}),),
    recorded=(StateField("m", "m", corrected_by="beta1", corrected_if="bias_correction"),
              StateField("v", "v", corrected_by="beta2", corrected_if="bias_correction"), StateField("lr_eff", "lr_eff")),
    render_latex=_adam_latex, render_numeric=_adam_numeric,
    surface_defaults={name: {"lr": lr} for name, lr in (
        ("quartic", 0.05), ("bowl", 0.1), ("elongated-bowl", 0.1), ("saddle", 0.05), ("rosenbrock", 0.05),
        ("beale", 0.05), ("himmelblau", 0.1), ("rastrigin", 0.1), ("two-minima", 0.05), ("linear-regression", 0.05))},
)

__all__ = ["ADAM", "AdamState", "adam"]
