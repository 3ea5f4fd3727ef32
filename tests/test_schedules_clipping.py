"""Learning-rate schedules, gradient clipping and RMSProp's bias correction against independent references:
torch.optim.lr_scheduler and torch.nn.utils.clip_grad_* in float64 (the ``pytorch`` convention), closed forms
written from the docstrings, and Adam with beta1 = 0 (the identity for RMSProp with bias correction)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import require_torch, torch_optimizer

import optim
import surfaces
from optim.schedules import Clip, Schedule

torch = require_torch("the schedules and clipping against torch", module_level=True)
lr_scheduler = torch.optim.lr_scheduler

STEPS = 50
STARTS = np.array([[-1.6, 1.9], [1.2, -0.4], [0.3, 1.1]])
#: torch's LinearLR refuses a start factor of 0: this one is far below any rounding of the runs
TINY = 1e-200


def torch_run(surface, name: str, hp: dict, start, steps: int, schedulers=None, clip: Clip | None = None):
    """Positions (steps + 1, d) and the rate of each step (steps,) of torch.optim from one start point, the
    schedulers stepped after each update (torch's order), the gradient clipped before it."""
    p = torch.tensor(np.array(start, dtype=float), dtype=torch.float64, requires_grad=True)
    opt = torch_optimizer(torch, name, p, hp)
    chain = schedulers(opt) if schedulers else None
    positions, rates = [p.detach().numpy().copy()], []
    for _ in range(steps):
        opt.zero_grad()
        p.grad = torch.from_numpy(surface.grad(p.detach().numpy()))
        if clip is not None and clip.norm is not None:
            torch.nn.utils.clip_grad_norm_([p], clip.norm)
        if clip is not None and clip.value is not None:
            torch.nn.utils.clip_grad_value_([p], clip.value)
        rates.append(opt.param_groups[0]["lr"])
        opt.step()
        if chain is not None:
            chain.step()
        positions.append(p.detach().numpy().copy())
    return np.array(positions), np.array(rates)


def _warm(opt, n):
    return lr_scheduler.LinearLR(opt, start_factor=TINY, end_factor=1.0, total_iters=n)


def _chained(*makers):
    return lambda opt: lr_scheduler.ChainedScheduler([m(opt) for m in makers])


#: (id, optimizer, hyperparameters, our schedule, torch's scheduler(s))
CASES = [
    ("step-gd", "gd", {"lr": 0.07}, Schedule("step", gamma=0.5, step_size=7),
     lambda o: lr_scheduler.StepLR(o, step_size=7, gamma=0.5)),
    ("exponential-momentum", "momentum", {"lr": 0.02, "beta": 0.8}, Schedule("exponential", gamma=0.95),
     lambda o: lr_scheduler.ExponentialLR(o, gamma=0.95)),
    ("exponential-adadelta", "adadelta", {"lr": 1.0, "rho": 0.9, "eps": 1e-3}, Schedule("exponential", gamma=0.97),
     lambda o: lr_scheduler.ExponentialLR(o, gamma=0.97)),
    # T_max below the run: the cosine goes on past T (torch's recursive form does too)
    ("cosine-adam", "adam", {"lr": 0.1, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8},
     Schedule("cosine", t_max=20, eta_min=0.01), lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=20, eta_min=0.01)),
    ("restarts-rmsprop", "rmsprop", {"lr": 0.05, "rho": 0.9, "eps": 1e-8},
     Schedule("cosine-restarts", t0=5, t_mult=2, eta_min=0.001),
     lambda o: lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=5, T_mult=2, eta_min=0.001)),
    ("restarts-adagrad", "adagrad", {"lr": 0.5, "eps": 1e-10}, Schedule("cosine-restarts", t0=8, t_mult=1),
     lambda o: lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=8, T_mult=1)),
    ("inverse-time-nesterov", "nesterov", {"lr": 0.02, "beta": 0.8}, Schedule("inverse-time", decay=0.3),
     lambda o: lr_scheduler.LambdaLR(o, lambda t: 1.0 / (1.0 + 0.3 * t))),
    ("warmup-sgd", "gd", {"lr": 0.07}, Schedule(warmup=10), lambda o: _warm(o, 10)),
    ("warmup-step-momentum", "momentum", {"lr": 0.02, "beta": 0.8}, Schedule("step", gamma=0.5, step_size=15, warmup=6),
     _chained(lambda o: _warm(o, 6), lambda o: lr_scheduler.StepLR(o, step_size=15, gamma=0.5))),
    ("warmup-cosine-adam", "adam", {"lr": 0.1, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8},
     Schedule("cosine", t_max=40, warmup=8),
     _chained(lambda o: _warm(o, 8), lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=40))),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_schedule_reproduces_torch_lr_scheduler(case):
    _, name, hp, schedule, scheduler = case
    surface = surfaces.get("elongated-bowl")
    traj = optim.run(surface, optim.make(name, "pytorch", **hp, schedule=schedule), STARTS, STEPS)
    for i, start in enumerate(STARTS):
        expected, rates = torch_run(surface, name, hp, start, STEPS, scheduler)
        np.testing.assert_allclose(traj.state["eta_t"][1:, i], rates, rtol=1e-13, atol=1e-150)
        np.testing.assert_allclose(traj.positions[:, i], expected, rtol=1e-12, atol=1e-14)
    assert np.ptp(rates) > 0.1 * hp["lr"]  # the rate did change


