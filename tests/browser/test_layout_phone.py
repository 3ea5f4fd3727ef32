"""What a student on a phone sees, 400 px wide, on every page: nothing wider than the screen, no control drawn over
another, no text or formula cut off; and two things a person does on any screen: Pause during Play, and reading
the sidebar's long page titles."""

from __future__ import annotations

import pytest

from .conftest import SCREENSHOTS
from .layout_checks import _OVERFLOWING, _OVERLAPS, PAGES, opened, settle


@pytest.mark.parametrize("path", list(PAGES))
def test_phone(browser, server, path):
    context = browser.new_context(viewport={"width": 400, "height": 850})
    pg = context.new_page()
    pg.set_default_timeout(40_000)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    try:
        pg.goto(f"{server}/{path}")
        opened(pg, path)
        pg.screenshot(path=str(SCREENSHOTS / f"layout-{path or 'home'}-400.png"))
        assert pg.evaluate("() => document.documentElement.scrollWidth") <= 400
        assert pg.evaluate(_OVERLAPS) == []
        assert pg.evaluate(_OVERFLOWING) == []
    finally:
        context.close()


def test_pause_during_play_raises_no_error(page, server):
    """plotly.js rejects an interrupted animation's promise; pressing Pause during Play must not surface it."""
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{server}/playground")
    settle(page)
    buttons = page.locator('[data-testid="stPlotlyChart"] .updatemenu-button')
    play, pause = buttons.filter(has_text="Play").first, buttons.filter(has_text="Pause").first
    for _ in range(2):
        play.click()
        page.wait_for_timeout(700)
        pause.click()
        page.wait_for_timeout(500)
    assert errors == []


def test_sidebar_titles_are_whole(page, server):
    """Long page titles in the sidebar wrap onto a second line instead of ending in an ellipsis."""
    page.goto(f"{server}/moving_averages")
    settle(page)
    cut = page.evaluate("""() => [...document.querySelectorAll('[data-testid="stSidebarNavLink"]')]
      .filter(a => a.getBoundingClientRect().height > 0)
      .filter(a => [...a.querySelectorAll('p, [data-testid="stMarkdownContainer"]')]
                     .some(e => e.scrollWidth > e.clientWidth + 1) || a.scrollWidth > a.clientWidth + 1)
      .map(a => a.innerText)""")
    assert cut == []
    long = page.locator('[data-testid="stSidebarNavLink"]', has_text="Moving averages: momentum and bias correction")
    assert long.evaluate("a => a.getBoundingClientRect().height") > 1.5 * page.locator(
        '[data-testid="stSidebarNavLink"]', has_text="Home").evaluate("a => a.getBoundingClientRect().height")
