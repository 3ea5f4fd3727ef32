"""The run loop: batched grids against single runs, divergence, convergence, noise, validation, shapes."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import optim
import surfaces
from optim import Status, run
from optim.trajectory import Criterion

QUADRATIC = surfaces.get("notes-quadratic")
ROSENBROCK = surfaces.get("rosenbrock")
BOWL = surfaces.get("elongated-bowl")
REGRESSION = surfaces.get("linear-regression")


# -- a grid in one call equals the same runs made one at a time --------------------------------------------------

LR = np.array([0.01, 0.03, 0.07, 0.12])[:, None]  # (4, 1); on the elongated bowl (curvature 25) lr > 0.08 diverges
STARTS_2 = np.array([[-1.6, 1.9], [1.0, 0.5]])[:, None, None, :]  # (2, 1, 1, d): 2 starts
STARTS_6 = np.array([[-1.6, 1.9], [1.0, 0.5], [0.2, -0.3], [1.5, 1.5], [-1.0, -1.2], [0.3, 1.1]]).reshape(2, 1, 3, 2)

GRID_CASES = {
    # id: (surface, optimizer, convention, hyperparameters, start points, run keywords)
    "gd": (BOWL, "gd", "notes", {"lr": LR}, STARTS_6, {}),
    "sgd-noise": (BOWL, "sgd", "notes", {"lr": LR}, STARTS_2, {"noise": np.array([[0.0, 0.5, 2.0]]), "seed": 7}),
    "sgd-minibatch": (REGRESSION, "sgd", "notes", {"lr": LR * 2}, STARTS_6, {"batch_size": 4, "seed": 3}),
    "momentum-notes": (BOWL, "momentum", "notes", {"lr": LR, "beta": np.array([[0.0, 0.5, 0.9]])}, STARTS_2, {}),
    "momentum-pytorch": (BOWL, "momentum", "pytorch", {"lr": LR, "beta": np.array([[0.0, 0.5, 0.9]])}, STARTS_2, {}),
    "momentum-noise": (ROSENBROCK, "momentum", "notes", {"lr": LR / 50, "beta": np.array([[0.0, 0.5, 0.9]])},
                       STARTS_2, {"noise": 3.0, "seed": 11}),
    "nesterov-notes": (BOWL, "nesterov", "notes", {"lr": LR, "beta": np.array([[0.0, 0.5, 0.9]])}, STARTS_2, {}),
    "nesterov-pytorch": (BOWL, "nesterov", "pytorch", {"lr": LR, "beta": np.array([[0.0, 0.5, 0.9]])}, STARTS_2, {}),
    "adagrad-notes": (BOWL, "adagrad", "notes", {"lr": LR * 10, "eps": np.array([[1e-10, 1e-3, 1.0]])}, STARTS_2, {}),
    "adagrad-pytorch": (BOWL, "adagrad", "pytorch", {"lr": LR * 10, "eps": np.array([[1e-10, 1e-3, 1.0]])},
                        STARTS_2, {}),
    "rmsprop": (ROSENBROCK, "rmsprop", "notes", {"lr": LR, "rho": np.array([[0.0, 0.9, 0.99]])}, STARTS_2, {}),
    "adadelta": (ROSENBROCK, "adadelta", "pytorch", {"lr": LR * 20, "rho": np.array([[0.5, 0.9, 0.99]])},
                 STARTS_2, {}),
    "adam": (ROSENBROCK, "adam", "notes", {"lr": LR, "beta1": np.array([[0.0, 0.8, 0.9]])}, STARTS_2, {}),
    "newton-safeguard": (surfaces.get("himmelblau"), "newton", "notes",
                         {"lr": LR * 8, "min_curvature": np.array([[0.01, 1.0, 10.0]]), "safeguard": True},
                         np.array([[3.0, 0.0], [-0.5, -0.5]])[:, None, None, :], {}),
    # Plain Newton from a point of singular Hessian: that start diverges at step 1, the other converges.
    "newton-plain": (ROSENBROCK, "newton", "pytorch", {"lr": LR * 8, "min_curvature": np.array([[0.01, 1.0, 10.0]])},
                     np.array([[0.0, 0.005], [-1.5, 2.0]])[:, None, None, :], {}),
}


def _element(value, batch, idx):
    """The value one grid cell sees: the hyperparameter broadcast to the batch, at idx, as a Python float."""
    return float(np.broadcast_to(value, batch)[idx]) if isinstance(value, np.ndarray) else value


@pytest.mark.parametrize("case", list(GRID_CASES))
def test_a_grid_run_equals_the_runs_made_one_at_a_time(case):
    surface, name, convention, hyper, starts, kw = GRID_CASES[case]
    steps = 40
    grid = run(surface, optim.make(name, convention, **hyper), starts, steps, tol=1e-2, **kw)
    batch = (2, 4, 3)
    assert grid.batch_shape == batch and grid.positions.shape == (steps + 1, *batch, surface.dim)
    starts_b = np.broadcast_to(starts, (*batch, surface.dim))
    for idx in np.ndindex(*batch):
        one_hyper = {k: _element(v, batch, idx) for k, v in hyper.items()}
        one_kw = {k: _element(v, batch, idx) for k, v in kw.items()}
        flat = np.ravel_multi_index(idx, batch)
        one = run(surface, optim.make(name, convention, **one_hyper), starts_b[idx], steps, tol=1e-2,
                  ids=flat, **one_kw)
        at = (slice(None), *idx)
        np.testing.assert_array_equal(grid.positions[at], one.positions, err_msg=f"{case} {idx}")
        np.testing.assert_array_equal(grid.losses[at], one.losses)
        np.testing.assert_array_equal(grid.gradients[at], one.gradients)
        assert set(grid.state) == set(one.state)
        for field in grid.state:
            np.testing.assert_array_equal(grid.state[field][at], one.state[field], err_msg=field)
        assert grid.status[idx] == one.status and one.status.shape == ()
        assert grid.event_step[idx] == one.event_step
        np.testing.assert_array_equal(grid.final_position[idx], one.final_position)
        np.testing.assert_array_equal(grid.final_loss[idx], one.final_loss)
    # The grid is not trivial: its cells differ from each other (plain Newton ignores min_curvature: 2 x 4 cells).
    distinct = len({grid.positions[(-1, *idx)].tobytes() for idx in np.ndindex(*batch)})
    assert distinct > (4 if case == "newton-plain" else 12)


@pytest.mark.parametrize("surface_name", surfaces.names())
def test_on_every_surface_a_batch_of_starts_equals_the_single_runs(surface_name):
    """Bit for bit, on every surface (powers, cosines and sample means included), for Adam and noisy momentum."""
    s = surfaces.get(surface_name)
    lo, hi = np.array(s.bounds).T
    starts = lo + (hi - lo) * np.random.default_rng(1).random((8, s.dim))
    for opt, kw in ((optim.adam(lr=0.05), {}), (optim.momentum(lr=1e-3, beta=0.9), {"noise": 0.5, "seed": 9})):
        batch = run(s, opt, starts, 60, **kw)
        for i in range(8):
            one = run(s, opt, starts[i], 60, ids=i, **kw)
            np.testing.assert_array_equal(batch.positions[:, i], one.positions, err_msg=f"{opt.name} start {i}")
            np.testing.assert_array_equal(batch.losses[:, i], one.losses)
            np.testing.assert_array_equal(batch.event_step[i], one.event_step)


def test_the_gd_grid_mixes_statuses():
    """The comparison above includes diverged, converged and running cells (lr 0.12 > 2/25 diverges)."""
    surface, name, convention, hyper, starts, kw = GRID_CASES["gd"]
    grid = run(surface, optim.make(name, convention, **hyper), starts, 40, tol=1e-2)
    assert set(grid.status.ravel()) == {Status.RUNNING, Status.CONVERGED, Status.DIVERGED}
    assert np.all(grid.status[:, 3] == Status.DIVERGED)


def test_ids_key_the_random_numbers():
    """The default ids are the flat indices; reordering the batch with the ids reorders the trajectories."""
    kw = {"noise": 1.0, "seed": 5}
    starts = np.array([[-1.0, 1.0], [0.5, 0.5], [1.0, -1.0]])
    default = run(BOWL, optim.sgd(lr=0.05), starts, 20, **kw)
    explicit = run(BOWL, optim.sgd(lr=0.05), starts, 20, ids=[0, 1, 2], **kw)
    np.testing.assert_array_equal(default.positions, explicit.positions)
    reversed_ = run(BOWL, optim.sgd(lr=0.05), starts[::-1], 20, ids=[2, 1, 0], **kw)
    np.testing.assert_array_equal(reversed_.positions[:, ::-1], default.positions)
    # Same start, different ids or seeds: different noise.
    same = run(BOWL, optim.sgd(lr=0.05), np.zeros((3, 2)), 20, **kw)
    assert not np.array_equal(same.positions[:, 0], same.positions[:, 1])
    other_seed = run(BOWL, optim.sgd(lr=0.05), starts, 20, noise=1.0, seed=6)
    assert not np.array_equal(other_seed.positions, default.positions)


# -- noise and mini-batches ---------------------------------------------------------------------------------------


def test_sgd_noise_is_standard_gaussian_times_sigma():
    sigma = 2.5
    traj = run(BOWL, optim.sgd(lr=0.01), np.zeros((4000, 2)), 5, noise=sigma, seed=1)
    xi = (traj.gradients - BOWL.grad(traj.positions[:-1])) / sigma  # (5, 4000, 2)
    assert abs(xi.mean()) < 0.03 and abs(xi.std() - 1.0) < 0.03
    assert abs(np.corrcoef(xi[..., 0].ravel(), xi[..., 1].ravel())[0, 1]) < 0.03  # coordinates independent
    assert abs(np.mean(xi**4) - 3.0) < 0.2  # Gaussian kurtosis
    # Status is decided from the true gradient, not the noisy one.
    assert traj.noise == sigma and traj.seed == 1


def test_sgd_uses_the_surface_default_noise_and_gd_none():
    sgd = run(QUADRATIC, optim.sgd(lr=0.1), [2.0], 3)
    assert sgd.noise == optim.spec("sgd").surface_defaults["notes-quadratic"]["noise"] == 2.0
    assert not np.allclose(sgd.gradients[:, 0], 4 * sgd.positions[:-1, 0] + 1)
    gd = run(QUADRATIC, optim.gd(lr=0.1), [2.0], 3)
    assert gd.noise == 0.0
    np.testing.assert_array_equal(gd.gradients[:, 0], 4 * gd.positions[:-1, 0] + 1)
    # Noise is added to any optimizer's gradient when asked for.
    noisy_adam = run(QUADRATIC, optim.adam(lr=0.1), [2.0], 3, noise=1.0)
    assert not np.allclose(noisy_adam.gradients[:, 0], 4 * noisy_adam.positions[:-1, 0] + 1)


def test_minibatch_gradients_are_real_sample_gradients():
    """With one sample per step the gradient is 2 r (x_i, 1), r = w x_i + b - y_i: recover i from the ratio and
    check that sample's residual; with the defaults SGD on linear-regression uses batch size 1."""
    s = REGRESSION
    traj = run(s, optim.sgd(lr=0.01), np.zeros((500, 2)) + [0.5, 0.5], 3, seed=2)
    assert traj.batch_size == 1
    g = traj.gradients.reshape(-1, 2)
    p = traj.positions[:-1].reshape(-1, 2)
    x = g[:, 0] / g[:, 1]
    order = np.argsort(s.xs)
    sx = s.xs[order]
    j = np.clip(np.searchsorted(sx, x), 1, s.n_samples - 1)
    i = order[np.where(np.abs(sx[j - 1] - x) < np.abs(sx[j] - x), j - 1, j)]  # the sample nearest to x
    np.testing.assert_allclose(s.xs[i], x, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(g[:, 1], 2 * (p[:, 0] * s.xs[i] + p[:, 1] - s.ys[i]), rtol=1e-9, atol=1e-12)
    # 1500 draws with replacement from 10,000 samples: spread over the whole dataset.
    assert len(set(i)) > 1300 and 3500 < np.mean(i) < 6500


def test_minibatch_batch_size_n_is_full_batch_and_bigger_batches_are_less_noisy():
    s = REGRESSION
    starts = np.zeros((300, 2))
    spread = []
    for b in (1, 10, 100):
        traj = run(s, optim.sgd(lr=0.01), starts, 1, batch_size=b, seed=4)
        spread.append(np.std(traj.gradients[0] - s.grad(starts), axis=0))
    spread = np.array(spread)
    # The standard deviation of a mean of b samples falls like 1 / sqrt(b).
    np.testing.assert_allclose(spread[1] / spread[0], np.sqrt(0.1), rtol=0.25)
    np.testing.assert_allclose(spread[2] / spread[0], np.sqrt(0.01), rtol=0.25)
    full = run(s, optim.sgd(lr=0.01), starts[:2], 1, batch_size=s.n_samples)
    np.testing.assert_array_equal(full.gradients[0], s.grad(starts[:2]))


# -- divergence ---------------------------------------------------------------------------------------------------


def _first_step_beyond(bound: float, eta: float, w0: float = 2.0) -> int:
    """First t with |w_t| > bound for w_t = -0.25 + (w0 + 0.25) (1 - 4 eta)^t, gradient descent on 2w^2 + w + 4."""
    return next(t for t in itertools.count(1) if abs(-0.25 + (w0 + 0.25) * (1 - 4 * eta) ** t) > bound)


@pytest.mark.parametrize("bound", [None, 100.0, 2.5])
def test_gd_eta_06_diverges_at_the_step_the_closed_form_says(bound):
    kw = {} if bound is None else {"bound": bound}
    traj = run(QUADRATIC, optim.gd(lr=0.6), [2.0], 60, **kw)
    k = _first_step_beyond(traj.bound, 0.6)
    if bound is None:
        assert traj.bound == 1e6 and k == 39  # 2.25 * 1.4^39 = 1.1e6, 2.25 * 1.4^38 = 8.0e5
    assert traj.status_label() == "diverged" and traj.event_step == k and traj.rows == k
    t = np.arange(61)
    w = -0.25 + 2.25 * (-1.4) ** np.minimum(t, k)  # frozen after step k
    np.testing.assert_allclose(traj.positions[:, 0], w, rtol=1e-12)
    assert traj.final_position[0] == traj.positions[k, 0]
    # Nothing after step k is NaN, and every later row repeats step k's values.
    for a in (traj.positions, traj.losses, traj.gradients):
        assert not np.isnan(a).any()
    np.testing.assert_array_equal(traj.positions[k:], np.broadcast_to(traj.positions[k], traj.positions[k:].shape))
    np.testing.assert_array_equal(traj.losses[k:], traj.losses[k])
    # Row k's loss is the loss at the point that left (f(w_k), not the loss where the run was parked).
    np.testing.assert_allclose(traj.losses, QUADRATIC.value(traj.positions), rtol=1e-12)
    np.testing.assert_allclose(traj.losses[k], 2 * w[k] ** 2 + w[k] + 4, rtol=1e-12)
    assert np.all(traj.gradients[k - 1:] == traj.gradients[k - 1])
    np.testing.assert_allclose(traj.gradients[k - 1, 0], 4 * w[k - 1] + 1, rtol=1e-12)
    # The table ends with the step that left the bound, and holds no NaN.
    table = optim.iteration_table(traj)
    assert table.data.shape == (k, 5) and not np.isnan(table.data).any()
    np.testing.assert_allclose(table.column("w_next")[-1], w[k], rtol=1e-12)


def _assert_no_nan(traj, index=()):
    """No NaN anywhere in the record of the trajectory at ``index``, nor in its iteration table."""
    at = (slice(None), *index)
    arrays = [traj.positions[at], traj.losses[at], traj.gradients[at], traj.final_position[index],
              traj.final_loss[index], *(v[at] for v in traj.state.values()), optim.iteration_table(traj, index).data]
    for a in arrays:
        assert not np.isnan(a).any()


def test_newton_with_a_singular_hessian_diverges_without_nan():
    """Rosenbrock at (0, 0.005): H = [[2 - 400 * 0.005, 0], [0, 200]] = diag(0, 200) while g = (-2, 1), so the
    plain Newton step divides -2 by a zero curvature."""
    p = [0.0, 0.005]
    np.testing.assert_array_equal(ROSENBROCK.hess(p), [[0.0, 0.0], [0.0, 200.0]])
    traj = run(ROSENBROCK, optim.newton(), [p, [-1.5, 2.0]], 10)
    np.testing.assert_array_equal(traj.status, [Status.DIVERGED, Status.CONVERGED])
    assert traj.event_step[0] == 1
    assert np.all(np.isinf(traj.positions[1:, 0, 0]))
    _assert_no_nan(traj, (0,))
    # The neighbour that converged keeps its own record: the same as when run alone (its initial curvature, before
    # any Hessian was seen, is NaN by design), not touched by the other trajectory's divergence.
    alone = run(ROSENBROCK, optim.newton(), [-1.5, 2.0], 10, ids=1)
    np.testing.assert_array_equal(traj.state["curvature"][:, 1], alone.state["curvature"])
    np.testing.assert_array_equal(traj.positions[:, 1], alone.positions)
    assert "nan" not in optim.to_csv(optim.iteration_table(traj, 0)).lower()
    # The safeguard floors the zero curvature and takes a finite step.
    safe = run(ROSENBROCK, optim.newton(safeguard=True, min_curvature=1.0), p, 1)
    np.testing.assert_allclose(safe.positions[1], [0.0 + 2.0 / 1.0, 0.005 - 1.0 / 200.0], atol=1e-15)


@pytest.mark.parametrize("bound", [1e300, np.inf])
def test_an_overflowing_run_is_diverged_without_nan(bound):
    """GD with lr 1000 on Rosenbrock from (-1.5, 2): |x| grows like x^3 per step until it overflows. The expected
    path is a plain scalar loop of the update rule written from the formula."""
    lr = 1000.0
    x, y = -1.5, 2.0
    path = [(x, y)]
    with np.errstate(all="ignore"):
        while True:
            x, y = np.float64(x), np.float64(y)
            gx, gy = -2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)
            x, y = x - lr * gx, y - lr * gy
            path.append((x, y))
            if not (abs(x) <= min(bound, np.finfo(float).max) and abs(y) <= min(bound, np.finfo(float).max)):
                break
    k = len(path) - 1
    assert not np.all(np.isfinite(path[-1])) and k == 5  # overflow, not the bound, stops it
    traj = run(ROSENBROCK, optim.gd(lr=lr), [-1.5, 2.0], 12, bound=bound)
    assert traj.status_label() == "diverged" and traj.event_step == k
    np.testing.assert_allclose(traj.positions[:k], path[:k], rtol=1e-13)  # same rule, terms grouped differently
    assert np.all(np.isinf(traj.positions[k:]))
    _assert_no_nan(traj)


