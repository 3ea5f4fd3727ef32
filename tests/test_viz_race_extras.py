"""The figures and tables of the fair race, the finish line and the local model: valid plotly, no NaN or infinity
on the wire, a failed cell labelled in words."""

from __future__ import annotations

import json

import plotly.graph_objects as go
import pytest

import optim
import surfaces
from optim.taylor import local_model
from optim.tuning import tune, tuning_spec
from viz.finish_line import finish_figure
from viz.run_tables import finish_frame
from viz.style import NORMAL, PRESENT
from viz.taylor import local_model_figure, window
from viz.tuning import band_figure, tuning_frame


def clean(fig) -> dict:
    go.Figure(fig.to_dict())  # validates every property
    text = fig.to_json()
    assert "NaN" not in text and "Infinity" not in text
    return json.loads(text)


@pytest.mark.parametrize("th", [NORMAL, PRESENT])
def test_band_strip_and_table(th):
    s = surfaces.get("rosenbrock")
    tunings = {n: tune(tuning_spec("rosenbrock", n, s.starts[0], 80, lr_per_decade=2, momentum_count=3))
               for n in ("gd", "momentum", "newton")}
    fig = clean(band_figure(tunings, th))
    rows = {t["y"][0] for t in fig["data"]}
    assert rows == {"Gradient descent", "Momentum", "Newton's method"}
    table = tuning_frame(tunings)
    assert list(table["optimizer"]) == ["Gradient descent", "Momentum", "Newton's method"]
    text = table.astype(str).to_string()
    assert "inf" not in text and "nan" not in text.lower()
    hover = [h for t in fig["data"] for h in t.get("text", [])]
    assert any(h.endswith("diverged") for h in hover), "gd at η = 10 diverges, and says so"


def test_finish_strip_orders_by_rank():
    s = surfaces.get("himmelblau")
    runs = [optim.run(s, optim.make(n, **optim.defaults_for(s, n)), list(s.starts[0]), 100, noise=0.0)
            for n in ("gd", "adam", "newton")]
    fin = finish_frame(s, runs, 1e-6)
    fig = clean(finish_figure(fin, 100, 1e-6, "loss", NORMAL))
    labels = [t["y"][0] for t in fig["data"] if t["type"] == "bar"]
    assert labels == [f"{r}. {t}" for r, t in sorted(zip(fin["rank"], fin["title"]))]
    # from (0, 0) plain Newton heads for Himmelblau's maximum: never within the tolerance, and farthest away
    assert labels[0].endswith("Gradient descent") and labels[-1].endswith("Newton's method")


@pytest.mark.parametrize("surface_name,p", [("rosenbrock", (0.0, 0.5)), ("bowl", (1.0, 1.0)), ("saddle", (0.3, 0.2))])
def test_local_model_figure(surface_name, p):
    s = surfaces.get(surface_name)
    m = local_model(s, p)
    fig = clean(local_model_figure(s, m, "gd", 3, NORMAL))
    names = {t.get("name") for t in fig["data"]}
    assert {"surface f", "linear model m₁", "quadratic model m₂", "plain Newton step"} <= names
    assert ("safeguarded step" in names) == (m.kind != "minimum" or m.eigenvalues.min() < m.min_curvature)
    (x0, x1), (y0, y1) = window(s, m)
    assert x0 < p[0] < x1 and y0 < p[1] < y1


def test_ranking_puts_finishers_first_then_the_closest_then_the_diverged():
    s = surfaces.get("rosenbrock")
    runs = [optim.run(s, optim.make("gd", lr=lr), list(s.starts[0]), 200) for lr in (0.01, 0.001, 0.0003, 0.5)]
    runs.append(optim.run(s, optim.make("newton"), list(s.starts[0]), 200))
    fin = finish_frame(s, runs, 1e-3)
    assert fin["failed"].tolist() == [True, False, False, True, False]  # gd at 0.01 and 0.5 leave the plane
    assert fin["first"].tolist()[1:3] == [-1, -1] and fin["first"][4] >= 0
    closer = 1 if fin["closest"][1] < fin["closest"][2] else 2
    assert fin["rank"][4] == 1 and fin["rank"][closer] == 2 and fin["rank"][3 - closer] == 3
    assert sorted(fin["rank"][[0, 3]]) == [4, 5]
