"""The optimizers' update rules: the notes' tables, hand computations of the first steps, identities.

Hand computations are written from the update rules (the docstrings in ``optim.methods`` and the course
notes) with the numbers filled in; none of them calls the code under test. Most use the notes' example
f(w) = 2w^2 + w + 4, f'(w) = 4w + 1, from w = 2 (so the first gradient is 9).
"""

from __future__ import annotations

import inspect
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import optim
import surfaces
from optim import run

QUADRATIC = surfaces.get("notes-quadratic")


def df(w: float) -> float:
    """f'(w) for the notes' f(w) = 2w^2 + w + 4."""
    return 4.0 * w + 1.0


def f(w: float) -> float:
    return 2.0 * w * w + w + 4.0


# -- the notes' three gradient-descent tables (lecture 003), as printed -------------------------------------------
# Columns: iteration, W, f(W), f'(W), w_{i+1} = w_i - eta * f'(w). Copied verbatim, typos included.

NOTES_ETA_01 = """
1	2.00000	14.00000	9.00000	1.10000
2	1.10000	7.52000	5.40000	0.56000
3	0.56000	5.18720	3.24000	0.23600
4	0.23600	4.34739	1.94400	0.04160
5	0.04160	4.04506	1.16640	-0.07504
6	-0.07504	3.93622	0.69984	-0.14502
7	-0.14502	3.89704	0.41990	-0.18701
8	-0.18701	3.88293	0.25194	-0.21221
9	-0.21221	3.87786	0.15117	-0.22733
10	-0.22733	3.87603	0.09070	-0.23640
11	-0.23640	3.87537	0.05442	-0.24184
12	-0.24184	3.87513	0.03265	-0.24510
13	-0.24510	3.87505	0.01959	-0.24706
14	-0.24706	3.87502	0.01175	-0.24824
15	-0.24824	3.87501	0.00705	-0.24894
16	-0.24894	3.87500	0.00423	-0.24937
17	-0.24937	3.87500	0.00254	-0.24962
18	-0.24962	3.87500	0.00152	-0.24977
19	-0.24977	3.87500	0.00091	-0.24986
20	-0.24986	3.87500	0.00055	-0.24992
21	-0.24992	3.87500	0.00033	-0.24995
"""

NOTES_ETA_02 = """
1	2.00000	14.00000	9.00000	0.20000
2	0.20000	4.28000	1.80000	-0.16000
3	-0.16000	3.89120	0.36000	-0.23200
4	0.23200	3.87565	0.07200	-0.24640
5	-0.24640	3.87503	0.01440	-0.24928
6	-0.24928	3.87500	0.00288	-0.24986
7	-0.24986	3.87500	0.00058	-0.24997
8	-0.24997	3.87500	0.00012	-0.24999
9	-0.24999	3.87500	0.00002	-0.25000
10	-0.25000	3.87500	0.00000	-0.25000
"""

NOTES_ETA_05 = """
1	2.00000	14.00000	9.00000	-2.50000
2	-2.50000	14.00000	-9.00000	2.00000
3	2.00000	14.00000	9.00000	-2.50000
4	-2.50000	14.00000	-9.00000	2.00000
5	2.00000	14.00000	9.00000	-2.50000
6	-2.50000	14.00000	-9.00000	2.00000
7	2.00000	14.00000	9.00000	-2.50000
8	-2.50000	14.00000	-9.00000	2.00000
9	2.00000	14.00000	9.00000	-2.50000
10	-2.50000	14.00000	-9.00000	2.00000
"""

# Cells where the notes are wrong, as (eta, iteration, column) -> the correct value to 5 decimals.
# Recomputed: with eta = 0.2 the map is w <- w - 0.2 (4w + 1) = 0.2 w - 0.2, so from w = 2:
# 0.2, -0.16, -0.232, -0.2464, ... Row 4's W is the previous row's w_{i+1} = -0.232; the notes print +0.23200.
# (Their f(W) = 3.87565 and f'(W) = 0.07200 in that row are those of -0.232: f(0.232) would be 4.33965.)
# Every other cell of the three tables is right; the test below checks that the list is complete.
NOTES_TYPOS = {
    (0.2, 4, "W"): -0.23200,
}

TABLE_COLUMNS = ("W", "f(W)", "f'(W)", "w_next")


def _parse(text: str) -> np.ndarray:
    return np.array([[float(c) for c in line.split("\t")] for line in text.strip().splitlines()])


