"""The optimizer playground in a real browser: what a student does on it, step by step."""

from __future__ import annotations

import math
import re

from .conftest import assert_no_exception, query, screenshot, wait_idle

# the contour plot's own parsed traces, read from the page
TRACES = """() => {
  const g = document.querySelector('[data-testid="stPlotlyChart"] .js-plotly-plot');
  return g._fullData.filter(t => t.xaxis === 'x').map(t => ({
    name: t.name || '', x: t.x ? Array.from(t.x).slice(0, 600) : [], y: t.y ? Array.from(t.y).slice(0, 600) : []}));
}"""



def pick_settings(pg, title: str) -> None:
    """Show one optimizer's settings in the sidebar (its selectbox there)."""
    pg.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first.click()
    pg.get_by_role("option", name=title, exact=True).click()

def traces(pg) -> dict[str, dict]:
    """The contour plot's traces by name (the loss plot's are left out: they share the optimizers' names)."""
    return {t["name"]: t for t in pg.evaluate(TRACES)}


def path_of(pg, title: str) -> dict:
    return next(t for name, t in traces(pg).items() if name.startswith(title) and t["x"])


def test_choose_optimizers_change_a_rate_play_and_click_a_new_start(page, server):
    pg = page
    pg.goto(f"{server}/playground?opt=gd,adam&steps=120")
    wait_idle(pg)
    pg.wait_for_selector('[data-testid="stPlotlyChart"] .js-plotly-plot')
    assert_no_exception(pg)
    assert {"Gradient descent", "Adam"} <= set(traces(pg))

    # add Nesterov momentum to the race
    box = pg.locator('[data-testid="stMultiSelect"]').first
    box.locator("input").click()
    box.locator("input").fill("Nesterov")
    # click the filtered option (Enter before the list has filtered picked nothing on a busy machine)
    pg.locator('[role="option"]').filter(has_text="Nesterov").first.click()
    pg.keyboard.press("Escape")
    pg.wait_for_function("() => (new URL(location.href).searchParams.get('opt') || '').includes('nesterov')")
    wait_idle(pg)
    assert query(pg)["opt"] == "gd%2Cadam%2Cnesterov" or query(pg)["opt"] == "gd,adam,nesterov"
    assert "Nesterov momentum" in traces(pg)
    assert_no_exception(pg)

    # a smaller learning rate for Adam: one stop down on its log slider
    before = path_of(pg, "Adam")
    pick_settings(pg, "Adam")
    wait_idle(pg)
    thumb = (pg.locator('[data-testid="stSidebar"] [data-testid="stSlider"]')
             .filter(has_text="learning rate").locator('input[type="range"]').first)
    thumb.focus()
    thumb.press("ArrowLeft")
    wait_idle(pg)
    assert query(pg).get("adam.lr") == "0.04"  # the stop below Rosenbrock's default 0.05
    after = path_of(pg, "Adam")
    assert after["x"][0] == before["x"][0] and after["x"][5:] != before["x"][5:], "same start, another path"

    # Play moves every optimizer's marker along its path
    chart = pg.locator('[data-testid="stPlotlyChart"]').first
    chart.scroll_into_view_if_needed()
    at_start = traces(pg)["at iteration t: w<sub>t</sub>"]
    chart.locator(".updatemenu-button").filter(has_text="Play").click()
    pg.wait_for_timeout(2500)
    playing = traces(pg)["at iteration t: w<sub>t</sub>"]
    assert playing["x"] != at_start["x"], "the markers moved"
    chart.locator(".updatemenu-button").filter(has_text="Pause").click()

    # a click on the contour starts every optimizer there
    drag = chart.locator(".nsewdrag").first
    drag.scroll_into_view_if_needed()
    # Streamlit turns click-to-select on once the chart is mounted; a click before that is only a click
    pg.wait_for_function("() => document.querySelector('[data-testid=\"stPlotlyChart\"] .js-plotly-plot')"
                         "._fullLayout.clickmode === 'event+select'")
    area = drag.bounding_box()
    x, y = area["x"] + 0.75 * area["width"], area["y"] + 0.8 * area["height"]
    pg.mouse.move(x, y)
    pg.wait_for_timeout(300)
    pg.mouse.click(x, y)
    pg.wait_for_function("() => location.search.includes('x0=')", timeout=20_000)
    wait_idle(pg)
    q = query(pg)
    assert "x0" in q and "y0" in q, pg.url
    new_start = (float(q["x0"]), float(q["y0"]))
    assert 0.5 < new_start[0] < 1.5 and -0.5 < new_start[1] < 0.5  # Rosenbrock's view: x in [-2, 2], y in [-1, 3]
    for title in ("Gradient descent", "Adam", "Nesterov momentum"):
        p = path_of(pg, title)
        assert abs(p["x"][0] - new_start[0]) < 1e-5 and abs(p["y"][0] - new_start[1]) < 1e-5
    assert_no_exception(pg)
    shot = screenshot(pg, "playground")
    assert shot.stat().st_size > 50_000


