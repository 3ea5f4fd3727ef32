"""The fair race's good bands: one strip per optimizer over the grid of learning rates it was tuned on
(``optim.tuning``), the band within the stated factor of the best filled in its colour."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

import optim
from optim.tuning import CRITERIA, Tuning

from .style import LOOKS, STATUS_COLORS, Theme, figure

OUTSIDE = "#D9D9D9"


def score_text(t: Tuning, score: float) -> str:
    """A cell's criterion as a student reads it (never inf: a failed cell says so)."""
    if not math.isfinite(score):
        return "diverged"
    if t.criterion == "steps":
        plural = "s" if t.spec.steps > 1 else ""
        return f"{int(score)} steps" if score <= t.spec.steps else f"not within tol in {t.spec.steps} step{plural}"
    return f"{score:.3g}"


def band_text(t: Tuning) -> str:
    if t.band is None:
        return "none (every rate diverged)"
    return f"η from {t.band[0]:.3g} to {t.band[1]:.3g}: {t.band_decades:.2g} decades"


def tuning_frame(tunings: dict[str, Tuning]) -> pd.DataFrame:
    """One row per optimizer: the tuned values, the criterion at them, the good band and its width."""
    rows = []
    for name, t in tunings.items():
        spec = optim.spec(name)
        values = ", ".join(f"{spec.hyperparameter(k).text} = {v:g}" for k, v in t.best_hyper.items())
        rows.append({"optimizer": spec.title, "tuned": values, CRITERIA[t.criterion]: score_text(t, t.best_score),
                     "good band": band_text(t), "band width (decades)": round(t.band_decades, 2),
                     "diverged cells": f"{int(t.failed.sum())} of {t.failed.size}"})
    return pd.DataFrame(rows)


def band_figure(tunings: dict[str, Tuning], th: Theme):
    """For each optimizer a row of squares, one per learning rate of its grid (with its tuned β held): filled in
    its colour inside the good band, grey outside, a red cross where the run diverged; a ring at the tuned rate."""
    data = []
    names = list(tunings)
    for name in names:
        t = tunings[name]
        look, title = LOOKS[name], optim.spec(name).title
        j = t.best[1]
        lrs = t.lrs
        scores = t.score[:, j]
        failed = t.failed[:, j]
        hover = [f"η = {lr:.3g}: {score_text(t, s)}" for lr, s in zip(lrs, scores)]
        colors = np.where(t.in_band, look.color, OUTSIDE)
        ok = ~failed
        data.append(dict(type="scatter", mode="markers", x=lrs[ok], y=[title] * int(ok.sum()), name=title,
                         marker=dict(symbol="square", size=th.marker + 3, color=colors[ok].tolist(),
                                     line=dict(width=0)),
                         text=[h for h, k in zip(hover, ok) if k], hovertemplate="%{text}<extra></extra>",
                         showlegend=False))
        if failed.any():
            data.append(dict(type="scatter", mode="markers", x=lrs[failed], y=[title] * int(failed.sum()),
                             marker=dict(symbol="x-thin", size=th.marker + 2,
                                         line=dict(width=2, color=STATUS_COLORS["diverged"])),
                             text=[h for h, k in zip(hover, failed) if k], hovertemplate="%{text}<extra></extra>",
                             showlegend=False, name=f"{title}: diverged"))
        data.append(dict(type="scatter", mode="markers", x=[float(lrs[t.best[0]])], y=[title], showlegend=False,
                         marker=dict(symbol="circle-open", size=th.marker + 12, line=dict(width=3, color=th.ink)),
                         hovertemplate=f"tuned: η = {t.best_hyper['lr']:g}<extra></extra>", name=f"{title} tuned"))
    first = next(iter(tunings.values()))
    factor = first.factor
    within = (f"at most {factor:g} times the best number of steps" if first.criterion == "steps"
              else f"a gap f − f* within a factor {factor:g} of the best")
    layout = dict(title=dict(text=f"Good band: learning rates whose criterion is {within}", x=0.01),
                  xaxis=dict(type="log", title=dict(text="learning rate η (log scale)")),
                  yaxis=dict(type="category", autorange="reversed", showgrid=False, ticks=""))
    return figure(data, layout, th, height=th.margin_top + 70 + round(2.4 * th.font) * len(names),
                  legend=False)
