"""One look for every page: one table of optimizer looks, one number format, and the theme.

``LOOKS`` gives each optimizer its colour, marker symbol and dash (paths remain distinguishable in grey-scale
and for every reader). Colours are the Okabe-Ito palette (safe for the common colour-vision deficiencies), its
yellow swapped for grey and olive to reach nine and to stay visible on white; conjugate gradients and BFGS take
indigo and wine from Paul Tol's colour-blind-safe "muted" scheme, both dark enough for white.

``Theme`` holds every size that presentation mode changes, grouped by figure; ``NORMAL`` and ``PRESENT`` are
the two themes. Figure builders read its fields and never ask whether the theme is the presentation one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, is_dataclass, replace

import plotly.graph_objects as go
from plotly.subplots import make_subplots
import plotly.io as pio

from optim.trajectory import CONVERGED_WHEN, DEFAULT_BOUND, DEFAULT_TOL

from .wire import typed

# Figures state their look explicitly (``base_layout``, ``axis_style``): no template is copied into every figure,
# which costs ~20 ms per figure to apply and ~10 kB per figure on the wire.
pio.templates.default = "none"


@dataclass(frozen=True)
class Look:
    """How one optimizer is drawn everywhere: its colour, its marker symbol and its line dash."""

    color: str
    symbol: str
    dash: str


#: one entry per optimizer: adding an optimizer adds one line here
LOOKS = {
    "gd": Look(color="#000000", symbol="circle", dash="solid"),
    "sgd": Look(color="#7F7F7F", symbol="circle-open", dash="dot"),
    "momentum": Look(color="#E69F00", symbol="square", dash="dash"),
    "nesterov": Look(color="#D55E00", symbol="diamond", dash="dashdot"),
    "adagrad": Look(color="#56B4E9", symbol="triangle-up", dash="longdash"),
    "rmsprop": Look(color="#0072B2", symbol="triangle-down", dash="longdashdot"),
    "adadelta": Look(color="#009E73", symbol="pentagon", dash="solid"),
    "adam": Look(color="#CC79A7", symbol="star", dash="solid"),
    "newton": Look(color="#999933", symbol="x", dash="dash"),
    "cg": Look(color="#332288", symbol="hexagon", dash="dot"),
    "bfgs": Look(color="#882255", symbol="cross", dash="longdash"),
}
#: for several runs of one optimizer (learning rates side by side): Paul Tol's colour-blind-safe "bright"
SERIES_COLORS = ("#4477AA", "#EE6677", "#228833", "#AA3377", "#66CCEE", "#CCBB44", "#BBBBBB")
#: stationary points on every plot
KIND_SYMBOLS = {"minimum": "star", "maximum": "triangle-up", "saddle": "x"}
KIND_COLORS = {"minimum": "#009E73", "maximum": "#D55E00", "saddle": "#0072B2"}
#: run outcomes (a verdict, a table cell, a map region)
STATUS_COLORS = {"converged": "#009E73", "running": "#E69F00", "diverged": "#D55E00", "line search failed": "#AA4499",
                 "left the domain": "#CC79A7"}
#: the same hues as Streamlit's coloured text (``:green[...]``), for a status written in prose
STATUS_TEXT_COLORS = {"converged": "green", "running": "orange", "diverged": "red", "line search failed": "violet",
                      "left the domain": "violet"}
#: the predicted behaviour of gradient descent (a kind of ``optim.analysis.VERDICTS``) as the status it leads to:
#: its colour is that status's, so "Converges ..." is green, "Oscillates for ever" orange and "Diverges" red
VERDICT_STATUS = {"one-step": "converged", "monotone": "converged", "oscillating": "converged", "cycle": "running",
                  "diverges": "diverged"}

DECIMALS = 5  # the course notes' tables show 5 decimals
LARGE = 1e6  # beyond this, numbers switch to scientific notation


def number_format(values=()) -> str:
    """The printf format for a column of numbers: 5 decimals, or scientific when any value is huge."""
    big = any(math.isfinite(v) and abs(v) >= LARGE for v in map(float, values))
    return f"%.{DECIMALS - 1}e" if big else f"%.{DECIMALS}f"


SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def power_of_ten(k: int) -> str:
    """10ᵏ as text: ``1``, ``10``, ``10⁶``, ``10⁻⁶``."""
    return "1" if k == 0 else "10" if k == 1 else f"10{str(k).translate(SUPERSCRIPT)}"


def power_text(x: float) -> str:
    """A threshold for a caption: ``10⁻⁶`` for a power of ten, else the number (``2.5e-05``)."""
    k = round(math.log10(x)) if x > 0 else 0
    return power_of_ten(k) if x > 0 and 10.0 ** k == x else f"{x:g}"


def status_criteria() -> str:
    """What converged and diverged mean, for the caption of every table or legend of statuses."""
    return (f"{CONVERGED_WHEN.format(tol=power_text(DEFAULT_TOL))} Diverged: a coordinate left "
            f"±{power_text(DEFAULT_BOUND)}.")


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
class PlayerSizes:
    """The Play / Pause row and step slider under the animated 1-D descent and the θ recovery."""

    slider_x: float  #: where the slider starts (paper), right of the buttons
    slider_len: float  #: its length (paper)


@dataclass(frozen=True)
class RaceSizes:
    """The playground's race figure (contour and loss side by side, a player below) and its 3-D view."""

    height: int  #: pixels, legend and player included
    top: int  #: room above the plots for the legend
    bottom: int  #: room below the plots for the axis title, buttons and slider
    column_widths: tuple[float, float]  #: contour, loss plot
    spacing: float  #: between the two plots (paper)
    legend_font: int
    contour_line: float  #: width of the contour lines
    buttons_below: int  #: pixels from the bottom of the plots to the top of the buttons
    slider_below: int  #: pixels from the bottom of the plots to the top of the slider
    view3d_height: int  #: the 3-D view and the loss figure beside it


