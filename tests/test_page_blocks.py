"""AppTest tests of the Building blocks pages: the numbers shown are the core's (and a few are checked by hand),
CSV downloads parse back to the tables, the URL keeps every setting, bad input gets a one-line message while the
last good view stays."""

from __future__ import annotations

import io
import math

import numpy as np
import pandas as pd
import pytest

from nets import activations as A
from nets import conv as C
from nets import dropout as D
from nets import init as I
from viz.style import PRESENT

LOSSES, ACTS, INITS, DROP, CONV = ("pages/losses.py", "pages/activations.py", "pages/initializers.py",
                                   "pages/dropout.py", "pages/convolution.py")


@pytest.fixture
def key(widget_key):
    """The key of a setting's widget on a page (its text box unless ``part`` says otherwise)."""
    return lambda scope, name, part="text": widget_key(scope, name, part)


@pytest.fixture
def csv(download_bytes):
    return lambda at, index: pd.read_csv(io.BytesIO(download_bytes(at, index)))


# -- loss functions -----------------------------------------------------------------------------------------------

def test_loss_numbers_are_worked_out_term_by_term_and_download(open_page, download_names, csv):
    at = open_page(LOSSES, {"view": "numbers"})
    assert not at.exception
    losses = at.dataframe[0].value.set_index("loss")
    # the defaults y = 3, −0.5, 2, 7 and ŷ = 2.5, 0, 2, 10, by hand
    assert losses.loc["MSE", "value"] == pytest.approx(9.5 / 4)
    assert losses.loc["MSE", "arithmetic"] == "(0.25 + 0.25 + 0 + 9) / 4 = 2.375"
    assert losses.loc["L1 (sum)", "arithmetic"] == "0.5 + 0.5 + 0 + 3 = 4"
    assert losses.loc["Huber (δ = 1)", "value"] == pytest.approx((0.125 + 0.125 + 0 + 2.5) / 4)
    notes = losses.loc["Huber as printed in the notes (δ = 1)"]
    assert notes["value"] == pytest.approx((0.125 + 0.125 + 0 - 3.5) / 4) and notes["value"] < 0
    assert losses.loc["MSLE", "value"] == pytest.approx(np.mean((np.log1p([2.5, 0, 2, 10]) - np.log1p([3, -0.5, 2, 7])) ** 2))
    grad = at.dataframe[2].value.set_index("loss")
    assert grad.loc["MSE", "∂L/∂ŷ_4"] == pytest.approx(2 * (10 - 7) / 4)
    assert grad.loc["Huber (δ = 1)", "∂L/∂ŷ_4"] == pytest.approx(1 / 4)
    assert download_names(at) == ["Download the losses (CSV)", "Download the examples (CSV)",
                                  "Download the gradients (CSV)"]
    for k in range(3):
        back, shown = csv(at, k), at.dataframe[k].value
        assert list(back.columns) == list(shown.columns)
        num = shown.select_dtypes("number").columns
        np.testing.assert_array_equal(back[num].to_numpy(), shown[num].to_numpy())


def test_typed_predictions_change_the_losses_and_the_url_and_a_mismatch_keeps_the_last_view(open_page, key):
    at = open_page(LOSSES, {"view": "numbers"})
    at.text_input(key=key("loss", "yhat")).input("3, -0.5, 2, 7").run()
    assert at.dataframe[0].value.set_index("loss").loc["MSE", "value"] == 0
    assert at.query_params["yhat"] == "3, -0.5, 2, 7"
    good = at.dataframe[0].value
    at.text_input(key=key("loss", "yhat")).input("1, 2").run()
    assert not at.exception
    warnings = [w.value for w in at.warning]
    assert warnings == ["4 targets but 2 predictions: give one prediction per target. Showing the last numbers that "
                        "worked."]
    pd.testing.assert_frame_equal(at.dataframe[0].value, good)
    at.text_input(key=key("loss", "yhat")).input("1, **x**").run()
    assert any("Could not read “1, \\*\\*x\\*\\*”: “\\*\\*x\\*\\*” is not a number" in w.value for w in at.warning)


def test_mape_with_a_zero_target_is_undefined_in_its_row_only(open_page):
    at = open_page(LOSSES, {"view": "numbers", "y": "0, 1", "yhat": "1, 1"})
    losses = at.dataframe[0].value.set_index("loss")
    assert losses.loc["MAPE", "arithmetic"] == "undefined: a target yᵢ is 0" and math.isnan(losses.loc["MAPE", "value"])
    assert losses.loc["MSE", "value"] == 0.5