# -- convergence --------------------------------------------------------------------------------------------------


def test_gd_eta_02_converges_at_the_first_step_below_tol():
    """From w0 = 2 the error is e_t = w_t + 1/4 = 2.25 * 0.2^t: the gradient f'(w_t) = 4 e_t = 9 * 0.2^t falls below
    1e-6 first at t = 10, the step |w_{t+1} - w_t| = 0.8 e_t = 1.8 * 0.2^t already at t = 9 (9.2e-7; f - f* = 2 e^2
    = 2.6e-12, 1.2e-6 from the minimum): it converged at step 9, by the step size."""
    tol = run(QUADRATIC, optim.gd(lr=0.2), [2.0], 1).tol  # the default
    k_gradient = next(t for t in itertools.count() if 9 * 0.2**t < tol)
    k_step = next(t for t in itertools.count() if 1.8 * 0.2**t < tol)
    assert tol == 1e-6 and (k_gradient, k_step) == (10, 9)
    for steps in (10, 30):
        traj = run(QUADRATIC, optim.gd(lr=0.2), [2.0], steps)
        assert traj.status_label() == "converged" and traj.event_step == k_step
        assert traj.converged_by == Criterion.STEP and traj.outcome() == "converged at step 9 (by the step size)"
        assert traj.rows == steps  # a converged run keeps all its rows
    # 9 steps: the last step (from w_8 to w_9, 1.8 * 0.2^8 = 4.6e-6) is not below tol yet
    assert run(QUADRATIC, optim.gd(lr=0.2), [2.0], 9).status_label() == "running"
    k3 = next(t for t in itertools.count() if 1.8 * 0.2**t < 1e-3)
    assert run(QUADRATIC, optim.gd(lr=0.2), [2.0], 30, tol=1e-3).event_step == k3 == 5


