"""AppTest tests of the learning-rate page: tables against the notes and the core, CSV downloads, URL state
and its notices, caching, verdicts."""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pytest
import streamlit as st

import optim
from optim import gd, iteration_table, run
from surfaces import get
from viz.tables import frame

LR_PAGE = "pages/learning_rate.py"
SCOPE = "lr"

# The notes' table for f(w) = 2w^2 + w + 4, eta = 0.2, w0 = 2 (lecture 003), as printed to 5 decimals.
# One cell is a typo in the notes: iteration 4 prints W = 0.23200, but w_3 = 2 - 0.2 * 9 ... = -0.232
# (the row before ends with w_next = -0.23200, and w_t + 0.25 = 2.25 * 0.2^t > 0 for every t, so w_3 < 0).
NOTES_ETA_02 = [
    (1, 2.00000, 14.00000, 9.00000, 0.20000),
    (2, 0.20000, 4.28000, 1.80000, -0.16000),
    (3, -0.16000, 3.89120, 0.36000, -0.23200),
    (4, -0.23200, 3.87565, 0.07200, -0.24640),  # the notes print W = 0.23200 here
    (5, -0.24640, 3.87503, 0.01440, -0.24928),
    (6, -0.24928, 3.87500, 0.00288, -0.24986),
    (7, -0.24986, 3.87500, 0.00058, -0.24997),
    (8, -0.24997, 3.87500, 0.00012, -0.24999),
    (9, -0.24999, 3.87500, 0.00002, -0.25000),
    (10, -0.25000, 3.87500, 0.00000, -0.25000),
]
COLUMNS = ["iteration", "w", "f(w)", "f'(w)", "w_next"]


def core_table(lr: float, steps: int, w0: float = 2.0) -> pd.DataFrame:
    return frame(iteration_table(run(get("notes-quadratic"), gd(lr=lr), [w0], steps)))


@pytest.fixture
def lr_slider(widget_key):
    return widget_key(SCOPE, "lr", "slider")


@pytest.fixture
def steps_slider(widget_key):
    return widget_key(SCOPE, "steps", "slider")


def test_eta_02_table_equals_the_notes_cell_by_cell(open_page):
    at = open_page(LR_PAGE, {"lr": "0.2", "steps": "10"})
    df = at.dataframe[0].value
    assert list(df.columns) == COLUMNS
    assert df.shape == (10, 5)
    printed = pd.DataFrame(NOTES_ETA_02, columns=COLUMNS)
    assert (df["iteration"].to_numpy() == printed["iteration"].to_numpy()).all()
    np.testing.assert_array_equal(df[COLUMNS[1:]].to_numpy().round(5) + 0.0, printed[COLUMNS[1:]].to_numpy())
    # and every cell is the core's number, at full precision
    pd.testing.assert_frame_equal(df, core_table(0.2, 10))


def test_preset_button_reproduces_the_notes_case(open_page, lr_slider, steps_slider):
    at = open_page(LR_PAGE, {"lr": "0.37", "w0": "-1", "steps": "3"})
    at.button(key="preset-0.2").click().run()
    assert at.slider(key=lr_slider).value == 0.2 and at.slider(key=steps_slider).value == 10
    pd.testing.assert_frame_equal(at.dataframe[0].value, core_table(0.2, 10))
    assert dict(at.query_params) == {"lr": "0.2", "steps": "10"}


def test_csv_download_parses_back_to_the_same_table(open_page, download_bytes):
    at = open_page(LR_PAGE, {"lr": "0.1"})
    data = download_bytes(at)
    back = pd.read_csv(io.BytesIO(data))
    shown = at.dataframe[0].value
    assert list(back.columns) == COLUMNS and back.shape == (21, 5)
    np.testing.assert_array_equal(back.to_numpy(), shown.to_numpy())  # bit for bit
    w, expected = 2.0, []
    for _ in range(21):  # the notes' rule, written out: w <- w - eta (4w + 1)
        w = w - 0.1 * (4 * w + 1)
        expected.append(w)
    np.testing.assert_array_equal(back["w_next"].to_numpy(), expected)


