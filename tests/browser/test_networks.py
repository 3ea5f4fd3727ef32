"""What a person does on the three network pages, in a real Chromium: move a slider and see the numbers change,
type an LSTM input sequence (and a bad one), step through time, edit theta, press Play. Screenshots of every
view in both modes land in artifacts/screenshots/."""

from __future__ import annotations

import io
import re

import numpy as np
import pandas as pd
import pytest

import nets

from .conftest import assert_no_exception, cell, screenshot, wait_idle


def open_at(page, server, path: str) -> None:
    page.goto(f"{server}/{path}")
    wait_idle(page, timeout=60_000)
    assert_no_exception(page)


def trace_data(page, name: str, field: str = "z"):
    """A plotly trace's current data in the page, found by its name (numbers, flattened for a heatmap)."""
    page.wait_for_function("""(name) => [...document.querySelectorAll('.js-plotly-plot')]
        .some(p => (p._fullData || []).some(t => t.name === name))""", arg=name)
    return page.evaluate("""([name, field]) => {
        for (const p of document.querySelectorAll('.js-plotly-plot')) {
            const t = (p._fullData || []).find(t => t.name === name);
            if (t) { return Array.from(t[field]).flatMap(r => (typeof r === 'number') ? [r] : Array.from(r)); }
        }
    }""", [name, field])


HEATMAP_PLOT = "[...document.querySelectorAll('.js-plotly-plot')].find(p => p._fullData?.[0]?.type === 'heatmap')"


def heatmap_plot(page, expression: str):
    """Evaluate ``expression`` on the first plot whose first trace is a heatmap (``p``), once it has rendered."""
    page.wait_for_function(f"() => !!({HEATMAP_PLOT})")
    return page.evaluate(f"() => {{ const p = {HEATMAP_PLOT}; return {expression}; }}")


def slider(page, label: str):
    return page.locator('[data-testid="stSlider"]').filter(has_text=label).first.locator('input[type="range"]')


# -- Batch Normalization ----------------------------------------------------------------------------------------

def test_moving_gamma_rescales_the_output_column(page, server):
    open_at(page, server, "batch_norm")
    y1 = float(cell(page, 4, 0))
    c = nets.batchnorm_forward(nets.make_activations(32, 1, shift=3, scale=2, skew=4, seed=0))[1]
    assert y1 == pytest.approx(float(c.y[0, 0]), rel=1e-12)
    thumb = slider(page, "scale γ")
    thumb.focus()
    thumb.press("ArrowRight")  # one step of 0.05
    page.wait_for_function(
        """(old) => parseFloat(document.querySelector('[data-testid="glide-cell-4-0"]')?.innerText) !== old""",
        arg=y1)
    assert float(cell(page, 4, 0)) == pytest.approx(1.05 * float(c.x_hat[0, 0]), rel=1e-12)
    assert "gamma=1.05" in page.url
    assert_no_exception(page)


def test_the_learning_rate_experiment_reads_honestly_and_downloads(page, server):
    open_at(page, server, "batch_norm?view=lr")
    page.get_by_text("Only the network with BN trained").wait_for()
    assert page.get_by_text("Neither trained").count() == 1
    with page.expect_download() as info:
        page.locator('[data-testid="stDownloadButton"] button').first.click()
    back = pd.read_csv(io.BytesIO(open(info.value.path(), "rb").read()))
    exp = nets.bn_learning_rate_experiment()
    assert list(back["BN: outcome"]) == list(exp.bn.outcome)
    np.testing.assert_array_equal(back["plain: accuracy (%)"].to_numpy(), 100 * exp.plain.accuracy)


# -- LSTM -----------------------------------------------------------------------------------------------------------

def sequence_box(page):
    return page.locator('[data-testid="stTextInput"] input').first


def test_typing_a_sequence_changes_the_gates_and_a_bad_one_is_refused(page, server):
    open_at(page, server, "lstm?H=1")
    def gates():
        """Every row of the cell heatmap: input, f, i, c~, o, c, h (one unit)."""
        return heatmap_plot(page, "p._fullData.map(t => Array.from(t.z).flatMap(r => Array.from(r)))")

    old = gates()
    assert old[0] == [1, 0, 0, 0, -1, 0, 0, 0]  # the input row
    box = sequence_box(page)
    box.fill("0.5, -2, 3")
    box.press("Enter")
    page.wait_for_function("() => /[?&]x=/.test(location.search)")
    wait_idle(page)
    new = gates()
    assert new[0] == [0.5, -2, 3]
    params = nets.init_lstm(1, 1, forget_bias=2.0, scale=3.0, seed=3)
    _, cache = nets.lstm_forward(params, np.array([0.5, -2, 3.0])[:, None, None])
    np.testing.assert_allclose(new[1], cache.f[:, 0, 0], rtol=1e-12)  # forget gate row
    np.testing.assert_allclose(new[6], cache.h[1:, 0, 0], rtol=1e-12)  # hidden state row
    box = sequence_box(page)
    box.fill("1, x, 2")
    box.press("Enter")
    page.get_by_text("Could not read").wait_for()
    assert "last valid value" in page.locator('[data-testid="stAlert"]').first.inner_text()
    assert gates()[0] == [0.5, -2, 3]  # still the last valid sequence
    assert_no_exception(page)


