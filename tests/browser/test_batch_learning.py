"""The batch / mini-batch / online page in a real Chromium: type batch sizes, read the counts; screenshots at
1920x1080, normal and in presentation mode."""

from __future__ import annotations

import math

import pytest

from .conftest import assert_no_exception, cell, screenshot, wait_idle


def test_typed_batch_sizes_update_the_counts(page, server):
    page.goto(f"{server}/batch_learning?updates=40")
    wait_idle(page, timeout=60_000)
    assert_no_exception(page)
    assert cell(page, 1, 1) == "313"  # ⌈10000 / 32⌉
    box = page.locator('[data-testid="stTextInput"]').filter(has_text="batch sizes").locator("input")
    box.fill("64, 3000")
    box.press("Enter")
    page.wait_for_function("() => /[?&]sizes=64/.test(location.search)")
    wait_idle(page)
    assert cell(page, 1, 0) == str(math.ceil(10_000 / 64))
    assert cell(page, 2, 1) == "1000"  # the last batch of B = 3000
    box.fill("64, 0")
    box.press("Enter")
    page.get_by_text("at least 1").first.wait_for()
    assert cell(page, 1, 0) == str(math.ceil(10_000 / 64))
    assert_no_exception(page)


@pytest.mark.parametrize("present", [False, True])
def test_screenshot(browser, server, present):
    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    pg = context.new_page()
    pg.goto(f"{server}/batch_learning" + ("?present=1" if present else ""))
    wait_idle(pg, timeout=60_000)
    pg.wait_for_function("() => document.querySelectorAll('.js-plotly-plot').length >= 4", timeout=60_000)
    wait_idle(pg)
    assert_no_exception(pg)
    screenshot(pg, "batch_learning" + ("_present" if present else ""))
    context.close()
