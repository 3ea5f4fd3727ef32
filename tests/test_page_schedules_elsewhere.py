"""Schedules and clipping beyond the playground: the learning-rate page's "Any optimizer" view and the hyperparameter
map, through AppTest. Every expected value is recomputed here: η_t from its closed form, the steps and clipped
gradients by hand from f′ of the notes' curves, the map from the core's sweep called in the test."""

from __future__ import annotations

import csv
import io

import numpy as np
import pytest
import streamlit as st

import optim
import surfaces
from optim.derived import with_corrected
from optim.schedules import Clip, Schedule
from optim.sweep import Axis, SweepSpec, sweep

LR_PAGE = "pages/learning_rate.py"
MAP_PAGE = "pages/hyperparameter_map.py"
FIVE = ["iteration", "w", "f(w)", "f'(w)", "w_next"]


@pytest.fixture(autouse=True)
def fresh_cache():
    st.cache_data.clear()
    yield


def tables(at) -> list:
    return [d.value for d in at.dataframe if "iteration" in d.value.columns]


def quartic_slope(w):
    return 24 * w**3 - 6 * w**2 - 24 * w + 1  # f = 6w⁴ − 2w³ − 12w² + w + 1


def test_step_schedule_on_the_notes_quadratic_is_the_closed_form_cell_by_cell(open_page, plotly_specs, plotly_array):
    at = open_page(LR_PAGE, {"view": "optimizers", "opt": "gd,newton", "gd.lr": "0.1", "w0": "2", "steps": "12",
                             "sched": "step", "gamma": "0.5", "period": "3"})
    assert not at.exception, [e.value for e in at.exception]
    assert not at.warning
    gd, newton = tables(at)
    t = np.arange(12)
    eta = 0.1 * 0.5 ** (t // 3)
    assert list(gd.columns) == FIVE + ["eta_t"]
    np.testing.assert_array_equal(gd["eta_t"].to_numpy(), eta)  # 0.1 · 2^-k is exact in binary
    w = 2.0
    for k, row in gd.iterrows():  # by hand: f = 2w² + w + 4, f′ = 4w + 1
        assert row["w"] == pytest.approx(w, rel=1e-15, abs=1e-15)
        assert row["f'(w)"] == pytest.approx(4 * w + 1, rel=1e-15, abs=1e-15)
        w = w - eta[k] * (4 * w + 1)
        assert row["w_next"] == pytest.approx(w, rel=1e-15, abs=1e-15)
    np.testing.assert_allclose(gd["w_next"], gd["w"] - gd["eta_t"] * gd["f'(w)"], rtol=1e-15, atol=1e-16)
    # Newton chooses its own step: no η_t column, one step to the minimum −1/4, and the page says why
    assert "eta_t" not in newton.columns and newton["w_next"].iloc[0] == pytest.approx(-0.25, abs=1e-15)
    assert any("choose their own step length" in c.value for c in at.caption)
    # the expander draws η_t against t for gradient descent only
    fig = next(f for f in plotly_specs(at) if f["layout"]["yaxis"].get("title", {}).get("text") == "η<sub>t</sub>")
    assert [d["name"] for d in fig["data"]] == ["Gradient descent (η = 0.1)"]
    np.testing.assert_array_equal(plotly_array(fig["data"][0]["y"]), eta)


def test_clipping_by_value_on_the_quartic_limits_the_slope(open_page, download_bytes):
    at = open_page(LR_PAGE, {"view": "optimizers", "surface": "quartic", "opt": "gd,adam", "gd.lr": "0.01",
                             "w0": "-1.4", "steps": "40", "clip": "value", "clipc": "2"})
    assert not at.exception, [e.value for e in at.exception]
    gd, adam = tables(at)
    assert list(gd.columns) == FIVE + ["g_clip"]
    slope = quartic_slope(gd["w"].to_numpy())
    np.testing.assert_allclose(gd["f'(w)"], slope, rtol=1e-13, atol=1e-13)
    np.testing.assert_array_equal(gd["g_clip"].to_numpy(), np.clip(gd["f'(w)"].to_numpy(), -2, 2))
    assert (np.abs(slope) > 2).sum() >= 5 and (np.abs(slope) < 2).any()  # clipping acted, and not on every row
    w = -1.4
    for _, row in gd.iterrows():
        assert row["w"] == pytest.approx(w, rel=1e-14)
        w = w - 0.01 * float(np.clip(quartic_slope(w), -2, 2))
    assert gd["w_next"].iloc[-1] == pytest.approx(w, rel=1e-13)
    # Adam sees the clipped gradient too: its first moment after step 1 is (1 − β₁) · clip(f′(w₀))
    assert adam["g_clip"].iloc[0] == -2.0
    assert adam["m"].iloc[0] == pytest.approx(0.1 * -2.0, rel=1e-15)
    back = list(csv.DictReader(io.StringIO(download_bytes(at, 0).decode())))
    assert [float(r["g_clip"]) for r in back] == gd["g_clip"].tolist()  # the CSV has every digit


def test_the_notes_default_view_is_unchanged_by_a_schedule_in_the_link(open_page):
    at = open_page(LR_PAGE, {"sched": "step", "gamma": "0.5", "period": "3"})
    assert not at.exception
    (table,) = tables(at)
    assert list(table.columns) == FIVE and len(table) == 21  # the notes' η = 0.1 table, 21 rows
    np.testing.assert_allclose(table["w_next"], table["w"] - 0.1 * (4 * table["w"] + 1), rtol=1e-15, atol=1e-16)


def test_with_corrected_skips_the_run_columns():
    """Adam's bias-corrected columns beside η_t and g_clip (the core's table helper of the curves' view)."""
    quartic = surfaces.get("quartic")
    r = optim.run(quartic, optim.make("adam", lr=0.01, schedule=Schedule("exponential", gamma=0.9),
                                      clip=Clip(value=1.0)), [-1.4], 6)
    table = with_corrected(r)
    assert table.columns[-4:] == ("g_clip", "eta_t", "m_hat", "v_hat")
    np.testing.assert_allclose(table.column("eta_t"), 0.01 * 0.9 ** np.arange(6), rtol=1e-15)
    np.testing.assert_allclose(table.column("m_hat"), table.column("m") / (1 - 0.9 ** np.arange(1, 7)), rtol=1e-15)


# -- the hyperparameter map -----------------------------------------------------------------------------------------

MAP_QUERY = {"n": "5", "steps": "40", "xlo": "0.001", "xhi": "1", "ylo": "0", "yhi": "0.9", "cell": "0.0316,0.45",
             "sched": "step", "gamma": "0.5", "period": "3", "clip": "norm", "clipc": "2"}
AXES = (Axis("lr", 0.001, 1.0, 5, log=True), Axis("beta", 0.0, 0.9, 5))


def map_spec(schedule: Schedule, clip: Clip | None) -> SweepSpec:
    return SweepSpec("elongated-bowl", "momentum", (-1.6, 1.9), 40, AXES, schedule=schedule, clip=clip)


def test_the_map_sweeps_with_the_schedule_and_the_cell_path_ends_where_its_cell_does(open_page, download_bytes,
                                                                                         plotly_specs, plotly_array,
                                                                                         texts, widget_key):
    at = open_page(MAP_PAGE, MAP_QUERY)
    assert not at.exception, [e.value for e in at.exception]
    assert not at.warning
    expected = sweep(map_spec(Schedule("step", gamma=0.5, step_size=3), Clip(norm=2.0)))
    plain = sweep(map_spec(None, None))
    assert not np.allclose(expected.final_loss, plain.final_loss)  # the schedule and clipping change the map
    rows = list(csv.DictReader(io.StringIO(download_bytes(at, 0).decode())))
    np.testing.assert_array_equal([float(r["final_loss"]) for r in rows], expected.final_loss.ravel())
    # the clicked cell (η = 10^-1.5, β = 0.45 is cell (2, 2)): its table and its path end at the sweep's point
    end = expected.final_position[2, 2]
    table = tables(at)[0]
    np.testing.assert_allclose(table["eta_t"].to_numpy(), 10**-1.5 * 0.5 ** (np.arange(40) // 3), rtol=1e-15)
    assert table[["x_next", "y_next"]].iloc[-1].tolist() == end.tolist()
    path = next(f for f in plotly_specs(at) if any(t.get("name") == "start" for t in f["data"]))
    trace = next(t for t in path["data"] if t.get("name") == "w<sub>t</sub>")
    assert [plotly_array(trace["x"])[-1], plotly_array(trace["y"])[-1]] == end.tolist()
    assert "No theory map here: the iteration-matrix theory needs one fixed linear map per step" in texts(at)
    # a new decay factor recomputes the grid and the cell (the cached calls key on the schedule)
    at.number_input(key=widget_key("map", "gamma", "number")).set_value(0.8).run()
    assert not at.exception
    again = sweep(map_spec(Schedule("step", gamma=0.8, step_size=3), Clip(norm=2.0)))
    rows = list(csv.DictReader(io.StringIO(download_bytes(at, 0).decode())))
    np.testing.assert_array_equal([float(r["final_loss"]) for r in rows], again.final_loss.ravel())
    assert tables(at)[0][["x_next", "y_next"]].iloc[-1].tolist() == again.final_position[2, 2].tolist()
    assert at.query_params.get("gamma") in ("0.8", ["0.8"])  # the link keeps it


def test_a_second_order_optimizer_on_the_map_has_no_schedule(open_page):
    at = open_page(MAP_PAGE, {"opt": "newton", "surface": "rosenbrock", "n": "4", "steps": "10", "sched": "step"})
    assert not at.exception, [e.value for e in at.exception]
    assert not [e for e in at.get("expander") if "Schedule" in str(e.proto.label)]
    assert "eta_t" not in tables(at)[0].columns


def test_a_warmup_longer_than_the_map_run_gets_one_line(open_page):
    at = open_page(MAP_PAGE, {"n": "4", "steps": "20", "sched": "cosine", "warmup": "50"})
    assert not at.exception
    assert [w.value for w in at.warning if "warm-up" in w.value] == [
        next(w.value for w in at.warning if w.value.startswith("The warm-up (50 steps) is longer than the run"))]
    assert "eta_t" not in tables(at)[0].columns
    assert "Why: the theory on a quadratic" in [s.value for s in at.subheader]
