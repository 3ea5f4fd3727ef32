"""The Spatial Transformer page: an affine theta (from sliders or typed in directly) drives the grid generator
and the bilinear sampler on a handwritten digit; then theta is recovered by gradient descent through the
sampler, as a localisation net would learn it."""

from __future__ import annotations


import numpy as np
import streamlit as st

import nets
from ui import layout, state, widgets
from viz import spatial as vs
from viz.style import Theme

SCOPE = "stn"
VIEWS = {"grid": "Grid generator and sampler", "recover": "Recover θ by gradient descent"}
MODES = {"affine": "affine: 6 parameters", "translation": "translation only: 2 parameters"}
SIZE = 40  # the digit is 40 x 40
THETA_LIMIT = 10.0
DEFAULT_THETA = tuple(state.without_noise(v) for v in nets.theta_from_params(30.0, 1.25, 1.25, 0.0, 0.0, 0.0).ravel())
#: the sliders: AffineParams field, label, range, step, format
PARAMS = (
    ("angle_deg", "rotation φ (degrees)", -180.0, 180.0, 1.0, "%.0f"),
    ("scale_x", "scale $s_x$", 0.25, 4.0, 0.01, "%.2f"),
    ("scale_y", "scale $s_y$", 0.25, 4.0, 0.01, "%.2f"),
    ("shear", "shear k", -2.0, 2.0, 0.01, "%.2f"),
    ("tx", "shift $t_x$", -2.0, 2.0, 0.01, "%.2f"),
    ("ty", "shift $t_y$", -2.0, 2.0, 0.01, "%.2f"),
)


#: the 2 x 3 theta, row by row, as six numbers in the URL (``?theta=1,0,0,0,1,0``)
THETA = state.numbers("theta", DEFAULT_THETA, -THETA_LIMIT, THETA_LIMIT, min_count=6, max_count=6, scope=SCOPE)
VIEW = state.choice("view", "grid", tuple(VIEWS), scope=SCOPE)
MODE = state.choice("mode", "affine", tuple(MODES), scope=SCOPE)
ROW = state.integer("i", 13, 0, SIZE - 1, scope=SCOPE)
COL = state.integer("j", 23, 0, SIZE - 1, scope=SCOPE)
ANGLE = state.number("angle", 20.0, -45.0, 45.0, scope=SCOPE)
ZOOM = state.number("zoom", 1.15, 0.7, 1.4, scope=SCOPE)
SHEAR = state.number("shear", 0.0, -0.5, 0.5, scope=SCOPE)
SHIFT_X = state.number("tx", 0.15, -0.5, 0.5, scope=SCOPE)
SHIFT_Y = state.number("ty", -0.1, -0.5, 0.5, scope=SCOPE)
STEPS = state.integer("steps", 150, 10, 400, scope=SCOPE)
LR = state.number("lr", 0.02, 0.001, 0.1, scope=SCOPE)
BLUR = state.number("blur", 0.0, 0.0, 3.0, scope=SCOPE)


@st.cache_data(max_entries=8, show_spinner=False)
def digit() -> np.ndarray:
    return nets.load_digit()


@st.cache_data(max_entries=256, show_spinner=False)
def sample(theta: tuple[float, ...]) -> np.ndarray:
    """The grid generator and the sampler: the digit seen through theta."""
    return nets.transform(digit(), np.reshape(theta, (2, 3)))[0]


@st.cache_data(max_entries=256, show_spinner=False)
def taps(theta: tuple[float, ...], i: int, j: int):
    """Where output pixel (i, j) reads from, and the sampler's arithmetic there."""
    x, y = nets.affine_grid(np.reshape(theta, (2, 3)), (SIZE, SIZE))[i, j]
    return float(x), float(y), nets.bilinear_taps(digit(), x, y)


@st.cache_data(max_entries=32, show_spinner=False)
def recovery(mode: str, angle: float, zoom: float, shear: float, tx: float, ty: float, steps: int, lr: float,
             blur: float) -> nets.Recovery:
    return nets.recovery_demo(angle, zoom, shear, tx, ty, mode=mode, steps=steps, lr=lr, blur_sigma=blur)


