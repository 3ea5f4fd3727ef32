r"""The spatial transformer's grid generator and bilinear sampler, with backward passes, and recovering theta.

Coordinates are normalized as in Jaderberg et al. (2015) and PyTorch's ``affine_grid``/``grid_sample``: over
an image of ``W`` columns and ``H`` rows, :math:`x` runs from -1 at the left edge to +1 at the right edge and
:math:`y` from -1 at the top to +1 at the bottom (so :math:`y` points *down* the picture). A grid stores
:math:`(x, y)` in its last axis, x first, like PyTorch.

Grid generator (the notes' :math:`T_\theta^{-1}`): every pixel of the *output* (target) grid,
:math:`(x^t_{ij}, y^t_{ij})`, is mapped to the point of the *input* (source) image it is read from,

.. math::
    \begin{bmatrix} x^s_{ij} \\ y^s_{ij} \end{bmatrix}
    = \begin{bmatrix} \theta_{11} & \theta_{12} & \theta_{13} \\ \theta_{21} & \theta_{22} & \theta_{23}
      \end{bmatrix}
      \begin{bmatrix} x^t_{ij} \\ y^t_{ij} \\ 1 \end{bmatrix}

(the notes' :math:`\theta_1..\theta_6` are ``theta[0, 0], theta[0, 1], theta[1, 0], theta[1, 1], theta[0, 2],
theta[1, 2]``). Because :math:`\theta` maps output to input, a :math:`\theta` that *scales by 2* makes the
content look *half as large*, and a translation :math:`+t_x` moves the content *left*.

``align_corners`` decides where the normalized coordinates of pixel *centres* fall (PyTorch's option of the
same name, same meaning); the default here is PyTorch's default, ``False``:

* ``align_corners=False``: -1 and +1 are the outer *edges* of the border pixels, so pixel centre ``j`` sits at
  :math:`x_j = (2j + 1)/W - 1`. Resizing keeps the image's extent, independent of resolution.
* ``align_corners=True``: -1 and +1 are the *centres* of the border pixels, :math:`x_j = 2j/(W - 1) - 1`.

The sampler reads the input at those continuous positions with bilinear interpolation; the four neighbours
outside the image count as 0 (zero padding, PyTorch ``padding_mode="zeros"``). With pixel coordinates
:math:`u = ((x + 1) W - 1)/2` (or :math:`(x + 1)(W - 1)/2` with ``align_corners=True``), :math:`v` likewise
from :math:`y` and ``H``:

.. math::
    V_{ij} = \sum_{n, m} U_{nm}\, \max(0, 1 - |u_{ij} - m|)\, \max(0, 1 - |v_{ij} - n|)

Both steps are differentiable almost everywhere, which is what lets a localisation net (here, plain gradient
descent on :math:`\theta`, :func:`recover_theta`) learn the transformation from the loss.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import numpy as np

ASSETS = Path(__file__).resolve().parent.parent / "assets"
DIGIT_PATH = ASSETS / "digit.npy"
IDENTITY = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])


def load_digit() -> np.ndarray:
    """The handwritten-style "2" of ``assets/digit.npy`` (made by ``assets/make_digit.py``): ``(40, 40)`` in
    [0, 1], 0 the background."""
    return np.load(DIGIT_PATH)


# -- theta ---------------------------------------------------------------------------------------------------------


class AffineParams(NamedTuple):
    r"""A readable description of an affine :math:`\theta` (see :func:`theta_from_params`)."""

    angle_deg: float = 0.0  #: rotation :math:`\varphi` in degrees
    scale_x: float = 1.0  #: :math:`s_x` > 0
    scale_y: float = 1.0  #: :math:`s_y` > 0
    shear: float = 0.0  #: :math:`k`, horizontal shear
    tx: float = 0.0  #: :math:`t_x`, in normalized units (2 = the image's width)
    ty: float = 0.0  #: :math:`t_y`, in normalized units (2 = the image's height)


def theta_from_params(angle_deg: float = 0.0, scale_x: float = 1.0, scale_y: float = 1.0, shear: float = 0.0,
                      tx: float = 0.0, ty: float = 0.0) -> np.ndarray:
    r"""The 2 x 3 :math:`\theta = [A \mid t]` with

    .. math::
        A = R(\varphi)\, \begin{bmatrix} 1 & k \\ 0 & 1 \end{bmatrix}
            \begin{bmatrix} s_x & 0 \\ 0 & s_y \end{bmatrix}
          = \begin{bmatrix} \cos\varphi & -\sin\varphi \\ \sin\varphi & \cos\varphi \end{bmatrix}
            \begin{bmatrix} s_x & k s_y \\ 0 & s_y \end{bmatrix}, \qquad
        t = \begin{bmatrix} t_x \\ t_y \end{bmatrix}

    Scale first, then shear, then rotate, then translate (applied to the output grid). Every :math:`\theta`
    with :math:`\det A > 0` has exactly one such description (:func:`params_from_theta`). Remember that
    :math:`\theta` maps output pixels to input positions: on screen (y down) a positive angle turns the content
    counter-clockwise, :math:`s > 1` shrinks it, :math:`t_x > 0` moves it left.
    """
    if not (scale_x > 0 and scale_y > 0):
        raise ValueError(f"scale_x and scale_y must be > 0, got {scale_x!r}, {scale_y!r}")
    phi = np.deg2rad(angle_deg)
    R = np.array([[np.cos(phi), -np.sin(phi)], [np.sin(phi), np.cos(phi)]])
    U = np.array([[scale_x, shear * scale_y], [0.0, scale_y]])
    return np.concatenate([R @ U, [[tx], [ty]]], axis=1)


def params_from_theta(theta) -> AffineParams:
    r"""Invert :func:`theta_from_params`: the QR decomposition :math:`A = R(\varphi) U` with :math:`U` upper
    triangular and a positive diagonal.

    :math:`s_x = \lVert a_1 \rVert`, :math:`\varphi = \operatorname{atan2}(a_{21}, a_{11})` from the first column
    :math:`a_1`; then :math:`U = R(-\varphi) A` gives :math:`s_y = U_{22}`, :math:`k = U_{12}/U_{22}`. Raises
    ``ValueError`` when :math:`\det A \le 0` (a reflection or a collapse has no such description).
    """
    theta = _check_theta(theta)
    A = theta[:, :2]
    if np.linalg.det(A) <= 0:
        raise ValueError("theta's 2 x 2 part has a determinant <= 0 (it mirrors or collapses the image): "
                         "no rotation/scale/shear describes it")
    phi = np.arctan2(A[1, 0], A[0, 0])
    c, s = np.cos(phi), np.sin(phi)
    U = np.array([[c, s], [-s, c]]) @ A
    return AffineParams(float(np.rad2deg(phi)), float(U[0, 0]), float(U[1, 1]), float(U[0, 1] / U[1, 1]),
                        float(theta[0, 2]), float(theta[1, 2]))


def theta_translation(tx: float, ty: float) -> np.ndarray:
    r"""The notes' 2-parameter pure translation, :math:`x^s = x^t + \theta_1, y^s = y^t + \theta_2`."""
    return np.array([[1.0, 0.0, float(tx)], [0.0, 1.0, float(ty)]])


