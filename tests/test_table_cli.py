"""Iteration tables, their CSV, and the command line ``python -m optim``."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import optim
import surfaces
from optim import registry, run

ROOT = Path(__file__).resolve().parents[1]

BASE_1D = ("iteration", "w", "f(w)", "f'(w)", "w_next")
BASE_2D = ("iteration", "x", "y", "f", "df/dx", "df/dy", "x_next", "y_next")

# The state columns each optimizer adds after the base columns, in 1-D and in 2-D.
STATE_COLUMNS = {
    ("gd", "notes"): ((), ()),
    ("sgd", "notes"): ((), ()),
    ("momentum", "notes"): (("v",), ("v_x", "v_y")),
    ("momentum", "pytorch"): (("v",), ("v_x", "v_y")),
    ("nesterov", "notes"): (("v", "w_look"), ("v_x", "v_y", "x_look", "y_look")),
    ("nesterov", "pytorch"): (("v",), ("v_x", "v_y")),
    ("adagrad", "notes"): (("G", "lr_eff"), ("G_x", "G_y", "lr_eff_x", "lr_eff_y")),
    ("rmsprop", "notes"): (("s", "lr_eff"), ("s_x", "s_y", "lr_eff_x", "lr_eff_y")),
    ("adadelta", "notes"): (("s", "u", "lr_eff"), ("s_x", "s_y", "u_x", "u_y", "lr_eff_x", "lr_eff_y")),
    ("adam", "notes"): (("m", "v", "lr_eff"), ("m_x", "m_y", "v_x", "v_y", "lr_eff_x", "lr_eff_y")),
    ("newton", "notes"): (("f''(w)",), ("lambda_1", "lambda_2")),
}


@pytest.mark.parametrize("name, convention", list(STATE_COLUMNS))
def test_table_columns_in_order(name, convention):
    one_d, two_d = STATE_COLUMNS[(name, convention)]
    opt = optim.make(name, convention)
    t1 = run(surfaces.get("quartic"), opt, [0.3], 4, noise=0.0)
    assert optim.iteration_table(t1).columns == BASE_1D + one_d
    t2 = run(surfaces.get("rosenbrock"), opt, [-1.5, 2.0], 4, noise=0.0)
    assert optim.iteration_table(t2).columns == BASE_2D + two_d
    # Linear regression names its coordinates w and b.
    t3 = run(surfaces.get("linear-regression"), opt, [0.0, 0.0], 4, batch_size=10_000)
    lr_state = tuple(c.replace("_x", "_w").replace("_y", "_b").replace("x_look", "w_look").replace("y_look", "b_look")
                     for c in two_d)
    assert optim.iteration_table(t3).columns == (
        "iteration", "w", "b", "f", "df/dw", "df/db", "w_next", "b_next") + lr_state


@pytest.mark.parametrize("name, convention", list(STATE_COLUMNS))
def test_table_rows_are_the_trajectory_step_by_step(name, convention):
    """Row i: the point before step i, its loss, the gradient step i used, the point after, the state after."""
    steps = 6
    s = surfaces.get("rosenbrock")
    traj = run(s, optim.make(name, convention, lr=1e-3), np.array([[-1.5, 2.0], [0.5, 0.5], [1.2, 1.0]]), steps,
               noise=0.0)
    table = optim.iteration_table(traj, 1)
    assert table.data.shape == (steps, len(table.columns))
    np.testing.assert_array_equal(table.column("iteration"), np.arange(1, steps + 1))
    np.testing.assert_array_equal(table.data[:, 1:3], traj.positions[:-1, 1])
    np.testing.assert_array_equal(table.column("f"), traj.losses[:-1, 1])
    np.testing.assert_array_equal(table.data[:, 4:6], traj.gradients[:, 1])
    np.testing.assert_array_equal(table.data[:, 6:8], traj.positions[1:, 1])
    state = [traj.state[k][1:, 1] for k in traj.state]
    np.testing.assert_array_equal(table.data[:, 8:], np.concatenate(state, axis=1) if state else np.empty((steps, 0)))
    # A table of one cell of a batch is the table of that run made alone.
    alone = run(s, optim.make(name, convention, lr=1e-3), [0.5, 0.5], steps, noise=0.0, ids=1)
    np.testing.assert_array_equal(optim.iteration_table(alone).data, table.data)


def test_table_needs_a_full_record():
    traj = run(surfaces.get("bowl"), optim.gd(lr=0.1), [1.0, 1.0], 3, record="path")
    with pytest.raises(ValueError, match="record='all'"):
        optim.iteration_table(traj)


def test_table_of_a_batched_grid_by_index():
    s = surfaces.get("notes-quadratic")
    lr = np.array([0.1, 0.2, 0.5])[:, None]
    traj = run(s, optim.gd(lr=lr), [[2.0], [1.0]], 5)  # batch (3, 2)
    for i, eta in enumerate((0.1, 0.2, 0.5)):
        for j, w0 in enumerate((2.0, 1.0)):
            w = -0.25 + (w0 + 0.25) * (1 - 4 * eta) ** np.arange(6)
            np.testing.assert_allclose(optim.iteration_table(traj, (i, j)).column("w"), w[:-1], rtol=1e-13,
                                       atol=1e-15)


# -- CSV at full precision ------------------------------------------------------------------------------------------


def _q():
    return surfaces.get("notes-quadratic")


def _r():
    return surfaces.get("rosenbrock")


# Tables built inside the tests (not at collection), each stressing the CSV differently.
TABLES = {
    "gd": lambda: optim.iteration_table(run(_q(), optim.gd(lr=0.1), [2.0], 21)),
    "adam": lambda: optim.iteration_table(run(_r(), optim.adam(lr=0.05), [-1.5, 2.0], 40)),
    "nesterov": lambda: optim.iteration_table(run(_r(), optim.make("nesterov", beta=0.9, lr=1e-3), [-1.5, 2.0], 40)),
    "diverged": lambda: optim.iteration_table(run(_q(), optim.gd(lr=0.6), [2.0], 60)),  # 39 rows
    "overflow": lambda: optim.iteration_table(run(_r(), optim.newton(), [[0.0, 0.005]], 3), 0),  # inf cells
    "zeros": lambda: optim.iteration_table(run(surfaces.get("saddle"), optim.gd(lr=0.5), [0.0, 1.0], 3)),
}


def _same_bits(a, b) -> bool:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return a.shape == b.shape and np.array_equal(a.view(np.int64), b.view(np.int64))


@pytest.mark.parametrize("case", list(TABLES))
def test_csv_reads_back_bit_for_bit(case):
    table = TABLES[case]()
    text = optim.to_csv(table)
    lines = text.splitlines()
    assert lines[0] == ",".join(table.columns)
    assert len(lines) == 1 + len(table.data) and text.endswith("\n")
    assert [line.split(",")[0] for line in lines[1:]] == [str(i) for i in range(1, len(table.data) + 1)]
    # Python's csv module
    rows = list(csv.reader(io.StringIO(text)))
    assert tuple(rows[0]) == table.columns
    assert _same_bits([[float(v) for v in row] for row in rows[1:]], table.data)
    # pandas
    frame = pd.read_csv(io.StringIO(text))
    assert tuple(frame.columns) == table.columns
    assert frame["iteration"].dtype.kind == "i"
    assert _same_bits(frame.to_numpy(dtype=float), table.data)


def test_csv_needs_more_than_default_precision():
    """The check above has teeth: the Adam table has values that 15 significant digits do not round-trip."""
    table = TABLES["adam"]()
    short = np.array([[float(f"{v:.15g}") for v in row] for row in table.data])
    assert not _same_bits(short, table.data)


# -- the command line -------------------------------------------------------------------------------------------------

GOOD = {
    "notes": ["--surface", "notes-quadratic", "--optimizer", "gd", "--x0", "2", "--steps", "21", "--lr", "0.1"],
    "adam-pytorch": ["--surface", "rosenbrock", "--optimizer", "adam", "--x0", "-1.5", "2", "--steps", "30",
                     "--lr", "0.05", "--beta1", "0.8", "--beta2", "0.99", "--eps", "1e-6", "--convention", "pytorch"],
    "momentum": ["--surface", "bowl", "--optimizer", "momentum", "--x0", "-1.5", "1.2", "--steps", "12",
                 "--momentum", "0.5", "--convention", "pytorch"],
    "nesterov": ["--surface", "two-minima", "--optimizer", "nesterov", "--x0", "0.2", "1", "--steps", "15"],
    "rmsprop": ["--surface", "beale", "--optimizer", "rmsprop", "--x0", "1", "1.4", "--steps", "10", "--rho", "0.8"],
    "adadelta": ["--surface", "himmelblau", "--optimizer", "adadelta", "--x0", "0", "0", "--steps", "10"],
    "adagrad": ["--surface", "saddle", "--optimizer", "adagrad", "--x0", "-1.8", "0.05", "--steps", "10"],
    "newton": ["--surface", "quartic", "--optimizer", "newton", "--x0", "0.3", "--steps", "8"],
    "sgd-noise": ["--surface", "rastrigin", "--optimizer", "sgd", "--x0", "-2.2", "1.7", "--steps", "10",
                  "--noise", "3", "--seed", "2"],
    "sgd-minibatch": ["--surface", "linear-regression", "--optimizer", "sgd", "--x0", "-0.5", "1", "--steps", "10",
                      "--batch-size", "3", "--seed", "4"],
    "diverged": ["--surface", "notes-quadratic", "--optimizer", "gd", "--x0", "2", "--steps", "60", "--lr", "0.6"],
}

BOWL_GD = ["--surface", "bowl", "--optimizer", "gd", "--x0", "1", "2", "--steps", "3"]
BAD = {
    "unknown-surface": (["--surface", "banana", "--optimizer", "gd", "--x0", "1", "--steps", "3"], "unknown surface"),
    "unknown-optimizer": (["--surface", "bowl", "--optimizer", "lbfgs", "--x0", "1", "2", "--steps", "3"],
                          "unknown optimizer"),
    "x0-count": (["--surface", "bowl", "--optimizer", "gd", "--x0", "1", "--steps", "3"], "--x0 needs 2 numbers"),
    "x0-count-1d": (["--surface", "quartic", "--optimizer", "gd", "--x0", "1", "2", "--steps", "3"],
                    "--x0 needs 1 number"),
    "lr-negative": (["--surface", "bowl", "--optimizer", "gd", "--x0", "1", "2", "--steps", "3", "--lr", "-1"],
                    "lr (learning rate) must be greater than 0"),
    "lr-nan": (["--surface", "bowl", "--optimizer", "gd", "--x0", "1", "2", "--steps", "3", "--lr", "nan"],
               "lr must be a finite number"),
    "steps-too-many": (["--surface", "bowl", "--optimizer", "gd", "--x0", "1", "2", "--steps", "100000"],
                       "steps must be between 1 and 10,000"),
    "lr-word": (["--surface", "bowl", "--optimizer", "gd", "--x0", "1", "2", "--steps", "3", "--lr", "fast"],
                "invalid float value"),
    "x0-word": (["--surface", "bowl", "--optimizer", "gd", "--x0", "one", "2", "--steps", "3"],
                "--x0 expects numbers"),
    "steps-word": (["--surface", "bowl", "--optimizer", "gd", "--x0", "1", "2", "--steps", "ten"], "invalid int"),
    "x0-inf": (["--surface", "bowl", "--optimizer", "gd", "--x0", "inf", "2", "--steps", "3"], "finite"),
    "momentum-for-adam": (["--surface", "bowl", "--optimizer", "adam", "--x0", "1", "2", "--steps", "3",
                           "--momentum", "0.9"], "adam does not take --momentum"),
    "beta-one": (["--surface", "bowl", "--optimizer", "momentum", "--x0", "1", "2", "--steps", "3",
                  "--momentum", "1"], "below 1"),
    "batch-size-on-bowl": (["--surface", "bowl", "--optimizer", "sgd", "--x0", "1", "2", "--steps", "3",
                            "--batch-size", "4"], "a batch size applies to a loss averaged over samples"),
    "batch-size-zero": (["--surface", "linear-regression", "--optimizer", "sgd", "--x0", "1", "2", "--steps", "3",
                         "--batch-size", "0"], "at least 1"),
    "seed-huge": (["--surface", "bowl", "--optimizer", "sgd", "--x0", "1", "2", "--steps", "3",
                   "--seed", str(2**70)], "seed must be"),
    "convention": (["--surface", "bowl", "--optimizer", "gd", "--x0", "1", "2", "--steps", "3",
                    "--convention", "keras"], "invalid choice"),
    "missing-surface": (["--optimizer", "gd", "--x0", "1", "2", "--steps", "3"], "--surface"),
    "missing-x0": (["--surface", "bowl", "--optimizer", "gd", "--steps", "3"], "--x0"),
    "unknown-flag": (["--surface", "bowl", "--optimizer", "gd", "--x0", "1", "2", "--steps", "3", "--banana", "0.9"],
                     "unrecognized arguments"),
    # learning-rate schedules and clipping
    "schedule-word": ([*BOWL_GD, "--schedule", "linear"], "invalid choice"),
    "gamma-above-1": ([*BOWL_GD, "--schedule", "exponential", "--gamma", "1.5"],
                      "gamma (decay factor) must be above 0"),
    "gamma-zero": ([*BOWL_GD, "--schedule", "step", "--gamma", "0"], "gamma (decay factor) must be above 0"),
    "decay-negative": ([*BOWL_GD, "--schedule", "inverse-time", "--decay", "-0.5"],
                       "decay (inverse-time decay) must be at least 0"),
    "period-zero": ([*BOWL_GD, "--schedule", "step", "--step-size", "0"], "step_size (period of the step decay) must be"),
    "t0-zero": (["--surface", "bowl", "--optimizer", "adam", "--x0", "1", "2", "--steps", "3",
                 "--schedule", "cosine-restarts", "--t0", "0"], "t0 (first period of the restarts)"),
    "t-max-word": (["--surface", "bowl", "--optimizer", "adam", "--x0", "1", "2", "--steps", "3",
                    "--schedule", "cosine", "--t-max", "1.5"], "invalid int"),
    "warmup-too-long": ([*BOWL_GD, "--warmup", "4"], "the warm-up (4 steps) is longer than the run (3 steps)"),
    "flag-of-another-schedule": ([*BOWL_GD, "--schedule", "cosine", "--gamma", "0.5"],
                                 "--gamma does not apply to --schedule cosine"),
    "clip-norm-zero": ([*BOWL_GD, "--clip-norm", "0"], "clip norm must be greater than 0"),
    "clip-value-negative": ([*BOWL_GD, "--clip-value", "-1"], "clip value must be greater than 0"),
    "clip-both": ([*BOWL_GD, "--clip-norm", "1", "--clip-value", "1"], "not both"),
    "schedule-for-newton": (["--surface", "quartic", "--optimizer", "newton", "--x0", "1", "--steps", "3",
                             "--schedule", "exponential"], "apply to first-order optimizers"),
    "line-search-word": (["--surface", "bowl", "--optimizer", "bfgs", "--x0", "1", "2", "--steps", "3",
                          "--line-search", "golden"], "--line-search must be one of"),
}


# The cases run as real subprocesses (the issue's list); the others go through main() in-process, which is what
# the subprocess runs, to keep the suite fast (each interpreter start costs ~0.3 s of CPU).
SUBPROCESS = {
    "list", "good/notes", "good/sgd-minibatch",
    "bad/unknown-surface", "bad/x0-count", "bad/lr-negative", "bad/steps-too-many", "bad/lr-word",
    "bad/momentum-for-adam", "bad/batch-size-on-bowl", "bad/missing-surface", "bad/gamma-above-1",
    "bad/warmup-too-long", "bad/clip-norm-zero",
}


def _all_commands() -> dict[str, list[str]]:
    commands = {"list": ["list"], "none": [], "bogus": ["bogus"]}
    commands |= {f"good/{k}": ["trace", *v] for k, v in GOOD.items()}
    commands |= {f"bad/{k}": ["trace", *v] for k, (v, _) in BAD.items()}
    return commands


@pytest.fixture(scope="module")
def cli():
    """(exit status, stdout, stderr) of every command line of this module: ``python -m optim`` subprocesses from
    the repo root, started in parallel, for the SUBPROCESS cases; ``optim.cli.main`` for the others."""
    from optim.cli import main

    commands = _all_commands()
    procs = {
        k: subprocess.Popen([sys.executable, "-m", "optim", *args], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
        for k, args in commands.items() if k in SUBPROCESS
    }
    out = {}
    for k, args in commands.items():
        if k not in SUBPROCESS:
            stdout, stderr = io.StringIO(), io.StringIO()
            rc = main(args, stdout=stdout, stderr=stderr)
            out[k] = (rc, stdout.getvalue(), stderr.getvalue())
    for k, p in procs.items():
        stdout, stderr = p.communicate(timeout=60)
        out[k] = (p.returncode, stdout, stderr)
    return out


def test_the_issue_cases_run_as_subprocesses():
    assert SUBPROCESS <= set(_all_commands())


def test_cli_list(cli):
    rc, out, err = cli["list"]
    assert rc == 0 and err == ""
    assert out.splitlines() == ["surfaces:   " + " ".join(surfaces.names()), "optimizers: " + " ".join(optim.NAMES)]


def _expected_csv(args: list[str]) -> str:
    """The table the core makes for these arguments: defaults for the surface, then the flags."""
    flags: dict[str, list[str]] = {}
    for a in args:
        if a.startswith("--"):
            key = a[2:]
            flags[key] = []
        else:
            flags[key].append(a)
    flags = {k: v if k == "x0" else v[0] for k, v in flags.items()}
    x0 = [float(v) for v in flags.pop("x0")]
    surface = surfaces.get(flags.pop("surface"))
    name = flags.pop("optimizer")
    steps = int(flags.pop("steps"))
    convention = flags.pop("convention", "notes")
    run_kw = {"seed": int(flags.pop("seed", 0))}
    if "noise" in flags:
        run_kw["noise"] = float(flags.pop("noise"))
    if "batch-size" in flags:
        run_kw["batch_size"] = int(flags.pop("batch-size"))
    given = {("beta" if k == "momentum" else k): float(v) for k, v in flags.items()}  # --momentum is beta
    hyper = registry.defaults_for(surface, name) | given
    traj = run(surface, optim.make(name, convention, **hyper), [x0], steps, **run_kw)
    return optim.to_csv(optim.iteration_table(traj, 0))


@pytest.mark.parametrize("case", list(GOOD))
def test_cli_trace_writes_the_core_table(case, cli):
    rc, out, err = cli[f"good/{case}"]
    assert rc == 0 and err == ""
    assert out == _expected_csv(GOOD[case])


def test_cli_trace_of_the_notes_table(cli):
    """Independent of the core's table: the notes' eta = 0.1 table from the closed form, at full precision."""
    rc, out, _ = cli["good/notes"]
    assert rc == 0
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == list(BASE_1D)
    data = np.array(rows[1:], dtype=float)
    t = np.arange(22)
    w = -0.25 + 2.25 * 0.6**t
    np.testing.assert_array_equal(data[:, 0], t[1:])
    np.testing.assert_allclose(data[:, 1:], np.column_stack([w[:-1], 2 * w[:-1] ** 2 + w[:-1] + 4, 4 * w[:-1] + 1,
                                                             w[1:]]), rtol=1e-12, atol=1e-14)
    assert round(data[2, 2], 5) == 5.18720 and round(data[20, 4], 5) == -0.24995


def test_cli_diverged_table_ends_at_the_diverging_step(cli):
    rc, out, _ = cli["good/diverged"]
    lines = out.splitlines()
    assert rc == 0 and len(lines) == 1 + 39 and lines[-1].startswith("39,")
    assert "nan" not in out


@pytest.mark.parametrize("case", ["none", "bogus", *[f"bad/{k}" for k in BAD]])
def test_cli_bad_arguments_exit_2_with_one_error_line(case, cli):
    rc, out, err = cli[case]
    assert rc == 2
    assert out == ""
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1 and err.endswith("\n"), err
    assert lines[0].startswith("error: ")
    if case.startswith("bad/"):
        assert BAD[case[4:]][1] in lines[0]


# -- schedules, clipping and the line search on the command line -------------------------------------------------------

def _trace(args: list[str]) -> list[list[str]]:
    from optim.cli import main

    out, err = io.StringIO(), io.StringIO()
    assert main(["trace", *args], stdout=out, stderr=err) == 0, err.getvalue()
    return list(csv.reader(io.StringIO(out.getvalue())))


def test_cli_schedule_and_clipping_columns_against_the_closed_form():
    """The notes' quadratic with momentum, a cosine schedule with warm-up and norm clipping: the eta_t column is the
    closed form, the g_clip column the clipped f'(w), and w_next follows from them (EMA momentum written out)."""
    rows = _trace(["--surface", "notes-quadratic", "--optimizer", "momentum", "--x0", "2", "--steps", "30",
                   "--lr", "0.1", "--momentum", "0.9", "--schedule", "cosine", "--t-max", "20", "--eta-min", "0.01",
                   "--warmup", "5", "--clip-norm", "3"])
    assert rows[0] == [*BASE_1D, "v", "g_clip", "eta_t"]
    data = np.array(rows[1:], dtype=float)
    t = np.arange(30)
    eta = (0.01 + (0.1 - 0.01) * (1 + np.cos(np.pi * t / 20)) / 2) * np.minimum(t, 5) / 5
    np.testing.assert_allclose(data[:, 7], eta, rtol=1e-14, atol=1e-17)
    g = data[:, 3]
    np.testing.assert_allclose(data[:, 6], g * np.minimum(1, 3 / (np.abs(g) + 1e-6)), rtol=1e-14)
    v = 0.0
    for k in range(30):
        v = 0.9 * v + 0.1 * data[k, 6]
        assert data[k, 5] == pytest.approx(v, rel=1e-13)
        assert data[k, 4] == pytest.approx(data[k, 1] - eta[k] * v, rel=1e-13, abs=1e-15)
    assert np.abs(g).max() > 3  # clipping acted


