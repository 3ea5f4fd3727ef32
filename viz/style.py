"""One look for every page: a colour per optimizer, one number format, and a projector theme.

Colours are the Okabe-Ito palette (safe for the common colour-vision deficiencies), its yellow swapped for
grey and olive to reach nine and to stay visible on white. Each optimizer also has its own marker symbol
and dash, so paths remain distinguishable in grey-scale and for every reader.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import plotly.graph_objects as go
import plotly.io as pio

# Figures state their look explicitly (``base_layout``, ``axis_style``): no template is copied into every figure,
# which costs ~20 ms per figure to apply and ~10 kB per figure on the wire.
pio.templates.default = "none"

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


def base_layout(th: Theme, *, height: int | None = None, legend: bool = True) -> dict:
    """Layout properties every figure shares: white background, readable fonts, margins, legend."""
    return {
        "height": height or th.height,
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "font": {"size": th.font, "color": th.ink, "family": "Source Sans Pro, Arial, sans-serif"},
        "title": {"font": {"size": th.title}},
        "margin": {"l": 10, "r": 10, "t": 50 if th.present else 40, "b": 10},
        "showlegend": legend,
        "legend": {"font": {"size": th.font}, "bgcolor": "rgba(255,255,255,0.85)"},
        "hoverlabel": {"font": {"size": th.font}},
        "colorway": list(SERIES_COLORS),
    }


def axis_style(th: Theme) -> dict:
    """Axis lines, ticks and a light (or, on a projector, stronger) grid."""
    return {
        "showgrid": True, "gridcolor": th.grid, "showline": True, "linecolor": th.ink,
        "linewidth": 2 if th.present else 1, "ticks": "outside", "tickcolor": th.ink, "zeroline": False,
        "title": {"font": {"size": th.font + 2}}, "tickfont": {"size": th.font}, "automargin": True,
    }


def _merge(base: dict, extra: dict) -> dict:
    out = dict(base)
    for key, value in extra.items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def figure(data: list[dict], layout: dict, th: Theme, *, frames: list[dict] | None = None,
           height: int | None = None, legend: bool = True) -> go.Figure:
    """A figure from plain trace and layout dicts, themed, built without plotly's slow per-property validation.

    Every builder's output is validated in the tests (``go.Figure(fig.to_dict())``), so a misspelt property
    still fails there rather than being silently ignored by the browser.
    """
    lay = _merge(base_layout(th, height=height, legend=legend), layout)
    axes = [k for k in lay if k.startswith(("xaxis", "yaxis"))] or ["xaxis", "yaxis"]
    for key in axes:
        lay[key] = _merge(axis_style(th), lay.get(key, {}))
    annotations = lay.get("annotations", [])
    lay["annotations"] = [_merge({"font": {"size": th.font}}, a) for a in annotations]
    return AnimatedFigure({"data": data, "layout": lay}, frames or [])


class AnimatedFigure(go.Figure):
    """A figure whose animation frames stay plain dicts until serialization.

    plotly validates every trace of every frame when frames are assigned (about 10 ms a frame); Streamlit and
    ``to_json`` read a figure through ``to_dict()``, which here appends the frames as they are.
    """

    def __init__(self, spec: dict, frames: list[dict]):
        super().__init__(spec, _validate=False)
        self._plain_frames = frames

    def to_dict(self) -> dict:
        out = super().to_dict()
        out["frames"] = self._plain_frames
        return out


def style(fig: go.Figure, th: Theme, *, height: int | None = None, legend: bool = True) -> go.Figure:
    """Apply the theme to a figure built with graph objects, in one layout update (in place; also returned)."""
    existing = fig.layout.to_plotly_json()
    axes = [k for k in existing if k.startswith(("xaxis", "yaxis"))] or ["xaxis", "yaxis"]
    fig.update_layout(base_layout(th, height=height, legend=legend) | {k: axis_style(th) for k in axes})
    fig.update_annotations(font_size=th.font)
    return fig