@dataclass(frozen=True)
class MapSizes:
    """The hyperparameter map, its rate figures and the view of one cell's run."""

    row_height: int  #: a map with one row (one hyperparameter)
    height: int  #: a map with two hyperparameters
    margin_top: int
    titled_margin_top: int  #: a map with a title
    rate_margin_top: int  #: the two rate maps side by side (room for the panel titles)
    curve_height: int  #: the rate against one hyperparameter
    path_margin_top: int  #: a run's path, below its two-line title
    path_legend_y: float  #: the legend under the 1-D path (paper)


@dataclass(frozen=True)
class DescentSizes:
    """Gradient descent on a curve: the animated descent, the learning-rate strip, comparisons."""

    margin_top: int
    margin_bottom: int  #: room for the player
    strip_height: int  #: the learning-rate strip
    compare_height: int  #: w_t of several learning rates


@dataclass(frozen=True)
class LSTMSizes:
    """The LSTM page's figures."""

    row_spacing: float  #: between the rows of the cell heatmap (paper)
    heat_font: int  #: the numbers in the heatmap's cells
    row_px: int  #: pixels per heatmap row
    current_width: float  #: the outline of the current time step
    gradient_margin_top: int
    example_height: int  #: one example sequence of the memory task
    memory_spacing: float  #: between the two memory-task plots (paper)
    memory_margin_top: int


@dataclass(frozen=True)
class BatchNormSizes:
    """The batch-norm page's figures."""

    rug_line: float  #: the tick of each example under a histogram
    hist_height: int
    hist_margin_top: int
    running_margin_top: int
    columns: int  #: panels per row of the learning-rate experiment
    spacing: float  #: between those panels (paper)
    panel_height: int  #: one row of those panels
    nticks: int  #: ticks on each panel's step axis
    experiment_margin_top: int
    dataset_height: int


@dataclass(frozen=True)
class SpatialSizes:
    """The spatial-transformer page's figures."""

    grid_height: int
    grid_margin_bottom: int
    recovery_height: int
    recovery_margin_bottom: int


@dataclass(frozen=True)
class BlocksSizes:
    """The building-block pages' figures (curves, initializers, convolution grids)."""

    curve_margin_top: int
    curve_height: int
    depth_margin_top: int
    conv_cell: int
    conv_font: int


@dataclass(frozen=True)
class Theme:
    """Everything about a figure's look that presentation mode changes: larger type, thicker lines, higher
    contrast, and each figure's sizes (grouped by figure). Frozen and hashable: cached builders take it as an
    argument. Figures read these fields; only this module decides what presentation mode means."""

    present: bool
    font: int
    title: int
    line: float
    marker: int
    height: int
    grid: str
    margin_top: int  #: every figure's default top margin
    axis_line: float
    colorbar_thickness: int
    player: PlayerSizes
    race: RaceSizes
    map: MapSizes
    descent: DescentSizes
    lstm: LSTMSizes
    batchnorm: BatchNormSizes
    spatial: SpatialSizes
    blocks: BlocksSizes
    ink: str = "#111111"
    narrow: bool = False  #: a phone-width screen: figures stack what sits side by side


