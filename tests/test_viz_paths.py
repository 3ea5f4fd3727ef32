"""The part of a run that the playground draws: all of it, or a diverged run up to the edge of the view."""

from __future__ import annotations

import numpy as np
import pytest

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