def invert_theta(theta) -> np.ndarray:
    r""":math:`\theta^{-1} = [A^{-1} \mid -A^{-1} t]`: sampling with it undoes sampling with :math:`\theta`
    (up to interpolation and what fell outside the image)."""
    theta = _check_theta(theta)
    Ainv = np.linalg.inv(theta[:, :2])
    return np.concatenate([Ainv, -Ainv @ theta[:, 2:]], axis=1)


def compose_theta(outer, inner) -> np.ndarray:
    r"""The :math:`\theta` of sampling with ``inner`` and then sampling the result with ``outer``:
    a point goes through ``outer`` first, :math:`p \mapsto A_i (A_o p + t_o) + t_i`."""
    outer, inner = _check_theta(outer), _check_theta(inner)
    return np.concatenate([inner[:, :2] @ outer[:, :2], inner[:, :2] @ outer[:, 2:] + inner[:, 2:]], axis=1)


def _check_theta(theta) -> np.ndarray:
    theta = np.asarray(theta, dtype=float)
    if theta.shape != (2, 3):
        raise ValueError(f"theta must be a 2 x 3 matrix, got shape {theta.shape}")
    return theta


# -- grid generator ------------------------------------------------------------------------------------------------


def normalized_coords(n: int, *, align_corners: bool = False) -> np.ndarray:
    """Normalized coordinates of the ``n`` pixel centres along one axis (see the module docstring)."""
    j = np.arange(n, dtype=float)
    if align_corners:
        return 2.0 * j / (n - 1) - 1.0 if n > 1 else np.zeros(1)
    return (2.0 * j + 1.0) / n - 1.0