@pytest.mark.parametrize(
    "eta, printed, rows", [(0.1, NOTES_ETA_01, 21), (0.2, NOTES_ETA_02, 10), (0.5, NOTES_ETA_05, 10)]
)
def test_notes_gradient_descent_tables_cell_by_cell(eta, printed, rows):
    notes = _parse(printed)
    assert notes.shape == (rows, 5)
    traj = run(QUADRATIC, optim.gd(lr=eta), [2.0], steps=rows)
    table = optim.iteration_table(traj)
    assert table.columns == ("iteration", "w", "f(w)", "f'(w)", "w_next")
    ours = table.data
    np.testing.assert_array_equal(ours[:, 0], notes[:, 0])
    wrong = []
    for i in range(rows):
        for j, col in enumerate(TABLE_COLUMNS, start=1):
            mine = round(float(ours[i, j]), 5)
            if mine != notes[i, j]:
                wrong.append((eta, i + 1, col))
                assert NOTES_TYPOS.get((eta, i + 1, col)) == mine, f"eta {eta}, row {i + 1}, {col}"
    # The typo list is exact: every listed cell of this table is one where the notes differ from us.
    assert wrong == [k for k in NOTES_TYPOS if k[0] == eta]


@pytest.mark.parametrize("eta, rows", [(0.1, 21), (0.2, 10), (0.5, 10), (0.05, 40)])
def test_gradient_descent_table_equals_the_closed_form(eta, rows):
    """w_t = -0.25 + 2.25 (1 - 4 eta)^t: gradient descent on 2w^2 + w + 4 is the linear map
    w <- (1 - 4 eta) w - eta, with fixed point -1/4 and w_0 + 1/4 = 2.25."""
    traj = run(QUADRATIC, optim.gd(lr=eta), [2.0], steps=rows)
    data = optim.iteration_table(traj).data
    t = np.arange(rows + 1)
    w = -0.25 + 2.25 * (1.0 - 4.0 * eta) ** t
    expected = np.column_stack([t[1:], w[:-1], 2 * w[:-1] ** 2 + w[:-1] + 4, 4 * w[:-1] + 1, w[1:]])
    # Values are O(1); the gradient column 4w + 1 = 9 (1 - 4 eta)^t loses relative precision near the minimum.
    np.testing.assert_allclose(data, expected, rtol=1e-12, atol=1e-14)
    # And the notes' printed cells are this closed form rounded, except the listed typos.
    for eta_, printed in ((0.1, NOTES_ETA_01), (0.2, NOTES_ETA_02), (0.5, NOTES_ETA_05)):
        if eta_ == eta:
            notes = _parse(printed)
            typo = np.zeros(notes.shape, dtype=bool)
            for (e, row, col), _ in NOTES_TYPOS.items():
                if e == eta:
                    typo[row - 1, 1 + TABLE_COLUMNS.index(col)] = True
            close = np.abs(np.round(expected, 5) - notes) < 1e-12
            np.testing.assert_array_equal(close, ~typo)


# -- first two steps by hand -------------------------------------------------------------------------------------
# Each case: optimizer, convention, hyperparameters, and the hand computation of w_1, w_2 and the recorded state
# after steps 1 and 2, from w_0 = 2 on f(w) = 2w^2 + w + 4.


def _gd(lr):
    w1 = 2 - lr * 9
    w2 = w1 - lr * df(w1)
    return {"w": (w1, w2)}


def _momentum_ema(lr, beta):  # v_t = beta v_{t-1} + (1 - beta) g_t, w_{t+1} = w_t - lr v_t
    v1 = beta * 0 + (1 - beta) * 9
    w1 = 2 - lr * v1
    v2 = beta * v1 + (1 - beta) * df(w1)
    w2 = w1 - lr * v2
    return {"w": (w1, w2), "v": (v1, v2)}


def _momentum_classic(lr, beta):  # v_t = beta v_{t-1} + g_t (PyTorch, dampening 0)
    v1 = beta * 0 + 9
    w1 = 2 - lr * v1
    v2 = beta * v1 + df(w1)
    w2 = w1 - lr * v2
    return {"w": (w1, w2), "v": (v1, v2)}


def _nesterov_ema_lookahead(lr, beta):  # gradient at w_t - lr beta v_{t-1}
    look1 = 2 - lr * beta * 0
    v1 = beta * 0 + (1 - beta) * df(look1)
    w1 = 2 - lr * v1
    look2 = w1 - lr * beta * v1
    v2 = beta * v1 + (1 - beta) * df(look2)
    w2 = w1 - lr * v2
    return {"w": (w1, w2), "v": (v1, v2), "lookahead": (look1, look2), "g": (df(look1), df(look2))}


