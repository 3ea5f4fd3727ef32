"""Gradient flow through time: how far back a loss at the last step reaches, in a vanilla RNN and in an LSTM
(the norms of the state Jacobians, see ``nets.lstm`` for the cells)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .lstm import LSTMCache, LSTMParams, RNNCache, RNNParams, init_lstm, init_rnn, lstm_forward, rnn_forward


def rnn_state_jacobian_norms(params: RNNParams, cache: RNNCache) -> np.ndarray:
    r"""Frobenius norms :math:`\lVert \partial h_T / \partial h_t \rVert_F` for :math:`t = 0..T`, ``(T + 1, B)``.

    .. math::
        \frac{\partial h_T}{\partial h_{t-1}} = \frac{\partial h_T}{\partial h_t}\,
        \operatorname{diag}(1 - h_t^2)\, W_h, \qquad \frac{\partial h_T}{\partial h_T} = I

    Computed for every sequence of the batch by backpropagating the H unit vectors at once.
    """
    T, B, _ = cache.xs.shape
    H = params.W_h.shape[0]
    J = np.broadcast_to(np.eye(H), (B, H, H)).copy()  # J[b, k, :] = d h_T[k] / d h_t
    norms = np.empty((T + 1, B))
    norms[T] = np.sqrt(H)
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(T, 0, -1):
            J = (J * (1.0 - cache.h[t] ** 2)[:, None, :]) @ params.W_h
            norms[t - 1] = np.linalg.norm(J, axis=(1, 2))
    return norms


def lstm_state_jacobian_norms(params: LSTMParams, cache: LSTMCache) -> tuple[np.ndarray, np.ndarray]:
    r"""Frobenius norms of :math:`\partial h_T/\partial h_t` and :math:`\partial h_T/\partial c_t`, each
    ``(T + 1, B)`` for :math:`t = 0..T`.

    :math:`\partial h_T/\partial c_t` counts every path from the cell state :math:`c_t` to :math:`h_T`,
    including the one through :math:`h_t = o_t \tanh c_t`; :math:`\partial h_T/\partial h_t` every path from
    :math:`h_t` (through the gates of step t + 1). The recursion is :func:`lstm_backward`'s with a matrix of
    H unit vectors in place of the gradient.
    """
    T, B, _ = cache.xs.shape
    H = params.hidden_size
    W_h = params.W.reshape(4 * H, -1)[:, :H]
    dh = np.broadcast_to(np.eye(H), (B, H, H)).copy()  # dh[b, k, :] = d h_T[k] / d h_t
    dc = np.zeros((B, H, H))  # gradient reaching c_t from step t + 1 only
    nh, nc = np.empty((T + 1, B)), np.empty((T + 1, B))
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(T, 0, -1):  # state index; the step that produced h_t, c_t is t - 1
            f, i, g, o, tc = (a[t - 1][:, None, :] for a in (cache.f, cache.i, cache.c_tilde, cache.o,
                                                             cache.tanh_c))
            dc = dc + dh * o * (1.0 - tc * tc)  # now every path from c_t, including the one through h_t
            nh[t], nc[t] = np.linalg.norm(dh, axis=(1, 2)), np.linalg.norm(dc, axis=(1, 2))
            dz = np.concatenate([dc * cache.c[t - 1][:, None, :] * f * (1 - f), dc * g * i * (1 - i),
                                 dc * i * (1 - g * g), dh * tc * o * (1 - o)], axis=-1)  # (B, H, 4H)
            dh = dz @ W_h
            dc = dc * f
        nh[0], nc[0] = np.linalg.norm(dh, axis=(1, 2)), np.linalg.norm(dc, axis=(1, 2))
    return nh, nc


class GradientFlow(NamedTuple):
    """What :func:`gradient_flow` measured; norms are indexed by t = 0..T (``steps``)."""

    steps: np.ndarray  #: (T + 1,) t
    rnn: np.ndarray  #: (T + 1,) vanilla RNN, :math:`\lVert\partial h_T/\partial h_t\rVert_F`
    lstm_h: np.ndarray  #: (T + 1,) LSTM, :math:`\lVert\partial h_T/\partial h_t\rVert_F`
    lstm_c: np.ndarray  #: (T + 1,) LSTM, :math:`\lVert\partial h_T/\partial c_t\rVert_F`
    forget_gate: np.ndarray  #: (T,) mean forget-gate value at each step
    rnn_spectral_radius: float  #: largest |eigenvalue| of W_h


def gradient_flow(T: int = 60, hidden: int = 16, *, rnn_radius: float = 1.0, forget_bias: float = 2.0,
                  lstm_scale: float = 1.0, input_scale: float = 1.0, seed: int = 0) -> GradientFlow:
    r"""How far back a gradient reaches: :math:`\lVert\partial h_T/\partial h_t\rVert` over T steps of a
    seeded random input, for a vanilla RNN and an LSTM of the same width, both at their initial weights.

    ``rnn_radius`` is the spectral radius of the RNN's :math:`W_h` (a seeded Gaussian matrix rescaled to it).
    While the states stay in tanh's linear range (small ``input_scale``), the norms shrink geometrically for
    a radius below 1 and grow for a radius above 1; with larger inputs tanh saturates, its derivative
    :math:`1 - h_t^2` falls below 1, and the gradients vanish even for a radius somewhat above 1.

    ``forget_bias`` sets the LSTM's :math:`b_f` (its other weights are :func:`init_lstm`'s). The cell-state
    path multiplies by the forget gate, :math:`\partial c_t/\partial c_{t-1} \ni \operatorname{diag}(f_t)`;
    with :math:`\sigma(2) \approx 0.88` and the gate paths adding to it the norms stay within an order of
    magnitude over 60 steps, while with :math:`b_f = 0` (:math:`f_t \approx 0.5`) they vanish like the RNN's.
    Exploding norms need the states to stay small: e.g. ``rnn_radius=1.2, input_scale=0`` keeps every
    :math:`h_t = 0`, so :math:`\partial h_T/\partial h_t = W_h^{T-t}` exactly and the norms grow like
    :math:`1.2^{T-t}`; with inputs, a radius above 1 first makes the states grow until tanh saturates.

    The norms are of the full H x H Jacobians; both curves start at :math:`\sqrt H` for
    :math:`\partial h_T/\partial h_T = I`.
    """
    if int(T) < 1 or int(hidden) < 1:
        raise ValueError(f"T and hidden must be at least 1, got T={T}, hidden={hidden}")
    if not rnn_radius > 0:
        raise ValueError(f"rnn_radius (the spectral radius of W_h) must be > 0, got {rnn_radius!r}")
    ss = np.random.SeedSequence(seed).spawn(3)
    D = 4
    xs = np.random.default_rng(ss[0]).standard_normal((T, 1, D)) * input_scale
    rnn = init_rnn(D, hidden, seed=ss[1])
    rnn = rnn._replace(W_h=rnn.W_h * (rnn_radius / np.max(np.abs(np.linalg.eigvals(rnn.W_h)))))
    lstm = init_lstm(D, hidden, forget_bias=forget_bias, scale=lstm_scale, seed=ss[2])
    _, rc = rnn_forward(rnn, xs)
    _, lc = lstm_forward(lstm, xs)
    nh, nc = lstm_state_jacobian_norms(lstm, lc)
    return GradientFlow(np.arange(T + 1), rnn_state_jacobian_norms(rnn, rc)[:, 0], nh[:, 0], nc[:, 0],
                        lc.f[:, 0].mean(axis=-1), float(np.max(np.abs(np.linalg.eigvals(rnn.W_h)))))


