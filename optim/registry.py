r"""Names, hyperparameter specifications, conventions and formulas of the nine optimizers.

The one place pages and the command line learn what an optimizer takes: its hyperparameters (symbol,
meaning, slider range, PyTorch name), its rule variants, and its update rule in LaTeX. Defaults come from
the factory signatures in ``optim.optimizers`` and are overridden per surface by ``Surface.defaults``.

Two conventions select a whole set of variants:

* ``notes`` (default): the course notes' forms, momentum as an exponential moving average.
* ``pytorch``: the forms of ``torch.optim``, which every optimizer then reproduces to rounding error.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass

from . import optimizers as _opt
from .base import Optimizer


@dataclass(frozen=True)
class Hyperparameter:
    name: str  #: keyword of the factory
    symbol: str  #: LaTeX symbol used in the formulas
    meaning: str  #: a few words for a student
    low: float  #: slider range
    high: float
    log: bool = False  #: whether the slider is logarithmic
    torch: str | None = None  #: the PyTorch argument it corresponds to


LR = Hyperparameter("lr", r"\eta", "learning rate", 1e-4, 10.0, log=True, torch="lr")
BETA = Hyperparameter("beta", r"\beta", "momentum", 0.0, 0.999, torch="momentum")
EPS = Hyperparameter("eps", r"\epsilon", "small constant in the denominator", 1e-10, 1.0, log=True, torch="eps")


@dataclass(frozen=True)
class OptimizerSpec:
    name: str
    title: str
    hyperparameters: tuple[Hyperparameter, ...]
    variants: dict[str, tuple]  #: option name -> allowed values
    summary: str  #: one line for a student

    @property
    def factory(self):
        return _opt.FACTORIES[self.name]

    @property
    def defaults(self) -> dict[str, float]:
        params = inspect.signature(self.factory).parameters
        return {h.name: params[h.name].default for h in self.hyperparameters}

    def hyperparameter(self, name: str) -> Hyperparameter:
        for h in self.hyperparameters:
            if h.name == name:
                return h
        raise ValueError(self._unknown(name))

    def _unknown(self, name: str) -> str:
        have = ", ".join(h.name for h in self.hyperparameters)
        return f"{self.name} has no hyperparameter '{name}'; it takes: {have}"


SPECS: dict[str, OptimizerSpec] = {
    s.name: s
    for s in (
        OptimizerSpec("gd", "Gradient descent", (LR,), {}, "Step against the gradient, scaled by the learning rate."),
        OptimizerSpec("sgd", "Stochastic gradient descent", (LR,), {},
                      "Gradient descent on a noisy or mini-batch gradient."),
        OptimizerSpec("momentum", "Momentum", (LR, BETA), {"form": ("ema", "classic")},
                      "Accumulate a velocity from past gradients and step along it."),
        OptimizerSpec("nesterov", "Nesterov momentum", (LR, BETA),
                      {"form": ("ema", "classic"), "evaluation": ("lookahead", "pytorch")},
                      "Momentum that takes the gradient where the velocity is about to carry it."),
        OptimizerSpec("adagrad", "Adagrad", (LR, EPS), {"eps_in_sqrt": (True, False)},
                      "Divide each coordinate's step by the root of its summed squared gradients."),
        OptimizerSpec("rmsprop", "RMSProp",
                      (LR, Hyperparameter("rho", r"\rho", "decay of the squared-gradient average", 0.0, 0.999,
                                          torch="alpha"), EPS),
                      {"eps_in_sqrt": (True, False)},
                      "Like Adagrad, with a moving average that forgets old gradients."),
        OptimizerSpec("adadelta", "AdaDelta",
                      (LR, Hyperparameter("rho", r"\rho", "decay of the averages", 0.0, 0.999, torch="rho"), EPS),
                      {"eps_in_sqrt": (True, False)},
                      "Scale each step by the RMS of recent steps over the RMS of recent gradients."),
        OptimizerSpec("adam", "Adam",
                      (LR,
                       Hyperparameter("beta1", r"\beta_1", "decay of the gradient average", 0.0, 0.999,
                                      torch="betas[0]"),
                       Hyperparameter("beta2", r"\beta_2", "decay of the squared-gradient average", 0.5, 0.9999,
                                      torch="betas[1]"),
                       EPS),
                      {"bias_correction": (True, False)},
                      "Momentum divided by the RMS of the gradient, both bias-corrected."),
        OptimizerSpec("newton", "Newton's method",
                      (Hyperparameter("lr", r"\eta", "damping factor", 0.05, 2.0, log=True),
                       Hyperparameter("min_curvature", r"\lambda_{\min}", "smallest curvature the safeguard allows",
                                      1e-3, 10.0, log=True)),
                      {"safeguard": (False, True)},
                      "Divide the gradient by the curvature: jump to the bottom of the local quadratic."),
    )
}

NAMES = tuple(SPECS)

CONVENTIONS: dict[str, dict[str, dict]] = {
    "notes": {
        "momentum": {"form": "ema"},
        "nesterov": {"form": "ema", "evaluation": "lookahead"},
        "adagrad": {"eps_in_sqrt": True},
        "rmsprop": {"eps_in_sqrt": False},
        "adadelta": {"eps_in_sqrt": True},
        "adam": {"bias_correction": True},
        "newton": {"safeguard": False},
    },
    "pytorch": {
        "momentum": {"form": "classic"},
        "nesterov": {"form": "classic", "evaluation": "pytorch"},
        "adagrad": {"eps_in_sqrt": False},
        "rmsprop": {"eps_in_sqrt": False},
        "adadelta": {"eps_in_sqrt": True},
        "adam": {"bias_correction": True},
        "newton": {"safeguard": False},  # torch.optim has no Newton method; the plain method is kept
    },
}


def spec(name: str) -> OptimizerSpec:
    try:
        return SPECS[name]
    except KeyError:
        raise ValueError(f"unknown optimizer '{name}'; choose one of: {', '.join(SPECS)}") from None


def variant_options(name: str, convention: str = "notes") -> dict:
    if convention not in CONVENTIONS:
        raise ValueError(f"unknown convention '{convention}'; choose 'notes' or 'pytorch'")
    return dict(CONVENTIONS[convention].get(spec(name).name, {}))


def make(name: str, convention: str = "notes", **kwargs) -> Optimizer:
    """Build the optimizer ``name`` with the variants of ``convention``, overridden by ``kwargs``.

    >>> make("momentum", "pytorch", lr=0.1, beta=0.9).options
    {'form': 'classic'}
    """
    s = spec(name)
    allowed = {h.name for h in s.hyperparameters} | set(s.variants)
    for key in kwargs:
        if key not in allowed:
            raise ValueError(s._unknown(key))
    return s.factory(**(variant_options(name, convention) | kwargs))


def defaults_for(surface, name: str) -> dict[str, float]:
    """The hyperparameters a first view of ``name`` on ``surface`` starts from."""
    s = spec(name)
    own = {k: v for k, v in surface.defaults.get(name, {}).items() if k in s.defaults}
    return s.defaults | own


# -- formulas ----------------------------------------------------------------------------------------------------

def latex(name: str, options: dict | None = None) -> str:
    r"""The update rule of optimizer ``name`` with the given variant options, as a LaTeX ``aligned`` block.

    Symbols: :math:`w_t` the parameters, :math:`g_t = \nabla f(w_t)` the gradient, :math:`\eta` the learning
    rate; products and squares of vectors are per coordinate.
    """
    o = variant_options(name) | (options or {})
    g = r"g_t"
    if name == "gd":
        lines = [r"w_{t+1} &= w_t - \eta\, g_t"]
    elif name == "sgd":
        lines = [r"\tilde g_t &= \text{gradient of a random mini-batch (or } g_t + \sigma\xi_t\text{)}",
                 r"w_{t+1} &= w_t - \eta\, \tilde g_t"]
    elif name in ("momentum", "nesterov"):
        c = r"(1-\beta)\," if o["form"] == "ema" else ""
        if name == "nesterov" and o["evaluation"] == "lookahead":
            g = r"\nabla f(w_t - \eta\beta v_{t-1})"
        lines = [rf"v_t &= \beta\, v_{{t-1}} + {c}{g}"]
        if name == "nesterov" and o["evaluation"] == "pytorch":
            lines.append(rf"w_{{t+1}} &= w_t - \eta\,({c}g_t + \beta\, v_t)")
        else:
            lines.append(r"w_{t+1} &= w_t - \eta\, v_t")
    elif name == "adagrad":
        denom = r"\sqrt{G_t + \epsilon}" if o["eps_in_sqrt"] else r"\sqrt{G_t} + \epsilon"
        lines = [r"G_t &= G_{t-1} + g_t^2", rf"w_{{t+1}} &= w_t - \frac{{\eta}}{{{denom}}}\, g_t"]
    elif name == "rmsprop":
        denom = r"\sqrt{s_t + \epsilon}" if o["eps_in_sqrt"] else r"\sqrt{s_t} + \epsilon"
        lines = [r"s_t &= \rho\, s_{t-1} + (1-\rho)\, g_t^2", rf"w_{{t+1}} &= w_t - \frac{{\eta}}{{{denom}}}\, g_t"]
    elif name == "adadelta":
        if o["eps_in_sqrt"]:
            ratio = r"\frac{\sqrt{u_{t-1} + \epsilon}}{\sqrt{s_t + \epsilon}}"
        else:
            ratio = r"\frac{\sqrt{u_{t-1}} + \epsilon}{\sqrt{s_t} + \epsilon}"
        lines = [r"s_t &= \rho\, s_{t-1} + (1-\rho)\, g_t^2", rf"\Delta_t &= {ratio}\, g_t",
                 r"u_t &= \rho\, u_{t-1} + (1-\rho)\, \Delta_t^2", r"w_{t+1} &= w_t - \eta\, \Delta_t"]
    elif name == "adam":
        lines = [r"m_t &= \beta_1 m_{t-1} + (1-\beta_1)\, g_t", r"v_t &= \beta_2 v_{t-1} + (1-\beta_2)\, g_t^2"]
        if o["bias_correction"]:
            lines += [r"\hat m_t &= \frac{m_t}{1-\beta_1^t}, \quad \hat v_t = \frac{v_t}{1-\beta_2^t}",
                      r"w_{t+1} &= w_t - \frac{\eta}{\sqrt{\hat v_t} + \epsilon}\, \hat m_t"]
        else:
            lines += [r"w_{t+1} &= w_t - \frac{\eta}{\sqrt{v_t} + \epsilon}\, m_t"]
    elif name == "newton":
        if o["safeguard"]:
            lines = [r"H_t &= Q \Lambda Q^\top, \quad \tilde\Lambda = \max(|\Lambda|, \lambda_{\min})",
                     r"w_{t+1} &= w_t - \eta\, Q \tilde\Lambda^{-1} Q^\top g_t"]
        else:
            lines = [r"w_{t+1} &= w_t - \eta\, H(w_t)^{-1} g_t"]
    else:
        raise ValueError(f"unknown optimizer '{name}'")
    return r"\begin{aligned}" + r" \\ ".join(lines) + r"\end{aligned}"