def test_a_run_that_sits_at_the_minimum_is_converged_not_still_moving():
    """GD with eta = 0.1 on f = w^2 + 10 from w0 = -4: e_t = -4 * 0.8^t, f'(w_t) = 2 e_t, step 0.2 |e_t|.
    After 70 steps it sits 6.5e-7 from the minimum (f - f* = 4e-13): its steps are below 1e-6 from the first t
    with 0.8 * 0.8^t < 1e-6 (61), its gradient only from the first t with 8 * 0.8^t < 1e-6 (72, after the end)."""
    traj = run(surfaces.get("notes-parabola"), optim.gd(lr=0.1), [-4.0], 70)
    assert abs(traj.positions[-1, 0] - (-4 * 0.8**70)) < 1e-15
    k_step = next(t for t in itertools.count() if 0.8 * 0.8**t < 1e-6)
    k_gradient = next(t for t in itertools.count() if 8 * 0.8**t < 1e-6)
    assert (k_step, k_gradient) == (61, 72)
    assert traj.status == Status.CONVERGED and traj.event_step == k_step and traj.converged_by == Criterion.STEP


def test_gd_eta_05_keeps_running():
    for steps in (10, 1000):
        traj = run(QUADRATIC, optim.gd(lr=0.5), [2.0], steps)
        assert traj.status_label() == "running" and traj.event_step == -1 and traj.rows == steps
        np.testing.assert_array_equal(traj.positions[::2, 0], 2.0)
        np.testing.assert_array_equal(traj.positions[1::2, 0], -2.5)
    # |f'| is exactly 9 and every step exactly 4.5 long: even with tol above 4.5 the steps are not short, for they
    # never shrink (an oscillation for ever is not convergence); with tol above 9 the gradient criterion holds.
    assert run(QUADRATIC, optim.gd(lr=0.5), [2.0], 10, tol=4.5 + 1e-9).status_label() == "running"
    at_once = run(QUADRATIC, optim.gd(lr=0.5), [2.0], 10, tol=9 + 1e-9)
    assert at_once.status_label() == "converged" and at_once.event_step == 0
    assert at_once.converged_by == Criterion.GRADIENT


