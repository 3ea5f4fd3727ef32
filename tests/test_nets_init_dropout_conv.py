"""Initializers, dropout and the convolution against torch.nn.init, torch.nn.functional.dropout, autograd through
conv2d, closed forms and hand computations."""

from __future__ import annotations

import math

import numpy as np
import pytest

from helpers import require_torch
from nets import conv as C
from nets import dropout as D
from nets import init as I

torch = require_torch("the initializer, dropout and convolution checks against PyTorch", module_level=True)
F = torch.nn.functional

FAN_IN, FAN_OUT = 300, 200


def torch_weights(fill, **kw) -> np.ndarray:
    """torch.nn.init on a Linear-shaped (fan_out, fan_in) tensor, seeded."""
    torch.manual_seed(0)
    w = torch.empty(FAN_OUT, FAN_IN, dtype=torch.float64)
    fill(w, **kw)
    return w.numpy()


TORCH_INIT = {
    "glorot_normal": (torch.nn.init.xavier_normal_, {}),
    "he_normal": (torch.nn.init.kaiming_normal_, {"mode": "fan_in", "nonlinearity": "relu"}),
    "lecun_normal": (torch.nn.init.kaiming_normal_, {"mode": "fan_in", "nonlinearity": "linear"}),
    "glorot_uniform": (torch.nn.init.xavier_uniform_, {}),
    "he_uniform": (torch.nn.init.kaiming_uniform_, {"mode": "fan_in", "nonlinearity": "relu"}),
    "lecun_uniform": (torch.nn.init.kaiming_uniform_, {"mode": "fan_in", "nonlinearity": "linear"}),
}
CLOSED = {"glorot": 2 / (FAN_IN + FAN_OUT), "he": 2 / FAN_IN, "lecun": 1 / FAN_IN}


@pytest.mark.parametrize("name", list(TORCH_INIT))
def test_scaled_initializers_match_torch_init_and_the_closed_forms(name):
    fill, kw = TORCH_INIT[name]
    ref = torch_weights(fill, **kw)
    s = I.spec(name, FAN_IN, FAN_OUT)
    assert s.std == pytest.approx(math.sqrt(CLOSED[name.split("_")[0]]), rel=1e-12)
    assert ref.std() == pytest.approx(s.std, rel=0.01)  # 60,000 draws: the sample sd is within 1%
    ours = I.sample(s, (FAN_IN, FAN_OUT), np.random.default_rng(0))
    assert ours.std() == pytest.approx(s.std, rel=0.01)
    if name.endswith("uniform"):
        limit = math.sqrt(3 * CLOSED[name.split("_")[0]])
        assert s.high == pytest.approx(limit, rel=1e-12) and s.low == -s.high
        for w in (ref, ours):
            assert np.abs(w).max() <= limit and np.abs(w).max() > 0.999 * limit


def test_glorot_uniform_limit_is_the_notes_formula():
    assert I.spec("glorot_uniform", 256, 128).high == pytest.approx(math.sqrt(6 / (256 + 128)))
    assert I.spec("he_uniform", 256, 128).high == pytest.approx(math.sqrt(6 / 256))


def test_truncated_normal_is_0_88_sigma_as_torch_and_keras_find():
    assert I.truncated_std_factor() == pytest.approx(0.87962566103423978, rel=1e-12)  # Keras's constant
    sigma = 0.05
    ref = torch_weights(torch.nn.init.trunc_normal_, std=sigma, a=-2 * sigma, b=2 * sigma)
    ours = I.sample(I.spec("truncated_normal", FAN_IN, FAN_OUT, stddev=sigma), (FAN_IN, FAN_OUT),
                    np.random.default_rng(1))
    for w in (ref, ours):
        assert w.std() == pytest.approx(0.8796 * sigma, rel=0.01)
        assert np.abs(w).max() <= 2 * sigma


def test_constants_and_plain_distributions():
    rng = np.random.default_rng(2)
    assert np.all(I.sample(I.spec("zeros", 3, 4), (3, 4), rng) == 0)
    assert np.all(I.sample(I.spec("ones", 3, 4), (3, 4), rng) == 1)
    assert np.all(I.sample(I.spec("constant", 3, 4, value=0.3), (3, 4), rng) == 0.3)
    u = I.spec("random_uniform", 10, 10, minval=-0.5, maxval=0.05)  # the notes' lopsided example
    assert u.mean == pytest.approx(-0.225) and u.std == pytest.approx(0.55 / math.sqrt(12))
    assert I.spec("random_normal", 10, 10, stddev=0.05).std == 0.05
    with pytest.raises(ValueError, match="minval"):
        I.spec("random_uniform", 10, 10, minval=0.5, maxval=0.1)


@pytest.mark.parametrize("name, kw", [("random_normal", {"mean": 0.1, "stddev": 0.3}),
                                      ("truncated_normal", {"stddev": 0.3}), ("he_uniform", {})])
