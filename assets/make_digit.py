"""Draw the handwritten-style digit the spatial-transformer demo uses, and save it as ``assets/digit.npy``.

    python assets/make_digit.py          # rewrites assets/digit.npy next to this file

The digit is a "2" written with a round pen of varying width (a little heavier on the down strokes), as three
cubic Bezier strokes on a 40 x 40 canvas. A pixel's value is the fraction of it the pen covers, approximated by
a linear ramp one pixel wide across the stroke's edge: ``clip(r + 1/2 - d, 0, 1)`` for a pixel centre at distance
``d`` from the stroke's centre line and pen radius ``r``. That anti-aliases the edges. numpy only, deterministic:
running it again gives the same array bit for bit.

Pixel ``(i, j)`` (row i from the top, column j from the left) has its centre at ``(x, y) = (j + 1/2, i + 1/2)``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

SIZE = 40
PATH = Path(__file__).with_name("digit.npy")

# Each stroke: four Bezier control points (x, y) in pixels, and the pen radius at its start and end.
STROKES = (
    (((12.5, 14.5), (13.0, 6.5), (27.5, 5.5), (26.5, 14.0)), (1.3, 1.6)),   # the top arc
    (((26.5, 14.0), (25.5, 20.5), (16.0, 25.0), (12.0, 31.0)), (1.6, 1.8)),  # the diagonal down to the left
    (((12.0, 31.0), (17.0, 29.0), (23.0, 31.5), (28.5, 29.5)), (1.8, 1.3)),  # the base, slightly wavy
)


def bezier(ctrl, n: int = 64) -> np.ndarray:
    """``n`` points on the cubic Bezier curve with control points ``ctrl`` (4, 2)."""
    t = np.linspace(0.0, 1.0, n)[:, None]
    p0, p1, p2, p3 = (np.asarray(c, dtype=float) for c in ctrl)
    return (1 - t) ** 3 * p0 + 3 * (1 - t) ** 2 * t * p1 + 3 * (1 - t) * t ** 2 * p2 + t ** 3 * p3


def distance_to_polyline(points: np.ndarray, radii: np.ndarray, px: np.ndarray):
    """For pixel centres ``px`` (P, 2): distance to the polyline ``points`` (n, 2) and the pen radius there."""
    a, b = points[:-1], points[1:]  # segments (S, 2)
    ab = b - a
    t = np.einsum("psk,sk->ps", px[:, None, :] - a[None], ab) / np.einsum("sk,sk->s", ab, ab)
    t = np.clip(t, 0.0, 1.0)
    closest = a[None] + t[..., None] * ab[None]
    d = np.linalg.norm(px[:, None, :] - closest, axis=-1)  # (P, S)
    k = np.argmin(d, axis=1)
    r = radii[:-1][k] + t[np.arange(len(px)), k] * (radii[1:][k] - radii[:-1][k])
    return d[np.arange(len(px)), k], r


def render(size: int = SIZE) -> np.ndarray:
    """The digit as a ``(size, size)`` float64 array in [0, 1] (0 background, 1 ink)."""
    scale = size / SIZE
    jj, ii = np.meshgrid(np.arange(size), np.arange(size))
    px = np.stack([jj.ravel() + 0.5, ii.ravel() + 0.5], axis=1)
    ink = np.zeros(size * size)
    for ctrl, (r0, r1) in STROKES:
        pts = bezier(np.asarray(ctrl) * scale)
        radii = np.linspace(r0, r1, len(pts)) * scale
        d, r = distance_to_polyline(pts, radii, px)
        ink = np.maximum(ink, np.clip(r + 0.5 - d, 0.0, 1.0))
    return ink.reshape(size, size)


def main() -> None:
    np.save(PATH, render())
    print(f"wrote {PATH} ({SIZE} x {SIZE})")


if __name__ == "__main__":
    main()