def test_converged_means_below_tol_from_that_step_on():
    """Heavy-ball momentum overshoots: its gradient dips below tol and comes back before it settles, and its steps
    shrink at the turning points. The event step is the first point after which the true gradient norm stays below
    tol, or after which every step is short (below tol and a thousandth of the longest step so far), whichever
    comes first, recomputed here from positions."""
    tol, steps = 1e-4, 1000
    beta = np.array([0.0, 0.5, 0.8, 0.9, 0.95])
    traj = run(BOWL, optim.momentum(lr=0.02, beta=beta, form="classic"), [-1.6, 1.9], steps, tol=tol)
    norm = np.linalg.norm(BOWL.grad(traj.positions), axis=-1)  # (steps + 1, 5)
    step = np.linalg.norm(np.diff(traj.positions, axis=0), axis=-1)  # (steps, 5)
    last = lambda big: np.array([np.flatnonzero(big[:, j]).max(initial=-1) for j in range(5)])  # noqa: E731
    above = norm >= tol
    short = (step < tol) & (step <= 1e-3 * np.maximum.accumulate(step, axis=0))
    by_gradient, by_step = last(above) + 1, last(~short) + 1
    assert np.all(by_gradient <= steps) and np.any(by_step < by_gradient)  # all settled; the criteria differ
    np.testing.assert_array_equal(traj.event_step, np.minimum(by_gradient, by_step))
    np.testing.assert_array_equal(traj.converged_by, np.where(by_gradient <= by_step, Criterion.GRADIENT,
                                                              Criterion.STEP))
    assert np.all(traj.status == Status.CONVERGED)
    # The gradient of at least one of them dipped below tol before it stayed there.
    dipped = [(~above[: by_gradient[j], j]).any() for j in range(5)]
    assert any(dipped) and not dipped[0]


