"""Draw the home page's thumbnails: a screenshot of each page's main figure, taken in Chromium.

    .venv/bin/python assets/make_thumbnails.py

Starts the app on a free port, opens each page (with the settings below), and saves a 16:9 picture of one
chart to ``assets/thumbnails/<page>.png`` at full resolution (sharp on a projector, where the home page shows
two cards a row). Run it again after changing a page.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from browser.conftest import CHROMIUM, CHROMIUM_ARGS, start_server, stop_server, wait_idle  # noqa: E402

from ui.pages import PAGES  # noqa: E402

OUT = ROOT / "assets" / "thumbnails"

#: per page: the query to open it with and which element to photograph (CSS selector, index)
SHOTS = {
    "learning_rate": ("?lr=0.45&steps=12", ".st-key-descent [data-testid='stPlotlyChart']", 0),
    "playground": ("", ".st-key-race [data-testid='stPlotlyChart']", 0),
    "hyperparameter_map": ("", ".st-key-map-chart [data-testid='stPlotlyChart']", 0),
    "moving_averages": ("", ".st-key-series [data-testid='stPlotlyChart']", 0),
    "batch_learning": ("", ".st-key-contour [data-testid='stPlotlyChart']", 0),
    "batch_norm": ("?view=lr", ".st-key-lr-curves [data-testid='stPlotlyChart']", 0),
    "lstm": ("", ".st-key-cell-heatmap [data-testid='stPlotlyChart']", 0),
    "spatial_transformer": ("", ".st-key-grid [data-testid='stPlotlyChart']", 0),
    "losses": ("?delta=1.5", ".st-key-regression-curves [data-testid='stPlotlyChart']", 0),
    "activations": ("?view=compare&show=relu,sigmoid,tanh,elu,softplus", ".st-key-compare [data-testid='stPlotlyChart']",
                    0),
    "initializers": ("?view=depth", ".st-key-depth [data-testid='stPlotlyChart']", 0),
    "dropout": ("", ".st-key-layer [data-testid='stPlotlyChart']", 0),
    "convolution": ("?step=3", '[data-testid="stHorizontalBlock"]', 3),
}


def main() -> int:
    from playwright.sync_api import sync_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    proc, url = start_server()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000}, device_scale_factor=1)
            for info in PAGES:
                if info.url_path not in SHOTS:  # a page of formulas and tables: its card has no picture
                    continue
                query, selector, index = SHOTS[info.url_path]
                page.goto(f"{url}/{info.url_path}{query}")
                wait_idle(page)
                element = page.locator(selector).nth(index)
                element.wait_for()
                element.scroll_into_view_if_needed()
                page.wait_for_timeout(1500)
                box = element.bounding_box()
                page.screenshot(path=str(OUT / f"{info.url_path}.png"), clip={
                    "x": box["x"], "y": box["y"], "width": box["width"],
                    "height": min(box["height"], box["width"] * 9 / 16)})
                print(f"{info.url_path}: {box['width']:.0f} x {box['height']:.0f} px")
            browser.close()
    finally:
        stop_server(proc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
