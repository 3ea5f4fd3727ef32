"""Figures and tables of the Spatial Transformer page: the sampling grid over the input, the sampler's output, one
output pixel's bilinear arithmetic, and the animated recovery of theta. Plotly and pandas only; the numbers come
from ``nets.spatial``."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from nets.spatial import BilinearTaps, affine_grid, normalized_coords
from nets.stn_recovery import Recovery

from .style import Theme, figure, subplots

GRID = "#0072B2"  #: the sampling grid
PIXEL = "#D55E00"  #: the inspected output pixel
#: the output's corners and where they are read from: top left, top right, bottom right, bottom left
CORNER_COLORS = ("#D55E00", "#009E73", "#CC79A7", "#E69F00")
CORNERS = np.array([[-1.0, -1.0], [1.0, -1.0], [1.0, 1.0], [-1.0, 1.0]])
INK = [[0.0, "#FFFFFF"], [1.0, "#000000"]]  #: 0 background white, 1 ink black
FRAME_MS = 120
#: the notes number theta's six entries theta_1..theta_6: the 2 x 2 part row by row, then the translation
NOTES_INDEX = {(0, 0): 1, (0, 1): 2, (1, 0): 3, (1, 1): 4, (0, 2): 5, (1, 2): 6}


def _fmt(x: float, digits: int = 3) -> str:
    text = f"{x:.{digits}f}"
    return "0." + "0" * digits if float(text) == 0 else text


def theta_latex(theta: np.ndarray, mode: str = "affine") -> str:
    """The grid generator with this theta's numbers: the affine map, or the notes' 2-parameter translation."""
    if mode == "translation":
        return (r"\begin{bmatrix} x^s \\ y^s \end{bmatrix} = \begin{bmatrix} x^t \\ y^t \end{bmatrix} + "
                r"\begin{bmatrix} \theta_1 \\ \theta_2 \end{bmatrix} = \begin{bmatrix} x^t \\ y^t \end{bmatrix} + "
                rf"\begin{{bmatrix}} {_fmt(theta[0, 2])} \\ {_fmt(theta[1, 2])} \end{{bmatrix}}")
    rows = r" \\ ".join(" & ".join(_fmt(v) for v in row) for row in theta)
    return (r"\begin{bmatrix} x^s \\ y^s \end{bmatrix} = \begin{bmatrix} \theta_{11} & \theta_{12} & \theta_{13} \\ "
            r"\theta_{21} & \theta_{22} & \theta_{23} \end{bmatrix} \begin{bmatrix} x^t \\ y^t \\ 1 \end{bmatrix}"
            rf" = \begin{{bmatrix}} {rows} \end{{bmatrix}} \begin{{bmatrix}} x^t \\ y^t \\ 1 \end{{bmatrix}}")


def _mesh(grid: np.ndarray, every: int) -> tuple[np.ndarray, np.ndarray]:
    """x and y of polylines along every ``every``-th row and column of a grid ``(H, W, 2)``, NaN-separated."""
    H, W, _ = grid.shape
    rows = sorted(set(range(0, H, every)) | {H - 1})
    cols = sorted(set(range(0, W, every)) | {W - 1})
    pieces = [grid[i, cols] for i in rows] + [grid[rows, j] for j in cols]
    gap = np.full((1, 2), np.nan)
    pts = np.concatenate([np.concatenate([p, gap]) for p in pieces])
    return pts[:, 0], pts[:, 1]


def _frame_corners(theta: np.ndarray) -> np.ndarray:
    """Where the output's four outer corners (x, y = ±1) are read from in the input: (4, 2)."""
    return np.c_[CORNERS, np.ones(4)] @ np.asarray(theta).T


def source_range(theta: np.ndarray, *, limit: float = 3.0) -> tuple[float, float, float, float]:
    """The input panel's view: the image, the whole frame of the sampling grid, capped at ±limit."""
    pts = np.vstack([CORNERS, _frame_corners(theta)])
    lo = np.clip(pts.min(axis=0), -limit, -1.0) - 0.08
    hi = np.clip(pts.max(axis=0), 1.0, limit) + 0.08
    return float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1])


def _image(z: np.ndarray, name: str, **kw) -> go.Heatmap:
    H, W = z.shape
    return go.Heatmap(z=z, x=normalized_coords(W), y=normalized_coords(H), colorscale=INK, zmin=0, zmax=1,
                      showscale=False, name=name,
                      hovertemplate="x = %{x:.3f}, y = %{y:.3f}<br>value %{z:.3f}<extra>" + name + "</extra>", **kw)