def test_schedule_changes_the_path():
    """The comparison discriminates: the same optimizer without its schedule does not give torch's scheduled path."""
    _, name, hp, _, scheduler = CASES[3]
    surface = surfaces.get("elongated-bowl")
    plain = optim.run(surface, optim.make(name, "pytorch", **hp), STARTS[0], STEPS)
    expected, _ = torch_run(surface, name, hp, STARTS[0], STEPS, scheduler)
    assert np.abs(plain.positions - expected).max() > 1e-3


def test_cosine_closed_form_equals_torch_recursive_form():
    """torch's CosineAnnealingLR steps recursively; our closed form agrees with it to rounding error, past T too."""
    opt = torch.optim.SGD([torch.zeros(1, dtype=torch.float64, requires_grad=True)], lr=0.3)
    sched = lr_scheduler.CosineAnnealingLR(opt, T_max=17, eta_min=0.02)
    rates = []
    for _ in range(120):
        rates.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    ours = Schedule("cosine", t_max=17, eta_min=0.02).rate(0.3, np.arange(120))
    np.testing.assert_allclose(ours, rates, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("t0, t_mult", [(1, 2), (3, 3), (5, 2), (4, 1)])
def test_restart_periods_against_torch(t0, t_mult):
    opt = torch.optim.SGD([torch.zeros(1, dtype=torch.float64, requires_grad=True)], lr=1.0)
    sched = lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=t0, T_mult=t_mult, eta_min=0.1)
    rates = []
    for _ in range(400):
        rates.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    ours = Schedule("cosine-restarts", t0=t0, t_mult=t_mult, eta_min=0.1).rate(1.0, np.arange(400))
    np.testing.assert_allclose(ours, rates, rtol=1e-13, atol=1e-15)


def test_inverse_time_against_the_closed_form():
    """η_t = η / (1 + k t) from t = 0, and gradient descent with it on 2w² + w + 4 written out as a loop."""
    surface = surfaces.get("notes-quadratic")
    lr, k = 0.2, 0.5
    traj = optim.run(surface, optim.make("gd", lr=lr, schedule=Schedule("inverse-time", decay=k)), [2.0], 12)
    table = traj.table
    np.testing.assert_allclose(table.column("eta_t"), [lr / (1 + k * t) for t in range(12)], rtol=1e-15)
    w = 2.0
    for t in range(12):
        w = w - lr / (1 + k * t) * (4 * w + 1)
        assert table.column("w_next")[t] == pytest.approx(w, rel=1e-14)
    assert table.columns[:5] == ("iteration", "w", "f(w)", "f'(w)", "w_next")


