"""What a person does on the learning-rate page, in a real Chromium: keyboard on the slider, CSV download,
Play, a shared link, presentation mode. Screenshots land in artifacts/screenshots/."""

from __future__ import annotations

import io
import re

import numpy as np
import pandas as pd

from optim import gd, iteration_table, run
from surfaces import get
from viz.tables import frame

from .conftest import assert_no_exception, cell, screenshot, wait_idle

LR_SLIDER = '[data-testid="stSlider"]'


def core_table(lr: float, steps: int, w0: float = 2.0) -> pd.DataFrame:
    return frame(iteration_table(run(get("notes-quadratic"), gd(lr=lr), [w0], steps)))


def open_lr(page, server, query: str = "") -> None:
    page.goto(f"{server}/learning_rate{query}")
    wait_idle(page)
    assert_no_exception(page)


ANIMATED = "[...document.querySelectorAll('.js-plotly-plot')].find(p => p._fullLayout?.sliders?.length)"


def current_point(page) -> tuple[float, float]:
    """x, y of the animated 'current w_t' marker, from plotly's own data in the page."""
    page.wait_for_function(f"() => !!({ANIMATED})")
    return tuple(page.evaluate("""() => {
        const plot = [...document.querySelectorAll('.js-plotly-plot')].find(p => p._fullLayout.sliders?.length);
        const tr = plot._fullData.find(t => t.name && t.name.startsWith('current'));
        return [tr.x[0], tr.y[0]];
    }"""))


def test_keyboard_on_the_eta_slider_changes_the_table(page, server):
    open_lr(page, server)
    assert float(cell(page, 4, 0)) == 1.1  # w_next of row 1 at eta 0.1
    thumb = page.locator(LR_SLIDER).first.locator('input[type="range"]')
    thumb.focus()
    thumb.press("ArrowRight")  # one step of 0.001
    page.wait_for_function(
        """() => parseFloat(document.querySelector('[data-testid="glide-cell-4-0"]')?.innerText) < 1.1""")
    assert float(cell(page, 4, 0)) == 2.0 - 0.101 * 9.0
    assert "lr=0.101" in page.url


def test_downloaded_csv_equals_the_table(page, server):
    open_lr(page, server, "?lr=0.2&steps=10")
    with page.expect_download() as info:
        page.locator('[data-testid="stDownloadButton"] button').first.click()
    download = info.value
    assert download.suggested_filename.endswith(".csv")
    back = pd.read_csv(io.BytesIO(open(download.path(), "rb").read()))
    np.testing.assert_array_equal(back.to_numpy(), core_table(0.2, 10).to_numpy())
    assert list(back.columns) == ["iteration", "w", "f(w)", "f'(w)", "w_next"]


def test_play_moves_the_marker_along_the_iterates(page, server):
    open_lr(page, server, "?lr=0.3&steps=12")
    start = current_point(page)
    assert start == (2.0, 14.0)
    page.locator('[data-testid="stPlotlyChart"] .updatemenu-button').filter(has_text="Play").click()
    page.wait_for_timeout(2500)
    moved = current_point(page)
    assert moved != start
    path = run(get("notes-quadratic"), gd(lr=0.3), [2.0], 12).positions[:, 0]
    assert np.min(np.abs(path - moved[0])) < 1e-9  # the marker sits on one of the iterates


def test_a_shared_link_opens_the_same_view(page, server):
    open_lr(page, server, "?lr=0.45&w0=-1.5&steps=7")
    thumbs = page.locator(f'{LR_SLIDER} [data-testid="stSliderThumbValue"]')
    thumbs.nth(2).wait_for()  # all three sliders drawn (under load the first can come alone)
    values = thumbs.all_inner_texts()
    assert values[:3] == ["0.4500", "-1.500", "7"]
    table = core_table(0.45, 7, w0=-1.5)
    assert float(cell(page, 1, 0)) == -1.5
    assert float(cell(page, 4, 6)) == table["w_next"].iloc[6]
    assert page.get_by_text("Converges while oscillating").count() == 1


def test_bad_link_shows_a_notice_and_the_defaults(page, server):
    open_lr(page, server, "?lr=abc&steps=1000000000")
    page.locator('[data-testid="stAlert"]').nth(1).wait_for()  # the notices come at the end of the run
    alerts = page.locator('[data-testid="stAlert"]').all_inner_texts()
    assert any("lr=abc" in a for a in alerts) and any("steps=1000000000" in a for a in alerts)
    assert float(cell(page, 4, 0)) == 1.1
    assert "lr=" not in page.url and "steps=" not in page.url


