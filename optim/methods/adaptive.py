r"""The adaptive learning rates: Adagrad, RMSProp and AdaDelta, each coordinate's step divided by the root of
its squared gradients (summed, or a moving average).

Where :math:`\epsilon` goes differs between the notes, the frameworks and the methods: inside the root,
:math:`\eta / \sqrt{s + \epsilon}`, or outside, :math:`\eta / (\sqrt{s} + \epsilon)`. It is the named option
``eps_in_sqrt``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..base import Optimizer, boolean, positive, unit_interval
from ..blocks import (accumulate, decay, inverse_rms, moving_average, outputs, rms, scale_by_rms, scaled, squared,
                      zeros_like)
from ..spec import EPS, LR, Hyperparameter, OptimizerSpec, StateField, Variant
from ..tex import Step, tex_number, tex_vector as V

LR_EFF = StateField("lr_eff", "lr_eff")


def eps_variant(notes: bool, pytorch: bool, keras: bool | None = None, written: dict | None = None,
                remarks: dict | None = None) -> Variant:
    return Variant("eps_in_sqrt", "epsin", "ε", {True: "inside the root: √(s + ε)", False: "outside: √s + ε"},
                   notes=notes, pytorch=pytorch, keras=keras, written=written or {}, remarks=remarks or {})


def _denominator(symbol: str, o: dict, t: str = "t") -> str:
    sub = t if t == "t" else f"{{{t}}}"  # s_t in the rule, s_{12} with numbers
    return rf"\sqrt{{{symbol}_{sub} + \epsilon}}" if o["eps_in_sqrt"] else rf"\sqrt{{{symbol}_{sub}}} + \epsilon"


def _scaled_step_lines(s: Step, symbol: str) -> list[str]:
    lr_eff = s.after("lr_eff")
    return [rf"\frac{{\eta}}{{{_denominator(symbol, s.o, str(s.t))}}} &= {V(lr_eff)} \quad (\epsilon = {s.n('eps')})",
            rf"{s.wn} &= {V(s.w)} - {V(lr_eff)} \odot {V(s.g)} = {V(s.w_next)}"]


# -- Adagrad -------------------------------------------------------------------------------------------------------

class AdagradState(NamedTuple):
    G: np.ndarray  #: running sum of squared gradients
    lr_eff: np.ndarray  #: the per-coordinate step size eta / sqrt(G + eps) of the last update (diagnostic)


def adagrad(*, lr: float = 0.1, eps: float = 1e-10, eps_in_sqrt: bool = True) -> Optimizer:
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
    boolean("eps_in_sqrt", eps_in_sqrt)

    def update(grads, state, params, hess=None, out=None, diagnostics=True, lr_t=None):
        u, new = outputs(grads, state, out, ("G", "lr_eff"), lr, eps)
        G = accumulate(state.G, squared(grads, out=u), 1.0, out=new.G)  # G = G + g²
        eta = lr if lr_t is None else lr_t
        return scale_by_rms(grads, G, eta, eps, eps_in_sqrt, lr_eff=new.lr_eff, out=u,
                            diagnostics=diagnostics), new  # -η g / √(G + ε)

    return Optimizer("adagrad", {"lr": lr, "eps": eps}, {"eps_in_sqrt": eps_in_sqrt},
                     lambda p: AdagradState(zeros_like(p), zeros_like(p)), update, recorded=("G", "lr_eff"))


def _adagrad_latex(o: dict) -> str:
    return (rf"\begin{{aligned}}G_t &= G_{{t-1}} + g_t^2 \\ w_{{t+1}} &= w_t - \frac{{\eta}}{{{_denominator('G', o)}}}"
            r"\, g_t\end{aligned}")


def _adagrad_numeric(surface, traj, k: int, t: int) -> list[str]:
    s = Step(traj, k, t)
    return [s.gradient_line(),
            rf"G_{{{t}}} &= G_{{{t - 1}}} + g_{{{t}}}^2 = {V(s.before('G'))} + {V(s.g ** 2)} = {V(s.after('G'))}",
            *_scaled_step_lines(s, "G")]


ADAGRAD = OptimizerSpec(
    name="adagrad", title="Adagrad",
    summary="Divide each coordinate's step by the root of its summed squared gradients.",
    factory=adagrad, hyperparameters=(LR, EPS), variants=(eps_variant(True, False, True, written={
        True: "001 (η/sqrt(α_t + ε)); 002 (η/√(α_t + ε)); 004 (η/√(χ_t + ε), and its code np.sqrt(gradient_sums + epsilon))",
        False: "003 (η/(ε + √Σ(∂L/∂w)²))"},
        remarks={True: "Keras starts the sum at 0.1 (initial_accumulator_value)",
                 False: "tf.keras of TensorFlow 2.0 put ε outside, as PyTorch does"}),),
    recorded=(StateField("G", "G"), LR_EFF), render_latex=_adagrad_latex, render_numeric=_adagrad_numeric,
    surface_defaults={"quartic": {"lr": 0.3}, "bowl": {"lr": 0.5}, "elongated-bowl": {"lr": 0.3},
                      "saddle": {"lr": 0.3}, "rosenbrock": {"lr": 0.5}, "beale": {"lr": 0.5}, "himmelblau": {"lr": 1.0},
                      "rastrigin": {"lr": 0.5}, "two-minima": {"lr": 0.3}, "linear-regression": {"lr": 0.5}},
)


# -- RMSProp -------------------------------------------------------------------------------------------------------

class RMSPropState(NamedTuple):
    s: np.ndarray  #: exponential moving average of squared gradients
    lr_eff: np.ndarray  #: the per-coordinate step size of the last update (diagnostic)
    rho_power: float | np.ndarray = 1.0  #: rho ** t, for bias correction


def rmsprop(*, lr: float = 0.01, rho: float = 0.9, eps: float = 1e-8, eps_in_sqrt: bool = False,
            bias_correction: bool = False) -> Optimizer:
    r"""RMSProp: Adagrad with a moving average of squared gradients instead of their sum.

    .. math::
        s_t = \rho s_{t-1} + (1 - \rho)\, g_t^2, \qquad \eta_t = \frac{\eta}{\sqrt{s_t} + \epsilon}, \qquad
        w_{t+1} = w_t - \eta_t\, g_t, \qquad s_0 = 0

    :math:`\epsilon` outside the root is the notes' usual form (lectures 002, 003) and PyTorch's
    ``RMSprop`` (``centered=False``, ``momentum=0``); ``eps_in_sqrt=True`` gives
    :math:`\eta / \sqrt{s_t + \epsilon}` (lecture 004).

    ``bias_correction=True`` divides the average by :math:`1 - \rho^t` as Adam does, :math:`\hat s_t = s_t /
    (1 - \rho^t)`, and steps with :math:`\eta / (\sqrt{\hat s_t} + \epsilon)` (one of the notes writes the
    corrected average). Then it is exactly Adam with :math:`\beta_1 = 0`, :math:`\beta_2 = \rho` and bias
    correction. PyTorch's ``RMSprop`` has no such option (both conventions leave it off).

    Args:
        lr: :math:`\eta` (PyTorch ``lr``), > 0.
        rho: :math:`\rho`, the decay of the average (the notes' :math:`\beta` or :math:`\gamma`; PyTorch
            ``alpha``, Keras ``rho``), in [0, 1).
        eps: :math:`\epsilon` (PyTorch ``eps``), > 0.
        eps_in_sqrt: where :math:`\epsilon` goes.
        bias_correction: whether to divide the average by :math:`1 - \rho^t`.
    """
    lr = positive("lr", lr, "learning rate")
    rho = unit_interval("rho", rho, "decay of the squared-gradient average")
    eps = positive("eps", eps, "the small constant that keeps the division finite")
    boolean("eps_in_sqrt", eps_in_sqrt)
    boolean("bias_correction", bias_correction)
    d = decay(rho)

    def update(grads, state, params, hess=None, out=None, diagnostics=True, lr_t=None):
        eta = lr if lr_t is None else lr_t
        u, new = outputs(grads, state, out, ("s", "lr_eff"), lr, rho, eps)
        s = moving_average(state.s, squared(grads, out=u), d, out=new.s, tmp=u)  # s = ρ s + (1 - ρ) g²
        if bias_correction:
            power = state.rho_power * rho
            s_hat = np.divide(s, 1.0 - power, out=new.lr_eff)  # ŝ = s / (1 - ρᵗ)
            step = scale_by_rms(grads, s_hat, eta, eps, eps_in_sqrt, lr_eff=new.lr_eff, out=u,
                                diagnostics=diagnostics)  # -η g / (√ŝ + ε)
            return step, new._replace(rho_power=power)
        step = scale_by_rms(grads, s, eta, eps, eps_in_sqrt, lr_eff=new.lr_eff, out=u, diagnostics=diagnostics)
        return step, new  # -η g / (√s + ε)

    return Optimizer("rmsprop", {"lr": lr, "rho": rho, "eps": eps},
                     {"eps_in_sqrt": eps_in_sqrt, "bias_correction": bias_correction},
                     lambda p: RMSPropState(zeros_like(p), zeros_like(p)), update, recorded=("s", "lr_eff"))


def _rmsprop_latex(o: dict) -> str:
    lines = [r"s_t &= \rho\, s_{t-1} + (1-\rho)\, g_t^2"]
    symbol = "s"
    if o.get("bias_correction"):
        lines.append(r"\hat s_t &= \frac{s_t}{1-\rho^t}")
        symbol = r"\hat s"
    lines.append(rf"w_{{t+1}} &= w_t - \frac{{\eta}}{{{_denominator(symbol, o)}}}\, g_t")
    return r"\begin{aligned}" + r" \\ ".join(lines) + r"\end{aligned}"


def _rmsprop_numeric(surface, traj, k: int, t: int) -> list[str]:
    s = Step(traj, k, t)
    lines = [s.gradient_line(),
             rf"s_{{{t}}} &= {s.n('rho')} {V(s.before('s'))} + {tex_number(1 - s.h['rho'])} {V(s.g ** 2)} "
             rf"= {V(s.after('s'))}"]
    if not s.o.get("bias_correction"):
        return lines + _scaled_step_lines(s, "s")
    s_hat = s.after("s") / (1 - s.h["rho"] ** t)
    lines.append(rf"\hat s_{{{t}}} &= \frac{{s_{{{t}}}}}{{1 - {s.n('rho')}^{{{t}}}}} = {V(s_hat)}")
    return lines + _scaled_step_lines(s, r"\hat s")


#: PyTorch's RMSprop has no bias correction; the notes' usual form has none either (one note writes it)
RMSPROP_BIAS = Variant("bias_correction", "bc", "Bias correction", {False: "off", True: "on: ŝ = s / (1 − ρᵗ)"},
                       notes=False, pytorch=False, keras=False,
                       written={True: "004's RMSProp slide (divides by √(s_corrected) + ε)",
                                False: "002, 003 (the uncorrected average)"},
                       remarks={True: "neither PyTorch's nor Keras's RMSprop corrects the bias; Adam with β₁ = 0 "
                                      "does exactly this"})
RHO_RMSPROP = Hyperparameter("rho", r"\rho", "ρ", "decay of the squared-gradient average", 0.0, 0.999,
                             torch="alpha", keras="rho", short="decay ρ")

RMSPROP = OptimizerSpec(
    name="rmsprop", featured=True, title="RMSProp", summary="Like Adagrad, with a moving average that forgets old gradients.",
    factory=rmsprop, hyperparameters=(LR, RHO_RMSPROP, EPS), variants=(eps_variant(False, False, True, written={
        False: "002 (√g + 1e-5); 003 (η/(ε + √w_ave)); 004's RMSProp slide (√s_corrected + ε)",
        True: "004's “RMSProp and Adadelta” slide (η/√(w_avg + ε), γ = 0.95); 002 under the title “AdaDelta” "
              "(η/√(S_dw + ε), S_dw = βS_dw + (1−β)g²): that is RMSProp with ε inside the root, not AdaDelta"},
        remarks={False: "001 writes η/√v with no ε at all"}), RMSPROP_BIAS),
    recorded=(StateField("s", "s", corrected_by="rho", corrected_if="bias_correction"), LR_EFF),
    render_latex=_rmsprop_latex, render_numeric=_rmsprop_numeric,
    surface_defaults={"quartic": {"lr": 0.05}, "bowl": {"lr": 0.05}, "elongated-bowl": {"lr": 0.05},
                      "saddle": {"lr": 0.03}, "rosenbrock": {"lr": 0.02}, "himmelblau": {"lr": 0.05},
                      "rastrigin": {"lr": 0.02}, "two-minima": {"lr": 0.03}, "linear-regression": {"lr": 0.02}},
)


# -- AdaDelta ------------------------------------------------------------------------------------------------------

class AdaDeltaState(NamedTuple):
    s: np.ndarray  #: moving average of squared gradients
    delta: np.ndarray  #: moving average of squared (unscaled) updates
    lr_eff: np.ndarray  #: the per-coordinate step size on the gradient in the last update (diagnostic)


def adadelta(*, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6, eps_in_sqrt: bool = True) -> Optimizer:
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
        rho: :math:`\rho` (PyTorch and Keras ``rho``), in [0, 1).
        eps: :math:`\epsilon` (PyTorch ``eps``), > 0.
        eps_in_sqrt: where :math:`\epsilon` goes.
    """
    lr = positive("lr", lr, "learning rate")
    rho = unit_interval("rho", rho, "decay of the averages")
    eps = positive("eps", eps, "the small constant that keeps the division finite and starts the steps")
    boolean("eps_in_sqrt", eps_in_sqrt)
    d = decay(rho)

    def update(grads, state, params, hess=None, out=None, diagnostics=True, lr_t=None):
        eta = lr if lr_t is None else lr_t
        u, new = outputs(grads, state, out, ("s", "delta", "lr_eff"), lr, rho, eps)
        s = moving_average(state.s, squared(grads, out=u), d, out=new.s, tmp=u)  # s = ρ s + (1 - ρ) g²
        ratio = rms(state.delta, eps, eps_in_sqrt, out=new.lr_eff)  # √(u + ε), read before u is overwritten
        ratio *= inverse_rms(s, eps, eps_in_sqrt, out=u)  # √(u + ε) / √(s + ε)
        step = np.multiply(ratio, grads, out=u)  # Δ
        moving_average(state.delta, squared(step), d, out=new.delta)  # u = ρ u + (1 - ρ) Δ²
        ratio *= eta
        return scaled(step, -eta, out=step), new  # -η Δ

    return Optimizer("adadelta", {"lr": lr, "rho": rho, "eps": eps}, {"eps_in_sqrt": eps_in_sqrt},
                     lambda p: AdaDeltaState(zeros_like(p), zeros_like(p), zeros_like(p)), update,
                     recorded=("s", "delta", "lr_eff"))