@pytest.mark.parametrize(
    "query, phrase",
    [({"lr": "abc"}, "`lr=abc` in the link is not a number"),
     ({"lr": "-1"}, "`lr=-1` in the link is outside"),
     ({"steps": "1000000000"}, "`steps=1000000000` in the link is outside 1 to 200"),
     ({"view": "nonsense"}, "`view=nonsense` in the link is not one of"),
     ({"w0": "inf"}, "`w0=inf` in the link is outside")],
)
def test_invalid_url_value_gives_a_notice_and_the_default(query, phrase, open_page, lr_slider, steps_slider):
    at = open_page(LR_PAGE, query)
    assert not at.exception
    notices = [w.value for w in at.warning]
    assert len(notices) == 1 and notices[0].startswith(phrase), notices
    assert at.slider(key=lr_slider).value == 0.1
    assert at.slider(key=steps_slider).value == 21
    pd.testing.assert_frame_equal(at.dataframe[0].value, core_table(0.1, 21))
    assert list(query) not in [list(at.query_params)]  # the bad value is gone from the URL


def test_number_entry_and_slider_show_one_value(open_page, widget_key, lr_slider):
    at = open_page(LR_PAGE)
    at.number_input(key=widget_key(SCOPE, "lr", "entry")).set_value(0.2501).run()
    assert at.slider(key=lr_slider).value == pytest.approx(0.2501)
    assert at.dataframe[0].value["w_next"].iloc[0] == pytest.approx(2 - 0.2501 * 9, abs=1e-15)


def test_unchanged_settings_do_not_recompute(monkeypatch, open_page, lr_slider):
    calls = []
    real_run = optim.run
    monkeypatch.setattr(optim, "run", lambda *a, **k: calls.append(a[2]) or real_run(*a, **k))
    st.cache_data.clear()
    at = open_page(LR_PAGE, {"lr": "0.15"})
    first = len(calls)
    assert first == 1
    at.run()
    at.run()
    assert len(calls) == first  # reruns with the same settings are served from the cache
    at.slider(key=lr_slider).set_value(0.16).run()
    assert len(calls) == first + 1


@pytest.mark.parametrize(
    "lr, steps, verdict, outcome",
    [(0.1, 21, "Converges without overshooting", "Still moving after 21 steps"),
     # e_t = 2.25 * 0.2^t: the step 0.8 e_t is below 1e-6 from t = 9, the gradient 4 e_t only from t = 10
     (0.2, 10, "Converges without overshooting", "Converged at step 9 (by the step size)"),
     (0.25, 3, "Converges in one step", "Converged at step 1 (by the gradient)"),
     # e_t = 2.25 * (-0.2)^t: the step 1.2 |e_t| and the gradient 4 |e_t| both pass 1e-6 at t = 10: the gradient
     (0.3, 21, "Converges while oscillating", "Converged at step 10 (by the gradient)"),
     (0.5, 10, "Oscillates for ever", "Still moving after 10 steps"),
     (0.6, 60, "Diverges", "Diverged at step 39")],
)
def test_verdict_follows_the_contraction_factor(lr, steps, verdict, outcome, open_page, texts):
    at = open_page(LR_PAGE, {"lr": str(lr), "steps": str(steps)})
    text = texts(at)
    assert verdict in text and outcome in text
    q = 1 - 4 * lr  # 1 - 2 a eta with a = 2
    assert f"= {abs(q):.5g}" in "".join(el.proto.body for el in at.get("latex"))
    table = at.dataframe[0].value
    assert not table.isna().any().any()
    if verdict == "Diverges":
        # |w_t + 1/4| = 2.25 * 1.4^t first exceeds the run's bound 1e6 at t = 39
        assert len(table) == 39 and abs(table["w_next"].iloc[-1]) > 1e6 >= abs(table["w"].iloc[-1])


