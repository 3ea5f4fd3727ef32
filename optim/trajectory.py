"""What a run did: the Trajectory, plain data (names, hyperparameters and numpy arrays) that pickles and caches.

Status of each trajectory, decided from the true gradient (not a noisy one):

* converged at step k: close to a stationary point by one of two criteria (``CONVERGED_WHEN``), recorded per
  trajectory in ``converged_by``: by the gradient, the true gradient norm is below ``tol`` at the point after k
  steps and at every later point; or by the step, every step from the point after k steps on is shorter than
  ``tol`` and than ``STEP_SHRINK`` times the run's longest step so far (the point has stopped moving: a run
  whose steps are short from the start because its rate is tiny crawls, it has not converged). Under a
  learning-rate schedule a step is measured as if taken at the base rate (``‖Δx‖ η / η_t``, so a rate decayed
  to 0 does not look like convergence). The earlier of the two is the step; the gradient wins a tie;
* diverged at step k: step k produced a point that is not finite or has a coordinate beyond ``bound``.
  Nothing after step k is computed garbage: every later row repeats step k's values, and a coordinate
  that overflowed is stored as +/-inf, never NaN;
* line search failed at step k: a line-search method (conjugate gradients, BFGS) found no step along its
  direction at step k that decreases f (Armijo: none in 40 halvings; exact: the curvature along the direction
  is not positive). The trajectory stops there: every later row repeats its point, with step length 0;
* left the domain at step k: on a function undefined in part of the plane (a typed ``log(x)``, say), the point
  after step k is finite but the function or its gradient is not defined there. Its rows are frozen like a
  diverged run's;
* running: none of these, when the steps ran out.

A diverged trajectory counts as diverged, then a converged one as converged, before a failed line search.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import IntEnum
from functools import cached_property

import numpy as np

DEFAULT_TOL = 1e-6
DEFAULT_BOUND = 1e6


#: A step counts as short only once it is below this share of the run's longest step so far (and below tol).
STEP_SHRINK = 1e-3

#: The convergence criterion in words, for legends and captions (``{tol}``: the threshold, formatted by the caller).
CONVERGED_WHEN = ("Converged: the gradient norm ‖∇f‖ stayed below {tol}, or the step ‖xₜ₊₁ − xₜ‖ stayed below {tol} "
                  "and below a thousandth of the run's longest step, from "
                  "that step on (the outcome says which).")


class Criterion(IntEnum):
    """Which test a converged trajectory passed first."""

    NONE = 0
    GRADIENT = 1
    STEP = 2

    @property
    def words(self) -> str:
        return {Criterion.NONE: "", Criterion.GRADIENT: "by the gradient",
                Criterion.STEP: "by the step size"}[self]


class Status(IntEnum):
    RUNNING = 0
    CONVERGED = 1
    DIVERGED = 2
    LINE_SEARCH_FAILED = 3
    LEFT_DOMAIN = 4

    @property
    def label(self) -> str:
        return self.name.lower().replace("_", " ")


def describe_outcome(status: int, event_step, steps, by: int = Criterion.NONE) -> str:
    """The one sentence for an outcome: ``converged at step 68``, ``diverged at step 12`` or ``still moving after
    300 steps``; with ``by`` (a Criterion), which test it passed: ``converged at step 68 (by the gradient)``.
    The step may also be text (a template's placeholder for a figure's hover label)."""
    status, by = Status(int(status)), Criterion(int(by))
    text = lambda n: n if isinstance(n, str) else int(n)  # noqa: E731
    if status == Status.CONVERGED:
        return f"converged at step {text(event_step)}" + (f" ({by.words})" if by else "")
    if status == Status.DIVERGED:
        return f"diverged at step {text(event_step)}"
    if status == Status.LINE_SEARCH_FAILED:
        return f"line search failed at step {text(event_step)}"
    if status == Status.LEFT_DOMAIN:
        return f"left the domain at step {text(event_step)}"
    return f"still moving after {text(steps)} steps"


@dataclass(frozen=True, eq=False)
class Trajectory:
    """What a run did, for every trajectory of the batch.

    Arrays are indexed ``[step, *batch, ...]``. ``positions[t]`` is the point after t steps (``positions[0]``
    the start), ``losses[t]`` the loss there. ``gradients[t]`` is the gradient that step t + 1 used (noisy for
    SGD, taken at the look-ahead point for Nesterov's look-ahead form). ``state[name][t]`` is the optimizer's
    state after step t (``[0]`` is the initial state); for Nesterov's look-ahead form ``state["lookahead"][t]``
    is the point where step t's gradient was taken. With ``record="path"`` only positions and losses are kept;
    with ``record="final"`` none of the per-step arrays are (they are ``None``).

    The surface and the optimizer are named, not held: a Trajectory is plain data that pickles, so cached
    functions return it. ``optim.spec(traj.optimizer)`` and ``surfaces.get(traj.surface)`` give them back.
    """

    surface: str
    variables: tuple[str, ...]  #: the surface's coordinate names, for table columns
    optimizer: str
    hyperparams: dict
    options: dict
    steps: int
    status: np.ndarray  # (*batch) int8, values of Status
    event_step: np.ndarray  # (*batch) step at which it converged or diverged, -1 while running
    converged_by: np.ndarray  # (*batch) int8 values of Criterion: which test a converged trajectory passed
    final_position: np.ndarray  # (*batch, d): the last point, or for a diverged run the point that left
    final_loss: np.ndarray  # (*batch)
    positions: np.ndarray | None = None  # (steps + 1, *batch, d)
    losses: np.ndarray | None = None  # (steps + 1, *batch)
    gradients: np.ndarray | None = None  # (steps, *batch, d)
    state: dict[str, np.ndarray] = field(default_factory=dict)  # name -> (steps + 1, *batch, d), a scalar field
    # (steps + 1, *batch), a matrix field (steps + 1, *batch, d, d)
    tol: float = DEFAULT_TOL
    bound: float = DEFAULT_BOUND
    noise: float | np.ndarray = 0.0
    batch_size: int | None = None
    seed: int = 0
    schedule: object = None  #: the learning-rate schedule (``optim.schedules.Schedule``), None when constant
    clip: object = None  #: the gradient clipping (``optim.schedules.Clip``), None when off
    seconds: float = 0.0  #: wall time of the run's step loop (all trajectories of the batch together)

    @property
    def spec(self):
        from .registry import spec

        return spec(self.optimizer)

    @property
    def title(self) -> str:
        return self.spec.title

    @property
    def batch_shape(self) -> tuple[int, ...]:
        return self.status.shape

    @property
    def rows(self) -> np.ndarray:
        """Number of meaningful steps per trajectory: all of them, or up to the step that diverged, whose line
        search failed, or that left the domain."""
        stopped = np.isin(self.status, (Status.DIVERGED, Status.LINE_SEARCH_FAILED, Status.LEFT_DOMAIN))
        return np.where(stopped, self.event_step, self.steps)

    @property
    def diverged(self) -> np.ndarray:
        return self.status == Status.DIVERGED

    def status_label(self, index=()) -> str:
        return Status(int(self.status[index])).label

    def outcome(self, index=()) -> str:
        return describe_outcome(self.status[index], self.event_step[index], self.steps, self.converged_by[index])

    def settings_text(self, index=()) -> str:
        """``η = 0.05, β₁ = 0.9``: this run's hyperparameters (and noise or batch size) in a few characters."""
        hyper = {k: np.asarray(v)[index] if np.ndim(v) else v for k, v in self.hyperparams.items()}
        noise = float(np.asarray(self.noise)[index]) if np.ndim(self.noise) else float(self.noise)
        text = self.spec.settings_text(hyper, self.options, noise, self.batch_size)
        extras = [x.text() for x in (self.schedule, self.clip) if x is not None]
        return ", ".join([text, *extras])

    def single(self, index) -> "Trajectory":
        """The trajectory at batch ``index``, alone (its arrays are views)."""
        index = index if isinstance(index, tuple) else (index,)
        at = lambda a, lead=0: None if a is None else a[(slice(None),) * lead + index]  # noqa: E731
        hyper = {k: float(np.broadcast_to(v, self.batch_shape)[index]) if np.ndim(v) else v
                 for k, v in self.hyperparams.items()}
        noise = float(np.broadcast_to(self.noise, self.batch_shape)[index]) if np.ndim(self.noise) else self.noise
        return replace(self, hyperparams=hyper, noise=noise, status=self.status[index],
                       event_step=self.event_step[index],
                       converged_by=self.converged_by[index], final_position=self.final_position[index],
                       final_loss=self.final_loss[index], positions=at(self.positions, 1), losses=at(self.losses, 1),
                       gradients=at(self.gradients, 1), state={k: v[(slice(None),) + index] for k, v in self.state.items()})

    @cached_property
    def table(self):
        """The iteration table of a single trajectory (see ``optim.table``)."""
        from .table import iteration_table

        return iteration_table(self)
