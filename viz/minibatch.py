"""Figures and tables of the batch / mini-batch / online page: the epoch counts, the race of batch sizes on the
(w, b) contour, the loss against updates and against samples read. Numbers from ``optim.minibatch``."""

from __future__ import annotations

import numpy as np
import pandas as pd

from optim import minibatch as M

from .contour import contour_trace
from .style import SERIES_COLORS, Theme, figure

FLOOR_EXPONENT = -9  # the loss plots stop at 1e-9: below it the full batch is only rounding
LEGEND = {"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0}


def color(i: int) -> str:
    return SERIES_COLORS[i % len(SERIES_COLORS)]


def label(batch_size: int, n: int) -> str:
    return f"B = {batch_size:,}" + (" (batch)" if batch_size == n else " (online)" if batch_size == 1 else "")


def run_label(r: M.Race, n: int) -> str:
    """The legend entry of a run: its batch size, and where it diverged if it did."""
    return label(r.batch_size, n) + (f": diverged at update {r.diverged_at}" if r.diverged else "")


def counts_frame(n: int, batch_sizes, iterations: int) -> pd.DataFrame:
    c = M.epoch_counts(n, batch_sizes)
    reads = np.array([M.reads_after(n, int(b), iterations) for b in c.batch_size])
    return pd.DataFrame({"batch size B": c.batch_size, "updates per epoch": c.per_epoch,
                         "last batch": c.last_batch, "reads per update": c.reads_per_update,
                         "reads per epoch": c.reads_per_epoch, f"reads in {iterations} updates": reads,
                         f"epochs in {iterations} updates": reads / n})


def contour_figure(surface, races: list[M.Race], th: Theme):
    (w0, w1), (b0, b1) = surface.bounds
    data = [contour_trace(surface, th)]
    n = surface.n_samples
    for i, r in enumerate(races):
        data.append({"type": "scatter", "mode": "lines", "x": r.column("w"), "y": r.column("b"),
                     "name": run_label(r, n), "line": {"color": color(i), "width": th.line / 1.5}})
    best = surface.minima[0].point
    data.append({"type": "scatter", "mode": "markers", "x": [best[0]], "y": [best[1]], "name": "minimum",
                 "marker": {"symbol": "star", "size": th.marker + 6, "color": "#000000"}})
    layout = {"xaxis": {"title": {"text": "w"}, "range": [w0, w1]},
              "yaxis": {"title": {"text": "b"}, "range": [b0, b1]}, "legend": LEGEND}
    return figure(data, layout, th, height=int(th.height * 1.1))


def loss_figure(races: list[M.Race], n: int, minimum: float, x_column: str, th: Theme):
    data = [{"type": "scatter", "mode": "lines", "x": r.column(x_column), "y": r.column("loss") - minimum,
             "name": run_label(r, n), "line": {"color": color(i), "width": th.line / 1.5}}
            for i, r in enumerate(races)]
    top = max(float(np.nanmax(r.column("loss") - minimum)) for r in races)
    layout = {"xaxis": {"title": {"text": x_column}, "type": "log" if x_column == "samples read" else "linear"},
              "yaxis": {"title": {"text": "L − L* (full data)"}, "type": "log", "exponentformat": "power",
                        "range": [FLOOR_EXPONENT, np.log10(max(top, 1e-300)) + 0.3]},
              "legend": LEGEND}
    return figure(data, layout, th, height=int(th.height * 0.9))


def race_frame(races: list[M.Race]) -> pd.DataFrame:
    """Every update of every run, one row each, with its batch size."""
    parts = []
    for r in races:
        df = pd.DataFrame(r.table, columns=list(M.COLUMNS))
        df.insert(0, "B", r.batch_size)
        parts.append(df)
    df = pd.concat(parts, ignore_index=True)
    for c in ("B", "update", "epoch", "iteration in epoch", "batch size", "samples read"):
        df[c] = df[c].astype(int)
    return df


def summary_frame(races, decayed, n: int, minimum: float, target: float, tail: float) -> pd.DataFrame:
    """One row per batch size; a run that diverged has no floor (an empty cell) and says where it diverged."""
    rows = []
    for r, d in zip(races, decayed):
        loss = r.column("loss")
        k = None if r.diverged else M.first_below(loss, target)
        rows.append({"B": r.batch_size, "updates to target": np.nan if k is None else k,
                     "samples read to target": np.nan if k is None else r.column("samples read")[k],
                     "epochs to target": np.nan if k is None else r.column("samples read")[k] / n,
                     "floor, constant η": np.nan if r.diverged else M.noise_floor(loss, minimum, tail),
                     "floor, decaying η": np.nan if d.diverged else M.noise_floor(d.column("loss"), minimum, tail),
                     "diverged at update (constant η)": r.diverged_at if r.diverged else np.nan,
                     "diverged at update (decaying η)": d.diverged_at if d.diverged else np.nan})
    df = pd.DataFrame(rows)
    for c in ("updates to target", "samples read to target", "diverged at update (constant η)",
              "diverged at update (decaying η)"):
        df[c] = df[c].astype("Int64")
    return df
