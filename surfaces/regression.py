"""Linear regression as a loss surface over (w, b): the mean squared error of a seeded synthetic dataset.

    L(w, b) = (1/n) * sum_i (w x_i + b - y_i)^2

The full-batch value, gradient and Hessian are exact and cost O(1) per point: expanding the square gives
L = w^2 <x^2> + 2 w b <x> + b^2 - 2 w <xy> - 2 b <y> + <y^2>, where <.> is the mean over the dataset.
A mini-batch gradient is computed from the actual samples of the batch, so batch, mini-batch and stochastic
gradient descent on this surface are the real algorithms, not noise added to an exact gradient.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .base import Surface, stationary_points

TRUE_W, TRUE_B, NOISE_SD = 2.0, -1.0, 0.5


@dataclass(frozen=True, eq=False)
class RegressionSurface(Surface):
    """A Surface whose loss is an average over samples ``(x_i, y_i)``; adds mini-batch gradients."""

    xs: np.ndarray | None = None
    ys: np.ndarray | None = None

    @property
    def n_samples(self) -> int:
        return int(self.xs.shape[0])

    def batch_grad_cf(self, X: np.ndarray, idx: np.ndarray) -> np.ndarray:
        """Gradient of the mean squared error over the samples ``idx``.

        ``X`` is coordinate-first ``(2, ...)``; ``idx`` has shape ``(..., B)``: B sample indices for each point.
        """
        xb, yb = self.xs[idx], self.ys[idx]
        r = X[0][..., None] * xb + X[1][..., None] - yb
        out = np.empty(np.shape(X), dtype=float)
        np.mean(r * xb, axis=-1, out=out[0, ...])
        np.mean(r, axis=-1, out=out[1, ...])
        out *= 2.0
        return out

    def batch_grad(self, p, idx) -> np.ndarray:
        """Mini-batch gradient at points ``(..., 2)`` over sample indices ``(..., B)``; returns ``(..., 2)``."""
        return np.moveaxis(self.batch_grad_cf(self.coordinate_first(p), np.asarray(idx)), 0, -1)


def linear_regression(n: int = 10_000, seed: int = 0) -> RegressionSurface:
    """The MSE surface of ``n`` samples ``y = 2 x - 1 + 0.5 * noise`` with ``x ~ N(1, 1)``, drawn from ``seed``.

    The inputs are not centred, so w and b are correlated and the surface is a tilted, elongated bowl.
    """
    rng = np.random.default_rng(seed)
    xs = rng.normal(1.0, 1.0, n)
    ys = TRUE_W * xs + TRUE_B + NOISE_SD * rng.normal(0.0, 1.0, n)
    mx, mxx, my, mxy, myy = xs.mean(), (xs * xs).mean(), ys.mean(), (xs * ys).mean(), (ys * ys).mean()

    def f(X):
        w, b = X[0], X[1]
        return w * (w * mxx + 2.0 * (b * mx - mxy)) + b * (b - 2.0 * my) + myy

    def df(X):
        w, b = X[0], X[1]
        return np.array([2.0 * (w * mxx + b * mx - mxy), 2.0 * (w * mx + b - my)], dtype=float)

    def d2f(X):
        ones = np.ones(np.shape(X[0]))
        return np.array([[2.0 * mxx * ones, 2.0 * mx * ones], [2.0 * mx * ones, 2.0 * ones]])

    return RegressionSurface(
        name="linear-regression",
        title=f"Linear regression: mean squared error of {n:,} samples",
        latex=r"L(w, b) = \frac{1}{n}\sum_{i=1}^{n} \left(w x_i + b - y_i\right)^2",
        f=f,
        df=df,
        d2f=d2f,
        bounds=((-1.0, 4.0), (-3.5, 1.5)),
        starts=((-0.5, 1.0),),
        stationary=stationary_points(f, df, d2f, [[TRUE_W, TRUE_B]]),
        variables=("w", "b"),
        quadratic=True,  # the mean squared error of a linear model
        xs=xs,
        ys=ys,
    )
