"""What a teacher at a projector sees: in presentation mode at 1920 x 1080, then on a 1280 x 720 projector, every
page's main figure (or table), the control that drives it and its verdict lie on the first screen, and no label,
heading, paragraph or formula is cut off. Screenshots of each in artifacts/screenshots/layout-*."""

from __future__ import annotations

import pytest

from .conftest import SCREENSHOTS
from .layout_checks import PAGES, VERDICTS, first_screen, opened


@pytest.mark.parametrize("path", list(PAGES))
def test_projector(browser, server, path):
    main, control = PAGES[path]
    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    pg = context.new_page()
    pg.set_default_timeout(40_000)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    name = path or "home"
    try:
        pg.goto(f"{server}/{path}?present=1")
        opened(pg, path)
        pg.screenshot(path=str(SCREENSHOTS / f"layout-{name}-1920.png"))
        first_screen(pg, main, control, VERDICTS.get(path))
        pg.set_viewport_size({"width": 1280, "height": 720})
        opened(pg, path)  # after the rerun that fits the figures to the new window
        pg.screenshot(path=str(SCREENSHOTS / f"layout-{name}-1280.png"))
        first_screen(pg, main, control, VERDICTS.get(path))
    finally:
        context.close()
