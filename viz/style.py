"""One look for every page: a colour per optimizer, one number format, and a projector theme.

Colours are the Okabe-Ito palette (safe for the common colour-vision deficiencies), its yellow swapped for
grey and olive to reach nine and to stay visible on white. Each optimizer also has its own marker symbol
and dash, so paths remain distinguishable in grey-scale and for every reader.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import plotly.graph_objects as go

OPTIMIZER_COLORS = {
    "gd": "#000000",
    "sgd": "#7F7F7F",
    "momentum": "#E69F00",
    "nesterov": "#D55E00",
    "adagrad": "#56B4E9",
    "rmsprop": "#0072B2",
    "adadelta": "#009E73",
    "adam": "#CC79A7",
    "newton": "#999933",
}
OPTIMIZER_SYMBOLS = {
    "gd": "circle", "sgd": "circle-open", "momentum": "square", "nesterov": "diamond", "adagrad": "triangle-up",
    "rmsprop": "triangle-down", "adadelta": "pentagon", "adam": "star", "newton": "x",
}
OPTIMIZER_DASHES = {
    "gd": "solid", "sgd": "dot", "momentum": "dash", "nesterov": "dashdot", "adagrad": "longdash",
    "rmsprop": "longdashdot", "adadelta": "solid", "adam": "solid", "newton": "dash",
}
#: for several runs of one optimizer (learning rates side by side): Paul Tol's colour-blind-safe "bright"
SERIES_COLORS = ("#4477AA", "#EE6677", "#228833", "#AA3377", "#66CCEE", "#CCBB44", "#BBBBBB")
#: stationary points on every plot
KIND_SYMBOLS = {"minimum": "star", "maximum": "triangle-up", "saddle": "x"}
KIND_COLORS = {"minimum": "#009E73", "maximum": "#D55E00", "saddle": "#0072B2"}
#: run outcomes (a verdict, a table cell, a map region)
STATUS_COLORS = {"converged": "#009E73", "running": "#E69F00", "diverged": "#D55E00"}

DECIMALS = 5  # the course notes' tables show 5 decimals
LARGE = 1e6  # beyond this, numbers switch to scientific notation


def number_format(values=()) -> str:
    """The printf format for a column of numbers: 5 decimals, or scientific when any value is huge."""
    big = any(math.isfinite(v) and abs(v) >= LARGE for v in map(float, values))
    return f"%.{DECIMALS - 1}e" if big else f"%.{DECIMALS}f"


def format_number(x: float) -> str:
    """A number as the pages print it: 5 decimals, scientific beyond 1e6, a word where it is not finite."""
    x = float(x)
    if math.isnan(x):
        return "undefined"
    if math.isinf(x):
        return "∞" if x > 0 else "−∞"
    text = number_format([x]) % x
    return text[1:] if text.startswith("-") and float(text) == 0 else text.replace("-", "−")


@dataclass(frozen=True)
class Theme:
    """Sizes for figures; presentation mode is larger, thicker and higher in contrast."""

    present: bool
    font: int
    title: int
    line: float
    marker: int
    height: int
    grid: str
    ink: str = "#111111"


NORMAL = Theme(present=False, font=14, title=17, line=2.0, marker=9, height=460, grid="#E5E5E5")
PRESENT = Theme(present=True, font=22, title=26, line=4.5, marker=16, height=620, grid="#B0B0B0", ink="#000000")


def theme(present: bool) -> Theme:
    return PRESENT if present else NORMAL


def style(fig: go.Figure, th: Theme, *, height: int | None = None, legend: bool = True) -> go.Figure:
    """Apply the theme to a figure: white background, readable fonts, light or strong grid."""
    fig.update_layout(
        template="simple_white",
        height=height or th.height,
        font=dict(size=th.font, color=th.ink),
        title_font=dict(size=th.title),
        margin=dict(l=10, r=10, t=50 if th.present else 40, b=10),
        showlegend=legend,
        legend=dict(font=dict(size=th.font), bgcolor="rgba(255,255,255,0.85)"),
        hoverlabel=dict(font_size=th.font),
    )
    axis = dict(showgrid=True, gridcolor=th.grid, linewidth=2 if th.present else 1, ticks="outside",
                title_font=dict(size=th.font + 2), tickfont=dict(size=th.font), zeroline=False)
    fig.update_xaxes(**axis)
    fig.update_yaxes(**axis)
    fig.update_annotations(font_size=th.font)
    return fig