def _adadelta_latex(o: dict) -> str:
    if o["eps_in_sqrt"]:
        ratio = r"\frac{\sqrt{u_{t-1} + \epsilon}}{\sqrt{s_t + \epsilon}}"
    else:
        ratio = r"\frac{\sqrt{u_{t-1}} + \epsilon}{\sqrt{s_t} + \epsilon}"
    return (r"\begin{aligned}s_t &= \rho\, s_{t-1} + (1-\rho)\, g_t^2 \\ "
            rf"\Delta_t &= {ratio}\, g_t \\ u_t &= \rho\, u_{{t-1}} + (1-\rho)\, \Delta_t^2 \\ "
            r"w_{t+1} &= w_t - \eta\, \Delta_t\end{aligned}")


def _adadelta_numeric(surface, traj, k: int, t: int) -> list[str]:
    s = Step(traj, k, t)
    rho, one_rho = s.n("rho"), tex_number(1 - s.h["rho"])
    ratio = s.after("lr_eff") / s.h["lr"]
    delta = ratio * s.g
    return [s.gradient_line(),
            rf"s_{{{t}}} &= {rho} {V(s.before('s'))} + {one_rho} {V(s.g ** 2)} = {V(s.after('s'))}",
            rf"\Delta_{{{t}}} &= {V(ratio)} \odot {V(s.g)} = {V(delta)}",
            rf"u_{{{t}}} &= {rho} {V(s.before('delta'))} + {one_rho} {V(delta ** 2)} = {V(s.after('delta'))}",
            rf"{s.wn} &= {V(s.w)} - {s.n('lr')} {V(delta)} = {V(s.w_next)}"]


ADADELTA = OptimizerSpec(
    name="adadelta", title="AdaDelta",
    summary="Scale each step by the RMS of recent steps over the RMS of recent gradients.",
    factory=adadelta,
    hyperparameters=(LR, Hyperparameter("rho", r"\rho", "ρ", "decay of the averages", 0.0, 0.999, torch="rho",
                                        keras="rho", short="decay ρ"), EPS),
    variants=(eps_variant(True, True, True, written={
        True: "001 (√(Δx + ε)/√(s + ε), no η); 004's code (nd.sqrt(delta + eps) / nd.sqrt(sqr + eps))",
        False: "004's formula slide ((√w_t + ε)/(√v_t + ε), then θ ← θ − ηΔθ)"},
        remarks={True: "002's “AdaDelta” is not this rule: it keeps no average of squared steps (see RMSProp, "
                       "ε inside)"}),),
    recorded=(StateField("s", "s"), StateField("delta", "u"), LR_EFF),
    render_latex=_adadelta_latex, render_numeric=_adadelta_numeric,
    surface_defaults={"bowl": {"eps": 1e-3}} | {name: {"eps": 1e-4} for name in (
        "elongated-bowl", "rosenbrock", "beale", "himmelblau", "two-minima", "linear-regression")},
)