# -- recording ----------------------------------------------------------------------------------------------------


def test_record_path_and_final_keep_the_same_numbers():
    opt = optim.adam(lr=0.05)
    starts = np.array([[-1.5, 2.0], [0.0, 0.0]])
    full = run(ROSENBROCK, opt, starts, 50)
    path = run(ROSENBROCK, opt, starts, 50, record="path")
    final = run(ROSENBROCK, opt, starts, 50, record="final")
    np.testing.assert_array_equal(path.positions, full.positions)
    np.testing.assert_array_equal(path.losses, full.losses)
    assert path.gradients is None and path.state == {}
    assert final.positions is None and final.losses is None and final.gradients is None
    for t in (path, final):
        np.testing.assert_array_equal(t.final_position, full.final_position)
        np.testing.assert_array_equal(t.final_loss, full.final_loss)
        np.testing.assert_array_equal(t.status, full.status)
        np.testing.assert_array_equal(t.event_step, full.event_step)
    np.testing.assert_array_equal(full.final_position, full.positions[-1])
    np.testing.assert_array_equal(full.final_loss, full.losses[-1])
    np.testing.assert_array_equal(full.losses, ROSENBROCK.value(full.positions))
    # A diverged trajectory's path is frozen the same way when only the path is kept.
    grid = {"lr": np.array([0.1, 0.5, 0.6, 0.7])}
    div_all = run(QUADRATIC, optim.gd(**grid), [2.0], 60)
    div_path = run(QUADRATIC, optim.gd(**grid), [2.0], 60, record="path")
    np.testing.assert_array_equal(div_path.positions, div_all.positions)
    np.testing.assert_array_equal(div_path.losses, div_all.losses)
    np.testing.assert_array_equal(div_path.event_step, div_all.event_step)
    np.testing.assert_allclose(div_all.losses, QUADRATIC.value(div_all.positions), rtol=1e-12)
    assert list(div_all.status) == [Status.CONVERGED, Status.RUNNING, Status.DIVERGED, Status.DIVERGED]
    # Diverged trajectories report the point that left, whatever is recorded.
    div = run(QUADRATIC, optim.gd(lr=0.6), [[2.0], [1.0]], 60, record="final")
    k1 = _first_step_beyond(1e6, 0.6, w0=1.0)
    np.testing.assert_array_equal(div.event_step, [39, k1])
    np.testing.assert_allclose(div.final_position[:, 0], [-0.25 + 2.25 * (-1.4) ** 39, -0.25 + 1.25 * (-1.4) ** k1],
                               rtol=1e-12)