@pytest.mark.parametrize("lr, steps", [(0.6, 13), (0.1, 21), (0.5, 10)])
def test_a_run_still_moving_says_what_it_is_doing(lr, steps, open_page, texts):
    """Not "|f'(w)| is still above 1e-6" under "Diverges": where w is going, or how far it still moves per step."""
    at = open_page(LR_PAGE, {"lr": str(lr), "steps": str(steps)})
    text = texts(at)
    assert "still above" not in text and f"Still moving after {steps} steps" in text
    q = 1 - 4 * lr
    w = -0.25 + 2.25 * q**steps  # e_t = 2.25 q^t from w0 = 2
    if q < -1:  # 2.25 * 1.4^13 = 178.6: far out and leaving
        assert f"w = {w:.5f}, moving away from w* = -0.25000".replace("-", "−") in text
    else:
        step = abs(2.25 * q ** (steps - 1) * (q - 1))
        assert f"the last step moved w by {step:.5f}" in text


def test_side_by_side_colours_each_run_by_its_status(open_page, plotly_specs):
    """q = 1 - 4 eta: 0.6 and 0.2 converge (green), -0.2 converges oscillating (green), -1 cycles for ever (the
    colour of still moving), -1.4 diverges (the colour of diverged): the line's colour agrees with its words."""
    from viz.style import STATUS_COLORS

    at = open_page(LR_PAGE, {"view": "compare", "runs": "0.1:21,0.2:10,0.3:10,0.5:10,0.6:10"})
    fig = next(f for f in plotly_specs(at) if any(t.get("name", "").startswith("η") for t in f["data"]))
    colors = {t["name"]: t["line"]["color"] for t in fig["data"] if t.get("name", "").startswith("η")}
    expected = {"η = 0.1": "converged", "η = 0.2": "converged", "η = 0.3": "converged", "η = 0.5": "running",
                "η = 0.6": "diverged"}
    assert colors == {name: STATUS_COLORS[s] for name, s in expected.items()}
    rgb = lambda h: tuple(int(h[i:i + 2], 16) for i in (1, 3, 5))  # noqa: E731
    green, red = rgb(STATUS_COLORS["converged"]), rgb(STATUS_COLORS["diverged"])
    assert green[1] > max(green[0], green[2]) and red[0] > max(red[1], red[2])  # green is green, red is red
    # the words in the same colours (Streamlit's coloured text)
    words = " ".join(m.proto.body for m in at.markdown)
    for verdict, color in (("Converges without overshooting", "green"), ("Converges while oscillating", "green"),
                           ("Oscillates for ever", "orange"), ("Diverges", "red")):
        assert f":{color}[{verdict}]" in words


def test_a_large_rate_diverges_fast_on_the_notes_quadratic(open_page, lr_slider, texts):
    """The slider reaches 3 times the stability limit 2/f'' = 0.5: at eta = 1.5 the error is multiplied by
    1 - 4 * 1.5 = -5 per step, so |w_t + 1/4| = 2.25 * 5^t first exceeds 1e6 at t = 9 (2.25 * 5^8 = 878,906)."""
    at = open_page(LR_PAGE, {"steps": "30"})
    assert at.slider(key=lr_slider).max == pytest.approx(1.5)
    at.slider(key=lr_slider).set_value(1.5).run()
    k = next(t for t in range(40) if 2.25 * 5**t > 1e6)
    assert k == 9 and "Diverged at step 9" in texts(at) and len(at.dataframe[0].value) == k
    strip = json.loads(next(f for f in at.get("plotly_chart") if f.proto.id.endswith("rate-strip")).proto.spec)
    assert strip["layout"]["xaxis"]["range"] == [0, 1.5]  # the strip is the slider's scale
    assert {"1/f″ = 0.25", "2/f″ = 0.5"} <= {a["text"] for a in strip["layout"]["annotations"]}