def test_presentation_mode_is_larger_and_kept_across_pages(page, server):
    open_lr(page, server)
    prose = "document.querySelector('[data-testid=\"stMain\"] [data-testid=\"stMarkdownContainer\"] p')"  # prose
    normal = page.evaluate(f"() => parseFloat(getComputedStyle({prose}).fontSize)")
    screenshot(page, "learning_rate")
    page.locator('[data-testid="stSidebar"] label:has-text("Presentation mode")').first.click()
    wait_idle(page)
    bigger = f"(n) => {prose} !== null && parseFloat(getComputedStyle({prose}).fontSize) > 1.2 * n"
    page.wait_for_function(bigger, arg=normal)
    page.wait_for_function("() => /[?&]present=1/.test(location.search)")
    assert re.search(r"[?&]present=1", page.url)
    screenshot(page, "learning_rate_presentation")
    # presentation mode folds the sidebar (the figure takes the projector's width): unfold it to navigate
    page.locator('[data-testid="stExpandSidebarButton"]').click()
    page.locator('[data-testid="stSidebarNav"] a').filter(has_text="Home").click()
    wait_idle(page)
    page.wait_for_function(bigger, arg=normal)
    page.wait_for_function("() => /[?&]present=1/.test(location.search)")


def test_a_typed_function_runs_and_its_shared_link_reproduces_it(page, server, browser):
    """Type f(w) on the page, run it, then open the address bar's link in a fresh context: the same function in the
    text box and the same table.

    The text box of a fresh browser context mounts empty and fills in a moment later: Streamlit's TextInput takes
    its shown text from the browser's widget manager (empty in a new context) and copies the server's value into
    it in an effect after the first paint, which on a busy machine lands after the page looks idle. So the test
    waits for the box to hold the function (it must, within the timeout) instead of reading it once."""
    from playwright.sync_api import expect

    from surfaces.typed import typed_surface

    open_lr(page, server, "?surface=own&f=x%5E2&lr=0.1&w0=-2&steps=5")
    box = page.get_by_label("f(w) =", exact=True)
    expect(box).to_have_value("x^2", timeout=15_000)
    box.fill("x^2 + 10")
    box.press("Enter")
    page.wait_for_function("() => new URLSearchParams(window.location.search).get('f') === 'x^2 + 10'")
    wait_idle(page)
    assert_no_exception(page)
    table = frame(iteration_table(run(typed_surface("x^2 + 10", ("w",)), gd(lr=0.1), [-2.0], 5)))
    assert float(cell(page, 1, 0)) == -2.0
    assert float(cell(page, 2, 0)) == table["f(w)"].iloc[0] == 14.0
    assert abs(float(cell(page, 4, 4)) - table["w_next"].iloc[4]) < 1e-5
    link = page.url
    fresh = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        other = fresh.new_page()
        other.set_default_timeout(30_000)
        other.goto(link)
        wait_idle(other)
        assert_no_exception(other)
        expect(other.get_by_label("f(w) =", exact=True)).to_have_value("x^2 + 10", timeout=15_000)
        assert [cell(other, c, 4) for c in range(5)] == [cell(page, c, 4) for c in range(5)]
    finally:
        fresh.close()


def test_picking_a_second_optimizer_shows_its_table(page, server):
    """Any-optimizer view: add Adam beside gradient descent in the multiselect; its table appears, with its state."""
    open_lr(page, server, "?view=optimizers&opt=gd&steps=5")
    assert float(cell(page, 4, 0)) == 1.1  # gradient descent's table: eta = 0.1, w = 2 - 0.1 * 9
    assert page.locator('[data-testid="stDataFrame"]').count() == 1
    box = page.locator('[data-testid="stMultiSelect"]').filter(has_text="Optimizers").locator("input")
    box.click()
    box.fill("Adam")
    box.press("Enter")
    box.press("Escape")
    page.wait_for_function("() => /[?&]opt=gd(%2C|,)adam/.test(location.search)")
    wait_idle(page)
    assert_no_exception(page)
    page.locator('[data-testid="stDataFrame"]').nth(1).wait_for()
    # Adam's first step from w = 2 (g = 9): m_hat = 9, v_hat = 81, w_next = 2 - lr * 9 / (9 + eps), lr = 0.001
    assert abs(float(cell(page, 4, 0, table=1)) - (2.0 - 0.001 * 9.0 / (9.0 + 1e-8))) < 5e-6
    assert float(cell(page, 8, 0, table=1)) == 9.0  # m_hat, the bias-corrected first moment
    screenshot(page, "learning_rate_optimizers")
