"""Draw the app's page icon, ``assets/favicon.png``: a loss curve falling to its minimum, on a white rounded square.

    .venv/bin/python assets/make_favicon.py

A local file, so that the browser tab's icon never needs a font server (a ``:material/...:`` page icon is fetched
from fonts.gstatic.com on every load, and fails offline). Drawn with numpy (4 x 4 samples per pixel) and written as
a PNG with the standard library.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parent / "favicon.png"
SIZE = 64
SAMPLES = 4  # per pixel and axis: smooth edges
BLUE, GREEN, WHITE = (11, 79, 138), (0, 158, 115), (255, 255, 255)


def _segment_distance(px, py, ax, ay, bx, by):
    """Distance from the points (px, py) to the segment a-b."""
    dx, dy = bx - ax, by - ay
    t = np.clip(((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy), 0.0, 1.0)
    return np.hypot(px - ax - t * dx, py - ay - t * dy)


def draw() -> np.ndarray:
    """The icon as RGBA bytes, shape (SIZE, SIZE, 4)."""
    n = SIZE * SAMPLES
    c = (np.arange(n) + 0.5) / SAMPLES  # sample centres in pixel units
    x, y = np.meshgrid(c, c)
    inset, radius = 1.5, 12.0
    qx = np.clip(x, inset + radius, SIZE - inset - radius)
    qy = np.clip(y, inset + radius, SIZE - inset - radius)
    box = np.hypot(x - qx, y - qy) - radius  # < 0 inside the rounded square
    t = np.linspace(0.0, 1.0, 40)
    cx = (0.16 + 0.68 * t) * SIZE
    cy = (0.2 + 0.58 * (1 - np.exp(-4.0 * t)) / (1 - np.exp(-4.0))) * SIZE  # a decaying loss
    curve = np.min([_segment_distance(x, y, cx[i], cy[i], cx[i + 1], cy[i + 1]) for i in range(len(t) - 1)], axis=0)
    layers = [(box < 0, WHITE), ((box < 0) & (box > -3.0), BLUE), (curve < 3.0, BLUE),
              (np.hypot(x - cx[-1], y - cy[-1]) < 6.0, GREEN)]  # the minimum, in green
    rgb = np.zeros((n, n, 3))
    for mask, color in layers:
        rgb[mask] = color
    alpha = (box < 0).astype(float)
    shrink = lambda a: a.reshape(SIZE, SAMPLES, SIZE, SAMPLES, *a.shape[2:]).mean(axis=(1, 3))  # noqa: E731
    a = shrink(alpha)
    rgb = shrink(rgb * alpha[..., None]) / np.maximum(a, 1e-9)[..., None]
    return np.dstack([rgb, a * 255]).round().astype(np.uint8)


def png(rgba: np.ndarray) -> bytes:
    """RGBA bytes as a PNG file (8-bit, no interlacing)."""
    h, w, _ = rgba.shape
    chunk = lambda kind, data: (struct.pack(">I", len(data)) + kind + data  # noqa: E731
                                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    rows = b"".join(b"\x00" + rgba[i].tobytes() for i in range(h))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b""))


if __name__ == "__main__":
    OUT.write_bytes(png(draw()))
    print(f"wrote {OUT}")
