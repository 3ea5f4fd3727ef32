"""Toy datasets, the MLP's manual backpropagation, and the BatchNorm learning-rate experiment."""

import numpy as np
import pytest

from nets.toy import (
    bce_with_logits,
    bn_learning_rate_experiment,
    init_mlp,
    mlp_backward,
    mlp_forward,
    spirals,
    two_moons,
)


@pytest.mark.parametrize("make", [two_moons, spirals])
def test_datasets_are_seeded_balanced_and_standardized(make):
    d = make(301, seed=4)
    assert d.X.shape == (301, 2) and d.y.shape == (301,)
    assert set(np.unique(d.y)) == {0.0, 1.0} and d.y.sum() == 151
    np.testing.assert_allclose(d.X.mean(0), 0.0, atol=1e-12)
    np.testing.assert_allclose(d.X.std(0), 1.0, rtol=1e-12)
    np.testing.assert_array_equal(make(301, seed=4).X, d.X)
    assert not np.array_equal(make(301, seed=5).X, d.X)


def test_bce_with_logits_value_and_gradient():
    z = np.array([[-800.0, -2.0, 0.0, 3.0, 800.0]])
    y = np.array([1.0, 0.0, 1.0, 1.0, 0.0])
    loss, dz = bce_with_logits(z, y)
    p = 1 / (1 + np.exp(-z[0, 1:4]))
    terms = [800.0, -np.log(1 - p[0]), -np.log(p[1]), -np.log(p[2]), 800.0]
    np.testing.assert_allclose(loss, [np.mean(terms)], rtol=1e-12)
    np.testing.assert_allclose(dz, [[-0.2, p[0] / 5, (p[1] - 1) / 5, (p[2] - 1) / 5, 0.2]], rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize("use_bn", [False, True])
def test_mlp_backward_matches_finite_differences(use_bn):
    rng = np.random.default_rng(0)
    params = init_mlp((2, 5, 4, 1), runs=2, seed=1)
    params = params._replace(gamma=tuple(g + rng.normal(0, 0.2, g.shape) for g in params.gamma),
                             beta=tuple(b + rng.normal(0, 0.2, b.shape) for b in params.beta),
                             b=tuple(b + rng.normal(0, 0.2, b.shape) for b in params.b))
    X, y = rng.standard_normal((9, 2)), rng.integers(0, 2, 9).astype(float)

    def loss():
        return float(bce_with_logits(mlp_forward(params, X, use_bn=use_bn)[0], y)[0].sum())

    z, cache = mlp_forward(params, X, use_bn=use_bn)
    grads = mlp_backward(params, cache, bce_with_logits(z, y)[1], use_bn=use_bn)
    for name in ("W", "b") + (("gamma", "beta") if use_bn else ()):
        for p, g in zip(getattr(params, name), getattr(grads, name)):
            num = np.zeros_like(p)
            for idx in np.ndindex(p.shape):
                old = p[idx]
                p[idx] = old + 1e-6
                fp = loss()
                p[idx] = old - 1e-6
                fm = loss()
                p[idx] = old
                num[idx] = (fp - fm) / 2e-6
            np.testing.assert_allclose(g, num, rtol=1e-5, atol=1e-8, err_msg=name)


@pytest.fixture(scope="module")
def experiment():
    return bn_learning_rate_experiment()  # the pages' default: five learning rates x (plain, BN)


def test_experiment_curves_have_the_documented_shapes(experiment):
    r = experiment
    R, steps = len(r.learning_rates), r.steps
    np.testing.assert_array_equal(r.learning_rates, [0.01, 0.1, 1.0, 3.0, 10.0])
    for c in (r.plain, r.bn):
        assert c.loss.shape == (R, steps)
        assert c.eval_loss.shape == (R, len(c.eval_steps)) and c.eval_steps[-1] == steps
        assert c.accuracy.shape == c.diverged_at.shape == c.final_loss.shape == (R,)
        assert len(c.outcome) == R
        # a curve is finite up to its divergence and NaN afterwards
        for k in range(R):
            stop = c.diverged_at[k] if c.diverged_at[k] >= 0 else steps
            assert np.all(np.isfinite(c.loss[k, :stop])) and np.all(np.isnan(c.loss[k, stop:]))


def test_every_run_starts_from_the_same_point(experiment):
    # same initial weights and same first mini-batch: the first loss cannot depend on the learning rate,
    # and the plain and BN networks start at losses of the same size (both near log 2 for a fresh net)
    for c in (experiment.plain, experiment.bn):
        np.testing.assert_allclose(c.loss[:, 0], c.loss[0, 0], rtol=1e-13)
    assert 0.3 < experiment.plain.loss[0, 0] < 3.0 and 0.3 < experiment.bn.loss[0, 0] < 3.0


def test_what_the_experiment_shows(experiment):
    """The notes' claim, as this setup bears it out: BN trains at a learning rate (3) where the plain network
    is stuck at chance, but it does not make every learning rate work (at 10 both fail: the plain net
    overflows, the BN net stays at chance)."""
    plain, bnc = experiment.plain, experiment.bn
    assert plain.outcome == ("trained", "trained", "trained", "stuck", "diverged")
    assert bnc.outcome == ("trained", "trained", "trained", "trained", "stuck")
    assert plain.diverged_at[4] >= 0 and np.all(bnc.diverged_at == -1)
    assert bnc.accuracy[3] > 0.95 and plain.accuracy[3] < 0.6
    # where both train, both fit the moons well
    assert np.all(plain.accuracy[1:3] > 0.95) and np.all(bnc.accuracy[:3] > 0.95)
    # and at the smallest learning rate BN gets further in the same number of steps
    assert bnc.eval_loss[0, -1] < plain.eval_loss[0, -1]


def test_experiment_refuses_bad_arguments():
    with pytest.raises(ValueError, match="learning_rates"):
        bn_learning_rate_experiment([0.1, -1.0])
    with pytest.raises(ValueError, match="dataset"):
        bn_learning_rate_experiment(dataset="circles")
    with pytest.raises(ValueError, match="batch_size"):
        bn_learning_rate_experiment(batch_size=1)
