r"""Learning-rate schedules and gradient clipping: options of every first-order optimizer, as plain data.

A :class:`Schedule` gives the learning rate :math:`\eta_t` of step :math:`t` from the optimizer's
:math:`\eta` (``lr``); :math:`t` counts from 0, as ``torch.optim.lr_scheduler`` does, so the first update uses
:math:`\eta_0`:

=================  ======================================================================  ===========================
kind               :math:`\eta_t`                                                          PyTorch
=================  ======================================================================  ===========================
constant           :math:`\eta`                                                            (no scheduler)
step               :math:`\eta\, \gamma^{\lfloor t / s \rfloor}`                           ``StepLR(step_size, gamma)``
exponential        :math:`\eta\, \gamma^t`                                                 ``ExponentialLR(gamma)``
inverse-time       :math:`\eta / (1 + k t)`                                                ``LambdaLR`` (no class)
cosine             :math:`\eta_{min} + \tfrac12 (\eta - \eta_{min})(1 + \cos(\pi t / T))`  ``CosineAnnealingLR``
cosine-restarts    the same with :math:`t \to T_{cur}`, :math:`T \to T_i = T_0 m^i`          ``CosineAnnealingWarmRestarts``
=================  ======================================================================  ===========================

``cosine`` is the closed form of ``CosineAnnealingLR`` (torch computes it recursively; the two agree to rounding
error) and, like torch's, goes on as a cosine after :math:`T` (it rises again towards :math:`\eta`).
``cosine-restarts`` restarts at :math:`t = T_0, T_0 + T_0 m, \dots`: :math:`T_{cur}` is the number of steps
since the last restart and :math:`T_i` the length of the current period.

A linear warm-up over :math:`N` steps (``warmup = N > 0``) multiplies any of them by :math:`\min(1, t / N)`: it
starts from 0 (so the first update does not move) and reaches the schedule's value at :math:`t = N`. In torch
this is ``ChainedScheduler([LinearLR(start_factor=s, total_iters=N), other])`` with ``s`` tiny (torch refuses
``s = 0``; its factor is :math:`s + (1 - s) \min(1, t/N)`, which differs from ours by less than ``s``). For
``cosine`` the chained product equals ours when :math:`\eta_{min} = 0`.

A :class:`Clip` limits the gradient the optimizer sees, per trajectory: by its global norm as
``torch.nn.utils.clip_grad_norm_`` (:math:`g \leftarrow g \min(1, c / (\lVert g \rVert + 10^{-6}))`, the norm
over the trajectory's coordinates), or coordinate by coordinate as ``clip_grad_value_``
(:math:`g \leftarrow \operatorname{clip}(g, -c, c)`).

Both are checked on construction: a setting that makes no sense raises a ValueError with a one-line message.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .spec import StateField

KINDS = ("constant", "step", "exponential", "inverse-time", "cosine", "cosine-restarts")
#: the number added to the norm in clip_grad_norm_'s coefficient (torch's value)
NORM_EPS = 1e-6


def _whole(name: str, value, low: int, meaning: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"{name} ({meaning}) must be a whole number of at least {low}, got {value!r}")
    return int(value)


def _number(name: str, value, meaning: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) or not np.isfinite(value):
        raise ValueError(f"{name} ({meaning}) must be a finite number, got {value!r}")
    return float(value)


@dataclass(frozen=True)
class Schedule:
    """A learning-rate schedule (see the module docstring); every field has a default, only its kind's act.

    Attributes:
        kind: one of ``KINDS``.
        gamma: :math:`\\gamma`, the factor of ``step`` and ``exponential`` (torch ``gamma``), in (0, 1].
        step_size: :math:`s`, the period of ``step`` (torch ``step_size``), >= 1.
        decay: :math:`k`, the rate of ``inverse-time``, >= 0.
        t_max: :math:`T`, the half period of ``cosine`` (torch ``T_max``), >= 1.
        eta_min: :math:`\\eta_{min}`, the lowest rate of the cosines (torch ``eta_min``), >= 0.
        t0: :math:`T_0`, the first period of ``cosine-restarts`` (torch ``T_0``), >= 1.
        t_mult: :math:`m`, the factor on each later period (torch ``T_mult``), a whole number >= 1.
        warmup: :math:`N`, the steps of the linear warm-up from 0 (0: none), combinable with every kind.
    """

    kind: str = "constant"
    gamma: float = 0.5
    step_size: int = 10
    decay: float = 0.1
    t_max: int = 100
    eta_min: float = 0.0
    t0: int = 20
    t_mult: int = 1
    warmup: int = 0

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"schedule must be one of {', '.join(KINDS)}; got {self.kind!r}")
        gamma = _number("gamma", self.gamma, "decay factor")
        if not 0 < gamma <= 1:
            raise ValueError(f"gamma (decay factor) must be above 0 and at most 1, got {self.gamma!r}")
        if _number("decay", self.decay, "inverse-time decay") < 0:
            raise ValueError(f"decay (inverse-time decay) must be at least 0, got {self.decay!r}")
        if _number("eta_min", self.eta_min, "lowest learning rate") < 0:
            raise ValueError(f"eta_min (lowest learning rate) must be at least 0, got {self.eta_min!r}")
        _whole("step_size", self.step_size, 1, "period of the step decay")
        _whole("t_max", self.t_max, 1, "steps of the cosine's half period")
        _whole("t0", self.t0, 1, "first period of the restarts")
        _whole("t_mult", self.t_mult, 1, "factor on each later period")
        _whole("warmup", self.warmup, 0, "steps of the warm-up")

    @staticmethod
    def parameters(kind: str) -> tuple[str, ...]:
        """The fields a kind of schedule uses (``warmup`` besides, with every kind)."""
        return tuple(name for name, _ in _SYMBOLS[kind])

    @property
    def active(self) -> bool:
        """Whether the rate changes at all (a constant schedule without warm-up is no schedule)."""
        return self.kind != "constant" or self.warmup > 0

    def check_steps(self, steps: int) -> None:
        """Refuse a warm-up longer than the run."""
        if self.warmup > steps:
            raise ValueError(f"the warm-up ({self.warmup} steps) is longer than the run ({steps} steps)")

    def rate(self, lr, t):
        r""":math:`\eta_t` for the base rate ``lr`` (a number or an array over the batch) at step(s) ``t`` (from 0;
        a whole number or an array of them, broadcast against ``lr``)."""
        t = np.asarray(t)
        eta = _RATES[self.kind](self, lr, t)
        if self.warmup:
            eta = eta * (np.minimum(t, self.warmup) / self.warmup)
        return eta

    def latex(self) -> str:
        r"""The schedule's formula, ``\eta_t = ...``, with its parameters' values after it."""
        rule = _LATEX[self.kind]
        if self.warmup:
            rule = (rf"\min\Big(1, \frac{{t}}{{N}}\Big)\,\Big({rule}\Big)" if self.kind != "constant"
                    else rf"\min\Big(1, \frac{{t}}{{N}}\Big)\, \eta")
        values = [rf"{symbol} = {getattr(self, name):g}" for name, symbol in _SYMBOLS[self.kind]]
        if self.warmup:
            values.append(rf"N = {self.warmup}")
        tail = rf", \quad {', '.join(values)}" if values else ""
        return rf"\eta_t = {rule}{tail}"

    def text(self) -> str:
        """A few words for a caption: ``cosine (T = 100, η_min = 0), warm-up 5``."""
        parts = [f"{_TEXT[name]} = {getattr(self, name):g}" for name, _ in _SYMBOLS[self.kind]]
        text = self.kind + (f" ({', '.join(parts)})" if parts else "")
        return text + (f", warm-up {self.warmup}" if self.warmup else "")


def _restarts(s: Schedule, lr, t):
    t = t.astype(np.int64)
    if s.t_mult == 1:
        t_cur, t_i = t % s.t0, np.full(t.shape, s.t0)
    else:
        m = s.t_mult
        start = lambda n: s.t0 * (m ** n - 1) // (m - 1)  # noqa: E731  (the step where period n begins)
        n = np.floor(np.log(t * (m - 1) / s.t0 + 1) / np.log(m)).astype(np.int64)
        n = np.where(start(n) > t, n - 1, n)  # the float logarithm may be one off at a restart
        n = np.where(start(n + 1) <= t, n + 1, n)
        t_cur, t_i = t - start(n), s.t0 * m ** n
    return s.eta_min + (lr - s.eta_min) * (1 + np.cos(np.pi * t_cur / t_i)) / 2


_RATES = {
    "constant": lambda s, lr, t: lr if t.ndim == 0 else lr * np.ones(t.shape),
    "step": lambda s, lr, t: lr * s.gamma ** (t // s.step_size),
    "exponential": lambda s, lr, t: lr * s.gamma ** t,
    "inverse-time": lambda s, lr, t: lr / (1 + s.decay * t),
    "cosine": lambda s, lr, t: s.eta_min + (lr - s.eta_min) * (1 + np.cos(np.pi * t / s.t_max)) / 2,
    "cosine-restarts": _restarts,
}
_LATEX = {
    "constant": r"\eta",
    "step": r"\eta\, \gamma^{\lfloor t / s \rfloor}",
    "exponential": r"\eta\, \gamma^{t}",
    "inverse-time": r"\frac{\eta}{1 + k\, t}",
    "cosine": r"\eta_{min} + \tfrac12 (\eta - \eta_{min}) \Big(1 + \cos\frac{\pi t}{T}\Big)",
    "cosine-restarts": r"\eta_{min} + \tfrac12 (\eta - \eta_{min}) \Big(1 + \cos\frac{\pi T_{cur}}{T_0 m^i}\Big)",
}
_TEXT = {"gamma": "γ", "step_size": "s", "decay": "k", "t_max": "T", "eta_min": "η_min", "t0": "T₀", "t_mult": "m"}
_SYMBOLS = {
    "constant": (),
    "step": (("gamma", r"\gamma"), ("step_size", "s")),
    "exponential": (("gamma", r"\gamma"),),
    "inverse-time": (("decay", "k"),),
    "cosine": (("t_max", "T"), ("eta_min", r"\eta_{min}")),
    "cosine-restarts": (("t0", "T_0"), ("t_mult", "m"), ("eta_min", r"\eta_{min}")),
}


@dataclass(frozen=True)
class Clip:
    """Gradient clipping: by the global norm (``norm``, as ``clip_grad_norm_``) or by value (``value``, as
    ``clip_grad_value_``), one of the two."""

    norm: float | None = None
    value: float | None = None

    def __post_init__(self):
        if self.norm is not None and self.value is not None:
            raise ValueError("clip by norm or by value, not both")
        for name, v in (("clip norm", self.norm), ("clip value", self.value)):
            if v is not None and not _number(name, v, "the largest gradient allowed") > 0:
                raise ValueError(f"{name} must be greater than 0, got {v!r}")

    @property
    def active(self) -> bool:
        return self.norm is not None or self.value is not None

    def apply(self, g: np.ndarray, out=None) -> np.ndarray:
        """The clipped gradient; ``g`` is coordinate-first ``(d, *batch)``, each trajectory clipped on its own."""
        if self.value is not None:
            return np.clip(g, -self.value, self.value, out=out)
        total = np.sqrt(np.einsum("i...,i...->...", g, g))
        return np.multiply(g, np.minimum(self.norm / (total + NORM_EPS), 1.0), out=out)

    def latex(self) -> str:
        if self.value is not None:
            return rf"\hat g_t = \operatorname{{clip}}(g_t, -c, c), \quad c = {self.value:g}"
        return rf"\hat g_t = g_t \min\Big(1, \frac{{c}}{{\lVert g_t \rVert + 10^{{-6}}}}\Big), \quad c = {self.norm:g}"

    def text(self) -> str:
        return f"clip ‖g‖ ≤ {self.norm:g}" if self.value is None else f"clip |g| ≤ {self.value:g}"


#: what a run records besides the optimizer's state when clipping or a schedule is on: the gradient the update
#: used after clipping (the table's ``g_clip`` columns, beside the gradient before it) and the rate η_t of the step
CLIPPED = StateField("clipped", "g_clip")
ETA = StateField("eta_t", "eta_t", "scalar")
RUN_FIELDS = {f.name: f for f in (CLIPPED, ETA)}

__all__ = ["CLIPPED", "ETA", "KINDS", "RUN_FIELDS", "Clip", "Schedule"]
