"""The optimizer playground through AppTest: every 2-D surface runs, the tables are the core's numbers, the CSV
reads back to the runs, links keep (and repair) their settings, and the animated figure stays within budget."""

from __future__ import annotations

import io
import json
import pickle

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

import optim
import surfaces
from apptest import download_bytes, open_page, plotly_sizes, plotly_specs, texts
from optim import NAMES, SPECS, Status, defaults_for, iteration_table, make, run
from viz import playground as viz
from viz.style import theme

PAGE = "pages/playground.py"
TWO_D = surfaces.names(dim=2)
OPTIMIZER_SETS = [("gd", "momentum", "rmsprop", "adam"), NAMES, ("sgd", "nesterov", "adagrad", "adadelta", "newton")]
BUDGET = 500_000  # bytes of figure JSON for nine optimizers x 500 steps


def page(query: dict[str, str] | None = None):
    at = open_page(PAGE, query)
    assert not at.exception, [e.value for e in at.exception]
    return at


def summary_of(at) -> pd.DataFrame:
    return at.dataframe[0].value


def params(at) -> dict[str, str]:
    """The URL's query parameters after the run (the address bar a teacher would copy)."""
    return {k: (v[-1] if isinstance(v, list) else v) for k, v in dict(at.query_params).items()}


def core_run(surface_name: str, name: str, steps: int, start=None, **hyper):
    """The run the page should show, made here straight from the core with the surface's defaults."""
    s = surfaces.get(surface_name)
    hp = defaults_for(s, name) | hyper
    # the SGD defaults, read straight from the table in SGD's home (optim.gradient_noise is what is tested)
    own = optim.spec("sgd").surface_defaults[surface_name]
    kwargs = {"batch_size": own["batch_size"] if name == "sgd" else None} if s.n_samples else \
        {"noise": own["noise"] if name == "sgd" else 0.0}
    return run(s, make(name, **hp), list(start or s.starts[0]), steps, **kwargs)


# -- the page runs ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("surface_name", TWO_D)
@pytest.mark.parametrize("names", OPTIMIZER_SETS, ids=["default", "all-nine", "others"])
def test_page_runs_for_every_surface_and_optimizer_set(surface_name, names):
    at = page({"surface": surface_name, "opt": ",".join(names), "steps": "40"})
    summary = summary_of(at)
    assert list(summary["optimizer"]) == [SPECS[n].title for n in names]
    spec = plotly_specs(at)[0]
    assert spec["frames"], "the race is animated"
    assert "NaN" not in at.get("plotly_chart")[0].proto.spec
    rules = [x.value for x in at.latex][1:]  # after the surface's formula: one per optimizer
    assert len(rules) == len(names)
    for name, tex in zip(names, rules):  # the symbolic rule, then the numbers of iteration 1
        assert tex.strip("$\n").startswith(optim.latex(name)) and "w_{2} &=" in tex


def test_default_view_is_the_rosenbrock_race_without_link_parameters():
    at = page()
    assert params(at) == {}
    summary = summary_of(at)
    assert list(summary["optimizer"]) == ["Gradient descent", "Momentum", "RMSProp", "Adam"]
    assert not summary["outcome"].str.startswith("diverged").any(), "the first view has no diverged run"
    assert "Optimizer playground" in texts(at)


# -- the tables are the core's numbers ---------------------------------------------------------------------------------

@pytest.mark.parametrize("surface_name", ["rosenbrock", "saddle", "himmelblau", "linear-regression"])
def test_summary_equals_the_core(surface_name):
    names = ("gd", "sgd", "momentum", "adam", "newton")
    steps = 80
    at = page({"surface": surface_name, "opt": ",".join(names), "steps": str(steps)})
    summary = summary_of(at)
    s = surfaces.get(surface_name)
    for row, name in zip(summary.to_dict("records"), names):
        traj = core_run(surface_name, name, steps)
        assert row["optimizer"] == SPECS[name].title
        assert row["final f"] == float(traj.final_loss)
        fx, fy = traj.final_position
        assert (row[f"final {s.variables[0]}"], row[f"final {s.variables[1]}"]) == (float(fx), float(fy))
        status = Status(int(traj.status))
        if status == Status.RUNNING:
            assert row["outcome"] == f"still moving after {steps} steps" and row["at step"] == ""
        else:
            assert row["outcome"] == f"{status.label} at step {int(traj.event_step)}"
            assert row["at step"] == str(int(traj.event_step))
        if s.minima:
            assert row["distance to nearest minimum"] == float(s.nearest_minimum(traj.final_position)[0])
        else:
            assert "distance to nearest minimum" not in row