@pytest.mark.parametrize("query, phrase", [
    ({"task": "binary", "bp": "0.5, 1.5, 0.2, 0.1"}, "a predicted probability is outside \\[0, 1\\]"),
    ({"task": "hinge", "hy": "1, 0, 1, -1"}, "hinge labels must be −1 or 1"),
    ({"task": "categorical", "cp": "0.5 0.6 0; 0.1 0.3 0.6; 0.3 0.4 0.3"}, "row 1 of the probabilities sums to 1.1, not 1"),
])
def test_classification_bad_input_is_one_line_and_the_defaults_stay(query, phrase, open_page):
    at = open_page(LOSSES, {"view": "numbers", **query})
    assert not at.exception
    assert [w.value.split(". Showing")[0] for w in at.warning] == [phrase]
    assert len(at.dataframe) == 2


def test_classification_losses_equal_the_core(open_page):
    at = open_page(LOSSES, {"view": "numbers", "task": "categorical"})
    losses = at.dataframe[0].value.set_index("loss")["value"]
    expected = -np.mean(np.log([0.7, 0.6, 0.4]))
    assert losses.iloc[0] == pytest.approx(expected) and losses.iloc[1] == pytest.approx(expected)
    assert losses.iloc[2] == pytest.approx(np.mean([max(0, 1 + 0.2 - 0.7), max(0, 1 + 0.3 - 0.6), max(0, 1 + 0.3 - 0.4)]))
    at = open_page(LOSSES, {"view": "numbers", "task": "hinge"})
    assert at.dataframe[0].value["value"].iloc[0] == pytest.approx(np.mean([0, 0.5, 0.7, 2.5]))
    assert "TypeError" in "".join(c.value for c in at.code)
    at = open_page(LOSSES, {"view": "numbers", "task": "binary"})
    assert at.dataframe[0].value["value"].iloc[0] == pytest.approx(
        -np.mean(np.log([0.9, 0.8, 0.4, 0.01])), rel=1e-12)


def test_the_huber_curve_is_the_formula_and_the_notes_curve_goes_negative(open_page, plotly_specs, texts, plotly_array):
    at = open_page(LOSSES, {"delta": "1.5", "reach": "5"})
    fig = plotly_specs(at)[0]
    huber = next(t for t in fig["data"] if t.get("name") == "Huber (δ = 1.5)")
    r, y = plotly_array(huber["x"]), plotly_array(huber["y"])
    np.testing.assert_allclose(y, np.where(np.abs(r) <= 1.5, r * r / 2, 1.5 * (np.abs(r) - 0.75)), atol=1e-12)
    notes = next(t for t in fig["data"] if t.get("name") == "Huber as printed in the notes")
    assert plotly_array(notes["y"]).min() == pytest.approx(1.5 * (-5 - 0.75))
    assert "negative" in texts(at)


@pytest.mark.parametrize("query, notice", [
    ({"delta": "0"}, "`delta=0` in the link is outside 0.05 to 5; using 1."),
    ({"delta": "-1"}, "`delta=-1` in the link is outside 0.05 to 5; using 1."),
    ({"y": "1, x"}, "`y=1, x` in the link is “x” is not a number; using 3, -0.5, 2, 7."),
])
def test_bad_values_in_a_link_get_a_notice_and_the_default(query, notice, open_page):
    at = open_page(LOSSES, {"view": "numbers", **query})
    assert not at.exception
    assert [w.value for w in at.warning] == [notice]
    assert at.dataframe[0].value.set_index("loss").loc["MSE", "value"] == pytest.approx(9.5 / 4)


def test_every_loss_view_renders_in_presentation_mode(open_page, plotly_specs):
    for query in ({}, {"family": "margin"}, {"family": "probability"}, {"view": "numbers"}):
        at = open_page(LOSSES, {"present": "1", **query})
        assert not at.exception
        assert all(f["layout"]["font"]["size"] == PRESENT.font for f in plotly_specs(at))


# -- activations ----------------------------------------------------------------------------------------------------

