"""Hostile links to every page, drawn by Hypothesis: what would have found the defects of issue 16 by itself.

A page declares its URL settings when it reads them (``ui.state.get``); the test learns them from a first run of
the page (in the view a drawn context selects), then opens the page with hostile text for one to three of them,
alone or together, and asserts:

- no exception, and the page still shows its figure or table;
- a value the setting's own parser refuses gives exactly one notice naming it, a value it accepts none;
- no NaN or infinity in any table, figure, metric or line of text (a diverged run is labelled, never NaN);
- the run ends within a budget (``BUDGET`` seconds, a bound that holds under CI's load on two cores: a page's
  largest settings take at most about 10 s on a quiet machine).

``FUZZ_EXAMPLES=200 pytest tests/test_fuzz_links.py`` searches deeper than the suite's default; outside CI every
run draws new examples.
"""

from __future__ import annotations

import json
import math
import os
import re
import time

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import _open_page, _plotly_array
from ui import state
from ui.pages import PAGES

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "5"))
#: CI draws the same examples on every run (a landing is not blocked by a new draw); elsewhere each run draws anew
DERANDOMIZE = bool(os.environ.get("CI"))
BUDGET = 20.0  # seconds for one run of a page, under load
SMALL = {"hyperparameter_map": {"n": "8", "steps": "20"}}  # a valid context that keeps the map's grid small

INJECTION = "1` **Your session expired.** [Log in again](http://example.com) `"
#: text a link could carry, beside the numbers, lists and options drawn from each setting itself
HOSTILE = ("", " ", "nan", "NaN", "inf", "-inf", "1e308", "-1e308", "1e400", "5e-324", "-0", "0", "-1",
           str(10**12), "abc", ",", ",,", ";", "1,,2", "1;2;3", "0x10", "１", "1_000", "\x00", "%00", "<b>x</b>",
           "$$\\frac{1}{0}$$", "`", "```", INJECTION, "x" * 10_000, "1," * 5_000, "9" * 400, "()", "__import__('os')")

NON_FINITE = re.compile(r"(?<![\w.])[-+]?(?:nan|inf|infinity)(?![\w])", re.IGNORECASE)


# -- what a page declares ------------------------------------------------------------------------------------------

_declared: dict[tuple, dict[str, state.Setting]] = {}


def declared(page: str, context: dict[str, str]) -> dict[str, state.Setting]:
    """The settings ``page`` reads when opened with the valid ``context`` (cached: contexts repeat)."""
    key = (page, tuple(sorted(context.items())))
    if key not in _declared:
        at = _open_page(page, context)
        assert not at.exception, [e.value for e in at.exception]
        _declared[key] = dict(at.session_state[state._REGISTRY])
    return _declared[key]


# -- drawing values ----------------------------------------------------------------------------------------------------

def number_text(bounds: tuple) -> st.SearchStrategy[str]:
    """A number as a link writes it: at or near the bounds, inside them, or any float at all."""
    low, high = bounds
    edges = [low, high, (low + high) / 2, high * (1 + 1e-9) + 1e-12, low - abs(low) * 1e-9 - 1e-12]
    inside = st.floats(min_value=low, max_value=high, allow_nan=False) if low < high else st.just(low)
    return st.one_of(st.sampled_from(edges), inside, st.floats(), st.integers(-10**18, 10**18)).map(
        lambda x: state.format_float(x) if isinstance(x, float) and math.isfinite(x) else str(x))


def value_text(s: state.Setting) -> st.SearchStrategy[str]:
    """Text for the link parameter of ``s``: hostile or valid, from what ``s`` says about itself."""
    kinds = [st.sampled_from(HOSTILE), st.just(s.show(s.default)), st.text(max_size=24)]
    if s.options:
        kinds.append(st.lists(st.sampled_from(s.options), min_size=1, max_size=len(s.options)).map(",".join))
        kinds.append(st.sampled_from(s.options))
    if s.bounds:
        kinds.append(number_text(s.bounds))
        kinds.append(st.lists(number_text(s.bounds), min_size=1, max_size=14).map(",".join))
    return st.one_of(kinds)


# -- reading what the page shows --------------------------------------------------------------------------------------

