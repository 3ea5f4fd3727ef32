r"""An LSTM cell and a vanilla RNN, forward and backward through time, and why the LSTM exists.

Shapes: a sequence is ``xs`` shaped ``(T, B, D)`` (time, batch, input features; use ``xs[:, None, :]`` for a
single sequence); hidden and cell states are ``(B, H)``. Vectors are rows, so a weight matrix multiplies
from the right as ``v @ W.T``, exactly as the equations read with column vectors.

LSTM, with the gates in the course notes' order and :math:`[h_{t-1}, x_t]` the concatenation (previous hidden
state first, as in the notes):

.. math::
    f_t &= \sigma(W_f [h_{t-1}, x_t] + b_f)       &\text{forget gate} \\
    i_t &= \sigma(W_i [h_{t-1}, x_t] + b_i)       &\text{input gate} \\
    \tilde c_t &= \tanh(W_c [h_{t-1}, x_t] + b_c) &\text{candidate cell state} \\
    o_t &= \sigma(W_o [h_{t-1}, x_t] + b_o)       &\text{output gate} \\
    c_t &= f_t \odot c_{t-1} + i_t \odot \tilde c_t \\
    h_t &= o_t \odot \tanh(c_t)

(The handwritten notes call the input :math:`n_t` and skip the cell update :math:`c_t`; both are written
out here in the standard form, which is also the other notes' and PyTorch's.)

:class:`LSTMParams` stacks the four gates: ``W[0] = W_f``, ``W[1] = W_i``, ``W[2] = W_c``, ``W[3] = W_o``,
each ``(H, H + D)`` with the first ``H`` columns acting on :math:`h_{t-1}`. PyTorch's ``nn.LSTMCell`` keeps the
same numbers in the order (i, f, g = candidate, o) and splits the columns into ``weight_hh`` and
``weight_ih`` with two biases; :func:`to_torch_lstm_cell` maps one layout onto the other.

Vanilla RNN:

.. math::
    h_t = \tanh(W_h h_{t-1} + W_x x_t + b)

Backpropagating a loss from :math:`h_T` to :math:`h_t` multiplies :math:`T - t` Jacobians
:math:`\partial h_{k}/\partial h_{k-1} = \operatorname{diag}(1 - h_k^2)\,W_h`, so the gradient shrinks or grows
geometrically with the distance (vanishing / exploding gradients). The LSTM's cell state adds a path whose
Jacobian is :math:`\partial c_k/\partial c_{k-1} = \operatorname{diag}(f_k)` (plus terms through the gates):
with forget gates near 1 (a positive forget bias) the gradient survives many steps.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

GATES = ("f", "i", "c", "o")  #: gate order of LSTMParams: forget, input, candidate, output (the notes' order)


# -- parameters ---------------------------------------------------------------------------------------------------


class LSTMParams(NamedTuple):
    """The four gates' weights and biases, stacked in the order of :data:`GATES`."""

    W: np.ndarray  #: (4, H, H + D): W_f, W_i, W_c, W_o; columns [h_{t-1}, x_t]
    b: np.ndarray  #: (4, H): b_f, b_i, b_c, b_o

    @property
    def hidden_size(self) -> int:
        return self.W.shape[1]

    @property
    def input_size(self) -> int:
        return self.W.shape[2] - self.W.shape[1]


class RNNParams(NamedTuple):
    r"""A vanilla (Elman) RNN with tanh: :math:`h_t = \tanh(W_h h_{t-1} + W_x x_t + b)`."""

    W_h: np.ndarray  #: (H, H) recurrent weights
    W_x: np.ndarray  #: (H, D) input weights
    b: np.ndarray  #: (H,) bias


def init_lstm(input_size: int, hidden_size: int, *, forget_bias: float = 1.0, scale: float = 1.0,
              seed: int | np.random.SeedSequence = 0) -> LSTMParams:
    r"""Seeded LSTM weights :math:`W \sim \mathcal N(0, \text{scale}^2/(H + D))`, biases 0 except
    :math:`b_f` = ``forget_bias`` (1 is Jozefowicz et al.'s advice; larger keeps more memory at the start)."""
    rng = np.random.default_rng(seed)
    H, D = int(hidden_size), int(input_size)
    W = rng.standard_normal((4, H, H + D)) * (scale / np.sqrt(H + D))
    b = np.zeros((4, H))
    b[0] = forget_bias
    return LSTMParams(W, b)