def test_activation_table_and_vanishing_range_are_the_core(open_page, plotly_specs, texts):
    at = open_page(ACTS, {"fn": "tanh", "reach": "8"})
    assert not at.exception
    df = at.dataframe[0].value
    np.testing.assert_allclose(df["tanh: f(x)"], np.tanh(df["x"]), rtol=1e-15)
    np.testing.assert_allclose(df["tanh: f′(x)"], 1 - np.tanh(df["x"]) ** 2, rtol=1e-15)
    # 1 − tanh²(x) = 0.01 at x = atanh(√0.99) ≈ 2.99
    edge = math.atanh(math.sqrt(0.99))
    text = texts(at)
    assert f"x > {edge:.3g}" in text or f"x > {edge + 0.01:.3g}" in text, text
    fig = plotly_specs(at)[0]
    shades = [s for s in fig["layout"]["shapes"] if s.get("type") == "rect"]
    assert len(shades) == 2 and shades[1]["x0"] == pytest.approx(edge, abs=0.014)


def test_softmax_of_typed_logits_sums_to_one_and_bad_text_keeps_them(open_page, key, csv):
    at = open_page(ACTS, {"view": "softmax"})
    at.text_input(key=key("act", "z")).input("1 2 3 500").run()
    df = at.dataframe[0].value
    np.testing.assert_allclose(df["pₖ = softmax(z)ₖ"], A.softmax([1, 2, 3, 500]))
    assert df["pₖ = softmax(z)ₖ"].sum() == pytest.approx(1.0)
    assert at.query_params["z"] == "1, 2, 3, 500"
    at.text_input(key=key("act", "z")).input("1 2 three").run()
    assert any("“three” is not a number" in w.value for w in at.warning)
    pd.testing.assert_frame_equal(at.dataframe[0].value, df)
    back = csv(at, 0)
    np.testing.assert_array_equal(back.to_numpy(), df.to_numpy())


def test_compare_view_and_hard_sigmoid_convention_follow_the_url(open_page, key):
    at = open_page(ACTS, {"view": "compare", "show": "relu,hard_sigmoid", "hard": "keras2"})
    assert not at.exception
    df = at.dataframe[0].value
    np.testing.assert_allclose(df["hard sigmoid: f(x)"], np.clip(0.2 * df["x"] + 0.5, 0, 1))
    assert at.selectbox(key=key("act", "hard", "")).value == "keras2"


# -- initializers ---------------------------------------------------------------------------------------------------

def test_initializer_table_gives_the_formulas_at_the_fans(open_page, csv):
    at = open_page(INITS, {"fanin": "400", "fanout": "100"})
    assert not at.exception
    df = at.dataframe[0].value.set_index("initializer")
    assert df.loc["He (Kaiming) normal", "σ (normal)"] == pytest.approx(math.sqrt(2 / 400))
    assert df.loc["Glorot (Xavier) uniform", "limit ℓ (uniform)"] == pytest.approx(math.sqrt(6 / 500))
    assert df.loc["LeCun uniform", "limit ℓ (uniform)"] == pytest.approx(math.sqrt(3 / 400))
    assert df.loc["TruncatedNormal(μ, σ)", "sd (formula)"] == pytest.approx(0.05 * 0.8796256610, rel=1e-9)
    np.testing.assert_allclose(df["sd (sample)"], df["sd (formula)"], rtol=0.03, atol=1e-12)
    back = csv(at, 0)
    np.testing.assert_array_equal(back["sd (formula)"].to_numpy(), df["sd (formula)"].to_numpy())
    latex = "".join(el.proto.body for el in at.get("latex"))
    assert r"\sqrt{\tfrac{2}{400}} = 0.070711" in latex


def test_a_reversed_uniform_range_keeps_the_last_view(open_page, plotly_specs):
    at = open_page(INITS, {"init": "random_uniform", "a": "0.5", "b": "0.1"})
    assert not at.exception
    assert [w.value for w in at.warning] == ["minval must be below maxval, got 0.5 and 0.1. Showing the last numbers "
                                             "that worked."]
    assert len(at.dataframe) == 1 and len(plotly_specs(at)) == 1