def non_finite_in_figure(spec: str) -> list[str]:
    """Where a figure holds an infinity or prints NaN or infinity (in a name, a text, a hover text, a title, an
    annotation, a tick label). A NaN in the data is allowed: it is plotly's gap, which ends or breaks a line and
    leaves a heatmap cell empty (for the layer drawn over it); the pages label what stopped."""
    found = []

    def walk(x, path):
        if isinstance(x, dict):
            if "bdata" in x and "dtype" in x:
                a = _plotly_array(x)
                if a.dtype.kind == "f" and np.isinf(a).any():
                    found.append(path)
                return
            for k, v in x.items():
                walk(v, f"{path}.{k}")
        elif isinstance(x, list):
            for i, v in enumerate(x):
                walk(v, f"{path}[{i}]")
        elif isinstance(x, float) and math.isinf(x):
            found.append(path)
        elif isinstance(x, str) and NON_FINITE.search(x):
            found.append(f"{path}: {x[:60]}")

    walk(json.loads(spec), "figure")
    return found


def non_finite_in_table(df: pd.DataFrame) -> list[str]:
    found = []
    for col in df.columns:
        values = df[col]
        if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            bad = ~np.isfinite(values.to_numpy(dtype=float, na_value=0.0))
            if bad.any():
                found.append(f"{col}: {values[bad].iloc[0]}")
        else:
            texts = values.dropna().astype(str)
            hits = texts[texts.str.contains(NON_FINITE)]
            if len(hits):
                found.append(f"{col}: {hits.iloc[0][:60]}")
    return found


def shown_texts(at) -> list[str]:
    out = [e.value for kind in ("markdown", "caption", "latex", "success", "info", "error") for e in at.get(kind)]
    out += [f"{m.label} {m.value}" for m in at.metric]
    return out


def notices_for(at, name: str) -> list[str]:
    pattern = re.compile(r"^`+ ?" + re.escape(name) + "=")
    return [w.value for w in at.warning if pattern.match(w.value)]


# -- the property ----------------------------------------------------------------------------------------------------

def check_link(page, data) -> None:
    base = SMALL.get(page.url_path, {})
    first = declared(page.path, base)
    choices = sorted(n for n, s in first.items() if s.options and isinstance(s.default, str))
    context = dict(base)
    for name in data.draw(st.lists(st.sampled_from(choices), max_size=2, unique=True) if choices else st.just([]),
                          label="context settings"):
        context[name] = data.draw(st.sampled_from(first[name].options), label=name)
    settings_now = declared(page.path, context)
    keys = data.draw(st.lists(st.sampled_from(sorted(settings_now)), min_size=1, max_size=3, unique=True),
                     label="hostile keys")
    hostile = {k: data.draw(value_text(settings_now[k]), label=k) for k in keys}

    start = time.perf_counter()
    at = _open_page(page.path, context | hostile, timeout=BUDGET * 3)
    took = time.perf_counter() - start
    assert not at.exception, [e.value[:300] for e in at.exception]
    assert at.get("plotly_chart") or at.dataframe or at.table, "the page shows neither a figure nor a table"
    assert took < BUDGET, f"{took:.1f} s for {context | hostile}"

    read = at.session_state[state._REGISTRY]
    for k, text in hostile.items():
        if k not in read:  # not read in the view the link ends up in (a hostile view falls back to the default)
            continue
        try:
            read[k].parse(text)
            refused = False
        except ValueError:
            refused = True
        said = notices_for(at, k)
        assert len(said) == (1 if refused else 0), (k, text[:60], said)

    problems = [f"figure {i}: {p}" for i, chart in enumerate(at.get("plotly_chart"))
                for p in non_finite_in_figure(chart.proto.spec)]
    problems += [f"table {i}: {p}" for i, df in enumerate(at.dataframe) for p in non_finite_in_table(df.value)]
    problems += [t[:120] for t in shown_texts(at) if NON_FINITE.search(t)]
    assert not problems, problems[:5]


@pytest.mark.parametrize("page", PAGES, ids=[p.url_path for p in PAGES])
def test_hostile_links_to_every_page(page):
    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=DERANDOMIZE,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(data=st.data())
    def property_(data):
        check_link(page, data)

    property_()
