"""Hyperparameter sweeps (``optim.sweep``) and the ``sweep`` command: axes, one vectorized call, cells that
equal single runs bit for bit, blocks that merge to the same grid, the CSV, and bad arguments."""

from __future__ import annotations

import csv
import io
import math

import numpy as np
import pytest

import optim.sweep as sweep_module
import surfaces
from optim import Status, make, run
from optim.cli import main
from optim.rates import measured_rates
from optim.sweep import (Axis, SweepSpec, merge, row_blocks, run_cell, sweep,
                         to_csv)


def cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    return main(list(argv), out, err), out.getvalue(), err.getvalue()


# -- axes -----------------------------------------------------------------------------------------------------

def test_axis_parse_and_values():
    a = Axis.parse("lr=1e-4:1:5:log")
    assert (a.param, a.low, a.high, a.count, a.log) == ("lr", 1e-4, 1.0, 5, True)
    np.testing.assert_allclose(a.values, [1e-4, 1e-3, 1e-2, 1e-1, 1.0], rtol=1e-12)
    assert a.values[0] == 1e-4 and a.values[-1] == 1.0  # exact end points
    b = Axis.parse("beta=0:0.99:100")
    assert not b.log and b.values[-1] == 0.99 and np.allclose(np.diff(b.values), 0.01)
    assert Axis.parse(str(a)) == a and Axis.parse(str(b)) == b
    assert Axis.parse("momentum=0:0.5:3", aliases={"momentum": "beta"}).param == "beta"
    assert a.nearest(2e-3) == 1 and a.nearest(5e-3) == 2 and a.nearest(100.0) == 4 and a.nearest(-1) == 0
    assert Axis("lr", 0.1, 0.1, 1).values.tolist() == [0.1]


@pytest.mark.parametrize("text, phrase", [
    ("lr", "a grid is PARAM=LOW:HIGH:COUNT"),
    ("lr=1:2", "a grid is PARAM=LOW:HIGH:COUNT"),
    ("lr=1:2:3:squared", "a grid is PARAM=LOW:HIGH:COUNT"),
    ("lr=a:2:3", "the range of lr must be two numbers"),
    ("lr=1:2:3.5", "must be a whole number"),
    ("lr=1:2:0", "must be 1 to 1000"),
    ("lr=1:2:1001", "must be 1 to 1000"),
    ("lr=2:1:3", "must go from low to high"),
    ("lr=1:1:3", "must go from low to high"),
    ("lr=nan:1:3", "must be finite"),
    ("lr=0:1:3:log", "needs a range above 0"),
])
def test_bad_axes_are_refused_with_a_reason(text, phrase):
    with pytest.raises(ValueError, match=phrase):
        Axis.parse(text)


def test_spec_validation():
    lr, beta = Axis("lr", 0.01, 1, 3, True), Axis("beta", 0, 0.9, 3)
    SweepSpec("bowl", "momentum", (1, 1), 10, (lr, beta))
    with pytest.raises(ValueError, match="no hyperparameter 'beta1'"):
        SweepSpec("bowl", "momentum", (1, 1), 10, (lr, Axis("beta1", 0, 0.9, 3)))
    with pytest.raises(ValueError, match="different hyperparameters"):
        SweepSpec("bowl", "momentum", (1, 1), 10, (lr, lr))
    with pytest.raises(ValueError, match="cannot also be fixed"):
        SweepSpec("bowl", "momentum", (1, 1), 10, (lr,), fixed=(("lr", 0.1),))
    with pytest.raises(ValueError, match="needs 2 finite numbers"):
        SweepSpec("bowl", "momentum", (1,), 10, (lr,))
    with pytest.raises(ValueError, match="steps must be"):
        SweepSpec("bowl", "momentum", (1, 1), 0, (lr,))
    with pytest.raises(ValueError, match="beta .* below 1"):
        SweepSpec("bowl", "momentum", (1, 1), 10, (lr, Axis("beta", 0.5, 1.0, 3)))
    with pytest.raises(ValueError, match="unknown surface"):
        SweepSpec("nowhere", "momentum", (1, 1), 10, (lr,))


# -- the grid is one call, and its cells are single runs ----------------------------------------------------------

