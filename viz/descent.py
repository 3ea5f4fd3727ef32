"""Figures for gradient descent on a 1-D curve: the animated descent, the learning-rate strip, comparisons.

The animation follows the house rule for size: everything that does not move (the curve, the faint path of
all iterates) is drawn once; each frame only moves the current point, the current step and the markers on
the w_t and f(w_t) plots.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from optim.analysis import critical_learning_rates
from surfaces import Surface

from .style import (KIND_COLORS, KIND_SYMBOLS, SERIES_COLORS, STATUS_COLORS, VERDICT_STATUS, Theme, figure,
                    format_number)

FRAME_MS = 450


def curve_view(surface: Surface, points: np.ndarray | None = None) -> tuple[np.ndarray, tuple[float, float]]:
    """Sample points of the curve over the view box, widened to include the finite iterates it can show."""
    lo, hi = surface.bounds[0]
    if points is not None and points.size:
        finite = points[np.isfinite(points) & (np.abs(points) < 10 * max(abs(lo), abs(hi)))]
        if finite.size:
            lo, hi = min(lo, finite.min()), max(hi, finite.max())
    pad = 0.04 * (hi - lo)
    w = np.linspace(lo - pad, hi + pad, 400)
    return w, (lo - pad, hi + pad)


def _stationary_traces(surface: Surface, th: Theme, xaxis: str = "x", yaxis: str = "y") -> list[dict]:
    traces = []
    for kind in ("minimum", "maximum"):
        pts = [s for s in surface.stationary if s.kind == kind]
        if not pts:
            continue
        traces.append({
            "type": "scatter", "x": [p.point[0] for p in pts], "y": [p.value for p in pts], "mode": "markers",
            "name": kind + " (f′ = 0)", "xaxis": xaxis, "yaxis": yaxis,
            "marker": {"symbol": KIND_SYMBOLS[kind], "size": th.marker + 6, "color": KIND_COLORS[kind],
                       "line": {"width": 1, "color": "white"}},
            "hovertext": [f"{p.label}<br>w = {format_number(p.point[0])}<br>f = {format_number(p.value)}"
                          for p in pts],
            "hoverinfo": "text",
        })
    return traces


def _line(x, y, color: str, width: float, **kw) -> dict:
    return {"type": "scatter", "x": x, "y": y, "mode": "lines", "line": {"color": color, "width": width}} | kw


def descent_figure(surface: Surface, positions: np.ndarray, losses: np.ndarray, th: Theme, *,
                   color: str = "#000000") -> go.Figure:
    """Animated gradient descent on a 1-D curve, with w_t and f(w_t) against the iteration beside it.

    Args:
        positions: the start and the point after each of the T steps, shape (T + 1,), numbered as in the notes
            and the update rules: w_1 is the start and step t goes from w_t to w_{t+1} (after a divergence, the
            last rows repeat the escape point).
        losses: f at those points.
    """
    w = np.asarray(positions, dtype=float)
    f = np.asarray(losses, dtype=float)
    T = w.size - 1
    grid, (x0, x1) = curve_view(surface, w)
    fg = surface.value(grid[:, None])
    y_lo, y_hi = float(np.nanmin(fg)), float(np.nanmax(fg))  # a typed function may be undefined in part: blank there
    pad = 0.08 * (y_hi - y_lo)
    it = np.arange(1, T + 2)  # w_1 is the start
    lw, ms = th.line, th.marker
    small = {"size": ms * 0.6, "color": color}

    # static: the curve, the path through all iterates, the w_t and f(w_t) series (axes: x/y left, x2/y2 and
    # x3/y3 the two panels on the right)
    data = [_line(grid, fg, "#444", lw, name="f(w)", hoverinfo="skip")]
    data += _stationary_traces(surface, th)
    data += [
        _line(w, f, color, max(1.0, lw / 2), name="iterates w<sub>t</sub>", mode="lines+markers",
              marker=small | {"opacity": 0.45}, customdata=it,
              hovertemplate="t = %{customdata}<br>w = %{x:.5f}<br>f = %{y:.5f}<extra></extra>") | {
            "line": {"color": color, "width": max(1.0, lw / 2), "dash": "dot"}},
        _line(it, w, color, lw, mode="lines+markers", marker=small, showlegend=False, name="w_t",
              xaxis="x2", yaxis="y2", hovertemplate="t = %{x}<br>w = %{y:.5f}<extra></extra>"),
        _line(it, f, color, lw, mode="lines+markers", marker=small, showlegend=False, name="f(w_t)",
              xaxis="x3", yaxis="y3", hovertemplate="t = %{x}<br>f = %{y:.5f}<extra></extra>"),
    ]

    # animated: current step, current point, markers on the right
    def moving(k: int) -> list[dict]:
        k1 = min(k + 1, T)
        dot = {"size": ms * 1.5, "color": color}
        return [
            _line([w[k], w[k1]], [f[k], f[k1]], color, lw * 1.6, name="step t → t+1", showlegend=True,
                  hoverinfo="skip"),
            {"type": "scatter", "x": [w[k]], "y": [f[k]], "mode": "markers", "name": "current w<sub>t</sub>",
             "marker": {"size": ms * 1.8, "color": color, "line": {"width": 2, "color": "white"}},
             "hovertemplate": f"t = {k + 1}<br>w = %{{x:.5f}}<br>f = %{{y:.5f}}<extra></extra>"},
            {"type": "scatter", "x": [k + 1], "y": [w[k]], "mode": "markers", "marker": dot, "showlegend": False,
             "hoverinfo": "skip", "xaxis": "x2", "yaxis": "y2"},
            {"type": "scatter", "x": [k + 1], "y": [f[k]], "mode": "markers", "marker": dot, "showlegend": False,
             "hoverinfo": "skip", "xaxis": "x3", "yaxis": "y3"},
        ]

    moving_idx = list(range(len(data), len(data) + 4))
    data += moving(0)
    frames = [{"data": moving(k), "traces": moving_idx, "name": str(k + 1)} for k in range(T + 1)]

    f_fin = f[np.isfinite(f)]
    log_f = bool(f_fin.size and f_fin.min() > 0 and f_fin.max() > 50 * f_fin.min())
    title = lambda text, x, y: {"text": text, "x": x, "y": y, "xref": "paper", "yref": "paper",  # noqa: E731
                                "showarrow": False, "xanchor": "center", "yanchor": "bottom",
                                "font": {"size": th.font}}
    layout = {
        "xaxis": {"domain": [0, 0.55], "range": [x0, x1], "title": {"text": "w"}, "anchor": "y"},
        "yaxis": {"domain": [0, 1], "range": [y_lo - pad, y_hi + pad], "title": {"text": "f(w)"}, "anchor": "x"},
        "xaxis2": {"domain": [0.64, 1], "anchor": "y2", "matches": "x3", "showticklabels": True},
        "yaxis2": {"domain": [0.6, 1], "anchor": "x2"},
        "xaxis3": {"domain": [0.64, 1], "anchor": "y3", "title": {"text": "iteration t"}},
        "yaxis3": {"domain": [0, 0.4], "anchor": "x3", "type": "log" if log_f else "linear"},
        "shapes": [{"type": "line", "xref": "x2 domain", "x0": 0, "x1": 1, "yref": "y2", "y0": m.point[0],
                    "y1": m.point[0], "line": {"color": KIND_COLORS["minimum"], "dash": "dash", "width": 1}}
                   for m in surface.minima],
        "annotations": [title("f(w) and the iterates", 0.275, 1.0), title("w<sub>t</sub>", 0.82, 1.0),
                        title("f(w<sub>t</sub>)", 0.82, 0.4)],
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.08, "x": 0, "xanchor": "left"},
        "margin": {"t": th.descent.margin_top, "b": th.descent.margin_bottom},
    } | player(T, th)
    return figure(data, layout, th, frames=frames, height=th.height + 80)


def player(T: int, th: Theme) -> dict:
    """Layout entries for Play / Pause buttons and a step slider moving the animated traces frame by frame."""
    play = {"label": "▶ Play", "method": "animate",
            "args": [None, {"frame": {"duration": FRAME_MS, "redraw": False}, "fromcurrent": True,
                            "transition": {"duration": 120}}]}
    pause = {"label": "❚❚ Pause", "method": "animate",
             "args": [[None], {"frame": {"duration": 0, "redraw": False}, "mode": "immediate"}]}
    return {
        "updatemenus": [{"type": "buttons", "direction": "left", "buttons": [play, pause], "x": 0, "y": -0.17,
                         "xanchor": "left", "yanchor": "top", "pad": {"t": 0, "r": 10}, "showactive": False,
                         "font": {"size": th.font}}],
        "sliders": [{
            "active": 0, "x": th.player.slider_x, "y": -0.17, "len": th.player.slider_len,
            "xanchor": "left", "yanchor": "top", "pad": {"t": 0},
            "currentvalue": {"prefix": "iteration t = ", "font": {"size": th.font}, "xanchor": "right"},
            "font": {"size": max(10, th.font - 4)},
            "steps": [{"label": str(k), "method": "animate",
                       "args": [[str(k)], {"frame": {"duration": 0, "redraw": False}, "mode": "immediate"}]}
                      for k in range(1, T + 2)],
        }],
    }


def rate_strip(curvature: float, lr: float, lr_max: float, th: Theme) -> go.Figure:
    """The learning-rate axis coloured by what gradient descent does: regions, critical rates, current eta."""
    one, two = critical_learning_rates(curvature)
    hi = max(lr_max, lr)  # the slider's range, so that the strip reads as its scale
    regions = [(0.0, one, "monotone", "monotone"), (one, two, "oscillating", "oscillating"),
               (two, max(hi, two * 1.001), "diverges", "diverges")]
    regions = [(a, b, STATUS_COLORS[VERDICT_STATUS[kind]], text) for a, b, kind, text in regions]
    shapes, notes = [], []
    for k, (a, b, col, text) in enumerate(regions):
        if a >= hi:
            continue
        shapes.append({"type": "rect", "x0": a, "x1": min(b, hi), "y0": 0, "y1": 1, "fillcolor": col,
                       "opacity": 0.28, "line": {"width": 0}})
        # neighbouring regions' words at two heights: on a narrow strip they would run into each other
        notes.append({"x": (a + min(b, hi)) / 2, "y": 0.16 if k % 2 == 0 else 0.44, "text": text,
                      "showarrow": False, "font": {"size": th.font - 4}})
    # the two critical rates' labels on the far sides of their lines: neither line strikes through a label
    for x, label, side in ((one, f"1/f″ = {one:g}", "right"), (two, f"2/f″ = {two:g}", "left")):
        if x <= hi:
            shapes.append({"type": "line", "x0": x, "x1": x, "y0": 0, "y1": 1, "yref": "y domain",
                           "line": {"color": "#333", "width": 2, "dash": "dot"}})
            notes.append({"x": x, "y": 1.0, "yanchor": "bottom", "xanchor": side, "text": label,
                          "showarrow": False, "font": {"size": th.font - 2}})
    data = [{"type": "scatter", "x": [lr], "y": [0.72], "mode": "markers", "name": "η",
             "marker": {"symbol": "triangle-down", "size": th.marker * 2, "color": "#000"},
             "hovertemplate": "η = %{x}<extra></extra>"}]
    layout = {"xaxis": {"range": [0, hi], "showgrid": False, "automargin": False},
              "yaxis": {"visible": False, "range": [0, 1.35], "showgrid": False},
              "shapes": shapes, "annotations": notes, "margin": {"t": 28, "b": 30, "l": 8, "r": 8}}
    return figure(data, layout, th, height=th.descent.strip_height, legend=False)


DASHES = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot")
SYMBOLS = ("circle", "square", "diamond", "triangle-up", "cross", "x")


def compare_paths(series: list[tuple[str, np.ndarray, str]], surface: Surface, th: Theme) -> go.Figure:
    """w_t against t for several runs (one per learning rate), the minimum dashed. Each run is ``(label, path,
    colour)``, the colour its status's (``STATUS_COLORS``); runs of one status differ by dash and marker."""
    data = [{"type": "scatter", "x": np.arange(1, w.size + 1), "y": w, "mode": "lines+markers", "name": label,
             "line": {"color": color, "width": th.line, "dash": DASHES[i % len(DASHES)]},
             "marker": {"size": th.marker * 0.7, "color": color, "symbol": SYMBOLS[i % len(SYMBOLS)]}}
            for i, (label, w, color) in enumerate(series)]
    shapes = [{"type": "line", "xref": "x domain", "x0": 0, "x1": 1, "y0": m.point[0], "y1": m.point[0],
               "line": {"color": KIND_COLORS["minimum"], "dash": "dash", "width": 1.5}} for m in surface.minima]
    notes = [{"xref": "x domain", "x": 1, "y": m.point[0], "xanchor": "right", "yanchor": "top", "showarrow": False,
              "text": f"w* = {format_number(m.point[0])}"} for m in surface.minima]
    layout = {"xaxis": {"title": {"text": "iteration t"}}, "yaxis": {"title": {"text": "w<sub>t</sub>"}},
              "shapes": shapes, "annotations": notes}
    return figure(data, layout, th, height=th.descent.compare_height)


