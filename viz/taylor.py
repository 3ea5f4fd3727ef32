r"""The local model at the inspected step: the surface's contours around the current point with the linear and the
quadratic Taylor model drawn at the same levels, the Hessian's eigenvectors scaled by their eigenvalues, and the
Newton step (plain, and safeguarded where the Hessian is not positive definite). The models come from
``optim.taylor``."""

from __future__ import annotations

import numpy as np

from optim.taylor import LocalModel

from .contour import grid_values
from .style import KIND_COLORS, LOOKS, Theme, figure, subplots

SURFACE_LINE = "#8C8C8C"
MODEL_LINE = "#0072B2"
PLAIN = "#D55E00"
SAFE = "#009E73"
LEVELS = 14


def window(surface, model: LocalModel) -> tuple[tuple[float, float], tuple[float, float]]:
    """A square around the point: wide enough for both Newton steps, within a twelfth and half of the view box."""
    span = max(hi - lo for lo, hi in surface.bounds)
    steps = [np.linalg.norm(s) for s in (model.newton_step, model.safe_step) if np.isfinite(s).all()]
    r = float(np.clip(1.4 * max(steps, default=0.0), span / 12, span / 2))
    x, y = (float(v) for v in model.point)
    return (x - r, x + r), (y - r, y + r)


def _levels(z: np.ndarray) -> dict:
    finite = z[np.isfinite(z)]
    lo, hi = (float(np.quantile(finite, 0.02)), float(np.quantile(finite, 0.98))) if finite.size else (0.0, 1.0)
    size = (hi - lo) / LEVELS or 1.0
    return dict(start=lo, end=hi, size=size, coloring="none", showlabels=False)


def _contour(xs, ys, z, levels, color, width, dash, name, axis, legend) -> dict:
    # heights clipped just beyond the levels (float32 on the wire); where f is not defined: above every level
    above, below = levels["end"] + 10 * levels["size"], levels["start"] - 10 * levels["size"]
    z = np.clip(np.nan_to_num(z, nan=above, posinf=above, neginf=below), below, above).astype(np.float32)
    return dict(type="contour", x=xs.astype(np.float32), y=ys.astype(np.float32), z=z, contours=levels,
                autocontour=False, showscale=False, line=dict(color=color, width=width, dash=dash), name=name,
                hoverinfo="skip", showlegend=legend, xaxis=axis[0], yaxis=axis[1])


def _arrow(p, q, color, axis, width, text="") -> list[dict]:
    """An arrow from ``p`` to ``q`` in data units, its label just beyond the head."""
    arrow = dict(x=float(q[0]), y=float(q[1]), ax=float(p[0]), ay=float(p[1]), xref=axis[0], yref=axis[1],
                 axref=axis[0], ayref=axis[1], showarrow=True, arrowhead=3, arrowsize=1.1, arrowwidth=width,
                 arrowcolor=color, text="")
    if not text:
        return [arrow]
    d = np.asarray(q, dtype=float) - np.asarray(p, dtype=float)
    label = dict(x=float(q[0]), y=float(q[1]), xref=axis[0], yref=axis[1], showarrow=False, text=text,
                 font=dict(color=color), xanchor="left" if d[0] >= 0 else "right",
                 yanchor="bottom" if d[1] >= 0 else "top")
    return [arrow, label]


def local_model_figure(surface, model: LocalModel, optimizer: str, t: int, th: Theme, n: int = 51):
    """Two panels over the same square around ``model.point`` (optimizer ``optimizer``'s point at iteration t):
    the linear model m₁ and the quadratic model m₂, each over the surface's own contours at the same levels."""
    (x0, x1), (y0, y1) = window(surface, model)
    xs, ys = np.linspace(x0, x1, n), np.linspace(y0, y1, n)
    W = np.stack(np.meshgrid(xs, ys), axis=-1)
    with np.errstate(all="ignore"):
        f = np.asarray(grid_values(surface, xs, ys), dtype=float)
        m1, m2 = model.linear(W), model.quadratic(W)
    levels = _levels(f)
    fig = subplots(rows=1, cols=2, horizontal_spacing=0.08,
                   subplot_titles=("linear model m₁: a tilted plane", f"quadratic model m₂: {_shape(model)}"))
    data, notes = [], []
    look = LOOKS[optimizer]
    p = model.point
    for k, (z, name) in enumerate(((m1, "linear model m₁"), (m2, "quadratic model m₂"))):
        axis = ("x", "y") if k == 0 else ("x2", "y2")
        data.append(_contour(xs, ys, f, levels, SURFACE_LINE, th.line * 0.6, "solid", "surface f", axis, k == 0))
        data.append(_contour(xs, ys, z, levels, MODEL_LINE if k else look.color, th.line * 0.9, "dash", name,
                             axis, True))
        data.append(dict(type="scatter", mode="markers", x=[float(p[0])], y=[float(p[1])], xaxis=axis[0],
                         yaxis=axis[1], name=f"w_{t}", showlegend=k == 0,
                         marker=dict(symbol=look.symbol, size=th.marker + 5, color=look.color,
                                     line=dict(color="white", width=1))))
    r = (x1 - x0) / 2
    g = model.grad
    gnorm = float(np.linalg.norm(g))
    if np.isfinite(gnorm) and gnorm > 0:  # the linear model falls fastest along -g, without end
        notes.extend(_arrow(p, p - 0.6 * r * g / gnorm, look.color, ("x", "y"), th.line, "−g"))
    lam, Q = model.eigenvalues, model.eigenvectors
    top = float(np.abs(lam).max()) if np.isfinite(lam).all() else 0.0
    for i in range(len(lam)):
        if top <= 0:
            break
        v = Q[:, i] * (0.45 * r * lam[i] / top)  # length in proportion to the eigenvalue, flipped if negative
        color = KIND_COLORS["minimum"] if lam[i] > 0 else KIND_COLORS["maximum"]
        notes.extend(_arrow(p, p + v, color, ("x2", "y2"), th.line * 0.8, f"λ{i + 1} = {lam[i]:.3g}"))
    for step, color, name in ((model.newton_step, PLAIN, "plain Newton step"),
                              (model.safe_step, SAFE, "safeguarded step")):
        if name == "safeguarded step" and np.allclose(model.safe_step, model.newton_step):
            continue
        q = p + step
        if not np.isfinite(q).all():
            continue
        notes.extend(_arrow(p, q, color, ("x2", "y2"), th.line * 1.2))
        data.append(dict(type="scatter", mode="markers", x=[float(q[0])], y=[float(q[1])], xaxis="x2", yaxis="y2",
                         name=name, marker=dict(symbol="star" if color == PLAIN else "diamond", size=th.marker + 6,
                                                color=color, line=dict(color="white", width=1))))
    layout = fig.layout.to_plotly_json()
    layout["annotations"] = list(layout.get("annotations", [])) + notes
    for ax in ("xaxis", "xaxis2"):
        layout.setdefault(ax, {}).update(range=[x0, x1], title=dict(text=surface.variables[0]))
    for ax, anchor in (("yaxis", "x"), ("yaxis2", "x2")):
        layout.setdefault(ax, {}).update(range=[y0, y1], title=dict(text=surface.variables[1]), scaleanchor=anchor)
    layout["legend"] = dict(orientation="h", y=-0.18, x=0)
    return figure(data, layout, th, height=th.height + 40)


def _shape(model: LocalModel) -> str:
    return {"minimum": "a bowl", "maximum": "a cap (H negative definite)", "saddle": "a saddle (H indefinite)",
            "flat": "a trough (H singular)"}[model.kind]