def init_rnn(input_size: int, hidden_size: int, *, scale: float = 1.0, input_scale: float = 1.0,
             seed: int | np.random.SeedSequence = 0) -> RNNParams:
    r"""Seeded RNN weights: :math:`W_h \sim \mathcal N(0, \text{scale}^2/H)` (spectral radius about ``scale``),
    :math:`W_x \sim \mathcal N(0, \text{input\_scale}^2/D)`, :math:`b = 0`."""
    rng = np.random.default_rng(seed)
    H, D = int(hidden_size), int(input_size)
    return RNNParams(rng.standard_normal((H, H)) * (scale / np.sqrt(H)),
                     rng.standard_normal((H, D)) * (input_scale / np.sqrt(D)), np.zeros(H))


def _sigmoid(z: np.ndarray) -> np.ndarray:
    """Logistic function, computed without overflow for large |z|."""
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


_HALF = np.array([0.5, 0.5, 1.0, 0.5])[:, None]  # per gate (f, i, c, o): sigmoid gates via tanh(z / 2)
_SHIFT = np.array([0.5, 0.5, 0.0, 0.5])[:, None]


def _check_xs(xs) -> np.ndarray:
    xs = np.asarray(xs, dtype=float)
    if xs.ndim != 3:
        raise ValueError(f"xs must be shaped (T, B, D) (time, batch, features), got shape {xs.shape}; "
                         "for one sequence use xs[:, None, :]")
    return xs


def _state(s, B: int, H: int, name: str) -> np.ndarray:
    if s is None:
        return np.zeros((B, H))
    s = np.asarray(s, dtype=float)
    if s.shape != (B, H):
        raise ValueError(f"{name} must be shaped (B, H) = {(B, H)}, got {s.shape}")
    return s


# -- LSTM -----------------------------------------------------------------------------------------------------------


class LSTMCache(NamedTuple):
    """Everything the forward pass computed, for the backward pass and for heatmaps of the gates.

    Gate arrays are ``(T, B, H)``: ``f[t]`` is :math:`f_{t+1}` in the 1-based notation of the equations,
    i.e. the gate at the step that read ``xs[t]``. ``h`` and ``c`` include the initial state: ``h[0]`` is
    :math:`h_0` and ``h[t + 1]`` the state after reading ``xs[t]``.
    """

    xs: np.ndarray  #: (T, B, D) inputs
    hx: np.ndarray  #: (T, B, H + D) the concatenations [h_{t-1}, x_t]
    f: np.ndarray  #: (T, B, H) forget gate
    i: np.ndarray  #: (T, B, H) input gate
    c_tilde: np.ndarray  #: (T, B, H) candidate cell state
    o: np.ndarray  #: (T, B, H) output gate
    c: np.ndarray  #: (T + 1, B, H) cell states, c[0] = c_0
    h: np.ndarray  #: (T + 1, B, H) hidden states, h[0] = h_0
    tanh_c: np.ndarray  #: (T, B, H) tanh(c_t)


class LSTMGrads(NamedTuple):
    """Gradients of a scalar loss w.r.t. the parameters, the inputs and the initial state."""

    W: np.ndarray  #: (4, H, H + D)
    b: np.ndarray  #: (4, H)
    xs: np.ndarray  #: (T, B, D)
    h0: np.ndarray  #: (B, H)
    c0: np.ndarray  #: (B, H)


def lstm_step(params: LSTMParams, x: np.ndarray, h: np.ndarray, c: np.ndarray):
    """One step of the cell: returns ``(h_t, c_t, (f, i, c_tilde, o))`` for inputs ``x`` ``(B, D)``."""
    H = params.hidden_size
    hx = np.concatenate([h, x], axis=-1)
    z = hx @ params.W.reshape(4 * H, -1).T + params.b.reshape(-1)
    z = z.reshape(z.shape[:-1] + (4, H))
    f, i, o = _sigmoid(z[..., 0, :]), _sigmoid(z[..., 1, :]), _sigmoid(z[..., 3, :])
    g = np.tanh(z[..., 2, :])
    c_new = f * c + i * g
    return o * np.tanh(c_new), c_new, (f, i, g, o)