# -- clipping --------------------------------------------------------------------------------------------------------

CLIP_CASES = [
    ("norm-gd", "rosenbrock", "gd", {"lr": 0.002}, Clip(norm=5.0), None),
    ("value-adam", "rosenbrock", "adam", {"lr": 0.05, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8}, Clip(value=2.0), None),
    ("norm-momentum-cosine", "elongated-bowl", "momentum", {"lr": 0.02, "beta": 0.8}, Clip(norm=1.0),
     (Schedule("cosine", t_max=30), lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=30))),
    ("value-rmsprop", "elongated-bowl", "rmsprop", {"lr": 0.05, "rho": 0.9, "eps": 1e-8}, Clip(value=0.5), None),
]


@pytest.mark.parametrize("case", CLIP_CASES, ids=[c[0] for c in CLIP_CASES])
def test_clipping_reproduces_torch(case):
    _, surface_name, name, hp, clip, scheduled = case
    surface = surfaces.get(surface_name)
    schedule, scheduler = scheduled or (None, None)
    starts = np.array(surface.starts[:1] + ((0.5, -0.8),), dtype=float)
    traj = optim.run(surface, optim.make(name, "pytorch", **hp, schedule=schedule, clip=clip), starts, STEPS)
    plain = optim.run(surface, optim.make(name, "pytorch", **hp, schedule=schedule), starts, STEPS)
    for i, start in enumerate(starts):
        expected, _ = torch_run(surface, name, hp, start, STEPS, scheduler, clip)
        np.testing.assert_allclose(traj.positions[:, i], expected, rtol=1e-12, atol=1e-14)
    assert np.abs(plain.positions - traj.positions).max() > 1e-3  # clipping acted
    raw, clipped = traj.gradients, traj.state["clipped"][1:]
    if clip.norm is not None:
        norms = np.linalg.norm(clipped, axis=-1)
        assert norms.max() <= clip.norm * (1 + 1e-12)
        cos = np.einsum("...i,...i->...", raw, clipped) / (np.linalg.norm(raw, axis=-1) * norms)
        np.testing.assert_allclose(cos, 1.0, rtol=1e-12)  # the same direction
    else:
        np.testing.assert_array_equal(clipped, np.clip(raw, -clip.value, clip.value))


def test_clipping_columns_in_the_table():
    """The table shows the gradient before (the notes' f'(w)) and after clipping; without clipping no new columns."""
    surface = surfaces.get("notes-quadratic")
    traj = optim.run(surface, optim.make("gd", lr=0.1, clip=Clip(norm=2.0)), [2.0], 5)
    table = traj.table
    assert table.columns == ("iteration", "w", "f(w)", "f'(w)", "w_next", "g_clip")
    g = table.column("f'(w)")
    np.testing.assert_allclose(table.column("g_clip"), g * np.minimum(1.0, 2.0 / (np.abs(g) + 1e-6)), rtol=1e-15)
    np.testing.assert_allclose(table.column("w_next"), table.column("w") - 0.1 * table.column("g_clip"), rtol=1e-15)
    plain = optim.run(surface, optim.make("gd", lr=0.1), [2.0], 5).table
    assert plain.columns == ("iteration", "w", "f(w)", "f'(w)", "w_next")


def test_no_schedule_no_clip_is_bit_identical():
    """A constant schedule and no clipping are no schedule: the run is the plain one, bit for bit."""
    surface = surfaces.get("rosenbrock")
    for name in ("gd", "momentum", "nesterov", "adagrad", "rmsprop", "adadelta", "adam"):
        plain = optim.run(surface, optim.make(name), STARTS, 30)
        same = optim.run(surface, optim.make(name, schedule=Schedule(), clip=Clip()), STARTS, 30)
        np.testing.assert_array_equal(plain.positions, same.positions)
        assert set(same.state) == set(plain.state) and same.schedule is None and same.clip is None