def test_iteration_table_and_csv_equal_the_core():
    names = ("gd", "nesterov", "rmsprop", "adadelta", "adam")
    at = page({"surface": "beale", "opt": ",".join(names), "steps": "60", "table": "nesterov"})
    shown = at.dataframe[1].value  # the open tab's iteration table
    expected = iteration_table(core_run("beale", "nesterov", 60))
    assert list(shown.columns) == list(expected.columns)
    np.testing.assert_array_equal(shown.to_numpy(dtype=float), expected.data)

    long = pd.read_csv(io.BytesIO(download_bytes(at, 0)))
    assert list(long["optimizer"].unique()) == list(names)
    for name in names:
        table = iteration_table(core_run("beale", name, 60))
        part = long[long["optimizer"] == name]
        got = part[list(table.columns)].to_numpy(dtype=float)
        np.testing.assert_array_equal(got, table.data)  # full precision: bit for bit
        others = [c for c in long.columns if c not in table.columns and c != "optimizer"]
        assert part[others].isna().all().all(), "columns of other optimizers' state are empty"

    one = pd.read_csv(io.BytesIO(download_bytes(at, 1)))  # the open tab's own CSV
    np.testing.assert_array_equal(one.to_numpy(dtype=float), expected.data)


def test_csv_of_a_diverged_run_ends_at_the_step_that_left_and_has_no_nan():
    at = page({"surface": "saddle", "opt": "gd,adam", "steps": "120", "gd.lr": "0.5"})
    long = pd.read_csv(io.BytesIO(download_bytes(at, 0)))
    traj = core_run("saddle", "gd", 120, lr=0.5)
    assert traj.status == Status.DIVERGED
    gd_rows = long[long["optimizer"] == "gd"]
    assert len(gd_rows) == int(traj.event_step)
    assert not gd_rows[["x", "y", "f", "df/dx", "df/dy", "x_next", "y_next"]].isna().any().any()


# -- diverged runs, stochastic runs ----------------------------------------------------------------------------------

def test_a_diverged_run_is_labelled_and_drawn_to_the_edge_of_the_view():
    at = page({"surface": "saddle", "opt": "gd,momentum", "steps": "120", "gd.lr": "0.5"})
    traj = core_run("saddle", "gd", 120, lr=0.5)
    k = int(traj.event_step)
    summary = summary_of(at)
    assert summary.loc[0, "outcome"] == f"diverged at step {k}"
    spec = plotly_specs(at)[0]
    notes = [a["text"] for a in spec["layout"]["annotations"]]
    assert f"Gradient descent: diverged at step {k}" in notes
    names = [tr.get("name") for tr in spec["data"]]
    assert f"Gradient descent (diverged at step {k})" in names
    raw = at.get("plotly_chart")[0].proto.spec
    assert "NaN" not in raw and "Infinity" not in raw
    path = next(tr for tr in spec["data"] if tr.get("name", "").startswith("Gradient descent ("))
    (x0, x1), (y0, y1) = surfaces.get("saddle").bounds
    xs, ys = _decode(path["x"]), _decode(path["y"])
    assert np.all((xs >= x0 - 1e-6) & (xs <= x1 + 1e-6) & (ys >= y0 - 1e-6) & (ys <= y1 + 1e-6))
    assert np.isclose(abs(ys[-1]), 2.0, atol=1e-5) or np.isclose(abs(xs[-1]), 2.0, atol=1e-5), "ends on the edge"