def test_stepping_through_time_moves_the_outline_and_the_numbers(page, server):
    open_at(page, server, "lstm?H=1")
    def outline():
        """Where the outline of the current step starts."""
        return heatmap_plot(page, "p.layout.shapes[0].x0")

    assert outline() == 0.5
    for t in (2, 3):
        page.get_by_role("button", name="next ▶").click()
        page.wait_for_function(f"() => /[?&]t={t}\\b/.test(location.search)")
        wait_idle(page)
        assert outline() == t - 0.5
        assert page.get_by_text(f"Step t = {t}").count() >= 1
    params = nets.init_lstm(1, 1, forget_bias=2.0, scale=3.0, seed=3)
    _, cache = nets.lstm_forward(params, np.array([1, 0, 0, 0, -1, 0, 0, 0.0])[:, None, None])
    # the step table's h_{t-1} (its first columns are the ones a browser renders without scrolling)
    assert float(cell(page, 1, 0, table=0)) == pytest.approx(float(cache.h[2, 0, 0]), rel=1e-12)
    page.get_by_role("button", name="◀ previous").click()
    page.wait_for_function("() => /[?&]t=2\\b/.test(location.search)")
    assert_no_exception(page)


# -- Spatial Transformer --------------------------------------------------------------------------------------------

def test_typing_a_theta_entry_moves_the_image_and_the_slider(page, server):
    open_at(page, server, "spatial_transformer")
    before = trace_data(page, "output V")
    entry = page.locator('[data-testid="stNumberInput"]').filter(has_text="θ13").locator("input")
    entry.fill("0.3")
    entry.press("Enter")
    page.wait_for_function("() => /[?&]theta=/.test(location.search)")
    wait_idle(page)
    after = np.array(trace_data(page, "output V"))
    assert not np.allclose(after, before)
    theta = nets.theta_from_params(30.0, 1.25, 1.25)
    theta[0, 2] = 0.3
    np.testing.assert_allclose(after, nets.transform(nets.load_digit(), theta)[0].ravel(), atol=1e-12)
    # the label "shift $t_x$" is rendered by KaTeX
    thumb = page.locator('[data-testid="stSlider"]').filter(has_text=re.compile(r"shift\s*t.*x"))
    assert thumb.locator('[data-testid="stSliderThumbValue"]').inner_text() == "0.30"
    assert_no_exception(page)


def test_moving_the_rotation_slider_turns_the_sampling_grid(page, server):
    open_at(page, server, "spatial_transformer")
    grid = lambda: trace_data(page, "the output's frame", "x")  # noqa: E731
    before = grid()
    search = page.evaluate("() => location.search")  # may already hold theta: wait for it to change, not to exist
    thumb = slider(page, "rotation φ")
    thumb.focus()
    for _ in range(5):
        thumb.press("ArrowRight")
    page.wait_for_function(f"() => /[?&]theta=/.test(location.search) && location.search !== {search!r}")
    wait_idle(page)
    assert grid() != before
    assert page.locator('[data-testid="stSlider"]').filter(has_text="rotation φ") \
        .locator('[data-testid="stSliderThumbValue"]').inner_text() in {"31", "32", "33", "34", "35"}


def test_play_animates_the_recovery(page, server):
    open_at(page, server, "spatial_transformer?view=recover")
    start = trace_data(page, "current", "x")
    assert start == [0]
    buttons = page.locator('[data-testid="stPlotlyChart"] .updatemenu-button')
    buttons.filter(has_text="Play").first.click()
    page.wait_for_timeout(2500)
    buttons.filter(has_text="Pause").first.click()
    page.wait_for_timeout(400)
    moved = trace_data(page, "current", "x")
    assert moved[0] > 0
    rec = nets.recovery_demo()
    assert trace_data(page, "current", "y")[0] == rec.losses[int(moved[0])]  # the marker sits on the loss curve
    # and the output image is that iteration's re-sampled digit
    shown = np.array(trace_data(page, "V(θ_k)"))
    expected = np.round(np.clip(rec.image_at(int(moved[0])), 0, 1) * 255).ravel()
    np.testing.assert_array_equal(shown, expected)
    assert_no_exception(page)


# -- every view, both modes -----------------------------------------------------------------------------------------

#: the default views are loaded in both modes by the layout tests (test_layout_projector, test_layout_phone)
VIEWS = [("batch_norm", "view=inference"), ("batch_norm", "view=lr"), ("lstm", "view=gradient"),
         ("lstm", "view=memory"), ("spatial_transformer", "view=recover"), ("spatial_transformer", "mode=translation")]


def test_every_view_renders_in_both_modes(page, server):
    for path, query in VIEWS:
        for present in (False, True):
            q = "&".join(p for p in (query, "present=1" if present else "") if p)
            open_at(page, server, f"{path}{'?' + q if q else ''}")
            assert page.locator("h1").first.inner_text() in {"Batch Normalization", "LSTM", "Spatial Transformer"}
            page.locator('[data-testid="stPlotlyChart"]').first.wait_for()
            wait_idle(page, timeout=60_000)
            name = re.sub(r"[^a-z0-9]+", "_", f"{path} {query}".lower()).strip("_")
            screenshot(page, f"net_{name}{'_presentation' if present else ''}")
