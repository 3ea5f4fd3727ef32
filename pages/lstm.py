"""The LSTM page: one cell's gates at every step of a sequence you type, why gradients survive in an LSTM and
vanish in a plain RNN, and a memory task one learns and the other does not."""

from __future__ import annotations


import numpy as np
import streamlit as st

import nets
from ui import layout, state, widgets
from viz import lstm as vl

SCOPE = "lstm"
VIEWS = {"cell": "Inside the cell", "gradient": "Gradients through time", "memory": "A memory task"}
MAX_T = 16


SEQUENCE_LIMIT = 5.0
#: the input sequence x_1..x_T, typed as numbers separated by commas or spaces (``?x=1,0,0,-1``)
SEQ = state.numbers("x", (1.0, 0.0, 0.0, 0.0, -1.0, 0.0, 0.0, 0.0), -SEQUENCE_LIMIT, SEQUENCE_LIMIT, max_count=MAX_T,
                    separator=" ", scope=SCOPE)
VIEW = state.choice("view", "cell", tuple(VIEWS), scope=SCOPE)
HIDDEN = state.integer("H", 2, 1, 4, scope=SCOPE)
FORGET_BIAS = state.number("bf", 2.0, -4.0, 6.0, scope=SCOPE)
WEIGHT_SCALE = state.number("scale", 3.0, 0.1, 6.0, scope=SCOPE)
CELL_SEED = state.integer("seed", 3, 0, 999, scope=SCOPE)
STEP = state.integer("t", 1, 1, MAX_T, scope=SCOPE)
UNIT = state.integer("unit", 1, 1, 4, scope=SCOPE)
GRAD_T = state.integer("T", 60, 10, 200, scope=SCOPE)
RADIUS = state.number("rho", 1.0, 0.5, 1.5, scope=SCOPE)
INPUT_SCALE = state.number("inscale", 1.0, 0.0, 3.0, scope=SCOPE)
GRAD_WIDTH = state.integer("width", 16, 2, 64, scope=SCOPE)
GRAD_SEED = state.integer("gseed", 0, 0, 999, scope=SCOPE)
GAP = state.integer("gap", 50, 5, 100, scope=SCOPE)
TRAIN_STEPS = state.integer("steps", 300, 50, 600, scope=SCOPE)
LR = state.number("lr", 0.01, 0.001, 0.1, scope=SCOPE)
UNITS = state.integer("units", 8, 2, 32, scope=SCOPE)
TASK_SEED = state.integer("mseed", 0, 0, 99, scope=SCOPE)


@st.cache_data(max_entries=256, show_spinner=False)
def run_cell(seq: tuple[float, ...], hidden: int, forget_bias: float, scale: float, seed: int):
    """The seeded cell and its forward pass over one sequence, with the gates' pre-activations."""
    params = nets.init_lstm(1, hidden, forget_bias=forget_bias, scale=scale, seed=seed)
    _, cache = nets.lstm_forward(params, np.asarray(seq, dtype=float)[:, None, None])
    return params, cache, nets.lstm_preactivations(params, cache)


@st.cache_data(max_entries=128, show_spinner=False)
def flow(T: int, hidden: int, radius: float, forget_bias: float, input_scale: float, seed: int) -> nets.GradientFlow:
    return nets.gradient_flow(T, hidden, rnn_radius=radius, forget_bias=forget_bias, input_scale=input_scale,
                              seed=seed)


@st.cache_data(max_entries=16, show_spinner=False)
def compare(T: int, hidden: int, steps: int, lr: float, forget_bias: float, seed: int) -> nets.MemoryComparison:
    return nets.lstm_vs_rnn(T=T, hidden=hidden, steps=steps, lr=lr, forget_bias=forget_bias, seed=seed)


@st.cache_data(max_entries=64, show_spinner=False)
def example_sequence(T: int, seed: int):
    task = nets.memory_task(1, T, seed=seed)
    return task.xs[:, 0, :], float(task.y[0])



def panels(ratio: float = 2.6):
    """Controls in a panel beside the picture."""
    return st.columns([1, ratio], gap="medium")


def move_step(delta: int, T: int) -> None:
    state.set_value(STEP, int(min(max(state.get(STEP) + delta, 1), T)))


def preset(**values) -> None:
    for s, v in values.items():
        state.set_value({"rho": RADIUS, "bf": FORGET_BIAS, "inscale": INPUT_SCALE}[s], v)


