r"""Typed-in functions: ``f(w)`` or ``f(x, y)`` in ordinary notation, turned into a :class:`Surface`.

    >>> s = typed_surface("x^2 + 10*y^2", ("x", "y"))
    >>> float(s.value([1.0, 1.0])), s.grad([1.0, 1.0]).tolist()
    (11.0, [2.0, 20.0])

The text is never given to Python's ``eval`` (nor to ``sympy.sympify``, which calls it): the tokenizer and
recursive-descent parser of ``surfaces.expression`` build the SymPy expression from tokens they have checked.
Accepted:

* numbers (``3``, ``0.5``, ``1e-3``), the variables (``w`` in 1-D, ``x`` accepted for it; ``x`` and ``y`` in 2-D),
  the constants ``pi`` and ``e``;
* ``+ - * /``, powers ``^`` or ``**`` (right-associative; ``-x^2`` is ``-(x^2)``), parentheses, and implicit
  multiplication before a name or a parenthesis (``2w``, ``3(x+1)``, ``sin(x)cos(y)``);
* the functions sin, cos, tan, exp, log, sqrt, abs, tanh, sinh, cosh, arctan (one argument), min and max (two).

Anything else is refused with a one-line ValueError that says what was not understood and at which character
(counted from 1). Limits, all checked before any symbolic work: at most ``MAX_LENGTH`` characters, parentheses
nested at most ``MAX_DEPTH`` deep, numeric literals of at most ``MAX_DIGITS`` digits and magnitude at most
``1e15``; an exponent that is a constant must lie in ``[-MAX_EXPONENT, MAX_EXPONENT]``, and a constant raised to a
constant power must stay below ``1e300`` (so ``9^9^9^9`` and ``x^(10^10)`` are refused before anything expands);
the expression tree at most ``MAX_OPS`` operations. The derivatives are computed in a worker thread and refused
if they take longer than ``DERIVATIVE_TIMEOUT`` seconds.

The gradient and Hessian are derived symbolically and compiled with ``sympy.lambdify`` (numpy module) into
coordinate-first functions that broadcast over any batch of points, like the catalog's surfaces. Where the
function is undefined (``log`` of a non-positive number, ``sqrt`` of a negative one) the compiled functions give
NaN: plots leave that region blank, and a run stopping there ends with the status "left the domain".

Stationary points are found by Newton's method on the gradient from a grid of starts in the search box (all
starts at once, vectorized), deduplicated and classified by the Hessian's eigenvalues; the view box is computed
from them unless given.
"""

from __future__ import annotations

import math
import re
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from functools import lru_cache

import numpy as np
import sympy

from .base import StationaryPoint, Surface, classify
from .expression import DERIVATIVE_TIMEOUT, MAX_LENGTH, PREFIX, SEARCH_BOX, SYMBOLS, _fail, parse

MAX_BOX = 1e4  #: a typed view box lies within ±MAX_BOX
MIN_BOX_WIDTH = 1e-3  #: and each of its ranges is at least this wide


def _derivatives(expr, symbols):
    grad = [sympy.diff(expr, s) for s in symbols]
    hess = [[sympy.diff(g, s) for s in symbols] for g in grad]
    strip = lambda e: e.replace(sympy.DiracDelta, lambda *a: sympy.S.Zero)  # noqa: E731  zero almost everywhere
    return [strip(g) for g in grad], [[strip(h) for h in row] for row in hess]


_WORKER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="typed-derivatives")


def derivatives(expr, symbols, timeout: float = DERIVATIVE_TIMEOUT):
    """The gradient (list) and Hessian (list of lists) of ``expr``, computed in a worker thread; a ValueError if
    that takes more than ``timeout`` seconds."""
    future = _WORKER.submit(_derivatives, expr, symbols)
    try:
        return future.result(timeout=timeout)
    except FutureTimeout:
        _fail(f"the derivatives take longer than {timeout:g} s to compute; simplify the function")


