"""What the layout tests measure in the page: where the main figure and its control lie, text cut off, controls
drawn over each other, and when a page has settled."""

from __future__ import annotations

import time

from ui.pages import PAGES as INFO

from .conftest import assert_no_exception, drawn_for_window, wait_idle

#: per page: its main element (figure, table or card) and the label of the control that drives it
PAGES = {
    "": (".st-key-card-playground", None),  # home: the default page lives at /, not at its file name
    "playground": (".st-key-race .js-plotly-plot", "learning rate η"),
    "hyperparameter_map": (".st-key-map-chart .js-plotly-plot", "η from"),
    "learning_rate": (".st-key-descent .js-plotly-plot", "learning rate η"),
    "moving_averages": (".st-key-series .js-plotly-plot", "decay rate β"),
    "forms": (".st-key-form-0", "Optimizers"),
    "batch_learning": (".st-key-text-table-counts", "samples n"),  # a table: drawn as text on a projector
    "batch_norm": (".st-key-hist-0 .js-plotly-plot", "batch size m"),
    "lstm": (".st-key-cell-heatmap .js-plotly-plot", "numbers from"),
    "spatial_transformer": (".st-key-grid .js-plotly-plot", "rotation φ"),
    "losses": (".st-key-regression-curves .js-plotly-plot", "Huber's δ"),
    "activations": (".st-key-one .js-plotly-plot", "activation"),
    "initializers": (".st-key-histogram .js-plotly-plot", "initializer"),
    "dropout": (".st-key-layer .js-plotly-plot", "keep probability p"),
    "convolution": (".st-key-forward-X .js-plotly-plot", "input X"),
}
#: pages whose verdict is not the main figure itself: where it is (the map's is the clicked run, titled with its
#: outcome)
VERDICTS = {"playground": ".st-key-verdict", "learning_rate": ".st-key-verdict h2",
            "hyperparameter_map": ".st-key-cell-path .js-plotly-plot"}

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
    """Wait until no run is going on and every figure has kept its place and size for 1.2 seconds (the window
    size reported after the first run reruns the page once with figures fitted to the screen)."""
    wait_idle(pg)
    drawn_for_window(pg, timeout * 1000)
    last, stable, end = None, 0, time.monotonic() + timeout
    while stable < 3 and time.monotonic() < end:
        pg.wait_for_timeout(400)
        now = pg.evaluate("() => JSON.stringify([!!document.querySelector('[data-testid=\"stStatusWidget\"]'), "
                          "[...document.querySelectorAll('.js-plotly-plot, [data-testid=\"stDataFrame\"]')]"
                          ".map(e => { const b = e.getBoundingClientRect(); return [b.top, b.height]; })])")
        stable = stable + 1 if now == last and not now.startswith("[true") else 0
        last = now


def first_screen(pg, main: str, control: str | None, verdict: str | None = None) -> None:
    """The main element, the control's label and the verdict lie wholly within the first screen."""
    pg.evaluate("() => { window.scrollTo(0, 0); const m = document.querySelector('[data-testid=\"stMain\"]'); "
                "if (m) m.scrollTop = 0; }")
    height = pg.evaluate("() => window.innerHeight")
    width = pg.evaluate("() => window.innerWidth")
    left, top, right, bottom = pg.locator(main).first.evaluate(_BOX)
    assert top >= 0 and bottom <= height + 1 and right <= width + 1, \
        f"{main} spans y = {top:.0f} to {bottom:.0f} on a {width} x {height} screen"
    for verdict in filter(None, [verdict]):
        _, v_top, _, v_bottom = pg.locator(verdict).first.evaluate(_BOX)
        assert v_top >= 0 and v_bottom <= height + 1, f"the verdict {verdict} spans y = {v_top:.0f} to {v_bottom:.0f}"
    if control:
        label = pg.locator('[data-testid="stMain"] [data-testid="stWidgetLabel"]', has_text=control).first
        _, c_top, _, c_bottom = label.evaluate(_BOX)
        assert c_top >= 0 and c_bottom <= height + 1, f"the control {control!r} is at y = {c_top:.0f}"
    assert pg.evaluate(_OVERFLOWING) == []


def opened(pg, path: str) -> None:
    """The page has settled, shows no error and its own title."""
    settle(pg)
    assert_no_exception(pg)
    assert pg.get_by_text("Page not found").count() == 0
    titles = {"": "Optimizer lab"} | {p.url_path: p.title for p in INFO}
    assert pg.locator("h1").first.inner_text() == titles[path]