def test_animation_moves_only_the_markers(open_page, plotly_specs):
    at = open_page(LR_PAGE, {"lr": "0.3", "steps": "8"})
    fig = next(f for f in plotly_specs(at) if f.get("frames"))
    frames = fig["frames"]
    assert len(frames) == 9  # w_0 .. w_8
    core = run(get("notes-quadratic"), gd(lr=0.3), [2.0], 8)
    for k, fr in enumerate(frames):
        assert len(fr["data"]) == 4  # current step, current point and the two markers on the right
        current = fr["data"][1]
        assert current["x"][0] == pytest.approx(core.positions[k, 0]) and current["y"][0] == pytest.approx(core.losses[k])
    labels = [b["label"] for b in fig["layout"]["updatemenus"][0]["buttons"]]
    assert labels == ["▶ Play", "❚❚ Pause"]
    assert len(fig["layout"]["sliders"][0]["steps"]) == 9


def test_side_by_side_shows_the_notes_three_tables(open_page, download_bytes):
    at = open_page(LR_PAGE, {"view": "compare"})
    tables = [d.value for d in at.dataframe]
    assert [len(t) for t in tables] == [21, 10, 10]
    for t, (lr, n) in zip(tables, [(0.1, 21), (0.2, 10), (0.5, 10)]):
        pd.testing.assert_frame_equal(t, core_table(lr, n))
    assert set(tables[2]["w"].round(5)) == {2.0, -2.5}  # eta 0.5 flips between 2 and -2.5
    assert len(at.get("download_button")) == 3
    for i, t in enumerate(tables):
        back = pd.read_csv(io.BytesIO(download_bytes(at, i)))
        np.testing.assert_array_equal(back.to_numpy(), t.to_numpy())


def test_side_by_side_list_is_in_the_url_and_validated(open_page):
    at = open_page(LR_PAGE, {"view": "compare", "runs": "0.05:5,0.45:7"})
    assert [len(d.value) for d in at.dataframe] == [5, 7]
    bad = open_page(LR_PAGE, {"view": "compare", "runs": "0.1:21,zero"})
    assert any("`runs=0.1:21,zero`" in w.value for w in bad.warning)
    assert [len(d.value) for d in bad.dataframe] == [21, 10, 10]


def test_quartic_starts_end_in_the_local_or_the_global_minimum(open_page):
    at = open_page(LR_PAGE, {"view": "minima"})
    crit, ends = at.dataframe[0].value, at.dataframe[1].value
    q = get("quartic")
    # critical points: roots of f'(w) = 24w^3 - 6w^2 - 24w + 1, kind from the sign of f''(w) = 72w^2 - 12w - 24
    roots = np.sort(np.roots([24, -6, -24, 1]).real)
    np.testing.assert_allclose(crit["w"], roots, rtol=0, atol=1e-12)
    np.testing.assert_allclose(crit["f''(w)"], 72 * roots**2 - 12 * roots - 24, rtol=1e-12)
    assert list(crit["kind"]) == ["local minimum", "local maximum", "global minimum"]
    np.testing.assert_allclose(crit["w"], [-0.9054, 0.04131, 1.1141], atol=5e-5)  # the notes' values
    starts = [s[0] for s in q.starts]
    assert list(ends["start w"]) == starts
    assert list(ends["ends at"]) == ["local minimum", "local minimum", "global minimum", "global minimum"]
    core = run(q, gd(lr=0.01), np.array(starts)[:, None], 60)
    np.testing.assert_array_equal(ends["final w"].to_numpy(), core.positions[-1, :, 0])
    # each outcome from the path by hand: |f'(w_t)| and |w_{t+1} - w_t| against 1e-6, whichever settles first
    w = core.positions[:, :, 0]
    grad_big = np.abs(24 * w**3 - 6 * w**2 - 24 * w + 1) >= 1e-6
    step_big = np.abs(np.diff(w, axis=0)) >= 1e-6
    for j, text in enumerate(ends["status"]):
        by_gradient = max(np.flatnonzero(grad_big[:, j]), default=-1) + 1
        by_step = max(np.flatnonzero(step_big[:, j]), default=-1) + 1
        if min(by_gradient, by_step) >= 60:
            assert text == "still moving after 60 steps"
        else:
            which = "by the gradient" if by_gradient <= by_step else "by the step size"
            assert text == f"converged at step {min(by_gradient, by_step)} ({which})"


