"""AppTest tests of every optimizer on the notes' one-weight curves (the learning-rate page's new views) and of the
"Which form is which" page: values recomputed here by hand or by an independent route (np.roots), never copied."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

LR_PAGE = "pages/learning_rate.py"
FORMS_PAGE = "pages/forms.py"
FIVE = ["iteration", "w", "f(w)", "f'(w)", "w_next"]
QUARTIC = np.array([6.0, -2.0, -12.0, 1.0, 1.0])  # 6w^4 - 2w^3 - 12w^2 + w + 1


def critical_points() -> tuple[np.ndarray, np.ndarray]:
    """The quartic's critical points from the roots of its derivative polynomial, and f'' at each."""
    d1 = np.polyder(QUARTIC)
    roots = np.sort(np.roots(d1).real)
    return roots, np.polyval(np.polyder(d1), roots)


def test_ema_and_classic_momentum_take_the_same_path_cell_by_cell(open_page):
    at = open_page(LR_PAGE, {"view": "momentum", "mlr": "0.1", "mbeta": "0.9", "msteps": "40"})
    assert not at.exception
    ema, classic = at.dataframe[0].value, at.dataframe[1].value
    assert list(ema.columns) == FIVE + ["v"] and ema.shape == (40, 6)
    for col in FIVE[1:]:
        np.testing.assert_allclose(classic[col].to_numpy(), ema[col].to_numpy(), rtol=0, atol=1e-12)
    # the velocity by hand from the notes' rule v <- 0.9 v + 0.1 f'(w), w <- w - 0.1 v on f = 2w^2 + w + 4
    w, v = 2.0, 0.0
    for _, row in ema.iterrows():
        assert row["w"] == pytest.approx(w, abs=1e-12)
        v = 0.9 * v + 0.1 * (4 * w + 1)
        assert row["v"] == pytest.approx(v, abs=1e-12)
        w -= 0.1 * v
    # the classic velocity is 1/(1 - beta) = 10 times the average's, at eta' = 0.01
    np.testing.assert_allclose(classic["v"].to_numpy(), 10 * ema["v"].to_numpy(), rtol=1e-12)
    text = "\n".join(m.value for m in at.markdown)
    assert "η′ = (1 − β)η = 0.01" in text and "the largest difference between the two paths' w" in text


def test_quartic_ends_match_the_roots_of_the_derivative(open_page):
    at = open_page(LR_PAGE, {"view": "quartic"})
    assert not at.exception
    ends = at.dataframe[0].value
    roots, curvature = critical_points()
    left_min, hump, right_min = roots  # local minimum, local maximum, global minimum
    assert curvature[0] > 0 > curvature[1] and curvature[2] > 0
    assert np.polyval(QUARTIC, right_min) < np.polyval(QUARTIC, left_min)
    end = {(r["optimizer"], r["start w"]): r for _, r in ends.iterrows()}
    expected = {
        # gradient descent stays in the basin it starts in
        ("Gradient descent", -1.4): left_min, ("Gradient descent", -0.2): left_min,
        ("Gradient descent", 0.3): right_min, ("Gradient descent", 1.5): right_min,
        # momentum rolls over the hump from -1.4
        ("Momentum", -1.4): right_min,
        # Newton's method goes to the nearest critical point, the maximum included
        ("Newton's method", -1.4): left_min, ("Newton's method", -0.2): hump,
        ("Newton's method", 0.3): hump, ("Newton's method", 1.5): right_min,
    }
    for key, root in expected.items():
        row = end[key]
        assert row["final w"] == pytest.approx(root, abs=1e-3), key
        assert row["nearest critical point"] == pytest.approx(root, abs=1e-9), key
        assert np.sign(row["f''(w) there"]) == np.sign(np.polyval(np.polyder(QUARTIC, 2), root)), key
        assert ("maximum" in row["kind"]) == (root == hump), key
    assert hump == pytest.approx(0.0413, abs=1e-4)
    # GD at the momentum's learning rate stays: the roll-over is the momentum's doing
    text = "\n".join(m.value for m in at.markdown)
    assert "rolls over the hump" in text
    assert "Newton's method from -0.2, 0.3 → **local maximum**" in text


def test_newton_reaches_the_minimum_of_the_quadratic_in_one_step(open_page):
    at = open_page(LR_PAGE, {"view": "optimizers", "surface": "notes-quadratic", "opt": "newton", "steps": "3"})
    assert not at.exception
    t = at.dataframe[0].value
    assert list(t.columns) == FIVE + ["f''(w)"]
    assert t.loc[0, "w"] == 2.0 and t.loc[0, "f'(w)"] == 9.0 and t.loc[0, "f''(w)"] == 4.0
    assert t.loc[0, "w_next"] == -0.25  # 2 - 9/4, exactly


