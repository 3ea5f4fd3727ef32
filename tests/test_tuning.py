"""The fair race's tuning (``optim.tuning``): the tuned settings are the best cell of a brute-force grid run cell
by cell here, by each criterion; the good band is read off that grid; the sweep's recorded path equals single runs."""

from __future__ import annotations

import math

import numpy as np
import pytest

import surfaces
from optim import Status, make, run
from optim.sweep import run_cell, sweep
from optim.tuning import BAND_FACTOR, tune, tuning_axes, tuning_spec

CASES = [("rosenbrock", "momentum", 150), ("rosenbrock", "adam", 150), ("bowl", "gd", 40), ("beale", "nesterov", 80),
         ("himmelblau", "newton", 20)]


def brute_force(surface_name, name, steps, criterion, tol=1e-3, measure="loss"):
    """Every cell of the grid run alone from the docstring's definitions: (values per axis, score, mean log)."""
    s = surfaces.get(surface_name)
    axes = tuning_axes(name, 2, 4)
    lrs = axes[0].values
    betas = axes[1].values if len(axes) > 1 else [None]
    f_star = min(m.value for m in s.minima)
    score = np.empty((len(lrs), len(betas)))
    mean_log = np.empty_like(score)
    for i, lr in enumerate(lrs):
        for j, beta in enumerate(betas):
            hyper = {"lr": float(lr)} | ({axes[1].param: float(beta)} if beta is not None else {})
            traj = run(s, make(name, **hyper), list(s.starts[0]), steps, record="path", noise=0.0)
            if int(traj.status) in (Status.DIVERGED, Status.LEFT_DOMAIN):
                score[i, j] = mean_log[i, j] = math.inf
                continue
            gaps = [max(float(f) - f_star, 1e-12) for f in traj.losses]
            logs = [math.log10(g) for g in gaps]
            mean_log[i, j] = sum(logs) / len(logs)
            if criterion == "mean-log":
                score[i, j] = mean_log[i, j]
            elif criterion == "final":
                score[i, j] = logs[-1]
            else:
                if measure == "loss":
                    close = [float(f) - f_star <= tol for f in traj.losses]
                else:
                    close = [min(math.dist(p, m.point) for m in s.minima) <= tol for p in traj.positions]
                score[i, j] = close.index(True) if any(close) else steps + 1
    return axes, score, mean_log


def best_of(score, mean_log):
    cells = [(score[i, j], mean_log[i, j], i * score.shape[1] + j, (i, j))
             for i in range(score.shape[0]) for j in range(score.shape[1])]
    return min(cells)[3]


@pytest.mark.parametrize("surface_name,name,steps", CASES)
@pytest.mark.parametrize("criterion", ["mean-log", "final", "steps"])
def test_tuned_settings_are_the_best_cell_of_an_independent_grid(surface_name, name, steps, criterion):
    s = surfaces.get(surface_name)
    t = tune(tuning_spec(surface_name, name, s.starts[0], steps, lr_per_decade=2, momentum_count=4), criterion)
    axes, score, mean_log = brute_force(surface_name, name, steps, criterion)
    np.testing.assert_allclose(t.score, score, rtol=1e-9, atol=1e-12)
    i, j = best_of(score, mean_log)
    assert t.best == (i, j)
    assert math.isclose(t.best_hyper["lr"], axes[0].values[i], rel_tol=1e-2)
    if len(axes) > 1:
        assert math.isclose(t.best_hyper[axes[1].param], axes[1].values[j], rel_tol=1e-2, abs_tol=1e-9)
    assert t.spec.nearest_cell(tuple(t.best_hyper.values())) == (i, j), "the short values still name the cell"

    # the good band: the contiguous learning rates around the best whose score is within the factor
    column, factor = score[:, j], BAND_FACTOR[criterion]
    limit = column[i] + math.log10(factor) if criterion != "steps" else column[i] * factor
    lo = hi = i
    while lo > 0 and column[lo - 1] <= limit:
        lo -= 1
    while hi < len(column) - 1 and column[hi + 1] <= limit:
        hi += 1
    assert t.in_band.tolist() == [lo <= k <= hi for k in range(len(column))]
    assert t.band == (axes[0].values[lo], axes[0].values[hi])
    assert math.isclose(t.band_decades, math.log10(axes[0].values[hi] / axes[0].values[lo]), abs_tol=1e-12)


def test_steps_to_tolerance_in_distance():
    t = tune(tuning_spec("bowl", "momentum", (-1.5, 1.2), 60, lr_per_decade=2, momentum_count=4), "steps",
             tol=1e-2, measure="distance")
    _, score, mean_log = brute_force("bowl", "momentum", 60, "steps", tol=1e-2, measure="distance")
    np.testing.assert_array_equal(t.score, score)
    assert t.best == best_of(score, mean_log)


def test_diverged_cells_score_infinity_and_are_labelled():
    t = tune(tuning_spec("rosenbrock", "gd", (-1.5, 2.0), 100, lr_per_decade=2))
    assert t.failed[-1, 0] and t.score[-1, 0] == math.inf  # lr = 10 leaves the plane
    assert not np.isnan(t.score).any()
    assert not t.in_band[t.failed[:, 0]].any()


def test_the_grid_of_learning_rates_holds_the_powers_of_ten():
    assert 1.0 in [round(v, 12) for v in tuning_axes("newton")[0].values]  # Newton's pure step
    lr, beta = tuning_axes("adam")
    assert (lr.low, lr.high, lr.count, beta.param) == (1e-4, 10.0, 51, "beta1")
    assert tuning_axes("rmsprop")[0].param == "lr" and len(tuning_axes("rmsprop")) == 1  # no β: lr only


def test_path_sweep_equals_single_cells_and_keeps_options():
    spec = tuning_spec("beale", "adam", (1.0, 1.0), 50, lr_per_decade=1, momentum_count=3,
                       options={"bias_correction": False})
    result = sweep(spec, path=True)
    assert result.losses.shape == (51, 6, 3) and result.positions.shape == (51, 6, 3, 2)
    for cell in [(0, 0), (3, 1), (5, 2)]:
        one = run_cell(spec, cell, record="path")
        assert one.options["bias_correction"] is False
        np.testing.assert_array_equal(result.losses[:, cell[0], cell[1]], one.losses)
        np.testing.assert_array_equal(result.positions[:, cell[0], cell[1]], one.positions)
