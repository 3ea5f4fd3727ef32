"""What a person does on the Building blocks pages, in a real Chromium: type numbers (and bad ones), press a view,
step through the convolution, redraw a dropout mask, move a slider."""

from __future__ import annotations

import numpy as np
import pytest

from nets import activations as A
from nets import conv as C

from .conftest import assert_no_exception, cell, wait_idle


def open_at(page, server, path: str) -> None:
    page.goto(f"{server}/{path}")
    wait_idle(page, timeout=60_000)
    assert_no_exception(page)


def type_into(page, label: str, text: str) -> None:
    box = page.locator('[data-testid="stTextInput"]').filter(has_text=label).locator("input")
    box.fill(text)
    box.press("Enter")


def test_typing_predictions_recomputes_the_losses_and_a_mismatch_keeps_them(page, server):
    open_at(page, server, "losses?view=numbers")
    assert cell(page, 1, 0) == "(0.25 + 0.25 + 0 + 9) / 4 = 2.375"
    type_into(page, "predictions ŷ", "3, -0.5, 2, 9")
    page.wait_for_function("() => /[?&]yhat=/.test(location.search)")
    wait_idle(page)
    assert cell(page, 1, 0) == "(0 + 0 + 0 + 4) / 4 = 1"
    type_into(page, "predictions ŷ", "1, 2")
    page.get_by_text("4 targets but 2 predictions").wait_for()
    assert cell(page, 1, 0) == "(0 + 0 + 0 + 4) / 4 = 1"
    assert_no_exception(page)


def test_softmax_of_typed_logits(page, server):
    open_at(page, server, "activations")
    page.get_by_role("radio", name="Softmax").click()
    page.wait_for_function("() => /view=softmax/.test(location.search)")
    wait_idle(page)
    type_into(page, "logits z", "0, 0, 1")
    page.wait_for_function("() => /[?&]z=/.test(location.search)")
    wait_idle(page)
    assert float(cell(page, 3, 2)) == pytest.approx(A.softmax([0, 0, 1])[2], abs=5e-6)
    assert_no_exception(page)


def test_the_depth_experiment_view(page, server):
    open_at(page, server, "initializers")
    page.get_by_role("radio", name="Why it matters: 10 to 50 layers").click()
    page.get_by_text("stays put.").first.wait_for(timeout=60_000)
    wait_idle(page)
    names = page.evaluate("""() => [...document.querySelectorAll('.js-plotly-plot')]
        .flatMap(p => (p._fullData || []).map(t => t.name))""")
    assert {"He normal", "zeros", "small-σ normal"} <= set(names)
    assert_no_exception(page)


def test_a_new_dropout_mask_and_the_keep_slider(page, server):
    open_at(page, server, "dropout")
    first = [cell(page, 2, r) for r in range(12)]
    page.get_by_role("button", name="new mask").click()
    page.wait_for_function("() => /[?&]seed=1\\b/.test(location.search)")
    wait_idle(page)
    second = [cell(page, 2, r) for r in range(12)]
    assert second != first
    assert second == [str(int(m)) for m in np.random.default_rng(1).random(12) < 0.8]
    thumb = page.locator('[data-testid="stSlider"]').filter(has_text="keep probability p").first \
        .locator('input[type="range"]')
    thumb.focus()
    thumb.press("ArrowLeft")
    page.wait_for_function("() => /[?&]value=0.75\\b/.test(location.search)")
    assert_no_exception(page)


def test_stepping_through_the_convolution_moves_the_window_and_the_backward_pass(page, server):
    open_at(page, server, "convolution")
    window = """() => { const p = [...document.querySelectorAll('.js-plotly-plot')]
        .find(p => p._fullData?.[0]?.name?.startsWith('input X'));
        const s = p._fullLayout.shapes; return [s[s.length - 1].x0, s[s.length - 1].y0]; }"""
    page.wait_for_function("() => [...document.querySelectorAll('.js-plotly-plot')].length >= 3")
    assert page.evaluate(window) == [0.5, 0.5]
    page.get_by_role("button", name="next ▶").click()
    page.wait_for_function("() => /[?&]step=1\\b/.test(location.search)")
    wait_idle(page)
    page.get_by_text("Output O12").wait_for()
    assert page.evaluate(window) == [1.5, 0.5]
    page.get_by_role("radio", name="Backward pass").click()
    page.wait_for_function("() => /view=backward/.test(location.search)")
    wait_idle(page)
    type_into(page, "upstream gradient", "1 1; 1 1")
    page.wait_for_function("() => /[?&]dO=/.test(location.search)")
    wait_idle(page)
    g = C.conv_backward(C.conv_forward(np.arange(1, 10.0).reshape(3, 3), [[1, 2], [3, 4]]), np.ones((2, 2)))
    assert float(cell(page, 3, 0, table=0)) == pytest.approx(g.d_filter[0, 0])
    assert float(cell(page, 4, 4, table=1)) == pytest.approx(g.d_input[1, 1])
    assert_no_exception(page)