def test_a_second_optimizer_brings_its_state_columns_and_csv(open_page, download_bytes):
    at = open_page(LR_PAGE, {"view": "optimizers", "opt": "gd,adam", "adam.lr": "0.1", "steps": "5"})
    assert not at.exception
    gd_t, adam_t = at.dataframe[0].value, at.dataframe[1].value
    assert list(gd_t.columns) == FIVE
    assert list(adam_t.columns) == FIVE + ["m", "v", "lr_eff", "m_hat", "v_hat"]
    # Adam by hand: m, v, eta / (sqrt(v_hat) + eps) with beta1 = 0.9, beta2 = 0.999, eps = 1e-8
    w, m, v = 2.0, 0.0, 0.0
    for t, row in enumerate(adam_t.itertuples(index=False), start=1):
        g = 4 * w + 1
        m, v = 0.9 * m + 0.1 * g, 0.999 * v + 0.001 * g * g
        lr_eff = 0.1 / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
        w_next = w - lr_eff * m / (1 - 0.9**t)
        m_hat, v_hat = m / (1 - 0.9**t), v / (1 - 0.999**t)
        assert (row.w, row.m, row.v, row.lr_eff, row.w_next, row.m_hat, row.v_hat) == pytest.approx(
            (w, m, v, lr_eff, w_next, m_hat, v_hat), rel=1e-12)
        w = w_next
    back = pd.read_csv(io.BytesIO(download_bytes(at, 1)))
    assert list(back.columns) == list(adam_t.columns)
    np.testing.assert_array_equal(back.to_numpy(), adam_t.to_numpy())  # every digit


def test_bad_links_give_one_line_and_keep_the_defaults(open_page):
    at = open_page(LR_PAGE, {"view": "quartic", "qopt": "gd,nonsense", "esteps": "0"})
    assert not at.exception
    notes = [w.value for w in at.warning]
    assert any("qopt=gd,nonsense" in n for n in notes) and any("esteps=0" in n for n in notes)
    ends = at.dataframe[0].value
    assert list(dict.fromkeys(ends["optimizer"])) == ["Gradient descent", "Momentum", "Newton's method"]


def test_the_eta_02_table_flags_the_notes_typo(open_page):
    at = open_page(LR_PAGE, {"lr": "0.2", "steps": "10"})
    w4 = at.dataframe[0].value.loc[3, "w"]
    assert w4 == pytest.approx(-0.232, abs=1e-12)
    assert any("0.23200" in c.value and "-0.23200" in c.value for c in at.caption)


def test_which_form_is_which(open_page, download_bytes):
    at = open_page(FORMS_PAGE)
    assert not at.exception
    table = at.dataframe[0].value
    row = lambda opt, form: table[(table["optimizer"] == opt) & (table["form"].str.startswith(form))].iloc[0]  # noqa: E731
    assert row("Momentum", "v ← βv + g")["PyTorch"] == "yes"
    assert "002" in row("Momentum", "v ← βv + g")["written this way in the notes"]
    assert "003" in row("Momentum", "v ← βv + (1−β)g")["written this way in the notes"]
    inside = row("RMSProp", "inside")
    assert "AdaDelta" in inside["written this way in the notes"] and inside["Keras / TensorFlow"] == "yes"
    assert row("RMSProp", "outside")["PyTorch"] == "yes"
    assert "1 − β₁" in row("Adam", "on")["written this way in the notes"]
    assert set(table["optimizer"]) >= {"Momentum", "Nesterov momentum", "Adagrad", "RMSProp", "AdaDelta", "Adam"}
    assert len(table[table["optimizer"] == "RMSProp"]) >= 4  # eps inside / outside, bias correction on / off
    # the formula is the app's own rule: eps inside the root for Adagrad's "inside" row
    assert r"\sqrt{G_t + \epsilon}" in row("Adagrad", "inside")["formula (LaTeX)"]
    back = pd.read_csv(io.BytesIO(download_bytes(at, 0)), keep_default_na=False)
    pd.testing.assert_frame_equal(back, table)
    typos = at.dataframe[1].value
    assert typos.loc[0, "computed"] == "w = -0.23200" and typos.loc[0, "printed"] == "w = 0.23200"
    assert "1 − β₁ᵗ" in typos.loc[1, "computed"]