def test_cli_step_and_restart_schedules():
    rows = _trace(["--surface", "bowl", "--optimizer", "adam", "--x0", "-1.5", "1.2", "--steps", "25", "--lr", "0.2",
                   "--schedule", "step", "--gamma", "0.5", "--step-size", "10"])
    eta = np.array([r[-1] for r in rows[1:]], dtype=float)
    np.testing.assert_array_equal(eta, 0.2 * 0.5 ** (np.arange(25) // 10))
    rows = _trace(["--surface", "bowl", "--optimizer", "gd", "--x0", "-1.5", "1.2", "--steps", "12", "--lr", "0.2",
                   "--schedule", "cosine-restarts", "--t0", "2", "--t-mult", "2"])
    eta = np.array([r[-1] for r in rows[1:]], dtype=float)
    t_cur = np.array([0, 1, 0, 1, 2, 3, 0, 1, 2, 3, 4, 5])
    t_i = np.array([2, 2, 4, 4, 4, 4, 8, 8, 8, 8, 8, 8])
    np.testing.assert_allclose(eta, 0.2 * (1 + np.cos(np.pi * t_cur / t_i)) / 2, rtol=1e-14, atol=1e-17)
    plain = _trace(["--surface", "bowl", "--optimizer", "gd", "--x0", "-1.5", "1.2", "--steps", "12", "--lr", "0.2",
                    "--schedule", "constant"])
    assert plain[0] == list(BASE_2D)


def test_cli_line_search_default_and_flag():
    """CG on the bowl (a quadratic) searches exactly by default: the minimum in two steps; --line-search armijo
    overrides it; on Rosenbrock the default is Armijo (several evaluations of f per step)."""
    exact = np.array(_trace(["--surface", "elongated-bowl", "--optimizer", "cg", "--x0", "-1.6", "1.9",
                             "--steps", "2"])[1:], dtype=float)
    np.testing.assert_allclose(exact[-1, 6:8], 0.0, atol=1e-12)
    armijo = _trace(["--surface", "elongated-bowl", "--optimizer", "cg", "--x0", "-1.6", "1.9", "--steps", "2",
                     "--line-search", "armijo"])
    assert np.abs(np.array(armijo[-1][6:8], dtype=float)).max() > 1e-3
    rosen = _trace(["--surface", "rosenbrock", "--optimizer", "bfgs", "--x0", "-1.5", "2", "--steps", "3"])
    assert float(rosen[1][rosen[0].index("f_evals")]) > 1
    wolfe = _trace(["--surface", "rosenbrock", "--optimizer", "cg", "--x0", "-1.5", "2", "--steps", "40",
                    "--line-search", "wolfe"])
    data = np.array(wolfe[1:], dtype=float)
    assert np.abs(data[-1, 6:8] - 1.0).max() < 1e-6  # Rosenbrock's minimum within 40 steps (Armijo takes ~830)
    f_evals, g_evals = data[:, wolfe[0].index("f_evals")], data[:, wolfe[0].index("grad_evals")]
    np.testing.assert_array_equal(g_evals, f_evals)  # each trial evaluates both; the step's own gradient besides


def test_cli_sweep_with_a_schedule():
    from optim.cli import main

    out, err = io.StringIO(), io.StringIO()
    args = ["sweep", "--surface", "bowl", "--optimizer", "gd", "--x0", "-1.5", "1.2", "--steps", "40",
            "--grid", "lr=0.1:1.5:3", "--schedule", "exponential", "--gamma", "0.8"]
    assert main(args, stdout=out, stderr=err) == 0, err.getvalue()
    table = pd.read_csv(io.StringIO(out.getvalue()))
    for lr, loss in zip(table["lr"], table["final_loss"]):
        one = run(surfaces.get("bowl"), optim.make("gd", lr=lr, schedule=optim.schedules.Schedule("exponential", gamma=0.8)),
                  [-1.5, 1.2], 40, record="final")
        assert loss == float(one.final_loss)
