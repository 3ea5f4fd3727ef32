"""Large batches run in parallel chunks: the result must not depend on the split, and argument checks.

The number of threads is set here with ``OPTIM_THREADS`` (the core's default is the machine's core count), so
these tests split the same way on 1, 2 or 64 cores; each thread takes at least ``PARALLEL_MIN_CHUNK``
trajectories.
"""

from __future__ import annotations

import importlib
import threading

import numpy as np
import pytest

from optim import gd, make, run, sgd
from surfaces import get

ROSENBROCK = get("rosenbrock")
RUN_MODULE = importlib.import_module("optim.run")  # ``optim.run`` is also the name of the function


@pytest.fixture
def threads_started(monkeypatch) -> list[threading.Thread]:
    """The threads started while the test runs (the chunks of a split batch run in threads)."""
    started = []
    real_start = threading.Thread.start

    def start(thread):
        started.append(thread)
        return real_start(thread)

    monkeypatch.setattr(threading.Thread, "start", start)
    return started


def test_chunked_run_equals_single_runs_and_an_unsplit_run(monkeypatch, threads_started):
    rng = np.random.default_rng(1)
    starts = np.column_stack([rng.uniform(-2, 2, 30_000), rng.uniform(-1, 3, 30_000)])
    lr = np.geomspace(1e-5, 1e-2, 30_000)  # the large rates diverge, so parking and freezing are exercised
    assert 30_000 >= 2 * RUN_MODULE.PARALLEL_MIN_CHUNK, "large enough for two chunks"
    monkeypatch.setenv("OPTIM_THREADS", "2")
    batched = run(ROSENBROCK, gd(lr=lr), starts, 60, record="path")
    assert threads_started, "two threads were allowed: the batch was split"
    assert (batched.status == 2).any() and (batched.status != 2).any()
    monkeypatch.setenv("OPTIM_THREADS", "1")
    threads_started.clear()
    whole = run(ROSENBROCK, gd(lr=lr), starts, 60, record="path")
    assert not threads_started, "one thread: the batch ran whole"
    np.testing.assert_array_equal(batched.positions, whole.positions)
    np.testing.assert_array_equal(batched.status, whole.status)
    cells = [0, 14_999, 15_000, 29_999, int(np.argmax(batched.status == 2))]  # both sides of the halves' border
    for i in cells:
        one = run(ROSENBROCK, gd(lr=lr[i]), starts[i], 60, record="path")
        np.testing.assert_array_equal(one.positions, batched.positions[:, i])
        assert one.status == batched.status[i] and one.event_step == batched.event_step[i]


@pytest.mark.parametrize("threads", ["2", "3", "7", "64"])
def test_any_thread_count_gives_the_same_numbers(monkeypatch, threads_started, threads):
    """Small chunks (a smaller minimum per thread) make uneven splits of a small batch: 1 to 64 threads agree."""
    monkeypatch.setattr(RUN_MODULE, "PARALLEL_MIN_CHUNK", 7)
    rng = np.random.default_rng(2)
    starts = np.column_stack([rng.uniform(-2, 2, 50), rng.uniform(-1, 3, 50)])
    momentum = make("momentum", lr=np.geomspace(1e-4, 0.05, 50), beta=0.9)  # the largest rates diverge
    monkeypatch.setenv("OPTIM_THREADS", "1")
    whole = run(ROSENBROCK, momentum, starts, 40, record="all")
    assert not threads_started and (whole.status == 2).any() and (whole.status != 2).any()
    monkeypatch.setenv("OPTIM_THREADS", threads)
    split = run(ROSENBROCK, momentum, starts, 40, record="all")
    assert threads_started
    for field in ("positions", "losses", "status", "event_step", "final_position"):
        np.testing.assert_array_equal(getattr(split, field), getattr(whole, field), err_msg=field)
    for name in whole.state:
        np.testing.assert_array_equal(split.state[name], whole.state[name], err_msg=name)


def test_chunked_grid_with_divergence_keeps_each_cell_its_own(monkeypatch, threads_started):
    lr = np.geomspace(1e-4, 2e-2, 160)[:, None]
    beta = np.linspace(0.0, 0.99, 160)[None, :]
    monkeypatch.setenv("OPTIM_THREADS", "2")
    grid = run(ROSENBROCK, make("momentum", lr=lr, beta=beta), [-1.5, 2.0], 120, record="all")
    assert threads_started, "a grid of 160 x 160 is split"
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
