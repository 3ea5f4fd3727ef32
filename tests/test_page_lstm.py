"""AppTest tests of the LSTM page: every gate shown is the core's, editing the input sequence changes the gates,
bad sequences are refused with a message, stepping through time, gradient flow and the memory task match the
core, and every setting lives in the URL."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
import streamlit as st

import nets
from viz.style import PRESENT

PAGE = "pages/lstm.py"
SCOPE = "lstm"
DEFAULT_SEQ = (1.0, 0.0, 0.0, 0.0, -1.0, 0.0, 0.0, 0.0)


def core(seq=DEFAULT_SEQ, hidden=2, forget_bias=2.0, scale=3.0, seed=3):
    params = nets.init_lstm(1, hidden, forget_bias=forget_bias, scale=scale, seed=seed)
    _, cache = nets.lstm_forward(params, np.asarray(seq, dtype=float)[:, None, None])
    return params, cache


@pytest.fixture
def seq_box(widget_key):
    """The key of the text box of the input sequence."""
    return widget_key(SCOPE, "x", "text")


@pytest.fixture
def heatmaps(plotly_specs, plotly_array):
    def rows(at) -> dict[str, np.ndarray]:
        """The cell figure's rows: quantity symbol -> (units, T) values."""
        fig = next(f for f in plotly_specs(at) if f["data"] and f["data"][0]["type"] == "heatmap")
        out = {}
        for tr in fig["data"]:
            label = tr["y"][0]
            symbol = label.split("<b>")[1].split("</b>")[0]
            out[symbol] = plotly_array(tr["z"])
        return out

    return rows


def test_every_gate_at_every_step_is_the_core_forward_pass(open_page, heatmaps):
    at = open_page(PAGE)
    assert not at.exception
    params, cache = core()
    maps = heatmaps(at)
    np.testing.assert_array_equal(maps["x"][0], DEFAULT_SEQ)
    for symbol, field in (("f", "f"), ("i", "i"), ("c̃", "c_tilde"), ("o", "o")):
        np.testing.assert_array_equal(maps[symbol], getattr(cache, field)[:, 0, :].T)
    np.testing.assert_array_equal(maps["c"], cache.c[1:, 0, :].T)
    np.testing.assert_array_equal(maps["h"], cache.h[1:, 0, :].T)
    table = at.dataframe[-1].value
    assert len(table) == 8 * 2 and list(table.columns[:3]) == ["t", "unit", "xₜ"]
    np.testing.assert_array_equal(table["fₜ"], cache.f[:, 0, :].ravel())
    np.testing.assert_array_equal(table["hₜ"], cache.h[1:, 0, :].ravel())
    # the notes' equations, applied by hand to step 1 of unit 1 (h_0 = c_0 = 0)
    W, b = params.W[:, 0, :], params.b[:, 0]
    z = W @ np.array([0.0, 0.0, 1.0]) + b
    sig = 1 / (1 + np.exp(-z))
    c1 = sig[1] * np.tanh(z[2])
    assert table["cₜ"].iloc[0] == pytest.approx(c1, rel=1e-12)
    assert table["hₜ"].iloc[0] == pytest.approx(sig[3] * np.tanh(c1), rel=1e-12)


def test_editing_the_sequence_changes_the_gates(open_page, seq_box, heatmaps):
    at = open_page(PAGE)
    before = at.dataframe[-1].value
    at.text_input(key=seq_box).input("0.5 -2 3").run()
    assert not at.exception and not at.warning
    after = at.dataframe[-1].value
    assert len(after) == 3 * 2
    _, cache = core((0.5, -2.0, 3.0))
    np.testing.assert_array_equal(after["iₜ"], cache.i[:, 0, :].ravel())
    assert not np.allclose(after["iₜ"].iloc[:6], before["iₜ"].iloc[:6])
    assert at.query_params["x"] == "0.5, -2, 3"
    np.testing.assert_array_equal(heatmaps(at)["o"], cache.o[:, 0, :].T)


@pytest.mark.parametrize("text, reason", [("1, x, 2", "not a list of numbers: “x” is not a number"),
                                          ("", "not 1 to 16 numbers"),
                                          ("1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17", "not 1 to 16 numbers"),
                                          ("1, 9", "“9” is outside -5 to 5"), ("nan", "“nan” is outside -5 to 5")])
def test_a_malformed_sequence_keeps_the_last_valid_one_with_a_message(text, reason, open_page, seq_box):
    at = open_page(PAGE)
    before = at.dataframe[-1].value
    at.text_input(key=seq_box).input(text).run()
    assert not at.exception
    warnings = [w.value for w in at.warning]
    assert len(warnings) == 1 and reason in warnings[0] and "last valid value" in warnings[0], warnings
    pd.testing.assert_frame_equal(at.dataframe[-1].value, before)
    assert "x" not in at.query_params  # still the default sequence
    at.text_input(key=seq_box).input("1, 2").run()  # fixing the text clears the message
    assert not at.warning and len(at.dataframe[-1].value) == 4


