"""The typed-function entry (ui.function_entry) on its three pages: the hyperparameter map sweeps a typed function
exactly as the catalog's surface of the same formula, the LaTeX shown is SymPy's own for derivatives computed here
independently, the view box (setting, text box, link) and a fuzz of its parser."""

from __future__ import annotations

import io
import math

import numpy as np
import pandas as pd
import pytest
import streamlit as st
import sympy
from hypothesis import given, settings
from hypothesis import strategies as hs

import surfaces
from optim.sweep import Axis, SweepSpec, sweep, to_csv
from surfaces.typed import MAX_BOX, typed_surface
from ui.function_entry import box_setting, stationary_text

MAP, PLAY, LR = "pages/hyperparameter_map.py", "pages/playground.py", "pages/learning_rate.py"
ROSENBROCK_TEXT = "(1-x)^2 + 100*(y-x^2)^2"
#: a momentum grid on Rosenbrock from (-1.5, 2) with still-running and diverged cells
GRID = {"opt": "momentum", "x": "lr", "y": "beta", "xlo": "0.0001", "xhi": "0.004", "ylo": "0", "yhi": "0.95",
        "n": "12", "steps": "150", "x0": "-1.5", "y0": "2"}


@pytest.fixture(autouse=True)
def fresh_cache():
    st.cache_data.clear()
    yield


def no_trouble(at) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.warning, [w.value for w in at.warning]


def grid_of(at, download_bytes) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(download_bytes(at, 0)))


def shown_latex(at) -> str:
    return "\n".join(el.value for el in at.latex)


# -- the map sweeps a typed function --------------------------------------------------------------------------------

def test_the_map_sweeps_a_typed_rosenbrock_cell_by_cell_as_the_catalogs(open_page, download_bytes):
    catalog = open_page(MAP, GRID | {"surface": "rosenbrock"})
    no_trouble(catalog)
    a = grid_of(catalog, download_bytes)  # read now: the download store is the last run's
    # the catalog's page against the core itself (an independent reference for the page's own numbers)
    spec = SweepSpec("rosenbrock", "momentum", (-1.5, 2.0), 150,
                     (Axis("lr", 1e-4, 0.004, 12, log=True), Axis("beta", 0.0, 0.95, 12)))
    assert download_bytes(catalog, 0).decode() == to_csv(sweep(spec))
    typed = open_page(MAP, GRID | {"surface": "own", "f": ROSENBROCK_TEXT, "box": "-2,2,-1,3"})
    no_trouble(typed)
    b = grid_of(typed, download_bytes)
    assert len(a) == 144
    statuses = set(a["status"])
    assert {"running", "diverged"} <= statuses, statuses  # the grid has more than one outcome
    pd.testing.assert_frame_equal(b[["lr", "beta", "status", "step"]], a[["lr", "beta", "status", "step"]])
    np.testing.assert_allclose(b["final_loss"], a["final_loss"], rtol=1e-9, atol=1e-12)
    assert typed.query_params["f"] == ROSENBROCK_TEXT and typed.query_params["box"] == "-2,2,-1,3"
    assert "minimum at (1.00000, 1.00000)" in "\n".join(c.value for c in typed.caption)
    assert typed.get("download_button")[0].proto.label == "Download the grid (CSV)"


def test_a_typed_quadratic_bowl_gets_the_theory_on_the_map(open_page, texts):
    at = open_page(MAP, {"surface": "own", "f": "x^2 + 10*y^2", "n": "8", "steps": "40"})
    no_trouble(at)
    assert "No theory map here" not in texts(at)
    assert "λ = 2, λ = 20" in texts(at)  # the Hessian diag(2, 20) of the typed bowl


# -- the LaTeX shown is SymPy's own --------------------------------------------------------------------------------

X, Y, W = (sympy.Symbol(v, real=True) for v in "xyw")


@pytest.mark.parametrize("page, text, f", [
    (PLAY, "x^3*y + sin(x*y)", X**3 * Y + sympy.sin(X * Y)),
    (MAP, "exp(x)*cos(y) + x^2", sympy.exp(X) * sympy.cos(Y) + X**2),
])
def test_the_latex_shown_is_sympys_latex_of_the_derivatives(page, text, f, open_page):
    at = open_page(page, {"surface": "own", "f": text, "n": "8", "steps": "20", "opt": "gd"})
    assert not at.exception, [e.value for e in at.exception]
    shown = shown_latex(at)
    grad = [sympy.diff(f, v) for v in (X, Y)]
    hess = [[sympy.diff(g, v) for v in (X, Y)] for g in grad]
    assert f"f(x, y) = {sympy.latex(f)}" in shown
    assert (rf"\nabla f = \begin{{pmatrix}} {sympy.latex(grad[0])} \\ {sympy.latex(grad[1])} \end{{pmatrix}}"
            in shown)
    rows = r" \\ ".join(" & ".join(sympy.latex(h) for h in row) for row in hess)
    assert rf"\nabla^2 f = \begin{{pmatrix}} {rows} \end{{pmatrix}}" in shown
    assert sympy.simplify(hess[0][1] - hess[1][0]) == 0