def _compile(exprs, symbols):
    fn = sympy.lambdify(symbols, exprs, modules="numpy", cse=True)
    return fn


def _latex(expr) -> str:
    return sympy.latex(expr)


class TypedFunction:
    """The parsed function, its derivatives (SymPy and LaTeX) and their coordinate-first numpy versions."""

    def __init__(self, text: str, variables: tuple[str, ...]):
        self.text, self.variables = text, tuple(variables)
        self.expr = parse(text, variables)
        self.symbols = [SYMBOLS[v] for v in self.variables]
        self.grad_exprs, self.hess_exprs = derivatives(self.expr, self.symbols)
        d = len(self.symbols)
        self._f = _compile(self.expr, self.symbols)
        self._fg = _compile([self.expr, *self.grad_exprs], self.symbols)
        self._g = _compile(self.grad_exprs, self.symbols)
        self._h = _compile([e for row in self.hess_exprs for e in row], self.symbols)
        self.d = d

    # coordinate-first numpy functions: X shaped (d, ...)
    def f(self, X):
        X = np.asarray(X, dtype=float)
        with np.errstate(all="ignore"):
            return _real(self._f(*X), X.shape[1:])

    def df(self, X):
        X = np.asarray(X, dtype=float)
        with np.errstate(all="ignore"):
            return np.stack([_real(g, X.shape[1:]) for g in self._g(*X)])

    def fg(self, X):
        X = np.asarray(X, dtype=float)
        with np.errstate(all="ignore"):
            out = self._fg(*X)
        shape = X.shape[1:]
        return _real(out[0], shape), np.stack([_real(g, shape) for g in out[1:]])

    def d2f(self, X):
        X = np.asarray(X, dtype=float)
        with np.errstate(all="ignore"):
            flat = [_real(h, X.shape[1:]) for h in self._h(*X)]
        return np.stack(flat).reshape((self.d, self.d) + X.shape[1:])

    @property
    def latex(self) -> str:
        return _latex(self.expr)

    def derivative_latex(self) -> tuple[str, ...]:
        v = self.variables
        if len(v) == 1:
            return (rf"f'({v[0]}) = {_latex(self.grad_exprs[0])}", rf"f''({v[0]}) = {_latex(self.hess_exprs[0][0])}")
        grad = r" \\ ".join(_latex(g) for g in self.grad_exprs)
        hess = r" \\ ".join(" & ".join(_latex(h) for h in row) for row in self.hess_exprs)
        return (rf"\nabla f = \begin{{pmatrix}} {grad} \end{{pmatrix}}",
                rf"\nabla^2 f = \begin{{pmatrix}} {hess} \end{{pmatrix}}")


def _real(a, shape) -> np.ndarray:
    """A float array of ``shape`` (a constant derivative comes back as a scalar); complex values become NaN."""
    a = np.asarray(a)
    if np.iscomplexobj(a):
        a = np.where(a.imag == 0, a.real, np.nan)
    return np.broadcast_to(a.astype(float, copy=False), shape).copy() if a.shape != shape else a.astype(float)


def find_stationary(fn: TypedFunction, box, per_axis: int | None = None, iterations: int = 60):
    """Stationary points inside ``box`` (one (low, high) pair per coordinate): Newton's method on the gradient
    from a grid of starts, all at once; converged points deduplicated and classified by the Hessian."""
    with np.errstate(all="ignore"):
        return _find_stationary(fn, box, per_axis, iterations)


