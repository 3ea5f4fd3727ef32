"""The finish line (``optim.finish``) and the local Taylor models (``optim.taylor``), against the recorded runs,
finite differences of the surfaces and Newton's own steps from a run."""

from __future__ import annotations

import math

import numpy as np
import pytest

import surfaces
from optim import finish, make, run
from optim.taylor import local_model

# -- the finish line ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("surface_name,name,lr", [("rosenbrock", "adam", 0.05), ("bowl", "momentum", 0.1),
                                                  ("himmelblau", "gd", 0.01), ("rosenbrock", "gd", 0.01)])
@pytest.mark.parametrize("tol", [1e-1, 1e-3, 1e-6])
def test_finish_step_is_the_first_recorded_loss_within_the_tolerance(surface_name, name, lr, tol):
    s = surfaces.get(surface_name)
    traj = run(s, make(name, lr=lr), list(s.starts[0]), 200)
    f_star = min(m.value for m in s.minima)
    expected = next((t for t, f in enumerate(traj.losses.tolist()) if f - f_star <= tol), -1)
    assert int(finish.first_within(finish.gap(s, traj.losses, traj.positions), tol)) == expected
    by_distance = next((t for t, p in enumerate(traj.positions.tolist())
                        if min(math.dist(p, m.point) for m in s.minima) <= tol), -1)
    assert int(finish.first_within(finish.gap(s, traj.losses, traj.positions, "distance"), tol)) == by_distance
    assert float(finish.best_so_far(traj.losses)) == min(traj.losses.tolist())


def test_a_diverged_run_does_not_finish_after_it_left():
    s = surfaces.get("rosenbrock")
    traj = run(s, make("gd", lr=0.01), [[-1.5, 2.0], [0.999, 0.998]], 30)  # a batch of two starts
    first = finish.first_within(finish.gap(s, traj.losses, traj.positions), 1e-4, rows=traj.rows)
    assert first.tolist() == [-1, 0]
    gone = run(s, make("gd", lr=1.0), [-1.5, 2.0], 30)
    assert gone.diverged and int(finish.first_within(finish.gap(s, gone.losses, gone.positions), 1e300,
                                                     rows=gone.rows)) == 0
    assert np.isfinite(finish.best_so_far(gone.losses, gone.rows))


@pytest.mark.parametrize("name", ["cg", "bfgs"])
def test_evaluations_of_line_search_methods_are_their_recorded_counts(name):
    s = surfaces.get("beale")
    traj = run(s, make(name, line_search="armijo"), list(s.starts[0]), 25)
    cols = traj.table.columns
    data = traj.table.data
    k = 10
    ev = finish.evaluations(traj, k)
    assert float(ev["f"]) == data[:k, cols.index("f_evals")].sum() and float(ev["f"]) > k
    assert float(ev["gradient"]) == data[:k, cols.index("grad_evals")].sum()
    assert float(ev["hessian"]) == 0


def test_evaluations_of_first_order_and_newton():
    s = surfaces.get("himmelblau")
    adam = run(s, make("adam", lr=0.05), list(s.starts[0]), 40)
    assert {k: float(v) for k, v in finish.evaluations(adam, 17).items()} == {"f": 0, "gradient": 17, "hessian": 0}
    nt = run(s, make("newton"), list(s.starts[0]), 40)
    assert {k: float(v) for k, v in finish.evaluations(nt, 5).items()} == {"f": 0, "gradient": 5, "hessian": 5}
    assert adam.seconds > 0 and nt.seconds > 0


# -- the local models --------------------------------------------------------------------------------------------------

POINTS = [("rosenbrock", (-1.5, 2.0)), ("rosenbrock", (0.0, 0.5)), ("himmelblau", (0.3, -0.4)), ("beale", (1.0, 1.0)),
          ("saddle", (0.5, 0.3)), ("rastrigin", (0.3, 0.2)), ("elongated-bowl", (1.0, -0.5))]


def central(f, p, h=1e-5):
    p = np.asarray(p, dtype=float)
    return np.array([(f(p + h * e) - f(p - h * e)) / (2 * h) for e in np.eye(len(p))])