def _nesterov_classic_pytorch(lr, beta):  # v_t = beta v + g_t, w_{t+1} = w_t - lr (g_t + beta v_t)
    v1 = beta * 0 + 9
    w1 = 2 - lr * (9 + beta * v1)
    v2 = beta * v1 + df(w1)
    w2 = w1 - lr * (df(w1) + beta * v2)
    return {"w": (w1, w2), "v": (v1, v2)}


def _adagrad(lr, eps, in_sqrt):  # G_t = G_{t-1} + g_t^2, w_{t+1} = w_t - lr / sqrt(G_t + eps) g_t (or sqrt(G_t) + eps)
    def rate(G):
        return lr / math.sqrt(G + eps) if in_sqrt else lr / (math.sqrt(G) + eps)

    G1 = 0 + 9**2
    w1 = 2 - rate(G1) * 9
    G2 = G1 + df(w1) ** 2
    w2 = w1 - rate(G2) * df(w1)
    return {"w": (w1, w2), "G": (G1, G2), "lr_eff": (rate(G1), rate(G2))}


def _rmsprop(lr, rho, eps, in_sqrt):  # s_t = rho s + (1 - rho) g^2, w_{t+1} = w_t - lr / (sqrt(s_t) + eps) g_t
    def rate(s):
        return lr / math.sqrt(s + eps) if in_sqrt else lr / (math.sqrt(s) + eps)

    s1 = rho * 0 + (1 - rho) * 81
    w1 = 2 - rate(s1) * 9
    s2 = rho * s1 + (1 - rho) * df(w1) ** 2
    w2 = w1 - rate(s2) * df(w1)
    return {"w": (w1, w2), "s": (s1, s2), "lr_eff": (rate(s1), rate(s2))}


def _adadelta(lr, rho, eps, in_sqrt):
    # s_t = rho s + (1 - rho) g^2; D_t = sqrt(u_{t-1} + eps) / sqrt(s_t + eps) g_t; u_t = rho u + (1 - rho) D_t^2;
    # w_{t+1} = w_t - lr D_t. Without eps_in_sqrt: (sqrt(u) + eps) / (sqrt(s) + eps).
    def ratio(u, s):
        return math.sqrt(u + eps) / math.sqrt(s + eps) if in_sqrt else (math.sqrt(u) + eps) / (math.sqrt(s) + eps)

    s1 = (1 - rho) * 81
    D1 = ratio(0, s1) * 9
    u1 = (1 - rho) * D1**2
    w1 = 2 - lr * D1
    g1 = df(w1)
    s2 = rho * s1 + (1 - rho) * g1**2
    D2 = ratio(u1, s2) * g1
    u2 = rho * u1 + (1 - rho) * D2**2
    w2 = w1 - lr * D2
    return {"w": (w1, w2), "s": (s1, s2), "delta": (u1, u2), "lr_eff": (lr * ratio(0, s1), lr * ratio(u1, s2))}


def _adam(lr, b1, b2, eps, corrected):
    # m_t = b1 m + (1 - b1) g; v_t = b2 v + (1 - b2) g^2; m_hat = m / (1 - b1^t); v_hat = v / (1 - b2^t);
    # w_{t+1} = w_t - lr / (sqrt(v_hat) + eps) m_hat.
    m1 = (1 - b1) * 9
    v1 = (1 - b2) * 81
    c1, c2 = (1 - b1, 1 - b2) if corrected else (1, 1)
    r1 = lr / (math.sqrt(v1 / c2) + eps)
    w1 = 2 - r1 * m1 / c1
    g1 = df(w1)
    m2 = b1 * m1 + (1 - b1) * g1
    v2 = b2 * v1 + (1 - b2) * g1**2
    c1, c2 = (1 - b1**2, 1 - b2**2) if corrected else (1, 1)
    r2 = lr / (math.sqrt(v2 / c2) + eps)
    w2 = w1 - r2 * m2 / c1
    return {"w": (w1, w2), "m": (m1, m2), "v": (v1, v2), "lr_eff": (r1, r2)}


