"""Several optimizers on one 1-D curve: their paths on f(w) beside w_t against t; where runs from several starts end;
the table of which form of each update rule is which."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from surfaces import Surface

from .descent import _stationary_traces, curve_view
from .style import KIND_COLORS, Look, Theme, figure, format_number


#: runs longer than this are drawn as lines (no markers) against a logarithmic iteration axis
LONG = 120


def runs_figure(surface: Surface, series: list[tuple[str, Look, np.ndarray]], th: Theme) -> go.Figure:
    """Each run's iterates on the curve f(w) (left) and w_t against the iteration t (right), in its optimizer's
    colour, marker and dash. ``series``: (legend label, look, w_1 .. w_{T+1}) per run; a diverged run's
    iterates beyond the view are left out of the left panel (its label says it diverged)."""
    allw = np.concatenate([w[np.isfinite(w)] for _, _, w in series]) if series else None
    grid, (x0, x1) = curve_view(surface, allw)
    fg = surface.value(grid[:, None])
    y_lo, y_hi = float(np.nanmin(fg)), float(np.nanmax(fg))
    pad = 0.08 * (y_hi - y_lo)
    data = [{"type": "scatter", "x": grid, "y": fg, "mode": "lines", "name": "f(w)", "hoverinfo": "skip",
             "line": {"color": "#444", "width": th.line}}]
    data += _stationary_traces(surface, th)
    shown, long = set(), max((w.size for _, _, w in series), default=0) > LONG
    for label, look, w in series:
        inside = np.where((w >= x0) & (w <= x1), w, np.nan)
        first = label not in shown  # one legend entry per label: several starts of one optimizer share it
        shown.add(label)
        common = {"mode": "lines" if long else "lines+markers", "legendgroup": label, "showlegend": first,
                  "line": {"color": look.color, "width": th.line * 0.8, "dash": look.dash},
                  "marker": {"symbol": look.symbol, "size": th.marker * 0.8, "color": look.color}}
        data.append({"type": "scatter", "x": inside, "y": surface.value(inside[:, None]), "name": label,
                     "customdata": np.arange(1, w.size + 1),
                     "hovertemplate": "t = %{customdata}<br>w = %{x:.5f}<br>f = %{y:.5f}<extra>" + label + "</extra>"}
                    | common)
        data.append({"type": "scatter", "x": np.arange(1, w.size + 1), "y": np.clip(w, -1e6, 1e6), "name": label,
                     "xaxis": "x2", "yaxis": "y2",
                     "hovertemplate": "t = %{x}<br>w = %{y:.5f}<extra>" + label + "</extra>"} | common
                    | {"showlegend": False})
    shapes = [{"type": "line", "xref": "x2 domain", "x0": 0, "x1": 1, "yref": "y2", "y0": p.point[0], "y1": p.point[0],
               "line": {"color": KIND_COLORS.get(p.kind, "#888"), "dash": "dash", "width": 1}}
              for p in surface.stationary]
    layout = {
        "xaxis": {"domain": [0, 0.55], "range": [x0, x1], "title": {"text": "w"}, "anchor": "y"},
        "yaxis": {"range": [y_lo - pad, y_hi + pad], "title": {"text": "f(w)"}, "anchor": "x"},
        "xaxis2": {"domain": [0.66, 1], "anchor": "y2", "title": {"text": "iteration t"},
                   "type": "log" if long else "linear"},
        "yaxis2": {"anchor": "x2", "title": {"text": "w<sub>t</sub>"}},
        "shapes": shapes,
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0, "xanchor": "left"},
    }
    return figure(data, layout, th, height=th.height + 40)


def ends_frame(rows: list[dict]) -> pd.DataFrame:
    """Start x optimizer -> where it ended: one row per (optimizer, start)."""
    return pd.DataFrame(rows, columns=["optimizer", "start w", "final w", "nearest critical point", "f''(w) there",
                                       "kind", "reached", "outcome"])


def ends_row(title: str, ends, i: int) -> dict:
    return {"optimizer": title, "start w": float(ends.starts[i]), "final w": float(ends.final[i]),
            "nearest critical point": float(ends.nearest[i]), "f''(w) there": float(ends.curvature[i]),
            "kind": ends.label[i], "reached": "yes" if ends.reached[i] else "no", "outcome": ends.outcome(i)}


def forms_frame(rows) -> pd.DataFrame:
    """The table "which form is which" (``optim.forms.form_rows``) without its LaTeX, for display and CSV."""
    return pd.DataFrame([{"optimizer": r.title, "variant": r.variant, "form": r.form, "PyTorch": r.pytorch,
                          "Keras / TensorFlow": r.keras, "written this way in the notes": r.notes,
                          "remark": r.remark, "formula (LaTeX)": r.latex} for r in rows])


def typos_frame(typos) -> pd.DataFrame:
    return pd.DataFrame([{"where": t.note, "printed": t.printed, "computed": t.computed, "why": t.why}
                         for t in typos])


def gap_text(gap: float) -> str:
    return "0 (identical)" if gap == 0 else format_number(gap) if gap >= 1e-4 else f"{gap:.1e}"
