"""The batch / mini-batch / online page in a real Chromium: type batch sizes, read the counts; screenshots at
1920x1080, normal and in presentation mode."""

from __future__ import annotations

import math


from .conftest import assert_no_exception, cell, wait_idle


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
