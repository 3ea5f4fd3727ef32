"""Benchmark of the optimizer playground: figure size and slider latency against a one-slider page.

    .venv/bin/python bench/bench_playground.py [--repeat 10] [--no-browser]

(It needs Playwright and Debian's Chromium; ``python3 dev.py bench playground`` installs the former.)

1. Figure size: the JSON of the animated race (what Streamlit sends) for all nine optimizers x 500 steps on
   every 2-D surface, normal and presentation mode. The budget is 500 kB.
2. Latency: Chromium (Playwright, Debian's /usr/bin/chromium) opens the playground and a one-slider reference
   page (``bench/one_slider_plot_app.py``), each on its own Streamlit server. A slider is moved one step with the
   keyboard, ``--repeat`` times per page, alternating between the pages so both see the same machine load; each
   time is from the key press to the moment the plot's ``_fullData`` shows the new figure. Sliders timed on the
   playground, all in its default view (Rosenbrock, four optimizers, 500 steps):

   * ``lr``: Adam's learning rate in the sidebar, one stop down each time (Adam runs again, the figure is
     rebuilt);
   * ``steps``: the number of steps, one less each time (all four optimizers run again).

   Medians and their ratio to the reference are printed. The machine's load matters: compare ratios, not
   absolute times, and rerun on a quiet machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, start_server, stop_server  # noqa: E402

BUDGET = 500_000
IDLE = "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
# a signature of what the figure shows: each trace's length and last x, from plotly's own parsed data
SIGNATURE = """() => {
  const g = document.querySelector('[data-testid="stPlotlyChart"] .js-plotly-plot');
  if (!g || !g._fullData) return null;
  return g._fullData.map(t => t.x ? t.x.length + ':' + t.x[t.x.length - 1] + ':' + t.y[t.y.length - 1] : '').join('|');
}"""



def pick_settings(pg, title: str) -> None:
    """Show one optimizer's settings in the sidebar (its selectbox there)."""
    pg.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first.click()
    pg.get_by_role("option", name=title, exact=True).click()

def figure_sizes() -> dict[tuple[str, bool], int]:
    import plotly.io as pio

    import surfaces
    from optim import NAMES, defaults_for, make, run
    from viz.race import race_figure
    from viz.style import theme

    sizes = {}
    for name in surfaces.names(dim=2):
        s = surfaces.get(name)
        runs = [run(s, make(n, **defaults_for(s, n)), list(s.starts[0]), 500) for n in NAMES]
        for present in (False, True):
            sizes[(name, present)] = len(pio.to_json(race_figure(s, runs, theme(present)), validate=False))
    return sizes


def wait_idle(pg) -> None:
    pg.wait_for_function(IDLE, timeout=60_000)
    pg.wait_for_timeout(250)
    pg.wait_for_function(IDLE, timeout=60_000)


def timed_press(pg, thumb, key: str) -> float:
    """Seconds from pressing ``key`` on a focused slider thumb to a changed figure."""
    before = pg.evaluate(SIGNATURE)
    t0 = time.perf_counter()
    thumb.press(key)
    pg.wait_for_function(f"(b) => ({SIGNATURE})() !== b", arg=before, polling="raf", timeout=60_000)
    return time.perf_counter() - t0


def open_ready(browser, url: str):
    pg = browser.new_page(viewport={"width": 1400, "height": 1000})
    pg.goto(url)
    pg.wait_for_selector('[data-testid="stPlotlyChart"] .js-plotly-plot', timeout=60_000)
    wait_idle(pg)
    return pg


def slider_thumb(pg, label: str):
    slider = pg.locator('[data-testid="stSlider"]').filter(has_text=label).locator('input[type="range"]').first
    slider.scroll_into_view_if_needed()
    slider.focus()
    return slider


def latency(repeat: int) -> dict[str, list[float]]:
    from playwright.sync_api import sync_playwright

    times: dict[str, list[float]] = {"reference": [], "lr": [], "steps": []}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        ref_proc, ref_url = start_server("bench/one_slider_plot_app.py")
        app_proc, app_url = start_server("app.py")
        try:
            ref = open_ready(browser, ref_url)
            play = open_ready(browser, f"{app_url}/playground")
            pick_settings(play, "Adam")
            wait_idle(play)
            for i in range(repeat + 1):  # the first round warms up the caches of both servers
                for name, pg, label, key in (("reference", ref, "frequency", "ArrowRight"),
                                             ("lr", play, "learning rate η", "ArrowLeft"),
                                             ("steps", play, "steps T", "ArrowLeft")):
                    thumb = slider_thumb(pg, label)
                    elapsed = timed_press(pg, thumb, key)
                    wait_idle(pg)
                    if i:
                        times[name].append(elapsed)
        finally:
            browser.close()
            stop_server(app_proc)
            stop_server(ref_proc)
    return times


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--no-browser", action="store_true", help="only the figure sizes")
    args = parser.parse_args(argv)

    sizes = figure_sizes()
    print("Figure JSON, nine optimizers x 500 steps (budget 500 kB):")
    for (name, present), size in sizes.items():
        print(f"  {name:18s} {'presentation' if present else 'normal':12s} {size / 1000:7.1f} kB")
    worst = max(sizes.values())
    print(f"  largest: {worst / 1000:.1f} kB = {worst / BUDGET:.0%} of the budget")
    if args.no_browser:
        return 0
    if not os.path.exists(CHROMIUM):
        print(f"no Chromium at {CHROMIUM}: latency not measured")
        return 0

    times = latency(args.repeat)
    ref = statistics.median(times["reference"])
    print(f"\nSlider key press to redrawn figure, median of {args.repeat} (Chromium, alternating pages):")
    print(f"  one-slider reference page          {ref * 1000:7.0f} ms")
    for name, what in (("lr", "playground, Adam's learning rate"), ("steps", "playground, number of steps")):
        m = statistics.median(times[name])
        print(f"  {what:35s}{m * 1000:7.0f} ms   ratio {m / ref:.2f}")
    print("  all times (ms): " + "; ".join(f"{k}: " + ", ".join(f"{v * 1000:.0f}" for v in vs)
                                          for k, vs in times.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