def test_mini_batches_on_linear_regression_are_a_control_and_make_real_noise():
    full = surfaces.get("linear-regression").n_samples
    at = page({"surface": "linear-regression", "opt": "gd,sgd", "steps": "50", "sgd.lr": "0.1",
               "sgd.batch": str(full)})
    summary = summary_of(at)
    assert summary.loc[0, "final w"] == summary.loc[1, "final w"], "SGD on the full batch is gradient descent"
    at = page({"surface": "linear-regression", "opt": "gd,sgd", "steps": "50", "sgd.lr": "0.1", "sgd.batch": "10"})
    summary = summary_of(at)
    assert summary.loc[0, "final w"] != summary.loc[1, "final w"]
    assert "B = 10" in summary.loc[1, "settings"]
    s = surfaces.get("linear-regression")
    traj = run(s, make("sgd", lr=0.1), list(s.starts[0]), 50, batch_size=10)
    assert summary.loc[1, "final w"] == float(traj.final_position[0])
    assert any("New random gradients" in b.label for b in at.button)


def test_gradient_noise_of_sgd_is_a_control_on_analytic_surfaces():
    at = page({"surface": "bowl", "opt": "sgd", "steps": "30", "sgd.noise": "0"})
    plain = core_run("bowl", "gd", 30)
    assert summary_of(at).loc[0, "final f"] == float(plain.final_loss)
    at = page({"surface": "bowl", "opt": "sgd", "steps": "30", "sgd.noise": "3", "seed": "7"})
    s = surfaces.get("bowl")
    noisy = run(s, make("sgd", lr=0.1), list(s.starts[0]), 30, noise=3.0, seed=7)
    assert summary_of(at).loc[0, "final f"] == float(noisy.final_loss)


# -- links -------------------------------------------------------------------------------------------------------------

def test_a_shared_link_opens_the_same_view_and_keeps_only_non_defaults():
    query = {"surface": "himmelblau", "opt": "gd,adam", "steps": "77", "adam.lr": "0.03", "adam.beta1": "0.8",
             "x0": "-1.5", "y0": "2.5", "t": "12", "conv": "pytorch", "table": "adam"}
    at = page(query)
    assert params(at) == query
    row = summary_of(at).iloc[1]
    traj = run(surfaces.get("himmelblau"), make("adam", "pytorch", lr=0.03, beta1=0.8), [-1.5, 2.5], 77)
    assert row["final f"] == float(traj.final_loss)
    assert "η = 0.03, β₁ = 0.8" in row["settings"]
    assert "t = 12" in texts(at)


@pytest.mark.parametrize("key, bad", [("adam.lr", "abc"), ("adam.lr", "-1"), ("steps", "100000"), ("opt", "gd,foo"),
                                      ("surface", "moon"), ("x0", "99"), ("t", "0"), ("momentum.form", "huge"),
                                      ("sgd.noise", "nan"), ("conv", "keras"), ("sgd.batch", "0")])
def test_a_bad_link_value_gives_a_notice_and_the_default(key, bad):
    extra = {"opt": "sgd,gd"} if key.startswith("sgd") else {}
    extra |= {"surface": "linear-regression"} if key == "sgd.batch" else {}
    at = page({key: bad} | extra)
    notices = [w.value for w in at.warning]
    assert any(f"`{key}={bad}`" in n for n in notices), notices
    assert len(summary_of(at)) >= 1


def test_a_start_outside_the_new_surface_is_reset_with_it():
    at = page({"surface": "beale", "x0": "4", "y0": "-4"})
    at.selectbox(key="w:v:play:surface").set_value("bowl").run()
    assert not at.exception
    summary = summary_of(at)
    s = surfaces.get("bowl")
    traj = core_run("bowl", "adam", 60)
    assert summary.loc[3, "final f"] == float(traj.final_loss)
    assert at.number_input(key="w:v:play:x0:number").value == s.starts[0][0]
    assert "x0" not in params(at) and "surface" in params(at)