def basins_figure(surface: Surface, paths: list[np.ndarray], labels: list[str], th: Theme) -> go.Figure:
    """Several gradient-descent paths on one curve, with its minima and maxima marked."""
    allw = np.concatenate(paths) if paths else None
    grid, (x0, x1) = curve_view(surface, allw)
    fg = surface.value(grid[:, None])
    data = [_line(grid, fg, "#444", th.line, name="f(w)", hoverinfo="skip")]
    for i, (w, label) in enumerate(zip(paths, labels)):
        c = SERIES_COLORS[i % len(SERIES_COLORS)]
        data.append(_line(w, surface.value(w[:, None]), c, th.line * 0.8, name=label, mode="lines+markers",
                          marker={"size": th.marker * 0.7, "color": c}))
        data.append({"type": "scatter", "x": [w[0]], "y": surface.value([[w[0]]]), "mode": "markers",
                     "showlegend": False, "hoverinfo": "skip",
                     "marker": {"symbol": "circle-open", "size": th.marker * 1.6, "color": c, "line": {"width": 3}}})
    data += _stationary_traces(surface, th)
    layout = {"xaxis": {"title": {"text": "w"}, "range": [x0, x1]},
              "yaxis": {"title": {"text": "f(w)"}, "range": [float(fg.min()) - 0.6, float(fg.max()) * 1.05]}}
    return figure(data, layout, th)
