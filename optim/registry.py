"""The optimizers by name: their specs (``optim.methods``), how to build one, and what a surface starts from.

Two conventions select a whole set of variants (each :class:`~optim.spec.Variant` says its value under both):

* ``notes`` (default): the course notes' forms, momentum as an exponential moving average.
* ``pytorch``: the forms of ``torch.optim``, which every optimizer then reproduces to rounding error.
"""

from __future__ import annotations

import numpy as np

from .base import Optimizer
from .methods import SPECS
from .spec import CONVENTIONS, OptimizerSpec

NAMES = tuple(SPECS)
#: the optimizers a first view shows (the playground's opening race)
FEATURED = tuple(n for n, s in SPECS.items() if s.featured)
#: SGD's gradient noise where a surface lists none (a typed-in function, say)
DEFAULT_NOISE = 1.0


def spec(name: str) -> OptimizerSpec:
    try:
        return SPECS[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown optimizer '{name}'; choose one of: {', '.join(SPECS)}") from None


def make(name: str, convention: str = "notes", **kwargs) -> Optimizer:
    """Build the optimizer ``name`` with the variants of ``convention``, overridden by ``kwargs`` (which may
    include a learning-rate ``schedule`` and gradient ``clip``, see ``optim.schedules``).

    >>> make("momentum", "pytorch", lr=0.1, beta=0.9).options
    {'form': 'classic'}
    """
    return spec(name).make(convention, **kwargs)


def options_for(surface, name: str, convention: str = "notes") -> dict:
    """The variant options a run of ``name`` on ``surface`` (a Surface) starts from: the convention's, then the
    surface's (conjugate gradients and BFGS search exactly on a quadratic surface, with Armijo elsewhere).

    >>> import surfaces
    >>> options_for(surfaces.get("elongated-bowl"), "cg")["line_search"], options_for(surfaces.get("beale"), "cg")["line_search"]
    ('exact', 'armijo')
    """
    return spec(name).options_for(surface, convention)


def _surface_name(surface) -> str:
    return surface if isinstance(surface, str) else surface.name


def defaults_for(surface, name: str) -> dict[str, float]:
    """The hyperparameters a first view of ``name`` on ``surface`` (a Surface or its name) starts from.

    >>> defaults_for("rosenbrock", "adam")["lr"], defaults_for("rosenbrock", "adam")["beta1"]
    (0.05, 0.9)
    """
    return spec(name).defaults_for(_surface_name(surface))


def gradient_noise(surface, name: str, noise=None, batch_size: int | None = None):
    """``(noise, batch_size)`` of a run of ``name`` on ``surface``: the one place these defaults are resolved.

    Only an optimizer defined with a noisy gradient (SGD) has defaults: on a surface of samples
    (``surface.n_samples`` set) its per-surface mini-batch size, elsewhere its per-surface noise sigma
    (``DEFAULT_NOISE`` where the surface lists none). Every other optimizer gets the exact gradient unless told.
    Noise and a batch size together are refused.
    """
    s = spec(name)
    own = s.surface_defaults.get(surface.name, {})
    samples = getattr(surface, "n_samples", None) is not None
    if noise is None:
        noisy = s.noisy_by_default and batch_size is None and not samples
        noise = own.get("noise", DEFAULT_NOISE) if noisy else 0.0
    if batch_size is None and s.noisy_by_default and samples and not np.any(noise):
        batch_size = int(own.get("batch_size", 1))
    if batch_size is not None and np.any(noise):
        raise ValueError("give either a batch size (the gradient of a random mini-batch of samples) or gradient "
                         "noise (added to the exact gradient), not both")
    return noise, batch_size


def latex(name: str, options: dict | None = None) -> str:
    r"""The update rule of optimizer ``name`` under ``options`` (the notes' variants where not given)."""
    return spec(name).latex(options)


__all__ = ["CONVENTIONS", "NAMES", "SPECS", "defaults_for", "gradient_noise", "latex", "make", "options_for", "spec"]