def base_grid(size: tuple[int, int], *, align_corners: bool = False) -> np.ndarray:
    """The regular output grid in homogeneous coordinates: ``(H, W, 3)`` holding :math:`(x^t, y^t, 1)`."""
    H, W = size
    x, y = normalized_coords(W, align_corners=align_corners), normalized_coords(H, align_corners=align_corners)
    g = np.ones((H, W, 3))
    g[..., 0] = x[None, :]
    g[..., 1] = y[:, None]
    return g


def affine_grid(theta, size: tuple[int, int], *, align_corners: bool = False) -> np.ndarray:
    r"""The sampling grid :math:`(x^s, y^s) = \theta\,(x^t, y^t, 1)^\top` for an output of ``size = (H, W)``:
    ``(H, W, 2)``, last axis (x, y), as ``torch.nn.functional.affine_grid(theta[None], (1, C, H, W))[0]``."""
    return base_grid(size, align_corners=align_corners) @ _check_theta(theta).T


def affine_grid_backward(dgrid, *, align_corners: bool = False) -> np.ndarray:
    r""":math:`\partial L/\partial\theta = \sum_{ij} \partial L/\partial (x^s, y^s)_{ij}\;(x^t_{ij}, y^t_{ij}, 1)`,
    a 2 x 3 matrix, from the gradient w.r.t. the grid ``(H, W, 2)``."""
    dgrid = np.asarray(dgrid, dtype=float)
    base = base_grid(dgrid.shape[:2], align_corners=align_corners)
    return dgrid.reshape(-1, 2).T @ base.reshape(-1, 3)


# -- bilinear sampler ----------------------------------------------------------------------------------------------


class SampleCache(NamedTuple):
    """What :func:`grid_sample` computed, for the backward pass."""

    image: np.ndarray  #: (H, W) input U
    grid: np.ndarray  #: (Ho, Wo, 2) sampling grid, normalized
    u: np.ndarray  #: (Ho, Wo) continuous column positions, in pixels
    v: np.ndarray  #: (Ho, Wo) continuous row positions, in pixels
    align_corners: bool


class SampleGrads(NamedTuple):
    image: np.ndarray  #: (H, W) :math:`\partial L/\partial U`
    grid: np.ndarray  #: (Ho, Wo, 2) :math:`\partial L/\partial (x^s, y^s)`


def _unnormalize(coord: np.ndarray, n: int, align_corners: bool) -> np.ndarray:
    return (coord + 1.0) * (n - 1) / 2.0 if align_corners else ((coord + 1.0) * n - 1.0) / 2.0