def test_too_much_history_asks_for_record_final():
    starts = np.zeros((10_000, 2))
    with pytest.raises(ValueError, match="record='final'"):
        run(BOWL, optim.gd(lr=0.01), starts, optim.MAX_STEPS)
    assert run(BOWL, optim.gd(lr=0.01), starts[:10], optim.MAX_STEPS, record="final").status.shape == (10,)


# -- validation ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "factory, kwargs, phrase",
    [
        (optim.gd, {"lr": 0.0}, r"lr \(learning rate\) must be greater than 0, got 0.0"),
        (optim.gd, {"lr": -0.1}, "must be greater than 0"),
        (optim.gd, {"lr": np.array([0.1, -1.0])}, "must be greater than 0, got -1.0"),
        (optim.gd, {"lr": float("nan")}, "lr must be a finite number, got nan"),
        (optim.gd, {"lr": np.array([0.1, np.nan])}, "lr must be a finite number, got nan"),
        (optim.gd, {"lr": np.array([np.nan, np.nan])}, "lr must be a finite number, got nan"),
        (optim.gd, {"lr": float("inf")}, "finite"),
        (optim.gd, {"lr": "fast"}, "lr must be a number"),
        (optim.gd, {"lr": []}, "lr must not be empty"),
        (optim.momentum, {"beta": 1.0}, r"beta \(momentum\) must be at least 0 and below 1, got 1.0"),
        (optim.momentum, {"beta": -0.1}, "at least 0 and below 1"),
        (optim.nesterov, {"beta": np.array([0.5, 1.5])}, "below 1, got 1.5"),
        (optim.rmsprop, {"rho": 1.0}, "rho"),
        (optim.adadelta, {"rho": 2.0}, "rho"),
        (optim.adam, {"beta1": 1.0}, "beta1"),
        (optim.adam, {"beta2": -0.5}, "beta2"),
        (optim.adagrad, {"eps": 0.0}, "eps .* must be greater than 0"),
        (optim.rmsprop, {"eps": -1e-8}, "eps"),
        (optim.adadelta, {"eps": 0.0}, "eps"),
        (optim.adam, {"eps": 0.0}, "eps"),
        (optim.newton, {"lr": 0.0}, "damping factor"),
        (optim.newton, {"min_curvature": 0.0}, "min_curvature"),
        (optim.momentum, {"form": "heavy"}, "form must be one of 'ema', 'classic'"),
        (optim.nesterov, {"evaluation": "ahead"}, "evaluation must be one of"),
    ],
)
def test_bad_hyperparameters_are_refused_with_a_readable_message(factory, kwargs, phrase):
    with pytest.raises(ValueError, match=phrase):
        factory(**kwargs)


