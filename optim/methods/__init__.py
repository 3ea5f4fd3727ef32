"""One module per family of optimizers; each holds the factories, states, formulas and the OptimizerSpec of its
members. ``SPECS`` lists them in the order pages show them."""

from .adam import ADAM, adam
from .cg import CG, conjugate_gradients
from .adaptive import ADADELTA, ADAGRAD, RMSPROP, adadelta, adagrad, rmsprop
from .gd import GD, SGD, gd, sgd
from .momentum import MOMENTUM, NESTEROV, momentum, nesterov
from .newton import NEWTON, newton

SPECS = {s.name: s for s in (GD, SGD, MOMENTUM, NESTEROV, ADAGRAD, RMSPROP, ADADELTA, ADAM, NEWTON, CG)}

__all__ = ["SPECS", "adadelta", "adagrad", "adam", "conjugate_gradients", "gd", "momentum", "nesterov", "newton", "rmsprop", "sgd"]
