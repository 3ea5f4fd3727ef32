r"""What the mathematics predicts about a run, before running it.

Gradient descent on a quadratic :math:`f(w) = a w^2 + b w + c` (curvature :math:`h = f'' = 2a`) is the map

.. math::
    w_{t+1} - w^* = (1 - \eta h)\,(w_t - w^*), \qquad w^* = -\frac{b}{2a},

so the error is multiplied by the contraction factor :math:`q = 1 - \eta h` at every step: it shrinks
without changing sign when :math:`0 < q < 1` (:math:`\eta < 1/h`), vanishes in one step at
:math:`\eta = 1/h`, shrinks while changing sign when :math:`-1 < q < 0`, flips between two points for ever at
:math:`\eta = 2/h` and grows beyond it. Near a minimum of any smooth function the same holds with
:math:`h = f''(w^*)`: these are the local predictions for the quartic.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

VERDICTS = {
    "one-step": "Converges in one step",
    "monotone": "Converges without overshooting",
    "oscillating": "Converges while oscillating",
    "cycle": "Oscillates for ever",
    "diverges": "Diverges",
}


class Verdict(NamedTuple):
    kind: str  #: a key of VERDICTS
    factor: float  #: q = 1 - eta h, the factor on the error per step
    curvature: float  #: h = f''(w*)
    minimum: float  #: w*

    @property
    def label(self) -> str:
        return VERDICTS[self.kind]

    @property
    def converges(self) -> bool:
        return abs(self.factor) < 1


def classify_factor(q: float) -> str:
    """The behaviour of the error e_{t+1} = q e_t (exact comparisons: q = -1 at eta = 2/h is a cycle)."""
    if q == 0:
        return "one-step"
    if 0 < q < 1:
        return "monotone"
    if -1 < q < 0:
        return "oscillating"
    if q == -1:
        return "cycle"
    return "diverges"


def gd_verdict(curvature: float, lr: float, minimum: float = 0.0) -> Verdict:
    """Verdict for gradient descent with step ``lr`` near a minimum of curvature ``curvature`` (> 0)."""
    q = 1.0 - float(lr) * float(curvature)
    return Verdict(classify_factor(q), q, float(curvature), float(minimum))


def critical_learning_rates(curvature: float) -> tuple[float, float]:
    """(1/h, 2/h): the fastest step (one-step convergence, start of overshooting) and the stability limit."""
    h = float(curvature)
    return 1.0 / h, 2.0 / h


def curvature_is_constant(surface, samples: int = 7) -> bool:
    """Whether a 1-D surface is a quadratic (its second derivative is the same across the view box)."""
    lo, hi = surface.bounds[0]
    h = surface.hess(np.linspace(lo, hi, samples)[:, None])[..., 0, 0]
    return bool(np.allclose(h, h[0], rtol=1e-12, atol=0))
