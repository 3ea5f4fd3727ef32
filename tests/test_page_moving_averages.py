"""The moving-averages core against plain loops and closed forms, and the page's numbers against independent
computations (weights (1 − β)βʲ, their sum 1 − βᵗ, Adam's corrected moments, momentum's two forms)."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from optim import averages as A

PAGE = "pages/moving_averages.py"


def loop_ema(x, beta, a=0.0):
    """The notes' form, written out: EMA_t = k x_t + (1 - k) EMA_{t-1}, k = 1 - beta."""
    k, out = 1 - beta, []
    for v in x:
        a = k * v + (1 - k) * a
        out.append(a)
    return np.array(out)


# -- core -----------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("beta", [0.0, 0.5, 0.9, 0.999])
def test_ema_equals_the_notes_recurrence_and_the_unrolled_sum(beta):
    x = A.demo_series("walk", 60, seed=3)
    np.testing.assert_allclose(A.ema(x, beta), loop_ema(x, beta), rtol=1e-13)
    w = A.ema_weights(beta, 60)
    assert A.ema(x, beta)[-1] == pytest.approx(float(w @ x[::-1]), rel=1e-12)
    assert w.sum() == pytest.approx(1 - beta**60, rel=1e-12, abs=1e-15)


def test_ema_broadcasts_over_rates_and_weights_match_the_notes():
    x = A.demo_series("sine", 30, seed=1)
    both = A.ema(x, np.array([0.5, 0.9]))
    assert both.shape == (2, 30)
    np.testing.assert_allclose(both[1], loop_ema(x, 0.9), rtol=1e-13)
    np.testing.assert_allclose(A.ema_weights(0.9, 4), [0.1, 0.09, 0.081, 0.0729], rtol=1e-12)
    assert A.effective_window(0.9) == pytest.approx(10.0)


def test_bias_correction_recovers_a_constant_and_the_slide_divisor_does_not():
    m = A.adam_moments(np.full(100, 0.5), 0.9, 0.999)
    np.testing.assert_allclose(m.m_hat, 0.5, rtol=1e-12)
    np.testing.assert_allclose(m.v_hat, 0.25, rtol=1e-12)
    t = np.arange(1, 101)
    np.testing.assert_allclose(m.m_wrong, 0.5 * (1 - 0.9**t) / 0.1, rtol=1e-12)
    assert m.m_wrong[-1] == pytest.approx(5.0, rel=1e-4) and m.v_wrong[-1] == pytest.approx(0.25 * 95.2079, rel=1e-4)


def test_bad_inputs_are_refused():
    with pytest.raises(ValueError, match="below 1"):
        A.ema([1.0, 2.0], 1.0)
    with pytest.raises(ValueError):
        A.demo_series("typed", 3, values=())


# -- page -----------------------------------------------------------------------------------------------------------

def test_page_tables_are_the_closed_forms(open_page, download_bytes):
    at = open_page(PAGE, {"beta": "0.9", "series": "typed", "typed": "1,2,3,4", "back": "5"})
    assert not at.exception, [e.value for e in at.exception]
    series = at.dataframe[0].value
    np.testing.assert_allclose(series["EMAₜ"], loop_ema([1, 2, 3, 4], 0.9), rtol=1e-13)
    np.testing.assert_allclose(series["EMAₜ / (1 − βᵗ)"], loop_ema([1, 2, 3, 4], 0.9) / (1 - 0.9 ** np.arange(1, 5)))
    weights = at.dataframe[1].value
    np.testing.assert_allclose(weights["weight (1 − β) βʲ"], [0.1, 0.09, 0.081, 0.0729, 0.06561], rtol=1e-12)
    assert weights["running sum"].iloc[-1] == pytest.approx(1 - 0.9**5)
    corr = at.dataframe[2].value
    assert list(corr["t"]) == [1, 2, 3, 5, 10, 20, 50, 100]
    np.testing.assert_allclose(corr["1 − 0.999ᵗ"], [1 - 0.999**t for t in corr["t"]], rtol=1e-12)
    adam = at.dataframe[3].value
    np.testing.assert_allclose(adam["m̂ = m/(1 − β₁ᵗ)"], 0.5, rtol=1e-12)
    np.testing.assert_allclose(adam["m/(1 − β₁) (slide)"], [0.5 * (1 - 0.9**t) / 0.1 for t in adam["t"]], rtol=1e-12)
    back = pd.read_csv(io.BytesIO(download_bytes(at, 1)))
    np.testing.assert_array_equal(back.to_numpy(), weights.to_numpy())


def test_momentum_forms_trace_the_same_path(open_page):
    at = open_page(PAGE, {"mlr": "0.1", "mbeta": "0.9", "msteps": "15"})
    ema_t, classic_t = at.dataframe[4].value, at.dataframe[5].value
    w, v = 2.0, 0.0  # by hand: v <- 0.9 v + 0.1 f'(w), w <- w - 0.1 v on f = 2w² + w + 4
    for _, row in ema_t.iterrows():
        assert row["w"] == pytest.approx(w, abs=1e-12)
        v = 0.9 * v + 0.1 * (4 * w + 1)
        w = w - 0.1 * v
    np.testing.assert_allclose(classic_t["w"], ema_t["w"], atol=1e-12)
    np.testing.assert_allclose(classic_t["v"], ema_t["v"] / 0.1, rtol=1e-9)


def test_beta_one_and_bad_typed_values_keep_the_last_view(open_page, widget_key):
    at = open_page(PAGE, {"series": "typed", "typed": "1,2,3"})
    before = at.dataframe[0].value
    at.number_input(key=widget_key("ema", "beta", "entry")).set_value(1.0).run()
    assert not at.exception
    assert any("below 1" in w.value for w in at.warning)
    pd.testing.assert_frame_equal(at.dataframe[0].value, before)
    at.text_input(key=widget_key("ema", "typed", "text")).input("1, 2, x").run()
    assert any("Could not read" in w.value for w in at.warning)
    pd.testing.assert_frame_equal(at.dataframe[0].value, before)
