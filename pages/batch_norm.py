"""The Batch Normalization page: one batch through the four steps, training versus inference, and an honest test
of the claim that BN allows higher learning rates."""

from __future__ import annotations

import streamlit as st

import nets
from ui import layout, state, widgets
from viz import batchnorm as vbn

SCOPE = "bn"
VIEWS = {"steps": "Step by step", "inference": "Training vs inference", "lr": "Higher learning rates?"}
EPS_OPTIONS = {"0": "0", "1e-08": "10⁻⁸", "1e-05": "10⁻⁵ (PyTorch default)", "0.001": "10⁻³ (Keras default)",
               "0.01": "0.01", "0.1": "0.1", "1": "1"}
FORMS = {"sqrt": "√(σ² + ε) (PyTorch, Keras)", "notes": "σ + ε (the course notes)"}
DATASETS = {"moons": "two moons", "spirals": "spirals"}

VIEW = state.choice("view", "steps", tuple(VIEWS), scope=SCOPE)
M = state.integer("m", 32, 2, 512, scope=SCOPE)
SHIFT = state.number("shift", 3.0, -10.0, 10.0, scope=SCOPE)
SCALE = state.number("scale", 2.0, 0.1, 10.0, scope=SCOPE)
SKEW = state.number("skew", 4.0, -10.0, 10.0, scope=SCOPE)
SEED = state.integer("seed", 0, 0, 9999, scope=SCOPE)
GAMMA = state.number("gamma", 1.0, -3.0, 3.0, scope=SCOPE)
BETA = state.number("beta", 0.0, -5.0, 5.0, scope=SCOPE)
EPS = state.choice("eps", "1e-05", tuple(EPS_OPTIONS), scope=SCOPE)
FORM = state.choice("form", "sqrt", tuple(FORMS), scope=SCOPE)
MOMENTUM = state.number("momentum", 0.1, 0.01, 1.0, scope=SCOPE)
BATCHES = state.integer("batches", 100, 10, 500, scope=SCOPE)
UNBIASED = state.flag("unbiased", True, scope=SCOPE)
LRS = state.numbers("lrs", (0.01, 0.1, 1.0, 3.0, 10.0), 1e-4, 100.0, max_count=6, scope=SCOPE)
DATASET = state.choice("data", "moons", tuple(DATASETS), scope=SCOPE)
STEPS = state.integer("steps", 600, 50, 2000, scope=SCOPE)
LR_SEED = state.integer("lrseed", 0, 0, 99, scope=SCOPE)


@st.cache_data(max_entries=256, show_spinner=False)
def normalize(m: int, shift: float, scale: float, skew: float, seed: int, gamma: float, beta: float, eps: float,
              eps_in_sqrt: bool) -> nets.BatchNormCache:
    """A seeded batch of activations and its training-mode forward pass, every intermediate kept."""
    x = nets.make_activations(m, 1, shift=shift, scale=scale, skew=skew, seed=seed)
    return nets.batchnorm_forward(x, gamma, beta, eps=eps, eps_in_sqrt=eps_in_sqrt)[1]


@st.cache_data(max_entries=64, show_spinner=False)
def running(batches: int, m: int, shift: float, scale: float, skew: float, momentum: float, unbiased: bool,
            eps: float, seed: int) -> nets.RunningTrace:
    return nets.running_average_demo(batches, m, shift=shift, scale=scale, skew=skew, momentum=momentum,
                                     unbiased=unbiased, eps=eps, seed=seed)


@st.cache_data(max_entries=16, show_spinner=False)
def experiment(lrs: tuple[float, ...], dataset: str, steps: int, seed: int) -> nets.LRExperiment:
    return nets.bn_learning_rate_experiment(lrs, dataset=dataset, steps=steps, seed=seed)



def panels():
    """Controls in a panel beside the picture."""
    return st.columns([1, 2.6], gap="medium")


def batch_controls() -> tuple[int, float, float, float, int]:
    """The batch that arrives from the previous layer: size, shift, scale, skew, seed."""
    with st.container(border=True):
        st.markdown("**The batch** (one neuron's activations)")
        c = layout.slots(5, 1)
        m = widgets.slider_entry(M, "batch size m", 2, 512, 1, fmt="%d", integer=True, container=c[0],
                                 help="m is the number of examples in the mini-batch. Each neuron is normalized "
                                      "over these m examples, separately from the other neurons.")
        shift = widgets.slider_entry(SHIFT, "shift (population mean)", -10.0, 10.0, 0.1, fmt="%.2f", container=c[1])
        scale = widgets.slider_entry(SCALE, "scale (population sd)", 0.1, 10.0, 0.1, fmt="%.2f", container=c[2])
        skew = widgets.slider_entry(SKEW, "skew", -10.0, 10.0, 0.1, fmt="%.2f", container=c[3],
                                    help="0 is a normal distribution; positive values give a long right tail, "
                                         "as after a ReLU-like layer.")
        seed = widgets.slider_entry(SEED, "seed", 0, 9999, 1, fmt="%d", integer=True, container=c[4],
                                    help="Draws a different batch from the same distribution.")
    return m, shift, scale, skew, seed


