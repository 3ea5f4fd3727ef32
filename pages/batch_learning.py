"""The batch / mini-batch / online page: epochs, updates and samples read with the current numbers, and a race of
batch sizes with real mini-batches on the linear-regression data."""

from __future__ import annotations

import streamlit as st

from optim import analysis
from optim import minibatch as M
from surfaces.regression import linear_regression
from ui import layout, state, widgets
from viz import minibatch as vm

SCOPE = "batch"
TARGET_SHARE = 0.01  # "reached": the excess loss fell to 1% of the start's
TAIL = 0.25  # the noise floor: mean excess loss over the last quarter of a run
MAX_N = 100_000


def batch_entry(text: str) -> int:
    try:
        v = float(text)
    except ValueError:
        raise ValueError("not a whole number") from None
    if v != int(v) or not 0 <= v <= 10 * MAX_N:
        raise ValueError("not a whole number of samples")
    return int(v)


N = state.integer("n", 10_000, 0, MAX_N, scope=SCOPE)
SIZES = state.sequence("sizes", (1, 32, 100, 1000), batch_entry, min_count=1, max_count=6,
                       what="batch sizes", scope=SCOPE)
LR = state.number("lr", 0.1, 1e-4, 1.0, scope=SCOPE)
UPDATES = state.integer("updates", 300, 10, 2000, scope=SCOPE)
ITERATIONS = state.integer("iters", 21, 1, 10_000, scope=SCOPE)
REPLACE = state.flag("replace", False, scope=SCOPE)
TAU = state.number("tau", 30.0, 1.0, 10_000.0, scope=SCOPE)
SEED = state.integer("seed", 0, 0, 9999, scope=SCOPE)


@st.cache_resource(max_entries=8, show_spinner=False)
def data(n: int):
    return linear_regression(M.check_samples(n))


@st.cache_data(max_entries=16, show_spinner=False)
def races(n: int, sizes: tuple[int, ...], lr: float, updates: int, replace: bool, tau: float, seed: int):
    s = data(n)
    M.epoch_counts(n, sizes)  # refuses B = 0 and B > n before any run
    start = s.starts[0]
    const = [M.race(s, b, lr, updates, start, seed=seed, replace=replace) for b in sizes]
    decayed = [M.race(s, b, lr, updates, start, seed=seed, replace=replace, decay=tau) for b in sizes]
    return const, decayed


def all_sizes(sizes: tuple[int, ...], n: int) -> tuple[int, ...]:
    return tuple(sorted(set(sizes) | {n}))


def verdict(ratio: float) -> str:
    """The measured ratio of updates (quickest mini-batch / batch) in words."""
    if ratio < 0.8:
        return "So here mini-batch did need clearly fewer updates; "
    if ratio <= 1.2:
        return ("So mini-batch needed about **as many** updates as batch (within 20%), not clearly fewer as the "
                "notes suggest; ")
    return "So mini-batch needed **more** updates than batch, against the notes' claim; "


th = layout.theme()
layout.header("Batch, mini-batch and online",
              "How many samples one update reads, how many updates an epoch takes, and what the batch size does to "
              "the path and to the loss, on real mini-batches of a regression dataset.")

c = layout.slots(4, 4)
n = widgets.number(N, "samples n", 0, MAX_N, step=1000, fmt="%d", integer=True, container=c[0])
sizes = widgets.text_entry(SIZES, "batch sizes B (besides n)", container=c[1])
iterations = widgets.number(ITERATIONS, "updates to count", 1, 10_000, step=1, fmt="%d", integer=True,
                            container=c[2])
replace = widgets.toggle(REPLACE, "draw with replacement", container=c[3],
                         help="Off: every epoch reshuffles the samples and cuts the order into batches (the notes). "
                              "On: every batch draws B samples at random, repeats allowed.")

counted = layout.last_good("batch-counts", lambda: (n, all_sizes(sizes, n),
                                                    vm.counts_frame(n, all_sizes(sizes, n), iterations)))
n, shown_sizes, counts = counted if counted else (N.default, all_sizes(SIZES.default, N.default),
                                                  vm.counts_frame(N.default, all_sizes(SIZES.default, N.default),
                                                                  iterations))

st.subheader("Epochs, updates and reads")
left, right = st.columns([1.5, 1], gap="medium")
with left:
    layout.dataframe(counts, key="counts")
    layout.csv_download(counts, f"epoch_counts_n{n}.csv", key="counts-csv")
with right:
    st.latex(r"\begin{gathered}\text{updates per epoch} = \left\lceil \frac{n}{B} \right\rceil \\ "
             r"\text{last batch} = n - \left(\left\lceil \frac{n}{B} \right\rceil - 1\right) B \\ "
             r"\text{reads per update} = B,\qquad \text{reads per epoch} = n\end{gathered}")
    row = counts.iloc[-1]
    st.markdown(f"Batch gradient descent on {n:,} samples for {iterations} iterations is "
                f"**{row.iloc[-1]:g} epochs** and **{int(row.iloc[-2]):,} reads** of a sample: every update reads "
                "all of them.")
    others = [r for _, r in counts.iterrows() if r["batch size B"] < n]
    for r in others:
        short = (f"; the last batch of each epoch has {int(r['last batch']):,}" if r["last batch"] != r["batch size B"]
                 else "")
        st.markdown(f"- B = {int(r['batch size B']):,}: {int(r['updates per epoch']):,} updates per epoch{short}; "
                    f"{iterations} updates read {int(r.iloc[-2]):,} samples ({r.iloc[-1]:.4g} epochs).")

