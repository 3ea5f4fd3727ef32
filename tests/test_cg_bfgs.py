"""Conjugate gradients and BFGS (``optim.methods.cg``, ``optim.methods.bfgs``) against independent references:
linear conjugate gradients written out from its textbook formulas, the exact inverse Hessian of a quadratic,
steepest descent with the same line search, ``scipy.optimize.minimize`` and plain single-start runs."""

from __future__ import annotations

import io

import numpy as np
import pytest

import optim
import surfaces
from optim import Status, run
from optim.cli import main
from optim.linesearch import MAX_HALVINGS, armijo
from optim.methods.bfgs import bfgs_update

scipy_optimize = pytest.importorskip("scipy.optimize")

QUADRATICS = ("elongated-bowl", "bowl")
BETA_RULES = ("fletcher-reeves", "polak-ribiere")


def make(name: str, **options):
    return optim.make(name, **options)


# -- quadratics: the exact line search -------------------------------------------------------------------------------


@pytest.mark.parametrize("surface_name", QUADRATICS)
@pytest.mark.parametrize("name, options", [("cg", {"beta_rule": r}) for r in BETA_RULES] + [("bfgs", {})])
def test_a_2d_quadratic_is_solved_in_two_steps(surface_name, name, options):
    s = surfaces.get(surface_name)
    traj = run(s, make(name, line_search="exact", **options), list(s.starts[0]), 2)
    np.testing.assert_allclose(traj.positions[2], [0.0, 0.0], rtol=0, atol=1e-10)
    assert traj.status == Status.CONVERGED
    np.testing.assert_array_equal(traj.state["fevals"][1:], 0.0)  # the exact search evaluates no f
    np.testing.assert_array_equal(traj.state["gevals"][1:], 1.0)


def test_bfgs_builds_the_exact_inverse_hessian_from_two_steps():
    """On f = 1/2 wᵀAw in 2-D, the two pairs (s, y = A s) of two exact line-search steps determine A⁻¹: H_3, the
    estimate built from steps 1 and 2 (recorded after step 3, the step that uses it), is np.linalg.inv(A)."""
    s = surfaces.get("elongated-bowl")
    A = np.asarray(s.hess([0.0, 0.0]))
    traj = run(s, optim.bfgs(line_search="exact"), list(s.starts[0]), 3)
    np.testing.assert_array_equal(traj.state["inverse_hessian"][1], np.eye(2))  # H_1 = I
    np.testing.assert_allclose(traj.state["inverse_hessian"][3], np.linalg.inv(A), rtol=0, atol=1e-8)


def linear_cg(A: np.ndarray, x0: np.ndarray, steps: int) -> list[np.ndarray]:
    """Linear conjugate gradients for A x = 0 (the minimum of 1/2 xᵀAx), from the textbook (Nocedal & Wright,
    Algorithm 5.2): r_0 = A x_0, p_0 = -r_0; α_k = r_kᵀr_k / p_kᵀA p_k; x_{k+1} = x_k + α_k p_k;
    r_{k+1} = r_k + α_k A p_k; β_{k+1} = r_{k+1}ᵀr_{k+1} / r_kᵀr_k; p_{k+1} = -r_{k+1} + β_{k+1} p_k."""
    x, r = x0.astype(float), A @ x0
    p = -r
    xs = [x]
    for _ in range(steps):
        alpha = (r @ r) / (p @ A @ p)
        x = x + alpha * p
        r_new = r + alpha * (A @ p)
        beta = (r_new @ r_new) / (r @ r)
        p, r = -r_new + beta * p, r_new
        xs.append(x)
    return xs