def _find_stationary(fn: TypedFunction, box, per_axis, iterations):
    d = fn.d
    per_axis = per_axis or (41 if d == 1 else 15)
    axes = [np.linspace(lo, hi, per_axis) for lo, hi in box]
    X = np.stack(np.meshgrid(*axes, indexing="ij")).reshape(d, -1)  # (d, K)
    with np.errstate(all="ignore"):
        for _ in range(iterations):
            g = fn.df(X)  # (d, K)
            H = np.moveaxis(fn.d2f(X), (0, 1), (-2, -1))  # (K, d, d)
            ok = np.isfinite(H).all(axis=(-2, -1)) & np.isfinite(g).all(axis=0) & (np.abs(np.linalg.det(H)) > 1e-12)
            step = np.zeros_like(X)
            if ok.any():
                step[:, ok] = np.linalg.solve(H[ok], g.T[ok][..., None])[..., 0].T
            X = np.where(ok, X - step, np.nan)
        g = fn.df(X)
    scale = np.array([hi - lo for lo, hi in box])[:, None]
    inside = np.all((X >= np.array([lo for lo, _ in box])[:, None]) & (X <= np.array([hi for _, hi in box])[:, None]),
                    axis=0)
    good = inside & np.isfinite(X).all(axis=0) & (np.sqrt((g ** 2).sum(axis=0)) < 1e-8)
    found: list[np.ndarray] = []
    for p in X[:, good].T:
        if not any(np.all(np.abs(p - q) <= 1e-6 * scale[:, 0]) for q in found):
            found.append(p + 0.0)
        if len(found) >= 50:
            break
    points = []
    for p in sorted(found, key=tuple):
        try:
            H = fn.d2f(p)
            if not np.isfinite(H).all():
                continue
            kind = classify(H)
        except (ValueError, np.linalg.LinAlgError):
            continue  # degenerate: its kind is not decided by the Hessian
        value = float(fn.f(p))
        if np.isfinite(value):
            points.append((tuple(float(v) for v in p), kind, value))
    minima = [v for _, k, v in points if k == "minimum"]
    lowest = min(minima) if minima else None
    return tuple(StationaryPoint(point=p, kind=k, value=v, is_global=k == "minimum" and abs(v - lowest) <= 1e-12)
                 for p, k, v in points)


def view_box(points, d: int, search=SEARCH_BOX) -> tuple[tuple[float, float], ...]:
    """A box around the stationary points (padded by half their span, at least 2), or the search box."""
    if not points:
        return tuple(search for _ in range(d))
    P = np.array([p.point for p in points])
    box = []
    for k in range(d):
        lo, hi = float(P[:, k].min()), float(P[:, k].max())
        pad = max(2.0, 0.5 * (hi - lo))
        box.append((float(f"{lo - pad:.3g}"), float(f"{hi + pad:.3g}")))
    return tuple(box)


def _default_start(fn: TypedFunction, box, stationary) -> tuple[float, ...]:
    """A start point in the box where the function and its gradient are defined, away from the minima."""
    for frac in ((0.8, 0.85), (0.2, 0.8), (0.75, 0.25), (0.3, 0.3), (0.6, 0.6), (0.95, 0.95), (0.55, 0.45)):
        p = np.array([lo + f * (hi - lo) for (lo, hi), f in zip(box, frac)])
        p = np.round(p, 2)
        with np.errstate(all="ignore"):
            usable = np.isfinite(fn.f(p)) and np.isfinite(fn.df(p)).all() and np.linalg.norm(fn.df(p)) > 1e-6
        if usable:
            return tuple(float(v) for v in p)
    return tuple(float(np.round(lo + 0.8 * (hi - lo), 2)) for lo, hi in box)


def check_box(values, d: int) -> tuple[tuple[float, float], ...]:
    """A view box from ``2 * d`` numbers (``xmin, xmax, ymin, ymax``; ``wmin, wmax`` in 1-D) or ``d`` (low, high)
    pairs: finite, each low below its high by at least ``MIN_BOX_WIDTH``, none beyond ``MAX_BOX`` in magnitude. A
    one-line ValueError says what is wrong."""
    try:
        flat = [float(v) for pair in values for v in (pair if isinstance(pair, (tuple, list)) else (pair,))]
    except (TypeError, ValueError):
        _fail("the view box needs numbers")
    names = ("w",) if d == 1 else ("x", "y")
    if len(flat) != 2 * d:
        _fail(f"the view box needs {2 * d} numbers ({', '.join(f'{v}min, {v}max' for v in names)}), got {len(flat)}")
    box = tuple((flat[2 * k], flat[2 * k + 1]) for k in range(d))
    for v, (lo, hi) in zip(names, box):
        if not (math.isfinite(lo) and math.isfinite(hi)):
            _fail(f"the view box's {v} range must be finite numbers")
        if max(abs(lo), abs(hi)) > MAX_BOX:
            _fail(f"the view box's {v} range must lie within ±{MAX_BOX:g}")
        if not hi - lo >= MIN_BOX_WIDTH:
            _fail(f"the view box's {v} range must go from low to high ({v}min < {v}max), got {lo:g} to {hi:g}")
    return box