def lstm_forward(params: LSTMParams, xs, h0=None, c0=None) -> tuple[np.ndarray, LSTMCache]:
    """Run the cell over a sequence.

    Args:
        params: :class:`LSTMParams`.
        xs: ``(T, B, D)`` inputs.
        h0, c0: initial states ``(B, H)``, zeros by default.

    Returns:
        ``(hs, cache)``: hidden states ``(T, B, H)`` after each step and an :class:`LSTMCache` holding every
        gate at every step.
    """
    xs = _check_xs(xs)
    T, B, D = xs.shape
    H = params.hidden_size
    if params.input_size != D:
        raise ValueError(f"xs has {D} features but the LSTM expects {params.input_size}")
    W = params.W.reshape(4 * H, H + D).T
    bias = params.b.reshape(-1)
    hx = np.empty((T, B, H + D))
    hx[:, :, H:] = xs
    gates = np.empty((T, B, 4, H))
    c = np.empty((T + 1, B, H))
    h = np.empty((T + 1, B, H))
    tanh_c = np.empty((T, B, H))
    h[0], c[0] = _state(h0, B, H, "h0"), _state(c0, B, H, "c0")
    for t in range(T):
        hx[t, :, :H] = h[t]
        a = np.tanh((hx[t] @ W + bias).reshape(B, 4, H) * _HALF)  # sigma(z) = (1 + tanh(z / 2)) / 2
        np.multiply(a, _HALF, out=gates[t])
        gates[t] += _SHIFT
        f, i, g, o = gates[t, :, 0], gates[t, :, 1], gates[t, :, 2], gates[t, :, 3]
        c[t + 1] = f * c[t] + i * g
        np.tanh(c[t + 1], out=tanh_c[t])
        np.multiply(o, tanh_c[t], out=h[t + 1])
    return h[1:], LSTMCache(xs, hx, gates[:, :, 0], gates[:, :, 1], gates[:, :, 2], gates[:, :, 3], c, h, tanh_c)


def lstm_preactivations(params: LSTMParams, cache: LSTMCache) -> np.ndarray:
    r"""The gates' inputs before their squashing functions, ``(T, B, 4, H)`` in the order of :data:`GATES`:

    .. math::
        z_{g,t} = W_g [h_{t-1}, x_t] + b_g, \qquad f_t = \sigma(z_{f,t}),\ i_t = \sigma(z_{i,t}),\
        \tilde c_t = \tanh(z_{c,t}),\ o_t = \sigma(z_{o,t})

    recomputed from the concatenations the forward pass kept (for showing a step's arithmetic).
    """
    H = params.hidden_size
    T, B, _ = cache.hx.shape
    z = cache.hx @ params.W.reshape(4 * H, -1).T + params.b.reshape(-1)
    return z.reshape(T, B, 4, H)


def lstm_backward(params: LSTMParams, cache: LSTMCache, dhs=None, *, dh_last=None, dc_last=None) -> LSTMGrads:
    r"""Backpropagation through time for :func:`lstm_forward`.

    Going backwards from :math:`t = T`, with :math:`\delta h_t` the gradient reaching :math:`h_t` (from the
    loss at step t, ``dhs[t-1]``, plus from step t + 1) and :math:`\delta c_t` the one reaching :math:`c_t`
    from step t + 1:

    .. math::
        \delta o_t &= \delta h_t \odot \tanh c_t, \qquad
        \delta c_t \mathrel{+}= \delta h_t \odot o_t \odot (1 - \tanh^2 c_t) \\
        \delta f_t &= \delta c_t \odot c_{t-1}, \quad \delta i_t = \delta c_t \odot \tilde c_t, \quad
        \delta \tilde c_t = \delta c_t \odot i_t, \quad \delta c_{t-1} = \delta c_t \odot f_t \\
        \delta z_g &= \delta g \odot g (1 - g) \;(g = f, i, o), \qquad
        \delta z_c = \delta \tilde c_t \odot (1 - \tilde c_t^2) \\
        \delta W_g &\mathrel{+}= \delta z_g^\top [h_{t-1}, x_t], \quad
        \delta b_g \mathrel{+}= \textstyle\sum \delta z_g, \quad
        [\delta h_{t-1}, \delta x_t] = \textstyle\sum_g \delta z_g W_g

    Args:
        params: the parameters used forward.
        cache: from :func:`lstm_forward`.
        dhs: :math:`\partial L/\partial h_t` for every output, ``(T, B, H)``; None for zeros.
        dh_last, dc_last: extra gradient on the final hidden / cell state ``(B, H)`` (e.g. from a readout of
            :math:`h_T` only, or from the next chunk of a sequence).
    """
    T, B, _ = cache.xs.shape
    H = params.hidden_size
    Wm = params.W.reshape(4 * H, -1)
    W_h = Wm[:, :H]
    dhs = np.zeros((T, B, H)) if dhs is None else np.asarray(dhs, dtype=float).reshape(T, B, H)
    dh = _state(dh_last, B, H, "dh_last").copy()
    dc = _state(dc_last, B, H, "dc_last").copy()
    f, i, g, o, tc = cache.f, cache.i, cache.c_tilde, cache.o, cache.tanh_c
    # everything that does not depend on the incoming gradient, for all steps at once:
    # dz_f = dc * c_{t-1} f (1 - f), dz_i = dc * c~ i (1 - i), dz_c = dc * i (1 - c~^2), dz_o = dh * tanh(c) o (1 - o)
    A = np.stack([cache.c[:-1] * f * (1 - f), g * i * (1 - i), i * (1 - g * g), tc * o * (1 - o)], axis=2)
    dc_from_h = o * (1 - tc * tc)
    dz = np.empty((T, B, 4, H))
    dW = np.zeros((4 * H, Wm.shape[1]))
    for t in range(T - 1, -1, -1):
        dh += dhs[t]
        dc += dh * dc_from_h[t]
        np.multiply(dc[:, None, :], A[t, :, :3], out=dz[t, :, :3])
        np.multiply(dh, A[t, :, 3], out=dz[t, :, 3])
        dc *= f[t]
        dzt = dz[t].reshape(B, 4 * H)
        dh = dzt @ W_h
        # one small product per step rather than one (4H x TB) @ (TB x (H + D)) at the end: a product that
        # large makes OpenBLAS start worker threads, which then compete with this loop on a small machine
        dW += dzt.T @ cache.hx[t]
    dzf = dz.reshape(T, B, 4 * H)
    return LSTMGrads(dW.reshape(params.W.shape), dz.sum(axis=(0, 1)), dzf @ Wm[:, H:], dh, dc)


