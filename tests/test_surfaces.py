"""The loss surfaces: values against formulas written out here, derivatives against finite differences.

Every check is made on a batch of random points inside the surface's ``bounds`` with a leading shape such as
``(7, 3)``, so it also checks that value, gradient and Hessian broadcast over the batch. The references are
independent of the code under test: values from the formulas as printed (the LaTeX of each surface), gradients
from central differences of those formulas, Hessians from central differences of the (checked) gradient.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import surfaces
from surfaces import RegressionSurface, Surface

NAMES = surfaces.names()
TWO_PI = 2.0 * math.pi


# -- the formulas, written from each surface's LaTeX, in the public layout (..., d) ---------------------------


def _quartic(w):
    return 6 * w**4 - 2 * w**3 - 12 * w**2 + w + 1


def _beale(x, y):
    return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2


def _linear_regression(p):
    lr = surfaces.get("linear-regression")
    w, b = p[..., 0, None], p[..., 1, None]  # (..., 1) against the samples (n,)
    return np.mean((w * lr.xs + b - lr.ys) ** 2, axis=-1)


REFERENCE = {
    "notes-quadratic": lambda p: 2 * p[..., 0] ** 2 + p[..., 0] + 4,
    "notes-parabola": lambda p: p[..., 0] ** 2 + 10,
    "quartic": lambda p: _quartic(p[..., 0]),
    "bowl": lambda p: p[..., 0] ** 2 + p[..., 1] ** 2,
    "elongated-bowl": lambda p: 6.5 * p[..., 0] ** 2 + 12 * p[..., 0] * p[..., 1] + 6.5 * p[..., 1] ** 2,
    "saddle": lambda p: p[..., 0] ** 2 - p[..., 1] ** 2,
    "rosenbrock": lambda p: (1 - p[..., 0]) ** 2 + 100 * (p[..., 1] - p[..., 0] ** 2) ** 2,
    "beale": lambda p: _beale(p[..., 0], p[..., 1]),
    "himmelblau": lambda p: (p[..., 0] ** 2 + p[..., 1] - 11) ** 2 + (p[..., 0] + p[..., 1] ** 2 - 7) ** 2,
    "rastrigin": lambda p: (20 + p[..., 0] ** 2 - 10 * np.cos(TWO_PI * p[..., 0])
                            + p[..., 1] ** 2 - 10 * np.cos(TWO_PI * p[..., 1])),
    "two-minima": lambda p: _quartic(p[..., 0]) + 2 * p[..., 1] ** 2,
    "linear-regression": _linear_regression,
}


def test_every_surface_has_a_reference_formula():
    assert sorted(REFERENCE) == sorted(NAMES)


def random_points(surface: Surface, shape=(7, 3), seed=0) -> np.ndarray:
    """Uniform random points inside the surface's bounds, shaped ``(*shape, d)``."""
    lo, hi = np.array(surface.bounds, dtype=float).T
    return lo + (hi - lo) * np.random.default_rng(seed).random((*shape, surface.dim))


# -- finite differences ------------------------------------------------------------------------------------------

REL_STEP = 1e-5  # h_i = 1e-5 * max(1, |x_i|): balances truncation (h^2 f''') and rounding (eps |f| / h)
FD_RTOL = 1e-7  # observed errors are below 3e-9 of (1 + max |g|); a real slip is many orders larger


def central_differences(fun, p: np.ndarray) -> np.ndarray:
    """Central differences of ``fun`` along each coordinate at points ``(..., d)``.

    For a scalar function (``fun(p)`` shaped ``(...)``) returns the gradient ``(..., d)``; for a vector function
    (``fun(p)`` shaped ``(..., d)``) returns the Jacobian ``J[..., i, j] = d fun_i / d x_j``.
    """
    d = p.shape[-1]
    h = REL_STEP * np.maximum(1.0, np.abs(p))
    plus = p[..., None, :] + h[..., :, None] * np.eye(d)  # (..., j, d): p + h_j e_j
    minus = p[..., None, :] - h[..., :, None] * np.eye(d)
    step = np.diagonal(plus - minus, axis1=-2, axis2=-1)  # the steps actually taken, after rounding
    fp, fm = fun(plus), fun(minus)
    if fp.ndim == p.ndim:  # scalar function: (..., j)
        return (fp - fm) / step
    return np.swapaxes((fp - fm) / step[..., :, None], -1, -2)  # (..., j, i) -> (..., i, j)


def gradient_error(surface: Surface, p: np.ndarray, grad=None) -> float:
    """Largest difference between the analytic gradient and central differences of the reference formula,
    relative to 1 + the largest gradient component at the point."""
    g = surface.grad(p) if grad is None else grad(p)
    fd = central_differences(REFERENCE[surface.name], p)
    return float(np.max(np.abs(fd - g) / (1.0 + np.abs(g).max(axis=-1, keepdims=True))))


