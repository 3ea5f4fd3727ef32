"""Batch Normalization: finite-difference gradients, exact output moments, running averages, and PyTorch."""


import numpy as np
import pytest
from helpers import numeric_grad, require_torch
from hypothesis import given, settings
from hypothesis import strategies as st

from nets.batchnorm import (
    batchnorm_backward,
    batchnorm_forward,
    batchnorm_inference,
    init_running_stats,
    make_activations,
    running_average_demo,
    update_running_stats,
)






@pytest.mark.parametrize("eps_in_sqrt", [True, False])
@pytest.mark.parametrize("shape", [(7, 3), (2, 5, 4)])
def test_backward_matches_finite_differences(eps_in_sqrt, shape):
    rng = np.random.default_rng(1)
    x = rng.normal(2.0, 1.5, shape)
    stat_shape = shape[:-2] + shape[-1:]
    gamma, beta = rng.normal(1.0, 0.5, stat_shape), rng.normal(0.0, 0.5, stat_shape)
    w = rng.standard_normal(shape)  # loss = sum(w * y): a generic linear functional of the output
    eps = 0.05  # large enough that a misplaced eps would change the gradient visibly

    def loss():
        return float(np.sum(w * batchnorm_forward(x, gamma, beta, eps=eps, eps_in_sqrt=eps_in_sqrt)[0]))

    _, cache = batchnorm_forward(x, gamma, beta, eps=eps, eps_in_sqrt=eps_in_sqrt)
    g = batchnorm_backward(w, cache)
    np.testing.assert_allclose(g.dx, numeric_grad(loss, x), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(g.dgamma, numeric_grad(loss, gamma), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(g.dbeta, numeric_grad(loss, beta), rtol=1e-6, atol=1e-8)
    # the gradient w.r.t. the input sums to 0 over the batch: shifting every h_i by the same amount changes nothing
    np.testing.assert_allclose(g.dx.sum(axis=-2), 0.0, atol=1e-12)


@pytest.mark.parametrize("eps", [1e-5, 0.1, 1.0])
def test_training_output_has_mean_zero_and_the_exact_eps_shrunk_variance(eps):
    x = make_activations(50, 4, shift=5.0, scale=0.7, skew=3.0, seed=3)
    v = np.var(x, axis=0)  # biased batch variance, computed independently
    y, cache = batchnorm_forward(x, eps=eps)
    np.testing.assert_allclose(cache.var, v, rtol=1e-13)
    np.testing.assert_allclose(y.mean(axis=0), 0.0, atol=1e-13)
    np.testing.assert_allclose(y.var(axis=0), v / (v + eps), rtol=1e-12)
    y_notes, _ = batchnorm_forward(x, eps=eps, eps_in_sqrt=False)
    np.testing.assert_allclose(y_notes.mean(axis=0), 0.0, atol=1e-13)
    np.testing.assert_allclose(y_notes.var(axis=0), v / (np.sqrt(v) + eps) ** 2, rtol=1e-12)


@settings(max_examples=100, deadline=None)
@given(st.integers(2, 40), st.floats(-100, 100), st.floats(0.01, 100), st.floats(-10, 10), st.integers(0, 2**32 - 1),
       st.floats(0.0, 1.0), st.booleans())
def test_training_moments_hold_for_any_batch(m, shift, scale, skew, seed, eps, eps_in_sqrt):
    x = make_activations(m, 3, shift=shift, scale=scale, skew=skew, seed=seed)
    v = np.var(x, axis=0)
    y, _ = batchnorm_forward(x, eps=eps, eps_in_sqrt=eps_in_sqrt)
    expected = v / (v + eps) if eps_in_sqrt else v / (np.sqrt(v) + eps) ** 2
    np.testing.assert_allclose(y.mean(axis=0), 0.0, atol=1e-10)
    np.testing.assert_allclose(y.var(axis=0), expected, rtol=1e-9, atol=1e-14)


def test_eps_zero_gives_exactly_unit_variance_and_forms_agree():
    x = make_activations(9, 2, shift=-1.0, scale=3.0, seed=0)
    y, _ = batchnorm_forward(x, eps=0.0)
    y_notes, _ = batchnorm_forward(x, eps=0.0, eps_in_sqrt=False)
    np.testing.assert_allclose(y.var(axis=0), 1.0, rtol=1e-13)
    np.testing.assert_allclose(y, y_notes, rtol=1e-13)


def test_intermediates_follow_the_formulas_step_by_step():
    x = np.array([[1.0, 10.0], [2.0, 20.0], [6.0, 60.0]])
    y, c = batchnorm_forward(x, gamma=[2.0, 0.5], beta=[1.0, -1.0], eps=1e-3)
    np.testing.assert_allclose(c.mu, [3.0, 30.0])
    np.testing.assert_allclose(c.var, [14 / 3, 1400 / 3])  # ((-2)^2 + (-1)^2 + 3^2) / 3
    np.testing.assert_allclose(c.sigma, np.sqrt([14 / 3, 1400 / 3]))
    np.testing.assert_allclose(c.denom, np.sqrt(np.array([14 / 3, 1400 / 3]) + 1e-3))
    np.testing.assert_allclose(c.x_centered, [[-2, -20], [-1, -10], [3, 30]])
    np.testing.assert_allclose(c.x_hat, c.x_centered / c.denom)
    np.testing.assert_allclose(y, [2.0, 0.5] * c.x_hat + [1.0, -1.0])
    _, notes = batchnorm_forward(x, eps=1e-3, eps_in_sqrt=False)
    np.testing.assert_allclose(notes.denom, np.sqrt([14 / 3, 1400 / 3]) + 1e-3)


def test_make_activations_has_the_requested_population_moments_and_skew():
    x = make_activations(200_000, 1, shift=3.0, scale=2.0, skew=5.0, seed=7)[:, 0]
    assert abs(x.mean() - 3.0) < 0.02 and abs(x.std() - 2.0) < 0.02
    delta = 5.0 / np.sqrt(26.0)
    b = delta * np.sqrt(2 / np.pi)
    skew_expected = (4 - np.pi) / 2 * b ** 3 / (1 - b ** 2) ** 1.5  # skewness of the skew-normal distribution
    skew_sample = np.mean((x - x.mean()) ** 3) / x.std() ** 3
    assert abs(skew_sample - skew_expected) < 0.03
    assert skew_expected > 0.8
    left = make_activations(200_000, 1, skew=-5.0, seed=7)[:, 0]
    assert np.mean(left ** 3) < -0.8
    np.testing.assert_array_equal(make_activations(5, 2, seed=1), make_activations(5, 2, seed=1))


def test_inference_uses_running_statistics_and_treats_examples_independently():
    rng = np.random.default_rng(0)
    stats = init_running_stats(3)
    for _ in range(5):
        _, cache = batchnorm_forward(rng.normal(4.0, 2.0, (16, 3)))
        stats = update_running_stats(stats, cache, momentum=0.1)
    x = rng.normal(4.0, 2.0, (8, 3))
    gamma, beta = np.array([1.0, 2.0, 0.5]), np.array([0.0, -1.0, 3.0])
    y = batchnorm_inference(x, stats, gamma, beta)
    np.testing.assert_allclose(y, gamma * (x - stats.mean) / np.sqrt(stats.var + 1e-5) + beta, rtol=1e-13)
    # one example alone gives the same output as inside the batch ...
    np.testing.assert_allclose(batchnorm_inference(x[2:3], stats, gamma, beta), y[2:3], rtol=1e-13)
    # ... while in training mode its output depends on its batch-mates
    y_train, _ = batchnorm_forward(x, gamma, beta)
    y_train_half, _ = batchnorm_forward(x[:4], gamma, beta)
    assert np.max(np.abs(y_train[2] - y_train_half[2])) > 1e-3


def test_running_update_formula_and_conventions():
    x = np.array([[1.0], [2.0], [6.0]])
    _, cache = batchnorm_forward(x)
    s = update_running_stats(init_running_stats(1), cache, momentum=0.25)
    np.testing.assert_allclose(s.mean, 0.75 * 0 + 0.25 * 3.0)
    np.testing.assert_allclose(s.var, 0.75 * 1 + 0.25 * 7.0)  # unbiased: 14 / (3 - 1)
    s_biased = update_running_stats(init_running_stats(1), cache, momentum=0.25, unbiased=False)
    np.testing.assert_allclose(s_biased.var, 0.75 * 1 + 0.25 * 14 / 3)
    assert s.count == 1
    with pytest.raises(ValueError, match="momentum"):
        update_running_stats(s, cache, momentum=0.0)


def test_running_average_demo_converges_to_the_population():
    tr = running_average_demo(n_batches=200, m=32, shift=3.0, scale=2.0, momentum=0.1, seed=0)
    assert tr.running_mean.shape == (200, 1) and tr.probe_train.shape == (200, 1)
    assert abs(tr.running_mean[-1, 0] - 3.0) < 0.25
    assert abs(tr.running_var[-1, 0] - 4.0) < 1.0
    assert abs(tr.running_mean[0, 0] - 0.3) < 0.1  # one step from 0 towards about 3 with momentum 0.1
    # the probe sits one population standard deviation above the mean
    assert abs(np.mean(tr.probe_inference[-50:]) - 1.0) < 0.1
    assert np.std(tr.probe_train[-50:]) > 3 * np.std(tr.probe_inference[-50:])


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="eps"):
        batchnorm_forward(np.ones((3, 1)), eps=-1.0)
    with pytest.raises(ValueError, match="constant"):
        batchnorm_forward(np.ones((3, 1)), eps=0.0)
    with pytest.raises(ValueError, match="gamma"):
        batchnorm_forward(np.ones((3, 2)) * [[1], [2], [3]], gamma=[1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="scale"):
        make_activations(4, scale=0.0)


@pytest.mark.parametrize("eps", [1e-5, 0.1])
def test_forward_backward_and_running_stats_match_torch(eps):
    torch = require_torch("the cross-check against torch.nn.functional.batch_norm")
    F = torch.nn.functional
    rng = np.random.default_rng(5)
    x = make_activations(12, 3, shift=2.0, scale=3.0, skew=2.0, seed=2)
    gamma, beta = rng.normal(1, 0.3, 3), rng.normal(0, 0.3, 3)
    dy = rng.standard_normal((12, 3))

    xt = torch.tensor(x, requires_grad=True)
    gt, bt = torch.tensor(gamma, requires_grad=True), torch.tensor(beta, requires_grad=True)
    rm, rv = torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64)
    yt = F.batch_norm(xt, rm, rv, gt, bt, training=True, momentum=0.1, eps=eps)
    yt.backward(torch.tensor(dy))

    y, cache = batchnorm_forward(x, gamma, beta, eps=eps)
    g = batchnorm_backward(dy, cache)
    stats = update_running_stats(init_running_stats(3), cache, momentum=0.1)
    np.testing.assert_allclose(y, yt.detach().numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(g.dx, xt.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(g.dgamma, gt.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(g.dbeta, bt.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(stats.mean, rm.numpy(), rtol=1e-13)
    np.testing.assert_allclose(stats.var, rv.numpy(), rtol=1e-13)

    x_new = rng.normal(0, 2, (4, 3))
    y_inf = F.batch_norm(torch.tensor(x_new), rm, rv, torch.tensor(gamma), torch.tensor(beta), training=False,
                         eps=eps)
    np.testing.assert_allclose(batchnorm_inference(x_new, stats, gamma, beta, eps=eps), y_inf.numpy(), rtol=1e-12,
                               atol=1e-13)
