"""Recovering theta by gradient descent through the sampler, as a spatial transformer's localisation net would
learn it (see ``nets.spatial`` for the grid generator and the sampler)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .spatial import (IDENTITY, _check_theta, invert_theta, load_digit, theta_from_params, theta_translation,
                      transform, transform_backward)


MODES = ("affine", "translation")


class Recovery(NamedTuple):
    r"""What :func:`recover_theta` did, one row per iteration (row 0 is the start)."""

    thetas: np.ndarray  #: (steps + 1, 2, 3) :math:`\theta` at each iteration
    losses: np.ndarray  #: (steps + 1,) mean squared error of the re-sampled image against the original
    #: (of their blurred copies when ``blur_sigma`` > 0)
    errors: np.ndarray  #: (steps + 1,) max |theta - target_theta| (NaN when no target was given)
    target_theta: np.ndarray | None  #: the :math:`\theta` that undoes the distortion exactly, if known
    original: np.ndarray  #: (H, W)
    distorted: np.ndarray  #: (H, W)
    mode: str

    def image_at(self, k: int, *, align_corners: bool = False) -> np.ndarray:
        """The distorted image re-sampled with the :math:`\\theta` of iteration ``k`` (for an animation)."""
        return transform(self.distorted, self.thetas[k], size=self.original.shape, align_corners=align_corners)[0]


def gaussian_blur(image, sigma: float) -> np.ndarray:
    r"""Blur ``image`` ``(H, W)`` with a Gaussian of standard deviation ``sigma`` pixels, zeros outside.

    Separable: :math:`K_H\, U\, K_W^	op` with :math:`(K_n)_{ab} \propto \exp(-(a - b)^2 / 2\sigma^2)`, each row
    normalized to sum to 1 before the border cuts it. ``sigma = 0`` returns a copy.
    """
    image = np.asarray(image, dtype=float)
    if sigma < 0:
        raise ValueError(f"sigma must be >= 0, got {sigma!r}")
    if sigma == 0:
        return image.copy()

    if not np.isfinite(sigma):
        raise ValueError(f"sigma must be finite, got {sigma!r}")

    def weights(offsets):
        with np.errstate(over="ignore", divide="ignore", under="ignore"):  # a tiny sigma: every weight but 0's is 0
            return np.exp(-0.5 * (np.asarray(offsets, dtype=float) / sigma) ** 2)

    # the sum of one row over every integer offset, before the border cuts it: 1 at a tiny sigma (only the centre
    # is left), sigma * sqrt(2 pi) at a large one; the discrete sum, so a row away from the borders sums to 1
    reach = int(np.ceil(10.0 * sigma)) + 1
    total = float(np.sum(weights(np.arange(-reach, reach + 1))))

    def kernel(n):
        a = np.arange(n)
        return weights(a[:, None] - a[None, :]) / total

    return kernel(image.shape[0]) @ image @ kernel(image.shape[1]).T


def recover_theta(distorted, original, *, mode: str = "affine", steps: int = 150, lr: float = 0.02,
                  blur_sigma: float = 0.0, theta0=None, target_theta=None, align_corners: bool = False) -> Recovery:
    r"""Find the :math:`\theta` that maps ``distorted`` back onto ``original`` by descending the loss
    through the differentiable sampler, as a localisation net's last layer would learn it.

    .. math::
        L(\theta) = \frac{1}{HW}\sum_{ij} \big(V_{ij}(\theta) - O_{ij}\big)^2, \qquad
        V = \operatorname{sample}(D, \operatorname{grid}(\theta)), \qquad
        \frac{\partial L}{\partial V_{ij}} = \frac{2}{HW}(V_{ij} - O_{ij})

    and :math:`\partial L/\partial\theta` by :func:`transform_backward`. The step is the project's Adam
    (``optim.adam(lr=lr)``, bias-corrected, :math:`\beta_1 = 0.9, \beta_2 = 0.999`): its per-coordinate step
    size copes with the translation entries' gradients being much larger than the matrix entries'.

    The loss only "sees" a misalignment where ink overlaps ink, so a start far from the answer (a translation
    of more than about a stroke's width, a rotation near 90 degrees) can stall. ``blur_sigma`` > 0 matches
    Gaussian-blurred copies of both images instead (:func:`gaussian_blur`), which widens that basin at the cost
    of a little precision, as coarse-to-fine image registration does.

    Args:
        distorted: :math:`D`, ``(H, W)``.
        original: :math:`O`, the target ``(H, W)``.
        mode: ``"affine"`` (all six entries) or ``"translation"`` (the notes' two-parameter form: only
            :math:`\theta_{13}, \theta_{23}` move, the 2 x 2 part stays the identity).
        steps: iterations.
        lr: Adam's :math:`\eta`.
        blur_sigma: blur both images by this many pixels before matching (0: no blur).
        theta0: the start, the identity by default (in translation mode its 2 x 2 part must be the identity).
        target_theta: the exact answer, if known, to record the error at each iteration.
    """
    from optim import adam  # the project's optimizers; imported here so nets.spatial alone needs only numpy

    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(map(repr, MODES))}; got {mode!r}")
    if int(steps) < 0:
        raise ValueError(f"steps must be >= 0, got {steps}")
    distorted, original = np.asarray(distorted, dtype=float), np.asarray(original, dtype=float)
    seen, goal = gaussian_blur(distorted, blur_sigma), gaussian_blur(original, blur_sigma)
    theta = IDENTITY.copy() if theta0 is None else _check_theta(theta0).copy()
    if mode == "translation" and not np.array_equal(theta[:, :2], np.eye(2)):
        raise ValueError("in translation mode theta0's 2 x 2 part must be the identity")
    mask = np.ones((2, 3)) if mode == "affine" else np.array([[0.0, 0.0, 1.0], [0.0, 0.0, 1.0]])
    target = None if target_theta is None else _check_theta(target_theta)
    opt = adam(lr=lr)
    free = mask.astype(bool)
    state = opt.init(theta[free])
    thetas = np.empty((steps + 1, 2, 3))
    losses = np.empty(steps + 1)
    n = original.size
    for k in range(steps + 1):
        out, cache = transform(seen, theta, size=goal.shape, align_corners=align_corners)
        r = out - goal
        thetas[k], losses[k] = theta, float(np.sum(r * r)) / n
        if k == steps:
            break
        dtheta = transform_backward(r * (2.0 / n), cache)[1]
        updates, state = opt.update(dtheta[free], state, theta[free])
        theta = theta.copy()
        theta[free] += updates
    errors = (np.max(np.abs(thetas - target), axis=(1, 2)) if target is not None
              else np.full(steps + 1, np.nan))
    return Recovery(thetas, losses, errors, target, original, distorted, mode)


def recovery_demo(angle_deg: float = 20.0, scale: float = 1.15, shear: float = 0.0, tx: float = 0.15,
                  ty: float = -0.1, *, mode: str = "affine", steps: int = 150, lr: float = 0.02,
                  blur_sigma: float = 0.0, align_corners: bool = False) -> Recovery:
    r"""Distort the digit with a known :math:`\theta_d` and recover it.

    ``distorted = transform(digit, theta_d)`` with ``theta_d = theta_from_params(angle_deg, scale, scale, shear,
    tx, ty)`` (in translation mode ``theta_translation(tx, ty)``, the other arguments ignored). Sampling the
    distorted image with :math:`\theta` reads the digit at :math:`\theta_d \circ \theta`, so the exact answer is
    :math:`\theta^* = \theta_d^{-1}` (:func:`invert_theta`), recorded as ``target_theta``. It is exact up to
    interpolation: bilinear resampling blurs a little, and ink pushed outside the frame is lost.
    """
    digit = load_digit()
    theta_d = theta_translation(tx, ty) if mode == "translation" else theta_from_params(
        angle_deg, scale, scale, shear, tx, ty)
    distorted = transform(digit, theta_d, align_corners=align_corners)[0]
    return recover_theta(distorted, digit, mode=mode, steps=steps, lr=lr, blur_sigma=blur_sigma,
                         target_theta=invert_theta(theta_d), align_corners=align_corners)
