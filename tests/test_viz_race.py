"""The playground's race figure built directly (without the page): its size on the wire, its validity as a
plotly figure, its frames and the iteration it opens at."""

from __future__ import annotations

import json
import pickle

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import pytest

import surfaces
from optim import NAMES, defaults_for, make, run
from viz.race import race_figure
from viz.race_player import FRAME_CAP, frames_of
from viz.style import theme

TWO_D = surfaces.names(dim=2)
BUDGET = 530_000  # bytes of figure JSON for nine optimizers x 500 steps (80 KB of it: the click grid, 1/80 of the box)


def records(s, names, steps: int) -> list:
    return [run(s, make(n, **defaults_for(s, n)), list(s.starts[0]), steps) for n in names]


def _plain(o):
    if isinstance(o, np.ndarray):
        return o.tolist()
    raise TypeError(type(o))


@pytest.mark.parametrize("surface_name", TWO_D)
def test_figure_budget_for_every_surface(surface_name):
    s = surfaces.get(surface_name)
    runs = records(s, NAMES, 500)
    for present in (False, True):
        text = pio.to_json(race_figure(s, runs, theme(present)), validate=False)
        assert len(text) <= BUDGET, f"{surface_name}: {len(text):,} bytes"


def test_the_race_figure_is_valid_plotly():
    s = surfaces.get("rosenbrock")
    runs = records(s, NAMES, 40)
    spec = race_figure(s, runs, theme(False), current=7)
    fig = go.Figure(json.loads(json.dumps(spec, default=_plain)))  # raises on any invalid attribute
    assert len(fig.frames) == 41
    pickle.loads(pickle.dumps(runs))  # records are cacheable


def test_frames_move_evenly_and_reach_the_end():
    assert list(frames_of(10)) == list(range(1, 12))
    ts = frames_of(500)
    assert ts[0] == 1 and ts[-1] == 501 and len(ts) <= FRAME_CAP + 1
    assert set(np.diff(ts)[:-1]) == {2}


def test_a_figure_opens_at_the_inspected_iteration():
    s = surfaces.get("bowl")
    runs = records(s, ("gd", "adam"), 30)
    spec = race_figure(s, runs, theme(True), current=9)
    current = next(tr for tr in spec["data"] if str(tr.get("name", "")).startswith("at iteration"))
    np.testing.assert_allclose(current["x"], [r.positions[8, 0] for r in runs], atol=1e-3)
    assert spec["layout"]["sliders"][0]["active"] == 8
    assert spec["frames"][8]["name"] == "9"


def test_a_click_on_the_contour_starts_within_a_few_pixels_of_it():
    """Rosenbrock's box is [-2, 2] x [-1, 3]: 80 intervals of 4 make a spacing of 0.05, so 81 x 81 click points, and
    every point of the box (here 1,000 random ones) lies within 0.025 of one in each coordinate, not 0.1 as on a
    0.2 grid."""
    import numpy as np

    import surfaces
    from viz.race import click_grid

    gx, gy, h = click_grid(surfaces.get("rosenbrock"))
    assert h == 0.05 and len(gx) == len(gy) == 81
    assert (gx[0], gx[-1], gy[0], gy[-1]) == (-2.0, 2.0, -1.0, 3.0)
    clicks = np.random.default_rng(0).uniform((-2, -1), (2, 3), size=(1000, 2))
    nearest_x = np.abs(clicks[:, :1] - gx[None, :]).min(axis=1)
    nearest_y = np.abs(clicks[:, 1:] - gy[None, :]).min(axis=1)
    assert nearest_x.max() <= 0.025 + 1e-12 and nearest_y.max() <= 0.025 + 1e-12


def test_the_3d_view_and_its_loss_plot_share_one_legend():
    """The 3-D view names every run once in its legend; the loss plot beside it, in the same colours, has none."""
    import optim
    import surfaces
    from viz.style import NORMAL
    from viz.surface3d import loss_figure, surface_figure

    bowl = surfaces.get("elongated-bowl")
    runs = [optim.run(bowl, optim.make(name), [-1.6, 1.9], 30) for name in ("gd", "adam")]
    surface = surface_figure(bowl, runs, NORMAL, current=3)
    loss = loss_figure(bowl, runs, NORMAL, current=3)
    named = [tr.name for tr in surface.data if tr.showlegend is not False and tr.name in {r.title for r in runs}]
    assert sorted(named) == sorted(r.title for r in runs)
    assert loss.layout.showlegend is False
    assert [tr.line.color for tr in loss.data] == [tr.line.color for tr in surface.data if tr.name in named
                                                   and tr.showlegend is not False]
