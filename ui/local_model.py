r"""The local model at the inspected iteration: for one optimizer of the race, the linear and the quadratic Taylor
model around its point :math:`w_t` (``optim.taylor``) drawn over the surface (``viz.taylor``), with what the Hessian
says about the Newton step there."""

from __future__ import annotations

import streamlit as st

import optim
import surfaces
from optim.taylor import local_model
from viz.style import Theme
from viz.taylor import local_model_figure

from . import layout, state, widgets


@st.cache_data(max_entries=64, show_spinner=False)
def model_figure(surface_name: str, point: tuple, optimizer: str, t: int, th: Theme):
    surface = surfaces.get(surface_name)
    model = local_model(surface, point)
    return model, local_model_figure(surface, model, optimizer, t, th)


def _vec(v) -> str:
    return r"\begin{pmatrix}" + r"\\".join(f"{x:.4g}" for x in v) + r"\end{pmatrix}"


def panel(scope: str, surface, runs, selected, t: int, th: Theme) -> None:
    """The chooser of the optimizer, the figure and its explanation, for iteration ``t``."""
    which = state.choice("model", selected[0], selected, scope=scope)
    if state.get(which) not in selected:
        state.set_value(which, selected[0])
    st.subheader("The local model at iteration t")
    name = widgets.selectbox(which, "around the point of", selected, format_func=lambda n: optim.spec(n).title)
    r = runs[list(selected).index(name)]
    if t > int(r.rows):
        st.info(f"{r.title} stopped at step {int(r.rows)}, before iteration {t}.")
        return
    point = tuple(float(v) for v in r.positions[t - 1])
    model, fig = model_figure(surface.name, point, name, int(t), th)
    if not model.defined:
        st.info(f"f, its gradient or its Hessian is not defined at {r.title}'s point of iteration {t}: no Taylor "
                "model there.")
        return
    layout.plotly(fig, key="local-model")
    lam = model.eigenvalues
    eig = ", ".join(f"λ{i + 1} = {v:.4g}" for i, v in enumerate(lam))
    st.markdown(r"$m_1(w) = f(w_t) + g_t^\top (w - w_t)$, $\; m_2(w) = m_1(w) + \tfrac12 (w - w_t)^\top H_t (w - w_t)$"
                rf", at $w_{{{t}}} = {_vec(point)}$ with $H_{{{t}}}$'s eigenvalues {eig}. Dashed: the model's "
                "contours at the surface's levels (grey); where they lie on each other the model is good. The "
                "arrows from $w_t$ are the eigenvectors of $H_t$, each as long as its eigenvalue (green: curving "
                "up, red: curving down).")
    step = model.newton_step
    kind = model.kind
    if kind == "minimum" and model.newton_defined:
        st.markdown(rf"$H_{{{t}}}$ is positive definite: $m_2$ is a bowl, and its minimum is Newton's step, "
                    rf"$w_t - H_t^{{-1}} g_t = {_vec(model.point + step)}$ (the orange star).")
        return
    what = {"saddle": "indefinite: $m_2$ is a saddle", "maximum": "negative definite: $m_2$ is a cap",
            "flat": "singular: $m_2$ is a trough with no single stationary point"}[kind]
    plain = (rf"The plain Newton step goes to the stationary point of $m_2$, $w_t - H_t^{{-1}} g_t = "
             rf"{_vec(model.point + step)}$ (orange), which climbs along the directions that curve down. "
             if model.newton_defined else "The plain Newton step is not defined (a zero eigenvalue). ")
    st.warning(rf"$H_{{{t}}}$ is {what}. " + plain + r"The safeguarded step replaces every eigenvalue by "
               rf"$\max(|\lambda|, \lambda_{{\min}})$ with $\lambda_{{\min}} = {model.min_curvature:g}$ and goes "
               rf"downhill: $w_t + {_vec(model.safe_step)} = {_vec(model.point + model.safe_step)}$ (green).",
               icon=":material/warning:")
