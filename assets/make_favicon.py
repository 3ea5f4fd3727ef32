"""Draw the app's page icon, ``assets/favicon.png``: a loss curve falling to its minimum, on a white rounded square.

    .venv/bin/python assets/make_favicon.py

A local file, so that the browser tab's icon never needs a font server (a ``:material/...:`` page icon is fetched
from fonts.gstatic.com on every load, and fails offline).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parent / "favicon.png"
SIZE = 64
SCALE = 4  # drawn 4x larger, then shrunk: smooth edges


def draw() -> Image.Image:
    n = SIZE * SCALE
    img = Image.new("RGBA", (n, n), (0, 0, 0, 0))
    pen = ImageDraw.Draw(img)
    pen.rounded_rectangle((0, 0, n - 1, n - 1), radius=12 * SCALE, fill=(255, 255, 255, 255),
                          outline=(11, 79, 138, 255), width=3 * SCALE)
    t = np.linspace(0.0, 1.0, 60)
    x = (0.16 + 0.68 * t) * n
    y = (0.2 + 0.58 * (1 - np.exp(-4.0 * t)) / (1 - np.exp(-4.0))) * n  # a decaying loss, top left to bottom right
    pen.line(list(zip(x.tolist(), y.tolist())), fill=(11, 79, 138, 255), width=6 * SCALE, joint="curve")
    r = 6 * SCALE
    pen.ellipse((x[-1] - r, y[-1] - r, x[-1] + r, y[-1] + r), fill=(0, 158, 115, 255))  # the minimum, in green
    return img.resize((SIZE, SIZE), Image.LANCZOS)


if __name__ == "__main__":
    draw().save(OUT, optimize=True)
    print(f"wrote {OUT}")