@pytest.mark.parametrize("beta_rule", BETA_RULES)
@pytest.mark.parametrize("start", [(-1.6, 1.9), (1.3, 0.2), (-0.4, -1.7)])
def test_cg_with_the_exact_line_search_is_linear_cg_on_a_quadratic(beta_rule, start):
    s = surfaces.get("elongated-bowl")
    A = np.asarray(s.hess([0.0, 0.0]))
    traj = run(s, optim.conjugate_gradients(beta_rule=beta_rule, line_search="exact"), list(start), 2)
    expected = linear_cg(A, np.array(start), 2)
    for t in range(3):
        np.testing.assert_allclose(traj.positions[t], expected[t], rtol=0, atol=1e-12)


@pytest.mark.parametrize("line_search", ["exact", "armijo"])
@pytest.mark.parametrize("surface_name", ["elongated-bowl", "rosenbrock", "beale"])
def test_the_first_bfgs_step_is_steepest_descent_with_the_same_line_search(line_search, surface_name):
    """H_1 = I: BFGS's first step is w - α g with α from the line search, here written out by hand (the exact
    α = gᵀg / gᵀH g; Armijo: halve from 1 until f(w - α g) <= f(w) - c₁ α gᵀg), and so is CG's."""
    s = surfaces.get(surface_name)
    w = np.array(s.starts[0], dtype=float)
    g, H = np.asarray(s.grad(w)), np.asarray(s.hess(w))
    if line_search == "exact":
        alpha = (g @ g) / (g @ H @ g)
    else:
        alpha = 1.0
        while not s.f(w - alpha * g) <= s.f(w) - 1e-4 * alpha * (g @ g):
            alpha /= 2
    bfgs_path = run(s, optim.bfgs(line_search=line_search), list(w), 1)
    cg_path = run(s, optim.conjugate_gradients(line_search=line_search), list(w), 1)
    np.testing.assert_allclose(bfgs_path.positions[1], w - alpha * g, rtol=1e-14, atol=1e-14)
    np.testing.assert_array_equal(cg_path.positions[1], bfgs_path.positions[1])
    assert float(bfgs_path.state["alpha"][1]) == pytest.approx(alpha, rel=1e-14)


def test_the_bfgs_update_satisfies_the_secant_equation_and_is_skipped_without_curvature():
    rng = np.random.default_rng(1)
    H = np.eye(3) + 0.1 * np.ones((3, 3))
    s, y = rng.normal(size=3), rng.normal(size=3)
    y = y if y @ s > 0 else -y
    new, skipped = bfgs_update(H[..., None], s[:, None], y[:, None])
    assert not skipped[0]
    np.testing.assert_allclose(new[..., 0] @ y, s, rtol=1e-12)  # H₊ y = s
    rho = 1 / (y @ s)
    I = np.eye(3)
    textbook = (I - rho * np.outer(s, y)) @ H @ (I - rho * np.outer(y, s)) + rho * np.outer(s, s)
    np.testing.assert_allclose(new[..., 0], textbook, rtol=1e-12)
    kept, skipped = bfgs_update(H[..., None], s[:, None], -y[:, None])  # yᵀs < 0: no positive curvature
    assert skipped[0]
    np.testing.assert_array_equal(kept[..., 0], H)


# -- scipy.optimize as the reference ---------------------------------------------------------------------------------


def scipy_minimum(surface, method: str) -> np.ndarray:
    x0 = np.array(surface.starts[0], dtype=float)
    result = scipy_optimize.minimize(surface.f, x0, jac=surface.grad, method=method, options={"gtol": 1e-9})
    return result.x


@pytest.mark.parametrize("surface_name", ["rosenbrock", "beale"])
@pytest.mark.parametrize("name, method, steps", [("cg", "CG", 3000), ("bfgs", "BFGS", 300)])
def test_final_points_agree_with_scipy(surface_name, name, method, steps):
    s = surfaces.get(surface_name)
    ours = run(s, make(name), list(s.starts[0]), steps, record="final")
    theirs = scipy_minimum(s, method)
    assert ours.status == Status.CONVERGED, ours.outcome()
    assert np.max(np.abs(ours.final_position - theirs)) < 1e-4, (ours.final_position, theirs)
    (minimum,) = [m.point for m in s.minima if m.is_global]
    assert np.max(np.abs(ours.final_position - np.array(minimum))) < 1e-4


