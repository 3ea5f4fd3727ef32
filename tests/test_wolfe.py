"""The strong Wolfe line search of CG and BFGS: every accepted step satisfies both conditions (checked here from the
surface's value and gradient), the runs reach the minimum scipy.optimize.minimize finds, and bad directions fail."""

from __future__ import annotations

import numpy as np
import pytest

import optim
import surfaces
from optim.base import Objective
from optim.linesearch import wolfe

C1 = 1e-4
C2 = {"cg": 0.1, "bfgs": 0.9}
STARTS = {"rosenbrock": [[-1.5, 2.0], [0.5, -0.5], [-1.2, 1.0]], "beale": [[1.0, 1.4], [-1.0, -1.0], [2.0, 0.2]],
          "himmelblau": [[0.0, 0.0], [-1.0, 3.0]]}


@pytest.mark.parametrize("name", ["cg", "bfgs"])
@pytest.mark.parametrize("surface_name", list(STARTS))
def test_every_step_satisfies_the_strong_wolfe_conditions(name, surface_name):
    s = surfaces.get(surface_name)
    traj = optim.run(s, optim.make(name, line_search="wolfe", c1=C1), STARTS[surface_name], 60)
    for k in range(len(STARTS[surface_name])):
        rows = int(traj.rows[k])
        W, D = traj.positions[:rows, k], traj.state["direction"][1 : rows + 1, k]
        alpha = traj.state["alpha"][1 : rows + 1, k]
        g0 = s.grad(W)
        slope0 = np.einsum("ti,ti->t", g0, D)
        moving = (slope0 < 0) & (np.linalg.norm(g0, axis=1) > 1e-8)  # converged rows have nothing to search
        new = W + alpha[:, None] * D
        decrease = s.value(new) <= s.value(W) + C1 * alpha * slope0 + 1e-12 * np.abs(s.value(W))
        curvature = np.abs(np.einsum("ti,ti->t", s.grad(new), D)) <= C2[name] * np.abs(slope0) * (1 + 1e-9)
        assert np.all((decrease & curvature)[moving]), (surface_name, name, k, np.flatnonzero(~(decrease & curvature)))
        # each trial evaluates f and its gradient: as many gradient evaluations as trials, plus the step's own
        np.testing.assert_array_equal(traj.state["gevals"][1 : rows + 1, k][moving],
                                      traj.state["fevals"][1 : rows + 1, k][moving])


@pytest.mark.parametrize("name, method", [("bfgs", "BFGS"), ("cg", "CG")])
@pytest.mark.parametrize("surface_name", ["rosenbrock", "beale"])
def test_final_points_match_scipy_minimize(name, method, surface_name):
    from scipy.optimize import minimize

    s = surfaces.get(surface_name)
    starts = STARTS[surface_name]
    traj = optim.run(s, optim.make(name, line_search="wolfe"), starts, 2000)
    assert np.all(traj.status == optim.Status.CONVERGED)
    for k, x0 in enumerate(starts):
        ref = minimize(lambda x: float(s.value(x)), np.array(x0), jac=lambda x: s.grad(x), method=method,
                       options={"gtol": 1e-10})
        np.testing.assert_allclose(traj.final_position[k], ref.x, atol=1e-5)


def test_wolfe_makes_cg_much_faster_than_armijo_on_rosenbrock():
    s = surfaces.get("rosenbrock")
    w = optim.run(s, optim.make("cg", line_search="wolfe"), STARTS["rosenbrock"], 3000)
    a = optim.run(s, optim.make("cg", line_search="armijo"), STARTS["rosenbrock"], 3000)
    assert np.all(w.status == optim.Status.CONVERGED) and np.all(a.status == optim.Status.CONVERGED)
    assert w.event_step.max() * 5 < a.event_step.min()


def test_wolfe_on_a_quadratic_and_bad_directions():
    """Along d = -g on the elongated bowl φ is a parabola: the bracket closes around its minimum; an ascent
    direction fails with α = 0 and a zero direction gives α = 0 without failing."""
    s = surfaces.get("elongated-bowl")
    obj = Objective.from_surface(s)
    X = np.array([[-1.6, 0.5, 1.0], [1.9, 0.3, 1.0]])
    G = s.grad_cf(X)
    D = np.stack([-G[:, 0], G[:, 1], np.zeros(2)], axis=1)
    found = wolfe(obj, X, G, D, 1.0, C1, 0.1)
    assert list(found.failed) == [False, True, False]
    assert found.alpha[1] == 0.0 and found.alpha[2] == 0.0
    d, g = D[:, 0], G[:, 0]
    exact = -(g @ d) / (d @ s.hess(X[:, 0]) @ d)
    assert abs(found.alpha[0] - exact) <= 0.1 * exact  # |φ'(α)| ≤ 0.1 |φ'(0)| on a parabola: within 10 % of α*
