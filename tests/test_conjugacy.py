"""Conjugate gradients and BFGS finish a 2-D quadratic in two steps, steepest descent with the same exact line
search does not (optim.conjugacy), and the playground shows it (ui.conjugacy_panel)."""

from __future__ import annotations

import numpy as np
import pytest

import surfaces
from optim.conjugacy import quadratic_steps, steepest_descent


def hand_steepest(A: np.ndarray, b: np.ndarray, w: np.ndarray, steps: int) -> np.ndarray:
    """Steepest descent on ½wᵀAw + bᵀw with the exact step α = gᵀg / gᵀAg, by hand."""
    path = [w]
    for _ in range(steps):
        g = A @ w + b
        w = w - (g @ g) / (g @ A @ g) * g
        path.append(w)
    return np.array(path)


def test_on_the_elongated_bowl_cg_and_bfgs_take_two_steps_and_steepest_descent_zigzags():
    s = surfaces.get("elongated-bowl")
    w0 = np.array(s.starts[0], dtype=float)
    r = quadratic_steps(s, w0)
    A = s.hess(w0)
    b = s.grad(w0) - A @ w0
    w_star = np.linalg.solve(A, -b)
    np.testing.assert_allclose(r.hessian, A)
    np.testing.assert_allclose(r.minimum, w_star, atol=1e-12)
    for traj in (r.cg, r.bfgs):
        assert np.linalg.norm(traj.positions[2] - w_star) < 1e-10
        assert np.linalg.norm(traj.positions[1] - w_star) > 0.1  # one step is not enough
    np.testing.assert_allclose(r.inverse_estimate, np.linalg.inv(A), atol=1e-10)
    # the steepest-descent path against the hand computation; far from the minimum after two steps
    np.testing.assert_allclose(r.steepest, hand_steepest(A, b, w0, len(r.steepest) - 1), rtol=1e-12, atol=1e-14)
    assert r.distance(r.steepest, 2) > 1.0 and r.distance(r.steepest, 10) > 0.5
    # CG's directions are conjugate, steepest descent's consecutive ones orthogonal but not conjugate
    d = r.cg.state["direction"]
    assert abs(d[2] @ A @ d[1]) < 1e-10 and abs(r.cg_conjugacy) < 1e-10
    sd = np.diff(r.steepest, axis=0)
    assert abs(sd[0] @ sd[1]) < 1e-12 * np.linalg.norm(sd[0]) * np.linalg.norm(sd[1]) * 1e3
    assert r.steepest_conjugacy == pytest.approx(sd[1] @ A @ sd[0], rel=1e-12) and abs(r.steepest_conjugacy) > 0.1


def test_steepest_descent_runs_many_starts_in_one_call():
    s = surfaces.get("elongated-bowl")
    starts = np.array([[-1.6, 1.9], [1.0, 0.5], [0.3, -1.2]])
    together = steepest_descent(s, starts, 6)
    for i, w0 in enumerate(starts):
        np.testing.assert_array_equal(together[:, i], steepest_descent(s, w0, 6))


def test_a_surface_that_is_not_quadratic_is_refused():
    for name in ("rosenbrock", "saddle"):
        with pytest.raises(ValueError, match="not a quadratic with a minimum"):
            quadratic_steps(surfaces.get(name), (-1.5, 2.0))


def test_the_playground_explains_it_beside_the_race(playground, plotly_specs, plotly_array):
    at = playground({"surface": "elongated-bowl", "opt": "cg,bfgs,gd"})
    titles = [e.proto.label for e in at.expander]
    assert any("finish this quadratic in n = 2 steps" in t for t in titles), titles
    fig = next(f for f in plotly_specs(at) if any("steepest descent" in tr.get("name", "") for tr in f["data"]))
    s = surfaces.get("elongated-bowl")
    r = quadratic_steps(s, s.starts[0])
    paths = {tr["name"].split(":")[0]: tr for tr in fig["data"] if tr.get("type") == "scatter" and ":" in tr["name"]}
    assert set(paths) == {"Conjugate gradients", "BFGS", "steepest descent"}, set(paths)
    np.testing.assert_allclose(plotly_array(paths["BFGS"]["x"]), r.bfgs.positions[:3, 0], rtol=1e-12)
    np.testing.assert_allclose(plotly_array(paths["steepest descent"]["y"]), r.steepest[:, 1], rtol=1e-12)
    text = " ".join(m.value for m in at.markdown)
    assert f"conjugate gradients {r.distance(r.cg.positions, 2):.1e}" in text
    latex = " ".join(m.value for m in at.latex)
    assert r"A^{-1} = \begin{pmatrix}" in latex


def test_not_shown_without_a_line_search_method_or_on_a_surface_that_is_not_quadratic(playground):
    for query in ({"surface": "elongated-bowl", "opt": "gd,adam"}, {"surface": "rosenbrock", "opt": "cg,bfgs"},
                  {"surface": "saddle", "opt": "cg,bfgs"}):
        at = playground(query)
        assert not any("finish this quadratic" in e.proto.label for e in at.expander), query
