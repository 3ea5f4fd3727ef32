"""Typed-in functions (surfaces.typed): parsing, derivatives against central differences and against the catalog's
analytic versions, stationary points, runs that leave the domain, the command line, and a fuzz of the parser."""

from __future__ import annotations

import io
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import optim
import surfaces
from optim import Status, run
from optim.cli import main
from surfaces.typed import MAX_BOX, check_box, parse, typed_surface

QUARTIC_TEXT = "6*w^4 - 2*w^3 - 12*w^2 + w + 1"
ROSENBROCK_TEXT = "(1-x)^2 + 100*(y-x^2)^2"


# -- parsing ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("a, b, variables", [
    ("x^2 + 10*y^2", "x**2 + 10*y**2", ("x", "y")),
    ("2w^2 - 3w", "2*w*w - 3*w", ("w",)),
    ("2x^2", "2*w^2", ("w",)),  # x is accepted for w in 1-D
    ("-x^2", "-(x^2)", ("x", "y")),
    ("2^3^2", "512", ("x", "y")),  # right-associative
    ("sin(x)cos(y)", "sin(x)*cos(y)", ("x", "y")),
    ("3(x+1)", "3*x + 3", ("x", "y")),
    ("e^x", "exp(x)", ("x", "y")),
    ("1e-3*x", "x/1000", ("x", "y")),
    ("max(x, y) + min(x, 0)", "max(y, x) + min(0, x)", ("x", "y")),
])
def test_ordinary_notation(a, b, variables):
    assert (parse(a, variables) - parse(b, variables)).simplify() == 0


@pytest.mark.parametrize("text, where", [
    ("x $ 2", "position 3"), ("x +", "ends too early"), ("(x", "position 1"), ("x)", "position 2"),
    ("xy", "position 1"), ("foo(x)", "position 1"), ("x.real", "position 2"), ("2 3", "position 3"),
    ("9^9^9^9", "exponent"), ("x^(10^10)", "exponent"), ("10^100^2", "exponent"), ("9999^99", "too large"),
    ("1/0", "division by zero"), ("log(0)", "log(0)"), ("sin(x, y)", "argument"), ("", "empty"),
    ("x" + "+x" * 200, "characters"), ("(" * 40 + "x" + ")" * 40, "nested"), ("x^y^x^y", None),
    ("w + x", "not both"), ("1" * 30, "digits"), ("ｘ^2", "position 1"), ("x²", "position 2"),
])
def test_bad_input_is_one_line_with_a_position(text, where):
    if where is None:  # accepted (symbolic exponents are allowed)
        parse(text)
        return
    variables = ("w",) if text == "w + x" else ("x", "y")
    with pytest.raises(ValueError) as info:
        typed_surface(text, variables)
    message = str(info.value)
    assert "\n" not in message and where in message


# -- derivatives ------------------------------------------------------------------------------------------------

FUNCTIONS_2D = [ROSENBROCK_TEXT, "x^2 + 10*y^2", "sin(x)*cos(y) + 0.1*(x^2+y^2)", "exp(-(x^2+y^2)/4) * tanh(x - y)",
                "sqrt(x^2 + y^2 + 1) + arctan(x*y)", "cosh(x/3) + sinh(y/3) * log(2 + x^2)"]


@pytest.mark.parametrize("text", FUNCTIONS_2D)
def test_gradient_and_hessian_against_central_differences(text):
    s = typed_surface(text)
    P = np.random.default_rng(0).uniform(-1.5, 1.5, size=(20, 2))
    h = 1e-6
    E = np.eye(2) * h
    num_grad = np.stack([(s.value(P + E[k]) - s.value(P - E[k])) / (2 * h) for k in range(2)], axis=-1)
    num_hess = np.stack([(s.grad(P + E[k]) - s.grad(P - E[k])) / (2 * h) for k in range(2)], axis=-2)
    scale = 1 + np.abs(s.grad(P)).max()
    np.testing.assert_allclose(s.grad(P), num_grad, atol=1e-5 * scale)
    np.testing.assert_allclose(s.hess(P), num_hess, atol=1e-4 * (1 + np.abs(s.hess(P)).max()))
    assert s.value(P).shape == (20,) and s.grad(P).shape == (20, 2) and s.hess(P).shape == (20, 2, 2)
    assert s.hess(P.reshape(4, 5, 2)).shape == (4, 5, 2, 2)  # broadcasts over any batch


