"""The loss-functions page: every loss of the notes drawn with its derivative, and computed on numbers you type,
with the arithmetic written out and the notes' two slips shown where they bite."""

from __future__ import annotations

import streamlit as st

from nets import losses as L
from ui import layout, state, widgets
from viz import losses as vl

SCOPE = "loss"
VIEWS = {"curves": "Compare the curves", "numbers": "Your numbers"}
FAMILIES = {"regression": "regression: against the residual", "margin": "hinge family: against the margin",
            "probability": "cross-entropy family: against the probability"}
REGRESSION = {"mse": "MSE / L2", "mae": "MAE / L1", "huber": "Huber", "msle": "MSLE", "mape": "MAPE"}
TASKS = {"regression": "regression", "binary": "binary cross-entropy", "hinge": "hinge", "categorical": "categorical"}

VIEW = state.choice("view", "curves", tuple(VIEWS), scope=SCOPE)
FAMILY = state.choice("family", "regression", tuple(FAMILIES), scope=SCOPE)
SHOW = state.names("show", ("mse", "mae", "huber"), tuple(REGRESSION), scope=SCOPE)
DELTA = state.number("delta", 1.0, 0.05, 5.0, scope=SCOPE)
TARGET = state.number("target", 2.0, 0.1, 10.0, scope=SCOPE)
REACH = state.number("reach", 4.0, 1.0, 10.0, scope=SCOPE)
NOTES = state.flag("notes", True, scope=SCOPE)
TASK = state.choice("task", "regression", tuple(TASKS), scope=SCOPE)
Y = state.vector("y", (3.0, -0.5, 2.0, 7.0), low=-1e4, high=1e4, scope=SCOPE)
YHAT = state.vector("yhat", (2.5, 0.0, 2.0, 10.0), low=-1e4, high=1e4, scope=SCOPE)
BY = state.vector("by", (1.0, 0.0, 1.0, 0.0), low=-1e4, high=1e4, scope=SCOPE)
BP = state.vector("bp", (0.9, 0.2, 0.4, 0.99), low=-1e4, high=1e4, scope=SCOPE)
HY = state.vector("hy", (1.0, -1.0, 1.0, -1.0), low=-1e4, high=1e4, scope=SCOPE)
HS = state.vector("hs", (2.0, -0.5, 0.3, 1.5), low=-1e4, high=1e4, scope=SCOPE)
CL = state.vector("cl", (0.0, 2.0, 1.0), low=-1e4, high=1e4, scope=SCOPE)
CP = state.matrix("cp", ((0.7, 0.2, 0.1), (0.1, 0.3, 0.6), (0.3, 0.4, 0.3)), low=-1e4, high=1e4, max_rows=8,
                  max_cols=6, scope=SCOPE)

NOTES_HUBER = (r"L_\delta = \begin{cases}\tfrac12 (y - \hat y)^2 & |y - \hat y| < \delta\\ "
               r"\delta\big((y - \hat y) - \tfrac12\delta\big) & \text{otherwise}\end{cases}")


def tables(examples, losses, name: str, gradient=None) -> None:
    st.markdown("**Each loss, term by term**")
    layout.dataframe(losses, key=f"{name}-losses")
    layout.csv_download(losses, f"losses_{name}.csv", key=f"{name}-losses-csv", label="Download the losses (CSV)")
    st.markdown("**Each example**")
    layout.dataframe(examples, key=f"{name}-examples")
    layout.csv_download(examples, f"losses_{name}_examples.csv", key=f"{name}-examples-csv",
                        label="Download the examples (CSV)")
    if gradient is not None:
        st.markdown("**The gradient each loss sends back to each prediction**")
        layout.dataframe(gradient, key=f"{name}-gradient")
        layout.csv_download(gradient, f"losses_{name}_gradient.csv", key=f"{name}-gradient-csv",
                            label="Download the gradients (CSV)")


def typed_task(name: str, first: state.Setting, first_label: str, second: state.Setting, second_label: str,
               build, formula: str):
    """Two typed lists side by side, the task's formula, and its tables (the last good ones under a message);
    returns the tables shown."""
    c1, c2 = layout.slots(2, 2)
    a = widgets.text_entry(first, first_label, container=c1)
    b = widgets.text_entry(second, second_label, container=c2)
    result = layout.last_good(f"loss-{name}", lambda: build(a, b), lambda: build(first.default, second.default))
    st.latex(formula)
    tables(result[0], result[1], name)
    return result