GATE_EQUATIONS = (r"\begin{aligned} f_t &= \sigma(W_f\,[h_{t-1}, x_t] + b_f) & \qquad "
                  r"\tilde c_t &= \tanh(W_c\,[h_{t-1}, x_t] + b_c) \\ "
                  r"i_t &= \sigma(W_i\,[h_{t-1}, x_t] + b_i) & o_t &= \sigma(W_o\,[h_{t-1}, x_t] + b_o) \\ "
                  r"c_t &= f_t \odot c_{t-1} + i_t \odot \tilde c_t & h_t &= o_t \odot \tanh(c_t) \end{aligned}")

# -- page -------------------------------------------------------------------------------------------------------

th = layout.theme()
layout.header("LSTM", "A recurrent cell with gates that decide what to forget, what to write and what to show, "
                      "so that memory and gradients survive many time steps.")
view = widgets.segmented(VIEW, "View", tuple(VIEWS), format_func=VIEWS.get, label_visibility="collapsed")

if view == "cell":
    controls, picture = panels(2.4)
    with controls:
        with st.container(border=True):
            st.markdown("**The input sequence** $x_1 \\dots x_T$")
            seq = widgets.text_entry(SEQ, f"numbers from −5 to 5, up to {MAX_T}, separated by commas or spaces",
                                     help="Each number is fed to the cell at one time step, left to right.")
        with st.container(border=True):
            st.markdown("**The cell** (seeded random weights)")
            c = layout.slots(4, 1)
            hidden = widgets.slider_entry(HIDDEN, "hidden units H", 1, 4, 1, fmt="%d", integer=True, container=c[0])
            forget_bias = widgets.slider_entry(FORGET_BIAS, "forget-gate bias $b_f$", -4.0, 6.0, 0.1, fmt="%.1f",
                                               container=c[1], help="Large $b_f$ keeps $f_t$ near 1: the cell "
                                               "keeps its memory. Negative $b_f$ makes it forget at every step.")
            scale = widgets.slider_entry(WEIGHT_SCALE, "weight scale", 0.1, 6.0, 0.1, fmt="%.1f", container=c[2],
                                         help="The weights are drawn from N(0, scale²/(H + 1)).")
            seed = widgets.slider_entry(CELL_SEED, "seed", 0, 999, 1, fmt="%d", integer=True, container=c[3])
    params, cache, z = run_cell(seq, hidden, forget_bias, scale, seed)
    T = len(seq)
    t = min(state.get(STEP), T)
    with picture:
        equations = st.container()  # above the heatmap; on a projector below it, so the heatmap fits the screen
        st.markdown(f"**Every gate and state at every step** (the outlined column is step t = {t})")
        layout.plotly(vl.cell_heatmap(cache, th, current=t), key="cell-heatmap")
        (st.container() if th.present else equations).latex(GATE_EQUATIONS)
        st.caption("Gates (σ, between 0 and 1): white = closed, dark blue = open. Candidate, cell and hidden state "
                   "(signed): red negative, white 0, blue positive. The input row has its own scale. The notes "
                   r"write the input as $n_t$ and leave out the cell update $c_t = f_t c_{t-1} + i_t \tilde c_t$; it "
                   "is written out here, as in PyTorch. $[h_{t-1}, x_t]$ is the previous hidden state followed by "
                   "the input.")

    st.subheader("Step through time")
    nav = st.columns([1, 1, 5] if not th.present else [1, 1, 3], vertical_alignment="bottom")
    nav[0].button("◀ previous", on_click=move_step, args=(-1, T), disabled=t <= 1, key="step-prev", width="stretch")
    nav[1].button("next ▶", on_click=move_step, args=(1, T), disabled=t >= T, key="step-next", width="stretch")
    if T > 1:
        t = widgets.slider_entry(STEP, "time step t", 1, T, 1, fmt="%d", integer=True, container=nav[2])
    else:
        state.set_value(STEP, 1)
        t = 1
    unit = 1
    if hidden > 1:
        if state.get(UNIT) > hidden:  # fewer units than before
            state.set_value(UNIT, 1)
        unit = widgets.segmented(UNIT, "hidden unit", tuple(range(1, hidden + 1)),
                                 format_func=lambda k: f"unit {k}")
    came = "the initial state h₀ = c₀ = 0" if t == 1 else f"$h_{{{t - 1}}}$ and $c_{{{t - 1}}}$ from step {t - 1}"
    st.markdown(f"**Step t = {t}**" + (f", hidden unit {unit}" if hidden > 1 else "")
                + f": input $x_{{{t}}}$ = {seq[t - 1]:g}, {came}")
    st.latex(vl.step_latex(params, cache, z, t, unit))
    st.markdown("**This step, every unit** (z: a gate's input before σ or tanh)")
    layout.dataframe(vl.step_frame(cache, z, t), key="step-table")
    with st.expander("The cell's weights (they act on $[h_{t-1}, x_t]$: the previous hidden state, then the input)"):
        weights = vl.weights_frame(params)
        layout.dataframe(weights, key="weights-table")
        layout.csv_download(weights, f"lstm_weights_H{hidden}_seed{seed}.csv",
                            key="weights-csv", label="Download the weights as CSV")

    st.subheader("All the numbers")
    df = vl.cell_frame(cache)
    layout.dataframe(df, key="cell-table", height=min(420, 38 + 35 * len(df)))
    layout.csv_download(df, f"lstm_cell_H{hidden}_seed{seed}.csv", key="cell-csv")