HAND = [
    # (name, convention, hyperparameters, extra options, hand computation)
    ("gd", "notes", {"lr": 0.1}, {}, _gd(0.1)),  # the notes: 2 -> 1.1 -> 0.56
    ("gd", "pytorch", {"lr": 0.2}, {}, _gd(0.2)),
    ("sgd", "notes", {"lr": 0.1}, {}, _gd(0.1)),  # run with noise=0
    ("momentum", "notes", {"lr": 0.1, "beta": 0.9}, {}, _momentum_ema(0.1, 0.9)),  # 2 -> 1.91 -> 1.7426
    ("momentum", "pytorch", {"lr": 0.1, "beta": 0.9}, {}, _momentum_classic(0.1, 0.9)),  # 2 -> 1.1 -> -0.25
    ("momentum", "notes", {"lr": 0.1, "beta": 0.9}, {"form": "classic"}, _momentum_classic(0.1, 0.9)),
    ("nesterov", "notes", {"lr": 0.1, "beta": 0.9}, {}, _nesterov_ema_lookahead(0.1, 0.9)),  # 1.91, 1.74584
    ("nesterov", "pytorch", {"lr": 0.1, "beta": 0.9}, {}, _nesterov_classic_pytorch(0.1, 0.9)),  # 0.29, -0.8494
    ("adagrad", "notes", {"lr": 0.5, "eps": 0.25}, {}, _adagrad(0.5, 0.25, in_sqrt=True)),
    ("adagrad", "pytorch", {"lr": 0.5, "eps": 0.25}, {}, _adagrad(0.5, 0.25, in_sqrt=False)),
    ("rmsprop", "notes", {"lr": 0.1, "rho": 0.9, "eps": 0.25}, {}, _rmsprop(0.1, 0.9, 0.25, in_sqrt=False)),
    ("rmsprop", "pytorch", {"lr": 0.1, "rho": 0.9, "eps": 0.25}, {}, _rmsprop(0.1, 0.9, 0.25, in_sqrt=False)),
    ("rmsprop", "notes", {"lr": 0.1, "rho": 0.8, "eps": 0.25}, {"eps_in_sqrt": True},
     _rmsprop(0.1, 0.8, 0.25, in_sqrt=True)),
    ("adadelta", "notes", {"lr": 1.0, "rho": 0.9, "eps": 0.01}, {}, _adadelta(1.0, 0.9, 0.01, in_sqrt=True)),
    ("adadelta", "pytorch", {"lr": 0.5, "rho": 0.95, "eps": 0.01}, {}, _adadelta(0.5, 0.95, 0.01, in_sqrt=True)),
    ("adadelta", "notes", {"lr": 1.0, "rho": 0.9, "eps": 0.01}, {"eps_in_sqrt": False},
     _adadelta(1.0, 0.9, 0.01, in_sqrt=False)),
    ("adam", "notes", {"lr": 0.1, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8}, {},
     _adam(0.1, 0.9, 0.999, 1e-8, corrected=True)),
    ("adam", "pytorch", {"lr": 0.3, "beta1": 0.8, "beta2": 0.99, "eps": 0.5}, {},
     _adam(0.3, 0.8, 0.99, 0.5, corrected=True)),
    ("adam", "notes", {"lr": 0.1, "beta1": 0.9, "beta2": 0.999, "eps": 0.5}, {"bias_correction": False},
     _adam(0.1, 0.9, 0.999, 0.5, corrected=False)),
]


@pytest.mark.parametrize("name, convention, hyper, options, hand", HAND,
                         ids=[f"{c[0]}-{c[1]}-{'-'.join(map(str, c[3].values())) or 'default'}" for c in HAND])
def test_first_two_steps_by_hand(name, convention, hyper, options, hand):
    opt = optim.make(name, convention, **hyper, **options)
    traj = run(QUADRATIC, opt, [2.0], steps=2, noise=0.0)
    np.testing.assert_allclose(traj.positions[1:, 0], hand["w"], rtol=1e-14)
    np.testing.assert_allclose(traj.losses, [f(2.0), f(hand["w"][0]), f(hand["w"][1])], rtol=1e-14)
    expected_g = hand.get("g", (9.0, df(hand["w"][0])))
    np.testing.assert_allclose(traj.gradients[:, 0], expected_g, rtol=1e-14)
    for field in set(hand) - {"w", "g"}:
        np.testing.assert_allclose(traj.state[field][1:, 0], hand[field], rtol=1e-14, err_msg=field)
        assert np.all(traj.state[field][0] == (2.0 if field == "lookahead" else 0.0))  # initial state
    assert set(traj.state) == set(hand) - {"w", "g"}


