"""The update rule with one iteration's numbers (``viz._legacy_rules``, moving into each optimizer's home in
``optim``: these tests move with it)."""

from __future__ import annotations

import pytest

import optim
import surfaces
from optim import NAMES, defaults_for, make, run
from viz._legacy_rules import RunRecord, numeric_rule, tex_number, tex_vector


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("convention", list(optim.CONVENTIONS))
def test_the_rule_with_numbers_shows_the_recorded_step(name, convention):
    s = surfaces.get("beale")
    traj = run(s, make(name, convention, **defaults_for(s, name)), list(s.starts[0]), 12, noise=0.5 * (name == "sgd"))
    r = RunRecord.from_trajectory(traj)
    for t in (1, 5, 12):
        tex = numeric_rule(s, r, t)
        assert tex.count("{") == tex.count("}")
        assert tex_vector(r.positions[t - 1]) in tex  # w_t
        assert tex.rstrip().endswith(tex_vector(r.positions[t]) + r"\end{aligned}")  # = w_{t+1}
        assert tex_vector(r.gradients[t - 1]) in tex  # the gradient the step used
    with pytest.raises(ValueError):
        numeric_rule(s, r, 13)


def test_numbers_in_formulas():
    assert tex_number(0.001) == "0.001"
    assert tex_number(-1.5e-8) == r"-1.5 \times 10^{-8}"
    assert tex_number(float("inf")) == r"\infty"
    assert tex_number(0.0) == "0"