def _corners(image: np.ndarray, u: np.ndarray, v: np.ndarray):
    """The four neighbours of each sample: flat indices, validity masks and bilinear weights, plus their values."""
    H, W = image.shape
    # positions beyond one pixel outside have four padded neighbours whatever their exact value: clamp them
    # (and NaN) there so the integer conversion below stays defined
    u = np.clip(np.where(np.isnan(u), -2.0, u), -2.0, W + 1.0)
    v = np.clip(np.where(np.isnan(v), -2.0, v), -2.0, H + 1.0)
    u0, v0 = np.floor(u), np.floor(v)
    du, dv = u - u0, v - v0
    u0, v0 = u0.astype(np.int64), v0.astype(np.int64)
    out = []
    for oy, wy in ((0, 1.0 - dv), (1, dv)):
        for ox, wx in ((0, 1.0 - du), (1, du)):
            x, y = u0 + ox, v0 + oy
            ok = (x >= 0) & (x < W) & (y >= 0) & (y < H)
            idx = np.where(ok, y * W + x, 0)
            val = np.where(ok, image.ravel()[idx], 0.0)
            out.append((idx, ok, wx, wy, val))
    return out


def grid_sample(image, grid, *, align_corners: bool = False) -> tuple[np.ndarray, SampleCache]:
    """Bilinear sampling of ``image`` ``(H, W)`` at ``grid`` ``(Ho, Wo, 2)`` with zero padding.

    The same as ``torch.nn.functional.grid_sample(image[None, None], grid[None], mode="bilinear",
    padding_mode="zeros", align_corners=align_corners)[0, 0]``. Returns ``(output (Ho, Wo), cache)``.
    """
    image = np.asarray(image, dtype=float)
    grid = np.asarray(grid, dtype=float)
    if image.ndim != 2:
        raise ValueError(f"image must be a 2-D grayscale array (H, W), got shape {image.shape}")
    if grid.ndim != 3 or grid.shape[-1] != 2:
        raise ValueError(f"grid must be shaped (Ho, Wo, 2), got {grid.shape}")
    H, W = image.shape
    u = _unnormalize(grid[..., 0], W, align_corners)
    v = _unnormalize(grid[..., 1], H, align_corners)
    out = np.zeros(grid.shape[:2])
    for _, _, wx, wy, val in _corners(image, u, v):
        out += wx * wy * val
    return out, SampleCache(image, grid, u, v, bool(align_corners))


class BilinearTaps(NamedTuple):
    """How the sampler computes one output pixel: its four neighbours in the input, their values and weights."""

    u: float  #: continuous column position, in pixels
    v: float  #: continuous row position, in pixels
    rows: np.ndarray  #: (4,) row n of each neighbour (upper left, upper right, lower left, lower right)
    cols: np.ndarray  #: (4,) column m of each neighbour
    inside: np.ndarray  #: (4,) whether the neighbour is inside the image (outside ones count as 0)
    values: np.ndarray  #: (4,) U_nm, 0 outside
    weights: np.ndarray  #: (4,) max(0, 1 - |u - m|) max(0, 1 - |v - n|); they sum to 1
    value: float  #: the weighted average, the output pixel


def bilinear_taps(image, x: float, y: float, *, align_corners: bool = False) -> BilinearTaps:
    r"""The sampler's arithmetic at one normalized point :math:`(x, y)`, step by step as the notes list it:
    find the four neighbouring pixels (:math:`m_0 = \lfloor u \rfloor`, :math:`n_0 = \lfloor v \rfloor` and
    the next ones), give each the weight :math:`\max(0, 1 - |u - m|)\,\max(0, 1 - |v - n|)`, and take the
    weighted average, neighbours outside the image counting as 0.

    Written out independently of :func:`grid_sample`, whose value at the same point it reproduces.
    """
    image = np.asarray(image, dtype=float)
    if image.ndim != 2:
        raise ValueError(f"image must be a 2-D grayscale array (H, W), got shape {image.shape}")
    if not (np.isfinite(x) and np.isfinite(y)):
        raise ValueError(f"the point must be finite, got ({x!r}, {y!r})")
    H, W = image.shape
    u = float(_unnormalize(np.float64(x), W, align_corners))
    v = float(_unnormalize(np.float64(y), H, align_corners))
    m0, n0 = int(np.floor(u)), int(np.floor(v))
    rows = np.array([n0, n0, n0 + 1, n0 + 1])
    cols = np.array([m0, m0 + 1, m0, m0 + 1])
    weights = np.maximum(0.0, 1.0 - np.abs(u - cols)) * np.maximum(0.0, 1.0 - np.abs(v - rows))
    inside = (rows >= 0) & (rows < H) & (cols >= 0) & (cols < W)
    values = np.where(inside, image[np.clip(rows, 0, H - 1), np.clip(cols, 0, W - 1)], 0.0)
    return BilinearTaps(u, v, rows, cols, inside, values, weights, float(np.sum(weights * values)))