def test_stepping_through_time_shows_each_step_arithmetic(open_page, plotly_specs, widget_key):
    at = open_page(PAGE, {"H": "1"})
    params, cache = core(hidden=1)
    z = nets.lstm_preactivations(params, cache)
    for t in (1, 2, 3):
        step = at.dataframe[0].value
        assert list(step.columns[:3]) == ["unit", "hₜ₋₁", "cₜ₋₁"]
        assert step["cₜ₋₁"].iloc[0] == cache.c[t - 1, 0, 0] and step["cₜ"].iloc[0] == cache.c[t, 0, 0]
        assert step["z (forget)"].iloc[0] == z[t - 1, 0, 0, 0] and step["oₜ"].iloc[0] == cache.o[t - 1, 0, 0]
        latex = "".join(el.proto.body for el in at.get("latex"))
        assert rf"\mathbf{{{cache.h[t, 0, 0]:.3f}}}" in latex  # h_t, bold at the end of the last line
        fig = next(f for f in plotly_specs(at) if f["data"][0]["type"] == "heatmap")
        outline = fig["layout"]["shapes"][0]
        assert (outline["x0"], outline["x1"]) == (t - 0.5, t + 0.5)
        at.button(key="step-next").click().run()
    assert at.query_params["t"] == "4"
    at.button(key="step-prev").click().run()
    assert at.query_params["t"] == "3"
    at.slider(key=widget_key(SCOPE, "t", "slider")).set_value(8).run()
    assert at.button(key="step-next").disabled and at.dataframe[0].value["hₜ"].iloc[0] == cache.h[8, 0, 0]


def test_a_shorter_sequence_pulls_the_step_back_inside(open_page, widget_key, seq_box):
    at = open_page(PAGE, {"t": "8"})
    at.text_input(key=seq_box).input("1, -1, 0.5").run()
    assert not at.exception
    assert at.slider(key=widget_key(SCOPE, "t", "slider")).value == 3
    assert at.query_params["t"] == "3"


def test_more_units_show_one_row_per_unit_and_a_unit_switch(open_page):
    at = open_page(PAGE, {"H": "3", "unit": "3", "t": "2"})
    params, cache = core(hidden=3)
    assert len(at.dataframe[0].value) == 3
    latex = "".join(el.proto.body for el in at.get("latex"))
    assert rf"\mathbf{{{cache.c[2, 0, 2]:.3f}}}" in latex  # unit 3's c_2
    weights = at.dataframe[1].value
    assert len(weights) == 4 * 3
    np.testing.assert_array_equal(weights["bias b"], params.b.ravel())


def test_csv_parses_back_to_the_tables(open_page, download_bytes):
    at = open_page(PAGE)
    back = pd.read_csv(io.BytesIO(download_bytes(at, -1)))
    np.testing.assert_array_equal(back.to_numpy(), at.dataframe[-1].value.to_numpy())
    weights = pd.read_csv(io.BytesIO(download_bytes(at, 0)))
    pd.testing.assert_frame_equal(weights, at.dataframe[1].value)


def test_gradient_flow_is_the_core_and_presets_change_it(open_page, texts):
    at = open_page(PAGE, {"view": "gradient"})
    assert not at.exception
    flow = nets.gradient_flow(60, 16, rnn_radius=1.0, forget_bias=2.0, input_scale=1.0, seed=0)
    df = at.dataframe[0].value
    np.testing.assert_array_equal(df["RNN ‖∂h(T)/∂hₜ‖"], flow.rnn)
    np.testing.assert_array_equal(df["LSTM ‖∂h(T)/∂hₜ‖"], flow.lstm_h)
    assert flow.rnn[0] / flow.rnn[-1] < 1e-6 < flow.lstm_h[0] / flow.lstm_h[-1]
    text = texts(at)
    assert "the RNN's gradient vanished" in text and "the LSTM's survived" in text
    at.button(key="preset-explode").click().run()
    assert dict(at.query_params) == {"view": "gradient", "rho": "1.2", "inscale": "0"}
    exploded = nets.gradient_flow(60, 16, rnn_radius=1.2, forget_bias=2.0, input_scale=0.0, seed=0)
    np.testing.assert_allclose(at.dataframe[0].value["RNN ‖∂h(T)/∂hₜ‖"], exploded.rnn, rtol=1e-12)
    # with no input, h stays 0 and the Jacobian is the matrix power W_h^(T - t): its norm grows like 1.2^(T - t)
    assert exploded.rnn[0] / exploded.rnn[-1] > 1.2 ** 40
    assert "the RNN's gradient exploded" in texts(at)
    at.button(key="preset-forget").click().run()
    assert "the LSTM's vanished" in texts(at)