# -- vectorization ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name, options, surface_name", [
    ("cg", {"beta_rule": "polak-ribiere"}, "rosenbrock"), ("cg", {"beta_rule": "fletcher-reeves"}, "beale"),
    ("bfgs", {}, "rosenbrock"), ("bfgs", {"line_search": "exact"}, "elongated-bowl"),
    ("cg", {"line_search": "exact"}, "himmelblau")])
def test_a_grid_of_50_starts_in_one_call_equals_50_single_runs(name, options, surface_name):
    s = surfaces.get(surface_name)
    (lo_x, hi_x), (lo_y, hi_y) = s.bounds
    rng = np.random.default_rng(7)
    starts = np.stack([rng.uniform(lo_x, hi_x, 50), rng.uniform(lo_y, hi_y, 50)], axis=-1)
    opt = make(name, **options)
    grid = run(s, opt, starts, 60)
    for i in range(50):
        one = run(s, opt, [starts[i]], 60)
        np.testing.assert_array_equal(grid.positions[:, i], one.positions[:, 0])
        for field, values in grid.state.items():
            np.testing.assert_array_equal(values[:, i], one.state[field][:, 0], err_msg=field)
        assert grid.status[i] == one.status[0] and grid.event_step[i] == one.event_step[0]


def test_the_armijo_search_masks_the_satisfied_trajectories():
    """Each trajectory's α is the first halving that satisfies its own condition, whatever the others need."""
    s = surfaces.get("rosenbrock")
    objective = optim.Objective.from_surface(s)
    X = np.array([[-1.5, 0.9, 0.0], [2.0, 0.8, 0.0]])
    G = s.grad_cf(X)
    found = armijo(objective, X, G, -G, 1.0, 1e-4)
    for i in range(3):
        w, g = X[:, i], G[:, i]
        alpha, evals = 1.0, 2
        while not s.f(w - alpha * g) <= s.f(w) - 1e-4 * alpha * (g @ g):
            alpha, evals = alpha / 2, evals + 1
        assert found.alpha[i] == alpha and found.fevals[i] == evals
    assert not found.failed.any()


# -- failures --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["cg", "bfgs"])
def test_a_failed_line_search_stops_the_trajectory_with_its_status(name):
    """On the saddle x² − y² the exact search's first step lands near the y axis; the second direction has
    negative curvature (dᵀHd < 0), so there is no minimum along the line."""
    s = surfaces.get("saddle")
    traj = run(s, make(name, line_search="exact"), list(s.starts[0]), 10)
    assert traj.status == Status.LINE_SEARCH_FAILED
    assert traj.outcome() == "line search failed at step 2"
    assert traj.status_label() == "line search failed"
    np.testing.assert_array_equal(traj.positions[2:], np.broadcast_to(traj.positions[2], traj.positions[2:].shape))
    assert traj.state["alpha"][2] == 0.0
    table = traj.table
    assert table.data.shape[0] == 2  # the table ends with the step that failed
    assert np.all(np.isfinite(table.data))
    assert np.all(np.isfinite(traj.positions)) and np.all(np.isfinite(traj.losses))


def test_an_armijo_search_that_finds_no_decrease_fails_after_40_halvings():
    """An objective that rises along the direction (f reversed): no trial is accepted."""
    s = surfaces.get("bowl")
    rising = optim.Objective(lambda X: -s.value_cf(X), s.grad_cf, s.hess_cf)
    X = np.array([[1.0, 0.5], [1.0, -0.2]])
    G = s.grad_cf(X)
    found = armijo(rising, X, G, -G, 1.0, 1e-4)
    assert found.failed.all()
    np.testing.assert_array_equal(found.alpha, 0.0)
    np.testing.assert_array_equal(found.fevals, 1 + MAX_HALVINGS + 1)  # f(w) and 41 trials
    opt = optim.bfgs()
    step, state = opt.update(G, opt.init(X), X, objective=rising)
    assert state.failed.all() and not np.any(step)


