"""The playground's fair race, finish line and local model through AppTest: the switch to "each tuned" puts the
tuned values (the core's ``optim.tuning`` on the same grid) into the URL and the race; the summary's finish-line
columns are the recorded runs'; the local model is Newton's step's model."""

from __future__ import annotations

import math

import numpy as np
import pytest

import surfaces
from optim import finish, make, run
from optim.taylor import local_model
from optim.tuning import tune, tuning_spec

PAGE = "pages/playground.py"
SCOPE = "play"


def params(at) -> dict[str, str]:
    return {k: (v[-1] if isinstance(v, list) else v) for k, v in dict(at.query_params).items()}


def core_tuning(surface_name, name, start, steps, criterion="mean-log", **kw):
    """What the page should tune, straight from the core (the page's other settings are the defaults)."""
    s = surfaces.get(surface_name)
    from optim import defaults_for
    return tune(tuning_spec(surface_name, name, start, steps, fixed=defaults_for(s, name), noise=0.0), criterion, **kw)


def test_switching_to_each_tuned_puts_the_tuned_values_in_the_url_and_the_table(playground, widget_key, texts):
    names = ("gd", "momentum", "adam")
    at = playground({"surface": "beale", "opt": ",".join(names), "steps": "120"})
    assert "race" not in params(at)
    hand = {n: row["settings"] for n, row in zip(names, at.dataframe[0].value.to_dict("records"))}
    at.button_group(key=widget_key(SCOPE, "race")).set_value("tuned").run()
    assert not at.exception
    url = params(at)
    assert url["race"] == "tuned"
    s = surfaces.get("beale")
    summary = at.dataframe[0].value  # the tuning table comes first
    assert list(summary["optimizer"]) == ["Gradient descent", "Momentum", "Adam"]
    race = next(d.value for d in at.dataframe if "final f" in d.value.columns)
    for name, row in zip(names, race.to_dict("records")):
        t = core_tuning("beale", name, s.starts[0], 120)
        for p, v in t.best_hyper.items():
            assert float(url[f"{name}.{p}"]) == v, (name, p)
        # the race ran with them: the summary's final loss is the core's run with the tuned values
        hyper = {k: float(v) for k, v in t.best_hyper.items()}
        expected = run(s, make(name, **(dict(t.spec.fixed) | hyper)), list(s.starts[0]), 120, noise=0.0)
        assert row["final f"] == float(expected.final_loss)
        assert row["settings"] != hand[name] or name == "gd"
    assert "mean of log₁₀(f − f*) over the run" in texts(at)
    bands = at.dataframe[0].value
    assert all(bands["band width (decades)"] >= 0)

    # back to the same settings: the hand-set values return
    at.button_group(key=widget_key(SCOPE, "race")).set_value("same").run()
    assert "race" not in params(at) and not any(k.endswith(".lr") for k in params(at))
    again = at.dataframe[0].value
    assert {n: r["settings"] for n, r in zip(names, again.to_dict("records"))} == hand


def test_a_link_with_each_tuned_by_steps_to_tolerance(playground):
    at = playground({"surface": "bowl", "opt": "gd,nesterov,newton", "steps": "60", "race": "tuned", "crit": "steps",
                     "tol": "1e-4", "finish": "distance"})
    url = params(at)
    s = surfaces.get("bowl")
    for name in ("gd", "nesterov"):
        t = core_tuning("bowl", name, s.starts[0], 60, "steps", tol=1e-4, measure="distance")
        assert float(url[f"{name}.lr"]) == t.best_hyper["lr"]
    assert "newton.lr" not in url  # Newton's pure step (η = 1, the default) wins
    table = next(d.value for d in at.dataframe if "final f" in d.value.columns)
    assert "within tol (distance) at step" in table.columns


