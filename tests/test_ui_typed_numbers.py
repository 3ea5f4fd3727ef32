"""The typed-matrix and typed-vector parsers (ui.state) and the quoting of what a user typed (ui.widgets), fuzzed:
any text either parses to a rectangular matrix of finite numbers within bounds or is refused with a short
ValueError, never another exception."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ui import state
from ui.widgets import quote

TEXT = st.text(alphabet=st.sampled_from(list("0123456789.-+eE ,;\n\tabcxyz−∞[]*_`nNaIif")), max_size=60)


@settings(max_examples=250, deadline=None)
@given(TEXT)
def test_any_text_parses_to_a_rectangular_bounded_matrix_or_a_short_reason(text):
    try:
        m = state.parse_matrix(text, low=-100, high=100, max_rows=4, max_cols=5)
    except ValueError as exc:
        assert 0 < len(str(exc)) < 120 and "\n" not in str(exc)
        return
    assert 1 <= len(m) <= 4
    assert len({len(r) for r in m}) == 1 and 1 <= len(m[0]) <= 5
    assert all(math.isfinite(v) and -100 <= v <= 100 for r in m for v in r)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(st.floats(-1e4, 1e4, allow_nan=False), min_size=3, max_size=3), min_size=1, max_size=6))
def test_a_matrix_round_trips_through_its_text(rows):
    m = tuple(tuple(r) for r in rows)
    setting = state.matrix("m", ((0.0,),), low=-1e4, high=1e4)
    assert setting.parse(setting.show(m)) == m


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(-50, 50, allow_nan=False), min_size=1, max_size=12))
def test_a_vector_round_trips_and_accepts_any_separator(values):
    setting = state.vector("v", (0.0,), low=-50, high=50)
    assert setting.parse(setting.show(tuple(values))) == tuple(values)
    assert setting.parse("; ".join(repr(v) for v in values)) == tuple(values)


@pytest.mark.parametrize("text, phrase", [
    ("", "empty"), ("  ;\n ", "empty"), ("1 2; 3", "ragged: rows of 1 and 2 numbers"), ("1 a", "“a” is not a number"),
    ("1e400", "outside"), ("nan", "outside"), ("1;2;3;4;5;6;7", "7 rows, at most 6"),
    ("1 2 3 4 5 6 7", "a row of 7 numbers"),
])
def test_each_kind_of_bad_matrix_gets_its_reason(text, phrase):
    with pytest.raises(ValueError) as info:
        state.parse_matrix(text)
    assert phrase in str(info.value)


def test_a_typed_minus_sign_is_read():
    assert state.parse_matrix("−1 2; 3 −4") == ((-1.0, 2.0), (3.0, -4.0))


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=300))
def test_quote_is_one_short_line_with_markdown_escaped(text):
    q = quote(text, 40)
    assert "\n" not in q
    unescaped = q.replace("\\\\", "").replace("\\*", "").replace("\\_", "").replace("\\`", "").replace("\\[", "") \
        .replace("\\]", "").replace("\\<", "").replace("\\>", "").replace("\\$", "").replace("\\~", "").replace("\\|", "")
    assert not set("*_`[]<>$~|") & set(unescaped)
    assert len(q.replace("\\", "")) <= 40


@pytest.mark.parametrize("computed, short", [(0.1 + 0.2, 0.3), (1.25 * math.sin(math.pi / 6), 0.625),
                                             (math.cos(math.pi / 3), 0.5), (-0.7 * 3, -2.1), (0.6, 0.6)])
def test_arithmetic_noise_is_dropped_from_a_linked_value(computed, short):
    assert computed == short or abs(computed - short) <= 4.5e-16 * abs(short)  # the noise: an ulp or two
    assert state.without_noise(computed) == short and state.format_float(state.without_noise(computed)) == repr(short)


@given(st.floats(-1e6, 1e6, allow_nan=False))
@settings(max_examples=300, deadline=None)
def test_a_value_without_noise_is_itself_or_a_short_decimal_next_to_it(x):
    y = state.without_noise(x)
    assert y == x or (abs(y - x) <= 5e-16 * abs(x) + 1e-300 and len(f"{y:.12g}") <= 19 and float(f"{y:.12g}") == y)
    assert state.without_noise(y) == y and float(state.format_float(y)) == y  # stable, and the link reads it back
