"""The playground's "Schedule and clipping" expander through AppTest: the η_t column of the tables is the closed
form cell by cell, clipping shows the gradient before and after, links keep the settings, and bad values get one
line and the default."""

from __future__ import annotations

import json

import numpy as np
import pytest

import optim
import surfaces
from optim import defaults_for
from optim.schedules import Schedule

PAGE = "pages/playground.py"


@pytest.fixture
def page(playground):
    return playground


def table_of(at):
    """The iteration table shown (the first selected optimizer's)."""
    return next(d.value for d in at.dataframe if "iteration" in d.value.columns)


def test_inverse_time_schedule_column_is_the_closed_form(page, plotly_array):
    at = page({"surface": "bowl", "opt": "momentum,adam", "steps": "30", "sched": "inverse-time", "decay": "0.5"})
    table = table_of(at)
    lr = defaults_for(surfaces.get("bowl"), "momentum")["lr"]
    np.testing.assert_allclose(table["eta_t"].to_numpy(), lr / (1 + 0.5 * np.arange(30)), rtol=1e-15)
    # the path is the core's run with that schedule
    core = optim.run(surfaces.get("bowl"), optim.make("momentum", **defaults_for(surfaces.get("bowl"), "momentum"),
                                                      schedule=Schedule("inverse-time", decay=0.5)),
                     list(surfaces.get("bowl").starts[0]), 30)
    np.testing.assert_array_equal(table["x_next"].to_numpy(), core.table.column("x_next"))
    # the figure: η_t against t for both optimizers, each from its own η
    figures = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    spec = next(f for f in figures if f["layout"]["yaxis"].get("title", {}).get("text") == "η<sub>t</sub>")
    assert spec["layout"]["xaxis"]["title"]["text"] == "t"
    np.testing.assert_allclose(spec["data"][0]["y"] if isinstance(spec["data"][0]["y"], list) else
                               plotly_array(spec["data"][0]["y"]), lr / (1 + 0.5 * np.arange(30)), rtol=1e-15)
    assert [d["name"].split(" (")[0] for d in spec["data"]] == ["Momentum", "Adam"]
    assert any(r"\frac{\eta}{1 + k\, t}" in x.value for x in at.latex)


def test_cosine_with_warmup_and_clipping(page):
    at = page({"surface": "rosenbrock", "opt": "gd", "steps": "40", "sched": "cosine", "tmax": "30",
               "etamin": "0.0001", "warmup": "5", "clip": "norm", "clipc": "10"})
    table = table_of(at)
    lr = defaults_for(surfaces.get("rosenbrock"), "gd")["lr"]
    t = np.arange(40)
    eta = (1e-4 + (lr - 1e-4) * (1 + np.cos(np.pi * t / 30)) / 2) * np.minimum(t, 5) / 5
    np.testing.assert_allclose(table["eta_t"].to_numpy(), eta, rtol=1e-14, atol=1e-18)
    g = table[["df/dx", "df/dy"]].to_numpy()
    clipped = table[["g_clip_x", "g_clip_y"]].to_numpy()
    norm = np.linalg.norm(g, axis=1, keepdims=True)
    np.testing.assert_allclose(clipped, g * np.minimum(1, 10 / (norm + 1e-6)), rtol=1e-14)
    assert norm.max() > 10  # clipping acted
    np.testing.assert_allclose(table["x_next"], table["x"] - eta * clipped[:, 0], rtol=1e-14)


def test_no_schedule_keeps_the_tables_and_second_order_methods_run_without(page):
    at = page({"surface": "bowl", "opt": "newton,gd", "steps": "10"})
    assert "eta_t" not in table_of(at).columns
    at = page({"surface": "bowl", "opt": "newton,gd", "steps": "10", "sched": "exponential", "gamma": "0.8"})
    assert "eta_t" not in table_of(at).columns  # Newton's table: it chooses its own step
    assert any("choose their own step length" in c.value for c in at.caption)


@pytest.mark.parametrize("query, message, schedule", [
    ({"sched": "step", "gamma": "0"}, "gamma", Schedule("step")),
    ({"sched": "step", "period": "0"}, "period", Schedule("step")),
    ({"sched": "inverse-time", "decay": "-1"}, "decay", Schedule("inverse-time")),
    ({"clip": "norm", "clipc": "0"}, "clipc", None),
])
def test_bad_link_values_fall_back_to_the_default_with_a_notice(page, query, message, schedule):
    """The bad value is named in a notice and its default (γ = 0.5, s = 10, k = 0.1, c = 1) is used."""
    at = page({"surface": "bowl", "opt": "gd", "steps": "20", **query})
    texts = " ".join(str(x.value) for x in (*at.warning, *at.markdown, *at.caption, *at.info))
    assert message in texts
    table = table_of(at)
    lr = defaults_for(surfaces.get("bowl"), "gd")["lr"]
    if schedule is None:
        assert "eta_t" not in table.columns
        g = table[["df/dx", "df/dy"]].to_numpy()
        expected = g * np.minimum(1, 1.0 / (np.linalg.norm(g, axis=1, keepdims=True) + 1e-6))
        np.testing.assert_allclose(table[["g_clip_x", "g_clip_y"]].to_numpy(), expected, rtol=1e-14)
    else:
        np.testing.assert_allclose(table["eta_t"].to_numpy(), schedule.rate(lr, np.arange(20)), rtol=1e-15)


def test_warmup_longer_than_the_run_gets_one_line_and_no_schedule(page):
    at = page({"surface": "bowl", "opt": "gd", "steps": "20", "sched": "exponential", "warmup": "50"})
    warnings = [w.value for w in at.warning]
    assert any(w.startswith("The warm-up (50 steps) is longer than the run (20 steps)") and "\n" not in w
               for w in warnings), warnings
    assert "eta_t" not in table_of(at).columns


def test_the_line_search_follows_the_surface(page, widget_key):
    """CG opens with the exact search on a quadratic (the minimum of the 2-D bowl in two steps) and Armijo's on
    Rosenbrock; a new surface brings its own line search."""
    at = page({"surface": "elongated-bowl", "opt": "cg", "steps": "5"})
    table = table_of(at)
    np.testing.assert_allclose(table[["x_next", "y_next"]].to_numpy()[1], 0.0, atol=1e-12)
    assert (table["f_evals"] == 0).all()  # the exact search evaluates no trial point
    at.selectbox(key=widget_key("play", "surface")).set_value("rosenbrock").run()
    assert not at.exception
    table = table_of(at)
    core = optim.run(surfaces.get("rosenbrock"), optim.make("cg", line_search="armijo"),
                     list(surfaces.get("rosenbrock").starts[0]), int(table["iteration"].iloc[-1]))
    np.testing.assert_array_equal(table["f_evals"].to_numpy(), core.table.column("f_evals"))
    assert (table["f_evals"] > 1).all()