def grid_figure(image: np.ndarray, theta: np.ndarray, output: np.ndarray, th: Theme, *,
                pixel: tuple[int, int] | None = None, taps: BilinearTaps | None = None, every: int = 4) -> go.Figure:
    """Left: the input U with the sampling grid drawn where each output pixel reads from. Right: the output V
    on its regular grid. Matching colours mark the output's corners and where they come from; the star is the
    inspected pixel and the squares its four neighbours."""
    H, W = output.shape
    grid = affine_grid(theta, (H, W))
    regular = affine_grid(np.array([[1.0, 0, 0], [0, 1.0, 0]]), (H, W))
    fig = subplots(rows=1, cols=2, horizontal_spacing=0.08,
                        subplot_titles=("input U, sampling grid (x<sup>s</sup>, y<sup>s</sup>)",
                                        "output V, regular grid (x<sup>t</sup>, y<sup>t</sup>)"))
    lw = max(1.0, th.line * 0.55)
    fig.add_trace(_image(image, "input U"), 1, 1)
    fig.add_shape(type="rect", x0=-1, x1=1, y0=-1, y1=1, line=dict(color="#777", dash="dash", width=1.5),
                  fillcolor="rgba(0,0,0,0)", row=1, col=1)
    mx, my = _mesh(grid, every)
    fig.add_trace(go.Scatter(x=mx, y=my, mode="lines", line=dict(color=GRID, width=lw), opacity=0.75,
                             name="sampling grid", hoverinfo="skip"), 1, 1)
    frame = _frame_corners(theta)
    fig.add_trace(go.Scatter(x=np.r_[frame[:, 0], frame[0, 0]], y=np.r_[frame[:, 1], frame[0, 1]], mode="lines",
                             line=dict(color=GRID, width=th.line), name="the output's frame", hoverinfo="skip"),
                  1, 1)
    rx, ry = _mesh(regular, every)
    fig.add_trace(_image(output, "output V"), 1, 2)
    fig.add_trace(go.Scatter(x=rx, y=ry, mode="lines", line=dict(color=GRID, width=lw * 0.7), opacity=0.35,
                             name="regular grid", hoverinfo="skip"), 1, 2)
    names = ("top left", "top right", "bottom right", "bottom left")
    for k in range(4):
        for col, pt in ((1, frame[k]), (2, CORNERS[k])):
            fig.add_trace(go.Scatter(x=[pt[0]], y=[pt[1]], mode="markers", showlegend=False, name=names[k],
                                     marker=dict(color=CORNER_COLORS[k], size=th.marker + 5, symbol="circle",
                                                 line=dict(color="white", width=1.5)),
                                     hovertemplate=f"output's {names[k]} corner<br>x = %{{x:.3f}}, y = %{{y:.3f}}"
                                                   "<extra></extra>"), 1, col)
    if pixel is not None:
        i, j = pixel
        xt, yt = regular[i, j]
        xs, ys = grid[i, j]
        if taps is not None:
            cx = (2.0 * taps.cols + 1.0) / W - 1.0  # neighbour pixel centres in normalized coordinates
            cy = (2.0 * taps.rows + 1.0) / H - 1.0
            fig.add_trace(go.Scatter(x=cx, y=cy, mode="markers", showlegend=False, name="neighbours",
                                     marker=dict(symbol="square-open", size=th.marker + 3, color=PIXEL,
                                                 line=dict(width=2)),
                                     hovertemplate="neighbour pixel centre<br>x = %{x:.3f}, y = %{y:.3f}"
                                                   "<extra></extra>"), 1, 1)
        for col, (px, py) in ((1, (xs, ys)), (2, (xt, yt))):
            fig.add_trace(go.Scatter(x=[px], y=[py], mode="markers", showlegend=False, name=f"pixel ({i}, {j})",
                                     marker=dict(symbol="star", size=th.marker + 9, color=PIXEL,
                                                 line=dict(color="white", width=1)),
                                     hovertemplate=f"output pixel ({i}, {j})<br>x = %{{x:.4f}}, y = %{{y:.4f}}"
                                                   "<extra></extra>"), 1, col)
    x0, x1, y0, y1 = source_range(theta)
    fig.update_xaxes(title_text="x", showgrid=False, zeroline=False)
    fig.update_yaxes(showgrid=False, zeroline=False)
    fig.update_yaxes(title_text="y (pointing down)", row=1, col=1)
    fig.update_xaxes(range=[x0, x1], scaleanchor="y", scaleratio=1, row=1, col=1)
    fig.update_yaxes(range=[y1, y0], row=1, col=1)
    fig.update_xaxes(range=[-1.08, 1.08], scaleanchor="y2", scaleratio=1, row=1, col=2)
    fig.update_yaxes(range=[1.08, -1.08], row=1, col=2)
    fig.update_layout(legend=dict(orientation="h", yanchor="top", y=-0.16, x=0, xanchor="left"),
                      margin=dict(b=th.spatial.grid_margin_bottom))
    return figure(fig.data, fig.layout, th, height=th.spatial.grid_height)


