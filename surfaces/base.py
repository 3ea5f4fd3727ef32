"""The Surface type: a loss function with its analytic gradient and Hessian.

Two layouts, one set of formulas:

* The public methods (`value`, `grad`, `hess`) take points shaped ``(..., d)`` and broadcast over any
  leading batch shape, like ``scipy.optimize.rosen`` but with the Hessian broadcasting too.
* The optimizer run loop works *coordinate-first*, on arrays shaped ``(d, ...)``, because each coordinate
  is then one contiguous block and every elementwise update is a single fast ufunc call. The ``*_cf``
  methods are that layout; the public ones are views over them (``np.moveaxis`` copies nothing).

A surface is defined by three coordinate-first functions: ``f(X) -> (...)``, ``grad(X) -> (d, ...)`` and
``hess(X) -> (d, d, ...)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Literal

import numpy as np

Kind = Literal["minimum", "maximum", "saddle"]
ArrayFn = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class StationaryPoint:
    """A point where the gradient vanishes, with its kind (from the Hessian's eigenvalues) and value."""

    point: tuple[float, ...]
    kind: Kind
    value: float
    is_global: bool = False

    @property
    def label(self) -> str:
        if self.kind == "minimum":
            return "global minimum" if self.is_global else "local minimum"
        return "local maximum" if self.kind == "maximum" else "saddle point"


@dataclass(frozen=True, eq=False)
class Surface:
    """A loss surface ``f: R^d -> R`` (d = 1 or 2) with analytic derivatives.

    Attributes:
        name: command-line name, e.g. ``"rosenbrock"``.
        title: human title for pages.
        latex: the formula, in LaTeX, in the variables the page shows (``w`` in 1-D, ``x, y`` in 2-D).
        f, df, d2f: coordinate-first value, gradient and Hessian (see the module docstring).
        bounds: the default view box, one ``(low, high)`` pair per coordinate.
        starts: default start points, each a tuple of d floats.
        stationary: the stationary points inside (or near) the view box, with their kind and value.
        log_levels: whether contour plots should use log-spaced levels (steep valleys such as Rosenbrock).
        variables: names of the coordinates (``("w",)`` in 1-D and ``("x", "y")`` in 2-D unless given).
        fg: an optional fused ``X -> (f(X), df(X))``, used by the run loop when it needs both.
    """

    name: str
    title: str
    latex: str
    f: ArrayFn
    df: ArrayFn
    d2f: ArrayFn
    bounds: tuple[tuple[float, float], ...]
    starts: tuple[tuple[float, ...], ...]
    stationary: tuple[StationaryPoint, ...] = ()
    log_levels: bool = False
    variables: tuple[str, ...] = ()
    fg: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]] | None = None  #: optional fused (f, df)
    derivative_latex: tuple[str, ...] = ()  #: for 1-D surfaces: f'(w) and f''(w) in LaTeX
    df_writes_out: bool = False  #: whether ``df`` takes ``out=`` (the run loop then reuses one buffer)
    partial_domain: bool = False  #: f may be undefined (NaN) at finite points: a run checks for leaving the domain
    #: f is a polynomial of degree at most 2 (a constant Hessian): an exact line search is exact on it
    quadratic: bool = False

    def __post_init__(self) -> None:
        if not self.variables:
            object.__setattr__(self, "variables", ("w",) if self.dim == 1 else ("x", "y"))

    @property
    def dim(self) -> int:
        return len(self.bounds)

    @property
    def n_samples(self) -> int | None:
        """The number of samples the loss averages over (None: an analytic function, no mini-batches)."""
        return None

    # -- coordinate-first: X has shape (d, ...) ------------------------------------------------------
    def value_cf(self, X: np.ndarray) -> np.ndarray:
        return self.f(X)

    def grad_cf(self, X: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """The gradient, written into ``out`` (shaped like ``X``) when given."""
        if out is None:
            return self.df(X)
        if self.df_writes_out:
            return self.df(X, out=out)
        np.copyto(out, self.df(X))
        return out

    def hess_cf(self, X: np.ndarray) -> np.ndarray:
        return self.d2f(X)

    def value_and_grad_cf(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Value and gradient together; surfaces with shared subexpressions compute them in one pass."""
        return self.fg(X) if self.fg is not None else (self.f(X), self.df(X))

    # -- public: p has shape (..., d) ------------------------------------------------------------------
    def value(self, p) -> np.ndarray:
        """f(p) for points shaped ``(..., d)``; returns shape ``(...)``."""
        return self.f(self.coordinate_first(p))

    def grad(self, p) -> np.ndarray:
        """The gradient at points shaped ``(..., d)``; returns shape ``(..., d)``."""
        return np.moveaxis(self.df(self.coordinate_first(p)), 0, -1)

    def hess(self, p) -> np.ndarray:
        """The Hessian at points shaped ``(..., d)``; returns shape ``(..., d, d)``."""
        return np.moveaxis(self.d2f(self.coordinate_first(p)), (0, 1), (-2, -1))

    def coordinate_first(self, p) -> np.ndarray:
        """Points shaped ``(..., d)`` as the coordinate-first array ``(d, ...)`` (a view), the dimension checked."""
        p = np.asarray(p, dtype=float)
        if p.ndim == 0 or p.shape[-1] != self.dim:
            got = p.shape[-1] if p.ndim else 0
            given = (f"{got} {'was' if got == 1 else 'were'} given" if p.ndim
                     else "a bare number was given, not a sequence of coordinates")
            raise ValueError(
                f"a point on '{self.name}' needs {self.dim} coordinate{'s' if self.dim > 1 else ''} "
                f"({', '.join(self.variables)}), but {given}"
            )
        return np.moveaxis(p, -1, 0)

    # -- facts about the surface -----------------------------------------------------------------------
    @property
    def minima(self) -> tuple[StationaryPoint, ...]:
        return tuple(s for s in self.stationary if s.kind == "minimum")

    def nearest_minimum(self, p) -> tuple[np.ndarray, np.ndarray]:
        """Distance from points ``(..., d)`` to the nearest listed minimum, and that minimum's index."""
        p = np.asarray(p, dtype=float)
        mins = np.array([m.point for m in self.minima], dtype=float)  # (M, d)
        dist = np.linalg.norm(p[..., None, :] - mins, axis=-1)  # (..., M)
        return dist.min(axis=-1), dist.argmin(axis=-1)


def classify(hessian: np.ndarray, tol: float = 1e-9) -> Kind:
    """Kind of a stationary point from the eigenvalues of its (symmetric) Hessian."""
    eig = np.linalg.eigvalsh(np.atleast_2d(hessian))
    if np.all(eig > tol):
        return "minimum"
    if np.all(eig < -tol):
        return "maximum"
    if np.any(eig > tol) and np.any(eig < -tol):
        return "saddle"
    raise ValueError(f"degenerate stationary point (Hessian eigenvalues {eig}); its kind is not decided by the Hessian")


def refine(df: ArrayFn, d2f: ArrayFn, guess, iterations: int = 50) -> np.ndarray:
    """Newton's method on the gradient: polishes an approximate stationary point to machine precision."""
    x = np.asarray(guess, dtype=float).copy()
    for _ in range(iterations):
        g = df(x)
        step = np.linalg.solve(np.atleast_2d(d2f(x)), np.atleast_1d(g))
        x = x - step + 0.0  # + 0.0 turns -0.0 into 0.0
        if np.max(np.abs(step)) <= 1e-15 * max(1.0, float(np.max(np.abs(x)))):
            break
    return x


def stationary_points(f: ArrayFn, df: ArrayFn, d2f: ArrayFn, guesses) -> tuple[StationaryPoint, ...]:
    """Stationary points refined from approximate guesses, classified by the Hessian, global ones flagged.

    ``f``, ``df``, ``d2f`` are the coordinate-first functions of a surface, evaluated here on single points
    shaped ``(d,)``. A minimum is marked global when no listed minimum is lower (the catalog lists the lowest).
    """
    points = []
    for guess in guesses:
        x = refine(df, d2f, guess)
        points.append((tuple(float(v) for v in x), classify(d2f(x)), float(f(x))))
    minima = [v for _, kind, v in points if kind == "minimum"]
    lowest = min(minima) if minima else None
    return tuple(
        StationaryPoint(point=x, kind=kind, value=value, is_global=kind == "minimum" and abs(value - lowest) <= 1e-12)
        for x, kind, value in points
    )
