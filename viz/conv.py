"""Figures and tables of the convolution page: matrices drawn as numbered grids (the window under the filter
outlined), and every output and gradient entry written out as its sum of products. Numbers from ``nets.conv``."""

from __future__ import annotations

import numpy as np
import pandas as pd

from nets.conv import ConvGrads, ConvPass, input_terms

from .losses import short
from .style import Theme, figure

WINDOW = "#E69F00"
CELL = "#D55E00"
SCALE = [[0, "#F7FBFF"], [1, "#9ECAE1"]]


def _f(x: float) -> str:
    """A factor of a product: negative numbers in parentheses, so 1·(−1) cannot be misread."""
    text = short(x)
    return f"({text})" if text.startswith("−") else text


def _x_name(p: ConvPass, r: int, c: int) -> str:
    """The padded input's entry (r, c) by its name in X (1-based), or 0 inside the padding."""
    h, w = p.x.shape
    i, j = r - p.padding, c - p.padding
    return f"X{i + 1}{j + 1}" if 0 <= i < h and 0 <= j < w else "0"


def forward_terms(p: ConvPass, i: int, j: int) -> tuple[str, str]:
    """O_ij as symbols and as numbers: the four (or k·l) products of its window."""
    k, l = p.f.shape
    sym, num = [], []
    for a in range(k):
        for b in range(l):
            r, c = p.stride * i + a, p.stride * j + b
            name = _x_name(p, r, c)
            sym.append(f"{name}·F{a + 1}{b + 1}" if name != "0" else f"0·F{a + 1}{b + 1}")
            num.append(f"{_f(p.x_padded[r, c])}·{_f(p.f[a, b])}")
    return " + ".join(sym), " + ".join(num)


def forward_latex(p: ConvPass, i: int, j: int) -> str:
    """O_ij = X_..F_.. + ... in LaTeX (padding entries as 0)."""
    k, l = p.f.shape
    terms = []
    for a in range(k):
        for b in range(l):
            name = _x_name(p, p.stride * i + a, p.stride * j + b)
            x = "0" if name == "0" else f"X_{{{name[1:]}}}"
            terms.append(f"{x}\\,F_{{{a + 1}{b + 1}}}")
    return f"O_{{{i + 1}{j + 1}}} = " + " + ".join(terms)


def forward_frame(p: ConvPass) -> pd.DataFrame:
    rows = []
    for i in range(p.out.shape[0]):
        for j in range(p.out.shape[1]):
            sym, num = forward_terms(p, i, j)
            rows.append({"output": f"O{i + 1}{j + 1}", "sum of products": sym, "with the numbers": num,
                         "value": p.out[i, j]})
    return pd.DataFrame(rows)


def filter_grad_frame(p: ConvPass, g: ConvGrads) -> pd.DataFrame:
    rows = []
    oh, ow = p.out.shape
    for a in range(p.f.shape[0]):
        for b in range(p.f.shape[1]):
            sym, num = [], []
            for i in range(oh):
                for j in range(ow):
                    r, c = p.stride * i + a, p.stride * j + b
                    sym.append(f"∂L/∂O{i + 1}{j + 1}·{_x_name(p, r, c)}")
                    num.append(f"{_f(g.d_out[i, j])}·{_f(p.x_padded[r, c])}")
            rows.append({"entry": f"∂L/∂F{a + 1}{b + 1}", "sum of products": " + ".join(sym),
                         "with the numbers": " + ".join(num), "value": g.d_filter[a, b]})
    return pd.DataFrame(rows)