elif view == "gradient":
    controls, picture = panels()
    with controls:
        with st.container(border=True):
            st.markdown("**Both networks** (initial weights, random input)")
            c = layout.slots(4, 1)
            T = widgets.slider_entry(GRAD_T, "sequence length T", 10, 200, 1, fmt="%d", integer=True, container=c[0])
            width = widgets.slider_entry(GRAD_WIDTH, "hidden units H", 2, 64, 1, fmt="%d", integer=True,
                                         container=c[1])
            input_scale = widgets.slider_entry(INPUT_SCALE, "input size", 0.0, 3.0, 0.05, fmt="%.2f",
                                               container=c[2], help="Standard deviation of the random inputs. "
                                               "Large inputs saturate tanh, whose slope 1 − h² then shrinks "
                                               "the gradient further.")
            seed = widgets.slider_entry(GRAD_SEED, "seed", 0, 999, 1, fmt="%d", integer=True, container=c[3])
        rnn_box, lstm_box = st.columns(2) if th.present else (st.container(), st.container())
        with rnn_box, st.container(border=True):
            st.markdown(r"**Vanilla RNN** $h_t = \tanh(W_h h_{t-1} + W_x x_t + b)$")
            radius = widgets.slider_entry(RADIUS, "spectral radius ρ of $W_h$", 0.5, 1.5, 0.01, fmt="%.2f",
                                          help="The largest |eigenvalue| of $W_h$. Below 1 the gradient shrinks "
                                               "step by step, above 1 it can grow.")
        with lstm_box, st.container(border=True):
            st.markdown("**LSTM** (its other weights: seeded, like the RNN's)")
            forget_bias = widgets.slider_entry(FORGET_BIAS, "forget-gate bias $b_f$", -4.0, 6.0, 0.1, fmt="%.1f",
                                               help="$\\sigma(b_f)$ is roughly the forget gate's value: the fraction "
                                                    "of "
                                                    "the cell state (and of its gradient) kept per step.")
        st.markdown("**Try**")
        b = st.columns(3) if th.present else [st.container() for _ in range(3)]
        b[0].button("vanishing", on_click=preset, kwargs=dict(rho=1.0, inscale=1.0, bf=2.0), key="preset-vanish",
                    width="stretch", help="ρ = 1 with random inputs: the RNN's gradient vanishes, the LSTM's not.")
        b[1].button("exploding", on_click=preset, kwargs=dict(rho=1.2, inscale=0.0, bf=2.0), key="preset-explode",
                    width="stretch",
                    help=r"ρ = 1.2 and no input: h stays 0, so $\partial h_T/\partial h_t = W_h^{T-t}$ "
                                          "grows like $1.2^{T-t}$.")
        b[2].button("LSTM forgets", on_click=preset, kwargs=dict(rho=1.0, inscale=1.0, bf=-2.0),
                    key="preset-forget", width="stretch",
                    help="$b_f = -2$: the forget gate is near σ(−2) = 0.12, so the cell state's gradient vanishes "
                         "too.")
    result = flow(T, width, radius, forget_bias, input_scale, seed)
    with picture:
        rnn_tex, lstm_tex = st.columns(2)
        rnn_tex.markdown("**RNN:** every step back multiplies by $W_h$ and tanh's slope")
        rnn_tex.latex(r"\frac{\partial h_T}{\partial h_t} = \prod_{k=t+1}^{T} \mathrm{diag}(1 - h_k^2)\, W_h")
        lstm_tex.markdown("**LSTM:** the cell state's own path only passes the forget gate")
        lstm_tex.latex(r"\frac{\partial c_k}{\partial c_{k-1}} = \mathrm{diag}(f_k) + \dots")
        layout.plotly(vl.gradient_figure(result, th), key="gradient-flow")
        ratios = vl.gradient_summary(result)
        st.caption(r"What is left of the gradient at t = 0, relative to t = T: "
                   r"$\lVert \partial h_T/\partial h_0 \rVert \div \lVert \partial h_T/\partial h_T \rVert$ "
                   "(for the cell state, ∂c instead of ∂h)")
        for col, (label, name) in zip(st.columns(3), (("RNN", "rnn"), ("LSTM, h", "lstm_h"), ("LSTM, c", "lstm_c"))):
            col.markdown(f"#### {label}: {vl.times_ten(ratios[name])}")
        explanation, verdict, note = vl.gradient_texts(result)
        st.markdown(explanation)
        st.markdown(verdict)
        st.caption(note)
    df = vl.gradient_frame(result)
    with st.expander("The numbers"):
        layout.dataframe(df, key="gradient-table", height=320)
        layout.csv_download(df, f"gradient_flow_T{T}_rho{radius:g}_bf{forget_bias:g}.csv",
                            key="gradient-csv")