def test_the_learning_rate_page_shows_sympys_first_and_second_derivative(open_page):
    at = open_page(LR, {"surface": "own", "f": "w^3 - 2*w + exp(-w)"})
    assert not at.exception, [e.value for e in at.exception]
    f = W**3 - 2 * W + sympy.exp(-W)
    shown = shown_latex(at)
    assert f"f'(w) = {sympy.latex(sympy.diff(f, W))}" in shown
    assert f"f''(w) = {sympy.latex(sympy.diff(f, W, 2))}" in shown


def test_the_stationary_points_are_named_with_their_kinds():
    text = stationary_text(typed_surface("x^2 - y^2"))
    assert text == "Stationary points in view: saddle at (0.00000, 0.00000), f = 0.00000."
    assert stationary_text(typed_surface("x + y")) == "No stationary point in view (where the gradient is zero)."
    many = stationary_text(typed_surface("sin(x)*sin(y)"))
    assert many.count(" at (") == 6 and " more." in many


# -- the view box --------------------------------------------------------------------------------------------------

def test_a_typed_view_box_sets_the_playgrounds_bounds_and_a_bad_one_keeps_it(open_page, widget_key, plotly_specs):
    at = open_page(PLAY, {"surface": "own", "f": "x^2 + y^2", "opt": "gd", "steps": "10"})
    no_trouble(at)
    box = widget_key("play", "box", "text")
    at.text_input(key=box).input("-1, 3, -2, 0.5").run()
    no_trouble(at)
    assert at.query_params["box"] == "-1,3,-2,0.5"
    assert typed_surface("x^2 + y^2", bounds=(-1, 3, -2, 0.5)).bounds == ((-1.0, 3.0), (-2.0, 0.5))
    contour = plotly_specs(at)[0]["layout"]
    assert contour["xaxis"]["range"] == pytest.approx([-1, 3]) and contour["yaxis"]["range"] == pytest.approx([-2, 0.5])
    at.text_input(key=box).input("3, -1, 0, 1").run()
    assert not at.exception
    warnings = [w.value for w in at.warning]
    assert len(warnings) == 1 and "\n" not in warnings[0] and "must go from low to high" in warnings[0], warnings
    assert at.query_params["box"] == "-1,3,-2,0.5"  # the last good box is kept
    at.text_input(key=box).input("").run()  # empty: computed from the stationary points again
    no_trouble(at)
    assert "box" not in at.query_params


BOX_2D, BOX_1D = box_setting("t", ("x", "y")), box_setting("t", ("w",))


def expected_box(values: list[float], d: int):
    """What the box parser must give for these numbers, from the rules written out independently."""
    if len(values) != 2 * d or not all(math.isfinite(v) and abs(v) <= MAX_BOX for v in values):
        return None
    if not all(values[2 * k + 1] - values[2 * k] >= 1e-3 for k in range(d)):
        return None
    return tuple(values)


@settings(max_examples=400, deadline=None)
@given(hs.lists(hs.floats(allow_nan=True, allow_infinity=True, width=64) | hs.integers(-20000, 20000), max_size=6),
       hs.sampled_from([",", ", ", " ,"]))
def test_fuzz_the_box_parser_with_numbers(values, separator):
    text = separator.join(repr(float(v)) for v in values)
    for setting, d in ((BOX_2D, 2), (BOX_1D, 1)):
        want = expected_box([float(v) for v in values], d) if values else ()
        try:
            got = setting.parse(text)
        except ValueError as exc:
            assert want is None, (text, str(exc))
            assert "\n" not in str(exc) and len(str(exc)) < 200
            continue
        assert got == want, text
        assert setting.parse(setting.show(got)) == got  # the link's text reads back


@settings(max_examples=400, deadline=None)
@given(hs.text(max_size=80))
def test_fuzz_the_box_parser_with_any_text(text):
    for setting, d in ((BOX_2D, 2), (BOX_1D, 1)):
        try:
            got = setting.parse(text)
        except ValueError as exc:
            assert "\n" not in str(exc)
            continue
        assert got == () or (len(got) == 2 * d and expected_box(list(got), d) == got)