def test_the_memory_task_is_the_core_training(open_page, download_bytes, plotly_specs, texts, plotly_array):
    query = {"view": "memory", "gap": "12", "steps": "60", "units": "4", "mseed": "1"}
    at = open_page(PAGE, query)
    assert not at.exception
    comp = nets.lstm_vs_rnn(T=12, hidden=4, steps=60, lr=0.01, forget_bias=2.0, seed=1)
    df = at.dataframe[0].value
    np.testing.assert_array_equal(df["step"], comp.lstm.eval_steps)
    np.testing.assert_array_equal(df["LSTM accuracy (%)"], 100 * comp.lstm.eval_accuracy)
    np.testing.assert_array_equal(df["RNN loss"], comp.rnn.eval_loss)
    assert f"{comp.lstm.final_accuracy * 100:.1f}%" in texts(at)
    assert f"{df['LSTM accuracy (%)'].iloc[-1]:.1f}%" in texts(at)  # the table and the text in one unit
    back = pd.read_csv(io.BytesIO(download_bytes(at, 0)))
    np.testing.assert_array_equal(back.to_numpy(), df.to_numpy())
    example = plotly_specs(at)[0]
    task = nets.memory_task(1, 12, seed=1)
    np.testing.assert_array_equal(plotly_array(example["data"][0]["y"]), task.xs[:, 0, 0])


def test_the_memory_task_is_cached(monkeypatch, open_page, widget_key):
    calls = []
    real = nets.lstm_vs_rnn
    monkeypatch.setattr(nets, "lstm_vs_rnn", lambda *a, **k: calls.append(k) or real(*a, **k))
    st.cache_data.clear()
    at = open_page(PAGE, {"view": "memory", "gap": "6", "steps": "50", "units": "2"})
    at.run()
    assert len(calls) == 1
    at.slider(key=widget_key(SCOPE, "mseed", "slider")).set_value(2).run()
    assert len(calls) == 2


@pytest.mark.parametrize(
    "query, phrase",
    [({"x": "1,,zz"}, "`x=1,,zz` in the link is not a list of numbers: “zz” is not a number"),
     ({"H": "9"}, "`H=9` in the link is outside 1 to 4"),
     ({"bf": "big"}, "`bf=big` in the link is not a number"),
     ({"t": "0"}, "`t=0` in the link is outside 1 to 16")],
)
def test_invalid_url_values_give_a_notice_and_the_default(query, phrase, open_page):
    at = open_page(PAGE, query)
    assert not at.exception
    notices = [w.value for w in at.warning]
    assert len(notices) == 1 and notices[0].startswith(phrase), notices
    _, cache = core()
    np.testing.assert_array_equal(at.dataframe[-1].value["hₜ"], cache.h[1:, 0, :].ravel())


def test_a_shared_link_restores_the_cell_and_the_step(open_page, widget_key, seq_box):
    at = open_page(PAGE)
    at.text_input(key=seq_box).input("2, -1, 0, 0").run()
    at.slider(key=widget_key(SCOPE, "bf", "slider")).set_value(-1.0).run()
    at.button(key="step-next").click().run()
    link = dict(at.query_params)
    assert link == {"x": "2, -1, 0, 0", "bf": "-1", "t": "2"}
    shared = open_page(PAGE, link)
    pd.testing.assert_frame_equal(shared.dataframe[-1].value, at.dataframe[-1].value)
    pd.testing.assert_frame_equal(shared.dataframe[0].value, at.dataframe[0].value)


def test_presentation_mode_enlarges_every_figure(open_page, plotly_specs):
    for view in ("cell", "gradient"):
        at = open_page(PAGE, {"present": "1", "view": view})
        assert not at.exception
        assert all(f["layout"]["font"]["size"] == PRESENT.font for f in plotly_specs(at))


def test_the_pages_caveats_are_true(open_page, texts):
    """The memory view says: with the defaults the LSTM fails for seed 6, and the RNN learns when T = 5."""
    text = texts(open_page(PAGE, {"view": "memory", "gap": "5", "steps": "50"}))
    assert "seed 6" in text and "T = 5" in text
    seed6 = nets.lstm_vs_rnn(seed=6)
    assert seed6.lstm.final_accuracy < 0.6
    short = nets.lstm_vs_rnn(T=5)
    assert short.rnn.final_accuracy > 0.95


def test_the_largest_memory_link_trains_within_the_budget(monkeypatch, open_page, widget_key):
    """The issue's link (every slider at its old maximum: 600 steps at T = 100 with 32 units, 35 to 80 s) trains
    for the budget's 120 steps; the slider's top and the link say so."""
    calls, real = [], nets.lstm_vs_rnn
    # a real comparison with the page's arguments except the work: 1 step on sequences of 3
    monkeypatch.setattr(nets, "lstm_vs_rnn", lambda **k: calls.append(k) or real(**(k | {"T": 3, "steps": 1,
                                                                                         "hidden": 2})))
    st.cache_data.clear()
    at = open_page(PAGE, {"view": "memory", "gap": "100", "steps": "600", "units": "32", "lr": "0.1"})
    assert not at.exception, [e.value for e in at.exception]
    assert [k["steps"] for k in calls] == [120] and calls[0]["T"] == 100 and calls[0]["hidden"] == 32
    slider = at.slider(key=widget_key(SCOPE, "steps", "slider"))
    assert slider.max == 120 and slider.value == 120
    assert at.query_params["steps"] == "120"