def test_presentation_mode_and_the_3d_view(page, server):
    pg = page
    pg.goto(f"{server}/playground?present=1&surface=himmelblau&opt=gd,momentum,adam,newton")
    wait_idle(pg)
    pg.wait_for_selector('[data-testid="stPlotlyChart"] .js-plotly-plot')
    assert_no_exception(pg)
    assert float(pg.evaluate("getComputedStyle(document.documentElement).fontSize").rstrip("px")) > 18
    screenshot(pg, "playground_present")
    pg.get_by_role("radio", name="3-D").click() if pg.get_by_role("radio", name="3-D").count() else \
        pg.locator('[data-testid="stButtonGroup"] button').filter(has_text="3-D").click()
    wait_idle(pg)
    pg.wait_for_selector('[data-testid="stPlotlyChart"] .js-plotly-plot .gl-container', state="attached")
    assert_no_exception(pg)
    assert query(pg).get("view") == "3d"
    screenshot(pg, "playground_3d_present")


def test_a_diverged_run_is_labelled_in_the_figure(page, server):
    pg = page
    pg.goto(f"{server}/playground?surface=saddle&opt=gd,adam&steps=120&gd.lr=0.5")
    wait_idle(pg)
    pg.wait_for_selector('[data-testid="stPlotlyChart"] .js-plotly-plot')
    assert_no_exception(pg)
    notes = pg.evaluate("() => [...document.querySelectorAll('[data-testid=\"stPlotlyChart\"] .annotation-text')]"
                        ".map(e => e.textContent)")
    assert any(re.fullmatch(r"Gradient descent: diverged at step \d+", n) for n in notes), notes
    body = pg.locator('[data-testid="stMain"]').inner_text()
    assert "NaN" not in body and "nan" not in body.split()


SCHEDULE_FIGURE = """() => [...document.querySelectorAll('[data-testid="stPlotlyChart"] .js-plotly-plot')]
  .filter(g => (g.layout.yaxis.title || {}).text === 'η<sub>t</sub>')
  .map(g => g._fullData.map(t => ({name: t.name, y: Array.from(t.y)})))"""


def test_schedule_and_clipping_expander(page, server):
    """A shared link with a cosine schedule, warm-up and clipping opens the expander with η_t against t; a new
    warm-up typed there reaches the figure and the link."""
    pg = page
    pg.goto(f"{server}/playground?surface=bowl&opt=gd,adam&steps=60&sched=cosine&tmax=50&warmup=10&clip=norm&clipc=2")
    wait_idle(pg)
    pg.wait_for_selector('[data-testid="stPlotlyChart"] .js-plotly-plot')
    assert_no_exception(pg)
    curves = pg.evaluate(SCHEDULE_FIGURE)
    assert len(curves) == 1 and [c["name"].split(" (")[0] for c in curves[0]] == ["Gradient descent", "Adam"]
    y = curves[0][0]["y"]
    assert len(y) == 60 and y[0] == 0
    assert abs(y[10] - 0.1 * (1 + math.cos(math.pi * 10 / 50)) / 2) < 1e-12  # η = 0.1 for GD on the bowl
    screenshot(pg, "playground_schedule")
    entry = pg.locator('[data-testid="stNumberInput"]').filter(has_text="warm-up N").locator("input")
    entry.fill("20")
    entry.press("Enter")
    wait_idle(pg)
    assert query(pg).get("warmup") == "20"
    y = pg.evaluate(SCHEDULE_FIGURE)[0][0]["y"]
    assert y[10] > 0 and abs(y[10] - 0.5 * 0.1 * (1 + math.cos(math.pi * 10 / 50)) / 2) < 1e-12
    assert_no_exception(pg)