def test_the_depth_experiment_reports_what_it_measured(open_page, texts, csv):
    at = open_page(INITS, {"view": "depth", "layers": "12", "batch": "64"})
    assert not at.exception
    run = I.depth_experiment(activation="relu", layers=12, width=128, batch=64, seed=0)
    summary = at.dataframe[0].value.set_index("initializer")
    assert summary.loc["He normal", "outputs"] == "stays put"
    assert summary.loc["small-σ normal", "outputs"] == "vanishes"
    assert summary.loc["large-σ normal", "outputs"] == "explodes"  # ×(128 · 0.5² / 2) = ×16 per layer
    assert summary.loc["zeros", "outputs"] == "dead: every output 0"
    assert summary.loc["constant 0.05", "units identical?"] == "yes"
    long = csv(at, 0)
    assert len(long) == 7 * 12
    np.testing.assert_array_equal(long["Var(h_l)"].to_numpy(), run.act_var.ravel())
    np.testing.assert_array_equal(long["Var(∂L/∂W_l)"].to_numpy(), run.grad_var.ravel())
    assert "He normal" in texts(at) and "seed 0" in texts(at)
    np.testing.assert_array_equal(long["share with φ′ < 0.01"].to_numpy(), run.stalled.ravel())
    tanh = open_page(INITS, {"view": "depth", "act": "tanh", "layers": "12", "batch": "64"}).dataframe[0].value
    tanh = tanh.set_index("initializer")
    assert tanh.loc["large-σ normal", "outputs"] == "saturates" and tanh.loc["He normal", "outputs"] == "stays put"


# -- dropout --------------------------------------------------------------------------------------------------------

def test_dropout_table_is_the_mask_scaled_by_one_over_p(open_page, csv):
    at = open_page(DROP, {"value": "0.6", "n": "20", "seed": "3"})
    assert not at.exception
    df = at.dataframe[0].value
    np.testing.assert_allclose(df["training yᵢ"], df["xᵢ"] * df["mask mᵢ"] / 0.6, rtol=1e-15)
    np.testing.assert_array_equal(df["inference yᵢ"], df["xᵢ"])
    mask = np.random.default_rng(3).random(20) < 0.6
    np.testing.assert_array_equal(df["mask mᵢ"], mask.astype(int))
    np.testing.assert_allclose(df["training yᵢ, mean of the masks"], df["xᵢ"], rtol=0.06)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["units kept"] == f"{20 * 0.6:.3g} ± {math.sqrt(20 * 0.6 * 0.4):.3g}"
    back = csv(at, 0)
    np.testing.assert_array_equal(back.to_numpy(), df.to_numpy())


def test_drop_rate_meaning_and_a_keep_probability_of_zero(open_page):
    at = open_page(DROP, {"value": "0.8", "means": "drop"})
    assert {m.label: m.value for m in at.metric}["keep p"] == "0.2"
    at = open_page(DROP, {"value": "0"})
    assert not at.exception
    assert [w.value for w in at.warning] == ["a keep probability of 0 drops every unit, and the scale 1/p is "
                                             "undefined. Showing the last numbers that worked."]
    assert {m.label: m.value for m in at.metric}["keep p"] == "0.8"


def test_new_mask_redraws_and_inference_is_unscaled_or_scaled_by_p(open_page):
    at = open_page(DROP)
    before = at.dataframe[0].value["mask mᵢ"].to_numpy()
    at.button[0].click().run()
    assert at.query_params["seed"] == "1"
    assert not np.array_equal(at.dataframe[0].value["mask mᵢ"].to_numpy(), before)
    at = open_page(DROP, {"scaling": "original", "mode": "infer"})
    df = at.dataframe[0].value
    np.testing.assert_allclose(df["inference yᵢ"], 0.8 * df["xᵢ"])
    np.testing.assert_array_equal(df["training yᵢ"], df["xᵢ"] * df["mask mᵢ"])


# -- convolution ----------------------------------------------------------------------------------------------------

def test_the_notes_forward_pass_steps_through_the_four_outputs(open_page, plotly_specs, texts):
    at = open_page(CONV)
    assert not at.exception
    df = at.dataframe[0].value
    assert list(df["value"]) == [37, 47, 67, 77]
    assert df["with the numbers"].iloc[0] == "1·1 + 2·2 + 4·3 + 5·4"
    assert df["sum of products"].iloc[3] == "X22·F11 + X23·F12 + X32·F21 + X33·F22"
    shape = lambda: plotly_specs(at)[0]["layout"]["shapes"][-1]  # noqa: E731  the window on X
    assert (shape()["x0"], shape()["y0"]) == (0.5, 0.5)
    at.button[1].click().run()  # next
    assert at.query_params["step"] == "1"
    assert "**Output O12** (2 of 4)" in texts(at)
    assert (shape()["x0"], shape()["y0"]) == (1.5, 0.5)
    for _ in range(3):
        at.button[1].click().run()
    assert at.query_params.get("step") is None  # back to O11, the default


