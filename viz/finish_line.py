"""The finish-line strip under the race: one bar per optimizer, in the order of the ranking, from the start to the
step at which it first came within the tolerance (``viz.run_tables.finish_frame``)."""

from __future__ import annotations

import pandas as pd

from .style import LOOKS, STATUS_COLORS, Theme, figure

NOT_REACHED = "#BBBBBB"


def finish_figure(fin: pd.DataFrame, steps: int, tol: float, measure: str, th: Theme):
    """Bars from step 0 to each run's finish step (a grey bar to its last step where it never finished, a red
    cross where it diverged or left the domain), best rank on top; the finish line is the bars' right ends."""
    fin = fin.sort_values("rank")
    titles = [f"{int(r)}. {t}" for r, t in zip(fin["rank"], fin["title"])]
    data = []
    for label, (_, row) in zip(titles, fin.iterrows()):
        reached = row["first"] >= 0
        end = int(row["first"]) if reached else int(row["stopped"])
        color = LOOKS[row["optimizer"]].color if reached else NOT_REACHED
        if reached:
            text = f"step {end}"
        elif row["failed"]:
            text = f"stopped at step {end}: not within tol"
        else:
            text = f"not within tol after {end} steps"
        data.append(dict(type="bar", orientation="h", x=[max(end, 0.4)], y=[label], base=[0], name=row["title"],
                         marker=dict(color=color, line=dict(color=LOOKS[row["optimizer"]].color, width=2)),
                         text=[text], textposition="auto", insidetextanchor="end", showlegend=False,
                         hovertemplate=f"{row['title']}: {text}<extra></extra>"))
        if row["failed"]:
            data.append(dict(type="scatter", mode="markers", x=[end], y=[label], showlegend=False,
                             marker=dict(symbol="x", size=th.marker + 4, color=STATUS_COLORS["diverged"]),
                             hoverinfo="skip"))
    unit = "f − f*" if measure == "loss" else "distance to the nearest minimum"
    layout = dict(barmode="overlay", bargap=0.35,
                  title=dict(text=f"Finish line: first step with {unit} ≤ {tol:g}", x=0.01),
                  xaxis=dict(title=dict(text="step t"), range=[0, max(steps, 1) * 1.02]),
                  yaxis=dict(autorange="reversed", type="category", ticks="", showgrid=False))
    return figure(data, layout, th, height=th.margin_top + 40 + round(2.1 * th.font) * len(fin),
                  legend=False)