def test_typed_rosenbrock_gives_the_catalogs_numbers():
    typed, catalog = typed_surface(ROSENBROCK_TEXT), surfaces.get("rosenbrock")
    P = np.random.default_rng(1).uniform(-2, 2, size=(100, 2))
    np.testing.assert_allclose(typed.value(P), catalog.value(P), rtol=1e-13, atol=1e-12)
    np.testing.assert_allclose(typed.grad(P), catalog.grad(P), rtol=1e-13, atol=1e-11)
    np.testing.assert_allclose(typed.hess(P), catalog.hess(P), rtol=1e-13, atol=1e-11)
    assert [(m.point, m.kind) for m in typed.stationary] == [((1.0, 1.0), "minimum")]


def test_typed_quartic_gives_the_notes_critical_points_and_gd_table():
    typed, catalog = typed_surface(QUARTIC_TEXT, ("w",)), surfaces.get("quartic")
    points = [(round(p.point[0], 4), p.kind) for p in typed.stationary]
    assert points == [(-0.9054, "minimum"), (0.0413, "maximum"), (1.1141, "minimum")]
    np.testing.assert_allclose([p.point[0] for p in typed.stationary], [p.point[0] for p in catalog.stationary],
                               atol=1e-12)
    for w0 in (0.3, -2.0, 2.0):
        a = optim.iteration_table(run(typed, optim.gd(lr=0.01), [w0], 60))
        b = optim.iteration_table(run(catalog, optim.gd(lr=0.01), [w0], 60))
        assert a.columns == b.columns
        np.testing.assert_allclose(a.data, b.data, rtol=1e-12, atol=1e-12)


def test_stationary_points_are_classified_and_inside_the_box():
    s = typed_surface("x^2 - y^2")
    assert [(p.point, p.kind) for p in s.stationary] == [((0.0, 0.0), "saddle")]
    s = typed_surface("sin(x)*cos(y) + 0.1*(x^2+y^2)")
    kinds = {p.kind for p in s.stationary}
    assert kinds == {"minimum", "maximum", "saddle"}
    for p in s.stationary:
        assert np.linalg.norm(s.grad(p.point)) < 1e-8
        assert all(lo <= c <= hi for c, (lo, hi) in zip(p.point, s.bounds))
    assert typed_surface("x^2 + y^2", bounds=((-1, 2), (-3, 4))).bounds == ((-1.0, 2.0), (-3.0, 4.0))


def test_a_typed_surface_is_cached_and_found_by_name():
    s = typed_surface("x^2 + 10*y^2")
    assert typed_surface(" x^2 + 10*y^2 ") is s
    assert surfaces.get(s.name) is s


def test_a_given_view_box_bounds_the_search_and_travels_in_the_name():
    text = "sin(x)*cos(y) + 0.1*(x^2+y^2)"
    wide, box = typed_surface(text), ((-1.0, 2.0), (-3.0, 4.0))
    s = typed_surface(text, bounds=(-1, 2, -3, 4))  # the flat form of the same box
    assert s.bounds == box and s is typed_surface(text, bounds=box)
    assert s.name == "f(x,y)[-1.0:2.0,-3.0:4.0]=" + text and surfaces.get(s.name) is s
    inside = [p for p in wide.stationary if all(lo <= c <= hi for c, (lo, hi) in zip(p.point, box))]
    assert len(s.stationary) == len(inside) >= 2
    np.testing.assert_allclose([p.point for p in s.stationary], [p.point for p in inside], atol=1e-9)
    assert all(lo <= c <= hi for c, (lo, hi) in zip(s.starts[0], box))
    one = typed_surface("w^2 - w", ("w",), bounds=(-0.5, 3))
    assert one.bounds == ((-0.5, 3.0),) and surfaces.get(one.name) is one
    assert [p.point for p in one.stationary] == [pytest.approx((0.5,))]  # f' = 2w - 1


@pytest.mark.parametrize("values, d, message", [
    ((2, -2, 0, 1), 2, "x range must go from low to high"),
    ((0, 1, 1, 1), 2, "y range must go from low to high"),
    ((0, 1, 2), 2, "needs 4 numbers"),
    ((0, float("inf")), 1, "w range must be finite"),
    ((float("nan"), 1, 0, 1), 2, "must be finite"),
    ((0, 2 * MAX_BOX, 0, 1), 2, "within ±10000"),
    (("a", "b"), 1, "needs numbers"),
])
def test_a_bad_view_box_is_refused_in_one_line(values, d, message):
    with pytest.raises(ValueError, match=message) as info:
        check_box(values, d)
    assert "\n" not in str(info.value)
    text = "x^2 + y^2" if d == 2 else "w^2"
    with pytest.raises(ValueError, match=message):
        typed_surface(text, ("x", "y") if d == 2 else ("w",), bounds=values)


