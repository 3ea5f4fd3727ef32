"""Hostile command lines, drawn by Hypothesis from the flags the CLI declares (``python -m optim trace|sweep``).

Each example starts from a valid command and gives one to three of its flags hostile values (or drops a required
one, or repeats one), then asserts: no exception escapes ``main`` (exit 0 or 2), a refusal is one line on stderr
that starts with ``error:``, quotes at most a few dozen characters of what was typed and leaves stdout empty; a
table has no NaN or infinity in it; and the command ends within a budget.

``FUZZ_EXAMPLES=500 pytest tests/test_fuzz_cli.py`` searches deeper than the suite's default.
"""

from __future__ import annotations

import argparse
import io
import math
import os
import re
import time

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optim import registry
from optim.cli import _parser
from optim.cli import main as cli_main
from test_fuzz_links import DERANDOMIZE, HOSTILE, NON_FINITE

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "5")) * 12
BUDGET = 20.0  # seconds, under CI's load
MESSAGE_CHARS = 400  # a refusal quotes what was typed cut to a few dozen characters, inside one short sentence

VALID = {
    "trace": ["--surface", "rosenbrock", "--optimizer", "adam", "--x0", "-1.5", "2", "--steps", "20"],
    "sweep": ["--surface", "elongated-bowl", "--optimizer", "momentum", "--x0", "-1.5", "1", "--steps", "20",
              "--grid", "lr=0.01:0.5:4", "--grid", "beta=0:0.9:3"],
}


def flags(command: str) -> dict[str, argparse.Action]:
    """The options the sub-command declares, by their flag."""
    sub = next(a for a in _parser()._actions if isinstance(a, argparse._SubParsersAction)).choices[command]
    return {a.option_strings[0]: a for a in sub._actions if a.option_strings and a.dest != "help"}


def number_text() -> st.SearchStrategy[str]:
    return st.one_of(st.floats().map(repr), st.integers(-10**30, 10**30).map(str),
                     st.sampled_from(["0", "-0", "1", "-1", "0.5", "1e-320", "1e308", "-1e308", "1e400", "nan",
                                      "inf", "-inf", "1e6", "1000001", str(2**63)]))


def value_text(action: argparse.Action) -> st.SearchStrategy[str]:
    kinds = [number_text(), st.sampled_from(HOSTILE), st.text(max_size=16)]
    if action.choices:
        kinds.append(st.sampled_from(list(action.choices)))
    if action.dest == "optimizer":
        kinds.append(st.sampled_from(registry.NAMES))
    if action.dest == "grid":
        axis = st.sampled_from(["lr", "beta", "rho", "beta1", "beta2", "eps", "zzz", ""])
        kinds.append(st.tuples(axis, number_text(), number_text(), st.integers(-3, 10**7).map(str),
                               st.sampled_from(["", ":log", ":lin", ":"])).map(
            lambda p: f"{p[0]}={p[1]}:{p[2]}:{p[3]}{p[4]}"))
    return st.one_of(kinds)


@st.composite
def command_lines(draw) -> list[str]:
    command = draw(st.sampled_from(sorted(VALID)))
    args = list(VALID[command])
    declared = flags(command)
    for flag in draw(st.lists(st.sampled_from(sorted(declared)), min_size=1, max_size=3, unique=True)):
        action = declared[flag]
        if flag in args and draw(st.booleans()):  # drop a given flag and its values
            i = args.index(flag)
            j = i + 1
            while j < len(args) and not args[j].startswith("--"):
                j += 1
            del args[i:j]
            continue
        count = 1 if action.nargs is None else draw(st.integers(0 if action.nargs == "*" else 1, 4))
        args += [flag] + [draw(value_text(action)) for _ in range(count)]
    return [command] + args


def non_finite_cells(csv: str) -> list[str]:
    df = pd.read_csv(io.StringIO(csv), dtype=str, keep_default_na=False)
    return [f"{c}: {v}" for c in df.columns for v in df[c] if NON_FINITE.fullmatch(v.strip())]


@settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=DERANDOMIZE,
          suppress_health_check=[HealthCheck.too_slow])
@given(argv=command_lines())
def test_hostile_command_lines(argv):
    out, err = io.StringIO(), io.StringIO()
    start = time.perf_counter()
    rc = cli_main(argv, stdout=out, stderr=err)  # an exception escaping here fails the test
    took = time.perf_counter() - start
    assert took < BUDGET, f"{took:.1f} s"
    if rc == 2:
        assert out.getvalue() == "" and err.getvalue().startswith("error: ") and err.getvalue().count("\n") == 1
        assert len(err.getvalue()) < MESSAGE_CHARS, err.getvalue()[:200]
    else:
        assert rc == 0 and err.getvalue() == ""
        assert not non_finite_cells(out.getvalue())


def test_the_flags_drawn_are_the_ones_the_cli_declares():
    """The property draws from the parser itself, so a new flag is fuzzed the day it is added."""
    trace = flags("trace")
    assert {"--surface", "--function", "--box", "--optimizer", "--x0", "--steps", "--tol", "--noise",
            "--schedule", "--clip-norm", "--lr"} <= set(trace)
    assert "--grid" in flags("sweep") and "--grid" not in trace
    assert all(re.fullmatch(r"--[a-z0-9-]+", f) for f in trace)
    assert math.isclose(trace["--tol"].default, 1e-6)