def test_grid_of_learning_rates_with_a_schedule_equals_single_runs():
    """A schedule scales each cell's own η: a grid of rates is the same as one run per rate."""
    surface = surfaces.get("elongated-bowl")
    schedule = Schedule("cosine", t_max=25, eta_min=0.001, warmup=3)
    lrs = np.array([0.01, 0.03, 0.05])
    grid = optim.run(surface, optim.make("momentum", lr=lrs, beta=0.8, schedule=schedule), [-1.6, 1.9], 40)
    for i, lr in enumerate(lrs):
        one = optim.run(surface, optim.make("momentum", lr=float(lr), beta=0.8, schedule=schedule), [-1.6, 1.9], 40)
        np.testing.assert_array_equal(grid.positions[:, i], one.positions)


# -- RMSProp with bias correction ----------------------------------------------------------------------------------

def test_rmsprop_bias_correction_closed_form():
    """ŝ_t = s_t / (1 − ρᵗ) and w ← w − η g / (√ŝ_t + ε), written out for the quartic from the docstring."""
    surface = surfaces.get("quartic")
    lr, rho, eps = 0.05, 0.9, 1e-8
    traj = optim.run(surface, optim.make("rmsprop", lr=lr, rho=rho, eps=eps, bias_correction=True), [-1.4], 30)
    w, s = -1.4, 0.0
    for t in range(1, 31):
        g = float(surface.grad(np.array([w]))[0])
        s = rho * s + (1 - rho) * g * g
        w = w - lr * g / (math.sqrt(s / (1 - rho**t)) + eps)
        assert traj.positions[t, 0] == pytest.approx(w, rel=1e-13)
    # the first step is a sign step of length η: ŝ_1 = g_1²
    assert abs(traj.positions[1, 0] - traj.positions[0, 0]) == pytest.approx(lr, rel=1e-6)


def test_rmsprop_bias_correction_is_adam_with_beta1_zero():
    """torch's RMSprop has no bias correction; Adam with β₁ = 0 and bias correction is the identity reference."""
    surface = surfaces.get("rosenbrock")
    hp = {"lr": 0.01, "rho": 0.95, "eps": 1e-8}
    ours = optim.run(surface, optim.make("rmsprop", **hp, bias_correction=True), STARTS, STEPS)
    adam = optim.run(surface, optim.make("adam", lr=0.01, beta1=0.0, beta2=0.95, eps=1e-8), STARTS, STEPS)
    np.testing.assert_allclose(ours.positions, adam.positions, rtol=1e-12, atol=1e-14)
    for i, start in enumerate(STARTS):
        expected, _ = torch_run(surface, "adam", {"lr": 0.01, "beta1": 0.0, "beta2": 0.95, "eps": 1e-8}, start, STEPS)
        np.testing.assert_allclose(ours.positions[:, i], expected, rtol=1e-12, atol=1e-14)
    plain = optim.run(surface, optim.make("rmsprop", **hp), STARTS, STEPS)
    assert np.abs(plain.positions - ours.positions).max() > 1e-3


def test_rmsprop_bias_correction_formulas():
    spec = optim.spec("rmsprop")
    assert r"\hat s_t &= \frac{s_t}{1-\rho^t}" in spec.latex({"bias_correction": True})
    assert r"\hat s" not in spec.latex()
    surface = surfaces.get("quartic")
    traj = optim.run(surface, optim.make("rmsprop", lr=0.05, bias_correction=True), [-1.4], 3)
    s2 = traj.state["s"][2, 0]
    assert rf"\hat s_{{2}} &= \frac{{s_{{2}}}}{{1 - 0.9^{{2}}}} = \begin{{pmatrix}}{optim.tex.tex_number(s2 / 0.19)}" \
        in spec.numeric(surface, traj, 2)