def test_make_refuses_unknown_names():
    with pytest.raises(ValueError, match="unknown optimizer 'adamw'; choose one of: gd, sgd"):
        optim.make("adamw")
    with pytest.raises(ValueError, match="adam has no hyperparameter 'beta'; it takes: lr, beta1, beta2, eps"):
        optim.make("adam", beta=0.9)
    with pytest.raises(ValueError, match="unknown convention 'keras'"):
        optim.make("adam", "keras")
    with pytest.raises(ValueError, match="unknown optimizer"):
        optim.spec("lbfgs")
    with pytest.raises(ValueError, match="unknown optimizer"):
        optim.latex("lbfgs")


@pytest.mark.parametrize(
    "surface, starts, steps, kwargs, phrase",
    [
        (QUADRATIC, [2.0], optim.MAX_STEPS + 1, {}, "steps must be between 1 and 10,000, got 10,001"),
        (QUADRATIC, [2.0], 0, {}, "steps must be between 1"),
        (QUADRATIC, [2.0], 2.5, {}, "steps must be a whole number"),
        (QUADRATIC, [2.0], True, {}, "steps must be a whole number"),
        (BOWL, [1.0], 5, {}, r"a point on 'elongated-bowl' needs 2 coordinates \(x, y\), but 1 was given"),
        (QUADRATIC, [[1.0, 2.0]], 5, {}, "needs 1 coordinate"),
        (QUADRATIC, 2.0, 5, {}, r"needs 1 coordinate \(w\), but a bare number was given"),
        (BOWL, [1.0, np.nan], 5, {}, "start points must be finite"),
        (BOWL, [1.0, 2.0], 5, {"batch_size": 8}, "a batch size applies to a loss averaged over samples"),
        (REGRESSION, [1.0, 2.0], 5, {"batch_size": 0}, "batch size must be a whole number of samples, at least 1"),
        (REGRESSION, [1.0, 2.0], 5, {"batch_size": 2.5}, "batch size must be a whole number"),
        (BOWL, [1.0, 2.0], 5, {"noise": -1.0}, "noise must be a standard deviation >= 0"),
        (BOWL, [1.0, 2.0], 5, {"noise": np.nan}, "noise must be"),
        (BOWL, [1.0, 2.0], 5, {"tol": 0.0}, "tol must be one positive number"),
        (BOWL, [1.0, 2.0], 5, {"bound": -1.0}, "bound must be one positive number"),
        (BOWL, [1.0, 2.0], 5, {"record": "some"}, "record must be 'all', 'path' or 'final'"),
        (BOWL, [1.0, 2.0], 5, {"seed": -1}, "seed must be a whole number"),
        (BOWL, [1.0, 2.0], 5, {"seed": 2**64}, "seed must be a whole number from 0 to 2\\*\\*64 - 1"),
        (BOWL, np.zeros((3, 2)), 5, {"noise": np.ones(4)}, "do not broadcast together"),
    ],
)
def test_bad_run_arguments_are_refused_with_a_readable_message(surface, starts, steps, kwargs, phrase):
    with pytest.raises(ValueError, match=phrase):
        run(surface, optim.gd(lr=0.1), starts, steps, **kwargs)


def test_hyperparameter_arrays_must_broadcast_with_the_starts():
    with pytest.raises(ValueError, match=r"the start points \(batch shape \(3,\)\) and the hyperparameter arrays "
                                         r"\(shape \(4,\)\) do not broadcast together"):
        run(BOWL, optim.gd(lr=np.full(4, 0.1)), np.zeros((3, 2)), 5)


# -- shapes for random batches (hypothesis) ---------------------------------------------------------------------------


@settings(max_examples=50, deadline=None)
@given(
    dim=st.sampled_from([1, 2]),
    shapes=hnp.mutually_broadcastable_shapes(num_shapes=3, min_dims=0, max_dims=3, max_side=3),
    steps=st.integers(1, 4),
)
def test_trajectory_shapes_for_random_batch_shapes(dim, shapes, steps):
    """Starts (*S, d), lr shaped L and beta shaped B broadcast to one batch = broadcast(S, L, B)."""
    (S, L, B), batch = shapes.input_shapes, shapes.result_shape
    rng = np.random.default_rng(0)
    surface = BOWL if dim == 2 else QUADRATIC
    starts = rng.uniform(-1, 1, (*S, dim))
    lr, beta = rng.uniform(0.01, 0.05, L), rng.uniform(0.0, 0.9, B)
    traj = run(surface, optim.momentum(lr=lr, beta=beta), starts, steps)
    assert traj.batch_shape == batch
    assert traj.positions.shape == (steps + 1, *batch, dim)
    assert traj.losses.shape == (steps + 1, *batch)
    assert traj.gradients.shape == (steps, *batch, dim)
    assert traj.state["v"].shape == (steps + 1, *batch, dim)
    assert traj.final_position.shape == (*batch, dim)
    assert traj.final_loss.shape == traj.status.shape == traj.event_step.shape == traj.rows.shape == batch
    # Every trajectory starts at its own start point and takes the EMA momentum step from it.
    p0 = np.broadcast_to(starts, (*batch, dim))
    np.testing.assert_array_equal(traj.positions[0], p0)
    lr_b, beta_b = np.broadcast_to(lr, batch)[..., None], np.broadcast_to(beta, batch)[..., None]
    np.testing.assert_allclose(traj.positions[1], p0 - lr_b * (1 - beta_b) * surface.grad(p0), rtol=1e-14, atol=1e-15)


