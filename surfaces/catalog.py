"""The catalog of loss surfaces, each with analytic value, gradient and Hessian.

Every function here is coordinate-first: ``X`` has shape ``(d, ...)`` and ``X[0]`` is the first coordinate
(see ``surfaces.base``). Stationary points are never typed in as final numbers: each is refined by Newton's
method on the gradient from a rough guess (or, for the quartic, from the roots of its derivative), then
classified by its Hessian's eigenvalues.
"""

from __future__ import annotations

import numpy as np

from .base import Surface, stationary_points
from .curves import NOTES_PARABOLA, NOTES_QUADRATIC, QUARTIC, quartic_critical_points
from .curves import quartic as _q
from .curves import quartic_d1 as _dq
from .curves import quartic_d2 as _d2q
from .regression import linear_regression


def _hess2(hxx, hxy, hyy) -> np.ndarray:
    """Stack the three distinct entries of a symmetric 2x2 Hessian into shape (2, 2, ...)."""
    hxx, hxy, hyy = np.broadcast_arrays(hxx, hxy, hyy)
    return np.array([[hxx, hxy], [hxy, hyy]], dtype=float)


def _batched(fn):
    """Let an in-place formula (written with ``out=``) take a single point: numpy turns 0-d results into
    scalars, which cannot be written into, so a single point goes through as a batch of one."""

    def wrapper(X, **kwargs):
        X = np.asarray(X, dtype=float)
        if X.ndim > 1:
            return fn(X, **kwargs)
        if kwargs.get("out") is not None:
            kwargs["out"] = kwargs["out"][:, None]
        result = fn(X[:, None], **kwargs)
        return tuple(o[..., 0] for o in result) if isinstance(result, tuple) else result[..., 0]

    wrapper.__doc__ = fn.__doc__
    return wrapper


def _const(value: float, like: np.ndarray) -> np.ndarray:
    return np.full(np.shape(like), float(value))


# -- 2-D quadratics ---------------------------------------------------------------------------------------------


def _quadratic_2d(A, name: str, title: str, latex: str, bounds, starts) -> Surface:
    """f(p) = 1/2 p^T A p for a symmetric positive-definite or indefinite A (minimum or saddle at 0)."""
    (a, b), (_, c) = np.asarray(A, dtype=float)

    def f(X):
        x, y = X[0], X[1]
        return 0.5 * (a * x * x + c * y * y) + b * x * y

    @_batched
    def df(X, out=None):
        x, y = X[0], X[1]
        out = np.empty(np.shape(X), dtype=float) if out is None else out
        np.multiply(x, a, out=out[0])
        out[0] += b * y
        np.multiply(y, c, out=out[1])
        out[1] += b * x
        return out

    def d2f(X):
        return _hess2(_const(a, X[0]), _const(b, X[0]), _const(c, X[0]))

    return Surface(
        name=name, title=title, latex=latex, f=f, df=df, d2f=d2f, bounds=bounds, starts=starts,
        stationary=stationary_points(f, df, d2f, [[0.0, 0.0]]), df_writes_out=True, quadratic=True,
    )


BOWL = _quadratic_2d(
    [[2.0, 0.0], [0.0, 2.0]],
    name="bowl",
    title="An isotropic bowl",
    latex=r"f(x, y) = x^2 + y^2",
    bounds=((-2.0, 2.0), (-2.0, 2.0)),
    starts=((-1.5, 1.2),),
)

# Eigenvalues 1 and 25 along the diagonals (1, -1) and (1, 1): condition number 25, rotated by 45 degrees.
ELONGATED_BOWL = _quadratic_2d(
    [[13.0, 12.0], [12.0, 13.0]],
    name="elongated-bowl",
    title="An elongated, rotated bowl (condition number 25)",
    latex=r"f(x, y) = 6.5x^2 + 12xy + 6.5y^2",
    bounds=((-2.0, 2.0), (-2.0, 2.0)),
    starts=((-1.6, 1.9),),
)

SADDLE = _quadratic_2d(
    [[2.0, 0.0], [0.0, -2.0]],
    name="saddle",
    title="A saddle x² − y²",
    latex=r"f(x, y) = x^2 - y^2",
    bounds=((-2.0, 2.0), (-2.0, 2.0)),
    starts=((-1.8, 0.05),),
)


# -- Classic test functions ------------------------------------------------------------------------------------


def _rosenbrock(X):
    x, y = X[0], X[1]
    r = y - x * x
    s = 1.0 - x
    return s * s + 100.0 * r * r