# -- bad input ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, message", [
    ({"kind": "exponential", "gamma": 0.0}, "gamma"),
    ({"kind": "step", "gamma": 1.5}, "gamma"),
    ({"kind": "inverse-time", "decay": -0.1}, "decay"),
    ({"kind": "step", "step_size": 0}, "step_size"),
    ({"kind": "cosine", "t_max": 0}, "t_max"),
    ({"kind": "cosine-restarts", "t0": 0}, "t0"),
    ({"kind": "cosine-restarts", "t_mult": 1.5}, "t_mult"),
    ({"kind": "cosine", "eta_min": -1.0}, "eta_min"),
    ({"warmup": -2}, "warmup"),
    ({"kind": "linear"}, "schedule must be one of"),
    ({"gamma": float("nan")}, "gamma"),
])
def test_bad_schedules_are_refused_in_one_line(kwargs, message):
    with pytest.raises(ValueError, match=message) as err:
        Schedule(**kwargs)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("kwargs", [{"norm": 0.0}, {"norm": -1.0}, {"value": 0}, {"norm": 1.0, "value": 1.0},
                                    {"value": float("inf")}])
def test_bad_clipping_is_refused(kwargs):
    with pytest.raises(ValueError, match="clip"):
        Clip(**kwargs)


def test_warmup_longer_than_the_run_and_second_order_methods_are_refused():
    surface = surfaces.get("bowl")
    with pytest.raises(ValueError, match="warm-up .20 steps. is longer than the run .10 steps."):
        optim.run(surface, optim.make("gd", schedule=Schedule(warmup=20)), [1.0, 1.0], 10)
    for name in ("newton", "cg", "bfgs"):
        with pytest.raises(ValueError, match="first-order"):
            optim.make(name, schedule=Schedule("exponential", gamma=0.9))
        with pytest.raises(ValueError, match="first-order"):
            optim.make(name, clip=Clip(norm=1.0))


# -- the line search's default ----------------------------------------------------------------------------------------

def test_line_search_default_is_exact_on_quadratic_surfaces():
    from surfaces.typed import typed_surface

    cases = {"elongated-bowl": "exact", "notes-quadratic": "exact", "linear-regression": "exact",
             "rosenbrock": "armijo", "quartic": "armijo", "beale": "armijo"}
    for name, kind in cases.items():
        for method in ("cg", "bfgs"):
            assert optim.registry.options_for(surfaces.get(name), method)["line_search"] == kind
    assert typed_surface("3*x^2 + x*y + y^2 - x").quadratic and not typed_surface("x^4 + y^2").quadratic
    assert "line_search" not in optim.registry.options_for(surfaces.get("bowl"), "adam")


def test_sweep_of_cg_on_a_quadratic_uses_the_exact_search():
    """With the surface's default (exact) CG reaches the minimum of the 2-D elongated bowl in two steps in every cell."""
    from optim.sweep import Axis, SweepSpec, run_cell, sweep

    spec = SweepSpec("elongated-bowl", "cg", (-1.6, 1.9), 3, (Axis("c1", 1e-4, 0.4, 3),))
    result = sweep(spec)
    assert np.all(result.status == optim.Status.CONVERGED)
    np.testing.assert_allclose(result.final_position, 0.0, atol=1e-12)
    assert run_cell(spec, (0, 0)).options["line_search"] == "exact"


def test_sweep_takes_a_schedule_and_clipping():
    from optim.sweep import Axis, SweepSpec, run_cell, sweep

    schedule, clip = Schedule("exponential", gamma=0.9), Clip(norm=1.0)
    spec = SweepSpec("elongated-bowl", "momentum", (-1.6, 1.9), 30, (Axis("lr", 0.01, 0.1, 4),), (("beta", 0.8),),
                     schedule=schedule, clip=clip)
    result = sweep(spec)
    for i, lr in enumerate(spec.axes[0].values):
        one = optim.run(surfaces.get("elongated-bowl"),
                        optim.make("momentum", lr=float(lr), beta=0.8, schedule=schedule, clip=clip), [-1.6, 1.9], 30)
        np.testing.assert_array_equal(result.final_position[i, 0], one.final_position)
    cell = run_cell(spec, (2, 0))
    np.testing.assert_allclose(cell.table.column("eta_t"), spec.axes[0].values[2] * 0.9 ** np.arange(30), rtol=1e-14)
    with pytest.raises(ValueError, match="warm-up"):
        SweepSpec("bowl", "gd", (1.0, 1.0), 5, (Axis("lr", 0.01, 0.1, 2),), schedule=Schedule(warmup=6))


