"""Losses and activations against PyTorch (values and autograd), hand computations and finite differences."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import require_torch
from nets import activations as A
from nets import losses as L

torch = require_torch("the loss and activation checks against torch.nn.functional", module_level=True)
F = torch.nn.functional

RNG = np.random.default_rng(7)
Y = RNG.uniform(0.5, 5.0, 9)  # positive targets: MAPE and MSLE are defined
P = Y + RNG.normal(0, 2.0, 9)
P[np.abs(Y - P) < 1e-3] += 0.1  # away from the kinks of |r|
P = np.maximum(P, -0.5)


def t(a, grad=False):
    return torch.tensor(np.asarray(a, float), dtype=torch.float64, requires_grad=grad)


def torch_value_and_grad(fn, y, p):
    pt = t(p, True)
    out = fn(t(y), pt)
    out.backward()
    return out.item(), pt.grad.numpy()


TORCH_REGRESSION = {
    "mse": lambda y, p: F.mse_loss(p, y),
    "mae": lambda y, p: F.l1_loss(p, y),
    "mape": lambda y, p: 100 * torch.mean(torch.abs((y - p) / y)),
    "msle": lambda y, p: torch.mean((torch.log1p(p) - torch.log1p(y)) ** 2),
    "l1": lambda y, p: F.l1_loss(p, y, reduction="sum"),
    "l2": lambda y, p: F.mse_loss(p, y, reduction="sum"),
}


@pytest.mark.parametrize("key", [*TORCH_REGRESSION, "huber"])
@pytest.mark.parametrize("delta", [0.3, 1.0, 2.5])
def test_regression_losses_and_gradients_equal_torch(key, delta):
    loss = L.regression_losses(delta)[key]
    ref = TORCH_REGRESSION.get(key, lambda y, p: F.huber_loss(p, y, delta=delta))
    value, grad = torch_value_and_grad(ref, Y, P)
    assert loss.value(Y, P) == pytest.approx(value, rel=1e-12)
    np.testing.assert_allclose(loss.grad(Y, P), grad, rtol=1e-12, atol=1e-15)


def test_hand_computed_regression_losses_of_the_page_defaults():
    y, p = np.array([3.0, -0.5, 2.0, 7.0]), np.array([2.5, 0.0, 2.0, 10.0])
    losses = L.regression_losses(1.0)
    assert losses["mse"].value(y, p) == pytest.approx((0.25 + 0.25 + 0 + 9) / 4)
    assert losses["mae"].value(y, p) == pytest.approx((0.5 + 0.5 + 0 + 3) / 4)
    assert losses["l2"].value(y, p) == pytest.approx(9.5)
    assert losses["huber"].value(y, p) == pytest.approx((0.125 + 0.125 + 0 + (3 - 0.5)) / 4)
    assert losses["mape"].value(y, p) == pytest.approx(100 * (0.5 / 3 + 1 + 0 + 3 / 7) / 4)


def test_huber_is_quadratic_inside_delta_and_linear_beyond():
    r = np.array([-5.0, -2.0, -0.5, 0.0, 0.5, 2.0, 5.0])
    np.testing.assert_allclose(L.huber_term(r, 2.0), [8.0, 2.0, 0.125, 0, 0.125, 2.0, 8.0])
    np.testing.assert_allclose(L.huber_dterm(r, 2.0), [-2, -2, -0.5, 0, 0.5, 2, 2])


def test_the_notes_huber_is_negative_for_negative_residuals():
    assert float(L.huber_notes(-3.0, 1.0)) == pytest.approx(-3.5)  # delta * (r - delta / 2)
    assert float(L.huber_term(-3.0, 1.0)) == pytest.approx(2.5)
    np.testing.assert_allclose(L.huber_notes([0.5, 3.0], 1.0), L.huber_term([0.5, 3.0], 1.0))  # same for r > 0


@pytest.mark.parametrize("delta", [0.0, -1.0, float("nan")])
def test_huber_refuses_a_delta_that_is_not_positive(delta):
    with pytest.raises(ValueError, match="δ"):
        L.regression_losses(delta)


def test_the_notes_hinge_code_raises_and_np_maximum_is_the_hinge():
    s, y = np.array([2.0, -0.5, 0.3]), np.array([1.0, -1.0, 1.0])
    with pytest.raises(TypeError):
        L.hinge_notes(s, y)
    np.testing.assert_array_equal(L.hinge_term(y, s), np.maximum(0, 1 - s * y))


@pytest.mark.parametrize("power", [1, 2])
def test_hinge_and_squared_hinge_equal_torch_multi_margin_with_two_classes(power):
    """For classes {-1, 1} and scores x = [0, s], torch's multi_margin_loss is the (squared) hinge over 2."""
    y = np.array([1.0, -1.0, 1.0, -1.0, 1.0])
    s = np.array([2.0, -0.5, 0.3, 1.5, -1.2])
    x = t(np.stack([np.zeros_like(s), s], axis=1), True)
    ref = 2 * F.multi_margin_loss(x, torch.tensor((y > 0).astype(int)), p=power, margin=1.0)
    ref.backward()
    term, dterm = (L.hinge_term, L.hinge_dterm) if power == 1 else (L.squared_hinge_term, L.squared_hinge_dterm)
    assert term(y, s).mean() == pytest.approx(ref.item(), rel=1e-12)
    np.testing.assert_allclose(dterm(y, s) / len(y), x.grad.numpy()[:, 1], rtol=1e-12)


