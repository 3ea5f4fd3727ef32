"""Arrays on the wire: how the plain-dict figures (the race, its contour) encode coordinates compactly.

plotly.py encodes the arrays of validated traces as typed-array JSON by itself; figures built as plain dicts
(see ``viz.style.AnimatedFigure``) encode them here.
"""

from __future__ import annotations

import base64
import math

import numpy as np


def f32(a: np.ndarray) -> np.ndarray:
    """Drawn coordinates as float32: half the bytes, and plenty for a position on a screen."""
    with np.errstate(over="ignore"):
        return np.ascontiguousarray(a, dtype=np.float32)


def view_digits(bounds) -> int:
    """Decimals that resolve 1/4000 of the view box ``bounds``: far below a pixel, and short in JSON."""
    span = min(hi - lo for lo, hi in bounds)
    return max(0, math.ceil(-math.log10(span / 4000)))


def rounded(a: np.ndarray, digits: int) -> list:
    """A short array as a JSON list of rounded numbers, None (null, a gap) where it is not finite.

    A frame's few coordinates cost a third less this way than as base64, which also has '/' that
    ``plotly.io.to_json`` escapes to six characters.
    """
    r = np.round(np.asarray(a, dtype=float), digits)
    return [float(v) if math.isfinite(v) else None for v in r.tolist()]


def b64(a: np.ndarray, dtype: str = "f4") -> dict:
    """An array as plotly.js's typed-array JSON, float32 by default. NaN is a gap, as null in a list."""
    arr = f32(a) if dtype == "f4" else np.ascontiguousarray(a, dtype=np.dtype(dtype).newbyteorder("<"))
    out = {"dtype": dtype, "bdata": base64.b64encode(arr.tobytes()).decode("ascii")}
    if arr.ndim > 1:  # a 2-D array (the contour's z) says its shape, rows first
        out["shape"] = ", ".join(map(str, arr.shape))
    return out


def typed(obj):
    """``obj`` (nested dicts and lists, e.g. animation frames built from graph objects) with every numeric numpy
    array in it as typed-array JSON of its own dtype, as plotly.py encodes a validated figure's arrays; float64
    stays float64, so every value arrives exactly."""
    if isinstance(obj, dict):
        return {k: typed(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [typed(v) for v in obj]
    if isinstance(obj, np.ndarray) and obj.dtype.kind in "uif":
        code = {"f": "f", "u": "u", "i": "i"}[obj.dtype.kind] + str(obj.dtype.itemsize)
        if code in ("i8", "u8"):  # plotly.js has no 64-bit integers: 32 bits when the values fit, else float64
            fits = obj.size == 0 or (obj.min() >= np.iinfo(np.int32).min and obj.max() <= np.iinfo(np.int32).max)
            code = "i4" if fits else "f8"
        return b64(obj, code)
    return obj