@_batched
def _rosenbrock_value_and_grad(X):
    # With r = y - x^2 and s = 1 - x: f = s^2 + 100 r^2, df/dx = -2 s - 400 x r, df/dy = 200 r.
    x, y = X[0], X[1]
    g = np.empty(np.shape(X), dtype=float)
    s = 1.0 - x
    r = x * x
    np.subtract(y, r, out=r)
    np.multiply(r, 200.0, out=g[1])
    f = r * g[1]  # 200 r^2
    f *= 0.5
    gx = np.multiply(x, g[1], out=g[0])
    gx += s
    gx *= -2.0
    s *= s
    f += s
    return f, g


@_batched
def _rosenbrock_grad(X, out=None):
    # The gradient alone, by the same operations as _rosenbrock_value_and_grad (bit for bit the same numbers):
    # a run that keeps no path asks only for the gradient, and the value would be four wasted passes.
    x, y = X[0], X[1]
    g = np.empty(np.shape(X), dtype=float) if out is None else out
    s = 1.0 - x
    r = x * x
    np.subtract(y, r, out=r)
    np.multiply(r, 200.0, out=g[1])
    gx = np.multiply(x, g[1], out=g[0])
    gx += s
    gx *= -2.0
    return g


def _rosenbrock_hess(X):
    x, y = X[0], X[1]
    return _hess2(2.0 - 400.0 * (y - 3.0 * x * x), -400.0 * x, _const(200.0, x))


ROSENBROCK = Surface(
    name="rosenbrock",
    title="Rosenbrock's banana valley",
    latex=r"f(x, y) = (1 - x)^2 + 100\,(y - x^2)^2",
    f=_rosenbrock,
    df=_rosenbrock_grad,
    d2f=_rosenbrock_hess,
    fg=_rosenbrock_value_and_grad,
    df_writes_out=True,
    bounds=((-2.0, 2.0), (-1.0, 3.0)),
    starts=((-1.5, 2.0),),
    stationary=stationary_points(_rosenbrock, _rosenbrock_grad, _rosenbrock_hess, [[1.0, 1.0]]),
    log_levels=True,
)


def _powers(y):
    """(1, y, y^2, y^3) by multiplication: numpy's ``**`` rounds differently on 0-d scalars than on arrays, and
    a single run (scalar coordinates) must reproduce its cell of a batch bit for bit."""
    y2 = y * y
    return (1.0, y, y2, y2 * y)


def _beale_terms(x, y):
    # f = sum_k (c_k - x + x y^k)^2 with c = 1.5, 2.25, 2.625 for k = 1, 2, 3.
    yk = _powers(y)
    return [(c - x + x * yk[k], k) for c, k in ((1.5, 1), (2.25, 2), (2.625, 3))]


def _beale(X):
    return sum(t * t for t, _ in _beale_terms(X[0], X[1]))


def _beale_grad(X):
    x, y = X[0], X[1]
    yk = _powers(y)
    gx = sum(2.0 * t * (yk[k] - 1.0) for t, k in _beale_terms(x, y))
    gy = sum(2.0 * t * k * x * yk[k - 1] for t, k in _beale_terms(x, y))
    return np.array([gx, gy], dtype=float)


def _beale_hess(X):
    x, y = X[0], X[1]
    yk = _powers(y)
    hxx = hxy = hyy = 0.0
    for t, k in _beale_terms(x, y):
        tx, ty = yk[k] - 1.0, k * x * yk[k - 1]  # partial derivatives of the term t
        txy = k * yk[k - 1]
        tyy = k * (k - 1) * x * yk[k - 2] if k >= 2 else 0.0 * x
        hxx = hxx + 2.0 * tx * tx
        hxy = hxy + 2.0 * (tx * ty + t * txy)
        hyy = hyy + 2.0 * (ty * ty + t * tyy)
    return _hess2(hxx, hxy, hyy)


BEALE = Surface(
    name="beale",
    title="Beale's function",
    latex=r"f(x, y) = (1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2",
    f=_beale,
    df=_beale_grad,
    d2f=_beale_hess,
    bounds=((-4.5, 4.5), (-4.5, 4.5)),
    starts=((1.0, 1.4),),
    stationary=stationary_points(_beale, _beale_grad, _beale_hess, [[3.0, 0.5], [0.0, 1.0], [0.1, -2.64]]),
    log_levels=True,
)


def _himmelblau(X):
    x, y = X[0], X[1]
    a = x * x + y - 11.0
    b = x + y * y - 7.0
    return a * a + b * b


def _himmelblau_grad(X):
    x, y = X[0], X[1]
    a = x * x + y - 11.0
    b = x + y * y - 7.0
    return np.array([4.0 * x * a + 2.0 * b, 2.0 * a + 4.0 * y * b], dtype=float)