@st.cache_data(max_entries=32, show_spinner=False)
def recovery_chart(mode: str, angle: float, zoom: float, shear: float, tx: float, ty: float, steps: int, lr: float,
                   blur: float, th: Theme):
    """The animation's figure (60 frames of images): built once per setting and theme."""
    rec = recovery(mode, angle, zoom, shear, tx, ty, steps, lr, blur)
    return vs.recovery_figure(rec, th)


def current_theta() -> np.ndarray:
    return np.reshape(state.get(THETA), (2, 3))


def set_theta(theta: np.ndarray) -> None:
    """Theta from the sliders, a preset or a typed entry: its six numbers without arithmetic's last-bit noise (the
    link says 0.625, not 0.6249999999999999)."""
    state.set_value(THETA, tuple(state.without_noise(v) for v in np.asarray(theta, dtype=float).ravel()))


def describe(theta: np.ndarray):
    """Rotation, scales, shear and shift of theta, or None when its 2 x 2 part mirrors or collapses."""
    try:
        return nets.params_from_theta(theta)
    except ValueError:
        return None


def on_param(name: str) -> None:
    """A slider moved: rebuild theta from the other parameters and this one."""
    theta = current_theta()
    value = float(st.session_state[f"stn-param-{name}"])
    if state.get(MODE) == "translation":
        t = {"tx": theta[0, 2], "ty": theta[1, 2], name: value}
        set_theta(nets.theta_translation(t["tx"], t["ty"]))
        return
    p = describe(theta)
    if p is not None:
        set_theta(nets.theta_from_params(**(p._asdict() | {name: value})))


def on_entry(r: int, c: int) -> None:
    """An entry of theta was typed in."""
    theta = current_theta().copy()
    value = st.session_state[f"stn-theta-{r}{c}"]
    if value is None:  # an emptied box: keep the last value
        return
    theta[r, c] = float(value)
    set_theta(theta)


def to_translation() -> None:
    """Switching to the 2-parameter mode keeps the shift and drops the rest."""
    if state.get(MODE) == "translation":
        theta = current_theta()
        set_theta(nets.theta_translation(theta[0, 2], theta[1, 2]))


