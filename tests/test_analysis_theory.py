"""The linear theory of GD, momentum and Nesterov on a quadratic (``optim.analysis``) against the runs.

Three layers: the iteration matrix is exactly one step of the implemented optimizer; its eigenvalues and
spectral radius match closed forms (Polyak's optimal momentum, the stability edge); and the rate the theory
predicts agrees with the rate measured from real runs over whole grids, region by region.
"""

from __future__ import annotations

import numpy as np
import pytest

import surfaces
from optim import make, run
from optim.analysis import (REGIONS, curvatures, iteration_eigenvalues, iteration_matrix, quadratic_form,
                            theory)
from optim.rates import measured_rates, rate_from_errors
from optim.sweep import Axis, SweepSpec

VARIANTS = [  # (optimizer, convention): every form the core offers for these three
    ("gd", "notes"),
    ("momentum", "notes"),  # EMA: v = beta v + (1 - beta) g
    ("momentum", "pytorch"),  # classic: v = beta v + g
    ("nesterov", "notes"),  # look-ahead gradient, EMA
    ("nesterov", "pytorch"),  # PyTorch's shifted form, classic
]


def test_quadratic_surfaces_are_recognised():
    assert np.allclose(curvatures(surfaces.get("bowl")), [2, 2])
    assert np.allclose(curvatures(surfaces.get("elongated-bowl")), [1, 25])
    assert np.allclose(curvatures(surfaces.get("notes-quadratic")), [4])
    A, w_star = quadratic_form(surfaces.get("linear-regression"))
    assert np.allclose(surfaces.get("linear-regression").grad(w_star), 0, atol=1e-12)
    for name in ("rosenbrock", "saddle", "quartic", "beale", "himmelblau", "two-minima"):
        assert quadratic_form(surfaces.get(name)) is None, name


