"""The fuzzing defects of issue 16 that had no test of their own: each reproduction, as the issue gives it.

(The notice that quoted a link's value unescaped and in full is covered by tests/test_app.py's hostile links; the
spatial transformer's blur by tests/test_nets_spatial.py and tests/test_page_spatial.py.)
"""

from __future__ import annotations

import io

import numpy as np
import pytest

import optim
import surfaces
from optim.cli import main as cli_main

LR_PAGE = "pages/learning_rate.py"
TRACE = ["trace", "--surface", "rosenbrock", "--optimizer", "adam", "--x0", "-1.5", "2", "--steps", "20"]


def cli(args: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    return cli_main(args, stdout=out, stderr=err), out.getvalue(), err.getvalue()


@pytest.mark.parametrize("tol", [1e200, 1e308, float("inf")])
def test_a_huge_or_infinite_tol_is_a_value_error(tol):
    with pytest.raises(ValueError, match="tol"):
        optim.run(surfaces.get("rosenbrock"), optim.adam(lr=0.05), [-1.5, 2.0], 5, tol=tol)


@pytest.mark.parametrize("args, phrase", [
    (TRACE + ["--tol", "1e308"], "tol"),
    (TRACE + ["--tol", "inf"], "tol"),
    (["trace", "--surface", "saddle", "--optimizer", "adadelta", "--x0", "0.79", "1e308", "--steps", "11"], "start"),
    (["trace", "--surface", "notes-quadratic", "--optimizer", "gd", "--x0", "1e308", "--steps", "5"], "start"),
    (TRACE + ["--noise", "1e308"], "noise"),
])
def test_the_cli_refuses_values_beyond_the_bounds_with_one_line(args, phrase):
    rc, out, err = cli(args)
    assert rc == 2 and out == "" and "inf" not in out
    assert err.startswith("error: ") and err.count("\n") == 1 and phrase in err, err


def test_a_start_beyond_the_divergence_bound_is_refused():
    with pytest.raises(ValueError, match="start"):
        optim.run(surfaces.get("saddle"), optim.gd(lr=0.1), [0.79, 1e308], 5)


@pytest.mark.parametrize("runs", ["0.1:21,0.1:21", "0.2:10, 0.20:15, 0.2:10", "0.5:3,0.50:3,0.5:03"])
def test_repeated_or_equal_entries_on_the_compare_view_do_not_collide(open_page, runs):
    at = open_page(LR_PAGE, {"view": "compare", "runs": runs})
    assert not at.exception, [e.value for e in at.exception]
    assert at.dataframe and all(np.isfinite(df.value.select_dtypes("number").to_numpy()).all() for df in at.dataframe)


@pytest.mark.parametrize("g", ["1e-200", "-3e-170", "0.5"])
def test_the_wrong_correction_factors_hold_for_a_tiny_gradient(open_page, texts, g):
    """Found by tests/test_fuzz_links.py: g = 1e-200 made g² underflow to 0 and the page divide by it. The factors
    by which dividing by 1 − β overstates m and v at t = 100 do not depend on g: (1 − β₁¹⁰⁰)/(1 − β₁)
    and (1 − β₂¹⁰⁰)/(1 − β₂)."""
    at = open_page("pages/moving_averages.py", {"g": g})
    assert not at.exception, [e.value for e in at.exception]
    text = texts(at)
    assert f"({(1 - 0.9**100) / 0.1:.4g} g)" in text and f"({(1 - 0.999**100) / 0.001:.4g} g²)" in text
