"""The playground's fair race in a real browser: flip "same settings" to "each tuned" and see the tuned values in
the table, the address bar and the race."""

from __future__ import annotations


from .conftest import assert_no_exception, cell, query, screenshot, wait_idle


def test_flip_to_each_tuned_and_see_the_tuned_values(page, server):
    pg = page
    pg.goto(f"{server}/playground?opt=gd,adam&steps=120")
    wait_idle(pg)
    pg.wait_for_selector('[data-testid="stPlotlyChart"] .js-plotly-plot')
    assert "race" not in query(pg)

    pg.locator('[data-testid="stButtonGroup"] button').filter(has_text="Each tuned").click()
    pg.wait_for_function("() => location.search.includes('race=tuned') && location.search.includes('adam.lr=')",
                         timeout=30_000)
    wait_idle(pg)
    assert_no_exception(pg)
    q = query(pg)
    # the tuning table (the first table on the page now): one row per optimizer, its tuned values as in the URL
    assert cell(pg, 0, 0) == "Gradient descent" and cell(pg, 0, 1) == "Adam"
    assert cell(pg, 1, 0) == f"η = {float(q['gd.lr']):g}"
    assert cell(pg, 1, 1).startswith(f"η = {float(q['adam.lr']):g}, β₁ = ")
    # the race's summary shows the same settings
    summary = next(i for i in range(pg.locator('[data-testid="stDataFrame"]').count())
                   if cell(pg, 0, 0, table=i) == "Gradient descent" and i > 0)
    assert any(f"η = {float(q['adam.lr']):g}" in cell(pg, c, 1, table=summary) for c in range(1, 5))
    # the good-band strip is drawn, one row per optimizer
    bands = pg.evaluate("""() => [...document.querySelectorAll('[data-testid="stPlotlyChart"] .js-plotly-plot')]
        .filter(g => (g.layout.title || {}).text && g.layout.title.text.startsWith('Good band'))
        .map(g => [...new Set(g._fullData.map(t => t.y[0]))])""")
    assert bands == [["Gradient descent", "Adam"]]
    screenshot(pg, "playground_fair_race")