@pytest.mark.parametrize("name, convention", VARIANTS)
@pytest.mark.parametrize("surface", ["notes-quadratic", "elongated-bowl"])
def test_iteration_matrix_is_one_step_of_the_optimizer(name, convention, surface):
    """In the eigenbasis of A, (e_{t+1}, v_t) = M (e_t, v_{t-1}) holds for every recorded step of a real run."""
    s = surfaces.get(surface)
    A, w_star = quadratic_form(s)
    lam, Q = np.linalg.eigh(A)
    rng = np.random.default_rng(1)
    for _ in range(5):
        lr, beta = float(rng.uniform(0.001, 0.05)), float(rng.uniform(0, 0.95))  # stable: no frozen rows
        opt = make(name, convention, lr=lr, **({} if name == "gd" else {"beta": beta}))
        traj = run(s, opt, list(s.starts[0]), 30)
        assert traj.status != 2
        e = (traj.positions - w_star) @ Q  # (T + 1, d): the error in the eigenbasis
        M = iteration_matrix(name, lam, lr, beta, **opt.options)  # (d, k, k)
        if name == "gd":
            predicted = M[:, 0, 0] * e[:-1]
            np.testing.assert_allclose(e[1:], predicted, rtol=1e-9, atol=1e-12)
            continue
        v = traj.state["v"] @ Q  # v[t] is the velocity after step t; v[0] = 0
        state = np.stack([e[:-1], v[:-1]], axis=-1)  # (T, d, 2): (e_t, v_{t-1})
        nxt = np.einsum("dij,tdj->tdi", M, state)
        np.testing.assert_allclose(nxt[..., 0], e[1:], rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(nxt[..., 1], v[1:], rtol=1e-9, atol=1e-12)


def test_closed_form_eigenvalues_match_numpy():
    rng = np.random.default_rng(2)
    lam, lr, beta = rng.uniform(0.1, 30, 200), rng.uniform(1e-3, 2, 200), rng.uniform(0, 0.999, 200)
    for name, convention in VARIANTS[1:]:
        opts = make(name, convention).options
        z = iteration_eigenvalues(name, lam, lr, beta, **opts)
        ref = np.linalg.eigvals(iteration_matrix(name, lam, lr, beta, **opts))
        np.testing.assert_allclose(np.sort(np.abs(z), axis=-1), np.sort(np.abs(ref), axis=-1), rtol=1e-7, atol=1e-9)


def test_gd_rate_and_regions():
    lam = [1.0, 25.0]
    lr = np.array([0.01, 0.04, 0.05, 0.078, 0.079, 0.08, 0.1])
    th = theory(make("gd", lr=lr), lam)
    np.testing.assert_allclose(th.rate, np.maximum(np.abs(1 - lr), np.abs(1 - 25 * lr)))
    # below 2 / (1 + 25) the slow direction (1 - eta > 0) dominates, above it the fast one overshoots
    assert [REGIONS[r] for r in th.region] == ["monotone"] * 3 + ["oscillating"] * 2 + ["divergent"] * 2
    assert th.rate[5] == pytest.approx(1.0)  # eta = 2 / lambda_max: the stability edge
    assert th.rate[1] == pytest.approx(0.96) and theory(make("gd", lr=1 / 25), [25.0]).rate == 0.0


def test_polyak_optimal_momentum_on_the_elongated_bowl():
    """Heavy ball (classic form) with beta* = ((sqrt k - 1)/(sqrt k + 1))^2 and eta* = 4/(sqrt L + sqrt m)^2
    converges at (sqrt k - 1)/(sqrt k + 1); for the condition number 25 that is 2/3, against GD's best 12/13."""
    m, L = 1.0, 25.0
    beta = ((np.sqrt(L / m) - 1) / (np.sqrt(L / m) + 1)) ** 2
    lr = 4 / (np.sqrt(L) + np.sqrt(m)) ** 2
    th = theory(make("momentum", "pytorch", lr=lr, beta=beta), [m, L])
    assert th.rate == pytest.approx(2 / 3, rel=1e-6)
    assert REGIONS[th.region] == "oscillating"  # a (double) complex pair of modulus sqrt(beta)
    assert theory(make("gd", lr=2 / (m + L)), [m, L]).rate == pytest.approx(12 / 13)
    # the EMA form with eta / (1 - beta) is the same method
    assert theory(make("momentum", "notes", lr=lr / (1 - beta), beta=beta), [m, L]).rate == pytest.approx(2 / 3)


def test_momentum_regions_follow_the_discriminant():
    """EMA momentum, one direction: complex eigenvalues (modulus sqrt beta) exactly when
    (1 - sqrt beta)^2 < eta (1 - beta) lambda < (1 + sqrt beta)^2; divergent beyond
    eta (1 - beta) lambda = 2 (1 + beta)."""
    beta, lam = 0.81, 1.0
    k = np.array([0.005, 0.02, 0.5, 3.0, 3.7, 3.85, 9.0, 9.6])  # k = eta (1 - beta) lambda
    th = theory(make("momentum", lr=k / (1 - beta), beta=beta), [lam])
    edges = (1 - 0.9) ** 2, (1 + 0.9) ** 2, 2 * (1 + beta)  # 0.01, 3.61, 3.62
    expect = ["monotone" if x < edges[0] else "oscillating" if x < edges[2] else "divergent" for x in k]
    assert [REGIONS[r] for r in th.region] == expect
    inside = (k > edges[0]) & (k < edges[1])
    np.testing.assert_allclose(th.rate[inside], 0.9)


def test_rate_from_errors_on_known_sequences():
    t = np.arange(301.0)
    assert rate_from_errors(0.9**t)[()] == pytest.approx(0.9, rel=1e-12)
    # an oscillation whose error passes close to 0: the pair (e_t, e_{t-1}) keeps the measure honest
    wobble = np.abs(0.95**t * np.cos(0.7 * t + 0.3))
    assert rate_from_errors(wobble)[()] == pytest.approx(0.95, abs=0.005)
    # gone below the rounding floor in 3 steps: the bound (floor / s_0)^(1/n)
    fast = np.concatenate([[1.0, 1e-5, 1e-10], np.zeros(298)])
    assert rate_from_errors(fast, floor=1e-12)[()] < 1e-3
    # a diverged run: measured up to the last point inside the bound, at least 1
    grow = np.minimum(1.1**t, 1e6)
    assert rate_from_errors(grow, np.array(145))[()] == pytest.approx(1.1, rel=1e-9)


def _agreement(surface, name, convention, steps, n=40):
    s = surfaces.get(surface)
    axes = ((Axis("lr", 1e-3, 2.0, 25 * n, log=True),) if name == "gd"
            else (Axis("lr", 1e-3, 2.0, n, log=True), Axis("beta", 0.0, 0.99, n)))
    spec = SweepSpec(surface, name, s.starts[0], steps, axes, convention=convention)
    measured = measured_rates(spec)
    th = theory(spec.make_optimizer(), curvatures(s))
    rate, region = np.broadcast_to(th.rate, spec.shape), np.broadcast_to(th.region, spec.shape)
    m_region = np.where(measured.diverged | (measured.rate >= 1), 2, np.where(measured.oscillating, 1, 0))
    return rate, region, measured, m_region


# Agreement measured on 40 x 40 grids, lr 1e-3 to 2 (log), beta 0 to 0.99, 300 steps; tolerances are the
# worst case seen over these tables with a margin. The differences come from the finite horizon: where the
# iteration matrix is close to defective (two nearly equal eigenvalues, a slowly turning spiral) the error
# carries a transient factor that a window of ~150 steps does not average out.
@pytest.mark.parametrize("surface, name, convention", [
    ("elongated-bowl", "gd", "notes"),
    ("linear-regression", "gd", "notes"),
    ("elongated-bowl", "momentum", "notes"),
    ("elongated-bowl", "momentum", "pytorch"),
    ("bowl", "momentum", "notes"),
    ("bowl", "nesterov", "notes"),
    ("elongated-bowl", "nesterov", "pytorch"),
    ("linear-regression", "nesterov", "pytorch"),
    ("notes-quadratic", "momentum", "notes"),
])
def test_theoretical_rate_agrees_with_the_runs(surface, name, convention):
    rate, region, measured, m_region = _agreement(surface, name, convention, steps=300)
    converging = rate < 0.98
    diff = np.abs(measured.rate - rate)[converging]
    assert converging.sum() > 10
    assert np.median(diff) < 2e-3, np.median(diff)
    assert diff.max() < 0.05, diff.max()
    divergent = rate > 1.01
    assert np.all(measured.rate[divergent] >= 1)  # every predicted divergence grows in the runs
    assert np.all(measured.rate[rate < 0.97] < 1)  # and no clear predicted convergence grows
    assert (m_region == region).mean() > 0.98  # the rest sit on a boundary between regions


def test_slow_cells_agree_closely_over_a_long_horizon():
    """Over 2,000 steps the transient fades: slow cells (rate 0.9 to 0.99) agree to 0.01."""
    rate, _, measured, _ = _agreement("elongated-bowl", "momentum", "notes", steps=2000, n=24)
    slow = (rate > 0.9) & (rate < 0.99)
    assert slow.sum() > 20
    assert np.abs(measured.rate - rate)[slow].max() < 0.01