def _himmelblau_hess(X):
    x, y = X[0], X[1]
    return _hess2(12.0 * x * x + 4.0 * y - 42.0, 4.0 * (x + y), 12.0 * y * y + 4.0 * x - 26.0)


HIMMELBLAU = Surface(
    name="himmelblau",
    title="Himmelblau's function: four minima",
    latex=r"f(x, y) = (x^2 + y - 11)^2 + (x + y^2 - 7)^2",
    f=_himmelblau,
    df=_himmelblau_grad,
    d2f=_himmelblau_hess,
    bounds=((-5.0, 5.0), (-5.0, 5.0)),
    starts=((0.0, 0.0),),
    stationary=stationary_points(
        _himmelblau, _himmelblau_grad, _himmelblau_hess,
        [[3.0, 2.0], [-2.805, 3.131], [-3.779, -3.283], [3.584, -1.848], [-0.271, -0.923],
         [-3.073, -0.081], [-0.128, -1.954], [0.087, 2.884], [3.385, 0.074]],
    ),
    log_levels=True,
)

_TWO_PI = 2.0 * np.pi


def _rastrigin(X):
    x, y = X[0], X[1]
    return 20.0 + x * x + y * y - 10.0 * (np.cos(_TWO_PI * x) + np.cos(_TWO_PI * y))


def _rastrigin_grad(X):
    return 2.0 * X + 10.0 * _TWO_PI * np.sin(_TWO_PI * X)


def _rastrigin_hess(X):
    diag = 2.0 + 10.0 * _TWO_PI**2 * np.cos(_TWO_PI * X)
    return _hess2(diag[0], 0.0 * diag[0], diag[1])


def _rastrigin_stationary(bound: float) -> list[list[float]]:
    """Guesses for the stationary points inside [-bound, bound]^2.

    The function is a sum of one term per coordinate, r(u) = u^2 - 10 cos(2 pi u), so the stationary points
    are the products of r's critical points: near each integer (minima of r) and each half-integer (maxima).
    """
    roots = []
    for guess in np.arange(-np.floor(2 * bound) / 2, bound + 1e-9, 0.5):
        u = float(guess)
        for _ in range(50):
            u -= (2.0 * u + 20.0 * np.pi * np.sin(_TWO_PI * u)) / (2.0 + 40.0 * np.pi**2 * np.cos(_TWO_PI * u))
        if abs(u) < bound:
            roots.append(u)
    return [[u, v] for u in roots for v in roots]


RASTRIGIN = Surface(
    name="rastrigin",
    title="Rastrigin's function: a grid of local minima",
    latex=r"f(x, y) = 20 + x^2 - 10\cos(2\pi x) + y^2 - 10\cos(2\pi y)",
    f=_rastrigin,
    df=_rastrigin_grad,
    d2f=_rastrigin_hess,
    bounds=((-2.5, 2.5), (-2.5, 2.5)),
    starts=((-2.2, 1.7),),
    stationary=stationary_points(_rastrigin, _rastrigin_grad, _rastrigin_hess, _rastrigin_stationary(2.5)),
)


def _two_minima(X):
    return _q(X[0]) + 2.0 * X[1] * X[1]


def _two_minima_grad(X):
    return np.array([_dq(X[0]), 4.0 * X[1]], dtype=float)


def _two_minima_hess(X):
    return _hess2(_d2q(X[0]), 0.0 * X[0], _const(4.0, X[1]))


TWO_MINIMA = Surface(
    name="two-minima",
    title="Two minima: the quartic along x, a parabola along y",
    latex=r"f(x, y) = 6x^4 - 2x^3 - 12x^2 + x + 1 + 2y^2",
    f=_two_minima,
    df=_two_minima_grad,
    d2f=_two_minima_hess,
    bounds=((-1.6, 1.7), (-1.2, 1.2)),
    starts=((-1.4, 1.0), (0.2, 1.0)),
    stationary=stationary_points(_two_minima, _two_minima_grad, _two_minima_hess,
                                 [[w[0], 0.0] for w in quartic_critical_points()]),
)

LINEAR_REGRESSION = linear_regression()

SURFACES: dict[str, Surface] = {
    s.name: s
    for s in (
        NOTES_QUADRATIC, NOTES_PARABOLA, QUARTIC, BOWL, ELONGATED_BOWL, SADDLE, ROSENBROCK, BEALE,
        HIMMELBLAU, RASTRIGIN, TWO_MINIMA, LINEAR_REGRESSION,
    )
}
