"""Page latency and weight in a real Chromium, against a one-slider Streamlit page in the same run.

    .venv/bin/python bench/bench_pages.py [--repeat 10]

Measures, for the learning-rate page (the reference page is ``bench/one_slider_app.py``):
  * server start to first rendered table (the browser is launched first, as a person's browser would be);
  * slider change to updated table: a key press on the slider until the first table cell shows the new
    value, median of N;
  * bytes the page receives on load: HTTP bodies plus WebSocket frames, in a fresh browser context.
Prints the figures and the ratios page / reference. Absolute times depend on the machine; compare ratios.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from browser.conftest import CHROMIUM, CHROMIUM_ARGS, start_server, stop_server  # noqa: E402

FIRST_CELL = '[data-testid="stDataFrame"] [data-testid="glide-cell-{col}-0"]'


def measure(browser, script: str, path: str, col: int, repeat: int) -> dict:
    t0 = time.perf_counter()
    proc, url = start_server(script)
    try:
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        received = {"http": 0, "ws": 0}
        page.on("response", lambda r: received.__setitem__("http", received["http"] + len(_body(r))))
        page.on("websocket", lambda ws: ws.on(
            "framereceived", lambda payload: received.__setitem__("ws", received["ws"] + len(payload))))
        page.goto(f"{url}/{path}")
        cell = page.locator(FIRST_CELL.format(col=col)).first
        cell.wait_for(state="attached", timeout=60_000)
        first_table = time.perf_counter() - t0
        page.wait_for_timeout(1500)  # let the load finish before counting its bytes
        loaded = dict(received)
        slider = page.locator('[data-testid="stSlider"] input[type="range"]').first
        times = []
        for i in range(repeat):
            before = cell.inner_text()
            slider.focus()
            start = time.perf_counter()
            slider.press("ArrowRight" if i % 2 == 0 else "ArrowLeft")
            page.wait_for_function(
                "([sel, old]) => { const c = document.querySelector(sel); return c && c.innerText !== old; }",
                arg=[FIRST_CELL.format(col=col), before], timeout=30_000)
            times.append(time.perf_counter() - start)
            page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')")
            page.wait_for_timeout(200)
        context.close()
        return {"first_table": first_table, "update": statistics.median(times), "bytes": loaded}
    finally:
        stop_server(proc)


def _body(response) -> bytes:
    try:
        return response.body()
    except Exception:  # redirects and aborted requests have no body
        return b""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        ref = measure(browser, "bench/one_slider_app.py", "", col=1, repeat=args.repeat)
        lr = measure(browser, "app.py", "learning_rate", col=4, repeat=args.repeat)
        browser.close()
    print(f"{'':38s}{'learning rate':>16s}{'one slider':>14s}{'ratio':>8s}")
    print(f"{'server start -> first table (s)':38s}{lr['first_table']:16.2f}{ref['first_table']:14.2f}"
          f"{lr['first_table'] / ref['first_table']:8.2f}")
    print(f"{'slider -> updated table, median (ms)':38s}{lr['update'] * 1e3:16.0f}{ref['update'] * 1e3:14.0f}"
          f"{lr['update'] / ref['update']:8.2f}")
    for kind in ("http", "ws"):
        print(f"{'bytes on load, ' + kind:38s}{lr['bytes'][kind]:16,d}{ref['bytes'][kind]:14,d}"
              f"{lr['bytes'][kind] / max(ref['bytes'][kind], 1):8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