def test_binary_crossentropy_and_gradient_equal_torch():
    y = np.array([1.0, 0.0, 1.0, 0.0, 1.0])
    p = np.array([0.9, 0.2, 0.4, 0.99, 0.05])
    value, grad = torch_value_and_grad(lambda yt, pt: F.binary_cross_entropy(pt, yt), y, p)
    assert L.binary_crossentropy_term(y, p).mean() == pytest.approx(value, rel=1e-12)
    np.testing.assert_allclose(L.binary_crossentropy_dterm(y, p) / len(y), grad, rtol=1e-10)


def test_a_confident_wrong_probability_is_clipped_as_keras_does():
    assert float(L.binary_crossentropy_term(1.0, 0.0)) == pytest.approx(-math.log(1e-7))
    assert float(L.binary_crossentropy_term(0.0, 1.0)) == pytest.approx(-math.log(1e-7), rel=1e-8)


def test_categorical_and_sparse_crossentropy_equal_torch():
    labels = np.array([0, 2, 1, 2])
    probs = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6], [0.3, 0.4, 0.3], [0.25, 0.25, 0.5]])
    pt = t(probs, True)
    ref = F.nll_loss(torch.log(pt), torch.tensor(labels))
    ref.backward()
    onehot = L.one_hot(labels, 3)
    assert L.categorical_crossentropy_terms(onehot, probs).mean() == pytest.approx(ref.item(), rel=1e-12)
    assert L.sparse_categorical_crossentropy_terms(labels, probs).mean() == pytest.approx(ref.item(), rel=1e-12)
    np.testing.assert_allclose(L.categorical_crossentropy_grad(onehot, probs), pt.grad.numpy(), rtol=1e-12)
    soft = F.cross_entropy(t(np.log(probs)), t(onehot))  # probability targets; log_softmax(log p) = log p
    assert L.categorical_crossentropy_terms(onehot, probs).mean() == pytest.approx(soft.item(), rel=1e-12)


def test_categorical_hinge_equals_an_autograd_reference():
    labels = np.array([0, 2, 1, 0])
    scores = np.array([[2.0, 0.5, 1.9], [0.1, 0.3, 0.6], [0.3, 2.5, 0.2], [-1.0, 0.4, 0.1]])
    onehot = L.one_hot(labels, 3)
    st_ = t(scores, True)
    true = st_.gather(1, torch.tensor(labels)[:, None])[:, 0]
    other = torch.where(t(onehot) > 0, torch.tensor(-torch.inf, dtype=torch.float64), st_).max(dim=1).values
    ref = torch.clamp(1 + other - true, min=0).mean()
    ref.backward()
    assert L.categorical_hinge_terms(onehot, scores).mean() == pytest.approx(ref.item(), rel=1e-12)
    np.testing.assert_allclose(L.categorical_hinge_grad(onehot, scores), st_.grad.numpy(), atol=1e-15)
    # by hand, example 1: 1 + max(0.5, 1.9) - 2.0 = 0.9
    assert L.categorical_hinge_terms(onehot, scores)[0] == pytest.approx(0.9)


@pytest.mark.parametrize("check, args, phrase", [
    (L.check_regression, ([1, 2], [1]), "2 targets but 1 predictions"),
    (L.check_regression, ([], []), "at least one"),
    (L.check_binary, ([1, 0], [0.5, 1.5]), "outside [0, 1]"),
    (L.check_binary, ([1, 2], [0.5, 0.5]), "0 or 1"),
    (L.check_margin, ([1, 0], [0.5, 1.5]), "−1 or 1"),
    (L.check_categorical, ([0, 3], [[0.5, 0.5], [0.2, 0.8]]), "class numbers 0 to 1"),
    (L.check_categorical, ([0], [[0.5, 0.6]]), "sums to 1.1"),
])
def test_checks_name_the_problem(check, args, phrase):
    with pytest.raises(ValueError) as info:
        check(*args)
    assert phrase in str(info.value)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(0.2, 20), st.floats(-0.5, 30)), min_size=1, max_size=6),
       st.floats(0.1, 4.0))