def test_the_whole_grid_is_one_vectorized_call(monkeypatch):
    calls = []
    real_run = sweep_module.run

    def counting_run(surface, optimizer, starts, steps, **kw):
        calls.append({k: np.shape(v) for k, v in optimizer.hyperparams.items()})
        return real_run(surface, optimizer, starts, steps, **kw)

    monkeypatch.setattr(sweep_module, "run", counting_run)
    spec = SweepSpec("rosenbrock", "adam", (-1.5, 2.0), 50,
                     (Axis("lr", 1e-4, 1, 200, True), Axis("beta1", 0, 0.99, 200)))
    result = sweep(spec)
    assert calls == [{"lr": (200, 1), "beta1": (1, 200), "beta2": (), "eps": ()}]
    assert result.status.shape == (200, 200) and result.final_position.shape == (200, 200, 2)


SPOT_CHECKS = [  # (surface, optimizer, convention, axes, fixed)
    ("rosenbrock", "adam", "notes", ("lr=1e-4:1:40:log", "beta1=0:0.99:30"), ()),
    ("elongated-bowl", "momentum", "notes", ("lr=1e-3:2:40:log", "beta=0:0.99:30"), ()),
    ("elongated-bowl", "nesterov", "pytorch", ("lr=1e-3:2:40:log", "beta=0:0.99:30"), ()),
    ("himmelblau", "rmsprop", "notes", ("lr=1e-4:1:30:log", "rho=0:0.999:20"), (("eps", 1e-6),)),
    ("himmelblau", "adagrad", "pytorch", ("lr=1e-3:3:30:log", "eps=1e-10:1:20:log"), ()),
    ("rastrigin", "adadelta", "notes", ("rho=0.5:0.999:30", "lr=0.1:3:20:log"), ()),
    ("two-minima", "adam", "notes", ("beta2=0.5:0.9999:30", "eps=1e-8:0.1:20:log"), (("lr", 0.05),)),
    ("quartic", "gd", "notes", ("lr=1e-3:0.2:60:log",), ()),
    ("saddle", "newton", "notes", ("lr=0.05:2:30:log",), ()),
    ("bowl", "sgd", "notes", ("lr=1e-3:1:40:log",), ()),  # noisy gradient: the cell's id keys its noise
    ("linear-regression", "sgd", "notes", ("lr=1e-3:0.5:40:log",), ()),  # real mini-batches
]


