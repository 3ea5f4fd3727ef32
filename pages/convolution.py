"""The convolution page: the notes' 3 × 3 input and 2 × 2 filter, forward (each output as a sum of products, the
window highlighted) and backward (∂L/∂F and ∂L/∂X with the rotated filter), every number editable."""

from __future__ import annotations

import streamlit as st

from nets import conv as C
from ui import layout, state, widgets
from viz import conv as vc

SCOPE = "conv"
VIEWS = {"forward": "Forward pass", "backward": "Backward pass"}

VIEW = state.choice("view", "forward", tuple(VIEWS), scope=SCOPE)
X = state.matrix("X", ((1, 2, 3), (4, 5, 6), (7, 8, 9)), low=-1e4, high=1e4, max_rows=6, max_cols=6, scope=SCOPE)
F = state.matrix("F", ((1, 2), (3, 4)), low=-1e4, high=1e4, max_rows=6, max_cols=6, scope=SCOPE)
DO = state.matrix("dO", ((1, -1), (0.5, 2)), low=-1e4, high=1e4, max_rows=6, max_cols=6, scope=SCOPE)
STRIDE = state.integer("stride", 1, 1, 3, scope=SCOPE)
PADDING = state.integer("pad", 0, 0, 2, scope=SCOPE)
STEP = state.integer("step", 0, 0, 35, scope=SCOPE)


def move(delta: int, count: int):
    def callback():
        state.set_value(STEP, (state.get(STEP) + delta) % count)
    return callback


def ones_upstream(shape):
    def callback():
        state.set_value(DO, tuple(tuple(1.0 for _ in range(shape[1])) for _ in range(shape[0])))
    return callback


th = layout.theme()
layout.header("Convolution", "A filter slides over the input and takes a weighted sum at each stop; backpropagation "
                             "slides the upstream gradient back over the input and the rotated filter.")
view = widgets.segmented(VIEW, "View", tuple(VIEWS), format_func=VIEWS.get, label_visibility="collapsed")
c = layout.slots(4, 4)
x = widgets.text_entry(X, "input X (rows split by ;)", container=c[0])
f = widgets.text_entry(F, "filter F", container=c[1])
stride = widgets.number(STRIDE, "stride", 1, 3, step=1, fmt="%d", integer=True, container=c[2])
padding = widgets.number(PADDING, "zero padding", 0, 2, step=1, fmt="%d", integer=True, container=c[3])

fwd = layout.last_good("conv-forward", lambda: C.conv_forward(x, f, stride=stride, padding=padding),
                       lambda: C.conv_forward(X.default, F.default))
oh, ow = fwd.out.shape

if view == "forward":
    count = oh * ow
    step = min(state.get(STEP), count - 1)
    i, j = divmod(step, ow)
    b1, b2, label = st.columns([1, 1, 4], vertical_alignment="center")
    b1.button("◀ previous", on_click=move(-1, count), width="stretch")
    b2.button("next ▶", on_click=move(1, count), width="stretch")
    label.markdown(f"**Output O{i + 1}{j + 1}** ({step + 1} of {count})")
    sym, num = vc.forward_terms(fwd, i, j)
    left, right = st.columns([1.6, 1], gap="medium")
    with left:
        figs = vc.forward_figures(fwd, step, th)
        widths = [fwd.x_padded.shape[1] + 1, fwd.f.shape[1] + 1, ow + 1]
        for col, fig, name in zip(st.columns(widths), figs, ("X", "F", "O")):
            with col:
                layout.plotly(fig, key=f"forward-{name}")
    with right:
        if fwd.f.size <= 4:
            st.latex(vc.forward_latex(fwd, i, j))
        else:
            st.markdown(f"O{i + 1}{j + 1} = {sym}")
        st.markdown(f"= {num.replace('·', ' × ')} = **{vc.short(fwd.out[i, j])}**")
        st.caption(f"Here X is {fwd.x.shape[0]} × {fwd.x.shape[1]}, F is {fwd.f.shape[0]} × {fwd.f.shape[1]}, "
                   f"stride s = {fwd.stride}, padding P = {fwd.padding}: O is {oh} × {ow}. Like every deep-learning "
                   "library, the filter is not flipped here (strictly a cross-correlation); it is still called "
                   "convolution.")
    st.latex(r"O_{ij} = \sum_{a,b} \tilde X_{s(i-1)+a,\ s(j-1)+b}\,F_{ab},\qquad "
             r"\text{size of } O = \left\lfloor\tfrac{n + 2P - k}{s}\right\rfloor + 1")
    df = vc.forward_frame(fwd)
    layout.dataframe(df, key="forward-table")
    layout.csv_download(df, "convolution_forward.csv", key="forward-csv")
else:
    d_out = widgets.text_entry(DO, f"upstream gradient ∂L/∂O ({oh} × {ow}, like O)")
    if len(d_out) != oh or len(d_out[0]) != ow:
        st.button(f"set ∂L/∂O to ones, {oh} × {ow}", on_click=ones_upstream((oh, ow)))
    grads = layout.last_good("conv-backward", lambda: (fwd, C.conv_backward(fwd, d_out)),
                             lambda: (C.conv_forward(X.default, F.default),
                                      C.conv_backward(C.conv_forward(X.default, F.default), DO.default)))
    p, g = grads
    figs = vc.backward_figures(p, g, th)
    widths = [p.x_padded.shape[1] + 1, ow + 1, p.f.shape[1] + 1, p.f.shape[1] + 1, p.x.shape[1] + 1]
    for col, fig, name in zip(st.columns(widths), figs, ("X", "dO", "dF", "rotF", "dX")):
        with col:
            layout.plotly(fig, key=f"backward-{name}")
    a, b = (st.container(), st.container()) if th.present else st.columns(2, gap="medium")
    with a:
        st.markdown("**Gradient for the filter:** a valid convolution of the input with ∂L/∂O")
        st.latex(r"\frac{\partial L}{\partial F_{ab}} = \sum_{i,j} \frac{\partial L}{\partial O_{ij}}\,"
                 r"\tilde X_{s(i-1)+a,\ s(j-1)+b}")
    with b:
        st.markdown("**Gradient for the input:** a full convolution of the 180°-rotated filter with ∂L/∂O")
        st.latex(r"\frac{\partial L}{\partial X} = \operatorname{full}\Big(\operatorname{rot}_{180^\circ}(F),\ "
                 r"\frac{\partial L}{\partial O}\Big)" + (r"\ \text{(∂L/∂O dilated by the stride)}" if p.stride > 1
                                                          else ""))
    st.subheader("∂L/∂F, entry by entry")
    df_f = vc.filter_grad_frame(p, g)
    layout.dataframe(df_f, key="dF-table")
    layout.csv_download(df_f, "convolution_dL_dF.csv", key="dF-csv")
    st.subheader("∂L/∂X, entry by entry")
    df_x = vc.input_grad_frame(p, g)
    layout.dataframe(df_x, key="dX-table")
    layout.csv_download(df_x, "convolution_dL_dX.csv", key="dX-csv")
    st.caption("Each input entry collects one product for every output whose window covered it: the corner X11 "
               "only one, the centre of a 3 × 3 input all four. Read the products in order and the filter appears "
               "turned by 180°: that is the full convolution.")
    st.markdown("**Two slips in the notes.** They call the upstream gradient ∂L/∂θ, but it is ∂L/∂O, the "
                "gradient of the loss with respect to this layer's output. And their matrix of it lists only "
                "∂L/∂θ11, ∂L/∂θ21 and ∂L/∂θ22: the entry ∂L/∂O12 is missing, although the next line uses it.")