def test_the_conventions_differ_where_the_rules_do():
    """Sanity of the table above: the two conventions' hand computations really differ for these rules."""
    assert _momentum_ema(0.1, 0.9)["w"] == pytest.approx((1.91, 1.7426))
    assert _momentum_classic(0.1, 0.9)["w"] == pytest.approx((1.1, -0.25))
    assert _nesterov_ema_lookahead(0.1, 0.9)["w"] == pytest.approx((1.91, 1.74584))
    assert _nesterov_classic_pytorch(0.1, 0.9)["w"] == pytest.approx((0.29, -0.8494))
    assert _adagrad(0.5, 0.25, True)["w"][0] != pytest.approx(_adagrad(0.5, 0.25, False)["w"][0], rel=1e-6)
    assert _adadelta(1, 0.9, 0.01, True)["w"][0] != pytest.approx(_adadelta(1, 0.9, 0.01, False)["w"][0], rel=1e-6)


def test_newton_first_two_steps_on_the_quartic():
    """w_{t+1} = w_t - lr q'(w_t) / q''(w_t) with q'(w) = 24w^3 - 6w^2 - 24w + 1, q''(w) = 72w^2 - 12w - 24."""
    q = surfaces.get("quartic")

    def d1(w):
        return 24 * w**3 - 6 * w**2 - 24 * w + 1

    def d2(w):
        return 72 * w**2 - 12 * w - 24

    for convention in ("notes", "pytorch"):
        for lr in (1.0, 0.5):
            # From 1.5: q'(1.5) = 81 - 13.5 - 36 + 1 = 32.5, q''(1.5) = 162 - 18 - 24 = 120.
            w1 = 1.5 - lr * 32.5 / 120
            w2 = w1 - lr * d1(w1) / d2(w1)
            traj = run(q, optim.make("newton", convention, lr=lr), [1.5], steps=2)
            np.testing.assert_allclose(traj.positions[1:, 0], [w1, w2], rtol=1e-14)
            np.testing.assert_allclose(traj.state["curvature"][1:, 0], [120.0, d2(w1)], rtol=1e-14)


def test_newton_safeguard_on_the_saddle():
    """x^2 - y^2 at (1, 0.5): g = (2, -1), H = diag(2, -2). The plain step H^-1 g = (2/2, -1/-2) = (1, 0.5) lands
    on the saddle (0, 0); the saddle-free step divides by |lambda| = 2 and goes downhill in y: (1, 0.5) - (1, -0.5)."""
    s = surfaces.get("saddle")
    plain = run(s, optim.newton(), [1.0, 0.5], steps=2)
    np.testing.assert_allclose(plain.positions, [[1, 0.5], [0, 0], [0, 0]], atol=1e-15)
    safe = run(s, optim.newton(safeguard=True, min_curvature=0.1), [1.0, 0.5], steps=2)
    # Step 2 from (0, 1): g = (0, -2), step (0, -2 / 2) -> (0, 2).
    np.testing.assert_allclose(safe.positions, [[1, 0.5], [0, 1], [0, 2]], atol=1e-15)
    np.testing.assert_allclose(safe.state["curvature"][1:], [[-2, 2], [-2, 2]], atol=1e-15)  # ascending
    # A floor above both |lambda|: divide by 5 instead, (1, 0.5) - (2, -1) / 5.
    floored = run(s, optim.newton(safeguard=True, min_curvature=5.0), [1.0, 0.5], steps=1)
    np.testing.assert_allclose(floored.positions[1], [0.6, 0.7], rtol=1e-15)


def test_newton_safeguard_on_a_rotated_indefinite_hessian():
    """Himmelblau at (3, 0): a = 9 - 11 = -2, b = 3 - 7 = -4, so g = (4*3*(-2) + 2*(-4), 2*(-2)) = (-32, -4) and
    H = [[12*9 - 42, 4*3], [4*3, 4*3 - 26]] = [[66, 12], [12, -14]], which is indefinite and not diagonal."""
    H = np.array([[66.0, 12.0], [12.0, -14.0]])
    g = np.array([-32.0, -4.0])
    lam, Q = np.linalg.eigh(H)
    assert lam[0] < 0 < lam[1]
    safe_step = Q @ ((Q.T @ g) / np.maximum(np.abs(lam), 0.1))
    plain_step = np.linalg.solve(H, g)
    s = surfaces.get("himmelblau")
    for safeguard, step in ((False, plain_step), (True, safe_step)):
        traj = run(s, optim.newton(lr=0.5, safeguard=safeguard), [3.0, 0.0], steps=1)
        np.testing.assert_allclose(traj.positions[1], np.array([3.0, 0.0]) - 0.5 * step, rtol=1e-13)
        np.testing.assert_allclose(traj.state["curvature"][1], lam, rtol=1e-13)
    # The safeguarded step goes downhill; the plain one heads for the saddle of the model.
    assert g @ safe_step > 0