def to_torch_lstm_cell(params: LSTMParams) -> dict[str, np.ndarray]:
    """The same cell in ``torch.nn.LSTMCell``'s layout (gate order i, f, g, o; separate input/hidden weights).

    Returns a dict with ``weight_ih`` ``(4H, D)``, ``weight_hh`` ``(4H, H)``, ``bias_ih`` ``(4H,)`` (our biases)
    and ``bias_hh`` (zeros), ready for ``cell.load_state_dict({k: torch.from_numpy(v) ...})``.
    """
    H = params.hidden_size
    order = [GATES.index(g) for g in ("i", "f", "c", "o")]
    W = params.W[order]
    return {"weight_ih": W[:, :, H:].reshape(4 * H, -1).copy(), "weight_hh": W[:, :, :H].reshape(4 * H, H).copy(),
            "bias_ih": params.b[order].reshape(-1).copy(), "bias_hh": np.zeros(4 * H)}


# -- vanilla RNN ----------------------------------------------------------------------------------------------------


class RNNCache(NamedTuple):
    xs: np.ndarray  #: (T, B, D)
    h: np.ndarray  #: (T + 1, B, H), h[0] = h_0


class RNNGrads(NamedTuple):
    W_h: np.ndarray  #: (H, H)
    W_x: np.ndarray  #: (H, D)
    b: np.ndarray  #: (H,)
    xs: np.ndarray  #: (T, B, D)
    h0: np.ndarray  #: (B, H)


def rnn_forward(params: RNNParams, xs, h0=None) -> tuple[np.ndarray, RNNCache]:
    r"""Run :math:`h_t = \tanh(W_h h_{t-1} + W_x x_t + b)` over ``xs`` ``(T, B, D)``.

    Returns ``(hs, cache)`` with ``hs`` ``(T, B, H)`` the states after each step.
    """
    xs = _check_xs(xs)
    T, B, D = xs.shape
    H = params.W_h.shape[0]
    if params.W_x.shape[1] != D:
        raise ValueError(f"xs has {D} features but the RNN expects {params.W_x.shape[1]}")
    h = np.empty((T + 1, B, H))
    h[0] = _state(h0, B, H, "h0")
    inp = xs @ params.W_x.T + params.b  # all input terms at once
    WhT = params.W_h.T
    for t in range(T):
        h[t + 1] = np.tanh(h[t] @ WhT + inp[t])
    return h[1:], RNNCache(xs, h)


def rnn_backward(params: RNNParams, cache: RNNCache, dhs=None, *, dh_last=None) -> RNNGrads:
    r"""Backpropagation through time for :func:`rnn_forward`.

    .. math::
        \delta a_t = \delta h_t \odot (1 - h_t^2), \quad \delta h_{t-1} = \delta a_t W_h \;(+\text{ its own
        loss term}), \quad \delta W_h = \sum_t \delta a_t^\top h_{t-1}, \quad
        \delta W_x = \sum_t \delta a_t^\top x_t, \quad \delta b = \sum_t \delta a_t, \quad
        \delta x_t = \delta a_t W_x
    """
    T, B, _ = cache.xs.shape
    H = params.W_h.shape[0]
    dhs = np.zeros((T, B, H)) if dhs is None else np.asarray(dhs, dtype=float).reshape(T, B, H)
    dh = _state(dh_last, B, H, "dh_last").copy()
    da = np.empty((T, B, H))
    for t in range(T - 1, -1, -1):
        dh += dhs[t]
        da[t] = dh * (1.0 - cache.h[t + 1] ** 2)
        dh = da[t] @ params.W_h
    dW_h = np.einsum("tbh,tbk->hk", da, cache.h[:-1])
    dW_x = np.einsum("tbh,tbd->hd", da, cache.xs)
    return RNNGrads(dW_h, dW_x, da.sum(axis=(0, 1)), da @ params.W_x, dh)