def test_schedule_figure_and_texts():
    """The figure is valid plotly, draws η_t of each optimizer from its own η, with axes t and η_t."""
    import plotly.graph_objects as go

    from viz.schedules import schedule_figure
    from viz.style import theme

    schedule = Schedule("step", gamma=0.5, step_size=4, warmup=2)
    raw = schedule_figure(schedule, {"gd": 0.1, "adam": 0.01}, 12, theme(False))
    fig = go.Figure(raw.to_dict())  # validates every property
    assert fig.layout.xaxis.title.text == "t" and fig.layout.yaxis.title.text == "η<sub>t</sub>"
    t = np.arange(12)
    np.testing.assert_allclose(np.asarray(raw.data[1].y, dtype=float), 0.01 * 0.5 ** (t // 4) * np.minimum(t, 2) / 2, rtol=1e-15)
    assert schedule.text() == "step (γ = 0.5, s = 4), warm-up 2"
    assert schedule.latex() == r"\eta_t = \min\Big(1, \frac{t}{N}\Big)\,\Big(\eta\, \gamma^{\lfloor t / s \rfloor}\Big)" \
        r", \quad \gamma = 0.5, s = 4, N = 2"
    assert Clip(norm=2.0).text() == "clip ‖g‖ ≤ 2" and "0.5" in Clip(value=0.5).latex()


def test_chunked_run_with_a_schedule_and_clipping_equals_the_unsplit_run(monkeypatch):
    """Large batches run in thread chunks: each chunk keeps the schedule and clipping, and its own slice of η."""
    import importlib

    run_module = importlib.import_module("optim.run")
    rng = np.random.default_rng(2)
    starts = rng.uniform(-2, 2, (600, 2))
    lr = np.geomspace(1e-4, 1e-2, 600)
    opt = optim.make("momentum", lr=lr, beta=0.9, schedule=Schedule("cosine-restarts", t0=7, t_mult=2, warmup=3),
                     clip=Clip(norm=20.0))
    monkeypatch.setenv("OPTIM_THREADS", "1")
    whole = optim.run(surfaces.get("rosenbrock"), opt, starts, 40)
    monkeypatch.setenv("OPTIM_THREADS", "3")
    monkeypatch.setattr(run_module, "PARALLEL_MIN_CHUNK", 150)
    split = optim.run(surfaces.get("rosenbrock"), opt, starts, 40)
    np.testing.assert_array_equal(split.positions, whole.positions)
    np.testing.assert_array_equal(split.state["eta_t"], whole.state["eta_t"])
    np.testing.assert_array_equal(split.state["clipped"], whole.state["clipped"])


@pytest.mark.parametrize("evaluation", ["lookahead", "pytorch"])
def test_nesterov_with_a_schedule_equals_the_docstring_loop(evaluation):
    """The notes' look-ahead form takes its gradient at w − η_t β v (the step's own rate); both forms written out
    from the docstring with η_t in place of η, EMA velocity, on the quartic."""
    surface = surfaces.get("quartic")
    schedule = Schedule("exponential", gamma=0.9, warmup=2)
    lr, beta = 0.02, 0.8
    traj = optim.run(surface, optim.make("nesterov", lr=lr, beta=beta, evaluation=evaluation, schedule=schedule),
                     [-1.4], 25)
    grad = lambda w: float(surface.grad(np.array([w]))[0])  # noqa: E731
    w, v = -1.4, 0.0
    for t in range(25):
        eta = schedule.rate(lr, t)
        if evaluation == "lookahead":
            v = beta * v + (1 - beta) * grad(w - eta * beta * v)
            w = w - eta * v
        else:
            g = grad(w)
            v = beta * v + (1 - beta) * g
            w = w - eta * ((1 - beta) * g + beta * v)
        assert traj.positions[t + 1, 0] == pytest.approx(w, rel=1e-13, abs=1e-15)