else:
    st.markdown("**The task:** a sequence starts with a sign, +1 or −1 (flagged by a second input channel), followed "
                "by T − 1 steps of random noise in the same channel. After the last step the network must say "
                "which sign it saw at the start. It has to store one bit and keep it through all the noise.")
    c = layout.slots(6, 3)
    gap = widgets.slider_entry(GAP, "sequence length T", 5, 100, 1, fmt="%d", integer=True, container=c[0])
    units = widgets.slider_entry(UNITS, "hidden units", 2, 32, 1, fmt="%d", integer=True, container=c[3])
    most = nets.max_memory_steps(gap, units)  # the work budget: longer sequences and more units, fewer steps
    steps = widgets.slider_entry(TRAIN_STEPS, "Adam steps", 50, most, 10, fmt="%d", integer=True, container=c[1],
                                 help=f"At most {most} at T = {gap} with {units} units: a run's work, about steps × T "
                                      f"× (units + 4), is kept within {nets.MEMORY_BUDGET:,} (about 10 s).")
    lr = widgets.slider_entry(LR, "learning rate η", 0.001, 0.1, 0.001, fmt="%.3f", container=c[2])
    forget_bias = widgets.slider_entry(FORGET_BIAS, "LSTM $b_f$", -4.0, 6.0, 0.1, fmt="%.1f", container=c[4])
    seed = widgets.slider_entry(TASK_SEED, "seed", 0, 99, 1, fmt="%d", integer=True, container=c[5])
    ex_xs, ex_label = example_sequence(gap, seed)
    layout.plotly(vl.memory_example_figure(ex_xs, ex_label, th), key="memory-example")
    with st.spinner(f"Training an LSTM and a vanilla RNN for {steps} Adam steps each on sequences of length "
                    f"{gap}…", show_time=True):
        comp = compare(gap, units, steps, lr, forget_bias, seed)
    layout.plotly(vl.memory_figure(comp, th), key="memory-curves")
    left, right = st.columns([1, 1])
    with left:
        st.subheader("What happened")
        st.markdown("\n".join(f"- {line}" for line in vl.memory_findings(comp)))
        st.markdown("Same data, same optimizer (Adam, as on the playground, gradients clipped to norm 1), same "
                    "number of "
                    "weight updates; only the cell differs. The RNN's gradient from the answer back to step 1 "
                    "has vanished (see *Gradients through time*), so nothing tells it to store the sign.")
        st.caption("Training is not guaranteed: for some seeds the LSTM also stays at chance (with the defaults, "
                   "seed 6), and with short sequences (T = 5) the RNN learns the task too. Try it.")
    with right:
        df = vl.memory_frame(comp)
        layout.dataframe(df, key="memory-table", height=300)
        layout.csv_download(df, f"memory_task_T{gap}_seed{seed}.csv", key="memory-csv")
