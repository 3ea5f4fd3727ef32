r"""Where runs on a one-weight curve end, and two facts the notes' curves show.

* :func:`end_points`: several starts in one vectorized run; each end is matched to the nearest critical point
  (f'(w) = 0) and that point's kind, decided by the sign of f''.
* :func:`roll_over_grid`: a grid of (learning rate, beta) of a momentum method in one run, and which cells end
  in a chosen critical point (momentum rolling over a hump into the other basin).
* :func:`same_path`: one optimizer under two variants, the second's learning rate converted by the spec
  (``OptimizerSpec.convert_lr``) so that both trace the same path; the largest gap between the two paths.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import registry
from .run import run
from .trajectory import Status, Trajectory

#: an end within this distance of a critical point is said to have reached it
REACHED = 1e-3
#: what the learning-rate page first runs on a curve: plain descent, momentum and Newton's method
ON_CURVES = ("gd", "momentum", "newton")
#: the optimizer whose two forms trace one path and which rolls over the quartic's hump
MOMENTUM = "momentum"
#: the grid searched for a momentum that rolls over the quartic's hump (learning rates x betas, one run)
ROLL_LRS = tuple(float(x) for x in np.round(np.arange(0.005, 0.0501, 0.0025), 4))
ROLL_BETAS = tuple(float(x) for x in np.round(np.arange(0.8, 0.996, 0.005), 3))


def kind_of(surface, w: float) -> str:
    """``minimum``, ``maximum`` or ``flat`` from the sign of f''(w)."""
    h = float(surface.hess([w])[0, 0])
    return "minimum" if h > 0 else "maximum" if h < 0 else "flat"


@dataclass(frozen=True)
class Ends:
    """Where each of a batch of 1-D runs ended (arrays over the starts)."""

    starts: np.ndarray
    final: np.ndarray  #: the last point (for a diverged run: the point that left)
    nearest: np.ndarray  #: the critical point nearest to it
    curvature: np.ndarray  #: f'' there
    label: list  #: "global minimum", "local maximum", ... of the nearest critical point
    reached: np.ndarray  #: bool: within REACHED of it (and not diverged)
    status: np.ndarray
    event_step: np.ndarray
    steps: int
    converged_by: np.ndarray  #: which test a converged run passed (``optim.trajectory.Criterion``)

    def outcome(self, i: int) -> str:
        from .trajectory import describe_outcome

        return describe_outcome(self.status[i], self.event_step[i], self.steps, self.converged_by[i])


def end_points(surface, traj: Trajectory) -> Ends:
    """The ends of ``traj``, a run of a 1-D ``surface`` from starts shaped ``(k, 1)``."""
    crit = np.array([p.point[0] for p in surface.stationary])
    final = traj.final_position[..., 0]
    idx = np.argmin(np.abs(final[:, None] - crit[None, :]), axis=1)
    nearest = crit[idx]
    curvature = surface.hess(nearest[:, None])[:, 0, 0]
    labels = [surface.stationary[i].label for i in idx]
    reached = (np.abs(final - nearest) < REACHED) & (traj.status != Status.DIVERGED)
    starts = traj.positions[0, :, 0] if traj.positions is not None else np.full(final.shape, np.nan)
    return Ends(starts, final, nearest, np.asarray(curvature, dtype=float).reshape(-1), labels, reached,
                traj.status, traj.event_step, traj.steps, traj.converged_by)


def run_ends(surface, name: str, hyper: dict, options: dict, starts, steps: int) -> tuple[Trajectory, Ends]:
    """Optimizer ``name`` from every start at once (one call), and where each run ended."""
    starts = np.asarray(starts, dtype=float).reshape(-1, 1)
    traj = run(surface, registry.make(name, **hyper, **options), starts, steps, record="path")
    return traj, end_points(surface, traj)


@dataclass(frozen=True)
class RollOver:
    lrs: np.ndarray
    betas: np.ndarray
    final: np.ndarray  #: (len(lrs), len(betas)) end points
    reached: np.ndarray  #: (len(lrs), len(betas)) bool: ended at the target
    plain: np.ndarray  #: (len(lrs),) bool: the same learning rate without momentum (beta = 0) reaches it too

    def pick(self) -> tuple[float, float] | None:
        """A setting that rolls over only thanks to the momentum (beta = 0 stays), chosen robustly: the cell whose
        neighbourhood (its 3 x 3 block) rolls over entirely, at the smallest learning rate, then the smallest
        beta; None when there is none."""
        ok = self.reached & ~self.plain[:, None]
        padded = np.pad(ok, 1, constant_values=False)
        block = np.ones_like(ok)
        for di in (0, 1, 2):
            for dj in (0, 1, 2):
                block &= padded[di:di + ok.shape[0], dj:dj + ok.shape[1]]
        cells = np.argwhere(block if block.any() else ok)
        if not cells.size:
            return None
        i, j = min(cells.tolist())
        return float(self.lrs[i]), float(self.betas[j])

    def plain_min_lr(self) -> float | None:
        """The smallest learning rate of the grid at which gradient descent (beta = 0) gets there too."""
        return float(self.lrs[self.plain].min()) if self.plain.any() else None


def roll_over_grid(surface, name: str, start: float, target: float, lrs, betas, steps: int,
                   options: dict | None = None) -> RollOver:
    """Momentum-like optimizer ``name`` from ``start`` for every (lr, beta) of the grid in one run: which cells end
    within ``REACHED`` of ``target`` after ``steps`` steps, and whether beta = 0 (gradient descent) would too."""
    lrs, betas = np.asarray(lrs, dtype=float), np.asarray(betas, dtype=float)
    L, B = np.meshgrid(lrs, np.concatenate([[0.0], betas]), indexing="ij")
    opt = registry.make(name, lr=L, beta=B, **(options or {}))
    traj = run(surface, opt, np.full(L.shape + (1,), float(start)), steps, record="final")
    final = traj.final_position[..., 0]
    hit = (np.abs(final - target) < REACHED) & (traj.status != Status.DIVERGED)
    return RollOver(lrs, betas, final[:, 1:], hit[:, 1:], hit[:, 0])


@dataclass(frozen=True)
class SamePath:
    old: Trajectory
    new: Trajectory
    lr: float  #: the learning rate of ``new``
    gap: float  #: max |w_old - w_new| over the run
    step_gap: float  #: max |(w_t+1 - w_t)_old - (w_t+1 - w_t)_new|: the steps themselves


def same_path(surface, name: str, hyper: dict, old: dict, new: dict, start: float, steps: int) -> SamePath:
    """``name`` with options ``old`` and ``hyper``, and with options ``new`` and the learning rate the spec says
    keeps the path (rounded to 12 digits, as a person would type it)."""
    spec = registry.spec(name)
    lr_new = float(f"{spec.convert_lr(hyper['lr'], hyper.get('beta', 0.0), old, new):.12g}")
    a = run(surface, registry.make(name, **hyper, **old), [float(start)], steps)
    b = run(surface, registry.make(name, **(hyper | {"lr": lr_new}), **new), [float(start)], steps)
    gap = float(np.max(np.abs(a.positions - b.positions)))
    step_gap = float(np.max(np.abs(np.diff(a.positions, axis=0) - np.diff(b.positions, axis=0))))
    return SamePath(a, b, lr_new, gap, step_gap)