# -- the domain -------------------------------------------------------------------------------------------------

def test_a_run_that_steps_outside_the_domain_stops_there():
    s = typed_surface("log(w) + w^2", ("w",))
    assert np.isnan(s.value([-1.0]))
    traj = run(s, optim.gd(lr=1.0), [[2.0], [0.8], [-1.0]], 10)
    assert traj.status.tolist() == [Status.LEFT_DOMAIN] * 3
    assert [traj.outcome(i) for i in range(3)] == ["left the domain at step 1", "left the domain at step 1",
                                                   "left the domain at step 0"]
    table = optim.iteration_table(traj, 1)
    assert table.data.shape[0] == 1 and np.isfinite(table.data).all()
    assert not np.isnan(traj.losses).any() and not np.isnan(traj.final_loss).any()
    final = run(s, optim.adam(lr=0.5), [[2.0], [0.8], [-1.0]], 10, record="final")
    assert (final.status == Status.LEFT_DOMAIN).all() and not np.isnan(final.final_loss).any()


def test_catalog_runs_never_leave_the_domain():
    traj = run(surfaces.get("rosenbrock"), optim.adam(lr=0.05), [[-1.5, 2.0]], 100)
    assert traj.status != Status.LEFT_DOMAIN


# -- the command line -------------------------------------------------------------------------------------------

def _cli(argv):
    out, err = io.StringIO(), io.StringIO()
    return main(argv, out, err), out.getvalue(), err.getvalue()


def test_cli_trace_takes_a_function():
    code, out, err = _cli(["trace", "--function", "x^2 + 10", "--optimizer", "gd", "--x0", "-4", "--steps", "5",
                           "--lr", "0.1"])
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0] == "iteration,w,f(w),f'(w),w_next" and lines[1] == "1,-4.0,26.0,-8.0,-3.2" and len(lines) == 6


def test_cli_sweep_takes_a_function_and_matches_the_catalog():
    args = ["--optimizer", "adam", "--x0", "-1.5", "2", "--steps", "40", "--grid", "lr=0.001:0.1:4:log"]
    code, typed, _ = _cli(["sweep", "--function", ROSENBROCK_TEXT, *args])
    code2, catalog, _ = _cli(["sweep", "--surface", "rosenbrock", *args])
    assert code == code2 == 0
    t = np.array([line.split(",")[:2] for line in typed.splitlines()[1:]], dtype=float)
    c = np.array([line.split(",")[:2] for line in catalog.splitlines()[1:]], dtype=float)
    np.testing.assert_allclose(t, c, rtol=1e-10)


def test_cli_box_sets_the_typed_functions_view_box():
    args = ["--optimizer", "gd", "--x0", "-1.5", "2", "--steps", "3", "--lr", "0.1"]
    code, boxed, err = _cli(["trace", "--function", "x^2 + y^2", "--box", "-2", "2", "-1", "3", *args])
    assert code == 0 and err == ""
    code, plain, _ = _cli(["trace", "--function", "x^2 + y^2", *args])
    assert boxed == plain and boxed.splitlines()[1] == "1,-1.5,2.0,6.25,-3.0,4.0,-1.2,1.6"
    code, out, _ = _cli(["sweep", "--function", "x^2 + y^2", "--box", "-2", "2", "-1", "3", "--grid",
                         "lr=0.01:0.1:3", *args[:-2]])
    assert code == 0 and len(out.splitlines()) == 4