def input_grad_frame(p: ConvPass, g: ConvGrads) -> pd.DataFrame:
    rows = []
    k, l = p.f.shape
    for m in range(p.x.shape[0]):
        for n in range(p.x.shape[1]):
            terms = input_terms(p, m, n)
            sym = [f"∂L/∂O{i + 1}{j + 1}·F{a + 1}{b + 1}" for i, j, a, b in terms]
            num = [f"{_f(g.d_out[i, j])}·{_f(p.f[a, b])}" for i, j, a, b in terms]
            rot = [f"rot(F){k - a}{l - b}" for i, j, a, b in terms]
            rows.append({"entry": f"∂L/∂X{m + 1}{n + 1}", "sum of products": " + ".join(sym) or "nothing (0)",
                         "rotated filter entries used": ", ".join(rot) or "none",
                         "with the numbers": " + ".join(num) or "0", "value": g.d_input[m, n]})
    return pd.DataFrame(rows)


def _outline(r0: int, c0: int, rows: int, cols: int, color: str, width: float, dash: str = "solid") -> dict:
    """A rectangle around rows r0.. and columns c0.. of a matrix figure (0-based, in the figure's cell units)."""
    return {"type": "rect", "xref": "x", "yref": "y", "x0": c0 + 0.5, "x1": c0 + cols + 0.5,
            "y0": r0 + 0.5, "y1": r0 + rows + 0.5, "line": {"color": color, "width": width, "dash": dash}}


def matrix_figure(z: np.ndarray, title: str, th: Theme, *, pad: int = 0, outlines: list[dict] = ()):
    """One matrix as a grid of numbered cells (row 1 on top; a zero border of width ``pad`` numbered from 0
    outwards, the matrix itself dotted), outlines drawn over it. Each matrix is its own small figure, so that
    the page's columns can stack them on a narrow screen."""
    z = np.asarray(z, float)
    h, w = z.shape
    trace = {"type": "heatmap", "z": z, "text": [[short(v) for v in row] for row in z], "texttemplate": "%{text}",
             "colorscale": SCALE, "showscale": False, "xgap": 2, "ygap": 2, "hoverinfo": "skip", "name": title,
             "x": np.arange(1 - pad, w + 1 - pad), "y": np.arange(1 - pad, h + 1 - pad)}
    plain = {"showgrid": False, "showline": False, "ticks": "", "dtick": 1}
    shapes = [_outline(0, 0, h - 2 * pad, w - 2 * pad, "#555555", 2, "dot")] if pad else []
    cell = th.blocks.conv_cell
    layout = {"xaxis": plain | {"title": {"text": title}}, "yaxis": plain | {"autorange": "reversed"},
              "shapes": shapes + list(outlines), "margin": {"t": 10, "b": 10},
              "font": {"size": th.blocks.conv_font}}
    return figure([trace], layout, th, height=int(90 + cell * z.shape[0]), legend=False)


def forward_figures(p: ConvPass, step: int, th: Theme) -> list:
    """Padded input with the window of output ``step`` outlined, the filter, and the output with that cell outlined."""
    i, j = divmod(step, p.out.shape[1])
    k, l = p.f.shape
    pad = p.padding
    wide = th.line + 2
    return [matrix_figure(p.x_padded, "input X" + (" (padded with 0)" if pad else ""), th, pad=pad,
                          outlines=[_outline(p.stride * i - pad, p.stride * j - pad, k, l, WINDOW, wide)]),
            matrix_figure(p.f, "filter F", th, outlines=[_outline(0, 0, k, l, WINDOW, wide)]),
            matrix_figure(p.out, "output O", th, outlines=[_outline(i, j, 1, 1, CELL, wide)])]


def backward_figures(p: ConvPass, g: ConvGrads, th: Theme) -> list:
    """X, ∂L/∂O, ∂L/∂F, the rotated filter and ∂L/∂X, one figure each."""
    return [matrix_figure(p.x_padded, "input X" + (" (padded)" if p.padding else ""), th, pad=p.padding),
            matrix_figure(g.d_out, "∂L/∂O (upstream)", th), matrix_figure(g.d_filter, "∂L/∂F", th),
            matrix_figure(g.rotated, "F rotated 180°", th), matrix_figure(g.d_input, "∂L/∂X", th)]
