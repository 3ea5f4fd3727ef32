"""The optimizer playground through AppTest: every 2-D surface runs, the tables are the core's numbers, the CSV
reads back to the runs, links keep (and repair) their settings, and the animated figure stays within budget."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

import optim
import surfaces
from optim import NAMES, SPECS, Status, defaults_for, iteration_table, make, run
from optim.trajectory import Criterion
from viz.race_player import FRAME_CAP

PAGE = "pages/playground.py"
SCOPE = "play"
TWO_D = surfaces.names(dim=2)
OPTIMIZER_SETS = [("gd", "momentum", "rmsprop", "adam"), NAMES, ("sgd", "nesterov", "adagrad", "adadelta", "newton")]
BUDGET = 530_000  # bytes of figure JSON for nine optimizers x 500 steps (80 KB of it: the click grid, 1/80 of the box)


@pytest.fixture
def page(playground):
    """Open the playground with ``query`` and check it ran without an exception (``conftest.playground``)."""
    return playground


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
def test_page_runs_for_every_surface_and_optimizer_set(surface_name, names, plotly_specs, page):
    at = page({"surface": surface_name, "opt": ",".join(names), "steps": "40"})
    summary = summary_of(at)
    assert list(summary["optimizer"]) == [SPECS[n].title for n in names]
    spec = plotly_specs(at)[0]
    assert spec["frames"], "the race is animated"
    assert "NaN" not in at.get("plotly_chart")[0].proto.spec
    # after the surface's formula, one per optimizer (not the note on quadratics' H and A⁻¹)
    rules = [x.value for x in at.latex if not x.value.lstrip("$\n").startswith("H = ")][1:]
    assert len(rules) == len(names)
    surface = surfaces.get(surface_name)
    for name, tex in zip(names, rules):  # the symbolic rule (the surface's variants: CG and BFGS search exactly on a
        # quadratic), then the numbers of iteration 1
        rule = optim.latex(name, optim.registry.options_for(surface, name))
        assert tex.strip("$\n").startswith(rule) and "w_{2} &=" in tex


def test_default_view_is_the_rosenbrock_race_without_link_parameters(texts, page):
    at = page()
    assert params(at) == {}
    summary = summary_of(at)
    assert list(summary["optimizer"]) == ["Gradient descent", "Momentum", "RMSProp", "Adam"]
    assert not summary["outcome"].str.startswith("diverged").any(), "the first view has no diverged run"
    assert "Optimizer playground" in texts(at)


# -- the tables are the core's numbers ---------------------------------------------------------------------------------

@pytest.mark.parametrize("surface_name", ["rosenbrock", "saddle", "himmelblau", "linear-regression"])
def test_summary_equals_the_core(surface_name, page):
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
            by = {Criterion.GRADIENT: " (by the gradient)", Criterion.STEP: " (by the step size)"}.get(
                int(traj.converged_by), "")
            assert row["outcome"] == f"{status.label} at step {int(traj.event_step)}{by}"
            assert (by != "") == (status == Status.CONVERGED)
            assert row["at step"] == str(int(traj.event_step))
        if s.minima:
            assert row["distance to nearest minimum"] == float(s.nearest_minimum(traj.final_position)[0])
        else:
            assert "distance to nearest minimum" not in row


def test_iteration_table_and_csv_equal_the_core(download_bytes, page):
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


def test_csv_of_a_diverged_run_ends_at_the_step_that_left_and_has_no_nan(download_bytes, page):
    at = page({"surface": "saddle", "opt": "gd,adam", "steps": "120", "gd.lr": "0.5"})
    long = pd.read_csv(io.BytesIO(download_bytes(at, 0)))
    traj = core_run("saddle", "gd", 120, lr=0.5)
    assert traj.status == Status.DIVERGED
    gd_rows = long[long["optimizer"] == "gd"]
    assert len(gd_rows) == int(traj.event_step)
    assert not gd_rows[["x", "y", "f", "df/dx", "df/dy", "x_next", "y_next"]].isna().any().any()


# -- diverged runs, stochastic runs ----------------------------------------------------------------------------------

def test_a_run_that_stopped_before_the_shown_iteration_says_so_in_the_diverged_colour(page):
    """GD with eta = 0.5 on the saddle x^2 - y^2 from y = 0.05: y is multiplied by 1 + 2 * 0.5 = 2 per step, so it
    passes 1e6 at the first k with 0.05 * 2^k > 1e6, k = 25; at iteration 60 the note under its formula says it
    stopped, in the colour the map and the tables use for diverged."""
    from viz.style import STATUS_COLORS

    traj = core_run("saddle", "gd", 120, lr=0.5)
    k = int(traj.event_step)
    assert traj.status == Status.DIVERGED and k == next(j for j in range(99) if 0.05 * 2**j > 1e6) == 25
    at = page({"surface": "saddle", "opt": "gd", "steps": "120", "gd.lr": "0.5", "t": "60"})
    notes = [m.value for m in at.markdown if "before iteration 60" in m.value]
    assert len(notes) == 1 and f"color:{STATUS_COLORS['diverged']}'>diverged at step {k}: it left the plane" in notes[0]


def test_a_diverged_run_is_labelled_and_drawn_to_the_edge_of_the_view(plotly_specs, plotly_array, page):
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
    xs, ys = plotly_array(path["x"]), plotly_array(path["y"])
    assert np.all((xs >= x0 - 1e-6) & (xs <= x1 + 1e-6) & (ys >= y0 - 1e-6) & (ys <= y1 + 1e-6))
    assert np.isclose(abs(ys[-1]), 2.0, atol=1e-5) or np.isclose(abs(xs[-1]), 2.0, atol=1e-5), "ends on the edge"


def test_mini_batches_on_linear_regression_are_a_control_and_make_real_noise(page):
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


def test_gradient_noise_of_sgd_is_a_control_on_analytic_surfaces(page):
    at = page({"surface": "bowl", "opt": "sgd", "steps": "30", "sgd.noise": "0"})
    plain = core_run("bowl", "gd", 30)
    assert summary_of(at).loc[0, "final f"] == float(plain.final_loss)
    at = page({"surface": "bowl", "opt": "sgd", "steps": "30", "sgd.noise": "3", "seed": "7"})
    s = surfaces.get("bowl")
    noisy = run(s, make("sgd", lr=0.1), list(s.starts[0]), 30, noise=3.0, seed=7)
    assert summary_of(at).loc[0, "final f"] == float(noisy.final_loss)


# -- links -------------------------------------------------------------------------------------------------------------

def test_a_shared_link_opens_the_same_view_and_keeps_only_non_defaults(texts, page):
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
def test_a_bad_link_value_gives_a_notice_and_the_default(key, bad, page):
    extra = {"opt": "sgd,gd"} if key.startswith("sgd") else {}
    extra |= {"surface": "linear-regression"} if key == "sgd.batch" else {}
    at = page({key: bad} | extra)
    notices = [w.value for w in at.warning]
    assert any(f"`{key}={bad}`" in n for n in notices), notices
    assert len(summary_of(at)) >= 1


def test_a_start_outside_the_new_surface_is_reset_with_it(widget_key, page):
    at = page({"surface": "beale", "x0": "4", "y0": "-4"})
    at.selectbox(key=widget_key(SCOPE, "surface")).set_value("bowl").run()
    assert not at.exception
    summary = summary_of(at)
    s = surfaces.get("bowl")
    traj = core_run("bowl", "adam", 60)
    assert summary.loc[3, "final f"] == float(traj.final_loss)
    assert at.number_input(key=widget_key(SCOPE, "x0", "number")).value == s.starts[0][0]
    assert "x0" not in params(at) and "surface" in params(at)


def test_changing_the_convention_keeps_the_momentum_path(widget_key, page):
    at = page({"surface": "elongated-bowl", "opt": "momentum,nesterov", "steps": "50"})
    before = summary_of(at)
    at.button_group(key=widget_key(SCOPE, "conv")).set_value("pytorch").run()
    assert not at.exception
    after = summary_of(at)
    # momentum's classic form with a (1 - beta) times smaller rate is the same path; PyTorch's Nesterov also
    # moves where the gradient is taken (the same method in shifted variables), so only its rate is rescaled
    np.testing.assert_allclose(after.loc[0, "final x"], before.loc[0, "final x"], rtol=1e-9, atol=1e-12)
    assert after.loc[0, "settings"].startswith("η = 0.014,")  # 0.07 x (1 - 0.8)
    assert after.loc[1, "settings"].startswith("η = 0.014,")
    assert params(at).get("conv") == "pytorch"
    assert "momentum.form" not in params(at) and "momentum.lr" not in params(at), "the new defaults"
    at.button_group(key=widget_key(SCOPE, "conv")).set_value("notes").run()
    np.testing.assert_allclose(summary_of(at)["final x"], before["final x"], rtol=1e-9, atol=1e-12)
    assert params(at) == {"surface": "elongated-bowl", "opt": "momentum,nesterov", "steps": "50"}


# -- caching -----------------------------------------------------------------------------------------------------------

def test_unchanged_settings_do_not_recompute(monkeypatch, widget_key, page):
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
    next(s for s in at.sidebar.selectbox if s.label == "Settings of").set_value("adam")  # Adam's settings
    at.run()
    assert len(calls) == first
    at.number_input(key=widget_key(SCOPE, "adam.lr", "entry")).set_value(0.0123).run()
    assert calls[first:] == ["adam"], "a new Adam learning rate runs Adam again, and only Adam"


# -- the figure --------------------------------------------------------------------------------------------------------

def test_nine_optimizers_times_500_steps_fit_the_figure_budget_on_the_page(plotly_specs, plotly_sizes, page):
    at = page({"surface": "rastrigin", "opt": ",".join(NAMES), "steps": "500"})
    size = plotly_sizes(at)[0]
    assert size <= BUDGET, f"{size:,} bytes"
    spec = plotly_specs(at)[0]
    frame = spec["frames"][0]
    moving = [i for i, d in zip(frame["traces"], frame["data"]) if d]
    assert len(moving) <= 5, "frames carry data for at most five small traces; the paths are sent once"
    assert len(spec["frames"]) <= FRAME_CAP + 1
    assert spec["frames"][-1]["name"] == "501", "the slider reaches the end"


# -- a typed-in function ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["x^2 + 10*y^2", "sin(x)*cos(y) + 0.1*(x^2+y^2)", "(1-x)^2 + 100*(y-x^2)^2",
                                  "log(x) + y^2"])
def test_a_typed_function_races_and_its_link_reproduces_it(text, page, widget_key):
    from surfaces.typed import typed_surface

    at = page({"surface": "own", "f": text, "opt": "gd,adam", "steps": "40"})
    s = typed_surface(text, ("x", "y"))
    assert s.latex.split("= ", 1)[1] in " ".join(str(el.proto) for el in at.get("latex")) or at.get("latex")
    shared = page(params(at))
    pd.testing.assert_frame_equal(summary_of(shared), summary_of(at))
    assert params(at)["surface"] == "own"


def test_typing_a_function_in_the_playground(page, widget_key):
    at = page({"surface": "own", "opt": "gd"})
    at.text_input(key=widget_key(SCOPE, "f", "text")).input("x^2 + y^2 + x*y").run()
    assert not at.exception, [e.value for e in at.exception]
    assert params(at)["f"] == "x^2 + y^2 + x*y"
    at.text_input(key=widget_key(SCOPE, "f", "text")).input("x^^2").run()
    assert not at.exception and params(at)["f"] == "x^2 + y^2 + x*y"


def test_a_typed_function_undefined_in_part_in_3d(page):
    at = page({"surface": "own", "f": "log(x) + sqrt(y)", "opt": "gd,adam", "steps": "30", "view": "3d"})
    assert "left the domain" in " ".join(summary_of(at).astype(str).to_numpy().ravel()) or len(summary_of(at))
