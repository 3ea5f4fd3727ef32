"""LSTM and vanilla RNN: gradients through time, PyTorch cross-checks, gradient flow, the memory task."""


import numpy as np
import pytest
from helpers import numeric_grad, require_torch

from nets import (
    GATES,
    LSTMParams,
    RNNParams,
    gradient_flow,
    init_lstm,
    init_rnn,
    lstm_backward,
    lstm_forward,
    lstm_state_jacobian_norms,
    lstm_step,
    lstm_vs_rnn,
    memory_task,
    rnn_backward,
    rnn_forward,
    rnn_state_jacobian_norms,
    to_torch_lstm_cell,
    train_memory_task,
)






T, B, D, H = 6, 2, 3, 4


@pytest.fixture
def lstm_setup():
    rng = np.random.default_rng(0)
    p = init_lstm(D, H, forget_bias=1.0, scale=1.5, seed=1)
    p = LSTMParams(p.W.copy(), p.b + rng.normal(0, 0.3, p.b.shape))
    xs = rng.standard_normal((T, B, D))
    h0, c0 = rng.normal(0, 0.5, (B, H)), rng.normal(0, 0.5, (B, H))
    w_hs, w_h, w_c = rng.standard_normal((T, B, H)), rng.standard_normal((B, H)), rng.standard_normal((B, H))
    return p, xs, h0, c0, w_hs, w_h, w_c


def test_lstm_backward_through_time_matches_finite_differences(lstm_setup):
    p, xs, h0, c0, w_hs, w_h, w_c = lstm_setup

    def loss():  # every output, the last hidden state and the last cell state all feed the loss
        hs, cache = lstm_forward(p, xs, h0, c0)
        return float(np.sum(w_hs * hs) + np.sum(w_h * hs[-1]) + np.sum(w_c * cache.c[-1]))

    _, cache = lstm_forward(p, xs, h0, c0)
    g = lstm_backward(p, cache, w_hs, dh_last=w_h, dc_last=w_c)
    for analytic, x in ((g.W, p.W), (g.b, p.b), (g.xs, xs), (g.h0, h0), (g.c0, c0)):
        np.testing.assert_allclose(analytic, numeric_grad(loss, x), rtol=1e-6, atol=1e-9)


def test_lstm_forward_follows_the_gate_equations(lstm_setup):
    p, xs, h0, c0, *_ = lstm_setup
    hs, cache = lstm_forward(p, xs, h0, c0)
    sig = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    h, c = h0, c0
    for t in range(T):
        hx = np.concatenate([h, xs[t]], axis=1)  # [h_{t-1}, x_t]
        f = sig(hx @ p.W[GATES.index("f")].T + p.b[0])
        i = sig(hx @ p.W[GATES.index("i")].T + p.b[1])
        ct = np.tanh(hx @ p.W[GATES.index("c")].T + p.b[2])
        o = sig(hx @ p.W[GATES.index("o")].T + p.b[3])
        c = f * c + i * ct
        h = o * np.tanh(c)
        for name, ref in (("f", f), ("i", i), ("c_tilde", ct), ("o", o)):
            np.testing.assert_allclose(getattr(cache, name)[t], ref, rtol=1e-13, err_msg=name)
        np.testing.assert_allclose(hs[t], h, rtol=1e-13)
        np.testing.assert_allclose(cache.c[t + 1], c, rtol=1e-13)
        step_h, step_c, _ = lstm_step(p, xs[t], cache.h[t], cache.c[t])
        np.testing.assert_allclose(step_h, h, rtol=1e-13)
        np.testing.assert_allclose(step_c, c, rtol=1e-13)


