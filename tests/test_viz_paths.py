"""The part of a run that the playground draws: all of it, or a diverged run up to the edge of the view."""

from __future__ import annotations

import numpy as np
import pytest

import surfaces
from viz.paths import clip_to_view


def test_clip_to_view_of_a_run_that_stays_is_the_whole_run():
    P = np.array([[0.0, 0.0], [5.0, 5.0], [0.5, 0.5]])  # leaves the box and comes back: not diverged
    pts, last, exit_point = clip_to_view(P, 2, False, ((-1, 1), (-1, 1)))
    assert exit_point is None and last == 2 and len(pts) == 3


@pytest.mark.parametrize("escape", [[1e7, 0.5], [np.inf, -np.inf], [-3.0, 1e300], [0.2, -np.inf]])
def test_clip_to_view_ends_a_diverged_run_on_the_edge(escape):
    box = ((-1.0, 1.0), (-2.0, 2.0))
    P = np.array([[0.0, 0.0], [0.5, 0.1], [3.0, 0.2], [0.4, 0.3], escape, escape])
    pts, last, exit_point = clip_to_view(P, 4, True, box)
    assert last == 3 and len(pts) == 5
    assert np.all(np.isfinite(pts))
    on_edge = np.isclose(np.abs(exit_point[0]), 1.0) or np.isclose(np.abs(exit_point[1]), 2.0)
    assert on_edge and -1 - 1e-12 <= exit_point[0] <= 1 + 1e-12 and -2 - 1e-12 <= exit_point[1] <= 2 + 1e-12


def test_the_clicked_runs_plot_keeps_its_size_whatever_its_legend():
    """A diverged run's legend has a longer entry; the margins are fixed (no auto-expansion), so the plot area of
    the map's clicked run is the same for a run that converges and one that diverges, in both themes."""
    from viz.cell_path import path_figure
    from viz.style import NORMAL, PRESENT

    bowl = surfaces.get("elongated-bowl")
    calm = np.array([[-1.6, 1.9], [-1.0, 1.0], [0.0, 0.0]])
    wild = np.array([[-1.6, 1.9], [5.0, -6.0], [1e9, -1e9]])
    for th in (NORMAL, PRESENT):
        figs = [path_figure(bowl, p, th, title="t", color="#000000", diverged=d) for p, d in ((calm, False),
                                                                                               (wild, True))]
        names = [[tr.name for tr in f.data] for f in figs]
        assert "last point in view (diverged)" in names[1] and "last point in view (diverged)" not in names[0]
        margins = [f.layout.margin.to_plotly_json() for f in figs]
        assert margins[0] == margins[1] and margins[0]["autoexpand"] is False
        assert figs[0].layout.height == figs[1].layout.height
        assert figs[0].layout.legend.yref == "container" and figs[0].layout.legend.orientation == "h"