def hessian_error(surface: Surface, p: np.ndarray) -> float:
    H = surface.hess(p)
    fd = central_differences(surface.grad, p)
    return float(np.max(np.abs(fd - H) / (1.0 + np.abs(H).max(axis=(-1, -2), keepdims=True))))


# -- values, gradients, Hessians ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_value_matches_the_printed_formula(name):
    s = surfaces.get(name)
    p = random_points(s, (7, 3))
    np.testing.assert_allclose(s.value(p), REFERENCE[name](p), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("shape", [(7, 3), (200,)])
def test_gradient_matches_central_differences(name, shape):
    s = surfaces.get(name)
    p = random_points(s, shape, seed=1)
    assert s.grad(p).shape == (*shape, s.dim)
    assert gradient_error(s, p) < FD_RTOL


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("shape", [(7, 3), (200,)])
def test_hessian_matches_differenced_gradient_and_is_symmetric(name, shape):
    s = surfaces.get(name)
    p = random_points(s, shape, seed=2)
    H = s.hess(p)
    assert H.shape == (*shape, s.dim, s.dim)
    np.testing.assert_array_equal(H, np.swapaxes(H, -1, -2))
    assert hessian_error(s, p) < FD_RTOL


def test_the_finite_difference_check_catches_a_small_slip():
    """The tolerance is tight enough to fail on a wrong coefficient: Rosenbrock with 399 in place of 400."""
    s = surfaces.get("rosenbrock")
    p = random_points(s, (7, 3), seed=1)

    def slipped(q):
        x, y = q[..., 0], q[..., 1]
        return np.stack([-2 * (1 - x) - 399 * x * (y - x * x), 200 * (y - x * x)], axis=-1)

    assert gradient_error(s, p) < FD_RTOL < 1e-4 < gradient_error(s, p, grad=slipped)


@pytest.mark.parametrize("name", NAMES)
def test_batched_evaluation_equals_point_by_point(name):
    """Broadcasting over (7, 3) gives exactly what each point gives on its own (a single run evaluates 0-d
    coordinates, and must reproduce its cell of a batch bit for bit)."""
    s = surfaces.get(name)
    p = random_points(s, (7, 3), seed=3)
    value, grad, hess = s.value(p), s.grad(p), s.hess(p)
    for idx in np.ndindex(7, 3):
        np.testing.assert_array_equal(s.value(p[idx]), value[idx])
        np.testing.assert_array_equal(s.grad(p[idx]), grad[idx])
        np.testing.assert_array_equal(s.hess(p[idx]), hess[idx])


@pytest.mark.parametrize("name", NAMES)
def test_coordinate_first_methods_are_the_public_ones_transposed(name):
    s = surfaces.get(name)
    p = random_points(s, (4, 5), seed=4)
    X = np.moveaxis(p, -1, 0)
    np.testing.assert_array_equal(s.value_cf(X), s.value(p))
    np.testing.assert_array_equal(np.moveaxis(s.grad_cf(X), 0, -1), s.grad(p))
    np.testing.assert_array_equal(np.moveaxis(s.hess_cf(X), (0, 1), (-2, -1)), s.hess(p))


@settings(max_examples=40, deadline=None)
@given(name=st.sampled_from(NAMES), shape=hnp.array_shapes(min_dims=0, max_dims=4, min_side=1, max_side=4))
def test_shapes_for_any_leading_shape(name, shape):
    s = surfaces.get(name)
    p = random_points(s, shape, seed=5)
    assert s.value(p).shape == shape
    assert s.grad(p).shape == (*shape, s.dim)
    assert s.hess(p).shape == (*shape, s.dim, s.dim)


@pytest.mark.parametrize("name", NAMES)
def test_a_point_of_the_wrong_dimension_is_refused(name):
    s = surfaces.get(name)
    wrong = np.zeros((3, s.dim + 1))
    for method in (s.value, s.grad, s.hess):
        with pytest.raises(ValueError, match=f"needs {s.dim} coordinate"):
            method(wrong)
    with pytest.raises(ValueError, match=f"needs {s.dim} coordinate.*but a bare number was given"):
        s.value(1.0)


def test_nearest_minimum():
    s = surfaces.get("himmelblau")
    mins = np.array([m.point for m in s.minima])
    offsets = np.array([0.1, -0.05])
    dist, idx = s.nearest_minimum(mins + offsets)
    np.testing.assert_array_equal(idx, np.arange(4))
    np.testing.assert_allclose(dist, np.hypot(0.1, 0.05), rtol=1e-12)
    dist, idx = s.nearest_minimum(np.zeros((2, 3, 2)))  # broadcasts; (0, 0) is nearest to (3, 2): sqrt(13)
    assert dist.shape == idx.shape == (2, 3) and np.all(idx == 0)
    np.testing.assert_allclose(dist, np.sqrt(13.0), rtol=1e-12)


def test_unknown_surface_name_lists_the_valid_ones():
    with pytest.raises(ValueError, match="unknown surface 'banana'.*rosenbrock"):
        surfaces.get("banana")
    assert surfaces.names(1) == ["notes-quadratic", "notes-parabola", "quartic"]
    assert set(surfaces.names(2)) | set(surfaces.names(1)) == set(NAMES)


# -- stationary points --------------------------------------------------------------------------------------------


def _kind_from_eigenvalues(eig: np.ndarray) -> str:
    if np.all(eig > 0):
        return "minimum"
    if np.all(eig < 0):
        return "maximum"
    assert np.any(eig > 0) and np.any(eig < 0), f"degenerate Hessian {eig}"
    return "saddle"


@pytest.mark.parametrize("name", NAMES)
def test_gradient_vanishes_at_every_stationary_point_and_the_hessian_gives_its_kind(name):
    s = surfaces.get(name)
    assert s.stationary, "every surface lists at least one stationary point"
    pts = np.array([sp.point for sp in s.stationary])
    g = s.grad(pts)
    scale = 1.0 + np.abs(s.hess(pts)).max(axis=(-1, -2)) * (1.0 + np.abs(pts).max(axis=-1))
    assert np.all(np.abs(g).max(axis=-1) <= 1e-12 * scale)
    eig = np.linalg.eigvalsh(s.hess(pts))
    assert [_kind_from_eigenvalues(e) for e in eig] == [sp.kind for sp in s.stationary]
    np.testing.assert_allclose([sp.value for sp in s.stationary], REFERENCE[name](pts), rtol=1e-12, atol=1e-12)
    # The minimum flagged global is the lowest listed one; minima() lists exactly the minima.
    minima = [sp for sp in s.stationary if sp.kind == "minimum"]
    assert s.minima == tuple(minima)
    lowest = min(sp.value for sp in minima) if minima else None
    for sp in s.stationary:
        assert sp.is_global == (sp.kind == "minimum" and sp.value <= lowest + 1e-12)
        assert sp.label in ("global minimum", "local minimum", "local maximum", "saddle point")


def test_quartic_critical_points_are_the_notes_numbers():
    """The notes print -0.9054 (local minimum), 0.04131 (local maximum) and 1.1141 (global minimum)."""
    q = surfaces.get("quartic")
    (a,), (b,), (c,) = (sp.point for sp in q.stationary)
    assert (round(a, 4), round(b, 5), round(c, 4)) == (-0.9054, 0.04131, 1.1141)
    assert [sp.label for sp in q.stationary] == ["local minimum", "local maximum", "global minimum"]
    # They are the only critical points: 24w^3 - 6w^2 - 24w + 1 changes sign exactly three times in the box,
    # once around each listed point.
    w = np.linspace(*q.bounds[0], 100_001)
    dq = 24 * w**3 - 6 * w**2 - 24 * w + 1
    changes = np.flatnonzero(np.sign(dq[:-1]) != np.sign(dq[1:]))
    assert len(changes) == 3
    for i, root in zip(changes, (a, b, c)):
        assert w[i] <= root <= w[i + 1]
    # The same points on the 2-D surface with the quartic along x: the local maximum becomes a saddle.
    tm = surfaces.get("two-minima")
    assert [sp.point for sp in tm.stationary] == [(a, 0.0), (b, 0.0), (c, 0.0)]
    assert [sp.kind for sp in tm.stationary] == ["minimum", "saddle", "minimum"]


@pytest.mark.parametrize(
    "name, point, value",
    [
        ("notes-quadratic", (-0.25,), 3.875),  # f(-1/4) = 2/16 - 1/4 + 4
        ("notes-parabola", (0.0,), 10.0),
        ("bowl", (0.0, 0.0), 0.0),
        ("elongated-bowl", (0.0, 0.0), 0.0),
        ("rosenbrock", (1.0, 1.0), 0.0),
        ("beale", (3.0, 0.5), 0.0),
        ("himmelblau", (3.0, 2.0), 0.0),
        ("rastrigin", (0.0, 0.0), 0.0),
    ],
)
def test_known_global_minima(name, point, value):
    s = surfaces.get(name)
    best = [sp for sp in s.stationary if sp.is_global and np.allclose(sp.point, point, rtol=0, atol=1e-12)]
    assert len(best) == 1 and best[0].value == pytest.approx(value, abs=1e-15)
    assert REFERENCE[name](np.array(point)) == pytest.approx(value, abs=1e-15)


def test_himmelblau_has_four_minima_of_value_zero_one_maximum_four_saddles():
    s = surfaces.get("himmelblau")
    kinds = [sp.kind for sp in s.stationary]
    assert (kinds.count("minimum"), kinds.count("maximum"), kinds.count("saddle")) == (4, 1, 4)
    for sp in s.minima:
        assert sp.is_global and abs(sp.value) < 1e-20


def test_rastrigin_stationary_points_form_the_product_grid():
    """r(u) = u^2 - 10 cos(2 pi u) has minima near the integers and maxima near the half-integers; inside
    (-2.5, 2.5) that is 5 + 4 = 9 critical points per axis, 81 in the plane: 25 minima, 16 maxima, 40 saddles."""
    s = surfaces.get("rastrigin")
    kinds = [sp.kind for sp in s.stationary]
    assert (kinds.count("minimum"), kinds.count("maximum"), kinds.count("saddle")) == (25, 16, 40)
    pts = np.array([sp.point for sp in s.stationary])
    assert np.all(np.abs(pts) < 2.5)
    near = np.round(pts * 2) / 2  # the nearest integer or half-integer of each coordinate
    assert len({tuple(p) for p in near}) == 81


def test_elongated_bowl_has_curvatures_1_and_25_along_the_diagonals():
    s = surfaces.get("elongated-bowl")
    H = s.hess([0.3, -0.7])
    lam, Q = np.linalg.eigh(H)
    np.testing.assert_allclose(lam, [1.0, 25.0], rtol=1e-14)
    np.testing.assert_allclose(np.abs(Q), np.full((2, 2), math.sqrt(0.5)), rtol=1e-14)


# -- linear regression: the closed form against the samples ---------------------------------------------------------


@pytest.fixture(scope="module")
def lr_surface() -> RegressionSurface:
    s = surfaces.get("linear-regression")
    assert isinstance(s, RegressionSurface)
    return s


def test_regression_closed_form_equals_direct_sums_over_the_samples(lr_surface):
    s = lr_surface
    p = random_points(s, (7, 3), seed=6)
    w, b = p[..., 0, None], p[..., 1, None]
    r = w * s.xs + b - s.ys  # (7, 3, n) residuals
    value = np.mean(r * r, axis=-1)
    grad = np.stack([2 * np.mean(r * s.xs, axis=-1), 2 * np.mean(r, axis=-1)], axis=-1)
    hess = 2 * np.array([[np.mean(s.xs**2), np.mean(s.xs)], [np.mean(s.xs), 1.0]])
    # The closed form expands the square: rounding is relative to the terms (~10), not to the loss (~0.25).
    np.testing.assert_allclose(s.value(p), value, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(s.grad(p), grad, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(s.hess(p), np.broadcast_to(hess, (7, 3, 2, 2)), rtol=1e-12)


def test_regression_data_and_minimum(lr_surface):
    s = lr_surface
    assert s.n_samples == 10_000 and s.xs.shape == s.ys.shape == (10_000,)
    assert s.variables == ("w", "b")
    # The minimum is the least-squares line through the samples, solved here independently.
    A = np.stack([s.xs, np.ones_like(s.xs)], axis=1)
    (w, b), *_ = np.linalg.lstsq(A, s.ys, rcond=None)
    (best,) = s.stationary
    np.testing.assert_allclose(best.point, (w, b), rtol=1e-10)
    assert abs(w - 2.0) < 0.05 and abs(b + 1.0) < 0.05  # y = 2x - 1 + noise


def test_batch_gradient_over_all_samples_is_the_full_gradient(lr_surface):
    s = lr_surface
    p = random_points(s, (7, 3), seed=7)
    every = np.broadcast_to(np.arange(s.n_samples), (7, 3, s.n_samples))
    np.testing.assert_allclose(s.batch_grad(p, every), s.grad(p), rtol=1e-11, atol=1e-12)


def test_batch_gradient_over_a_subset_is_the_mean_over_that_subset(lr_surface):
    s = lr_surface
    p = random_points(s, (7, 3), seed=8)
    idx = np.random.default_rng(9).integers(0, s.n_samples, size=(7, 3, 5))
    g = s.batch_grad(p, idx)
    assert g.shape == (7, 3, 2)
    for k in np.ndindex(7, 3):
        (w, b), rows = p[k], idx[k]
        dw = sum(2 * (w * s.xs[i] + b - s.ys[i]) * s.xs[i] for i in rows) / 5
        db = sum(2 * (w * s.xs[i] + b - s.ys[i]) for i in rows) / 5
        np.testing.assert_allclose(g[k], [dw, db], rtol=1e-13, atol=1e-13)
    # One index per point: stochastic gradient descent's single-sample gradient.
    one = s.batch_grad(p[0, 0], [17])
    r = p[0, 0, 0] * s.xs[17] + p[0, 0, 1] - s.ys[17]
    np.testing.assert_allclose(one, [2 * r * s.xs[17], 2 * r], rtol=1e-14)