@pytest.mark.parametrize("surface, name, convention, axes, fixed", SPOT_CHECKS, ids=lambda v: str(v))
def test_spot_checked_cells_equal_single_runs(surface, name, convention, axes, fixed):
    s = surfaces.get(surface)
    spec = SweepSpec(surface, name, s.starts[0], 150, tuple(Axis.parse(a) for a in axes), fixed, convention)
    grid = sweep(spec)
    n1, n2 = spec.shape
    rng = np.random.default_rng(0)
    cells = {(0, 0), (n1 - 1, n2 - 1)} | {(int(rng.integers(n1)), int(rng.integers(n2))) for _ in range(6)}
    for status in Status:  # one cell of every status the grid has
        where = np.argwhere(grid.status == status)
        if where.size:
            cells.add(tuple(int(k) for k in where[len(where) // 2]))
    for i, j in sorted(cells):
        # a single run written out independently: scalar hyperparameters, the cell's id for its noise
        hyper = dict(spec.base_hyperparameters())
        hyper[spec.axes[0].param] = float(spec.axes[0].values[i])
        if len(spec.axes) > 1:
            hyper[spec.axes[1].param] = float(spec.axes[1].values[j])
        single = run(s, make(name, convention, **hyper), list(s.starts[0]), 150, ids=np.int64(i * n2 + j))
        assert single.status == grid.status[i, j], (i, j)
        assert single.event_step == grid.event_step[i, j], (i, j)
        np.testing.assert_array_equal(single.final_position, grid.final_position[i, j])
        np.testing.assert_array_equal(single.final_loss, grid.final_loss[i, j])
        if single.status != Status.DIVERGED:  # a diverged run's table stops where it left the bound
            np.testing.assert_array_equal(single.positions[-1], grid.final_position[i, j])
        # and run_cell, which the page uses, is that same run
        again = run_cell(spec, (i, j))
        np.testing.assert_array_equal(again.positions, single.positions)
    assert not np.isnan(grid.final_loss).any() and not np.isnan(grid.final_position).any()


def test_blocks_of_rows_merge_to_the_same_grid():
    spec = SweepSpec("bowl", "sgd", (-1.5, 1.2), 200, (Axis.parse("lr=1e-3:1.5:37:log"),))
    blocks = row_blocks(spec, single_call=1000, block=1000)
    assert len(blocks) > 5 and blocks[0][0] == 0 and blocks[-1][1] == 37
    assert all(a[1] == b[0] for a, b in zip(blocks, blocks[1:]))
    whole, merged = sweep(spec), merge([sweep(spec, rows) for rows in reversed(blocks)])
    for name in ("status", "event_step", "final_loss", "final_position"):
        np.testing.assert_array_equal(getattr(merged, name), getattr(whole, name))
    assert row_blocks(SweepSpec("rosenbrock", "adam", (-1.5, 2.0), 500, (Axis("lr", 1e-4, 1, 200, True),
                                                                          Axis("beta1", 0, 0.99, 200)))) == [(0, 200)]
    with pytest.raises(ValueError, match="consecutive"):
        merge([sweep(spec, (0, 5)), sweep(spec, (6, 9))])


def test_outcomes_cover_converged_running_and_diverged():
    spec = SweepSpec("bowl", "gd", (1.0, 1.0), 40, (Axis.parse("lr=0.01:1.5:50:log"),))
    result = sweep(spec)
    lr = spec.axes[0].values
    # GD on x^2 + y^2 multiplies the error by 1 - 2 eta: it can only diverge when eta > 1, and from
    # |1 - 2 eta| = 1.5 on it leaves the bound 1e6 within the 40 steps
    diverged = result.status[:, 0] == Status.DIVERGED
    assert np.all(lr[diverged] > 1) and np.all(diverged[lr >= 1.25])
    assert result.counts()["converged"] > 0 and result.counts()["running"] > 0
    assert np.all(result.event_step[result.status == Status.RUNNING] == -1)
    assert np.all(result.event_step[result.status != Status.RUNNING] >= 1)


# -- CSV and the command line ------------------------------------------------------------------------------------

def test_csv_has_one_row_per_cell_at_full_precision():
    spec = SweepSpec("bowl", "momentum", (-1.5, 1.2), 60,
                     (Axis.parse("lr=0.01:3:7:log"), Axis.parse("beta=0:0.9:4")))
    result = sweep(spec)
    rows = list(csv.DictReader(io.StringIO(to_csv(result))))
    assert list(rows[0]) == ["lr", "beta", "final_loss", "status", "step"]
    assert len(rows) == 28
    for k, row in enumerate(rows):
        i, j = divmod(k, 4)  # the first axis is the outer loop
        assert float(row["lr"]) == spec.axes[0].values[i] and float(row["beta"]) == spec.axes[1].values[j]
        assert float(row["final_loss"]) == result.final_loss[i, j]  # round-trips bit for bit
        assert row["status"] == Status(result.status[i, j]).label
        assert row["step"] == ("" if result.status[i, j] == Status.RUNNING else str(result.event_step[i, j]))
    assert {r["status"] for r in rows} == {"converged", "running", "diverged"}
    assert "nan" not in to_csv(result).lower()


def test_sweep_command_writes_the_grid():
    code, out, err = cli("sweep", "--surface", "rosenbrock", "--optimizer", "adam", "--x0", "-1.5", "2",
                         "--steps", "100", "--grid", "lr=1e-3:1:4:log", "--grid", "beta1=0:0.99:3", "--beta2", "0.99")
    assert code == 0 and err == ""
    spec = SweepSpec("rosenbrock", "adam", (-1.5, 2.0), 100,
                     (Axis("lr", 1e-3, 1, 4, True), Axis("beta1", 0, 0.99, 3)), (("beta2", 0.99),))
    assert out == to_csv(sweep(spec))
    assert len(out.splitlines()) == 1 + 12


def test_sweep_command_with_one_axis_and_the_momentum_alias():
    code, out, _ = cli("sweep", "--surface", "notes-quadratic", "--optimizer", "momentum", "--x0", "2", "--steps",
                       "30", "--grid", "momentum=0:0.9:4", "--lr", "0.2", "--convention", "pytorch")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [float(r["beta"]) for r in rows] == pytest.approx([0, 0.3, 0.6, 0.9])
    single = run(surfaces.get("notes-quadratic"), make("momentum", "pytorch", lr=0.2, beta=0.3), [2.0], 30,
                 ids=np.int64(1))
    assert float(rows[1]["final_loss"]) == float(single.final_loss)


@pytest.mark.parametrize("extra, phrase", [
    (["--grid", "lr=0:1:3:log"], "needs a range above 0"),
    (["--grid", "lr=0.1:1:3", "--grid", "lr=0.1:1:3"], "different hyperparameters"),
    (["--grid", "foo=1:2:3"], "has no hyperparameter 'foo'"),
    (["--grid", "lr=1:2"], "a grid is PARAM=LOW:HIGH:COUNT"),
    (["--grid", "beta=0:1.2:3"], "below 1"),
    (["--grid", "lr=0.1:1:3", "--lr", "0.1"], "--lr fixes lr, which --grid sweeps"),
    (["--grid", "lr=0.1:1:3", "--grid", "beta=0:0.5:3", "--grid", "beta=0:0.5:2"], "one or two --grid"),
    (["--grid", "lr=0.1:1:3", "--eps", "1"], "does not take --eps"),
    (["--grid", "lr=0.1:1:3", "--steps", "0"], "steps must be"),
    (["--steps", "5"], "the following arguments are required: --grid"),
])
def test_sweep_command_bad_arguments_exit_2_with_one_line(extra, phrase):
    argv = ["sweep", "--surface", "bowl", "--optimizer", "momentum", "--x0", "1", "1", "--steps", "5", *extra]
    code, out, err = cli(*argv)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("error: ") and phrase in err, err


def test_trace_still_works():
    code, out, _ = cli("trace", "--surface", "notes-quadratic", "--optimizer", "gd", "--x0", "2", "--steps", "3",
                       "--lr", "0.1")
    assert code == 0 and out.splitlines()[1].startswith("1,2.0,14.0,9.0,1.1")


def test_sweep_command_runs_as_a_module():
    import subprocess
    import sys

    p = subprocess.run([sys.executable, "-m", "optim", "sweep", "--surface", "bowl", "--optimizer", "gd", "--x0", "1",
                        "1", "--steps", "10", "--grid", "lr=0.1:2:3"], capture_output=True, text=True)
    assert p.returncode == 0 and p.stdout.splitlines()[0] == "lr,final_loss,status,step"
    p = subprocess.run([sys.executable, "-m", "optim", "sweep", "--surface", "bowl", "--optimizer", "gd", "--x0", "1",
                        "1", "--steps", "10", "--grid", "lr=0.1:2"], capture_output=True, text=True)
    assert p.returncode == 2 and p.stderr.count("\n") == 1 and "Traceback" not in p.stderr


# -- measured rates ----------------------------------------------------------------------------------------------

def test_measured_rates_of_gd_on_the_bowl_are_exact():
    """GD on x^2 + y^2 multiplies the error by exactly |1 - 2 eta| each step."""
    spec = SweepSpec("bowl", "gd", (-1.5, 1.2), 120, (Axis.parse("lr=0.01:1.2:30:log"),))
    m = measured_rates(spec, block_bytes=10_000)  # many small blocks
    expected = np.abs(1 - 2 * spec.axes[0].values)
    ok = expected < 0.999
    np.testing.assert_allclose(m.rate[ok, 0], np.maximum(expected[ok], 0), rtol=1e-9, atol=1e-6)
    lr = spec.axes[0].values
    assert np.all(m.rate[lr > 1.0005, 0] > 1) and np.all(m.rate[m.diverged] >= 1) and m.diverged[-1, 0]
    assert m.steps == 120 and math.isfinite(m.rate.max())


def test_measured_rates_need_a_minimum():
    spec = SweepSpec("saddle", "gd", (-1.8, 0.05), 10, (Axis.parse("lr=0.01:0.1:3"),))
    with pytest.raises(ValueError, match="no minimum"):
        measured_rates(spec)


@pytest.mark.parametrize("axis", [Axis("lr", 1e-4, 1.0, 200, log=True), Axis("beta", 0.0, 0.99, 200),
                                  Axis("lr", 0.001, 1.0, 30, log=True), Axis("eps", 1e-8, 1e-8, 1)])
def test_a_cell_s_short_value_names_the_same_cell_in_few_digits(axis):
    """Every value of the grid, written with the fewest digits (at least 3) that still pick it: the text reads back
    to the same number, picks the same cell, and is never longer than the exact value's shortest text."""
    values = axis.values
    for k in range(axis.count):
        short = axis.short_value(k)
        assert float(repr(short)) == short and axis.nearest(short) == k
        assert len(repr(short)) <= len(repr(float(values[k])))
        digits = len(f"{short:e}".split("e")[0].replace(".", "").replace("-", "").rstrip("0"))
        if digits > 3:  # one digit fewer would pick a neighbour
            fewer = float(f"{float(values[k]):.{digits - 1}g}")
            assert axis.nearest(fewer) != k
    # 200 log-spaced rates: neighbours differ by 10^(4/199) = 1.047, so 3 digits always suffice
    assert max(len(f"{axis.short_value(k):e}".split("e")[0].replace(".", "").rstrip("0"))
               for k in range(axis.count)) <= (3 if axis.count <= 200 and axis.log else 4)