def test_changing_the_convention_keeps_the_momentum_path():
    at = page({"surface": "elongated-bowl", "opt": "momentum,nesterov", "steps": "50"})
    before = summary_of(at)
    at.button_group(key="w:v:play:conv").set_value("pytorch").run()
    assert not at.exception
    after = summary_of(at)
    # momentum's classic form with a (1 - beta) times smaller rate is the same path; PyTorch's Nesterov also
    # moves where the gradient is taken (the same method in shifted variables), so only its rate is rescaled
    np.testing.assert_allclose(after.loc[0, "final x"], before.loc[0, "final x"], rtol=1e-9, atol=1e-12)
    assert after.loc[0, "settings"].startswith("η = 0.014,")  # 0.07 x (1 - 0.8)
    assert after.loc[1, "settings"].startswith("η = 0.014,")
    assert params(at).get("conv") == "pytorch"
    assert "momentum.form" not in params(at) and "momentum.lr" not in params(at), "the new defaults"
    at.button_group(key="w:v:play:conv").set_value("notes").run()
    np.testing.assert_allclose(summary_of(at)["final x"], before["final x"], rtol=1e-9, atol=1e-12)
    assert params(at) == {"surface": "elongated-bowl", "opt": "momentum,nesterov", "steps": "50"}


# -- caching -----------------------------------------------------------------------------------------------------------

def test_unchanged_settings_do_not_recompute(monkeypatch):
    calls = []
    real = optim.run

    def counting(*args, **kwargs):
        calls.append(args[1].name)
        return real(*args, **kwargs)

    monkeypatch.setattr(optim, "run", counting)
    at = page({"surface": "two-minima", "opt": "gd,adam", "steps": "33", "seed": "4242"})
    first = len(calls)
    assert first <= 2
    at.run()
    assert len(calls) == first, "a rerun with the same settings uses the cache"
    at.session_state["w:play:settings-of"] = "adam"  # show Adam's settings in the sidebar
    at.run()
    assert len(calls) == first
    at.number_input(key="w:v:play:adam.lr:entry").set_value(0.0123).run()
    assert calls[first:] == ["adam"], "a new Adam learning rate runs Adam again, and only Adam"


# -- the figure --------------------------------------------------------------------------------------------------------

def _decode(a) -> np.ndarray:
    import base64

    if isinstance(a, dict):
        return np.frombuffer(base64.b64decode(a["bdata"]), dtype=np.dtype(a["dtype"]).newbyteorder("<"))
    return np.array([np.nan if v is None else v for v in a], dtype=float)


def test_nine_optimizers_times_500_steps_fit_the_figure_budget_on_the_page():
    at = page({"surface": "rastrigin", "opt": ",".join(NAMES), "steps": "500"})
    size = plotly_sizes(at)[0]
    assert size <= BUDGET, f"{size:,} bytes"
    spec = plotly_specs(at)[0]
    frame = spec["frames"][0]
    moving = [i for i, d in zip(frame["traces"], frame["data"]) if d]
    assert len(moving) <= 5, "frames carry data for at most five small traces; the paths are sent once"
    assert len(spec["frames"]) <= viz.FRAME_CAP + 1
    assert spec["frames"][-1]["name"] == "501", "the slider reaches the end"


@pytest.mark.parametrize("surface_name", TWO_D)
def test_figure_budget_for_every_surface(surface_name):
    s = surfaces.get(surface_name)
    runs = [viz.RunRecord.from_trajectory(run(s, make(n, **defaults_for(s, n)), list(s.starts[0]), 500))
            for n in NAMES]
    import plotly.io as pio

    for present in (False, True):
        text = pio.to_json(viz.race_figure(s, runs, theme(present)), validate=False)
        assert len(text) <= BUDGET, f"{surface_name}: {len(text):,} bytes"