st.subheader("The race: same learning rate, different batch sizes")
c = layout.slots(4, 4)
lr = widgets.number(LR, "learning rate η", 1e-4, 1.0, step=0.01, fmt="%.4g", container=c[0])
updates = widgets.number(UPDATES, "updates per run", 10, 2000, step=10, fmt="%d", integer=True, container=c[1])
tau = widgets.number(TAU, "decay time τ (updates)", 1.0, 10_000.0, step=5.0, fmt="%g", container=c[2])
seed = widgets.number(SEED, "seed", 0, 9999, step=1, fmt="%d", integer=True, container=c[3])

surface = data(n)
const, decayed = races(n, shown_sizes, lr, updates, replace, tau, seed)
best = surface.minima[0].value
start_excess = float(const[0].column("loss")[0] - best)
target = best + TARGET_SHARE * start_excess

layout.plotly(vm.contour_figure(surface, const, th), key="contour")
left, right = st.columns(2)
with left:
    layout.plotly(vm.loss_figure(const, n, best, "update", th), key="loss-updates")
with right:
    layout.plotly(vm.loss_figure(const, n, best, "samples read", th), key="loss-reads")

summary = vm.summary_frame(const, decayed, n, best, target, TAIL)
full = summary[summary["B"] == n].iloc[0]
minis = summary[summary["B"] < n]
reached = minis.dropna(subset=["updates to target"])
gone = [r for r in const if r.diverged]
if gone:
    limit = 2.0 / float(analysis.curvatures(surface).max())  # the full-data loss is a quadratic bowl
    finding = (f"At η = {lr:g} the runs with " + ", ".join(f"B = {r.batch_size:,}" for r in gone)
               + f" diverged (w or b beyond ±{M.DEFAULT_BOUND:g}). Gradient descent on the full data is stable "
               f"only below η = 2/λₘₐₓ = {limit:.3g} (λₘₐₓ: the largest eigenvalue of the loss's Hessian), and the "
               "noise of small batches can push a run out sooner: lower η.")
elif reached.empty or full.isna()["updates to target"]:
    finding = (f"Within {updates} updates not every run brought L − L* below 1% of its start "
               f"({TARGET_SHARE * start_excess:.4g}); raise the updates or η.")
else:
    fewest = reached.loc[reached["updates to target"].idxmin()]
    finding = (f"Measured here: batch gradient descent first brings L − L* below 1% of its start after "
               f"{int(full['updates to target'])} updates ({int(full['samples read to target']):,} samples read); "
               f"the quickest mini-batch, B = {int(fewest['B']):,}, after {int(fewest['updates to target'])} updates "
               f"({int(fewest['samples read to target']):,} samples read). "
               + verdict(fewest["updates to target"] / full["updates to target"])
               + f"its gain is in samples read: {full['samples read to target'] / fewest['samples read to target']:.3g}"
                 " times fewer.")
st.markdown(finding)

st.subheader("The noise floor")
st.markdown(f"With η constant, a mini-batch gradient is never exactly 0 at the minimum, so the run jitters around "
            f"it: the mean of L − L* over the last quarter of the run measures that floor. A decaying rate "
            f"η/(1 + t/τ), τ = {tau:g}, shrinks the jitter as it goes.")
layout.plotly(vm.loss_figure(decayed, n, best, "update", th), key="floor-decaying")
st.caption(f"The same batches with η/(1 + t/τ), τ = {tau:g}; compare the loss against updates above (η constant): "
           "the small batches settle lower, the large ones slow down.")
layout.dataframe(summary, key="summary")
layout.csv_download(summary, f"batch_summary_n{n}_lr{lr:g}.csv", key="summary-csv")

st.subheader("The per-sample rule of the notes and the rule here")
st.latex(r"\text{notes: } \theta_j \leftarrow \theta_j - \alpha\,(\hat y^{(i)} - y^{(i)})\,x_j^{(i)}"
         r"\qquad\text{here: } \theta \leftarrow \theta - \eta\,\frac{2}{B}\sum_{i\in\mathcal B}"
         r"(\hat y^{(i)} - y^{(i)})\,x^{(i)},\quad L = \frac{1}{n}\sum_i (\hat y^{(i)} - y^{(i)})^2")
st.markdown("The notes' rule is the gradient of ½(ŷ − y)² for one sample. The app's loss is the mean squared error "
            "without the ½, whose gradient carries a 2: with B = 1 the two rules are the same step when α = 2η. "
            "A loss summed over the n samples instead of averaged has a gradient n times larger, so the same path "
            "needs a learning rate n times smaller.")

st.subheader("Every update of every run")
table = vm.race_frame(const)
layout.dataframe(table, key="race-table", height=360)
layout.csv_download(table, f"batch_race_n{n}_lr{lr:g}.csv", key="race-csv")
