"""The hyperparameter map in a real Chromium: click a cell at its pixel position (computed from plotly's own
axes) and see that run's path and table; the grid CSV; a shared link; presentation mode. Screenshots land in
artifacts/screenshots/."""

from __future__ import annotations

import csv
import io
import math
import re

import numpy as np
import pandas as pd

from optim import Status, iteration_table
from ui.state import format_float
from optim.sweep import Axis, SweepSpec, run_cell, sweep, to_csv
from viz.tables import frame

from .conftest import assert_no_exception, cell, screenshot, wait_idle

QUERY = "?n=24&steps=120"
SPEC = SweepSpec("elongated-bowl", "momentum", (-1.6, 1.9), 120,
                 (Axis("lr", 7e-4, 7.0, 24, log=True), Axis("beta", 0.0, 0.99, 24)))
MAP = ("[...document.querySelectorAll('.js-plotly-plot')]"
       ".find(p => p.data.some(t => (t.name || '').startsWith('cells:')))")
PATH = "[...document.querySelectorAll('.js-plotly-plot')].find(p => p.data.some(t => t.name === 'start'))"


def open_map(page, server, query: str = QUERY) -> None:
    page.goto(f"{server}/hyperparameter_map{query}")
    wait_idle(page)
    page.wait_for_function(f"() => !!({MAP}) && !!({PATH})")
    assert_no_exception(page)


def cell_pixel(page, index: tuple[int, int], spec: SweepSpec = SPEC) -> tuple[float, float]:
    """Where cell ``index`` is on the screen, from the map's axes (log axes work in log10 units)."""
    x, y = (float(a.values[k]) for a, k in zip(spec.axes, index))
    page.evaluate(f"() => ({MAP}).scrollIntoView({{block: 'center'}})")
    page.wait_for_timeout(200)
    return tuple(page.evaluate(f"""([x, y]) => {{
        const plot = {MAP};
        const xa = plot._fullLayout.xaxis, ya = plot._fullLayout.yaxis, box = plot.getBoundingClientRect();
        const lx = xa.type === 'log' ? Math.log10(x) : x, ly = ya.type === 'log' ? Math.log10(y) : y;
        return [box.left + xa._offset + xa.l2p(lx), box.top + ya._offset + ya.l2p(ly)];
    }}""", [x, y]))


def click_cell(page, index: tuple[int, int]) -> None:
    """Hover and click the cell, then wait until the page has rerun with the outline on that cell."""
    px, py = cell_pixel(page, index)
    page.mouse.move(px, py)
    page.wait_for_timeout(300)
    page.mouse.click(px, py)
    x, y = (float(a.values[k]) for a, k in zip(SPEC.axes, index))
    page.wait_for_function(f"""([x, y]) => {{
        const plot = {MAP};
        const tr = plot && plot._fullData.find(t => t.name === 'the run shown' && t.showlegend);
        return tr && Math.abs(tr.x[0] - x) <= 1e-12 * x && Math.abs(tr.y[0] - y) <= 1e-12;
    }}""", arg=[x, y])
    wait_idle(page)
    page.wait_for_function(f"() => !!({PATH})")


def shown_path(page) -> np.ndarray:
    xy = page.evaluate(f"""() => {{
        const tr = ({PATH})._fullData.find(t => t.name === 'w<sub>t</sub>');
        return [Array.from(tr.x), Array.from(tr.y)];
    }}""")
    return np.array(xy).T


def test_clicking_a_cell_shows_its_trajectory_and_table(page, server):
    open_map(page, server)
    grid = sweep(SPEC)
    # a converging cell away from the default one, and a diverged one
    targets = [(8, 12), tuple(int(k) for k in np.argwhere(grid.status == Status.DIVERGED)[0])]
    for index in targets:
        click_cell(page, index)
        traj = run_cell(SPEC, index)
        lr, beta = (float(a.values[k]) for a, k in zip(SPEC.axes, index))
        # each value in the fewest digits (at least 3) that still pick its cell, as the page writes it
        link = ",".join(format_float(a.short_value(k)) for a, k in zip(SPEC.axes, index))
        assert f"cell={link.replace(',', '%2C')}" in page.url or f"cell={link}" in page.url, page.url
        path = traj.positions[: int(traj.rows) + 1]
        drawn = np.all(np.abs(path) <= 1e6, axis=-1)  # a diverging path is drawn up to where it left ±10^6
        np.testing.assert_allclose(shown_path(page), path[drawn], rtol=1e-12)
        table = frame(iteration_table(traj))
        assert float(cell(page, 1, 0)) == table["x"].iloc[0]
        assert float(cell(page, 3, 1)) == table["f"].iloc[1]
        title = page.evaluate(f"() => ({PATH})._fullLayout.title.text")
        assert traj.outcome() in title and f"η = {lr:.4g}" in title  # "converged at step 37", ...
        marker = page.evaluate(f"""() => {{
            const tr = ({MAP})._fullData.find(t => t.name === 'the run shown' && t.showlegend);
            return [tr.x[0], tr.y[0]];
        }}""")
        assert marker == [lr, beta]  # the outline moved to the clicked cell
    screenshot(page, "hyperparameter_map_clicked")


