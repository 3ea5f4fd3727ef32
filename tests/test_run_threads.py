"""Large batches run in parallel chunks: the result must not depend on the split, and argument checks."""

from __future__ import annotations

import numpy as np
import pytest

from optim.run import _chunks
from optim import gd, make, run, sgd
from surfaces import get

ROSENBROCK = get("rosenbrock")


def test_chunked_run_equals_single_runs_and_an_unsplit_run(monkeypatch):
    rng = np.random.default_rng(1)
    starts = np.column_stack([rng.uniform(-2, 2, 30_000), rng.uniform(-1, 3, 30_000)])
    lr = np.geomspace(1e-5, 1e-2, 30_000)  # the large rates diverge, so parking and freezing are exercised
    assert len(_chunks(30_000)) == 2
    batched = run(ROSENBROCK, gd(lr=lr), starts, 60, record="path")
    assert (batched.status == 2).any() and (batched.status != 2).any()
    monkeypatch.setenv("OPTIM_THREADS", "1")
    assert len(_chunks(30_000)) == 1
    whole = run(ROSENBROCK, gd(lr=lr), starts, 60, record="path")
    np.testing.assert_array_equal(batched.positions, whole.positions)
    np.testing.assert_array_equal(batched.status, whole.status)
    cells = [0, 14_999, 15_000, 29_999, int(np.argmax(batched.status == 2))]  # both sides of the split
    for i in cells:
        one = run(ROSENBROCK, gd(lr=lr[i]), starts[i], 60, record="path")
        np.testing.assert_array_equal(one.positions, batched.positions[:, i])
        assert one.status == batched.status[i] and one.event_step == batched.event_step[i]


def test_chunked_grid_with_divergence_keeps_each_cell_its_own():
    lr = np.geomspace(1e-4, 2e-2, 160)[:, None]
    beta = np.linspace(0.0, 0.99, 160)[None, :]
    assert len(_chunks(160 * 160)) == 2
    grid = run(ROSENBROCK, make("momentum", lr=lr, beta=beta), [-1.5, 2.0], 120, record="all")
    diverged = np.argwhere(grid.status == 2)
    assert len(diverged) > 0 and (grid.status != 2).any()
    for i, j in [tuple(diverged[0]), tuple(diverged[-1]), (0, 0), (64, 64)]:
        one = run(ROSENBROCK, make("momentum", lr=lr[i, 0], beta=beta[0, j]), [-1.5, 2.0], 120)
        np.testing.assert_array_equal(one.positions, grid.positions[:, i, j])
        np.testing.assert_array_equal(one.state["v"], grid.state["v"][:, i, j])
        assert not np.isnan(grid.positions[:, i, j]).any()


@pytest.mark.parametrize(
    "kwargs, phrase",
    [({"tol": np.array([1e-6, 1e-5])}, "tol must be one positive number"),
     ({"bound": -1.0}, "bound must be one positive number"),
     ({"seed": 1.5}, "seed must be a whole number"),
     ({"seed": -1}, "seed must be a whole number"),
     ({"ids": np.zeros((3, 2))}, "ids must be whole numbers shaped like the batch")],
)
def test_bad_run_arguments_raise_a_readable_value_error(kwargs, phrase):
    with pytest.raises(ValueError, match=phrase):
        run(get("bowl"), gd(lr=0.1), [[1.0, 1.0], [0.5, 0.5]], 5, **kwargs)


def test_noise_and_batch_size_together_are_refused():
    with pytest.raises(ValueError, match="either a batch size .* or gradient noise"):
        run(get("linear-regression"), sgd(lr=0.05), [0.0, 0.0], 5, batch_size=4, noise=0.5)
    # a batch size alone turns off SGD's default noise: the path is the real mini-batch path
    a = run(get("linear-regression"), sgd(lr=0.05), [0.0, 0.0], 5, batch_size=4, seed=2)
    assert a.noise == 0.0 and a.batch_size == 4


def test_newton_state_before_the_first_step_is_zero_not_nan():
    t = run(get("quartic"), make("newton"), [[0.3], [1.5]], 3)
    assert not np.isnan(t.state["curvature"]).any()
    np.testing.assert_array_equal(t.state["curvature"][0], 0.0)
