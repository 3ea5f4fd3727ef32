"""What a teacher at a projector and a student on a phone see: every page's main figure, the control that drives
it and its verdict on the first screen in presentation mode (1920 x 1080 and 1280 x 720), no text cut off, and
at 400 px no sideways overflow and no controls drawn over each other."""

from __future__ import annotations

import time

import pytest

from .conftest import SCREENSHOTS, assert_no_exception, wait_idle

#: per page: its main element (figure, table or card) and the label of the control that drives it
PAGES = {
    "home": (".st-key-card-playground", None),
    "playground": (".st-key-race .js-plotly-plot", "learning rate η"),
    "hyperparameter_map": (".st-key-map-chart .js-plotly-plot", "η from"),
    "learning_rate": (".st-key-descent .js-plotly-plot", "learning rate η"),
    "moving_averages": (".st-key-series .js-plotly-plot", "decay rate β"),
    "forms": (".st-key-form-0", "Optimizers"),
    "batch_learning": ('[data-testid="stMain"] [data-testid="stDataFrame"]', "samples n"),
    "batch_norm": (".st-key-hist-0 .js-plotly-plot", "batch size m"),
    "lstm": (".st-key-cell-heatmap .js-plotly-plot", "numbers from"),
    "spatial_transformer": (".st-key-grid .js-plotly-plot", "rotation φ"),
    "losses": (".st-key-regression-curves .js-plotly-plot", "Huber's δ"),
    "activations": (".st-key-one .js-plotly-plot", "activation"),
    "initializers": (".st-key-histogram .js-plotly-plot", "initializer"),
    "dropout": (".st-key-layer .js-plotly-plot", "keep probability p"),
    "convolution": (".st-key-forward-X .js-plotly-plot", "input X"),
}

_BOX = "e => { const b = e.getBoundingClientRect(); return [b.left, b.top, b.right, b.bottom]; }"

#: text whose content is wider than its box (cut off or scrolled sideways): labels, prose, headings, formulas
_OVERFLOWING = """() => {
  const out = [];
  const sel = '[data-testid="stMain"] [data-testid="stWidgetLabel"] p, [data-testid="stMain"] h1, '
            + '[data-testid="stMain"] h2, [data-testid="stMain"] h3, '
            + '[data-testid="stMain"] [data-testid="stMarkdownContainer"] > p, '
            + '[data-testid="stMain"] .katex-display';
  for (const e of document.querySelectorAll(sel)) {
    const b = e.getBoundingClientRect();
    if (b.width === 0 || b.height === 0) continue;
    if (e.scrollWidth > e.clientWidth + 2) out.push(e.innerText.slice(0, 40) + ' (' + e.scrollWidth + ' > '
                                                     + e.clientWidth + ')');
  }
  return out;
}"""

#: pairs of visible controls whose boxes overlap
_OVERLAPS = """() => {
  const els = [...document.querySelectorAll('[data-testid="stMain"] [data-testid="stElementContainer"]')]
    .filter(e => e.querySelector('input, button, [role="slider"], [data-baseweb="select"]'))
    .filter(e => !e.parentElement.closest('[data-testid="stElementContainer"]'))
    .filter(e => !e.closest('details:not([open])') && e.checkVisibility({visibilityProperty: true}))
    .map(e => [e, e.getBoundingClientRect()]).filter(([e, b]) => b.width > 0 && b.height > 0);
  const out = [];
  for (let i = 0; i < els.length; i++) for (let j = i + 1; j < els.length; j++) {
    const [a, p] = els[i], [b, q] = els[j];
    if (a.contains(b) || b.contains(a)) continue;
    const w = Math.min(p.right, q.right) - Math.max(p.left, q.left);
    const h = Math.min(p.bottom, q.bottom) - Math.max(p.top, q.top);
    const name = e => (e.innerText.trim() || (e.firstElementChild && e.firstElementChild.getAttribute('data-testid'))
                       || e.className).slice(0, 30);
    if (w > 2 && h > 2) out.push(name(a) + ' | ' + name(b));
  }
  return out;
}"""


def settle(pg, timeout: float = 40) -> None:
    """Wait until no run is going on and every figure has kept its place and size for two seconds (the window
    size reported after the first run reruns the page once with figures fitted to the screen)."""
    wait_idle(pg)
    last, stable, end = None, 0, time.monotonic() + timeout
    while stable < 4 and time.monotonic() < end:
        pg.wait_for_timeout(500)
        now = pg.evaluate("() => JSON.stringify([!!document.querySelector('[data-testid=\"stStatusWidget\"]'), "
                          "[...document.querySelectorAll('.js-plotly-plot, [data-testid=\"stDataFrame\"]')]"
                          ".map(e => { const b = e.getBoundingClientRect(); return [b.top, b.height]; })])")
        stable = stable + 1 if now == last and not now.startswith("[true") else 0
        last = now


def first_screen(pg, main: str, control: str | None) -> None:
    """The main element and the control's label lie wholly within the first screen."""
    pg.evaluate("() => { window.scrollTo(0, 0); const m = document.querySelector('[data-testid=\"stMain\"]'); "
                "if (m) m.scrollTop = 0; }")
    height = pg.evaluate("() => window.innerHeight")
    width = pg.evaluate("() => window.innerWidth")
    left, top, right, bottom = pg.locator(main).first.evaluate(_BOX)
    assert top >= 0 and bottom <= height + 1 and right <= width + 1, \
        f"{main} spans y = {top:.0f} to {bottom:.0f} on a {width} x {height} screen"
    if control:
        label = pg.locator('[data-testid="stMain"] [data-testid="stWidgetLabel"]', has_text=control).first
        _, c_top, _, c_bottom = label.evaluate(_BOX)
        assert c_top >= 0 and c_bottom <= height + 1, f"the control {control!r} is at y = {c_top:.0f}"
    assert pg.evaluate(_OVERFLOWING) == []


@pytest.mark.parametrize("path", list(PAGES))
def test_projector(browser, server, path):
    """Presentation mode at 1920 x 1080, then the same page on a 1280 x 720 projector."""
    main, control = PAGES[path]
    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    pg = context.new_page()
    pg.set_default_timeout(40_000)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    try:
        pg.goto(f"{server}/{path}?present=1")
        settle(pg)
        assert_no_exception(pg)
        pg.screenshot(path=str(SCREENSHOTS / f"layout-{path}-1920.png"))
        first_screen(pg, main, control)
        pg.set_viewport_size({"width": 1280, "height": 720})
        settle(pg)
        pg.screenshot(path=str(SCREENSHOTS / f"layout-{path}-1280.png"))
        first_screen(pg, main, control)
    finally:
        context.close()


@pytest.mark.parametrize("path", list(PAGES))
def test_phone(browser, server, path):
    """400 px wide: nothing wider than the screen, no control drawn over another, no text or formula cut off."""
    context = browser.new_context(viewport={"width": 400, "height": 850})
    pg = context.new_page()
    pg.set_default_timeout(40_000)
    try:
        pg.goto(f"{server}/{path}")
        settle(pg)
        assert_no_exception(pg)
        assert pg.evaluate("() => document.documentElement.scrollWidth") <= 400
        assert pg.evaluate(_OVERLAPS) == []
        assert pg.evaluate(_OVERFLOWING) == []
        pg.screenshot(path=str(SCREENSHOTS / f"layout-{path}-400.png"), full_page=False)
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