def grid_sample_backward(dout, cache: SampleCache) -> SampleGrads:
    r"""Gradients of :func:`grid_sample` w.r.t. the image and the grid.

    .. math::
        \frac{\partial L}{\partial U_{nm}} = \sum_{ij} \frac{\partial L}{\partial V_{ij}}\, w^x_{ij,m}\, w^y_{ij,n},
        \qquad
        \frac{\partial L}{\partial u_{ij}} = \frac{\partial L}{\partial V_{ij}}
            \sum_n w^y_{ij,n}\,(U_{n,m_0+1} - U_{n,m_0}), \qquad
        \frac{\partial u}{\partial x} = \frac{W}{2} \text{ or } \frac{W - 1}{2}

    (and likewise for :math:`v, y`), where :math:`m_0 = \lfloor u \rfloor` and the values outside the image are
    0. The weights are piecewise linear, so the gradient w.r.t. the grid jumps where a sample crosses a pixel
    centre; a finite-difference check must stay away from those points.
    """
    dout = np.asarray(dout, dtype=float)
    image = cache.image
    H, W = image.shape
    dimage = np.zeros(H * W)
    du = np.zeros_like(cache.u)
    dv = np.zeros_like(cache.v)
    corners = _corners(image, cache.u, cache.v)
    for k, (idx, ok, wx, wy, val) in enumerate(corners):
        dimage += np.bincount(idx[ok], weights=(dout * wx * wy)[ok], minlength=H * W)
        sx = 1.0 if k % 2 else -1.0  # d wx / du: +1 for the right neighbour, -1 for the left
        sy = 1.0 if k >= 2 else -1.0
        du += sx * wy * val
        dv += sy * wx * val
    su = (W - 1) / 2.0 if cache.align_corners else W / 2.0
    sv = (H - 1) / 2.0 if cache.align_corners else H / 2.0
    dgrid = np.stack([dout * du * su, dout * dv * sv], axis=-1)
    return SampleGrads(dimage.reshape(H, W), dgrid)


class TransformCache(NamedTuple):
    theta: np.ndarray
    sample: SampleCache


def transform(image, theta, *, size: tuple[int, int] | None = None,
              align_corners: bool = False) -> tuple[np.ndarray, TransformCache]:
    """The spatial transformer without its localisation net: grid generator then sampler.

    ``size`` is the output's ``(H, W)``, the input's by default. Returns ``(output, cache)``.
    """
    image = np.asarray(image, dtype=float)
    grid = affine_grid(theta, size or image.shape, align_corners=align_corners)
    out, cache = grid_sample(image, grid, align_corners=align_corners)
    return out, TransformCache(_check_theta(theta), cache)


def transform_backward(dout, cache: TransformCache) -> tuple[np.ndarray, np.ndarray]:
    """Gradients of :func:`transform`: ``(d image (H, W), d theta (2, 3))``."""
    g = grid_sample_backward(dout, cache.sample)
    return g.image, affine_grid_backward(g.grid, align_corners=cache.sample.align_corners)