def objective_for(name: str, surface) -> dict:
    """The ``objective=`` keyword a line-search method's update takes (nothing for the others)."""
    return {"objective": optim.Objective.from_surface(surface)} if optim.spec(name).needs_objective else {}


def recorded_shape(name: str, field: str, d: int, batch: tuple) -> tuple:
    """The shape of a recorded state field: ``(d, *batch)``, a scalar's ``batch``, a matrix's ``(d, d, *batch)``."""
    kind = optim.spec(name).state_field(field).kind
    return {"scalar": batch, "matrix": (d, d, *batch)}.get(kind, (d, *batch))


def test_optax_style_update_does_not_modify_its_arguments():
    for name in optim.NAMES:
        opt = optim.make(name)
        params = np.array([[1.0, -2.0], [0.5, 3.0]])  # (d=2, batch=2)
        grads = np.array([[0.3, -0.1], [2.0, 0.7]])
        hess = surfaces.get("bowl").hess_cf(params)
        state = opt.init(params)
        copies = [params.copy(), grads.copy(), hess.copy()] + [np.copy(x) for x in state]
        updates, new_state = opt.update(grads, state, params, hess=hess, **objective_for(name, surfaces.get("bowl")))
        for before, after in zip(copies, [params, grads, hess, *state]):
            np.testing.assert_array_equal(before, after)
        assert updates.shape == params.shape


# -- identities between optimizers -----------------------------------------------------------------------------------

ROSENBROCK = surfaces.get("rosenbrock")
STARTS = np.array([[-1.5, 2.0], [0.5, -0.5], [1.2, 1.4]])


@pytest.mark.parametrize("form", ["ema", "classic"])
def test_momentum_with_beta_zero_is_gradient_descent(form):
    gd = run(ROSENBROCK, optim.gd(lr=1e-3), STARTS, steps=100)
    mom = run(ROSENBROCK, optim.momentum(lr=1e-3, beta=0.0, form=form), STARTS, steps=100)
    np.testing.assert_array_equal(mom.positions, gd.positions)
    np.testing.assert_array_equal(mom.state["v"][1:], gd.gradients)  # v_t = g_t


def test_sgd_with_noise_zero_is_gradient_descent():
    gd = run(ROSENBROCK, optim.gd(lr=1e-3), STARTS, steps=100)
    sgd = run(ROSENBROCK, optim.sgd(lr=1e-3), STARTS, steps=100, noise=0.0)
    np.testing.assert_array_equal(sgd.positions, gd.positions)
    np.testing.assert_array_equal(sgd.gradients, gd.gradients)
    # On linear regression a batch of all the samples is the exact gradient.
    lr = surfaces.get("linear-regression")
    gd = run(lr, optim.gd(lr=0.1), [[-0.5, 1.0], [3.0, -3.0]], steps=30)
    full = run(lr, optim.sgd(lr=0.1), [[-0.5, 1.0], [3.0, -3.0]], steps=30, batch_size=lr.n_samples)
    np.testing.assert_array_equal(full.positions, gd.positions)


