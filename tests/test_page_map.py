"""AppTest tests of the hyperparameter-map page: the map, the clicked cell's run and table against the core,
CSV downloads, the theory beside the measurement, URL state and its notices, caching and progress blocks."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pandas as pd
import pytest
import streamlit as st

import optim.sweep as sweep_module
import surfaces
from optim import iteration_table, registry
from optim.analysis import REGIONS
from optim.analysis import theory_map
from optim.sweep import Axis, SweepSpec, run_cell, sweep, to_csv
from viz.tables import frame

PAGE = "pages/hyperparameter_map.py"
SCOPE = "map"
DEFAULT = SweepSpec("elongated-bowl", "momentum", (-1.6, 1.9), 300,
                    (Axis("lr", 7e-4, 7.0, 100, log=True), Axis("beta", 0.0, 0.99, 100)))


@pytest.fixture(autouse=True)
def fresh_cache():
    st.cache_data.clear()
    yield


def spec_of(**changes) -> SweepSpec:
    from dataclasses import replace

    return replace(DEFAULT, **changes)


def shown_table(at) -> pd.DataFrame:
    return at.dataframe[0].value


@pytest.fixture
def figure(plotly_specs):
    def figure_of(at, key: str) -> dict:
        """The figure of the plotly chart with ``key`` (by the traces it carries)."""
        names = {"map": "cells: ", "path": "start", "rates": "region boundary"}[key]
        for spec in plotly_specs(at):
            if any(names in (t.get("name") or "") for t in spec["data"]):
                return spec
        raise AssertionError(f"no {key} figure")

    return figure_of


def test_default_view_runs_the_grid_and_shows_the_default_cell(open_page, texts, plotly_array, figure):
    at = open_page(PAGE)
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "Hyperparameter map"
    assert not at.warning
    result = sweep(DEFAULT)
    counts = result.counts()
    assert f"{counts['converged']:,} converged" in texts(at) and "10,000 runs of 300 steps" in texts(at)
    # the default cell is the surface's default (lr 0.07, beta 0.8), snapped to the grid
    d = registry.defaults_for(surfaces.get("elongated-bowl"), "momentum")
    index = DEFAULT.nearest_cell((d["lr"], d["beta"]))
    pd.testing.assert_frame_equal(shown_table(at), frame(iteration_table(run_cell(DEFAULT, index))))
    assert dict(at.query_params) == {}  # the defaults keep the link short
    fig = figure(at, "map")
    heat = fig["data"][0]
    assert heat["type"] == "heatmap" and plotly_array(heat["z"]).shape == (100, 100)
    assert fig["layout"]["xaxis"]["type"] == "log" and "learning rate η" in fig["layout"]["xaxis"]["title"]["text"]
    assert "momentum β" in fig["layout"]["yaxis"]["title"]["text"]
    names = [t.get("name") for t in fig["data"]]
    assert {"diverged", "default setting", "the run shown"} <= set(names)


def test_the_map_is_one_vectorized_call_and_is_cached(monkeypatch, open_page, widget_key):
    calls = []
    real = sweep_module.run

    def counting(surface, optimizer, starts, steps, **kw):
        calls.append((optimizer.name, kw.get("record"), optimizer.batch_shape))
        return real(surface, optimizer, starts, steps, **kw)

    monkeypatch.setattr(sweep_module, "run", counting)
    at = open_page(PAGE, {"show": "status"})
    grid_calls = [c for c in calls if c[1] == "final"]
    assert grid_calls == [("momentum", "final", (100, 100))]
    calls.clear()
    at.run()  # nothing changed: everything comes from the cache
    assert calls == []
    at.segmented_control(key=widget_key(SCOPE, "show")).set_value("loss").run()
    assert calls == []  # another colouring of the same grid


def test_a_shared_link_opens_the_same_view(open_page, texts):
    query = {"surface": "rosenbrock", "opt": "adam", "xlo": "0.001", "xhi": "1", "n": "30",
             "steps": "200", "cell": "0.01,0.5", "show": "steps"}
    at = open_page(PAGE, query)
    assert not at.exception and not at.warning
    spec = SweepSpec("rosenbrock", "adam", (-1.5, 2.0), 200,
                     (Axis("lr", 0.001, 1.0, 30, log=True), Axis("beta1", 0.0, 0.99, 30)))
    index = spec.nearest_cell((0.01, 0.5))
    pd.testing.assert_frame_equal(shown_table(at), frame(iteration_table(run_cell(spec, index))))
    # lr = 0.001 * 1000^(k/29): 0.01 lies at k = 29/3 = 9.67, so cell 10, lr = 0.0107978...; beta1 = 0.99 j/29:
    # 0.5 lies at j = 14.65, so cell 15, beta1 = 0.512069... The link names them in 3 digits, which still pick them
    assert index == (10, 15)
    lr, beta1 = 0.001 * 1000 ** (10 / 29), 0.99 * 15 / 29
    assert dict(at.query_params) == query | {"cell": f"{lr:.3g},{beta1:.3g}"} == query | {"cell": "0.0108,0.512"}
    again = open_page(PAGE, dict(at.query_params))
    pd.testing.assert_frame_equal(shown_table(again), shown_table(at))
    assert "β₁ = " in texts(at) and "No theory map here" in texts(at)


@pytest.mark.parametrize("query, phrase", [
    ({"n": "abc"}, "`n=abc` in the link is not a whole number"),
    ({"n": "100000"}, "`n=100000` in the link is outside 2 to 200"),
    ({"steps": "1000000000"}, "`steps=1000000000` in the link is outside 1 to 2000"),
    ({"opt": "sgdd"}, "`opt=sgdd` in the link is not one of"),
    ({"surface": "nowhere"}, "`surface=nowhere` in the link is not one of"),
    ({"xlo": "-1"}, "`xlo=-1` in the link is outside"),
    ({"y": "beta1"}, "`y=beta1` in the link is not one of"),
    ({"cell": "abc"}, "`cell=abc` in the link is not 2 numbers separated by commas"),
    ({"cell": "0.1,x"}, "`cell=0.1,x` in the link is not a list of numbers: “x” is not a number"),
    ({"cell": "0.1,inf"}, "`cell=0.1,inf` in the link is not a list of numbers: “inf” is not finite"),
    ({"show": "nonsense"}, "`show=nonsense` in the link is not one of"),
    ({"x0": "nan"}, "`x0=nan` in the link is outside"),
])
def test_invalid_url_value_gives_a_notice_and_the_default(query, phrase, open_page, texts):
    at = open_page(PAGE, query)
    assert not at.exception
    notices = [w.value for w in at.warning]
    assert len(notices) == 1 and notices[0].startswith(phrase), notices
    assert list(query)[0] not in at.query_params  # the bad value is gone from the link
    assert "10,000 runs of 300 steps" in texts(at)  # and the default map is shown


def test_a_range_that_runs_backwards_falls_back_with_a_notice(open_page, texts):
    at = open_page(PAGE, {"xlo": "1", "xhi": "0.01"})
    assert not at.exception
    assert any("must go from low to high" in w.value for w in at.warning)
    assert "10,000 runs" in texts(at)


def test_grid_csv_is_the_core_sweep(open_page, download_bytes, download_names):
    query = {"n": "12", "steps": "80"}
    at = open_page(PAGE, query)
    assert download_names(at) == ["Download the grid (CSV)", "Download this run's table (CSV)"]
    spec = spec_of(steps=80, axes=(Axis("lr", 7e-4, 7.0, 12, log=True), Axis("beta", 0.0, 0.99, 12)))
    data = download_bytes(at, 0).decode()
    assert data == to_csv(sweep(spec))
    rows = list(csv.DictReader(io.StringIO(data)))
    assert len(rows) == 144 and set(rows[0]) == {"lr", "beta", "final_loss", "status", "step"}


def test_run_csv_parses_back_to_the_shown_table(open_page, download_bytes):
    at = open_page(PAGE, {"n": "20", "steps": "60"})
    back = pd.read_csv(io.BytesIO(download_bytes(at, 1)))
    shown = shown_table(at)
    assert list(back.columns) == list(shown.columns)
    np.testing.assert_array_equal(back.to_numpy(), shown.to_numpy())  # every digit


def test_theory_beside_the_measurement_agrees(open_page, plotly_array, figure):
    at = open_page(PAGE, {"n": "40"})
    spec = spec_of(axes=(Axis("lr", 7e-4, 7.0, 40, log=True), Axis("beta", 0.0, 0.99, 40)))
    fig = figure(at, "rates")
    measured, theory = [t for t in fig["data"] if t["type"] == "heatmap" and t.get("customdata") is not None]
    _, _, th = theory_map(spec)
    np.testing.assert_allclose(plotly_array(theory["customdata"]).T, th.rate, rtol=1e-6)  # float32 on the wire
    rho_m = plotly_array(measured["customdata"]).T
    converging = th.rate < 0.98
    assert np.median(np.abs(rho_m - th.rate)[converging]) < 1e-3
    labels = {a["text"] for a in fig["layout"]["annotations"]}
    assert {f"<b>{r}</b>" for r in REGIONS} <= labels  # the regions are named
    assert "measured from the runs" in labels and "theory: spectral radius of M" in labels
    assert any("regions" not in c.value and "theory's region in" in c.value for c in at.caption)
    assert at.latex and any("pmatrix" in x.value for x in at.latex)  # the iteration matrix beside the maps


def test_gd_sweeps_one_axis_and_compares_rate_curves(open_page, plotly_specs, plotly_array, figure):
    at = open_page(PAGE, {"surface": "notes-quadratic", "opt": "gd", "n": "60", "steps": "100"})
    assert not at.exception and not at.warning
    fig = figure(at, "map")
    assert plotly_array(fig["data"][0]["z"]).shape == (1, 60)  # one row
    curves = [s for s in plotly_specs(at) if any((t.get("name") or "").startswith("theory") for t in s["data"])]
    assert curves and any(t.get("name") == "theory: max |1 − ηλ|" for t in curves[0]["data"])
    assert r"|1 - \eta\lambda|" in at.latex[-1].value


def test_momentum_along_beta_alone_compares_rate_curves(open_page, plotly_specs):
    at = open_page(PAGE, {"x": "beta", "y": "none", "n": "40", "steps": "100"})
    assert not at.exception and not at.warning
    curves = [s for s in plotly_specs(at) if any((t.get("name") or "").startswith("theory") for t in s["data"])]
    assert any(t.get("name") == "theory: spectral radius of M" for t in curves[0]["data"])
    assert curves[0]["layout"]["xaxis"]["title"]["text"].startswith("momentum β")


def test_non_quadratic_or_adaptive_optimizer_explains_why_no_theory(open_page, texts):
    at = open_page(PAGE, {"opt": "adam", "n": "10", "steps": "20"})
    assert "No theory map here" in texts(at) and "Adam's step is not a fixed linear map" in texts(at)
    at = open_page(PAGE, {"surface": "rosenbrock", "n": "10", "steps": "20"})
    assert "needs a quadratic bowl" in texts(at)


@pytest.mark.parametrize("show", ["loss", "steps", "status", "rate"])
def test_every_colouring_labels_diverged_cells_and_never_sends_nan(show, open_page, plotly_array, figure):
    at = open_page(PAGE, {"show": show, "n": "30", "steps": "100"})
    assert not at.exception
    fig = figure(at, "map")
    names = [t.get("name") for t in fig["data"]]
    assert ("ρ ≥ 1: the error grows" if show == "rate" else "diverged") in names
    if show in ("steps", "status"):
        assert any("still moving after 100 steps" == n for n in names)
    for t in fig["data"]:
        if t.get("customdata") is not None and t["type"] == "scatter":
            assert np.all(np.isfinite(plotly_array(t["customdata"])))
    assert "NaN" not in at.get("plotly_chart")[0].proto.spec


def test_changing_the_optimizer_resets_its_axes_and_ranges(open_page, widget_key):
    at = open_page(PAGE, {"n": "10", "steps": "20", "xlo": "0.01"})
    at.selectbox(key=widget_key(SCOPE, "opt")).set_value("adam").run()
    assert not at.exception and not at.warning
    assert at.selectbox(key=widget_key(SCOPE, "y")).value == "beta1"
    assert dict(at.query_params) == {"opt": "adam", "n": "10", "steps": "20"}
    at.selectbox(key=widget_key(SCOPE, "y")).set_value("lr").run()  # the same as x: x takes another parameter
    assert at.selectbox(key=widget_key(SCOPE, "x")).value != "lr" and not at.exception


def test_large_grids_run_in_blocks_with_the_same_result(monkeypatch, open_page, download_bytes):
    monkeypatch.setattr(sweep_module, "SINGLE_CALL_CELL_STEPS", 1000)
    monkeypatch.setattr(sweep_module, "BLOCK_CELL_STEPS", 1000)
    at = open_page(PAGE, {"n": "16", "steps": "40"})
    assert not at.exception
    spec = spec_of(steps=40, axes=(Axis("lr", 7e-4, 7.0, 16, log=True), Axis("beta", 0.0, 0.99, 16)))
    assert len(sweep_module.row_blocks(spec)) > 1
    assert download_bytes(at, 0).decode() == to_csv(sweep(spec))


def test_presentation_mode_is_larger(open_page, figure):
    normal = figure(open_page(PAGE, {"n": "10", "steps": "20"}), "map")
    big = figure(open_page(PAGE, {"n": "10", "steps": "20", "present": "1"}), "map")
    assert big["layout"]["font"]["size"] > normal["layout"]["font"]["size"]
    assert big["layout"]["height"] > normal["layout"]["height"]


def test_the_map_stays_small_on_the_wire(open_page, figure):
    at = open_page(PAGE, {"n": "200", "steps": "50"})
    sizes = {k: len(json.dumps(figure(at, k))) for k in ("map", "rates")}
    assert sizes["map"] < 1_300_000 and sizes["rates"] < 900_000, sizes


@pytest.mark.parametrize("surface, opt", [("bowl", name) for name in registry.NAMES]
                         + [(name, "momentum") for name in surfaces.names()]
                         + [("linear-regression", "sgd"), ("quartic", "newton"), ("saddle", "adagrad")])
def test_every_optimizer_and_surface_draws_a_map(surface, opt, open_page, download_names, figure):
    at = open_page(PAGE, {"surface": surface, "opt": opt, "n": "8", "steps": "15"})
    assert not at.exception, [e.value for e in at.exception]
    assert not at.warning, [w.value for w in at.warning]
    assert figure(at, "map") and figure(at, "path") and len(at.dataframe) == 1
    assert len(download_names(at)) == 2


def test_rosenbrock_opens_with_enough_steps_to_show_where_runs_converge(open_page, texts, widget_key):
    """300 steps of Adam on Rosenbrock converge nowhere on the default grid; the map's default there is 2,000 steps,
    and the caption's counts are the core's sweep of that grid (lr 0.0005 to 5, log; beta1 0 to 0.99; 100 x 100)."""
    at = open_page(PAGE, {"surface": "rosenbrock", "opt": "adam", "n": "40"})
    assert not at.exception
    axes = (Axis("lr", 0.0005, 5.0, 40, log=True), Axis("beta1", 0.0, 0.99, 40))
    few = sweep(SweepSpec("rosenbrock", "adam", (-1.5, 2.0), 300, axes)).counts()
    enough = sweep(SweepSpec("rosenbrock", "adam", (-1.5, 2.0), 2000, axes)).counts()
    assert few["converged"] == 0 < enough["converged"]
    assert ("1,600 runs of 2000 steps from (-1.5, 2) in" in texts(at)
            and f"{enough['converged']:,} converged, {enough['running']:,} still running" in texts(at))
    assert "steps" not in at.query_params  # the surface's default, left out of the link
    at.selectbox(key=widget_key(SCOPE, "surface")).set_value("elongated-bowl").run()  # back to 300 there
    assert at.number_input(key=widget_key(SCOPE, "steps", "number")).value == 300 and "steps" not in at.query_params


def test_range_boxes_show_numbers_as_typed(open_page, widget_key):
    """The default momentum map on the elongated bowl runs lr from 0.0007 to 7 (its default 0.07 / 100 and x 100)
    and beta from 0 to 0.99: the boxes print 0.0007, 7, 0 and 0.99 (printf, as the browser formats them)."""
    at = open_page(PAGE, {"n": "10", "steps": "20"})
    shown = {}
    for name in ("xlo", "xhi", "ylo", "yhi"):
        box = at.number_input(key=widget_key(SCOPE, name, "number"))
        shown[name] = box.proto.format % box.value
    assert shown == {"xlo": "0.0007", "xhi": "7", "ylo": "0", "yhi": "0.99"}