def formulas(latex: list[str]) -> None:
    """Formulas two to a row, under the figure (the control column is too narrow for them)."""
    for col, tex in zip(layout.slots(len(latex), 2) if latex else [], latex):
        col.latex(tex)


th = layout.theme()
layout.header("Loss functions", "How far a prediction is from its target, as one number to minimize: thirteen ways "
                                "to count it, and the slope each one hands to gradient descent.")
view = widgets.segmented(VIEW, "View", tuple(VIEWS), format_func=VIEWS.get, label_visibility="collapsed")

if view == "curves":
    family = widgets.segmented(FAMILY, "Family", tuple(FAMILIES), format_func=FAMILIES.get)
    if family == "regression":
        controls, picture = st.columns([1, 2.4], gap="medium")
        with controls:
            show = widgets.multiselect(SHOW, "losses", tuple(REGRESSION), format_func=REGRESSION.get)
            c = layout.slots(3, 1)
            delta = widgets.slider_entry(DELTA, "Huber's δ", 0.05, 5.0, 0.05, fmt="%.2f", container=c[0],
                                         help="Where Huber switches from a square to a straight line. δ > 0.")
            reach = widgets.slider_entry(REACH, "residuals up to ±", 1.0, 10.0, 0.5, fmt="%.1f", container=c[1])
            target = widgets.slider_entry(TARGET, "target y (MSLE, MAPE)", 0.1, 10.0, 0.1, fmt="%.1f",
                                          container=c[2], help="MSLE and MAPE depend on the target itself, not "
                                                               "only on the residual: their curves are drawn at this y.")
            notes = widgets.toggle(NOTES, "also draw Huber as the notes print it")
        with picture:
            if not show:
                st.info("Pick at least one loss.")
            else:
                layout.plotly(vl.regression_curves(show, th, delta=delta, target=target, reach=reach,
                                                   notes_huber=notes), key="regression-curves")
            st.caption("Top: the loss one example contributes; bottom: its slope, the push gradient descent "
                       "gives. The square grows without bound and so does its slope: one example 10 away "
                       "outweighs a hundred that are 1 away, which is why MSE chases outliers. MAE's slope is ±1 "
                       "whatever the error. Huber is the square up to δ and a straight line after it: its slope "
                       "stops growing at ±δ. L1 and L2 add the same terms as MAE and MSE without dividing by n.")
        keys = [k for k in ("mse", "mae", "l2", "l1", "huber", "msle", "mape")
                if k in show or (k == "l2" and "mse" in show) or (k == "l1" and "mae" in show)]
        losses = L.regression_losses(delta)
        formulas([rf"\text{{{losses[k].name.split(' (')[0]}}} = {losses[k].latex}" for k in keys])
        if "l1" in keys:
            st.caption("The notes start L1's sum at i = 0 and the others at i = 1: every sum here runs over the n "
                       "examples, i = 1 to n.")
        if "huber" in show:
            bad = -3 * delta
            st.markdown(f"**A slip in the notes.** They print Huber's linear branch as δ((y − ŷ) − δ/2), without "
                        f"the absolute value. For a residual of {vl.short(bad)} (with δ = {delta:g}) that gives "
                        f"{vl.short(float(L.huber_notes(bad, delta)))}, a *negative* loss, and a slope of +δ that "
                        "pushes the prediction further away. The correct branch is δ(|y − ŷ| − δ/2) = "
                        f"{vl.short(float(L.huber_term(bad, delta)))}. (Their code has `np.abs` and is right.)")
            st.latex(r"\text{notes: }" + NOTES_HUBER)
    elif family == "margin":
        layout.plotly(vl.margin_curves(th), key="margin-curves")
        st.caption("The margin says how confidently right a score is: positive is on the right side, ≥ 1 is right with "
                   "room to spare and costs nothing. Below 1 the hinge grows linearly, the squared hinge "
                   "quadratically (and smoothly at 1). The categorical hinge is the same curve in its own margin: the "
                   "true class's score minus the best other class's.")
        formulas([r"\text{hinge} = \frac1n\sum_i \max(0,\ 1 - y_i s_i),\quad y_i \in \{-1, 1\}",
                  r"\text{squared hinge} = \frac1n\sum_i \max(0,\ 1 - y_i s_i)^2",
                  r"\text{categorical hinge} = \frac1n\sum_i \max\big(0,\ 1 + \max_{k \ne c_i} s_{ik} - s_{ic_i}\big)"])
        st.markdown("**A slip in the notes.** Their hinge code is `np.max(0, 1 - yHat * y)`. `np.max` takes one array "
                    "and reads its second argument as the *axis*, so this raises an error; the elementwise maximum is "
                    "`np.maximum(0, 1 - yHat * y)`. Try it under *Your numbers*.")
    else:
        layout.plotly(vl.probability_curves(th), key="probability-curves")
        st.caption("Cross-entropy only looks at the probability given to the right answer: −ln p. Near p = 1 it costs "
                   "almost nothing; as p → 0 the loss and its slope −1/p grow without bound, so a confident wrong "
                   "answer is punished hardest. As in Keras, p is clipped to [10⁻⁷, 1 − 10⁻⁷], so the worst single "
                   "term is −ln 10⁻⁷ ≈ 16.1.")
        formulas([r"H(p, q) = -\sum_x p(x)\ln q(x)",
                  r"\text{binary CE} = -\frac1n\sum_i \big(y_i \ln p_i + (1 - y_i)\ln(1 - p_i)\big)",
                  r"\text{categorical CE} = -\frac1n\sum_i \sum_k y_{ik} \ln p_{ik}",
                  r"\text{sparse categorical CE} = -\frac1n\sum_i \ln p_{i c_i}"])
        st.markdown("Categorical and sparse categorical cross-entropy are the same number: one-hot labels pick out one "
                    "term of the sum, the class number picks out the same term directly.")