# -- a typed-in function ---------------------------------------------------------------------------------------------

QUARTIC_TEXT = "6*w^4 - 2*w^3 - 12*w^2 + w + 1"


def test_a_typed_function_runs_and_its_link_reproduces_it(open_page, widget_key, texts):
    from surfaces.typed import typed_surface

    at = open_page(LR_PAGE, {"surface": "own", "f": "x^2 + 10", "lr": "0.1", "w0": "-2", "steps": "5"})
    assert not at.exception, [e.value for e in at.exception]
    table = at.dataframe[0].value
    expected = frame(iteration_table(run(typed_surface("x^2 + 10", ("w",)), gd(lr=0.1), [-2.0], 5)))
    pd.testing.assert_frame_equal(table.reset_index(drop=True), expected.reset_index(drop=True), check_dtype=False)
    assert any("w^{2} + 10" in m.value for m in at.get("latex") or []) or "w^{2}" in str(at.get("latex"))
    # typing a new function changes the run, and the link carries it
    at.text_input(key=widget_key(SCOPE, "f", "text")).input(QUARTIC_TEXT).run()
    assert not at.exception
    link = dict(at.query_params)
    assert link["surface"] == "own" and link.get("f", QUARTIC_TEXT) == QUARTIC_TEXT
    shared = open_page(LR_PAGE, link)
    pd.testing.assert_frame_equal(shared.dataframe[0].value, at.dataframe[0].value)
    assert "Critical points" in texts(shared)


def test_a_bad_typed_function_gives_a_warning_and_keeps_the_last(open_page, widget_key, texts):
    at = open_page(LR_PAGE, {"surface": "own", "f": "x^2"})
    at.text_input(key=widget_key(SCOPE, "f", "text")).input("__import__('os')").run()
    assert not at.exception and "position" in texts(at)
    assert at.query_params["f"] == "x^2"


def test_a_typed_function_that_leaves_its_domain(open_page, texts):
    at = open_page(LR_PAGE, {"surface": "own", "f": "log(w) + w^2", "lr": "0.9", "w0": "2", "steps": "10"})
    assert not at.exception, [e.value for e in at.exception]
    assert "Left the domain at step 1" in texts(at)
    assert not at.dataframe[0].value.isna().any().any()


def test_a_number_beyond_the_range_shows_the_value_in_use(open_page, widget_key, lr_slider):
    """Typing 5 where the slider ends at 3 * 2/f'' = 1.5 (f'' = 4): the run uses 1.5 and the entry says 1.5, not 5;
    moving the slider afterwards moves the entry with it."""
    at = open_page(LR_PAGE)
    entry = widget_key(SCOPE, "lr", "entry")
    top = 3 * 2 / 4
    at.number_input(key=entry).set_value(5.0).run()
    assert at.number_input(key=entry).value == at.slider(key=lr_slider).value == pytest.approx(top)
    assert at.dataframe[0].value["w_next"].iloc[0] == pytest.approx(2 - top * 9, abs=1e-15)
    at.slider(key=lr_slider).set_value(0.3).run()
    assert at.number_input(key=entry).value == pytest.approx(0.3)
    at.number_input(key=entry).set_value(-1.0).run()  # below the range: its low end
    assert at.number_input(key=entry).value == at.slider(key=lr_slider).value == pytest.approx(0.001)


@pytest.mark.parametrize("view", ["optimizers", "quartic", "minima"])
def test_every_view_with_a_table_of_outcomes_states_what_converged_means(view, open_page, texts):
    """(The one-run view says it per run: see the verdict tests above.)"""
    at = open_page(LR_PAGE, {"view": view})
    assert not at.exception
    assert "Converged: the gradient norm ‖∇f‖ stayed below 10⁻⁶, or the step ‖xₜ₊₁ − xₜ‖ stayed below 10⁻⁶" in texts(at)