@pytest.mark.parametrize("measure", ["loss", "distance"])
def test_finish_line_columns_are_the_recorded_runs(playground, measure):
    names = ("gd", "momentum", "adam", "newton", "cg")
    tol = 1e-3
    at = playground({"surface": "rosenbrock", "opt": ",".join(names), "steps": "300", "tol": str(tol),
                     "finish": measure})
    table = at.dataframe[0].value
    s = surfaces.get("rosenbrock")
    firsts = []
    for name, row in zip(names, table.to_dict("records")):
        from optim import defaults_for
        traj = run(s, make(name, **defaults_for(s, name)), list(s.starts[0]), 300, noise=0.0)
        if measure == "loss":
            close = [f - 0.0 <= tol for f in traj.losses.tolist()]
        else:
            close = [math.dist(p, (1.0, 1.0)) <= tol for p in traj.positions.tolist()]
        first = close.index(True) if any(close) else -1
        firsts.append(first)
        assert row[f"within tol ({measure}) at step"] == (str(first) if first >= 0 else "")
        assert row["best f so far"] == min(traj.losses.tolist())
        if first >= 0:
            ev = finish.evaluations(traj, first)
            assert row["∇f evals to finish"] == str(int(ev["gradient"]))
            assert row["∇²f evals to finish"] == (str(first) if name == "newton" else "0")
        assert row["ms per step"] > 0
    finished = sorted((f, i) for i, f in enumerate(firsts) if f >= 0)
    assert [table["rank"][i] for _, i in finished] == list(range(1, len(finished) + 1))
    assert "Finish line" in at.get("plotly_chart")[1].proto.spec


def test_local_model_at_iteration_t_on_a_saddle_point_of_the_model(playground, texts):
    at = playground({"surface": "rosenbrock", "opt": "gd,adam", "steps": "100", "t": "7", "model": "adam"})
    s = surfaces.get("rosenbrock")
    from optim import defaults_for
    traj = run(s, make("adam", **defaults_for(s, "adam")), list(s.starts[0]), 100)
    model = local_model(s, traj.positions[6])
    text = texts(at)
    assert "The local model at iteration t" in text
    point = ", ".join(f"{v:.4g}" for v in model.point)
    if model.kind == "minimum":
        assert "positive definite" in text
    else:
        assert "safeguarded step" in text
    assert all(f"{v:.4g}" in text for v in model.point), point
    spec = at.get("plotly_chart")
    assert any("quadratic model" in c.proto.spec for c in spec)


def test_local_model_names_an_indefinite_hessian(playground, texts):
    # GD from (0, 0.5) on Rosenbrock: the Hessian there is indefinite (f_xx = 2 - 400 (y - 3x²) < 0)
    at = playground({"surface": "rosenbrock", "opt": "gd", "steps": "20", "x0": "0", "y0": "0.5", "t": "1"})
    text = texts(at)
    assert "indefinite" in text and "safeguarded step" in text
    m = local_model(surfaces.get("rosenbrock"), np.array([0.0, 0.5]))
    assert m.kind == "saddle"



def test_a_rate_moved_by_hand_after_tuning_stays_until_the_tuning_changes(playground, widget_key):
    at = playground({"surface": "rosenbrock", "opt": "gd,adam", "steps": "80", "race": "tuned"})
    s = surfaces.get("rosenbrock")
    assert float(params(at)["adam.lr"]) == core_tuning("rosenbrock", "adam", s.starts[0], 80).best_hyper["lr"]
    at.selectbox(key="w:play:settings-of").set_value("adam").run()
    at.number_input(key=widget_key(SCOPE, "adam.lr", "entry")).set_value(0.0123).run()
    assert params(at)["adam.lr"] == "0.0123" and params(at)["race"] == "tuned"
    summary = next(d.value for d in at.dataframe if "final f" in d.value.columns)
    assert summary["settings"][1].startswith("η = 0.0123")
    at.slider(key=widget_key(SCOPE, "steps", "slider")).set_value(150).run()  # new steps: tuned again
    assert float(params(at)["adam.lr"]) == core_tuning("rosenbrock", "adam", s.starts[0], 150).best_hyper["lr"]