else:
    task = widgets.segmented(TASK, "Task", tuple(TASKS), format_func=TASKS.get)
    st.caption("Type numbers separated by commas or spaces; press Enter to apply.")
    if task == "regression":
        c1, c2, c3 = layout.slots(3, 3) if not th.present else layout.slots(3, 1)
        y = widgets.text_entry(Y, "targets y", container=c1)
        yhat = widgets.text_entry(YHAT, "predictions ŷ", container=c2)
        delta = widgets.slider_entry(DELTA, "Huber's δ", 0.05, 5.0, 0.05, fmt="%.2f", container=c3)
        result = layout.last_good("loss-regression", lambda: vl.regression_tables(y, yhat, delta),
                                  lambda: vl.regression_tables(Y.default, YHAT.default, DELTA.default))
        with st.expander("the formulas"):
            for key, loss in L.regression_losses(delta).items():
                st.latex(rf"\text{{{loss.name.split(' (')[0]}}} = {loss.latex}")
        tables(result[0], result[1], "regression", result[2])
        if (result[0]["rᵢ = yᵢ − ŷᵢ"] <= -delta).any():
            st.caption("The notes' Huber row: where r_i ≤ −δ its term is negative, which no loss may be.")
    elif task == "binary":
        typed_task("binary", BY, "labels y (0 or 1)", BP, "predicted probabilities p of class 1, in [0, 1]",
                   vl.binary_tables, r"\text{binary CE} = -\frac1n\sum_i \big(y_i \ln p_i + (1 - y_i)\ln(1 - p_i)\big)")
    elif task == "hinge":
        shown = typed_task("hinge", HY, "labels y (−1 or 1)", HS, "scores s (any number)", vl.hinge_tables,
                          r"\text{hinge} = \frac1n\sum_i \max(0,\ 1 - y_i s_i),\qquad "
                          r"\text{squared hinge} = \frac1n\sum_i \max(0,\ 1 - y_i s_i)^2")
        st.markdown("**The notes' code on these numbers:** `np.max(0, 1 - yHat * y)` raises")
        st.code(vl.notes_hinge_error(shown[0]["yᵢ"].to_numpy(), shown[0]["sᵢ"].to_numpy()), language=None)
        st.caption("`np.max(a, axis)` reduces one array; `np.maximum(a, b)` compares two elementwise. The tables "
                   "above use `np.maximum`.")
    else:
        typed_task("categorical", CL, "true classes c (0, 1, 2, …), one per example", CP,
                   "probabilities, one row per example (rows separated by ;)", vl.categorical_tables,
                   r"\text{CCE} = -\frac1n\sum_i \sum_k y_{ik}\ln p_{ik},\quad \text{sparse} = -\frac1n\sum_i "
                   r"\ln p_{ic_i},\quad \text{cat. hinge} = \frac1n\sum_i \max\big(0,\ 1 + \max_{k \ne c_i} p_{ik} - "
                   r"p_{ic_i}\big)")
        st.caption("Categorical hinge is computed on the same rows, as Keras would on a softmax output.")
