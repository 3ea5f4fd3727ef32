"""Cross-check against PyTorch: the ``pytorch`` convention reproduces torch.optim in float64.

PyTorch is a test-only reference (the ``torch`` extra). Without it these tests are skipped with a reason,
except when the environment variable CI is set: CI must run them, so there a missing torch is a failure.
"""

from __future__ import annotations


import numpy as np
import pytest
from helpers import require_torch, torch_optimizer

import optim
import surfaces

torch = require_torch("the cross-check against torch.optim", module_level=True)

STEPS = 50


def torch_positions(surface, name: str, hp: dict, starts: np.ndarray, steps: int) -> np.ndarray:
    """Positions (steps + 1, K, d) of torch.optim from K start points held as one (K, d) float64 tensor, with the
    surface's analytic gradient written into p.grad at each step."""
    p = torch.tensor(starts, dtype=torch.float64, requires_grad=True)
    opt = torch_optimizer(torch, name, p, hp)
    out = [p.detach().numpy().copy()]
    for _ in range(steps):
        opt.zero_grad()
        p.grad = torch.from_numpy(surface.grad(p.detach().numpy()))
        opt.step()
        out.append(p.detach().numpy().copy())
    return np.array(out)


def _starts(surface, k=5, seed=0) -> np.ndarray:
    lo, hi = np.array(surface.bounds).T
    rnd = lo + (hi - lo) * np.random.default_rng(seed).random((k - len(surface.starts), surface.dim))
    return np.concatenate([np.array(surface.starts, dtype=float), rnd])


CASES = {
    # surface: {optimizer: hyperparameters}; two sets per optimizer, the second with a large eps so that its
    # placement (inside or outside the root) shows in the numbers.
    "elongated-bowl": [
        {"gd": {"lr": 0.07}, "sgd": {"lr": 0.03}, "momentum": {"lr": 0.02, "beta": 0.8},
         "nesterov": {"lr": 0.02, "beta": 0.8}, "adagrad": {"lr": 0.5, "eps": 1e-10},
         "rmsprop": {"lr": 0.02, "rho": 0.9, "eps": 1e-8}, "adadelta": {"lr": 1.0, "rho": 0.9, "eps": 1e-6},
         "adam": {"lr": 0.1, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8}},
        {"momentum": {"lr": 0.01, "beta": 0.95}, "nesterov": {"lr": 0.01, "beta": 0.5},
         "adagrad": {"lr": 0.5, "eps": 0.5}, "rmsprop": {"lr": 0.05, "rho": 0.5, "eps": 0.5},
         "adadelta": {"lr": 0.5, "rho": 0.5, "eps": 0.1}, "adam": {"lr": 0.05, "beta1": 0.5, "beta2": 0.9, "eps": 0.5}},
    ],
    "rosenbrock": [
        {"gd": {"lr": 1e-3}, "sgd": {"lr": 5e-4}, "momentum": {"lr": 1e-4, "beta": 0.9},
         "nesterov": {"lr": 1e-4, "beta": 0.9}, "adagrad": {"lr": 0.1, "eps": 1e-10},
         "rmsprop": {"lr": 0.01, "rho": 0.9, "eps": 1e-8}, "adadelta": {"lr": 1.0, "rho": 0.9, "eps": 1e-6},
         "adam": {"lr": 0.01, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8}},
        {"momentum": {"lr": 2e-4, "beta": 0.5}, "nesterov": {"lr": 2e-4, "beta": 0.8},
         "adagrad": {"lr": 0.05, "eps": 1.0}, "rmsprop": {"lr": 0.005, "rho": 0.99, "eps": 1.0},
         "adadelta": {"lr": 2.0, "rho": 0.95, "eps": 1e-2},
         "adam": {"lr": 0.005, "beta1": 0.8, "beta2": 0.99, "eps": 1.0}},
    ],
}

PARAMS = [(s, i, name, hp) for s, sets in CASES.items() for i, hps in enumerate(sets) for name, hp in hps.items()]


@pytest.mark.parametrize("surface_name, set_index, name, hp", PARAMS,
                         ids=[f"{s}-{n}-{i}" for s, i, n, _ in PARAMS])
def test_pytorch_convention_reproduces_torch_optim(surface_name, set_index, name, hp):
    surface = surfaces.get(surface_name)
    starts = _starts(surface)
    expected = torch_positions(surface, name, hp, starts, STEPS)
    traj = optim.run(surface, optim.make(name, "pytorch", **hp), starts, STEPS, noise=0.0)
    assert traj.positions.shape == expected.shape == (STEPS + 1, 5, 2)
    assert np.all(traj.status != optim.Status.DIVERGED)
    assert np.abs(expected[-1] - expected[0]).max() > 1e-3  # the runs went somewhere
    np.testing.assert_allclose(traj.positions, expected, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("name", ["momentum", "nesterov", "adagrad"])
def test_the_notes_convention_is_not_torch(name):
    """The comparison discriminates: where the notes' rule differs (EMA momentum, eps inside Adagrad's root),
    the notes convention does not reproduce torch.optim."""
    surface = surfaces.get("elongated-bowl")
    hp = CASES["elongated-bowl"][1][name]
    starts = _starts(surface)
    expected = torch_positions(surface, name, hp, starts, STEPS)
    notes = optim.run(surface, optim.make(name, "notes", **hp), starts, STEPS)
    assert not np.allclose(notes.positions, expected, rtol=1e-6)


# -- the surfaces' derivatives against torch.autograd -------------------------------------------------------------

TORCH_FORMULAS = {
    "rosenbrock": lambda x, y: (1 - x) ** 2 + 100 * (y - x**2) ** 2,
    "beale": lambda x, y: (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2,
    "himmelblau": lambda x, y: (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2,
    "rastrigin": lambda x, y: 20 + x**2 - 10 * torch.cos(2 * torch.pi * x) + y**2 - 10 * torch.cos(2 * torch.pi * y),
    "two-minima": lambda x, y: 6 * x**4 - 2 * x**3 - 12 * x**2 + x + 1 + 2 * y**2,
    "elongated-bowl": lambda x, y: 6.5 * x**2 + 12 * x * y + 6.5 * y**2,
    "saddle": lambda x, y: x**2 - y**2,
}


@pytest.mark.parametrize("name", list(TORCH_FORMULAS))
def test_gradient_and_hessian_against_torch_autograd(name):
    surface = surfaces.get(name)
    pts = _starts(surface, k=8, seed=3)

    def fn(p):
        return TORCH_FORMULAS[name](p[0], p[1])

    for p in pts:
        t = torch.tensor(p, dtype=torch.float64)
        g = torch.autograd.functional.jacobian(fn, t).numpy()
        H = torch.autograd.functional.hessian(fn, t).numpy()
        np.testing.assert_allclose(surface.grad(p), g, rtol=1e-12, atol=1e-10)
        np.testing.assert_allclose(surface.hess(p), H, rtol=1e-12, atol=1e-10)