# -- page -------------------------------------------------------------------------------------------------------

th = layout.theme()
layout.header("Batch Normalization", "Each neuron's activations are re-centred and re-scaled over the mini-batch, "
                                     "then given a learnable mean β and spread γ.")
view = widgets.segmented(VIEW, "View", tuple(VIEWS), format_func=VIEWS.get, label_visibility="collapsed")

if view == "steps":
    controls, picture = panels()
    with controls:
        m, shift, scale, skew, seed = batch_controls()
        with st.container(border=True):
            st.markdown("**The BN layer**")
            c = layout.slots(4, 1)
            gamma = widgets.slider_entry(GAMMA, "scale γ", -3.0, 3.0, 0.05, fmt="%.2f", container=c[0],
                                         help="Learnable. Sets the output's spread.")
            beta = widgets.slider_entry(BETA, "shift β", -5.0, 5.0, 0.05, fmt="%.2f", container=c[1],
                                        help="Learnable. Sets the output's mean.")
            eps_key = widgets.selectbox(EPS, "ε (keeps the division away from 0)", tuple(EPS_OPTIONS),
                                        format_func=EPS_OPTIONS.get, container=c[2])
            form = widgets.selectbox(FORM, "where ε goes", tuple(FORMS), format_func=FORMS.get, container=c[3])
    cache = normalize(m, shift, scale, skew, seed, gamma, beta, float(eps_key), form == "sqrt")

    titles = ("1 · the batch mean", "2 · the spread", "3 · normalize", "4 · scale and shift")
    formulas = vbn.step_formulas(cache)
    figs = vbn.step_histograms(cache, th)
    with picture:
        for row in ((0, 1), (2, 3)):
            for col, k in zip(st.columns(2), row):
                with col:
                    st.markdown(f"**{titles[k]}:** {vbn.STAGES[k][2]}")
                    st.latex(formulas[k])
                    layout.plotly(figs[k], key=f"hist-{k}")
        st.caption("Each panel is a histogram of the same m examples at one stage, on one shared axis: the black "
                   "line is the mean, the grey band ±1 standard deviation, the ticks along the bottom are the "
                   "examples and the orange ◆ is example 1, followed through all four steps. Normalizing moves "
                   "and squeezes the batch but keeps its shape: a skewed batch stays skewed.")

    table_col, summary_col = (st.container(), st.container()) if th.present else st.columns([1, 1])
    with table_col:
        st.subheader("The numbers")
        df = vbn.steps_frame(cache)
        layout.dataframe(df, key="steps-table", height=min(420, 38 + 35 * len(df)))
        layout.csv_download(df, f"batchnorm_m{m}_seed{seed}.csv", key="steps-csv")
    with summary_col:
        st.subheader("Check: statistics of each column")
        layout.dataframe(vbn.summary_frame(cache), key="summary-table")
        st.markdown(
            "After step 3 every column has mean 0 and variance 1, whatever the batch looked like (exactly: "
            "σ²/(σ² + ε), a hair below 1 because of ε). Step 4 then gives the next layer the mean β and the "
            "spread |γ| that training finds useful; γ = σ and β = μ would even undo the normalization.")
        st.caption("Two notes on the course notes: their m is the number of *examples in the batch* (each neuron "
                   "is normalized over the batch, not over the neurons of a layer); and they divide by σ + ε, "
                   "while the BN paper, PyTorch and Keras divide by √(σ² + ε). Switch “where ε goes” to compare: "
                   "the two differ visibly only when σ is as small as √ε.")