def test_the_race_figure_is_valid_plotly():
    s = surfaces.get("rosenbrock")
    runs = [viz.RunRecord.from_trajectory(run(s, make(n, **defaults_for(s, n)), list(s.starts[0]), 40)) for n in NAMES]
    spec = viz.race_figure(s, runs, theme(False), current=7)
    fig = go.Figure(json.loads(json.dumps(spec, default=_plain)))  # raises on any invalid attribute
    assert len(fig.frames) == 41
    pickle.loads(pickle.dumps(runs))  # records are cacheable


def _plain(o):
    if isinstance(o, np.ndarray):
        return o.tolist()
    raise TypeError(type(o))


# -- the pieces of the figure and the formulas -------------------------------------------------------------------------

@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("convention", list(optim.CONVENTIONS))
def test_the_rule_with_numbers_shows_the_recorded_step(name, convention):
    s = surfaces.get("beale")
    traj = run(s, make(name, convention, **defaults_for(s, name)), list(s.starts[0]), 12, noise=0.5 * (name == "sgd"))
    r = viz.RunRecord.from_trajectory(traj)
    for t in (1, 5, 12):
        tex = viz.numeric_rule(s, r, t)
        assert tex.count("{") == tex.count("}")
        assert viz.tex_vector(r.positions[t - 1]) in tex  # w_t
        assert tex.rstrip().endswith(viz.tex_vector(r.positions[t]) + r"\end{aligned}")  # = w_{t+1}
        assert viz.tex_vector(r.gradients[t - 1]) in tex  # the gradient the step used
    with pytest.raises(ValueError):
        viz.numeric_rule(s, r, 13)


def test_numbers_in_formulas():
    assert viz.tex_number(0.001) == "0.001"
    assert viz.tex_number(-1.5e-8) == r"-1.5 \times 10^{-8}"
    assert viz.tex_number(float("inf")) == r"\infty"
    assert viz.tex_number(0.0) == "0"


def test_frames_move_evenly_and_reach_the_end():
    assert list(viz._frames_of(10)) == list(range(1, 12))
    ts = viz._frames_of(500)
    assert ts[0] == 1 and ts[-1] == 501 and len(ts) <= viz.FRAME_CAP + 1
    assert set(np.diff(ts)[:-1]) == {2}


def test_clip_to_view_of_a_run_that_stays_is_the_whole_run():
    P = np.array([[0.0, 0.0], [5.0, 5.0], [0.5, 0.5]])  # leaves the box and comes back: not diverged
    pts, last, exit_point = viz.clip_to_view(P, 2, False, ((-1, 1), (-1, 1)))
    assert exit_point is None and last == 2 and len(pts) == 3


@pytest.mark.parametrize("escape", [[1e7, 0.5], [np.inf, -np.inf], [-3.0, 1e300], [0.2, -np.inf]])
def test_clip_to_view_ends_a_diverged_run_on_the_edge(escape):
    box = ((-1.0, 1.0), (-2.0, 2.0))
    P = np.array([[0.0, 0.0], [0.5, 0.1], [3.0, 0.2], [0.4, 0.3], escape, escape])
    pts, last, exit_point = viz.clip_to_view(P, 4, True, box)
    assert last == 3 and len(pts) == 5
    assert np.all(np.isfinite(pts))
    on_edge = np.isclose(np.abs(exit_point[0]), 1.0) or np.isclose(np.abs(exit_point[1]), 2.0)
    assert on_edge and -1 - 1e-12 <= exit_point[0] <= 1 + 1e-12 and -2 - 1e-12 <= exit_point[1] <= 2 + 1e-12


def test_a_figure_opens_at_the_inspected_iteration():
    s = surfaces.get("bowl")
    runs = [viz.RunRecord.from_trajectory(run(s, make(n, **defaults_for(s, n)), list(s.starts[0]), 30))
            for n in ("gd", "adam")]
    spec = viz.race_figure(s, runs, theme(True), current=9)
    current = next(tr for tr in spec["data"] if str(tr.get("name", "")).startswith("at iteration"))
    np.testing.assert_allclose(current["x"], [r.positions[8, 0] for r in runs], atol=1e-3)
    assert spec["layout"]["sliders"][0]["active"] == 8
    assert spec["frames"][8]["name"] == "9"
