"""Benchmark of the optimizer core against torch.optim, measured in the same process.

    python3 dev.py bench            # or: .venv/bin/python bench/bench_core.py [--repeat N]

Workloads, all on Rosenbrock, float64:
  A  all nine optimizers x 1 start x 500 steps, full record (what a page does for one run)
  B  a 200 x 200 grid of (lr, beta) x 500 steps, for momentum and for Adam, keeping the path (positions and
     losses of every step)
  C  10,000 starts x 1,000 steps of Adam, final point and status only

torch.optim runs the same work on one (K, 2) float64 tensor: the same number of trajectories and steps, the
same history kept, gradients written into ``p.grad``. Two torch variants: "analytic" (the Rosenbrock gradient
in torch ops, the strongest reference) and "autograd" (``loss.backward()``, how torch is normally used). In B
torch.optim gets one (lr, beta) for the whole grid, as it has no per-element hyperparameters; ours still runs
the real 200 x 200 grid. Ratios above 1 mean ours is faster. Ours and torch run round-robin, so a change
of load hits both alike; absolute times depend on the machine, the ratios are what to compare.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from optim import make, run  # noqa: E402
from optim.registry import NAMES  # noqa: E402
from surfaces import get  # noqa: E402
from timing import interleaved  # noqa: E402  (bench/ is on the path of a script run from it)
from torch_reference import rosenbrock  # noqa: E402

ROSENBROCK = get("rosenbrock")
START = (-1.5, 2.0)
TORCH_CLASSES = {"gd": "SGD", "sgd": "SGD", "momentum": "SGD", "nesterov": "SGD", "adagrad": "Adagrad",
                 "rmsprop": "RMSprop", "adadelta": "Adadelta", "adam": "Adam"}


def grid_starts(k: int) -> np.ndarray:
    rng = np.random.default_rng(0)
    return np.column_stack([rng.uniform(-2, 2, k), rng.uniform(-1, 3, k)])


# -- ours ---------------------------------------------------------------------------------------------------------

def ours_a():
    for name in NAMES:
        hp = {"lr": 1e-3} if name not in ("adadelta", "newton") else {}
        run(ROSENBROCK, make(name, **hp), [START], 500, record="all", noise=0.0)


def ours_b(name: str):
    lr = np.geomspace(1e-5, 1e-2, 200)[:, None]
    beta = np.linspace(0.0, 0.99, 200)[None, :]
    hp = {"lr": lr, "beta": beta} if name == "momentum" else {"lr": lr * 10, "beta1": beta}
    opt = make(name, **hp)
    return lambda: run(ROSENBROCK, opt, [START], 500, record="path")


def ours_c():
    run(ROSENBROCK, make("adam", lr=1e-2), grid_starts(10_000), 1000, record="final")


# -- torch.optim ------------------------------------------------------------------------------------------------

def torch_workloads(torch):
    rosen, rosen_grad = rosenbrock(torch)

    def make_opt(name, p, lr, beta):
        cls = getattr(torch.optim, TORCH_CLASSES[name])
        if name in ("momentum", "nesterov"):
            return cls([p], lr=lr, momentum=beta, nesterov=name == "nesterov")
        if name == "adam":
            return cls([p], lr=lr, betas=(beta, 0.999))
        if name == "adadelta":
            return cls([p])
        return cls([p], lr=lr)

    def steps(name, starts, n, lr, beta, autograd: bool, keep_path: bool):
        p = torch.tensor(starts, requires_grad=True)
        opt = make_opt(name, p, lr, beta)
        if keep_path:
            positions = torch.empty((n + 1,) + tuple(p.shape))
            losses = torch.empty((n + 1, p.shape[0]))
        for t in range(n):
            if autograd:
                opt.zero_grad()
                loss = rosen(p)
                loss.sum().backward()
            else:
                with torch.no_grad():
                    loss = rosen(p)
                    p.grad = rosen_grad(p)
            if keep_path:
                with torch.no_grad():
                    positions[t] = p
                    losses[t] = loss
            opt.step()
        if keep_path:
            with torch.no_grad():
                positions[n] = p
                losses[n] = rosen(p)

    def a(autograd):
        return lambda: [steps(n, [START], 500, 1e-3, 0.9, autograd, True) for n in TORCH_CLASSES]

    def b(name, autograd):
        s = np.repeat([START], 40_000, axis=0)
        lr = 1e-3 if name == "momentum" else 1e-2
        return lambda: steps(name, s, 500, lr, 0.9, autograd, True)

    def c(autograd):
        s = grid_starts(10_000)
        return lambda: steps("adam", s, 1000, 1e-2, 0.9, autograd, False)

    return a, b, c


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="timed repetitions per workload (median reported)")
    args = parser.parse_args()
    try:
        import torch
    except ImportError:
        torch = None

    workloads = [
        ("A  9 optimizers x 1 x 500 (torch: its 8)", ours_a, "a", None),
        ("B  momentum 200x200 grid x 500, path", ours_b("momentum"), "b", "momentum"),
        ("B  Adam 200x200 grid x 500, path", ours_b("adam"), "b", "adam"),
        ("C  Adam 10,000 starts x 1,000", ours_c, "c", None),
    ]
    print(f"numpy {np.__version__}; {os.cpu_count()} CPUs; {args.repeat} runs of each, ours and torch interleaved; "
          f"load average {os.getloadavg()[0]:.1f}")
    if torch is None:
        print("torch is not installed: our times only (pip install torch==2.13.0 for the comparison)")
    else:
        print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; "
              "ratio = torch time / our time (median of the runs, and of the best runs)")
        a, b, c = torch_workloads(torch)
    print(f"{'workload':42s} {'ours':>16s} {'torch analytic':>16s} {'ratio':>10s} {'torch autograd':>16s} "
          f"{'ratio':>10s}")
    print(f"{'':42s} {'median   best':>16s} {'median   best':>16s} {'med  best':>10s} {'median   best':>16s} "
          f"{'med  best':>10s}")
    for label, ours, kind, name in workloads:
        fns = {"ours": ours}
        if torch is not None:
            for autograd in (False, True):
                fns[autograd] = a(autograd) if kind == "a" else b(name, autograd) if kind == "b" else c(autograd)
        times = interleaved(fns, args.repeat)
        med = {k: statistics.median(t) for k, t in times.items()}
        best = {k: min(t) for k, t in times.items()}
        line = f"{label:42s} {med['ours'] * 1e3:7.1f} {best['ours'] * 1e3:7.1f}ms"
        for k in fns:
            if k != "ours":
                line += (f" {med[k] * 1e3:7.1f} {best[k] * 1e3:7.1f}ms {med[k] / med['ours']:4.2f} "
                         f"{best[k] / best['ours']:5.2f}")
        print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
