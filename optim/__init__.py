"""Optimizers as pure (init, update) pairs over numpy arrays, a vectorized run loop and iteration tables.

Each optimizer's knowledge lives in one home in ``optim.methods``: its factory, state, formulas and
:class:`~optim.spec.OptimizerSpec` (hyperparameters, variants, recorded state, per-surface defaults).

    >>> from surfaces import get
    >>> from optim import gd, run, iteration_table
    >>> traj = run(get("notes-quadratic"), gd(lr=0.1), starts=[2.0], steps=3)
    >>> [round(float(w), 5) for w in traj.positions[:, 0]]
    [2.0, 1.1, 0.56, 0.236]
    >>> traj.outcome()
    'still moving after 3 steps'
"""

from .base import Objective, Optimizer
from .config import MAX_STEPS
from .methods import adadelta, adagrad, adam, bfgs, conjugate_gradients, gd, momentum, nesterov, newton, rmsprop, sgd
from .registry import CONVENTIONS, FEATURED, NAMES, SPECS, defaults_for, gradient_noise, latex, make, spec
from .run import run
from .schedules import Clip, Schedule
from .spec import Hyperparameter, OptimizerSpec, StateField, Variant
from .table import Table, iteration_table, to_csv
from .trajectory import Status, Trajectory, describe_outcome

__all__ = [
    "CONVENTIONS", "Clip", "FEATURED", "Hyperparameter", "MAX_STEPS", "NAMES", "Objective", "Optimizer", "OptimizerSpec",
    "SPECS", "Schedule", "StateField", "Status", "Table", "Trajectory", "Variant", "adadelta", "adagrad", "adam", "bfgs",
    "conjugate_gradients", "defaults_for", "describe_outcome", "gd", "gradient_noise", "iteration_table", "latex",
    "make", "momentum", "nesterov", "newton", "rmsprop", "run", "sgd", "spec", "to_csv",
]
