"""Optimizers as pure (init, update) pairs over numpy arrays, a vectorized run loop and iteration tables.

    >>> from surfaces import get
    >>> from optim import gd, run, iteration_table
    >>> traj = run(get("notes-quadratic"), gd(lr=0.1), starts=[2.0], steps=3)
    >>> [round(float(w), 5) for w in traj.positions[:, 0]]
    [2.0, 1.1, 0.56, 0.236]
"""

from .base import Optimizer
from .optimizers import adadelta, adagrad, adam, gd, momentum, nesterov, newton, rmsprop, sgd
from .registry import CONVENTIONS, NAMES, SPECS, defaults_for, latex, make, spec
from .run import MAX_STEPS, Status, Trajectory, run
from .table import Table, iteration_table, to_csv

__all__ = [
    "CONVENTIONS", "MAX_STEPS", "NAMES", "SPECS", "Optimizer", "Status", "Table", "Trajectory", "adadelta",
    "adagrad", "adam", "defaults_for", "gd", "iteration_table", "latex", "make", "momentum", "nesterov", "newton",
    "rmsprop", "run", "sgd", "spec", "to_csv",
]