NORMAL = Theme(
    present=False, font=14, title=17, line=2.0, marker=9, height=460, grid="#E5E5E5", margin_top=40, axis_line=1,
    colorbar_thickness=16,
    player=PlayerSizes(slider_x=0.22, slider_len=0.78),
    race=RaceSizes(height=860, top=90, bottom=235, column_widths=(0.63, 0.37), spacing=0.08, legend_font=13,
                   contour_line=0.8, buttons_below=68, slider_below=118, view3d_height=600),
    map=MapSizes(row_height=290, height=530, margin_top=14, titled_margin_top=50, rate_margin_top=45,
                 curve_height=320, path_margin_top=70, path_legend_y=-0.17),
    descent=DescentSizes(margin_top=70, margin_bottom=110, strip_height=110, compare_height=360),
    lstm=LSTMSizes(row_spacing=0.012, heat_font=12, row_px=34, current_width=4, gradient_margin_top=70,
                   example_height=210, memory_spacing=0.1, memory_margin_top=80),
    batchnorm=BatchNormSizes(rug_line=1, hist_height=250, hist_margin_top=28, running_margin_top=90, columns=5,
                             spacing=0.025, panel_height=420, nticks=5, experiment_margin_top=120,
                             dataset_height=260),
    spatial=SpatialSizes(grid_height=520, grid_margin_bottom=70, recovery_height=680, recovery_margin_bottom=120),
    blocks=BlocksSizes(curve_margin_top=70, curve_height=575, depth_margin_top=80, conv_cell=60, conv_font=16),
)
PRESENT = Theme(
    present=True, font=22, title=26, line=4.5, marker=16, height=620, grid="#B0B0B0", margin_top=50, axis_line=2,
    colorbar_thickness=24, ink="#000000",
    player=PlayerSizes(slider_x=0.3, slider_len=0.7),
    race=RaceSizes(height=860, top=110, bottom=280, column_widths=(0.7, 0.3), spacing=0.06, legend_font=19,
                   contour_line=1.2, buttons_below=100, slider_below=150, view3d_height=820),
    map=MapSizes(row_height=360, height=720, margin_top=20, titled_margin_top=70, rate_margin_top=60,
                 curve_height=380, path_margin_top=90, path_legend_y=-0.2),
    descent=DescentSizes(margin_top=90, margin_bottom=130, strip_height=150, compare_height=460),
    lstm=LSTMSizes(row_spacing=0.016, heat_font=20, row_px=36, current_width=5, gradient_margin_top=90,
                   example_height=260, memory_spacing=0.16, memory_margin_top=100),
    batchnorm=BatchNormSizes(rug_line=1.5, hist_height=320, hist_margin_top=34, running_margin_top=110, columns=3,
                             spacing=0.05, panel_height=620, nticks=4, experiment_margin_top=150,
                             dataset_height=320),
    spatial=SpatialSizes(grid_height=560, grid_margin_bottom=90, recovery_height=800, recovery_margin_bottom=150),
    blocks=BlocksSizes(curve_margin_top=90, curve_height=620, depth_margin_top=110, conv_cell=80, conv_font=26),
)


def theme(present: bool) -> Theme:
    return PRESENT if present else NORMAL


DESIGN_HEIGHT = 1080  #: the screen height presentation mode's sizes are drawn for (a 1920 x 1080 projector)
#: not pixels (fractions of a figure, counts, colours): a fitted theme keeps them; type, lines and markers
#: shrink with the screen but never below the normal theme's; every other size shrinks in proportion
_RELATIVE = frozenset({"present", "narrow", "grid", "ink", "column_widths", "spacing", "slider_x", "slider_len",
                       "columns", "nticks", "row_spacing", "memory_spacing", "path_legend_y"})
_STROKES = frozenset({"font", "title", "legend_font", "heat_font", "conv_font", "line", "marker", "contour_line",
                      "rug_line", "current_width", "axis_line", "colorbar_thickness"})
NARROW_WIDTH = 640  #: narrower screens (phones) get the narrow race: its contour above its loss plot
NARROW_RACE = RaceSizes(height=1000, top=130, bottom=280, column_widths=(0.66, 0.34), spacing=0.1, legend_font=13,
                        contour_line=0.8, buttons_below=68, slider_below=118, view3d_height=480)


def fitted(th: Theme, screen_height: int | None, screen_width: int | None = None) -> Theme:
    """``th`` for a screen of ``screen_width`` x ``screen_height`` pixels. Presentation mode's sizes are drawn for
    1080 pixels and shrink in proportion on a lower screen (a 1280 x 720 projector: two thirds), in steps of 5 %
    so that a few themes cover every screen (each is a key of the figure caches). A phone-width screen gets the
    narrow variant. Otherwise the theme is returned as it is."""
    if screen_width and screen_width < NARROW_WIDTH:
        return replace(th, narrow=True, race=NARROW_RACE)
    if not th.present or not screen_height:
        return th
    s = min(1.0, max(0.6, round(screen_height / DESIGN_HEIGHT / 0.05) * 0.05))
    return th if s >= 1.0 else _scaled(th, NORMAL, s)