PRESETS = {
    "affine": (("identity", nets.IDENTITY), ("zoom in ×2", nets.theta_from_params(0, 0.5, 0.5)),
               ("zoom out ×2", nets.theta_from_params(0, 2.0, 2.0)), ("rotate 45°", nets.theta_from_params(45)),
               ("shear", nets.theta_from_params(0, 1, 1, 0.6)),
               ("mirror", np.array([[-1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]))),
    "translation": (("identity", nets.IDENTITY), ("t = (0.5, 0)", nets.theta_translation(0.5, 0)),
                    ("t = (0, −0.5)", nets.theta_translation(0, -0.5)),
                    ("t = (−0.4, 0.3)", nets.theta_translation(-0.4, 0.3))),
}


def theta_controls(mode: str) -> np.ndarray:
    """The sliders and the six (or two) entries of theta, all showing and setting the same theta."""
    theta = current_theta()
    if mode == "translation" and not np.array_equal(theta[:, :2], np.eye(2)):
        set_theta(nets.theta_translation(theta[0, 2], theta[1, 2]))
        theta = current_theta()
    params = describe(theta)
    specs = PARAMS if mode == "affine" else PARAMS[4:]
    with st.container(border=True):
        st.markdown("**θ from a rotation, scales, a shear and a shift**" if mode == "affine"
                    else "**θ₁ and θ₂: a shift**")
        if params is None:
            st.info("This θ mirrors (det A < 0) or flattens (det A = 0) the image: no rotation, scale and shear "
                    "describe it, so the sliders are off. Edit θ below or press “identity”.", icon=":material/flip:")
        out_of_range = []
        cols = st.columns(2) if mode == "translation" else [st.container()]
        for k, (name, label, lo, hi, step, fmt) in enumerate(specs):
            value = getattr(params, name) if params is not None else getattr(nets.AffineParams(), name)
            value = round(float(value), 9) + 0.0  # no "-0.00" from rounding noise
            if not lo <= value <= hi:
                out_of_range.append(label)
            key = f"stn-param-{name}"
            st.session_state[key] = float(min(max(value, lo), hi))
            cols[k % len(cols)].slider(label, lo, hi, step=step, format=fmt, key=key, on_change=on_param,
                                       args=(name,), disabled=params is None)
        if out_of_range:
            st.caption(f"θ's {', '.join(out_of_range)} {'is' if len(out_of_range) == 1 else 'are'} beyond the "
                       "sliders' range; the entries below are exact.")
    with st.container(border=True):
        st.markdown("**θ itself**, entry by entry (type a number and press Enter)")
        for r in range(2):
            row = st.columns(3)
            for c in range(3):
                key = f"stn-theta-{r}{c}"
                st.session_state[key] = float(theta[r, c])
                fixed = mode == "translation" and c < 2
                n = vs.NOTES_INDEX[(r, c)] if mode == "affine" else {(0, 2): 1, (1, 2): 2}.get((r, c))
                label = f"θ{r + 1}{c + 1}" + (f" (notes: θ{n})" if n else "")
                row[c].number_input(label, -THETA_LIMIT, THETA_LIMIT, step=0.01, format="%.4f", key=key,
                                    on_change=on_entry, args=(r, c), disabled=fixed,
                                    help="Fixed in translation mode." if fixed else None)
        st.caption("Presets")
        presets = PRESETS[mode]
        cols = st.columns(2) + st.columns(2) + st.columns(2)
        for col, (name, value) in zip(cols, presets):
            col.button(name, on_click=set_theta, args=(value,), key=f"preset-{name}", width="stretch")
    return current_theta()


# -- page -------------------------------------------------------------------------------------------------------

th = layout.theme()
layout.header("Spatial Transformer", "A differentiable module that moves, turns, scales and shears its input: "
                                     "θ sets a sampling grid, and bilinear sampling reads the input there.")
view = widgets.segmented(VIEW, "View", tuple(VIEWS), format_func=VIEWS.get, label_visibility="collapsed")
if view == "grid":
    controls, picture = st.columns([1, 2.2], gap="medium")
    mode = widgets.segmented(MODE, "Transformation", tuple(MODES), format_func=MODES.get, container=controls)
    with controls:
        theta = theta_controls(mode)
    key = tuple(float(v) for v in theta.ravel())
    output = sample(key)
    with picture:
        st.markdown("**Grid generator:** each output pixel $(x^t, y^t)$ reads from the input at $(x^s, y^s)$")
        st.latex(vs.theta_latex(theta, mode))
        i = state.get(ROW)
        j = state.get(COL)
        x, y, tp = taps(key, i, j)
        layout.plotly(vs.grid_figure(digit(), theta, output, th, pixel=(i, j), taps=tp), key="grid")
        st.caption("Coordinates run from −1 to 1 across the image, y pointing down. The blue mesh is every 4th "
                   "row and column of the sampling grid; matching coloured dots are the output's corners and where "
                   "they read from. θ maps *output to input*, so the picture moves the opposite way: s = 2 shows "
                   "the digit half as large, $t_x > 0$ moves it left, a positive angle turns it counter-clockwise. "
                   "Outside the dashed frame the input counts as 0.")

    st.subheader("The sampler, one output pixel at a time")
    c_i, c_j = st.columns(2)
    i = widgets.slider_entry(ROW, "output row i", 0, SIZE - 1, 1, fmt="%d", integer=True, container=c_i)
    j = widgets.slider_entry(COL, "output column j", 0, SIZE - 1, 1, fmt="%d", integer=True, container=c_j)
    x, y, tp = taps(key, i, j)
    st.markdown(f"Output pixel ({i}, {j}), the orange ★: find its four neighbouring input pixels (orange □), weigh "
                "each by how close it is, and add up.")
    st.latex(vs.taps_latex(tp, x, y, i, j))
    df = vs.taps_frame(tp)
    layout.dataframe(df, key="taps-table")
    layout.csv_download(df, f"bilinear_pixel_{i}_{j}.csv", key="taps-csv")
    st.caption("Neither the grid generator nor the sampler has weights of its own. Both are differentiable "
               "(almost everywhere), so a loss can send gradients back to θ, and to whatever network produced it.")

else:
    mode = widgets.segmented(MODE, "Transformation", tuple(MODES), format_func=MODES.get)
    st.markdown("A spatial transformer's **localisation net** predicts θ from its input, learning from the gradient "
                "that flows back through the sampler. Here that gradient moves θ itself: starting from the "
                "identity, gradient descent (Adam) changes θ until the re-sampled distorted digit matches the "
                "original.")
    c = st.columns(3)
    specs = [(ANGLE, "rotation φ (degrees)", -45.0, 45.0, 1.0, "%.0f"), (ZOOM, "scale s", 0.7, 1.4, 0.01, "%.2f"),
             (SHEAR, "shear k", -0.5, 0.5, 0.01, "%.2f"), (SHIFT_X, "shift $t_x$", -0.5, 0.5, 0.01, "%.2f"),
             (SHIFT_Y, "shift $t_y$", -0.5, 0.5, 0.01, "%.2f")]
    if mode == "translation":
        specs = specs[3:]
    values = {}
    for k, (s, label, lo, hi, step, fmt) in enumerate(specs):
        values[s.name] = widgets.slider_entry(s, label, lo, hi, step, fmt=fmt, container=c[k % len(c)])
    angle, zoom, shear = (values.get(n, s.default) for n, s in (("angle", ANGLE), ("zoom", ZOOM), ("shear", SHEAR)))
    tx, ty = values["tx"], values["ty"]
    d = st.columns(3)
    steps = widgets.slider_entry(STEPS, "iterations", 10, 400, 10, fmt="%d", integer=True, container=d[0])
    lr = widgets.slider_entry(LR, "learning rate η (Adam)", 0.001, 0.1, 0.001, fmt="%.3f", container=d[1])
    blur = widgets.slider_entry(BLUR, "blur σ (pixels)", 0.0, 3.0, 0.1, fmt="%.1f", container=d[2],
                                help="Compare blurred copies: the loss then also sees misalignments wider than a "
                                     "stroke, which helps far-away starts, at some cost in precision.")
    rec = recovery(mode, angle, zoom, shear, tx, ty, steps, lr, blur)
    st.latex(r"\begin{gathered} L(\theta) = \frac{1}{HW}\sum_{i,j}\big(V_{ij}(\theta) - O_{ij}\big)^2,\qquad "
             r"V = \mathrm{sampler}\big(D, \mathrm{grid}(\theta)\big) \\ "
             r"\frac{\partial L}{\partial \theta} = \sum_{i,j} \frac{\partial L}{\partial V_{ij}}\,"
             r"\frac{\partial V_{ij}}{\partial (x^s_{ij}, y^s_{ij})}\,\frac{\partial (x^s_{ij}, y^s_{ij})}"
             r"{\partial \theta},\qquad \theta \leftarrow \theta - \eta\,\text{Adam}"
             r"\Big(\frac{\partial L}{\partial \theta}\Big) \end{gathered}")
    layout.plotly(recovery_chart(mode, angle, zoom, shear, tx, ty, steps, lr, blur, th), key="recovery")
    st.caption("Press ▶ Play, or drag the slider. The distorted input D is the digit sampled with a known θ_d; the "
               "θ that undoes it exactly is θ* = θ_d⁻¹. The loss only sees misalignment where ink overlaps ink, so "
               "a distortion much larger than a stroke's width can stall: try a big shift, then some blur.")
    left, right = st.columns([1, 1])
    final = rec.thetas[-1]
    with left:
        st.subheader("θ found vs the exact θ*")
        found = vs.theta_table(final, rec.target_theta)
        layout.dataframe(found, key="theta-table")
        layout.csv_download(found, f"theta_found_{mode}.csv", key="theta-csv")
        st.markdown(f"After {len(rec.losses) - 1} iterations: loss {rec.losses[-1]:.2e} (from "
                    f"{rec.losses[0]:.2e}), largest entry error {rec.errors[-1]:.2e}.")
    with right:
        st.subheader("Iteration by iteration")
        df = vs.recovery_frame(rec)
        layout.dataframe(df, key="recovery-table", height=300)
        layout.csv_download(df, f"theta_recovery_{mode}.csv", key="recovery-csv")
