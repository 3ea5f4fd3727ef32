"""The Optimizer type and the validation every optimizer factory shares.

An optimizer is a pair of pure functions in the style of optax:

    state = opt.init(params)
    updates, state = opt.update(grads, state, params)     # params_next = params + updates
    updates, state = opt.update(grads, state, params, out=(buffer, state))   # the same, in place

``params`` and ``grads`` are laid out coordinate-first, shaped ``(d, *batch)``: ``params[0]`` holds the
first coordinate of every trajectory in the batch. Hyperparameters are Python floats or arrays that
broadcast against ``batch``, so a grid of learning rates times a grid of betas times a set of start
points is a single call. ``update`` never modifies its arguments.
"""

from __future__ import annotations

from typing import Any, Callable, NamedTuple

import numpy as np

Hyper = float | np.ndarray


class Objective(NamedTuple):
    """The function being minimized, for an update that evaluates it at trial points (a line search).

    Every function takes points coordinate-first, ``X`` shaped ``(d, *batch)``: ``value(X)`` gives ``(*batch)``,
    ``grad(X)`` gives ``(d, *batch)``, ``hess(X)`` gives ``(d, d, *batch)``. A run builds it from the surface
    (:meth:`from_surface`) and passes it as ``update(..., objective=...)`` to optimizers whose spec says
    ``needs_objective``.
    """

    value: Callable[[np.ndarray], np.ndarray]
    grad: Callable[[np.ndarray], np.ndarray]
    hess: Callable[[np.ndarray], np.ndarray]

    @classmethod
    def from_surface(cls, surface) -> "Objective":
        return cls(surface.value_cf, surface.grad_cf, surface.hess_cf)


class Optimizer(NamedTuple):
    """An optimizer as data: its name, validated hyperparameters and the (init, update) pair.

    Attributes:
        name: the registry name (``"adam"``).
        hyperparams: numeric hyperparameters after validation (floats or arrays broadcasting over the batch).
        options: the update-rule variant, e.g. ``{"form": "ema"}`` or ``{"eps_in_sqrt": True}``.
        init: ``params -> state``.
        update: ``(grads, state, params, hess=None, out=None) -> (updates, state)``; with ``out = (updates,
            state)`` buffers (the state may be the input state) it writes there instead of allocating. A
            line-search method also takes ``objective=`` (an :class:`Objective`); its state has a boolean
            field ``failed``, true for a trajectory whose line search found no decrease (it then stays put).
        recorded: the state fields a run records per step and an iteration table shows.
        lookahead: for Nesterov's look-ahead form, ``(params, state, lr_t=None) -> point`` where the next gradient
            is evaluated; ``None`` when the gradient is taken at ``params``.
        schedule: a learning-rate schedule (:class:`optim.schedules.Schedule`) or ``None``; a first-order update
            takes the step's rate as ``update(..., lr_t=...)``, and the run passes it.
        clip: gradient clipping (:class:`optim.schedules.Clip`) or ``None``; the run clips what the update sees.

    Everything else about an optimizer (symbols, ranges, variants, formulas, per-surface defaults) is in its
    :class:`optim.spec.OptimizerSpec`, ``optim.spec(name)``.
    """

    name: str
    hyperparams: dict[str, Hyper]
    options: dict[str, Any]
    init: Callable[[np.ndarray], tuple]
    update: Callable[..., tuple[np.ndarray, tuple]]
    recorded: tuple[str, ...] = ()
    lookahead: Callable[..., np.ndarray] | None = None
    schedule: Any = None
    clip: Any = None

    @property
    def batch_shape(self) -> tuple[int, ...]:
        """The broadcast shape of the array-valued hyperparameters (``()`` when all are scalars)."""
        return np.broadcast_shapes(*(np.shape(v) for v in self.hyperparams.values()))


def _as_hyper(name: str, value) -> Hyper:
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {value!r}") from None
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be a finite number, got {_show(arr[~np.isfinite(arr)])}")
    return float(arr) if arr.ndim == 0 else arr


def _show(arr: np.ndarray) -> str:
    bad = arr.ravel()
    if not np.all(np.isfinite(bad)):
        return ", ".join(sorted({repr(float(v)) for v in bad}))  # e.g. "nan" or "-inf, nan"
    return repr(float(bad[0])) if bad.size == 1 else f"values from {bad.min():g} to {bad.max():g}"


def positive(name: str, value, meaning: str) -> Hyper:
    """Validate a hyperparameter that must be > 0 (learning rates, epsilons)."""
    v = _as_hyper(name, value)
    if np.any(np.asarray(v) <= 0):
        raise ValueError(f"{name} ({meaning}) must be greater than 0, got {_show(np.asarray(v)[np.asarray(v) <= 0])}")
    return v


def unit_interval(name: str, value, meaning: str) -> Hyper:
    """Validate a decay rate: 0 <= value < 1 (beta = 1 would never forget the first gradient)."""
    v = _as_hyper(name, value)
    bad = (np.asarray(v) < 0) | (np.asarray(v) >= 1)
    if np.any(bad):
        raise ValueError(
            f"{name} ({meaning}) must be at least 0 and below 1, got {_show(np.asarray(v)[bad])}: "
            "it is the fraction of the old average kept at each step"
        )
    return v


def boolean(name: str, value) -> bool:
    """Validate an on/off option: True or False, nothing else (1, "yes" and None are refused)."""
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def choice(name: str, value, choices: tuple) -> Any:
    if isinstance(value, (bool, np.bool_)) or value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}; got {value!r}")
    return value
