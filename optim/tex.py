"""Numbers and vectors for formulas: what the renderers of the update rules write into LaTeX."""

from __future__ import annotations

import math

import numpy as np


def tex_number(x: float, digits: int = 5) -> str:
    """A number for a formula: 5 significant digits, powers of ten written out, ∞ where it overflowed."""
    x = float(x)
    if math.isnan(x):
        return r"\text{undefined}"
    if math.isinf(x):
        return r"\infty" if x > 0 else r"-\infty"
    if x == 0:
        return "0"
    text = f"{x:.{digits}g}"
    if "e" in text:
        mant, exp = text.split("e")
        return rf"{mant} \times 10^{{{int(exp)}}}"
    return text


def tex_vector(v) -> str:
    return r"\begin{pmatrix}" + r" \\ ".join(tex_number(c) for c in np.ravel(v)) + r"\end{pmatrix}"


def tex_matrix(m) -> str:
    m = np.asarray(m)
    return r"\begin{pmatrix}" + r" \\ ".join(" & ".join(tex_number(c) for c in row) for row in m) + r"\end{pmatrix}"


class Step:
    r"""The numbers of iteration ``t`` of one recorded trajectory (``k = t - 1`` indexes the records).

    With gradient clipping, ``g`` is the clipped gradient the update used (``raw`` the one before clipping); with
    a learning-rate schedule, ``h["lr"]`` is the step's rate :math:`\eta_t`.
    """

    def __init__(self, traj, k: int, t: int):
        self.traj, self.k, self.t = traj, k, t
        self.w, self.w_next, self.raw = traj.positions[k], traj.positions[k + 1], traj.gradients[k]
        self.g = traj.state["clipped"][k + 1] if "clipped" in traj.state else self.raw
        self.h = traj.hyperparams
        if "eta_t" in traj.state:
            self.h = self.h | {"lr": float(traj.state["eta_t"][k + 1])}
        self.o = traj.options
        self.wt, self.wn = f"w_{{{t}}}", f"w_{{{t + 1}}}"

    def before(self, name: str):
        return self.traj.state[name][self.k]

    def after(self, name: str):
        return self.traj.state[name][self.k + 1]

    def n(self, key: str) -> str:
        """A hyperparameter's value, formatted."""
        return tex_number(self.h[key])

    def gradient_line(self) -> str:
        line = rf"g_{{{self.t}}} &= \nabla f({self.wt}) = {tex_vector(self.raw)}"
        if self.g is not self.raw:
            line += rf", \quad \text{{clipped: }} {tex_vector(self.g)}"
        return line