# -- tables and command line -----------------------------------------------------------------------------------------


def test_the_tables_name_every_recorded_column():
    s = surfaces.get("rosenbrock")
    bfgs_table = run(s, optim.bfgs(), list(s.starts[0]), 5).table
    assert bfgs_table.columns[-9:] == ("d_x", "d_y", "alpha", "f_evals", "grad_evals", "H_11", "H_12", "H_21", "H_22")
    cg_table = run(s, optim.conjugate_gradients(), list(s.starts[0]), 5).table
    assert cg_table.columns[-6:] == ("d_x", "d_y", "beta", "alpha", "f_evals", "grad_evals")
    one_d = run(surfaces.get("notes-quadratic"), optim.bfgs(), [2.0], 3).table
    assert one_d.columns[-5:] == ("d", "alpha", "f_evals", "grad_evals", "H")
    # on 1-D f = 2w² + w + 4 (f'' = 4), the secant estimate after one step is the exact 1 / f'' = 0.25
    np.testing.assert_allclose(one_d.column("H")[1], 0.25, rtol=1e-12)


def cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    return main(list(argv), out, err), out.getvalue(), err.getvalue()


def test_the_command_line_runs_both_with_their_variants():
    code, out, err = cli("trace", "--surface", "rosenbrock", "--optimizer", "cg", "--beta-rule", "fletcher-reeves",
                         "--line-search", "armijo", "--x0", "-1.5", "2", "--steps", "4")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].endswith("d_x,d_y,beta,alpha,f_evals,grad_evals") and len(lines) == 5
    expected = run(surfaces.get("rosenbrock"), optim.conjugate_gradients(beta_rule="fletcher-reeves"), [-1.5, 2.0], 4)
    assert [float(v) for v in lines[4].split(",")[6:8]] == list(expected.positions[4])
    code, out, err = cli("trace", "--surface", "elongated-bowl", "--optimizer", "bfgs", "--line-search", "exact",
                         "--x0", "-1.6", "1.9", "--steps", "2")
    assert code == 0, err
    last = [float(v) for v in out.splitlines()[2].split(",")]
    assert max(abs(last[6]), abs(last[7])) < 1e-10


@pytest.mark.parametrize("argv, message", [
    (["--optimizer", "cg", "--line-search", "golden"],
     "--line-search must be one of armijo, exact, wolfe for cg; got 'golden'"),
    (["--optimizer", "cg", "--beta-rule", "hestenes"], "--beta-rule must be one of"),
    (["--optimizer", "bfgs", "--beta-rule", "fletcher-reeves"], "bfgs does not take --beta-rule"),
    (["--optimizer", "gd", "--line-search", "exact"], "gd does not take --line-search"),
])
def test_bad_variant_flags_exit_with_status_2_and_one_line(argv, message):
    code, out, err = cli("trace", "--surface", "bowl", "--x0", "1", "1", "--steps", "2", *argv)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and message in err


@pytest.mark.parametrize("line_search", ["armijo", "exact", "wolfe"])
def test_bfgs_stays_at_the_minimum_long_after_it_got_there(line_search):
    """Once the steps are tiny, y's underflows: the update must be skipped, not divided by a denormal number
    (it made H infinite and the run "diverged" at step 16 on the elongated bowl)."""
    s = surfaces.get("elongated-bowl")
    traj = optim.run(s, optim.make("bfgs", line_search=line_search), list(s.starts[0]), 300)
    assert traj.status == optim.Status.CONVERGED
    assert np.all(np.isfinite(traj.state["inverse_hessian"]))
    np.testing.assert_allclose(traj.final_position, s.minima[0].point, atol=1e-12)