def _scaled(sizes, floor, s: float):
    changes = {}
    for f in fields(sizes):
        v, low = getattr(sizes, f.name), getattr(floor, f.name)
        if is_dataclass(v):
            changes[f.name] = _scaled(v, low, s)
        elif f.name in _RELATIVE or isinstance(v, bool) or not isinstance(v, (int, float)):
            continue
        elif f.name in _STROKES:
            changes[f.name] = type(v)(max(low, round(v * s, 1)))
        else:
            changes[f.name] = type(v)(round(v * s))
    return replace(sizes, **changes)


def base_layout(th: Theme, *, height: int | None = None, legend: bool = True) -> dict:
    """Layout properties every figure shares: white background, readable fonts, margins, legend."""
    return {
        "height": height or th.height,
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "font": {"size": th.font, "color": th.ink, "family": "Source Sans Pro, Arial, sans-serif"},
        "title": {"font": {"size": th.title}},
        "margin": {"l": 10, "r": 10, "t": th.margin_top, "b": 10},
        "showlegend": legend,
        "legend": {"font": {"size": th.font}, "bgcolor": "rgba(255,255,255,0.85)"},
        "hoverlabel": {"font": {"size": th.font}},
        "colorway": list(SERIES_COLORS),
    }


def axis_style(th: Theme) -> dict:
    """Axis lines, ticks and a light (or, on a projector, stronger) grid."""
    return {
        "showgrid": True, "gridcolor": th.grid, "showline": True, "linecolor": th.ink,
        "linewidth": th.axis_line, "ticks": "outside", "tickcolor": th.ink, "zeroline": False,
        "title": {"font": {"size": th.font + 2}}, "tickfont": {"size": th.font}, "automargin": True,
    }


def _merge(base: dict, extra: dict) -> dict:
    out = dict(base)
    for key, value in extra.items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def figure(data: list, layout, th: Theme, *, frames: list | None = None, height: int | None = None,
           legend: bool = True) -> go.Figure:
    """The one way a figure is made: traces and layout, themed, built without plotly's slow per-property validation.

    ``data`` holds plain trace dicts or graph-object traces, ``layout`` is a dict or a ``go.Layout``: a builder that
    needs subplots or ``update_xaxes(row=, col=)`` assembles a ``make_subplots`` figure and passes its ``data`` and
    ``layout`` here. What the builder set wins over the theme; the theme fills in everything else (fonts, margins,
    axes, legend, the size of annotation text). Every builder's output is validated in the tests
    (``go.Figure(fig.to_dict())``), so a misspelt property still fails there rather than being silently ignored
    by the browser.
    """
    plain = lambda x: x if isinstance(x, dict) else x.to_plotly_json()  # noqa: E731
    data, layout = [plain(t) for t in data], plain(layout)
    frames = [f if isinstance(f, dict) else typed(f.to_plotly_json()) for f in frames or ()]
    lay = _merge(base_layout(th, height=height, legend=legend), layout)
    axes = [k for k in lay if k.startswith(("xaxis", "yaxis"))] or ["xaxis", "yaxis"]
    for key in axes:
        lay[key] = _merge(axis_style(th), lay.get(key, {}))
    annotations = lay.get("annotations", [])
    lay["annotations"] = [_merge({"font": {"size": th.font}}, a) for a in annotations]
    return AnimatedFigure({"data": data, "layout": lay}, frames)


def subplots(**grid) -> go.Figure:
    """``make_subplots(**grid)`` with the subplot titles left to the theme's text size (plotly fixes them at 16 px);
    the figure it starts is finished by :func:`figure`."""
    fig = make_subplots(**grid)
    fig.update_annotations(font_size=None)
    return fig


class AnimatedFigure(go.Figure):
    """A figure whose animation frames stay plain dicts until serialization.

    plotly validates every trace of every frame when frames are assigned (about 10 ms a frame); Streamlit and
    ``to_json`` read a figure through ``to_dict()``, which here appends the frames as they are.
    """

    def __init__(self, spec: dict, frames: list[dict] | None = None):
        spec = dict(spec)
        frames = spec.pop("frames", []) if frames is None else frames
        super().__init__(spec, _validate=False)
        self._plain_frames = frames

    def __reduce__(self):  # pickling (Streamlit's cache) and copying keep the frames plain
        spec = super().to_dict()
        return AnimatedFigure, ({"data": spec["data"], "layout": spec["layout"]}, self._plain_frames)

    def to_dict(self) -> dict:
        out = super().to_dict()
        out["frames"] = self._plain_frames
        return out