@pytest.mark.parametrize("surface_name,p", POINTS)
def test_taylor_models_match_value_gradient_and_hessian_of_the_surface(surface_name, p):
    s = surfaces.get(surface_name)
    m = local_model(s, p)
    f = lambda w: float(s.value(w))  # noqa: E731
    assert float(m.linear(p)) == float(m.quadratic(p)) == f(p)
    g_fd = central(f, p)
    scale = 1 + np.abs(g_fd).max()
    np.testing.assert_allclose(central(lambda w: float(m.linear(w)), p), g_fd, atol=1e-5 * scale)
    np.testing.assert_allclose(central(lambda w: float(m.quadratic(w)), p), g_fd, atol=1e-5 * scale)
    H_fd = np.array([central(lambda w: float(np.asarray(s.grad(w))[i]), p) for i in range(2)])
    H_model = np.array([central(lambda w: float(m.model_gradient(w)[i]), p) for i in range(2)])
    np.testing.assert_allclose(H_model, H_fd, atol=1e-4 * (1 + np.abs(H_fd).max()))
    # the eigen-pairs: H q = λ q, orthonormal
    np.testing.assert_allclose(m.hess @ m.eigenvectors, m.eigenvectors * m.eigenvalues, atol=1e-9 * scale)


@pytest.mark.parametrize("surface_name,p", POINTS)
def test_the_quadratic_models_stationary_point_is_the_newton_step(surface_name, p):
    s = surfaces.get(surface_name)
    m = local_model(s, p)
    target = m.point + m.newton_step
    scale = 1 + np.abs(m.grad).max()
    np.testing.assert_allclose(m.model_gradient(target), 0, atol=1e-9 * scale)
    plain = run(s, make("newton"), list(p), 1).positions[1]
    np.testing.assert_allclose(target, plain, rtol=1e-12, atol=1e-12)
    safe = run(s, make("newton", safeguard=True), list(p), 1).positions[1]
    np.testing.assert_allclose(m.point + m.safe_step, safe, rtol=1e-12, atol=1e-12)
    if m.kind == "minimum":  # the minimum of the model: no point nearby is lower
        rng = np.random.default_rng(0)
        near = target + rng.normal(size=(200, 2)) * 0.1
        assert (m.quadratic(near) >= m.quadratic(target) - 1e-12).all()
        if m.eigenvalues.min() >= m.min_curvature:  # the safeguard changes nothing
            np.testing.assert_allclose(m.safe_step, m.newton_step)
    if m.kind == "saddle":  # the plain step climbs along the negative curvature, the safeguarded one descends
        q = m.eigenvectors[:, 0]
        assert (q @ m.newton_step) * (q @ m.grad) > 0 and (q @ m.safe_step) * (q @ m.grad) < 0
        assert m.quadratic(m.point + m.safe_step) < m.value


def test_models_broadcast_over_points_and_grids():
    s = surfaces.get("rosenbrock")
    pts = np.array([[-1.5, 2.0], [0.0, 0.5], [1.0, 1.0]])
    m = local_model(s, pts)
    assert m.kind.tolist() == ["minimum", "saddle", "minimum"]
    one = [local_model(s, q) for q in pts]
    np.testing.assert_allclose(m.newton_step, [o.newton_step for o in one])
    grid = np.stack(np.meshgrid(np.linspace(-2, 2, 7), np.linspace(-1, 3, 5)), -1)  # (5, 7, 2)
    z = one[0].quadratic(grid)
    assert z.shape == (5, 7)
    assert math.isclose(z[2, 3], float(one[0].quadratic(grid[2, 3])))


def test_a_point_without_a_hessian_has_no_model():
    class Kink:  # f = |x|^1.5 + y^2: the Hessian is infinite at x = 0
        def value(self, p):
            return np.abs(p[..., 0]) ** 1.5 + p[..., 1] ** 2

        def grad(self, p):
            return np.stack([1.5 * np.sign(p[..., 0]) * np.abs(p[..., 0]) ** 0.5, 2 * p[..., 1]], -1)

        def hess(self, p):
            with np.errstate(divide="ignore"):
                fxx = 0.75 * np.abs(p[..., 0]) ** -0.5
            return np.stack([np.stack([fxx, 0 * fxx], -1), np.stack([0 * fxx, 2 + 0 * fxx], -1)], -2)

    assert not local_model(Kink(), [0.0, 1.0]).defined
    assert local_model(Kink(), [1.0, 1.0]).defined