def test_a_single_start_against_hyperparameter_arrays():
    """A single 2-D point [x, y] with lr shaped (2,) or (3, 1): each trajectory starts at (x, y)."""
    for lr in (np.array([0.01, 0.02]), np.array([[0.01], [0.02], [0.03]])):
        traj = run(BOWL, optim.gd(lr=lr), [1.0, -0.5], 2)
        assert traj.positions.shape == (3, *lr.shape, 2)
        np.testing.assert_array_equal(traj.positions[0], np.broadcast_to([1.0, -0.5], (*lr.shape, 2)))
        g0 = np.array([13 * 1.0 + 12 * -0.5, 12 * 1.0 + 13 * -0.5])  # H p for the elongated bowl
        np.testing.assert_allclose(traj.positions[1], [1.0, -0.5] - lr[..., None] * g0, rtol=1e-15)


def test_newton_with_an_array_min_curvature_per_trajectory():
    """min_curvature broadcasts over the batch like the other hyperparameters (one floor per trajectory)."""
    floors = np.array([0.1, 1.0, 5.0])  # on the saddle |lambda| = 2: floors below 2 change nothing
    traj = run(surfaces.get("saddle"), optim.newton(safeguard=True, min_curvature=floors), [1.0, 0.5], 1)
    # (1, 0.5) - (2, -1) / max(2, floor)
    np.testing.assert_allclose(traj.positions[1], [[0.0, 1.0], [0.0, 1.0], [0.6, 0.7]], atol=1e-15)


# -- what counts as converged by the step ---------------------------------------------------------------------------

def test_a_crawling_run_has_not_converged_though_its_steps_are_short():
    """Adam's step is about η whatever the gradient: at η = 1e-7 every step is shorter than tol = 1e-6 from the
    start, 3.1 units from Rosenbrock's minimum; the run crawls (its steps never shrink), it has not converged."""
    traj = optim.run(surfaces.get("rosenbrock"), optim.adam(lr=1e-7), [[-1.5, 2.0]], 200)
    steps = np.linalg.norm(np.diff(traj.positions[:, 0], axis=0), axis=-1)
    assert steps.max() < 1e-6 and steps.min() > 0.5 * steps.max()  # short, and never shrinking
    assert traj.status[0] == optim.Status.RUNNING and traj.converged_by[0] == Criterion.NONE


def test_a_rate_decayed_to_zero_is_not_convergence():
    """A cosine schedule down to 0 makes the last steps as short as you like; measured at the base rate they are
    not. Plain GD with η = 1e-4 on Rosenbrock, 100 steps, is far from the minimum at the end (|∇f| > 1)."""
    sched = optim.schedules.Schedule("cosine", t_max=100, eta_min=0.0)
    traj = optim.run(surfaces.get("rosenbrock"), optim.make("gd", lr=1e-4, schedule=sched), [[-1.5, 2.0]], 100)
    g_end = surfaces.get("rosenbrock").grad(traj.positions[-1, 0])
    assert np.linalg.norm(g_end) > 1
    assert traj.status[0] == optim.Status.RUNNING


def test_a_step_that_has_shrunk_below_tol_is_convergence_by_the_step():
    """GD on f = 2w² + w + 4 at η = 0.2: w_t + 1/4 = (w_0 + 1/4)(1 − 4η)^t = 2.25 · 0.2^t from w_0 = 2, so the
    step |w_{t+1} − w_t| = 0.8 · 2.25 · 0.2^t falls below 1e-6 (and a thousandth of the first step) first at t = 9,
    while the gradient |4w + 1| = 9 · 0.2^t falls below 1e-6 only at t = 10."""
    traj = optim.run(surfaces.get("notes-quadratic"), optim.gd(lr=0.2), [[2.0]], 30)
    first_short = next(t for t in range(30) if 0.8 * 2.25 * 0.2**t < 1e-6)
    first_flat = next(t for t in range(30) if 9 * 0.2**t < 1e-6)
    assert (first_short, first_flat) == (9, 10)
    assert traj.status[0] == optim.Status.CONVERGED and traj.converged_by[0] == Criterion.STEP
    assert traj.event_step[0] == first_short
