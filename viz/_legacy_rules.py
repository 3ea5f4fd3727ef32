r"""TEMPORARY home of what moves into each optimizer's home in ``optim/`` (issue "One home for each optimizer"):
the record of one run, its settings in a few characters, the update rule in LaTeX and the rule with one step's
numbers. Kept apart so that the rest of ``viz`` does not depend on it; delete once the core provides these.

Iterations are numbered as in the iteration tables (and the course notes): iteration t starts at the point
:math:`w_t`, takes the gradient :math:`g_t` and moves to :math:`w_{t+1}`; :math:`w_1` is the start.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from optim import SPECS, Status, Table, Trajectory, iteration_table, latex
from surfaces import Surface

#: optimizers whose step differs from -lr * g, so the race draws the step taken as an arrow (becomes a
#: capability flag of the optimizer's spec)
STEP_ARROW = ("momentum", "nesterov", "adagrad", "rmsprop", "adadelta", "adam", "newton")


# -- what one run gives the page (picklable, unlike a Trajectory) ---------------------------------------------------

@dataclass(frozen=True, eq=False)
class RunRecord:
    """One optimizer's run from one start point, as plain arrays (a Trajectory holds a Surface, with lambdas).

    ``positions[k]`` is the point after k steps, ``gradients[k]`` the gradient step k + 1 used, ``state[name][k]``
    the optimizer state after k steps (see ``optim.run.Trajectory``).
    """

    name: str
    hyper: dict
    options: dict
    positions: np.ndarray  # (T + 1, 2)
    losses: np.ndarray  # (T + 1,)
    gradients: np.ndarray  # (T, 2)
    state: dict[str, np.ndarray]
    status: int
    event_step: int
    rows: int  #: meaningful steps: all of them, or up to the step that diverged
    final_position: np.ndarray
    final_loss: float
    table: Table
    noise: float = 0.0
    batch_size: int | None = None

    @classmethod
    def from_trajectory(cls, traj: Trajectory) -> "RunRecord":
        if traj.batch_shape != ():
            raise ValueError("a RunRecord holds one trajectory: run from a single start point")
        opt = traj.optimizer
        return cls(
            name=opt.name, hyper={k: float(v) for k, v in opt.hyperparams.items()}, options=dict(opt.options),
            positions=traj.positions, losses=traj.losses, gradients=traj.gradients, state=dict(traj.state),
            status=int(traj.status), event_step=int(traj.event_step), rows=int(traj.rows),
            final_position=traj.final_position, final_loss=float(traj.final_loss), table=iteration_table(traj),
            noise=float(np.asarray(traj.noise)), batch_size=traj.batch_size,
        )

    @property
    def steps(self) -> int:
        return self.positions.shape[0] - 1

    @property
    def title(self) -> str:
        return SPECS[self.name].title

    @property
    def diverged(self) -> bool:
        return self.status == Status.DIVERGED

    def outcome(self) -> str:
        """``converged at step 68``, ``diverged at step 12`` or ``still moving after 300 steps``."""
        if self.status == Status.CONVERGED:
            return f"converged at step {self.event_step}"
        if self.status == Status.DIVERGED:
            return f"diverged at step {self.event_step}"
        return f"still moving after {self.steps} steps"



def settings_text(r: RunRecord) -> str:
    """The hyperparameters and variant of a run in a few characters: ``η = 0.05, β₁ = 0.9``."""
    names = {"lr": "η", "beta": "β", "beta1": "β₁", "beta2": "β₂", "rho": "ρ", "eps": "ε", "min_curvature": "λmin"}
    parts = [f"{names.get(k, k)} = {v:g}" for k, v in r.hyper.items()
             if not (k == "min_curvature" and not r.options.get("safeguard"))]
    if r.noise:
        parts.append(f"σ = {r.noise:g}")
    if r.batch_size is not None:
        parts.append(f"B = {r.batch_size:g}")
    return ", ".join(parts)


# -- the update rule with numbers --------------------------------------------------------------------------------------

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


def numeric_rule(surface: Surface, r: RunRecord, t: int) -> str:
    r"""The update rule of iteration t with the run's numbers: every symbol of :func:`optim.latex` replaced.

    ``t`` counts from 1 as in the iteration table: the row ``iteration = t`` holds the same numbers.
    """
    if not 1 <= t <= r.rows:
        raise ValueError(f"iteration {t} is outside 1 .. {r.rows}")
    k = t - 1
    V = tex_vector
    w, w1, g = r.positions[k], r.positions[k + 1], r.gradients[k]
    h = r.hyper
    o = r.options
    st = r.state
    eta = tex_number(h["lr"])
    wt, wn = f"w_{{{t}}}", f"w_{{{t + 1}}}"
    lines: list[str] = []
    if r.name in ("gd", "sgd"):
        if r.name == "sgd":
            true_g = surface.grad(w)
            lines.append(rf"\nabla f({wt}) &= {V(true_g)} \quad \text{{(exact)}}")
            lines.append(rf"\tilde g_{{{t}}} &= {V(g)} \quad \text{{(what the step uses)}}")
        else:
            lines.append(rf"g_{{{t}}} &= \nabla f({wt}) = {V(g)}")
        lines.append(rf"{wn} &= {V(w)} - {eta} {V(g)} = {V(w1)}")
    elif r.name in ("momentum", "nesterov"):
        beta = tex_number(h["beta"])
        ema = o["form"] == "ema"
        c = tex_number(1 - h["beta"]) + r"\," if ema else ""
        v0, v1 = st["v"][k], st["v"][k + 1]
        if r.name == "nesterov" and o["evaluation"] == "lookahead":
            look = st["lookahead"][k + 1]
            lines.append(rf"\hat w_{{{t}}} &= {V(w)} - {eta} \cdot {beta} {V(v0)} "
                         rf"= {V(look)}")
            lines.append(rf"g &= \nabla f(\hat w_{{{t}}}) = {V(g)}")
        else:
            lines.append(rf"g_{{{t}}} &= \nabla f({wt}) = {V(g)}")
        lines.append(rf"v_{{{t}}} &= {beta} {V(v0)} + {c}{V(g)} = {V(v1)}")
        if r.name == "nesterov" and o["evaluation"] == "pytorch":
            lines.append(rf"{wn} &= {V(w)} - {eta}\,({c}{V(g)} + "
                         rf"{beta} {V(v1)}) = {V(w1)}")
        else:
            lines.append(rf"{wn} &= {V(w)} - {eta} {V(v1)} = {V(w1)}")
    elif r.name in ("adagrad", "rmsprop"):
        acc, sym = ("G", "G") if r.name == "adagrad" else ("s", "s")
        a0, a1 = st[acc][k], st[acc][k + 1]
        lines.append(rf"g_{{{t}}} &= \nabla f({wt}) = {V(g)}")
        if r.name == "adagrad":
            lines.append(rf"G_{{{t}}} &= G_{{{t - 1}}} + g_{{{t}}}^2 = {V(a0)} + {V(g ** 2)} = {V(a1)}")
        else:
            lines.append(rf"s_{{{t}}} &= {tex_number(h['rho'])} {V(a0)} + {tex_number(1 - h['rho'])} {V(g ** 2)} "
                         rf"= {V(a1)}")
        denom = rf"\sqrt{{{sym}_{{{t}}} + \epsilon}}" if o["eps_in_sqrt"] else rf"\sqrt{{{sym}_{{{t}}}}} + \epsilon"
        lines.append(rf"\frac{{\eta}}{{{denom}}} &= {V(st['lr_eff'][k + 1])} \quad (\epsilon = {tex_number(h['eps'])})")
        lines.append(rf"{wn} &= {V(w)} - {V(st['lr_eff'][k + 1])} \odot {V(g)} = {V(w1)}")
    elif r.name == "adadelta":
        rho, one_rho = tex_number(h["rho"]), tex_number(1 - h["rho"])
        s0, s1, u0, u1 = st["s"][k], st["s"][k + 1], st["delta"][k], st["delta"][k + 1]
        ratio = st["lr_eff"][k + 1] / h["lr"]
        delta = ratio * g
        lines.append(rf"g_{{{t}}} &= \nabla f({wt}) = {V(g)}")
        lines.append(rf"s_{{{t}}} &= {rho} {V(s0)} + {one_rho} {V(g ** 2)} = {V(s1)}")
        lines.append(rf"\Delta_{{{t}}} &= {V(ratio)} \odot {V(g)} = {V(delta)}")
        lines.append(rf"u_{{{t}}} &= {rho} {V(u0)} + {one_rho} {V(delta ** 2)} = {V(u1)}")
        lines.append(rf"{wn} &= {V(w)} - {eta} {V(delta)} = {V(w1)}")
    elif r.name == "adam":
        b1, b2 = h["beta1"], h["beta2"]
        m0, v0, m1, v1 = st["m"][k], st["v"][k], st["m"][k + 1], st["v"][k + 1]
        lines.append(rf"g_{{{t}}} &= \nabla f({wt}) = {V(g)}")
        lines.append(rf"m_{{{t}}} &= {tex_number(b1)} {V(m0)} + {tex_number(1 - b1)} {V(g)} = {V(m1)}")
        lines.append(rf"v_{{{t}}} &= {tex_number(b2)} {V(v0)} + {tex_number(1 - b2)} {V(g ** 2)} = {V(v1)}")
        if o["bias_correction"]:
            mh = m1 / (1 - b1**t)
            lines.append(rf"\hat m_{{{t}}} &= \frac{{m_{{{t}}}}}{{1 - {tex_number(b1)}^{{{t}}}}} = {V(mh)}, \quad "
                         rf"\hat v_{{{t}}} = \frac{{v_{{{t}}}}}{{1 - {tex_number(b2)}^{{{t}}}}} = "
                         rf"{V(v1 / (1 - b2 ** t))}")
        else:
            mh = m1
        vsym = rf"\hat v_{{{t}}}" if o["bias_correction"] else f"v_{{{t}}}"
        lines.append(rf"\frac{{\eta}}{{\sqrt{{{vsym}}} + \epsilon}} &= {V(st['lr_eff'][k + 1])}")
        lines.append(rf"{wn} &= {V(w)} - {V(st['lr_eff'][k + 1])} \odot {V(mh)} = {V(w1)}")
    elif r.name == "newton":
        H = surface.hess(w)
        lines.append(rf"g_{{{t}}} &= \nabla f({wt}) = {V(g)}")
        lines.append(rf"H({wt}) &= \begin{{pmatrix}} {tex_number(H[0, 0])} & {tex_number(H[0, 1])} \\ "
                     rf"{tex_number(H[1, 0])} & {tex_number(H[1, 1])} \end{{pmatrix}}, \quad \text{{eigenvalues }} "
                     rf"{tex_number(st['curvature'][k + 1][0])},\ {tex_number(st['curvature'][k + 1][1])}")
        inv = r"\tilde H^{-1}" if o["safeguard"] else rf"H({wt})^{{-1}}"
        lines.append(rf"{inv} g_{{{t}}} &= {V((w - w1) / h['lr'])}")
        lines.append(rf"{wn} &= {V(w)} - {eta} {V((w - w1) / h['lr'])} = {V(w1)}")
    else:
        raise ValueError(f"unknown optimizer '{r.name}'")
    return r"\begin{aligned}" + r" \\ ".join(lines) + r"\end{aligned}"


def symbolic_rule(r: RunRecord) -> str:
    return latex(r.name, r.options)