def test_grid_csv_download_is_the_core_sweep(page, server):
    open_map(page, server)
    with page.expect_download() as info:
        page.locator('[data-testid="stDownloadButton"] button').filter(has_text="grid").click()
    data = open(info.value.path(), encoding="utf-8").read()
    assert info.value.suggested_filename.endswith(".csv")
    assert data == to_csv(sweep(SPEC))
    rows = list(csv.DictReader(io.StringIO(data)))
    assert len(rows) == 24 * 24 and {r["status"] for r in rows} == {"converged", "running", "diverged"}


def test_a_shared_link_with_a_cell_opens_that_run(page, server):
    index = (15, 20)
    lr, beta = (float(a.values[k]) for a, k in zip(SPEC.axes, index))
    open_map(page, server, f"{QUERY}&cell={lr!r},{beta!r}&show=status")
    np.testing.assert_allclose(shown_path(page), run_cell(SPEC, index).positions[: int(run_cell(SPEC, index).rows) + 1],
                               rtol=1e-12)
    colour_by = page.locator('[data-testid="stButtonGroup"]').filter(has_text="outcome")  # not the clipping choice
    chosen = colour_by.locator('button[aria-checked="true"]').inner_text()
    assert chosen == "outcome"


def test_bad_link_gives_a_notice_not_a_traceback(page, server):
    open_map(page, server, "?n=abc&cell=x,y&opt=nope")
    alerts = page.locator('[data-testid="stAlert"]').all_inner_texts()
    assert any("n=abc" in a for a in alerts) and any("opt=nope" in a for a in alerts)
    assert "n=" not in page.url and "opt=" not in page.url


def test_presentation_mode_is_larger_and_screenshots(page, server):
    open_map(page, server)
    font = lambda: page.evaluate(f"() => ({MAP})._fullLayout.font.size")  # noqa: E731
    normal = font()
    screenshot(page, "hyperparameter_map")
    page.goto(f"{server}/hyperparameter_map{QUERY}&present=1")
    wait_idle(page)
    page.wait_for_function(f"() => !!({MAP})")
    assert_no_exception(page)
    assert font() > normal and re.search(r"[?&]present=1", page.url)
    screenshot(page, "hyperparameter_map_presentation")


def test_a_large_grid_shows_progress_and_stays_responsive(page, server):
    """200 x 200 x 2,000 steps runs in blocks: the progress bar shows, and a click on the sidebar's page link
    is served without waiting for the whole grid."""
    page.goto(f"{server}/hyperparameter_map?n=200&steps=2000&opt=adam&surface=rosenbrock&x0=-1.2&seed=3")
    page.wait_for_selector('[data-testid="stProgress"]', timeout=60_000)
    page.locator('[data-testid="stSidebarNavLink"]').filter(has_text="Learning rate").click()
    page.wait_for_selector('h1:has-text("Learning rate")', timeout=20_000)
    wait_idle(page)
    assert_no_exception(page)
    assert math.isfinite(float(cell(page, 1, 0)))
    assert pd is not None


def test_a_typed_function_and_its_box_from_a_link_fill_the_map(page, server):
    """A link with f= and box= opened in a fresh context: both text boxes hold the link's values, the map is the
    core's sweep of the typed surface, and the view box bounds the cell's path figure."""
    from playwright.sync_api import expect

    from surfaces.typed import typed_surface

    text, box = "x^2 + 10*y^2", "-3,3,-2,2"
    open_map(page, server, f"?surface=own&f=x%5E2+%2B+10*y%5E2&box={box}&n=10&steps=60")
    expect(page.get_by_label("f(x, y) =", exact=True)).to_have_value(text, timeout=15_000)
    expect(page.get_by_label("view box (xmin, xmax, ymin, ymax)", exact=True)).to_have_value(box, timeout=15_000)
    surface = typed_surface(text, bounds=(-3, 3, -2, 2))
    assert page.locator('[data-testid="stCaptionContainer"]').filter(has_text="Stationary points in view").first \
        .inner_text().startswith("Stationary points in view: minimum at (0.00000, 0.00000)")
    ranges = page.evaluate(f"() => [({PATH})._fullLayout.xaxis.range, ({PATH})._fullLayout.yaxis.range]")
    assert surface.bounds == ((-3.0, 3.0), (-2.0, 2.0))  # not the computed box around (0, 0): (-2, 2) both ways
    assert ranges[0][0] <= -3 and ranges[0][1] >= 3 and ranges[0][1] - ranges[0][0] <= 6 * 1.1
    screenshot(page, "hyperparameter_map_own_function")
