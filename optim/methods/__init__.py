"""One module per family of optimizers; each holds the factories, states, formulas and the OptimizerSpec of its
members. ``SPECS`` lists them in the order pages show them."""

from .adam import ADAM, adam
from .adaptive import ADADELTA, ADAGRAD, RMSPROP, adadelta, adagrad, rmsprop
from .bfgs import BFGS, bfgs
from .cg import CG, conjugate_gradients
from .gd import GD, SGD, gd, sgd
from .momentum import MOMENTUM, NESTEROV, momentum, nesterov
from .newton import NEWTON, newton

SPECS = {s.name: s for s in (GD, SGD, MOMENTUM, NESTEROV, ADAGRAD, RMSPROP, ADADELTA, ADAM, NEWTON, CG, BFGS)}

__all__ = ["SPECS", "adadelta", "adagrad", "adam", "bfgs", "conjugate_gradients", "gd", "momentum", "nesterov",
           "newton", "rmsprop", "sgd"]
