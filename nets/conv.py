r"""One channel of a convolutional layer, forward and backward, as the notes derive it.

Forward (a CNN's "convolution" is a cross-correlation: the filter is not flipped), with stride :math:`s` and
zero padding :math:`P` giving the padded input :math:`\tilde X`:

.. math::
    O_{ij} = \sum_{a,b} \tilde X_{s i + a,\; s j + b}\, F_{ab}, \qquad
    \text{output size } \left\lfloor \frac{H + 2P - k}{s} \right\rfloor + 1

Backward, given the upstream gradient :math:`\partial L/\partial O`:

.. math::
    \frac{\partial L}{\partial F_{ab}} = \sum_{i,j} \frac{\partial L}{\partial O_{ij}}\,\tilde X_{s i + a,\; s j + b}
    \quad\text{(the valid convolution of } X \text{ with } \partial L/\partial O\text{)}

.. math::
    \frac{\partial L}{\partial \tilde X} = \operatorname{full}\big(\operatorname{rot}_{180}(F) \star
    \partial L/\partial O\big)

(with stride > 1, :math:`\partial L/\partial O` is first dilated: :math:`s - 1` zeros between its entries),
and :math:`\partial L/\partial X` is :math:`\partial L/\partial \tilde X` without the padding's border.
Indices here start at 0; the page prints them from 1, as the notes do.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


class ConvPass(NamedTuple):
    x: np.ndarray  #: (H, W) input
    f: np.ndarray  #: (k, l) filter
    stride: int
    padding: int
    x_padded: np.ndarray  #: (H + 2P, W + 2P)
    windows: np.ndarray  #: (oh, ow, k, l): the patch of the padded input under the filter for each output
    out: np.ndarray  #: (oh, ow)


class ConvGrads(NamedTuple):
    d_out: np.ndarray  #: (oh, ow) upstream ∂L/∂O
    d_filter: np.ndarray  #: (k, l) ∂L/∂F
    d_input: np.ndarray  #: (H, W) ∂L/∂X
    rotated: np.ndarray  #: (k, l) the filter turned by 180°
    dilated: np.ndarray  #: ∂L/∂O with stride - 1 zeros between entries
    d_input_padded: np.ndarray  #: (H + 2P, W + 2P) the full convolution, before the border is cut off


def output_shape(x_shape, f_shape, stride: int = 1, padding: int = 0) -> tuple[int, int]:
    """The output's shape; ValueError when the filter does not fit the padded input or a setting is invalid."""
    if stride < 1 or padding < 0:
        raise ValueError("stride must be at least 1 and padding at least 0")
    (h, w), (k, l) = x_shape, f_shape
    if min(h, w, k, l) < 1:
        raise ValueError("the input and the filter need at least one entry")
    if k > h + 2 * padding or l > w + 2 * padding:
        raise ValueError(f"a {k} × {l} filter does not fit a {h} × {w} input with padding {padding}")
    return (h + 2 * padding - k) // stride + 1, (w + 2 * padding - l) // stride + 1


def conv_forward(x, f, *, stride: int = 1, padding: int = 0) -> ConvPass:
    """The forward pass (module formula): every output at once, as one ``einsum`` over the windows."""
    x, f = np.atleast_2d(np.asarray(x, float)), np.atleast_2d(np.asarray(f, float))
    output_shape(x.shape, f.shape, stride, padding)
    xp = np.pad(x, padding)
    windows = sliding_window_view(xp, f.shape)[::stride, ::stride]
    return ConvPass(x, f, stride, padding, xp, windows, np.einsum("ijab,ab->ij", windows, f))


def dilate(d, stride: int) -> np.ndarray:
    """``d`` with ``stride - 1`` zeros between neighbouring entries."""
    d = np.asarray(d, float)
    out = np.zeros(((d.shape[0] - 1) * stride + 1, (d.shape[1] - 1) * stride + 1))
    out[::stride, ::stride] = d
    return out


def full_convolution(a, b) -> np.ndarray:
    """Every overlap of ``b`` sliding over ``a`` padded by ``b``'s size minus one (a "full" correlation)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    k, l = b.shape
    ap = np.pad(a, ((k - 1, k - 1), (l - 1, l - 1)))
    return np.einsum("ijab,ab->ij", sliding_window_view(ap, b.shape), b)


def conv_backward(p: ConvPass, d_out) -> ConvGrads:
    """The backward pass (module formulas): ∂L/∂F as a valid convolution of the input with ∂L/∂O, ∂L/∂X as
    the full convolution of the 180°-rotated filter with (dilated) ∂L/∂O."""
    d_out = np.atleast_2d(np.asarray(d_out, float))
    if d_out.shape != p.out.shape:
        raise ValueError(f"∂L/∂O must be {p.out.shape[0]} × {p.out.shape[1]}, like the output; "
                         f"it is {d_out.shape[0]} × {d_out.shape[1]}")
    d_filter = np.einsum("ijab,ij->ab", p.windows, d_out)
    rotated = p.f[::-1, ::-1]
    dilated = dilate(d_out, p.stride)
    full = full_convolution(dilated, rotated)
    padded = np.zeros_like(p.x_padded)
    padded[: full.shape[0], : full.shape[1]] = full  # rows a stride skips at the end get no gradient
    h, w = p.x.shape
    d_input = padded[p.padding: p.padding + h, p.padding: p.padding + w]
    return ConvGrads(d_out, d_filter, d_input, rotated, dilated, padded)


def input_terms(p: ConvPass, m: int, n: int) -> list[tuple[int, int, int, int]]:
    """The (i, j, a, b) whose product ∂L/∂O_ij · F_ab lands on input entry (m, n) (0-based, unpadded)."""
    oh, ow = p.out.shape
    k, l = p.f.shape
    i, j, a, b = np.meshgrid(np.arange(oh), np.arange(ow), np.arange(k), np.arange(l), indexing="ij")
    hit = (p.stride * i + a == m + p.padding) & (p.stride * j + b == n + p.padding)
    return [tuple(int(v) for v in t) for t in zip(i[hit], j[hit], a[hit], b[hit])]