def test_densities_integrate_to_one_and_match_a_histogram(name, kw):
    s = I.spec(name, 50, 50, **kw)
    x = np.linspace(s.mean - 6 * max(s.sigma, s.std), s.mean + 6 * max(s.sigma, s.std), 200_001)
    assert np.trapezoid(I.density(s, x), x) == pytest.approx(1.0, abs=2e-3)
    w = I.sample(s, (400, 400), np.random.default_rng(3)).ravel()
    counts, edges = np.histogram(w, bins=20, density=True)
    centres = (edges[1:] + edges[:-1]) / 2
    inside = (centres > s.low + (edges[1] - edges[0])) & (centres < s.high - (edges[1] - edges[0]))
    np.testing.assert_allclose(counts[inside], I.density(s, centres[inside]), rtol=0.08)


def test_depth_experiment_he_stays_small_vanishes_large_explodes_zeros_are_dead():
    run = I.depth_experiment(activation="relu", layers=20, width=128, batch=128, seed=0)
    v = dict(zip(run.labels, run.act_var))
    # layer 1 of He on ReLU, in closed form: a ~ N(0, 2), Var(relu(a)) = E[a²]/2 − (E relu(a))² = 1 − 1/π
    assert v["He normal"][0] == pytest.approx(1 - 1 / math.pi, rel=0.05)
    assert 0.5 < v["He normal"][-1] / v["He normal"][0] < 2
    # Glorot = LeCun = 1/n here (fan_in = fan_out): each ReLU layer halves the second moment, so the
    # variance shrinks by about half per layer (measured: 0.52)
    assert 0.45 < (v["Glorot normal"][-1] / v["Glorot normal"][0]) ** (1 / 19) < 0.56
    assert v["small-σ normal"][-1] < 1e-12 and v["large-σ normal"][-1] > 1e6
    assert np.all(v["zeros"] == 0) and np.all(run.grad_var[run.labels.index("zeros")] == 0)
    k = run.labels.index("constant 0.05")
    assert np.nanmax(run.unit_spread[k]) < 1e-6  # identical units
    assert np.all(run.grad_var[k, 1:-1] == 0)  # every weight of a hidden layer gets the same update
    assert np.nanmin(run.unit_spread[run.labels.index("He normal")]) > 0.3
    # about half of ReLU's outputs are switched off (φ' = 0) at every layer with He
    np.testing.assert_allclose(run.stalled[run.labels.index("He normal")], 0.5, atol=0.1)


def test_large_weights_saturate_tanh():
    run = I.depth_experiment(("He normal", "large-σ normal"), activation="tanh", layers=10, width=128, batch=64,
                             large_sigma=1.0, seed=0)
    assert run.stalled[0, -1] < 0.05 and run.stalled[1, -1] > 0.5


def test_depth_experiment_agrees_with_a_torch_forward_and_backward():
    """Rebuild the same weights (same draws) in torch and run the stack with autograd."""
    labels = ("He normal", "small-σ normal")
    run = I.depth_experiment(labels, activation="tanh", layers=6, width=16, batch=32, seed=5)
    rng = np.random.default_rng(5)
    x, up = rng.standard_normal((32, 16)), rng.standard_normal((32, 16))
    specs = [I.spec("he_normal", 16, 16), I.spec("random_normal", 16, 16, stddev=0.05)]
    Ws = [I.sample(s, (6, 16, 16), rng) for s in specs]
    for k in range(2):
        W = [torch.tensor(Ws[k][l], requires_grad=True) for l in range(6)]
        h, act = torch.tensor(x), []
        for l in range(6):
            h = torch.tanh(h @ W[l])
            act.append(h.var(unbiased=False).item())
        (h * torch.tensor(up)).sum().backward()
        np.testing.assert_allclose(run.act_var[k], act, rtol=1e-10)
        np.testing.assert_allclose(run.grad_var[k], [w.grad.var(unbiased=False).item() for w in W], rtol=1e-8)


def test_depth_experiment_refuses_sizes_beyond_its_caps():
    with pytest.raises(ValueError):
        I.depth_experiment(layers=I.MAX_LAYERS + 1)


# -- dropout --------------------------------------------------------------------------------------------------------

def test_keep_probability_and_drop_rate():
    assert D.keep_probability(0.8, "keep") == 0.8
    assert D.keep_probability(0.8, "drop") == pytest.approx(0.2)
    for value, meaning in ((0.0, "keep"), (1.0, "drop")):
        with pytest.raises(ValueError, match="keep probability of 0"):
            D.keep_probability(value, meaning)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        D.keep_probability(1.5)
    # found by tests/test_fuzz_links.py: a subnormal p made 1/p infinite and the masked outputs inf * 0 = NaN;
    # the smallest p whose 1/p is finite is about 1/1.8e308
    with pytest.raises(ValueError, match="overflow"):
        D.keep_probability(5e-324)
    assert D.keep_probability(1e-300) == 1e-300 and 1 / D.keep_probability(1e-300) == pytest.approx(1e300)


def test_inverted_dropout_equals_torch_on_the_same_mask():
    x = np.linspace(0.5, 2.0, 1000)
    torch.manual_seed(0)
    out = F.dropout(torch.tensor(x), p=0.3, training=True).numpy()  # torch takes the drop rate
    mask = out != 0
    ours = D.dropout(x, 0.7, mask=mask)
    np.testing.assert_allclose(ours.y, out, rtol=1e-15)
    assert ours.scale == pytest.approx(1 / 0.7)
    np.testing.assert_array_equal(D.dropout(x, 0.7, training=False).y, F.dropout(torch.tensor(x), p=0.3,
                                                                               training=False).numpy())


