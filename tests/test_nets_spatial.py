"""Spatial transformer: grid and sampler against PyTorch and finite differences, theta algebra, the digit asset,
and recovering theta by gradient descent."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from helpers import numeric_grad, require_torch
from hypothesis import given, settings
from hypothesis import strategies as st

from nets.spatial import DIGIT_PATH
from nets import (
    IDENTITY,
    affine_grid,
    affine_grid_backward,
    compose_theta,
    gaussian_blur,
    grid_sample,
    grid_sample_backward,
    invert_theta,
    load_digit,
    params_from_theta,
    recover_theta,
    recovery_demo,
    theta_from_params,
    theta_translation,
    transform,
    transform_backward,
)

ROOT = Path(__file__).resolve().parent.parent




THETA = theta_from_params(25.0, 1.2, 0.9, 0.2, 0.1, -0.15)


@pytest.mark.parametrize("align_corners", [False, True])
def test_identity_theta_returns_the_image(align_corners):
    rng = np.random.default_rng(0)
    for img in (load_digit(), rng.random((13, 21))):
        out, _ = transform(img, IDENTITY, align_corners=align_corners)
        np.testing.assert_allclose(out, img, rtol=0, atol=1e-12)


def test_whole_pixel_translation_shifts_the_array():
    img = np.random.default_rng(1).random((10, 16))
    # tx = 2k / W moves the sampling grid k pixels right, so the content moves k pixels left; zeros come in
    out, _ = transform(img, theta_translation(2 * 3 / 16, -2 * 2 / 10))
    expected = np.zeros_like(img)
    expected[2:, :-3] = img[:-2, 3:]
    np.testing.assert_allclose(out, expected, atol=1e-12)


@pytest.mark.parametrize("align_corners", [False, True])
def test_quarter_turn_is_a_counter_clockwise_rot90(align_corners):
    img = np.random.default_rng(2).random((9, 9))
    out, _ = transform(img, theta_from_params(90.0), align_corners=align_corners)
    np.testing.assert_allclose(out, np.rot90(img), atol=1e-12)


def test_grid_layout_and_align_corners_conventions():
    g = affine_grid(IDENTITY, (2, 4))
    np.testing.assert_allclose(g[0, :, 0], [-0.75, -0.25, 0.25, 0.75])  # (2j + 1) / W - 1
    np.testing.assert_allclose(g[:, 0, 1], [-0.5, 0.5])
    g = affine_grid(IDENTITY, (2, 4), align_corners=True)
    np.testing.assert_allclose(g[0, :, 0], [-1, -1 / 3, 1 / 3, 1])  # 2j / (W - 1) - 1
    np.testing.assert_allclose(g[:, 0, 1], [-1, 1])
    np.testing.assert_allclose(affine_grid(THETA, (5, 7)), affine_grid(IDENTITY, (5, 7)) @ THETA[:, :2].T
                               + THETA[:, 2])


def test_sample_outside_the_image_is_zero_and_edges_fade_linearly():
    img = np.ones((4, 4))
    # x = 1 is the right edge: pixel centre 3 is at x = 0.75, so u = 3.5 there, half weight on a padded zero
    out, _ = grid_sample(img, np.array([[[1.0, 0.0], [1.5, 0.0], [0.75, 0.75]]]))
    np.testing.assert_allclose(out, [[0.5, 0.0, 1.0]])


def test_far_away_and_non_finite_samples_read_zero_without_warnings():
    img = np.ones((4, 4))
    grid = np.array([[[1e300, 0.0], [-np.inf, 0.0], [np.nan, 0.0], [0.0, 1e20]]])
    out, cache = grid_sample(img, grid)
    np.testing.assert_array_equal(out, 0.0)
    g = grid_sample_backward(np.ones((1, 4)), cache)
    np.testing.assert_array_equal(g.image, 0.0)
    np.testing.assert_array_equal(g.grid, 0.0)


@pytest.mark.parametrize("align_corners", [False, True])
def test_sampler_and_grid_match_torch_forward_and_gradients(align_corners):
    torch = require_torch("the cross-check against affine_grid/grid_sample")
    F = torch.nn.functional
    img = load_digit()
    size = (33, 37)  # a different output size exercises both normalizations
    w = np.random.default_rng(3).standard_normal(size)
    theta_t = torch.tensor(THETA[None], requires_grad=True)
    img_t = torch.tensor(img[None, None], requires_grad=True)
    grid_t = F.affine_grid(theta_t, (1, 1) + size, align_corners=align_corners)
    grid_t.retain_grad()
    out_t = F.grid_sample(img_t, grid_t, mode="bilinear", padding_mode="zeros", align_corners=align_corners)
    (out_t[0, 0] * torch.tensor(w)).sum().backward()

    grid = affine_grid(THETA, size, align_corners=align_corners)
    np.testing.assert_allclose(grid, grid_t[0].detach().numpy(), rtol=0, atol=1e-14)
    out, cache = grid_sample(img, grid, align_corners=align_corners)
    np.testing.assert_allclose(out, out_t[0, 0].detach().numpy(), rtol=0, atol=1e-13)
    g = grid_sample_backward(w, cache)
    np.testing.assert_allclose(g.image, img_t.grad[0, 0].numpy(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(g.grid, grid_t.grad[0].numpy(), rtol=0, atol=1e-12)
    dtheta = affine_grid_backward(g.grid, align_corners=align_corners)
    np.testing.assert_allclose(dtheta, theta_t.grad[0].numpy(), rtol=1e-10, atol=1e-11)
    assert np.abs(dtheta).max() > 0.1  # the check is not vacuous




@pytest.mark.parametrize("align_corners", [False, True])
def test_sampler_gradients_match_finite_differences(align_corners):
    rng = np.random.default_rng(4)
    img = rng.random((7, 9))
    theta = THETA.copy()
    w = rng.standard_normal((6, 8))
    _, cache = transform(img, theta, size=(6, 8), align_corners=align_corners)
    # bilinear weights have kinks at whole-pixel positions: make sure no sample sits within the step size of one
    frac = np.concatenate([cache.sample.u.ravel() % 1, cache.sample.v.ravel() % 1])
    assert np.min(np.minimum(frac, 1 - frac)) > 1e-4
    # and that samples fall both inside and across the border, so the zero padding is exercised
    assert np.any(cache.sample.u < 0) or np.any(cache.sample.u > 8) or np.any(cache.sample.v > 6)

    def loss():
        return float(np.sum(w * transform(img, theta, size=(6, 8), align_corners=align_corners)[0]))

    dimage, dtheta = transform_backward(w, cache)
    np.testing.assert_allclose(dimage, numeric_grad(loss, img), rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(dtheta, numeric_grad(loss, theta), rtol=1e-6, atol=1e-8)

    grid = cache.sample.grid.copy()

    def loss_grid():
        return float(np.sum(w * grid_sample(img, grid, align_corners=align_corners)[0]))

    np.testing.assert_allclose(grid_sample_backward(w, cache.sample).grid, numeric_grad(loss_grid, grid),
                               rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("params", [(0, 1, 1, 0, 0, 0), (25, 1.2, 0.9, 0.2, 0.1, -0.15), (-170, 0.5, 2.0, -0.7, 1, 2),
                                    (90, 1, 1, 0, 0, 0)])
def test_params_round_trip_and_matrix_form(params):
    theta = theta_from_params(*params)
    back = params_from_theta(theta)
    np.testing.assert_allclose(back, params, atol=1e-12)
    phi = np.deg2rad(params[0])
    R = np.array([[np.cos(phi), -np.sin(phi)], [np.sin(phi), np.cos(phi)]])
    np.testing.assert_allclose(theta[:, :2], R @ [[1, params[3]], [0, 1]] @ np.diag(params[1:3]), atol=1e-15)
    np.testing.assert_allclose(np.linalg.det(theta[:, :2]), params[1] * params[2], rtol=1e-12)


@settings(max_examples=200, deadline=None)
@given(st.floats(-179.0, 179.0), st.floats(0.1, 10.0), st.floats(0.1, 10.0), st.floats(-5.0, 5.0),
       st.floats(-3.0, 3.0), st.floats(-3.0, 3.0))
def test_params_round_trip_for_any_orientation_preserving_theta(angle, sx, sy, shear, tx, ty):
    back = params_from_theta(theta_from_params(angle, sx, sy, shear, tx, ty))
    np.testing.assert_allclose(back, (angle, sx, sy, shear, tx, ty), rtol=1e-9, atol=1e-9)


def test_inverse_and_composition():
    inv = invert_theta(THETA)
    np.testing.assert_allclose(compose_theta(THETA, inv), IDENTITY, atol=1e-14)
    np.testing.assert_allclose(compose_theta(inv, THETA), IDENTITY, atol=1e-14)
    # sampling twice reads the image at the composed theta; with a quarter turn and whole-pixel shifts there is
    # no interpolation in between, so the two agree exactly
    img = np.random.default_rng(5).random((11, 11))
    inner, outer = theta_from_params(90.0), theta_translation(2 * 2 / 11, -2 * 1 / 11)
    twice = transform(transform(img, inner)[0], outer)[0]
    once = transform(img, compose_theta(outer, inner))[0]
    np.testing.assert_allclose(once, twice, atol=1e-12)
    assert np.abs(twice).sum() > 10


def test_theta_errors():
    with pytest.raises(ValueError, match="determinant"):
        params_from_theta([[-1, 0, 0], [0, 1, 0]])
    with pytest.raises(ValueError, match="2 x 3"):
        transform(np.zeros((4, 4)), np.eye(3))
    with pytest.raises(ValueError, match="scale"):
        theta_from_params(scale_x=0.0)


def test_the_digit_asset_is_what_the_script_makes():
    spec = importlib.util.spec_from_file_location("make_digit", ROOT / "assets" / "make_digit.py")
    make_digit = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_digit)
    digit = load_digit()
    assert DIGIT_PATH == ROOT / "assets" / "digit.npy"
    assert digit.shape == (40, 40) and digit.dtype == np.float64
    np.testing.assert_array_equal(make_digit.render(), digit)
    assert digit.min() == 0.0 and digit.max() == 1.0
    partial = (digit > 0) & (digit < 1)
    assert partial.sum() > 50  # anti-aliased edges, not a binary mask
    assert 0.08 < (digit > 0.5).mean() < 0.3  # ink covers a digit-like share of the canvas
    assert np.all(digit[:3] == 0) and np.all(digit[-3:] == 0) and np.all(digit[:, :3] == 0)  # a margin to move in


def test_gaussian_blur_preserves_mass_away_from_borders_and_sigma_zero_is_identity():
    img = np.zeros((21, 21))
    img[10, 10] = 1.0
    b = gaussian_blur(img, 1.5)
    np.testing.assert_allclose(b.sum(), 1.0, atol=1e-6)
    np.testing.assert_allclose(b, b.T, atol=1e-15)
    np.testing.assert_allclose(b[10, 10:13] / b[10, 10], np.exp(-0.5 * (np.arange(3) / 1.5) ** 2), rtol=1e-12)
    np.testing.assert_array_equal(gaussian_blur(img, 0.0), img)


@pytest.mark.parametrize("sigma", [1e-200, 1e-3, 0.1, 0.3, 0.5, 1.0, 1.5, 3.0])
def test_gaussian_blur_rows_sum_to_one_at_every_sigma(sigma):
    """Away from the borders the blur keeps the mass of an impulse (each row of its kernel sums to 1), and a tiny
    sigma leaves the image as it is instead of making it infinite (the continuous 1/(sigma sqrt(2 pi)) did both:
    16 times the mass per axis at sigma 0.1, inf and NaN at 1e-200)."""
    img = np.zeros((81, 81))
    img[40, 40] = 1.0  # 40 pixels from every border: more than 13 sigma
    b = gaussian_blur(img, sigma)
    assert np.all(np.isfinite(b))
    np.testing.assert_allclose(b.sum(), 1.0, rtol=1e-12)
    np.testing.assert_allclose(b, b.T, rtol=1e-12, atol=1e-300)
    if sigma < 0.05:
        np.testing.assert_allclose(b, img, atol=1e-300)


def test_blur_of_a_tenth_of_a_pixel_barely_changes_the_loss():
    plain, blurred = recovery_demo(steps=0), recovery_demo(steps=0, blur_sigma=0.1)
    assert blurred.losses[0] == pytest.approx(plain.losses[0], rel=1e-6)
    tiny = recovery_demo(steps=5, blur_sigma=1e-200)
    assert np.all(np.isfinite(tiny.losses)) and tiny.losses[-1] == pytest.approx(recovery_demo(steps=5).losses[-1])


def test_recovering_an_affine_distortion():
    r = recovery_demo()  # 20 degrees, scale 1.15, translation (0.15, -0.1), 150 Adam steps
    assert r.thetas.shape == (151, 2, 3) and r.losses.shape == r.errors.shape == (151,)
    np.testing.assert_array_equal(r.thetas[0], IDENTITY)
    assert r.errors[0] > 0.2
    assert r.errors[-1] < 0.01  # every entry of theta within 0.01 of the exact inverse
    assert np.argmax(r.errors < 0.02) <= 80
    assert r.losses[-1] < r.losses[0] / 20
    # the loss floor is interpolation: the best theta still resamples a resampled image
    best = transform(r.distorted, r.target_theta)[0]
    assert r.losses[-1] < 1.05 * np.mean((best - r.original) ** 2)
    np.testing.assert_allclose(r.image_at(150), transform(r.distorted, r.thetas[150])[0])


def test_translation_mode_moves_only_the_two_translation_entries():
    r = recovery_demo(tx=0.15, ty=-0.1, mode="translation")
    np.testing.assert_array_equal(r.thetas[:, :, :2], np.broadcast_to(np.eye(2), (151, 2, 2)))
    np.testing.assert_allclose(r.thetas[-1], theta_translation(-0.15, 0.1), atol=1e-4)


def test_a_far_start_stalls_without_blur_and_converges_with_it():
    far = recovery_demo(tx=0.4, ty=0.0, mode="translation")  # 8 pixels: the strokes no longer overlap
    assert far.errors[-1] > 0.3
    blurred = recovery_demo(tx=0.4, ty=0.0, mode="translation", blur_sigma=1.5)
    assert blurred.errors[-1] < 0.01


def test_recover_theta_refuses_bad_arguments():
    d = load_digit()
    with pytest.raises(ValueError, match="mode"):
        recover_theta(d, d, mode="projective")
    with pytest.raises(ValueError, match="identity"):
        recover_theta(d, d, mode="translation", theta0=THETA)


@pytest.mark.parametrize("align_corners", [False, True])
def test_bilinear_taps_reproduce_the_sampler_pixel_by_pixel(align_corners):
    from nets.spatial import bilinear_taps

    image = load_digit()
    grid = affine_grid(theta_from_params(25.0, 1.3, 0.8, 0.2, 0.3, -0.2), (17, 23), align_corners=align_corners)
    out, _ = grid_sample(image, grid, align_corners=align_corners)
    for i in range(grid.shape[0]):
        for j in range(grid.shape[1]):
            taps = bilinear_taps(image, *grid[i, j], align_corners=align_corners)
            assert taps.value == pytest.approx(out[i, j], abs=1e-14)
            assert taps.weights.sum() == pytest.approx(1.0, abs=1e-14)
            assert np.all(taps.weights >= 0)
            # the weights are the bilinear ones, and the neighbours surround (u, v)
            assert taps.cols[0] <= taps.u < taps.cols[1] and taps.rows[0] <= taps.v < taps.rows[2]


def test_bilinear_taps_at_a_pixel_centre_and_outside():
    from nets.spatial import bilinear_taps

    image = np.arange(12.0).reshape(3, 4)
    # the centre of pixel (row 1, column 2) is x = (2*2 + 1)/4 - 1 = 0.25, y = (2*1 + 1)/3 - 1 = 0
    taps = bilinear_taps(image, 0.25, 0.0)
    assert (taps.u, taps.v) == (2.0, 1.0)
    assert taps.value == image[1, 2]
    np.testing.assert_array_equal(taps.weights, [1.0, 0.0, 0.0, 0.0])
    far = bilinear_taps(image, 7.0, -9.0)
    assert far.value == 0.0 and not far.inside.any()
    with pytest.raises(ValueError, match="finite"):
        bilinear_taps(image, np.nan, 0.0)