def taps_frame(taps: BilinearTaps) -> pd.DataFrame:
    """The four neighbours of one sample: where they are, their values, their weights and their share."""
    return pd.DataFrame({
        "neighbour": ["upper left", "upper right", "lower left", "lower right"],
        "row n": taps.rows, "column m": taps.cols,
        "Uₙₘ": taps.values,
        "weight": taps.weights,
        "weight × Uₙₘ": taps.weights * taps.values,
        "inside": ["yes" if ok else "no (reads 0)" for ok in taps.inside],
    })


def taps_latex(taps: BilinearTaps, x: float, y: float, i: int, j: int) -> str:
    """One output pixel through the sampler: normalized position, pixel position, weighted sum."""
    terms = " + ".join(f"{_fmt(w)}\\cdot{_fmt(v)}" for w, v in zip(taps.weights, taps.values))
    return (rf"\begin{{aligned}} (x^s, y^s) &= ({_fmt(x, 4)}, {_fmt(y, 4)}) \\ "
            rf"(u, v) &= \big(\tfrac{{(x^s + 1)W - 1}}{{2}}, \tfrac{{(y^s + 1)H - 1}}{{2}}\big) = "
            rf"({_fmt(taps.u)}, {_fmt(taps.v)}) \\ "
            rf"V_{{{i},{j}}} &= \textstyle\sum_{{n,m}} U_{{nm}} \max(0, 1 - |u - m|) \max(0, 1 - |v - n|) \\ "
            rf"&= {terms} \\ &= \mathbf{{{_fmt(taps.value, 4)}}} \end{{aligned}}")


# -- recovering theta ---------------------------------------------------------------------------------------------

def frame_indices(steps: int, most: int = 60) -> np.ndarray:
    """Iterations shown as animation frames: all of them, or ``most`` + 1 evenly spaced including both ends."""
    if steps <= most:
        return np.arange(steps + 1)
    return np.unique(np.round(np.linspace(0, steps, most + 1)).astype(int))


def recovery_images(rec: Recovery, frames: np.ndarray) -> np.ndarray:
    """The re-sampled image at each frame's iteration, as bytes (0..255): ``(len(frames), H, W)`` uint8."""
    return np.stack([np.round(np.clip(rec.image_at(int(k)), 0, 1) * 255).astype(np.uint8) for k in frames])