def test_dropout_keeps_the_expected_value_and_the_original_form_scales_at_inference():
    x = np.array([1.0, 2.0, 3.0])
    masks = np.random.default_rng(0).random((200_000, 3)) < 0.6
    y = D.dropout(np.broadcast_to(x, masks.shape), 0.6, mask=masks).y
    np.testing.assert_allclose(y.mean(axis=0), x, rtol=0.01)
    original = D.dropout(np.broadcast_to(x, masks.shape), 0.6, mask=masks, inverted=False).y
    np.testing.assert_allclose(original.mean(axis=0), D.dropout(x, 0.6, training=False, inverted=False).y, rtol=0.01)


def test_active_units_are_binomial():
    n, p = 20, 0.8
    pmf = D.binomial_pmf(n, p)
    np.testing.assert_allclose(pmf, [math.comb(n, k) * p ** k * (1 - p) ** (n - k) for k in range(n + 1)], rtol=1e-12)
    mean, sd = D.active_units(n, p)
    assert (mean, sd) == (pytest.approx(16.0), pytest.approx(math.sqrt(3.2)))
    counts = D.simulate_counts(n, p, trials=20_000, seed=1)
    assert counts.mean() == pytest.approx(mean, rel=0.01) and counts.std() == pytest.approx(sd, rel=0.03)


# -- convolution ----------------------------------------------------------------------------------------------------

def test_the_notes_example_by_hand():
    x, f = np.arange(1.0, 10.0).reshape(3, 3), np.array([[1.0, 2.0], [3.0, 4.0]])
    p = C.conv_forward(x, f)
    # O11 = 1·1 + 2·2 + 4·3 + 5·4, and so on
    np.testing.assert_array_equal(p.out, [[37, 47], [67, 77]])
    g = C.conv_backward(p, np.ones((2, 2)))
    np.testing.assert_array_equal(g.d_filter, [[1 + 2 + 4 + 5, 2 + 3 + 5 + 6], [4 + 5 + 7 + 8, 5 + 6 + 8 + 9]])
    np.testing.assert_array_equal(g.d_input, [[1, 1 + 2, 2], [1 + 3, 10, 2 + 4], [3, 3 + 4, 4]])
    np.testing.assert_array_equal(g.rotated, [[4, 3], [2, 1]])
    # the notes' dL/dF11 = dL/dO11·X11 + dL/dO12·X12 + dL/dO21·X21 + dL/dO22·X22 with an uneven upstream gradient
    d = np.array([[1.0, -1.0], [0.5, 2.0]])
    g = C.conv_backward(p, d)
    assert g.d_filter[0, 0] == 1 * 1 - 1 * 2 + 0.5 * 4 + 2 * 5
    assert g.d_input[1, 1] == 1 * 4 - 1 * 3 + 0.5 * 2 + 2 * 1  # every output covers X22


CASES = [(h, w, k, l, s, pad) for h, w in ((3, 3), (4, 6), (6, 5), (1, 4)) for k, l in ((1, 1), (2, 2), (3, 2))
         for s in (1, 2, 3) for pad in (0, 1, 2) if k <= h + 2 * pad and l <= w + 2 * pad]


@pytest.mark.parametrize("h, w, k, l, s, pad", CASES)
def test_forward_and_backward_equal_autograd_through_conv2d(h, w, k, l, s, pad):
    rng = np.random.default_rng(h * 1000 + w * 100 + k * 10 + l + s * 7 + pad)
    x, f = rng.normal(size=(h, w)), rng.normal(size=(k, l))
    p = C.conv_forward(x, f, stride=s, padding=pad)
    d = rng.normal(size=p.out.shape)
    g = C.conv_backward(p, d)
    xt, ft = torch.tensor(x[None, None], requires_grad=True), torch.tensor(f[None, None], requires_grad=True)
    out = F.conv2d(xt, ft, stride=s, padding=pad)
    (out * torch.tensor(d[None, None])).sum().backward()
    np.testing.assert_allclose(p.out, out.detach().numpy()[0, 0], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(g.d_filter, ft.grad.numpy()[0, 0], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(g.d_input, xt.grad.numpy()[0, 0], rtol=1e-12, atol=1e-12)
    # each input entry's listed products add up to its gradient
    for m in range(h):
        for n in range(w):
            assert sum(d[i, j] * f[a, b] for i, j, a, b in C.input_terms(p, m, n)) == pytest.approx(g.d_input[m, n])


def test_shapes_that_do_not_fit_are_refused_with_a_reason():
    with pytest.raises(ValueError, match="does not fit"):
        C.conv_forward(np.ones((2, 2)), np.ones((3, 3)))
    p = C.conv_forward(np.ones((3, 3)), np.ones((2, 2)))
    with pytest.raises(ValueError, match="must be 2 × 2"):
        C.conv_backward(p, np.ones((3, 3)))
