"""Batch / mini-batch counts against ⌈n/B⌉ and plain arithmetic, the mini-batch race against a loop written from
the formula over the actual samples, and the page's numbers and bad input."""

from __future__ import annotations

import io
import math

import numpy as np
import pandas as pd
import pytest

from optim import minibatch as M
from surfaces.regression import linear_regression

PAGE = "pages/batch_learning.py"


@pytest.fixture(scope="module")
def small():
    return linear_regression(1000, seed=0)


# -- core -----------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("n, B", [(10_000, 1), (10_000, 32), (10_000, 100), (10_000, 10_000), (7, 3), (1000, 999)])
def test_epoch_counts_are_the_ceiling_and_the_remainder(n, B):
    c = M.epoch_counts(n, B)
    assert int(c.per_epoch) == math.ceil(n / B)
    assert int(c.last_batch) == n - (math.ceil(n / B) - 1) * B
    assert 1 <= int(c.last_batch) <= B
    assert int(M.reads_after(n, B, math.ceil(n / B))) == n  # an epoch reads n, whatever B


def test_the_notes_count_21_batch_iterations():
    assert int(M.reads_after(10_000, 10_000, 21)) == 210_000
    assert float(M.epochs_after(10_000, 10_000, 21)) == 21.0


@pytest.mark.parametrize("B", [0, 11])
def test_bad_batch_sizes_are_refused(B):
    with pytest.raises(ValueError, match="batch size"):
        M.epoch_counts(10, B)
    with pytest.raises(ValueError, match="n, the number"):
        M.epoch_counts(0, 1)


def test_without_replacement_each_epoch_reads_every_sample_once(small):
    rng = np.random.default_rng(0)
    idx = M.batches(1000, 32, 2 * 32, rng)
    first = np.concatenate(idx[:32])
    assert sorted(first) == list(range(1000))
    assert len(idx[31]) == 1000 - 31 * 32
    np.testing.assert_array_equal(np.sort(np.concatenate(idx[32:64])), np.arange(1000))


def test_race_equals_a_loop_over_the_samples(small):
    r = M.race(small, 32, 0.05, 40, [-0.5, 1.0], seed=3)
    idx = M.batches(1000, 32, 40, np.random.default_rng([3, 32, 0]))
    w, b = -0.5, 1.0
    for k in range(40):
        x, y = small.xs[idx[k]], small.ys[idx[k]]
        res = w * x + b - y
        gw, gb = 2 * np.mean(res * x), 2 * np.mean(res)
        w, b = w - 0.05 * gw, b - 0.05 * gb
        row = r.table[k + 1]
        assert row[M.COLUMNS.index("batch grad w")] == pytest.approx(gw, rel=1e-12)
    assert r.column("w")[-1] == pytest.approx(w, rel=1e-12) and r.column("b")[-1] == pytest.approx(b, rel=1e-12)
    full = 2 * np.mean((w * small.xs + b - small.ys) * small.xs)
    assert r.column("full grad w")[-1] == pytest.approx(full, rel=1e-9, abs=1e-12)
    assert r.column("samples read")[-1] == 32 * 31 + 8 + 32 * 8  # one epoch of 32 batches (the last 8), then 8


def test_full_batch_has_no_noise_floor_and_decay_lowers_the_online_one(small):
    best = small.minima[0].value
    full = M.race(small, 1000, 0.1, 200, [-0.5, 1.0])
    assert M.noise_floor(full.column("loss"), best) < 1e-10
    online = M.race(small, 1, 0.1, 400, [-0.5, 1.0])
    slowed = M.race(small, 1, 0.1, 400, [-0.5, 1.0], decay=30)
    assert M.noise_floor(slowed.column("loss"), best) < 0.5 * M.noise_floor(online.column("loss"), best)


# -- page -----------------------------------------------------------------------------------------------------------