def surface_name(text: str, variables: tuple[str, ...], bounds=None) -> str:
    """The name a typed surface carries: ``f(x,y)=x^2 + y^2``, with a given view box ``f(x,y)[-2:2,-1:3]=x^2 + y^2``;
    :func:`surfaces.get` rebuilds the surface from it."""
    box = "" if bounds is None else "[" + ",".join(f"{lo!r}:{hi!r}" for lo, hi in bounds) + "]"
    return f"{PREFIX}{','.join(variables)}){box}={text.strip()}"


_NAME = re.compile(r"f\((w|x|x,y)\)(?:\[([^\]=]*)\])?")


def from_name(name: str) -> Surface:
    head, sep, text = name.partition("=")
    m = _NAME.fullmatch(head)
    if not (sep and m):
        _fail(f"not a typed function's name: {name[:40]!r}")
    variables = tuple(m.group(1).split(","))
    bounds = None
    if m.group(2) is not None:
        try:
            bounds = tuple(tuple(float(v) for v in pair.split(":")) for pair in m.group(2).split(","))
        except ValueError:
            _fail(f"not a typed function's name: {name[:40]!r}")
    return typed_surface(text, variables, bounds)


def typed_surface(text: str, variables: tuple[str, ...] = ("x", "y"), bounds=None) -> Surface:
    """The Surface of a typed function (cached by text, variables and bounds); a one-line ValueError if the text is
    not accepted. ``bounds``: the view box (one (low, high) pair per variable, or the ``2 * d`` numbers flat; see
    :func:`check_box`); computed from the stationary points when not given. The stationary points are searched
    in the given box, else in the search box."""
    if not isinstance(text, str):
        _fail("the function must be text")
    if len(text) > MAX_LENGTH:
        _fail(f"the function is {len(text)} characters long; at most {MAX_LENGTH} are accepted")
    box = None if bounds is None else check_box(bounds, len(variables))
    return _typed_surface(text.strip(), tuple(variables), box)


@lru_cache(maxsize=128)
def _typed_surface(text: str, variables: tuple[str, ...], box) -> Surface:
    fn = TypedFunction(text, variables)
    d = len(variables)
    given = box
    stationary = find_stationary(fn, box or tuple(SEARCH_BOX for _ in range(d)))
    box = box or view_box(stationary, d)
    stationary = tuple(p for p in stationary
                       if all(lo <= c <= hi for c, (lo, hi) in zip(p.point, box)))
    name = surface_name(text, variables, given)
    return Surface(
        name=name,
        title=f"f({', '.join(variables)}) = {text}",
        latex=rf"f({', '.join(variables)}) = {fn.latex}",
        f=fn.f,
        df=fn.df,
        d2f=fn.d2f,
        fg=fn.fg,
        bounds=box,
        starts=(_default_start(fn, box, stationary),),
        stationary=stationary,
        variables=variables,
        derivative_latex=fn.derivative_latex(),
        partial_domain=True,
        quadratic=all(not e.free_symbols for row in fn.hess_exprs for e in row),  # a constant Hessian
    )


__all__ = ["MAX_BOX", "MAX_LENGTH", "TypedFunction", "check_box", "derivatives", "find_stationary", "from_name", "parse", "surface_name",
           "typed_surface", "view_box"]
