"""The moving-averages page in a real Chromium: type a series, change β, read the weights table; screenshots at
1920x1080, normal and in presentation mode."""

from __future__ import annotations

import pytest

from .conftest import assert_no_exception, cell, wait_idle


def test_typed_series_and_beta_change_the_tables(page, server):
    page.goto(f"{server}/moving_averages?series=typed&typed=1,2,3,4&back=5")
    wait_idle(page, timeout=60_000)
    assert_no_exception(page)
    # EMA_2 for β = 0.9 from 0: 0.9·0.1 + 0.1·2 = 0.29
    assert float(cell(page, 2, 1)) == pytest.approx(0.29, abs=5e-6)
    assert float(cell(page, 1, 3, table=1)) == pytest.approx(0.1 * 0.9**3, abs=5e-6)
    entry = page.locator('[data-testid="stNumberInput"]').filter(has_text="decay rate").locator("input")
    entry.fill("0.5")
    entry.press("Enter")
    page.wait_for_function("() => /[?&]beta=0.5/.test(location.search)")
    wait_idle(page)
    assert float(cell(page, 2, 1)) == pytest.approx(0.5 * 0.5 + 0.5 * 2, abs=5e-6)
    assert float(cell(page, 2, 4, table=1)) == pytest.approx(1 - 0.5**5, abs=5e-6)
    assert_no_exception(page)