def test_the_backward_pass_equals_the_core_and_names_the_notes_slip(open_page, plotly_specs, texts, plotly_array,
                                                                   csv):
    at = open_page(CONV, {"view": "backward", "X": "1 2 3 4; 5 6 7 8; 9 10 11 12", "stride": "1", "pad": "1",
                          "dO": "1 0 0 0 0; 0 1 0 0 0; 0 0 1 0 0; 0 0 0 1 2"})
    assert not at.exception, [e.value for e in at.exception]
    p = C.conv_forward(np.arange(1, 13.0).reshape(3, 4), [[1, 2], [3, 4]], padding=1)
    d = np.array([[1, 0, 0, 0, 0], [0, 1, 0, 0, 0], [0, 0, 1, 0, 0], [0, 0, 0, 1, 2.0]])
    g = C.conv_backward(p, d)
    np.testing.assert_array_equal(at.dataframe[0].value["value"], g.d_filter.ravel())
    np.testing.assert_array_equal(at.dataframe[1].value["value"], g.d_input.ravel())
    assert csv(at, 1)["value"].tolist() == g.d_input.ravel().tolist()
    assert "∂L/∂θ" in texts(at) and "∂L/∂O12 is missing" in texts(at)
    rotated = next(f for f in plotly_specs(at) if f["data"][0]["name"] == "F rotated 180°")
    np.testing.assert_array_equal(plotly_array(rotated["data"][0]["z"]), [[4, 3], [2, 1]])


def test_an_upstream_gradient_of_the_wrong_shape_warns_and_a_button_fixes_it(open_page):
    at = open_page(CONV, {"view": "backward", "pad": "1"})
    assert not at.exception
    assert at.warning[0].value.startswith("∂L/∂O must be 4 × 4, like the output; it is 2 × 2.")
    before = at.dataframe[0].value
    np.testing.assert_array_equal(before["value"],
                                  C.conv_backward(C.conv_forward(np.arange(1, 10.0).reshape(3, 3), [[1, 2], [3, 4]]),
                                                  [[1, -1], [0.5, 2]]).d_filter.ravel())
    next(b for b in at.button if "set ∂L/∂O to ones" in b.label).click().run()
    assert not at.warning
    assert at.query_params["dO"] == "1 1 1 1; 1 1 1 1; 1 1 1 1; 1 1 1 1"
    assert list(at.dataframe[0].value["value"]) == [45.0] * 4  # every entry of X is under every filter entry once


def test_a_ragged_input_matrix_is_refused_in_one_line(open_page, key):
    at = open_page(CONV)
    at.text_input(key=key("conv", "X")).input("1 2 3; 4 5").run()
    assert [w.value for w in at.warning] == ["Could not read “1 2 3; 4 5”: ragged: rows of 2 and 3 numbers; every row "
                                             "needs the same count. Still using the last valid value, 1 2 3; 4 5 6; "
                                             "7 8 9."]
    assert list(at.dataframe[0].value["value"]) == [37, 47, 67, 77]


def test_every_building_block_page_renders_in_presentation_mode(open_page, plotly_specs):
    for page, query in ((ACTS, {}), (ACTS, {"view": "softmax"}), (INITS, {}), (INITS, {"view": "depth", "layers": "5"}),
                        (DROP, {}), (CONV, {}), (CONV, {"view": "backward"})):
        at = open_page(page, {"present": "1", **query})
        assert not at.exception
        assert all(f["layout"]["font"]["size"] >= PRESENT.font for f in plotly_specs(at))


def test_dropout_counts_figure_is_the_binomial(open_page, plotly_specs, plotly_array):
    at = open_page(DROP, {"n": "10", "value": "0.5"})
    fig = next(f for f in plotly_specs(at) if any(t.get("name") == "Binomial(n, p)" for t in f["data"]))
    pmf = next(t for t in fig["data"] if t.get("name") == "Binomial(n, p)")
    np.testing.assert_allclose(plotly_array(pmf["y"]), D.binomial_pmf(10, 0.5))
    np.testing.assert_allclose(plotly_array(pmf["y"])[5], math.comb(10, 5) / 2 ** 10)