def test_every_regression_gradient_is_the_central_difference(pairs, delta):
    y = np.array([a for a, _ in pairs])
    p = np.array([b for _, b in pairs])
    r = y - p
    if np.any(np.abs(r) < 1e-3) or np.any(np.abs(np.abs(r) - delta) < 1e-3):
        return  # kinks of |r| and of Huber at ±δ
    h = 1e-6
    for loss in L.regression_losses(delta).values():
        g = loss.grad(y, p)
        eye = np.eye(len(p)) * h
        num = np.array([(loss.value(y, p + e) - loss.value(y, p - e)) / (2 * h) for e in eye])
        np.testing.assert_allclose(g, num, rtol=1e-5, atol=1e-6 * (1 + np.abs(num).max()))


# -- activations ----------------------------------------------------------------------------------------------------

X = np.concatenate([np.linspace(-8, 8, 161), [-30.0, 30.0]])
X = X[np.abs(X) > 1e-9]  # not at ReLU's kink
X = X[np.abs(np.abs(X) - 3) > 1e-9]  # nor at hard sigmoid's (PyTorch form)

TORCH_ACT = {
    "relu": F.relu, "sigmoid": torch.sigmoid, "tanh": torch.tanh, "elu": F.elu, "selu": F.selu, "softplus": F.softplus,
    "softsign": F.softsign, "hard_sigmoid": F.hardsigmoid, "exponential": torch.exp, "linear": lambda x: x * 1.0,
}


@pytest.mark.parametrize("key", list(TORCH_ACT))
def test_activation_and_derivative_equal_torch_and_autograd(key):
    act = A.activations("pytorch")[key]
    xt = t(X, True)
    out = TORCH_ACT[key](xt)
    out.sum().backward()
    np.testing.assert_allclose(act.f(X), out.detach().numpy(), rtol=1e-12, atol=1e-300)
    # 1 − tanh² cancels at large |x|; torch's hardsigmoid backward uses 1/6 rounded to float32 even in float64
    np.testing.assert_allclose(act.df(X), xt.grad.numpy(), rtol=1e-7 if key == "hard_sigmoid" else 1e-12, atol=1e-15)


def test_keras2_hard_sigmoid_is_a_slope_of_one_fifth():
    act = A.activations("keras2")["hard_sigmoid"]
    x = np.array([-3.0, -2.5, -1.0, 0.0, 1.0, 2.4, 3.0])
    np.testing.assert_allclose(act.f(x), np.clip(0.2 * x + 0.5, 0, 1))
    h = 1e-7
    np.testing.assert_allclose(act.df(x[[2, 3, 4, 5]]), (act.f(x[[2, 3, 4, 5]] + h) - act.f(x[[2, 3, 4, 5]] - h)) / (2 * h),
                               rtol=1e-6)
    assert act.df(np.array([-3.0, 3.0])).tolist() == [0.0, 0.0]


def test_sigmoid_gradient_vanishes_beyond_the_closed_form_point():
    """σ'(x) = σ(1 − σ) = 0.01 at σ = (1 + √0.96)/2, i.e. x = ln(σ/(1 − σ)) ≈ 4.5848."""
    s = (1 + math.sqrt(0.96)) / 2
    edge = math.log(s / (1 - s))
    act = A.activations()["sigmoid"]
    assert not A.vanishing(act.df(edge - 1e-6)) and A.vanishing(act.df(edge + 1e-6))
    assert edge == pytest.approx(4.5848, abs=1e-4)


def test_softmax_and_its_jacobian_equal_torch():
    z = np.array([2.0, 0.0, -2.0, -3.0])
    np.testing.assert_allclose(A.softmax(z), torch.softmax(t(z), 0).numpy(), rtol=1e-14)
    jac = torch.autograd.functional.jacobian(lambda v: torch.softmax(v, 0), t(z))
    np.testing.assert_allclose(A.softmax_jacobian(z), jac.numpy(), atol=1e-15)
    # the page's default logits round to the notes' 0.86, 0.11, 0.015 (and 0.0058, which the notes print as 0.005)
    np.testing.assert_allclose(A.softmax(z)[:3], [0.86, 0.11, 0.015], atol=0.008)


def test_softmax_does_not_overflow_and_ignores_a_shift():
    p = A.softmax([1000.0, 999.0])
    assert np.all(np.isfinite(p)) and p.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(A.softmax([1.0, 2.0, 3.0]), A.softmax([101.0, 102.0, 103.0]), rtol=1e-13)
