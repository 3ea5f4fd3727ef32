"""Each optimizer's two formula renderers, from its home in ``optim.methods``: the update rule in LaTeX, and the
same rule with the numbers of one recorded iteration filled in."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import optim
import surfaces
from optim import NAMES, defaults_for, make, run
from optim.tex import tex_number, tex_vector


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("convention", list(optim.CONVENTIONS))
def test_the_rule_with_numbers_shows_the_recorded_step(name, convention):
    s = surfaces.get("beale")
    traj = run(s, make(name, convention, **defaults_for(s, name)), list(s.starts[0]), 12, noise=0.5 * (name == "sgd"))
    for t in (1, 5, 12):
        tex = traj.spec.numeric(s, traj, t)
        assert tex.count("{") == tex.count("}")
        assert tex_vector(traj.positions[t - 1]) in tex  # w_t
        assert tex.rstrip().endswith(tex_vector(traj.positions[t]) + r"\end{aligned}")  # = w_{t+1}
        assert tex_vector(traj.gradients[t - 1]) in tex  # the gradient the step used
    with pytest.raises(ValueError):
        traj.spec.numeric(s, traj, 13)


def test_numbers_in_formulas():
    assert tex_number(0.001) == "0.001"
    assert tex_number(-1.5e-8) == r"-1.5 \times 10^{-8}"
    assert tex_number(float("inf")) == r"\infty"
    assert tex_number(0.0) == "0"


@pytest.mark.parametrize("name", NAMES)
def test_every_variant_renders_in_both_forms(name):
    """Every combination of an optimizer's variants has a rule and a rule with numbers, on a 1-D and a 2-D surface,
    and the rule with numbers names each recorded state field's value after the step."""
    spec = optim.spec(name)
    for combo in itertools.product(*(tuple(v.labels) for v in spec.variants)):
        options = dict(zip((v.option for v in spec.variants), combo))
        assert spec.latex(options).startswith(r"\begin{aligned}")
        for surface_name in ("notes-quadratic", "rosenbrock"):
            s = surfaces.get(surface_name)
            traj = run(s, spec.make(**defaults_for(s, name), **options), list(s.starts[0]), 3, noise=0.0)
            tex = spec.numeric(s, traj, 2)
            for field in spec.recorded:
                if field.name in traj.state and field.kind == "state":
                    assert tex_vector(traj.state[field.name][2]) in tex, (name, options, field.name)


def test_settings_text_names_the_symbols_of_the_shown_hyperparameters():
    adam = optim.spec("adam")
    assert adam.settings_text({"lr": 0.05, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8}, {}) == \
        "η = 0.05, β₁ = 0.9, β₂ = 0.999, ε = 1e-08"
    newton = optim.spec("newton")
    assert newton.settings_text({"lr": 1.0, "min_curvature": 0.1}, {"safeguard": False}) == "η = 1"
    assert "λmin = 0.1" in newton.settings_text({"lr": 1.0, "min_curvature": 0.1}, {"safeguard": True})
    s = surfaces.get("linear-regression")
    traj = run(s, optim.sgd(lr=0.05), list(s.starts[0]), 3)
    assert traj.settings_text() == "η = 0.05, B = 1"


def test_the_lr_conversion_keeps_a_momentum_path():
    """The classic form with (1 - beta) times the EMA form's learning rate traces the same path."""
    s = surfaces.get("elongated-bowl")
    spec = optim.spec("momentum")
    ema, classic = {"form": "ema"}, {"form": "classic"}
    lr = spec.convert_lr(0.07, 0.8, ema, classic)
    assert lr == pytest.approx(0.07 * 0.2)
    assert spec.convert_lr(lr, 0.8, classic, ema) == pytest.approx(0.07)
    a = run(s, optim.momentum(lr=0.07, beta=0.8), list(s.starts[0]), 50)
    b = run(s, optim.momentum(lr=lr, beta=0.8, form="classic"), list(s.starts[0]), 50)
    np.testing.assert_allclose(a.positions, b.positions, rtol=1e-9, atol=1e-12)
    assert optim.spec("adam").convert_lr(0.05, 0.0, {"bias_correction": True}, {"bias_correction": False}) == 0.05