elif view == "inference":
    controls, picture = panels()
    with controls:
        m, shift, scale, skew, seed = batch_controls()
        with st.container(border=True):
            st.markdown("**The running averages**")
            c = layout.slots(3, 1)
            momentum = widgets.slider_entry(MOMENTUM, "momentum α", 0.01, 1.0, 0.01, fmt="%.2f", container=c[0],
                                            help="The weight of the new batch. PyTorch's momentum = 0.1 is this "
                                                 "α; Keras's momentum = 0.99 is 1 − α, the weight of the old "
                                                 "average.")
            batches = widgets.slider_entry(BATCHES, "training batches", 10, 500, 1, fmt="%d", integer=True,
                                           container=c[1])
            unbiased = widgets.toggle(UNBIASED, "average m/(m − 1)·σ² (PyTorch)", container=c[2],
                                      help="On: the unbiased batch variance goes into σ̂², as in PyTorch. "
                                           "Off: the biased σ², as in Keras.")
    trace = running(batches, m, shift, scale, skew, momentum, unbiased, 1e-5, seed)
    with picture:
        train_tex, infer_tex = st.columns(2)
        train_tex.markdown("**Training:** normalize with the batch's own statistics, update the averages")
        train_tex.latex(r"\begin{gathered} y = \gamma\,\frac{h - \mu_B}{\sqrt{\sigma_B^2 + \epsilon}} + \beta \\ "
                        r"\hat\mu \leftarrow (1 - \alpha)\,\hat\mu + \alpha\,\mu_B \\ "
                        r"\hat\sigma^2 \leftarrow (1 - \alpha)\,\hat\sigma^2 + \alpha\,"
                        + (r"\tfrac{m}{m-1}\sigma_B^2" if unbiased else r"\sigma_B^2") + r"\end{gathered}")
        infer_tex.markdown("**Inference:** the running averages replace the batch statistics")
        infer_tex.latex(r"y = \gamma\,\frac{h - \hat\mu}{\sqrt{\hat\sigma^2 + \epsilon}} + \beta")
        infer_tex.markdown(
            "- **Training:** an example's output depends on the other examples of its batch: the orange dots "
            "jitter although the example never changes.\n"
            "- Meanwhile μ̂ and σ̂² (blue) settle near the population's values (green).\n"
            "- **Inference:** each example is mapped on its own by a fixed affine map: the same answer every "
            "time, even for a batch of one. Forgetting to switch (PyTorch `model.eval()`) is a classic bug.")
        layout.plotly(vbn.running_figure(trace, th), key="running")
        st.caption("Try m = 4: training-mode outputs jump around. Try α = 1: the running average is just the last "
                   "batch. Try α = 0.01: it needs hundreds of batches to forget where it started (μ̂ = 0, σ̂² = 1).")
    df = vbn.running_frame(trace)
    st.subheader("Batch by batch")
    layout.dataframe(df, key="running-table", height=320)
    layout.csv_download(df, f"batchnorm_running_m{m}_alpha{momentum:g}.csv",
                        key="running-csv")

else:
    st.markdown("The notes claim that batch normalization *allows higher learning rates*. Here is a fair test: "
                "the same network, from the same initial weights, on the same sequence of mini-batches, trained "
                "by plain SGD with and without a BN layer before every hidden ReLU. Only η differs.")
    c1, c2, c3, c4 = layout.slots(4, 2) if th.present else st.columns([3, 2, 3, 2])
    lrs = widgets.text_entry(LRS, "learning rates η (comma-separated, up to 6)", container=c1)
    dataset = widgets.selectbox(DATASET, "dataset", tuple(DATASETS), format_func=DATASETS.get, container=c2)
    steps = widgets.slider_entry(STEPS, "SGD steps", 50, 2000, 50, fmt="%d", integer=True, container=c3)
    seed = widgets.slider_entry(LR_SEED, "seed", 0, 99, 1, fmt="%d", integer=True, container=c4)
    with st.spinner(f"Training {2 * len(lrs)} networks for {steps} steps each…", show_time=True):
        exp = experiment(tuple(sorted(lrs)), DATASETS[dataset], steps, seed)
    st.latex(r"\begin{gathered} a_\ell = h_{\ell-1}W_\ell + b_\ell,\qquad h_\ell = \mathrm{relu}(a_\ell)\ "
             r"\text{(plain)}\ \text{ or }\ h_\ell = \mathrm{relu}(\mathrm{BN}_{\gamma_\ell,\beta_\ell}(a_\ell))\ "
             r"\text{(with BN)} \\ \theta_{t+1} = \theta_t - \eta\,\nabla_\theta L_{B_t}(\theta_t)"
             r"\qquad L = \text{mean binary cross-entropy over the mini-batch } B_t \end{gathered}")
    layout.plotly(vbn.experiment_figure(exp, th), key="lr-curves")
    st.caption("Thin lines: the loss of each mini-batch, what SGD sees. Thick lines with dots: the loss on the whole "
               "dataset every 20 steps (BN with its running averages, as at inference). The dotted line is "
               "ln 2 ≈ 0.693, the loss of guessing 50/50. Peaks above the top of the axis are marked ▲, overflows ✕.")
    findings, data_col = st.columns([3, 1.4] if th.present else [3, 1])
    with findings:
        st.subheader("What happened")
        st.markdown("\n".join(f"- {line}" for line in vbn.experiment_findings(exp)))
        df = vbn.experiment_frame(exp)
        layout.dataframe(df, key="lr-table")
        layout.csv_download(df, f"bn_learning_rates_{dataset}_seed{seed}.csv",
                            key="lr-csv")
        st.caption(f"Outcome: trained = final accuracy ≥ 90%, slow = 60–90%, stuck = below 60% (chance is 50%), "
                   f"overflowed = the loss or a weight became infinite (no final loss then). Final loss: mean mini-batch loss over the "
                   f"last 10% of steps. Network {' → '.join(map(str, exp.sizes))}, batch size {exp.batch_size}, "
                   "He initialisation, no momentum, no weight decay, no clipping, no schedule.")
    with data_col:
        st.markdown(f"**The data:** {exp.data.name}, {len(exp.data.y)} points")
        layout.plotly(vbn.dataset_figure(exp, th), key="lr-data")
        st.caption("Other seeds tell a similar story, with details that vary: try a few.")