def recovery_figure(rec: Recovery, th: Theme, *, most: int = 60) -> go.Figure:
    """The recovery as an animation: the distorted input with the current sampling grid, the current output,
    the target; below, the loss and the distance to the exact theta, with the current iteration marked."""
    frames = frame_indices(len(rec.losses) - 1, most)
    images = recovery_images(rec, frames)
    H, W = rec.original.shape
    fig = subplots(rows=2, cols=3, row_heights=[0.6, 0.4], vertical_spacing=0.14, horizontal_spacing=0.03,
                        specs=[[{}, {}, {}], [{"colspan": 3}, None, None]],
                        subplot_titles=("input D, grid of θ<sub>k</sub>", "output V(θ<sub>k</sub>)",
                                        "target O", "loss L(θ<sub>k</sub>) and distance to the exact θ*"))
    fig.add_trace(_image(rec.distorted, "distorted D"), 1, 1)
    fig.add_trace(_image(rec.original, "target O"), 1, 3)
    k_all = np.arange(len(rec.losses))
    fig.add_trace(go.Scatter(x=k_all, y=rec.losses, mode="lines", name="loss L(θ<sub>k</sub>)",
                             line=dict(color="#000", width=th.line),
                             hovertemplate="k = %{x}<br>L = %{y:.3e}<extra></extra>"), 2, 1)
    has_target = rec.target_theta is not None
    if has_target:
        fig.add_trace(go.Scatter(x=k_all, y=rec.errors, mode="lines", name="max |θ<sub>k</sub> − θ*|",
                                 line=dict(color=GRID, width=th.line, dash="dash"),
                                 hovertemplate="k = %{x}<br>max |θ − θ*| = %{y:.3e}<extra></extra>"), 2, 1)

    def moving(n: int) -> list:
        k = int(frames[n])
        grid = affine_grid(rec.thetas[k], (H, W))
        mx, my = _mesh(grid, 4)
        out = [
            go.Scatter(x=mx, y=my, mode="lines", line=dict(color=GRID, width=max(1.0, th.line * 0.5)), opacity=0.8,
                       name="grid of θ<sub>k</sub>", showlegend=False, hoverinfo="skip"),
            go.Heatmap(z=images[n], x=normalized_coords(W), y=normalized_coords(H), colorscale=INK, zmin=0,
                       zmax=255, showscale=False, name="V(θ_k)", hoverinfo="skip"),
            go.Scatter(x=[k], y=[rec.losses[k]], mode="markers", showlegend=False, name="current",
                       marker=dict(color="#000", size=th.marker + 4),
                       hovertemplate=f"k = {k}<br>L = %{{y:.3e}}<extra></extra>"),
        ]
        if has_target:
            out.append(go.Scatter(x=[k], y=[rec.errors[k]], mode="markers", showlegend=False, name="current error",
                                  marker=dict(color=GRID, size=th.marker + 4, symbol="diamond"),
                                  hovertemplate=f"k = {k}<br>max |θ − θ*| = %{{y:.3e}}<extra></extra>"))
        return out

    first = len(fig.data)
    places = [(1, 1), (1, 2), (2, 1), (2, 1)][:len(moving(0))]
    for tr, (r, c) in zip(moving(0), places):
        fig.add_trace(tr, r, c)
    idx = list(range(first, first + len(places)))
    fig.frames = [go.Frame(data=moving(n), traces=idx, name=str(int(k))) for n, k in enumerate(frames)]
    _player(fig, [str(int(k)) for k in frames], th)
    for c in (1, 2, 3):
        fig.update_xaxes(range=[-1.05, 1.05], showgrid=False, scaleanchor=f"y{'' if c == 1 else c}", scaleratio=1,
                         showticklabels=False, ticks="", showline=False, row=1, col=c)
        fig.update_yaxes(range=[1.05, -1.05], showgrid=False, showticklabels=False, ticks="", showline=False,
                         row=1, col=c)
    fig.update_yaxes(type="log", exponentformat="power", dtick=1, title_text="log scale", row=2, col=1)
    fig.update_xaxes(title_text="gradient-descent iteration k", row=2, col=1)
    fig.update_layout(legend=dict(orientation="v", yanchor="top", y=0.33, x=0.99, xanchor="right"),
                      margin=dict(b=th.spatial.recovery_margin_bottom))
    return figure(fig.data, fig.layout, th, frames=fig.frames, height=th.spatial.recovery_height)


def _player(fig: go.Figure, names: list[str], th: Theme) -> None:
    """Play / pause buttons and a slider over the frames."""
    play = dict(label="▶ Play", method="animate",
                args=[None, {"frame": {"duration": FRAME_MS, "redraw": True}, "fromcurrent": True,
                             "transition": {"duration": 0}}])
    pause = dict(label="❚❚ Pause", method="animate",
                 args=[[None], {"frame": {"duration": 0, "redraw": False}, "mode": "immediate"}])
    fig.update_layout(
        updatemenus=[dict(type="buttons", direction="left", buttons=[play, pause], x=0, y=-0.1, xanchor="left",
                          yanchor="top", pad=dict(t=0, r=10), showactive=False, font=dict(size=th.font))],
        sliders=[dict(active=0, x=th.player.slider_x, y=-0.1, len=th.player.slider_len,
                      xanchor="left", yanchor="top", pad=dict(t=0),
                      currentvalue=dict(prefix="iteration k = ", font=dict(size=th.font), xanchor="right"),
                      font=dict(size=max(10, th.font - 4)),
                      steps=[dict(label=n, method="animate",
                                  args=[[n], {"frame": {"duration": 0, "redraw": True}, "mode": "immediate"}])
                             for n in names])],
    )


def theta_table(recovered: np.ndarray, target: np.ndarray | None) -> pd.DataFrame:
    """theta's six entries (with the notes' numbering): recovered, exact, difference."""
    rows = []
    for (r, c), n in sorted(NOTES_INDEX.items(), key=lambda kv: kv[1]):
        row = {"entry": f"θ{r + 1}{c + 1} (notes: θ{n})", "recovered": float(recovered[r, c])}
        if target is not None:
            row["exact θ*"] = float(target[r, c])
            row["difference"] = float(recovered[r, c] - target[r, c])
        rows.append(row)
    return pd.DataFrame(rows)


def recovery_frame(rec: Recovery) -> pd.DataFrame:
    """One row per iteration: the loss, the distance to the exact theta and theta's six entries."""
    df = pd.DataFrame({"k": np.arange(len(rec.losses)), "loss": rec.losses, "max |θ − θ*|": rec.errors})
    for (r, c), _ in sorted(NOTES_INDEX.items(), key=lambda kv: kv[1]):
        df[f"θ{r + 1}{c + 1}"] = rec.thetas[:, r, c]
    return df
