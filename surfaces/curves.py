"""The notes' one-weight curves, with analytic value, derivative and second derivative: the quadratic
2w² + w + 4 of the worked tables, the parabola w² + 10 and the quartic 6w⁴ − 2w³ − 12w² + w + 1.

Coordinate-first like every surface (``X`` shaped ``(1, ...)``). The quartic's critical points come from the
roots of its derivative, refined by Newton's method and classified by the second derivative.
"""

from __future__ import annotations

import numpy as np

from .base import Surface, stationary_points


def _quadratic_1d(a: float, b: float, c: float, name: str, title: str, latex: str, bounds, starts,
                  derivative_latex):
    """f(w) = a w^2 + b w + c, whose gradient-descent map is w <- w - eta (2 a w + b)."""

    def f(X):
        w = X[0]
        return (a * w + b) * w + c

    def df(X):
        return 2.0 * a * X[:1] + b

    def d2f(X):
        return np.full((1, 1) + np.shape(X[0]), 2.0 * a)

    w_min = -b / (2.0 * a)
    return Surface(
        name=name,
        title=title,
        latex=latex,
        f=f,
        df=df,
        d2f=d2f,
        bounds=(bounds,),
        starts=starts,
        stationary=stationary_points(f, df, d2f, [[w_min]]),
        derivative_latex=derivative_latex,
        quadratic=True,
    )


NOTES_QUADRATIC = _quadratic_1d(
    2.0, 1.0, 4.0,
    name="notes-quadratic",
    title="The notes' quadratic 2w² + w + 4",
    latex=r"f(w) = 2w^2 + w + 4",
    bounds=(-3.0, 2.5),
    starts=((2.0,),),
    derivative_latex=(r"f'(w) = 4w + 1", r"f''(w) = 4"),
)

NOTES_PARABOLA = _quadratic_1d(
    1.0, 0.0, 10.0,
    name="notes-parabola",
    title="The notes' parabola w² + 10",
    latex=r"f(w) = w^2 + 10",
    bounds=(-5.0, 5.0),
    starts=((-4.0,), (4.0,)),
    derivative_latex=(r"f'(w) = 2w", r"f''(w) = 2"),
)

# The quartic q(w) = 6w^4 - 2w^3 - 12w^2 + w + 1 and its derivatives, as polynomial coefficients.
QUARTIC_COEFFS = np.array([6.0, -2.0, -12.0, 1.0, 1.0])
_Q1 = np.polyder(QUARTIC_COEFFS)  # 24w^3 - 6w^2 - 24w + 1
_Q2 = np.polyder(_Q1)  # 72w^2 - 12w - 24


def quartic(w):
    return (((6.0 * w - 2.0) * w - 12.0) * w + 1.0) * w + 1.0


def quartic_d1(w):
    return ((24.0 * w - 6.0) * w - 24.0) * w + 1.0


def quartic_d2(w):
    return (72.0 * w - 12.0) * w - 24.0


def quartic_critical_points() -> list[list[float]]:
    roots = np.roots(_Q1)
    return [[float(r.real)] for r in sorted(roots, key=lambda r: r.real) if abs(r.imag) < 1e-12]


QUARTIC = Surface(
    name="quartic",
    title="A quartic with a local and a global minimum",
    latex=r"f(w) = 6w^4 - 2w^3 - 12w^2 + w + 1",
    f=lambda X: quartic(X[0]),
    df=lambda X: quartic_d1(X[:1]),
    d2f=lambda X: quartic_d2(X[None, :1]),
    bounds=((-1.5, 1.6),),
    starts=((-1.4,), (-0.2,), (0.3,), (1.5,)),
    stationary=stationary_points(lambda X: quartic(X[0]), lambda X: quartic_d1(X[:1]),
                                 lambda X: quartic_d2(X[None, :1]), quartic_critical_points()),
    derivative_latex=(r"f'(w) = 24w^3 - 6w^2 - 24w + 1", r"f''(w) = 72w^2 - 12w - 24"),
)


