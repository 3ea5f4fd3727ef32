"""AppTest tests of the Batch Normalization page: its numbers are the core's, tables and CSV agree, the URL keeps
and validates every setting, the learning-rate experiment is reported honestly, heavy work is cached."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
import streamlit as st

import nets
from viz.style import PRESENT

PAGE = "pages/batch_norm.py"
SCOPE = "bn"


@pytest.fixture
def key(widget_key):
    """The key of the widget of a setting of this page (its slider unless ``part`` says otherwise)."""
    return lambda name, part="slider": widget_key(SCOPE, name, part)


def core_cache(m=32, shift=3.0, scale=2.0, skew=4.0, seed=0, gamma=1.0, beta=0.0, eps=1e-5, eps_in_sqrt=True):
    x = nets.make_activations(m, 1, shift=shift, scale=scale, skew=skew, seed=seed)
    return nets.batchnorm_forward(x, gamma, beta, eps=eps, eps_in_sqrt=eps_in_sqrt)[1]


QUERY = {"m": "16", "shift": "-1.5", "scale": "0.5", "skew": "-2", "seed": "7", "gamma": "2", "beta": "-1"}


def test_the_table_is_the_core_forward_pass_column_by_column(open_page):
    at = open_page(PAGE, QUERY)
    assert not at.exception
    df = at.dataframe[0].value
    c = core_cache(16, -1.5, 0.5, -2.0, 7, 2.0, -1.0)
    assert list(df.columns) == ["i", "hᵢ", "hᵢ − μ", "ĥᵢ", "yᵢ"]
    assert list(df["i"]) == list(range(1, 17))
    for col, a in zip(["hᵢ", "hᵢ − μ", "ĥᵢ", "yᵢ"], [c.x, c.x_centered, c.x_hat, c.y]):
        np.testing.assert_array_equal(df[col].to_numpy(), a[:, 0])
    # and the core's numbers are the formulas, written out independently here
    h = nets.make_activations(16, 1, shift=-1.5, scale=0.5, skew=-2.0, seed=7)[:, 0]
    mu = h.sum() / 16
    sigma2 = ((h - mu) ** 2).sum() / 16
    np.testing.assert_allclose(df["yᵢ"], 2.0 * (h - mu) / np.sqrt(sigma2 + 1e-5) - 1.0, rtol=1e-12)


def test_the_check_table_shows_mean_0_and_variance_1_after_normalizing(open_page):
    at = open_page(PAGE, QUERY)
    summary = at.dataframe[1].value.set_index("over the batch")
    c = core_cache(16, -1.5, 0.5, -2.0, 7, 2.0, -1.0)
    assert summary.loc["mean", "hᵢ"] == pytest.approx(c.mu[0], rel=1e-13)
    assert summary.loc["variance (÷ m)", "hᵢ"] == pytest.approx(c.var[0], rel=1e-12)
    assert summary.loc["mean", "ĥᵢ"] == pytest.approx(0.0, abs=1e-14)
    assert summary.loc["variance (÷ m)", "ĥᵢ"] == pytest.approx(c.var[0] / (c.var[0] + 1e-5), rel=1e-12)
    assert summary.loc["mean", "yᵢ"] == pytest.approx(-1.0, abs=1e-13)  # beta
    assert summary.loc["standard deviation", "yᵢ"] == pytest.approx(2.0 * np.sqrt(c.var[0] / (c.var[0] + 1e-5)))


def test_the_notes_form_divides_by_sigma_plus_eps(open_page):
    at = open_page(PAGE, {"form": "notes", "eps": "0.1", "m": "8"})
    df = at.dataframe[0].value
    h = nets.make_activations(8, 1, shift=3.0, scale=2.0, skew=4.0, seed=0)[:, 0]
    sigma = np.sqrt(np.mean((h - h.mean()) ** 2))
    np.testing.assert_allclose(df["ĥᵢ"], (h - h.mean()) / (sigma + 0.1), rtol=1e-12)
    latex = "".join(el.proto.body for el in at.get("latex"))
    assert r"\sigma + \epsilon" in latex
    std = open_page(PAGE, {"eps": "0.1", "m": "8"}).dataframe[0].value
    assert not np.allclose(std["ĥᵢ"], df["ĥᵢ"])  # the two forms differ visibly with a large eps


def test_csv_parses_back_to_the_table_bit_for_bit(open_page, download_bytes):
    at = open_page(PAGE, QUERY)
    back = pd.read_csv(io.BytesIO(download_bytes(at, 0)))
    shown = at.dataframe[0].value
    assert list(back.columns) == list(shown.columns)
    np.testing.assert_array_equal(back.to_numpy(), shown.to_numpy())


def test_histograms_count_every_example_and_follow_example_1(open_page, plotly_specs, plotly_array):
    at = open_page(PAGE, QUERY)
    figs = plotly_specs(at)
    assert len(figs) == 4
    df = at.dataframe[0].value
    for fig, col in zip(figs, ["hᵢ", "hᵢ − μ", "ĥᵢ", "yᵢ"]):
        bars = next(t for t in fig["data"] if t["type"] == "bar")
        assert plotly_array(bars["y"]).sum() == 16
        one = next(t for t in fig["data"] if t.get("name") == "example 1")
        assert plotly_array(one["x"])[0] == df[col].iloc[0]
    # one shared axis: the four panels show the same x range
    ranges = {tuple(f["layout"]["xaxis"]["range"]) for f in figs}
    assert len(ranges) == 1


def test_formulas_carry_this_batch_numbers(open_page):
    at = open_page(PAGE, QUERY)
    c = core_cache(16, -1.5, 0.5, -2.0, 7, 2.0, -1.0)
    latex = "".join(el.proto.body for el in at.get("latex"))
    assert f"= {c.mu[0]:.4g}" in latex
    assert f"{c.sigma[0]:.4g}" in latex
    assert r"2\,\hat h_i - 1" in latex


def test_moving_gamma_changes_the_output_and_the_url(open_page, key):
    at = open_page(PAGE)
    before = at.dataframe[0].value["yᵢ"].to_numpy()
    at.slider(key=key("gamma")).set_value(0.5).run()
    after = at.dataframe[0].value["yᵢ"].to_numpy()
    np.testing.assert_allclose(after, 0.5 * before, rtol=1e-12)
    at.number_input(key=key("beta", "entry")).set_value(1.25).run()
    np.testing.assert_allclose(at.dataframe[0].value["yᵢ"], 0.5 * before + 1.25, rtol=1e-12)
    assert dict(at.query_params) == {"gamma": "0.5", "beta": "1.25"}
    shared = open_page(PAGE, dict(at.query_params))
    pd.testing.assert_frame_equal(shared.dataframe[0].value, at.dataframe[0].value)


@pytest.mark.parametrize(
    "query, phrase",
    [({"m": "abc"}, "`m=abc` in the link is not a whole number"),
     ({"m": "1"}, "`m=1` in the link is outside 2 to 512"),
     ({"gamma": "nan"}, "`gamma=nan` in the link is outside"),
     ({"eps": "2e-5"}, "`eps=2e-5` in the link is not one of"),
     ({"view": "everything"}, "`view=everything` in the link is not one of"),
     ({"form": "mine"}, "`form=mine` in the link is not one of")],
)
def test_invalid_url_values_give_a_notice_and_the_default(query, phrase, open_page):
    at = open_page(PAGE, query)
    assert not at.exception
    notices = [w.value for w in at.warning]
    assert len(notices) == 1 and notices[0].startswith(phrase), notices
    np.testing.assert_array_equal(at.dataframe[0].value["yᵢ"], core_cache().y[:, 0])
    assert not set(query) & set(at.query_params)


def test_inference_view_shows_the_running_averages_of_the_core(open_page, download_bytes, texts):
    at = open_page(PAGE, {"view": "inference", "m": "8", "momentum": "0.3", "batches": "40", "unbiased": "0"})
    assert not at.exception
    df = at.dataframe[0].value
    tr = nets.running_average_demo(40, 8, shift=3.0, scale=2.0, skew=4.0, momentum=0.3, unbiased=False, seed=0)
    assert len(df) == 40
    np.testing.assert_array_equal(df["running mean μ̂"], tr.running_mean[:, 0])
    np.testing.assert_array_equal(df["running variance σ̂²"], tr.running_var[:, 0])
    np.testing.assert_array_equal(df["probe, training mode"], tr.probe_train[:, 0])
    np.testing.assert_array_equal(df["probe, inference mode"], tr.probe_inference[:, 0])
    # the running averages approach the population's: mean 3, variance 4
    assert abs(df["running mean μ̂"].iloc[-1] - 3.0) < 0.6 and abs(df["running variance σ̂²"].iloc[-1] - 4.0) < 2.0
    back = pd.read_csv(io.BytesIO(download_bytes(at, 0)))
    np.testing.assert_array_equal(back.to_numpy(), df.to_numpy())
    assert "inference" in texts(at).lower()


def test_the_learning_rate_experiment_is_the_core_and_is_reported_honestly(open_page, download_bytes, plotly_specs,
                                                                         plotly_array, texts):
    at = open_page(PAGE, {"view": "lr"})
    assert not at.exception
    exp = nets.bn_learning_rate_experiment()
    df = at.dataframe[0].value
    assert list(df["η"]) == ["0.01", "0.1", "1", "3", "10"]
    assert list(df["plain: outcome"]) == list(exp.plain.outcome)
    assert list(df["BN: outcome"]) == list(exp.bn.outcome)
    np.testing.assert_array_equal(df["BN: accuracy (%)"], 100 * exp.bn.accuracy)
    np.testing.assert_array_equal(df["plain: final loss"], np.where(np.isfinite(exp.plain.final_loss),
                                                                    exp.plain.final_loss, np.nan))
    # what the defaults show: BN trains at 3 where plain does not; at 10 both fail
    assert exp.plain.outcome[3] != "trained" and exp.bn.outcome[3] == "trained"
    assert exp.plain.outcome[4] != "trained" and exp.bn.outcome[4] != "trained"
    text = texts(at)
    assert "**Only the network with BN trained** at η = 3" in text
    assert "**Neither trained** at η = 10" in text
    assert "higher, but not without limit: even BN failed at η = 10" in text
    fig = next(f for f in plotly_specs(at) if len(f["data"]) > 10)
    curves = [t for t in fig["data"] if t.get("name") == "with BN: whole dataset"]
    assert len(curves) == 5
    np.testing.assert_array_equal(plotly_array(curves[3]["y"]), exp.bn.eval_loss[3])
    back = pd.read_csv(io.BytesIO(download_bytes(at, 0)))
    assert list(back["η"]) == [0.01, 0.1, 1.0, 3.0, 10.0]
    assert list(back["plain: overflowed"]) == ["no", "no", "no", "no", f"at step {exp.plain.diverged_at[4]}"]


def test_learning_rates_are_typed_and_a_bad_list_keeps_the_last_valid_one(open_page, key):
    at = open_page(PAGE, {"view": "lr", "lrs": "0.1,5", "steps": "100", "data": "spirals", "lrseed": "2"})
    exp = nets.bn_learning_rate_experiment((0.1, 5.0), dataset="spirals", steps=100, seed=2)
    df = at.dataframe[0].value
    assert list(df["plain: outcome"]) == list(exp.plain.outcome)
    np.testing.assert_array_equal(df["plain: accuracy (%)"], 100 * exp.plain.accuracy)
    box = at.text_input(key=key("lrs", "text"))
    box.input("0.1, fast").run()
    assert any("Could not read “0.1, fast”" in w.value for w in at.warning)
    pd.testing.assert_frame_equal(at.dataframe[0].value, df)
    assert at.query_params["lrs"] == "0.1,5"
    at.text_input(key=key("lrs", "text")).input("0.5 ").run()
    assert not at.warning
    assert list(at.dataframe[0].value["η"]) == ["0.5"]
    assert at.query_params["lrs"] == "0.5"


def test_the_experiment_is_cached(monkeypatch, open_page, key):
    calls = []
    real = nets.bn_learning_rate_experiment
    monkeypatch.setattr(nets, "bn_learning_rate_experiment", lambda *a, **k: calls.append(a) or real(*a, **k))
    st.cache_data.clear()
    at = open_page(PAGE, {"view": "lr", "lrs": "0.1,1", "steps": "60"})
    assert len(calls) == 1
    at.run()
    at.run()
    assert len(calls) == 1
    at.slider(key=key("lrseed")).set_value(1).run()
    assert len(calls) == 2


def test_presentation_mode_enlarges_every_figure(open_page, plotly_specs):
    for view in ("steps", "inference", "lr"):
        at = open_page(PAGE, {"present": "1", "view": view, "steps": "60"})
        assert not at.exception
        assert all(f["layout"]["font"]["size"] == PRESENT.font for f in plotly_specs(at))