def test_lstm_matches_torch_lstm_cell_forward_and_gradients(lstm_setup):
    torch = require_torch("the cross-check against torch.nn.LSTMCell/RNNCell")
    p, xs, h0, c0, w_hs, *_ = lstm_setup
    cell = torch.nn.LSTMCell(D, H).double()
    cell.load_state_dict({k: torch.from_numpy(v) for k, v in to_torch_lstm_cell(p).items()})
    xt = torch.tensor(xs, requires_grad=True)
    h, c = torch.tensor(h0), torch.tensor(c0)
    outs = []
    for t in range(T):
        h, c = cell(xt[t], (h, c))
        outs.append(h)
    out = torch.stack(outs)
    (out * torch.tensor(w_hs)).sum().backward()

    hs, cache = lstm_forward(p, xs, h0, c0)
    np.testing.assert_allclose(hs, out.detach().numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(cache.c[-1], c.detach().numpy(), rtol=1e-12, atol=1e-14)
    g = lstm_backward(p, cache, w_hs)
    np.testing.assert_allclose(g.xs, xt.grad.numpy(), rtol=1e-10, atol=1e-13)
    mapped = to_torch_lstm_cell(LSTMParams(g.W, g.b))
    np.testing.assert_allclose(mapped["weight_ih"], cell.weight_ih.grad.numpy(), rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(mapped["weight_hh"], cell.weight_hh.grad.numpy(), rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(mapped["bias_ih"], cell.bias_ih.grad.numpy(), rtol=1e-10, atol=1e-13)


@pytest.fixture
def rnn_setup():
    rng = np.random.default_rng(3)
    p = init_rnn(D, H, scale=1.2, seed=2)
    p = RNNParams(p.W_h, p.W_x, rng.normal(0, 0.3, H))
    return p, rng.standard_normal((T, B, D)), rng.normal(0, 0.5, (B, H)), rng.standard_normal((T, B, H))


def test_rnn_backward_through_time_matches_finite_differences(rnn_setup):
    p, xs, h0, w_hs = rnn_setup
    w_last = np.random.default_rng(9).standard_normal((B, H))

    def loss():
        hs, _ = rnn_forward(p, xs, h0)
        return float(np.sum(w_hs * hs) + np.sum(w_last * hs[-1]))

    _, cache = rnn_forward(p, xs, h0)
    g = rnn_backward(p, cache, w_hs, dh_last=w_last)
    for analytic, x in ((g.W_h, p.W_h), (g.W_x, p.W_x), (g.b, p.b), (g.xs, xs), (g.h0, h0)):
        np.testing.assert_allclose(analytic, numeric_grad(loss, x), rtol=1e-6, atol=1e-9)


def test_rnn_matches_torch_rnn_cell(rnn_setup):
    torch = require_torch("the cross-check against torch.nn.LSTMCell/RNNCell")
    p, xs, h0, _ = rnn_setup
    cell = torch.nn.RNNCell(D, H, nonlinearity="tanh").double()
    cell.load_state_dict({"weight_ih": torch.tensor(p.W_x), "weight_hh": torch.tensor(p.W_h),
                          "bias_ih": torch.tensor(p.b), "bias_hh": torch.zeros(H, dtype=torch.float64)})
    h = torch.tensor(h0)
    hs, _ = rnn_forward(p, xs, h0)
    for t in range(T):
        h = cell(torch.tensor(xs[t]), h)
        np.testing.assert_allclose(hs[t], h.detach().numpy(), rtol=1e-12, atol=1e-14)


def _fd_jacobian(fn, v, h=1e-6):
    """Jacobian of fn: (H,) -> (H,) by central differences, rows = outputs."""
    cols = []
    for k in range(v.size):
        e = np.zeros_like(v)
        e[k] = h
        cols.append((fn(v + e) - fn(v - e)) / (2 * h))
    return np.stack(cols, axis=1)


def test_rnn_state_jacobian_norms_match_finite_differences(rnn_setup):
    p, xs, h0, _ = rnn_setup
    _, cache = rnn_forward(p, xs, h0)
    norms = rnn_state_jacobian_norms(p, cache)
    assert norms.shape == (T + 1, B)
    for t in range(T + 1):
        for b in range(B):
            J = _fd_jacobian(lambda v: rnn_forward(p, xs[t:, b:b + 1], v[None])[0][-1, 0] if t < T else v,
                             cache.h[t, b])
            np.testing.assert_allclose(norms[t, b], np.linalg.norm(J), rtol=1e-7)


def test_lstm_state_jacobian_norms_match_finite_differences(lstm_setup):
    p, xs, h0, c0, *_ = lstm_setup
    _, cache = lstm_forward(p, xs, h0, c0)
    nh, nc = lstm_state_jacobian_norms(p, cache)

    def h_last(h, c, t, b):
        return lstm_forward(p, xs[t:, b:b + 1], h[None], c[None])[0][-1, 0] if t < T else h

    for t in range(T + 1):
        for b in range(B):
            ht, ct = cache.h[t, b], cache.c[t, b]
            Jh = _fd_jacobian(lambda v: h_last(v, ct, t, b), ht)
            if t == 0:  # h_0 is given, not computed from c_0
                Jc = _fd_jacobian(lambda v: h_last(ht, v, t, b), ct)
            else:  # every path from c_t, including h_t = o_t * tanh(c_t)
                o = cache.o[t - 1, b]
                Jc = _fd_jacobian(lambda v: h_last(o * np.tanh(v), v, t, b), ct)
            np.testing.assert_allclose(nh[t, b], np.linalg.norm(Jh), rtol=1e-7)
            np.testing.assert_allclose(nc[t, b], np.linalg.norm(Jc), rtol=1e-7)


def test_linear_regime_rnn_jacobian_is_a_matrix_power():
    # with zero input, zero bias and h0 = 0 the states stay 0, tanh' = 1, and dh_T/dh_t = W_h^(T - t) exactly
    W_h = init_rnn(2, 5, seed=4).W_h
    p = RNNParams(W_h * (1.2 / np.max(np.abs(np.linalg.eigvals(W_h)))), np.ones((5, 2)), np.zeros(5))
    _, cache = rnn_forward(p, np.zeros((30, 1, 2)))
    norms = rnn_state_jacobian_norms(p, cache)[:, 0]
    expected = [np.linalg.norm(np.linalg.matrix_power(p.W_h, 30 - t)) for t in range(31)]
    np.testing.assert_allclose(norms, expected, rtol=1e-10)
    assert norms[0] > 100 * norms[30]  # exploding


def test_gradient_flow_shows_vanishing_rnn_and_persistent_lstm_gradients():
    g = gradient_flow(T=60)
    assert g.steps.shape == g.rnn.shape == g.lstm_h.shape == g.lstm_c.shape == (61,)
    assert g.forget_gate.shape == (60,)
    np.testing.assert_allclose([g.rnn[60], g.lstm_h[60]], [4.0, 4.0])  # ||I_16||_F
    np.testing.assert_allclose(g.rnn_spectral_radius, 1.0, rtol=1e-12)
    assert g.rnn[0] < 1e-6 * g.rnn[60]  # vanished over 60 steps
    assert g.lstm_h[0] > 1e-2 * g.lstm_h[60] and g.lstm_c[0] > 1e-2 * g.lstm_h[60]  # still there
    assert 0.8 < g.forget_gate.mean() < 0.95  # sigma(2) = 0.88, moved by the weights
    no_memory = gradient_flow(T=60, forget_bias=0.0)
    assert no_memory.lstm_h[0] < 1e-6 * no_memory.lstm_h[60]
    exploding = gradient_flow(T=60, rnn_radius=1.2, input_scale=0.0)
    assert exploding.rnn[0] > 1e3 * exploding.rnn[60]


def test_memory_task_layout():
    task = memory_task(200, 7, noise=0.5, seed=1)
    assert task.xs.shape == (7, 200, 2) and task.y.shape == (200,)
    np.testing.assert_array_equal(task.xs[0, :, 0], 2 * task.y - 1)
    np.testing.assert_array_equal(task.xs[0, :, 1], 1.0)
    np.testing.assert_array_equal(task.xs[1:, :, 1], 0.0)
    assert 0.4 < task.xs[1:, :, 0].std() < 0.6 and 60 < task.y.sum() < 140


@pytest.fixture(scope="module")
def comparison():
    return lstm_vs_rnn()  # the shipped defaults: T = 50, hidden 8, 300 Adam steps, seed 0


def test_lstm_learns_the_memory_task_and_the_rnn_does_not(comparison):
    lstm, rnn = comparison.lstm, comparison.rnn
    assert comparison.T == 50
    assert lstm.final_accuracy >= 0.95
    assert abs(rnn.final_accuracy - 0.5) < 0.1  # chance: 500 held-out sequences, sd of chance 0.022
    assert np.max(rnn.eval_accuracy) < 0.6  # not at any point during training either
    assert lstm.eval_loss[-1] < 0.2 < 0.6 < rnn.eval_loss[-1]
    for c in (lstm, rnn):
        assert c.loss.shape == (300,) and c.eval_steps[0] == 0 and c.eval_steps[-1] == 300
        assert c.eval_loss.shape == c.eval_accuracy.shape == c.eval_steps.shape
        assert abs(c.eval_accuracy[0] - 0.5) < 0.1  # both start at chance


def test_the_rnn_does_learn_when_the_gap_is_short():
    # the same code and optimizer solve the task for T = 5: the failure above is the distance, not a bug
    rnn = train_memory_task("rnn", T=5, steps=100)
    assert rnn.final_accuracy > 0.95


def test_training_is_reproducible_from_the_seed():
    a = train_memory_task("lstm", T=8, steps=15, seed=3)
    b = train_memory_task("lstm", T=8, steps=15, seed=3)
    np.testing.assert_array_equal(a.loss, b.loss)
    c = train_memory_task("lstm", T=8, steps=15, seed=4)
    assert not np.array_equal(a.loss, c.loss)


def test_bad_arguments_are_refused():
    p = init_lstm(D, H)
    with pytest.raises(ValueError, match="T, B, D"):
        lstm_forward(p, np.zeros((T, D)))
    with pytest.raises(ValueError, match="features"):
        lstm_forward(p, np.zeros((T, B, D + 1)))
    with pytest.raises(ValueError, match="model"):
        train_memory_task("gru", steps=1)


def test_preactivations_are_the_gates_before_squashing(lstm_setup):
    from nets.lstm import lstm_preactivations

    p, xs, h0, c0, *_ = lstm_setup
    _, cache = lstm_forward(p, xs, h0, c0)
    z = lstm_preactivations(p, cache)
    assert z.shape == (T, B, 4, H)
    sigmoid = lambda a: 1.0 / (1.0 + np.exp(-a))  # noqa: E731
    np.testing.assert_allclose(sigmoid(z[:, :, 0]), cache.f, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(sigmoid(z[:, :, 1]), cache.i, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(np.tanh(z[:, :, 2]), cache.c_tilde, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(sigmoid(z[:, :, 3]), cache.o, rtol=1e-13, atol=1e-15)
    # written out for one step and one unit: z = W_g [h_{t-1}, x_t] + b_g
    t, b, k = 3, 1, 2
    hx = np.concatenate([cache.h[t, b], xs[t, b]])
    for g in range(4):
        assert z[t, b, g, k] == pytest.approx(p.W[g, k] @ hx + p.b[g, k], rel=1e-13)


@pytest.mark.parametrize("T, hidden, expected", [
    (100, 32, 120),  # 450,000 // (100 * 36) = 125, down to a multiple of 10
    (50, 8, 600),  # 450,000 // 600 = 750, capped at the slider's 600
    (100, 8, 370),  # 450,000 // 1,200 = 375
    (77, 13, 340),  # 450,000 // 1,309 = 343
])
def test_the_memory_task_budget_caps_the_steps(T, hidden, expected):
    import nets

    assert nets.MEMORY_BUDGET == 450_000
    assert nets.max_memory_steps(T, hidden) == expected
    assert nets.max_memory_steps(T, hidden) * T * (hidden + 4) <= nets.MEMORY_BUDGET
