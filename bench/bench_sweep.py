"""Benchmark of the hyperparameter map's grid against torch.optim, measured in the same process.

    python bench/bench_sweep.py [--repeat N] [--steps 500] [--size 200]

The workload of the issue: a 200 x 200 grid of Adam on Rosenbrock, (lr log-spaced 1e-4 to 1) x (beta1 0 to
0.99), 500 steps from (-1.5, 2), float64, final point and status only (``record="final"``), as
``optim.sweep.sweep`` runs it for the page and the ``sweep`` command: one vectorized call of the core.

torch.optim runs the same 40,000 trajectories for 500 steps on one (40000, 2) float64 tensor. It cannot take a
hyperparameter per element, so it gets one (lr, beta1) pair for all of them; ours runs the real grid. Two torch
variants: "analytic" (the Rosenbrock gradient written into ``p.grad`` with torch ops, the strongest reference)
and "autograd" (``loss.sum().backward()``, how torch is normally used). Budgets: ours under 0.5 s on a 2-core
machine, and at least 1.5 times faster than torch. Timings are medians; the ratios are measured in this run,
so a busy machine slows both sides alike.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from optim.sweep import Axis, SweepSpec, row_blocks, sweep  # noqa: E402

BUDGET_SECONDS = 0.5
BUDGET_RATIO = 1.5


def median_time(fn, repeat: int) -> tuple[float, list[float]]:
    fn()  # warm-up
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), times


def grid_spec(size: int, steps: int) -> SweepSpec:
    return SweepSpec("rosenbrock", "adam", (-1.5, 2.0), steps,
                     (Axis("lr", 1e-4, 1.0, size, log=True), Axis("beta1", 0.0, 0.99, size)))


def torch_runs(torch, k: int, steps: int):
    torch.set_default_dtype(torch.float64)

    def rosen(p):
        x, y = p[:, 0], p[:, 1]
        return (1.0 - x) ** 2 + 100.0 * (y - x * x) ** 2

    def rosen_grad(p):
        x, y = p[:, 0], p[:, 1]
        r = y - x * x
        g = torch.empty_like(p)
        g[:, 1] = 200.0 * r
        g[:, 0] = 2.0 * (x - 1.0 - 200.0 * x * r)
        return g

    starts = np.repeat([[-1.5, 2.0]], k, axis=0)

    def run(autograd: bool):
        p = torch.tensor(starts, requires_grad=True)
        opt = torch.optim.Adam([p], lr=1e-2, betas=(0.9, 0.999))
        for _ in range(steps):
            if autograd:
                opt.zero_grad()
                rosen(p).sum().backward()
            else:
                with torch.no_grad():
                    p.grad = rosen_grad(p)
            opt.step()
        with torch.no_grad():
            return rosen(p)

    return lambda: run(False), lambda: run(True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="timed repetitions (median reported)")
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--size", type=int, default=200, help="values per axis")
    args = parser.parse_args()
    spec = grid_spec(args.size, args.steps)
    k = args.size * args.size
    assert row_blocks(spec) == [(0, args.size)] or args.size * args.size * args.steps > 200 * 200 * 500

    ours, ours_all = median_time(lambda: sweep(spec), args.repeat)
    result = sweep(spec)
    print(f"numpy {np.__version__}; {os.cpu_count()} CPUs; OPTIM_THREADS={os.environ.get('OPTIM_THREADS', 'all')}; "
          f"median of {args.repeat} runs")
    print(f"grid: {args.size} x {args.size} = {k:,} Adam runs on Rosenbrock x {args.steps} steps, record='final'")
    print(f"ours (optim.sweep, one call)        {ours * 1e3:8.1f} ms   (runs: "
          + ", ".join(f"{t * 1e3:.0f}" for t in ours_all) + ")")
    print(f"  outcomes: {result.counts()}")
    try:
        import torch
    except ImportError:
        print("torch is not installed: our time only (pip install torch==2.13.0 for the comparison)")
        return 0
    analytic, autograd = torch_runs(torch, k, args.steps)
    t_an, _ = median_time(analytic, args.repeat)
    t_ag, _ = median_time(autograd, args.repeat)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; one (lr, beta1) for all {k:,} rows")
    print(f"torch.optim.Adam, analytic p.grad   {t_an * 1e3:8.1f} ms   ratio torch/ours {t_an / ours:5.2f}")
    print(f"torch.optim.Adam, autograd          {t_ag * 1e3:8.1f} ms   ratio torch/ours {t_ag / ours:5.2f}")
    ok_time, ok_ratio = ours < BUDGET_SECONDS, t_an / ours >= BUDGET_RATIO
    print(f"budget: ours < {BUDGET_SECONDS} s: {'met' if ok_time else 'MISSED'}; "
          f">= {BUDGET_RATIO}x torch (analytic): {'met' if ok_ratio else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
