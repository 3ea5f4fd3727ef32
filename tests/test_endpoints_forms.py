"""The core behind the learning-rate page's optimizer views and the "which form is which" table: checked against
independent routes (np.roots, a scalar loop), not against the page."""

from __future__ import annotations

import numpy as np
import pytest

import optim
import surfaces
from optim.derived import corrected_columns
from optim.endpoints import roll_over_grid, run_ends, same_path
from optim.forms import form_rows, typos

QUARTIC = np.array([6.0, -2.0, -12.0, 1.0, 1.0])


def test_newton_ends_at_the_nearest_critical_point_of_any_kind():
    q = surfaces.get("quartic")
    roots = np.sort(np.roots(np.polyder(QUARTIC)).real)
    _, ends = run_ends(q, "newton", {"lr": 1.0}, {"safeguard": False}, [-1.4, -0.2, 0.3, 1.5], 50)
    np.testing.assert_allclose(ends.final, [roots[0], roots[1], roots[1], roots[2]], atol=1e-10)
    assert ends.label[1] == "local maximum" and ends.curvature[1] < 0 and ends.reached.all()
    # the safeguard never climbs to the maximum
    _, safe = run_ends(q, "newton", {"lr": 1.0}, {"safeguard": True}, [-0.2, 0.3], 200)
    assert not any("maximum" in k for k in safe.label)


def test_the_roll_over_pick_rolls_over_and_gradient_descent_at_its_rate_does_not():
    q = surfaces.get("quartic")
    target = min(q.minima, key=lambda m: m.value).point[0]
    grid = roll_over_grid(q, "momentum", -1.4, target, [0.02, 0.025, 0.03], [0.98, 0.985, 0.99], 1500)
    lr, beta = grid.pick()
    for name, kw in (("momentum", {"lr": lr, "beta": beta}), ("gd", {"lr": lr})):
        end = optim.run(q, optim.make(name, **kw), [-1.4], 1500).final_position[0]
        assert (abs(end - target) < 1e-3) == (name == "momentum")


def test_classic_momentum_at_one_minus_beta_times_the_rate_is_the_same_path():
    pair = same_path(surfaces.get("notes-quadratic"), "momentum", {"lr": 0.1, "beta": 0.9}, {"form": "ema"},
                     {"form": "classic"}, 2.0, 60)
    assert pair.lr == 0.01 and pair.gap < 1e-12 and pair.step_gap < 1e-12
    np.testing.assert_allclose(pair.new.state["v"], pair.old.state["v"] / 0.1, rtol=1e-12)


def test_bias_corrected_columns_follow_the_option():
    curve = surfaces.get("notes-quadratic")
    on = optim.run(curve, optim.make("adam", lr=0.1), [2.0], 4)
    names, values = corrected_columns(on)
    t = np.arange(1, 5)
    assert names == ["m_hat", "v_hat"]
    np.testing.assert_allclose(values[:, 0], on.state["m"][1:, 0] / (1 - 0.9**t), rtol=1e-15)
    off = optim.run(curve, optim.make("adam", lr=0.1, bias_correction=False), [2.0], 4)
    assert corrected_columns(off)[0] == []


def test_every_variant_value_has_a_row_and_its_formula_is_the_spec_rule():
    rows = form_rows()
    for spec in optim.SPECS.values():
        for v in spec.variants:
            for value, label in v.labels.items():
                assert any(r.form == label and r.variant == v.title for r in rows), (spec.name, v.option, value)
    adagrad = [r for r in rows if r.optimizer == "adagrad"]
    assert {r.latex for r in adagrad} == {optim.spec("adagrad").latex({"eps_in_sqrt": b}) for b in (True, False)}


def test_the_typos_are_recomputed():
    table, adam = typos()
    w = optim.run(surfaces.get("notes-quadratic"), optim.gd(lr=0.2), [2.0], 4).positions[3, 0]
    assert w == pytest.approx(-0.232, abs=1e-15) and table.computed == f"w = {w:.5f}"
    assert "1.535" in adam.why  # 1 / (1 - 0.9^10)
    assert 1 / (1 - 0.9**10) == pytest.approx(1.535, abs=5e-4)