@pytest.mark.parametrize("beta2, eps", [(0.9, 1e-8), (0.99, 0.3)])
def test_adam_without_first_moment_and_bias_correction_is_rmsprop(beta2, eps):
    adam = run(ROSENBROCK, optim.adam(lr=0.01, beta1=0.0, beta2=beta2, eps=eps, bias_correction=False), STARTS, 200)
    rms = run(ROSENBROCK, optim.rmsprop(lr=0.01, rho=beta2, eps=eps, eps_in_sqrt=False), STARTS, 200)
    np.testing.assert_allclose(adam.positions, rms.positions, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(adam.state["v"], rms.state["s"], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(adam.state["lr_eff"], rms.state["lr_eff"], rtol=1e-12)
    # ... and with the bias correction on it is not (the first steps are much larger).
    corrected = run(ROSENBROCK, optim.adam(lr=0.01, beta1=0.0, beta2=beta2, eps=eps), STARTS, 5)
    assert not np.allclose(corrected.positions[1], rms.positions[1], rtol=1e-6)


@pytest.mark.parametrize("name", ["bowl", "elongated-bowl", "notes-quadratic", "notes-parabola", "linear-regression"])
def test_newton_solves_a_quadratic_in_one_step(name):
    s = surfaces.get(name)
    lo, hi = np.array(s.bounds).T
    starts = lo + (hi - lo) * np.random.default_rng(0).random((5, 4, s.dim))
    if name == "linear-regression":  # the minimum is the least-squares line, solved here independently
        A = np.stack([s.xs, np.ones_like(s.xs)], axis=1)
        minimum = np.linalg.lstsq(A, s.ys, rcond=None)[0]
    else:  # 2w^2 + w + 4 at -b / 2a = -1/4; the others at 0
        minimum = np.array([-0.25]) if name == "notes-quadratic" else np.zeros(s.dim)
    for convention in ("notes", "pytorch"):
        traj = run(s, optim.make("newton", convention), starts, steps=2)
        np.testing.assert_allclose(traj.positions[1], np.broadcast_to(minimum, starts.shape), rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(traj.positions[2], traj.positions[1], rtol=1e-12, atol=1e-14)
        assert np.all(traj.status == optim.Status.CONVERGED)


@pytest.mark.parametrize("name, extra", [("momentum", {}), ("nesterov", {"evaluation": "lookahead"}),
                                         ("nesterov", {"evaluation": "pytorch"})])
def test_ema_momentum_is_classic_momentum_with_lr_scaled_by_one_minus_beta(name, extra):
    """v_ema = (1 - beta) v_classic, so lr v_ema = lr (1 - beta) v_classic: the same path."""
    beta = np.array([0.0, 0.5, 0.9, 0.99])[:, None]  # (4, 1) against 3 starts
    lr = 1e-3
    ema = run(ROSENBROCK, optim.make(name, lr=lr, beta=beta, form="ema", **extra), STARTS, steps=300)
    classic = run(ROSENBROCK, optim.make(name, lr=lr * (1 - beta), beta=beta, form="classic", **extra), STARTS, 300)
    assert ema.positions.shape == (301, 4, 3, 2)
    np.testing.assert_allclose(ema.positions, classic.positions, rtol=1e-11, atol=1e-13)
    np.testing.assert_allclose(ema.state["v"], (1 - beta[..., None]) * classic.state["v"], rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("form", ["ema", "classic"])
def test_nesterov_pytorch_positions_are_the_shifted_lookahead_positions(form):
    """PyTorch's Nesterov is the look-ahead form written in u = w - lr beta v: u_t = w_t - lr beta v_{t-1}, where
    v_{t-1} is the velocity that produced w_t (state["v"][t] of the look-ahead run)."""
    # Classic momentum's effective step is lr / (1 - beta): keep it stable on Rosenbrock, where rounding
    # differences would otherwise grow chaotically.
    lr, beta = (1e-3 if form == "ema" else 1e-4), np.array([0.5, 0.9, 0.95])[:, None]
    look = run(ROSENBROCK, optim.nesterov(lr=lr, beta=beta, form=form, evaluation="lookahead"), STARTS, 300)
    torch_form = run(ROSENBROCK, optim.nesterov(lr=lr, beta=beta, form=form, evaluation="pytorch"), STARTS, 300)
    u = look.positions - lr * beta[..., None] * look.state["v"]
    np.testing.assert_allclose(torch_form.positions, u, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(torch_form.state["v"], look.state["v"], rtol=1e-9, atol=1e-12)
    # The look-ahead run took its gradients exactly at those points.
    np.testing.assert_allclose(look.state["lookahead"][1:], u[:-1], rtol=1e-12, atol=1e-14)


# -- shapes of update for any batch ----------------------------------------------------------------------------------


def _hyper_for(name: str, shape: tuple, rng) -> dict:
    """Array-valued hyperparameters of ``name`` (all of its numeric ones), each shaped ``shape``, in range."""
    spec = optim.spec(name)
    out = {}
    for h in spec.hyperparameters:
        if h.name in ("beta", "beta1", "beta2", "rho"):
            out[h.name] = rng.uniform(0.0, 0.95, shape)
        else:
            out[h.name] = rng.uniform(0.01, 0.5, shape)
    return out


@settings(max_examples=60, deadline=None)
@given(
    name=st.sampled_from(optim.NAMES),
    convention=st.sampled_from(sorted(optim.CONVENTIONS)),
    d=st.sampled_from([1, 2]),
    shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3),
    safeguard=st.booleans(),
)
def test_update_shapes_for_any_batch(name, convention, d, shapes, safeguard):
    """update maps (d, *batch) to (d, *batch) with hyperparameters shaped like any broadcastable part of the batch."""
    (hyper_shape, _), batch = shapes.input_shapes, shapes.result_shape
    rng = np.random.default_rng(0)
    variant = {"safeguard": safeguard} if name == "newton" else {}
    opt = optim.make(name, convention, **_hyper_for(name, hyper_shape, rng), **variant)
    assert opt.batch_shape == hyper_shape
    params = rng.normal(size=(d, *batch))
    grads = rng.normal(size=(d, *batch))
    s = surfaces.get("bowl" if d == 2 else "notes-quadratic")
    state = opt.init(params)
    for _ in range(2):
        updates, state = opt.update(grads, state, params, hess=s.hess_cf(params), **objective_for(name, s))
        assert updates.shape == (d, *batch)
        for field in opt.recorded:
            assert np.shape(getattr(state, field)) == recorded_shape(name, field, d, batch), field
        assert np.all(np.isfinite(updates))


# -- the registry -------------------------------------------------------------------------------------------------


def test_registry_specs_match_the_factories():
    import inspect

    assert optim.NAMES == ("gd", "sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adadelta", "adam", "newton", "cg",
                           "bfgs")
    for name, spec in optim.SPECS.items():
        params = inspect.signature(spec.factory).parameters
        options = [p for p, v in params.items() if isinstance(v.default, (bool, str))]
        numeric = [p for p in params if p not in options]
        assert [h.name for h in spec.hyperparameters] == numeric
        assert sorted(v.option for v in spec.variants) == sorted(options)
        for v in spec.variants:
            assert params[v.option].default in v.labels
            for convention in optim.CONVENTIONS:
                assert v.value(convention) in v.labels, (convention, name, v.option)
        assert spec.options("notes") == {v.option: params[v.option].default for v in spec.variants}


@pytest.mark.parametrize("surface_name", surfaces.names())
def test_surface_defaults_are_valid_and_inside_the_slider_ranges(surface_name):
    s = surfaces.get(surface_name)
    for name in optim.NAMES:
        spec = optim.spec(name)
        assert set(spec.surface_defaults) <= set(surfaces.names()), name
        own = spec.surface_defaults.get(surface_name, {})
        assert set(own) <= {h.name for h in spec.hyperparameters} | {"noise", "batch_size"}
        # a surface lists only what differs from the factory's default
        assert all(spec.defaults.get(k) != v for k, v in own.items()), (name, own)
        hp = optim.defaults_for(s, name)
        assert hp == spec.defaults | {k: v for k, v in own.items() if k in spec.defaults}
        for h in spec.hyperparameters:
            assert h.low <= hp[h.name] <= h.high, (name, h.name, hp[h.name])
        for convention in optim.CONVENTIONS:
            optim.make(name, convention, **hp)


def test_latex_names_the_variant():
    assert optim.latex("adagrad", {"eps_in_sqrt": True}).count(r"\sqrt{G_t + \epsilon}") == 1
    assert r"\sqrt{G_t} + \epsilon" in optim.latex("adagrad", {"eps_in_sqrt": False})
    assert r"(1-\beta)" in optim.latex("momentum") and r"(1-\beta)" not in optim.latex("momentum", {"form": "classic"})
    assert r"\nabla f(w_t - \eta\beta v_{t-1})" in optim.latex("nesterov")
    assert r"\beta\, v_t)" in optim.latex("nesterov", {"form": "classic", "evaluation": "pytorch"})
    assert r"\hat m_t" in optim.latex("adam") and r"\hat m_t" not in optim.latex("adam", {"bias_correction": False})
    assert "H(w_t)^{-1}" in optim.latex("newton") and r"\max(|\Lambda|" in optim.latex("newton", {"safeguard": True})
    import itertools

    for name, spec in optim.SPECS.items():
        for combo in itertools.product(*(tuple(v.labels) for v in spec.variants)):
            text = optim.latex(name, dict(zip((v.option for v in spec.variants), combo)))
            assert text.startswith(r"\begin{aligned}") and text.endswith(r"\end{aligned}")
            depth = 0
            for ch in text:
                depth += {"{": 1, "}": -1}.get(ch, 0)
                assert depth >= 0
            assert depth == 0


@pytest.mark.parametrize("name", optim.NAMES)
def test_hyperparameters_are_keyword_only(name):
    """``adam(0.1)`` would silently mean a learning rate here and a decay there: every factory refuses positions."""
    factory = optim.spec(name).factory
    with pytest.raises(TypeError):
        factory(0.1)
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in inspect.signature(factory).parameters.values())