@pytest.mark.parametrize("argv", [
    ["trace", "--function", "x^2", "--box", "2", "1", "--optimizer", "gd", "--x0", "1", "--steps", "3"],
    ["trace", "--function", "x^2", "--box", "0", "1", "2", "--optimizer", "gd", "--x0", "1", "--steps", "3"],
    ["trace", "--function", "x^2+y^2", "--box", "0", "1", "0", "nan", "--optimizer", "gd", "--x0", "1", "1",
     "--steps", "3"],
    ["sweep", "--function", "x^2+y^2", "--box", "0", "1e9", "0", "1", "--optimizer", "gd", "--x0", "1", "1",
     "--steps", "3", "--grid", "lr=0.01:0.1:3"],
    ["trace", "--surface", "bowl", "--box", "0", "1", "0", "1", "--optimizer", "gd", "--x0", "1", "1", "--steps", "3"],
    ["trace", "--function", "x^^2", "--optimizer", "gd", "--x0", "1", "--steps", "3"],
    ["trace", "--function", "__import__('os')", "--optimizer", "gd", "--x0", "1", "--steps", "3"],
    ["trace", "--function", "x^2", "--surface", "bowl", "--optimizer", "gd", "--x0", "1", "--steps", "3"],
    ["trace", "--function", "x^2", "--optimizer", "gd", "--x0", "1", "2", "3", "--steps", "3"],
])
def test_cli_bad_function_exits_2_with_one_line(argv):
    code, out, err = _cli(argv)
    assert code == 2 and out == "" and err.count("\n") == 1 and err.startswith("error: ")


# -- safety: a fuzz of the parser and known escapes ----------------------------------------------------------------

SENTINEL = Path("/tmp/optimizer_lab_typed_escape_sentinel")

ESCAPES = [
    f"__import__('os').system('touch {SENTINEL}')",
    f"__import__(\"os\").system(\"touch {SENTINEL}\")",
    "().__class__.__bases__[0].__subclasses__()",
    "eval('1')", "exec('x=1')", "lambda: 1", "getattr(x, 'real')", "__builtins__", "__class__", "x.__class__",
    "open('/etc/passwd')", "import os", "x if y else 1", "[x for x in ()]", "x; y", "x = 1", "globals()",
    "Symbol('x')", "sympify('x')", "N(x)", "E**x", "I*x", "oo", "zoo", "nan", "x**x**x**x**x**x**x**x",
    "9^9^9^9", "9**9**9**9", "x^(10^10)", "x^1e300", "(10^10)^(10^10)", "2^100^100", "x^99^99", "1e999999",
    "9" * 10_000, "x+" * 50_000 + "x", "(" * 1000 + "x" + ")" * 1000, "(" * 29 + "x", "x" + ")" * 29,
    "ｓｉｎ(x)", "ѕin(x)", "х^2", "x\u200b+y", "x\u00a0+y", "x\x00", "𝑥^2", "½x", "x″", "x−y", "x·y", "x×y",
    "\\x", "`x`", "'x'", "\"x\"", "{x}", "[x]", "x@y", "x%y", "x//y", "x<y", "x==y", "~x", "x&y", "x|y",
    "sin", "sin x", "sin()", "max(x)", "max(x,y,x)", "log(0)", "1/0", "0^-1", "x/(x-x)", "sqrt(-1)", "log(-1)",
]


def _check(text: str, build=typed_surface) -> None:
    start = time.perf_counter()
    try:
        s = build(text)
    except ValueError as exc:
        message = str(exc)
        assert message and "\n" not in message and len(message) < 400, repr(message)
    else:
        if build is typed_surface:
            assert s.dim == 2 and s.value([[0.5, 0.25]]).shape == (1,)
    assert time.perf_counter() - start < 2.0, text[:60]
    assert not SENTINEL.exists()


@pytest.mark.parametrize("text", ESCAPES, ids=range(len(ESCAPES)))
def test_known_escapes_are_refused_cleanly(text):
    SENTINEL.unlink(missing_ok=True)
    _check(text)


TOKENS = ["x", "y", "w", "1", "2", "0.5", "1e3", "10", "99", "pi", "e", "+", "-", "*", "/", "^", "**", "(", ")",
          "(", ")", ",", " ", "sin(", "cos(", "exp(", "log(", "sqrt(", "abs(", "tanh(", "arctan(", "min(", "max(",
          "__", "import", "os", ".", "'", "[", "]", "lambda", "eval", "é", "ｘ", "\u200b", "9^9", "^9"]


FUZZ = st.one_of(st.lists(st.sampled_from(TOKENS), max_size=16).map("".join), st.text(max_size=12))


@settings(max_examples=10_000, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(FUZZ)
def test_fuzz_the_parser(text):
    """10,000 generated strings (mostly token soups, some arbitrary unicode) through the parser, the part that
    reads untrusted text: each is refused with a one-line ValueError or parsed, within 2 s, with no side effect."""
    _check(text, parse)


@settings(max_examples=300, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(FUZZ)
def test_fuzz_whole_surfaces(text):
    """Fewer strings through the whole path (parse, derivatives, lambdify, stationary points): a clean refusal or
    a valid surface, within 2 s each."""
    _check(text)