def test_page_counts_and_the_notes_sentence(open_page, texts, download_bytes):
    at = open_page(PAGE, {"n": "10000", "sizes": "1,32,100,1000,3000", "updates": "40"})
    assert not at.exception, [e.value for e in at.exception]
    counts = at.dataframe[0].value
    B = counts["batch size B"].to_numpy()
    assert list(B) == [1, 32, 100, 1000, 3000, 10000]
    assert list(counts["updates per epoch"]) == [math.ceil(10_000 / b) for b in B]
    assert list(counts["last batch"]) == [10_000 - (math.ceil(10_000 / b) - 1) * b for b in B]
    assert set(counts["reads per epoch"]) == {10_000}
    text = texts(at)
    assert "Batch gradient descent on 10,000 samples for 21 iterations is **21 epochs** and **210,000 reads**" in text
    assert "B = 32: 313 updates per epoch; the last batch of each epoch has 16" in text
    assert "B = 3,000: 4 updates per epoch; the last batch of each epoch has 1,000" in text
    race = at.dataframe[2].value
    assert len(race) == 6 * 41
    online = race[race["B"] == 1]
    assert list(online["samples read"]) == list(range(41))
    back = pd.read_csv(io.BytesIO(download_bytes(at, 2)))
    np.testing.assert_allclose(back.to_numpy(dtype=float), race.to_numpy(dtype=float), equal_nan=True)


@pytest.mark.parametrize("sizes, message", [("1, 0", "at least 1"), ("1, 20000", "at most n")])
def test_bad_batch_sizes_keep_the_last_view(open_page, widget_key, sizes, message):
    at = open_page(PAGE, {"n": "2000", "updates": "20"})
    before = at.dataframe[0].value
    at.text_input(key=widget_key("batch", "sizes", "text")).input(sizes).run()
    assert not at.exception
    assert sum(message in w.value for w in at.warning) == 1
    pd.testing.assert_frame_equal(at.dataframe[0].value, before)
    at.text_input(key=widget_key("batch", "sizes", "text")).input("1, 2x").run()
    assert any("Could not read" in w.value for w in at.warning)


def test_zero_samples_keeps_the_last_view(open_page, widget_key):
    at = open_page(PAGE, {"n": "2000", "updates": "20"})
    before = at.dataframe[0].value
    at.number_input(key=widget_key("batch", "n", "number")).set_value(0).run()
    assert not at.exception
    assert any("at least 1" in w.value for w in at.warning)
    pd.testing.assert_frame_equal(at.dataframe[0].value, before)


def test_a_run_above_the_stability_limit_is_labelled_diverged_not_nan(open_page, texts):
    """η = 1 on the regression loss (found by tests/test_fuzz_links.py: the page overflowed). Full-batch gradient
    descent is recomputed by hand from the data's moments: the loss is w²E[x²] + 2wbE[x] + b² − ..., its Hessian
    2[[E[x²], E[x]], [E[x], 1]]."""
    s = linear_regression(10_000, seed=0)
    rng = np.random.default_rng(0)
    xs = rng.normal(1.0, 1.0, 10_000)
    ys = 2.0 * xs - 1.0 + 0.5 * rng.normal(0.0, 1.0, 10_000)
    mx, mxx, my, mxy = xs.mean(), (xs * xs).mean(), ys.mean(), (xs * ys).mean()
    p, k = np.array(s.starts[0], dtype=float), 0
    while np.all(np.abs(p) <= 1e6):
        k += 1
        p = p - 1.0 * np.array([2 * (p[0] * mxx + p[1] * mx - mxy), 2 * (p[0] * mx + p[1] - my)])
    r = M.race(s, 10_000, 1.0, 200, s.starts[0])
    assert r.diverged and r.diverged_at == k and len(r.table) == k
    assert np.isfinite(r.table[1:]).all() and np.all(np.abs(r.table[-1, 6:8]) <= 1e6)

    at = open_page("pages/batch_learning.py", {"lr": "1"})
    assert not at.exception, [e.value for e in at.exception]
    limit = 2 / np.linalg.eigvalsh(2 * np.array([[mxx, mx], [mx, 1.0]])).max()
    assert f"2/λₘₐₓ = {limit:.3g}" in texts(at) and "diverged" in texts(at)
    summary = next(d.value for d in at.dataframe if "diverged at update (constant η)" in d.value.columns)
    assert summary.loc[summary["B"] == 10_000, "diverged at update (constant η)"].iloc[0] == k
