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
    """The numbers of iteration ``t`` of one recorded trajectory (``k = t - 1`` indexes the records)."""

    def __init__(self, traj, k: int, t: int):
        self.traj, self.k, self.t = traj, k, t
        self.w, self.w_next, self.g = traj.positions[k], traj.positions[k + 1], traj.gradients[k]
        self.h = traj.hyperparams
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
        return rf"g_{{{self.t}}} &= \nabla f({self.wt}) = {tex_vector(self.g)}"
