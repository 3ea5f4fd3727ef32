"""Benchmark: a typed-in Rosenbrock against the catalog's Rosenbrock on the 200 x 200 sweep, in the same run.

    .venv/bin/python bench/bench_typed.py [--repeat N] [--steps T]

Both sweeps are the same ``optim.sweep`` call (Adam, lr x beta1 on a 200 x 200 grid from (-1.5, 2), final point
and status only); only the surface differs: the catalog's hand-written numpy against ``(1-x)^2 + 100*(y-x^2)^2``
typed in, parsed by ``surfaces.typed`` and compiled by ``sympy.lambdify`` (the typed surface also checks every
step for leaving its domain). The two run round-robin and the median of each is reported with their ratio
(typed / catalog; the target is at most 2). The typed surface is built once before timing (its build time is
printed separately) and both results are checked to agree.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from optim.sweep import Axis, SweepSpec, sweep  # noqa: E402
from surfaces.typed import typed_surface  # noqa: E402

TEXT = "(1-x)^2 + 100*(y-x^2)^2"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--steps", type=int, default=500)
    args = parser.parse_args()

    start = time.perf_counter()
    typed = typed_surface(TEXT)
    build = time.perf_counter() - start
    axes = (Axis.parse("lr=1e-4:1:200:log"), Axis.parse("beta1=0:0.99:200"))
    specs = {name: SweepSpec(name, "adam", (-1.5, 2.0), args.steps, axes)
             for name in ("rosenbrock", typed.name)}
    times: dict[str, list[float]] = {name: [] for name in specs}
    results = {}
    for _ in range(args.repeat):
        for name, spec in specs.items():
            t0 = time.perf_counter()
            results[name] = sweep(spec)
            times[name].append(time.perf_counter() - t0)
    catalog, own = results["rosenbrock"], results[typed.name]
    same = np.array_equal(catalog.status, own.status)
    both = (catalog.status == 0) & (own.status == 0) & (catalog.final_loss < 1e-3)  # settled near the minimum
    loss_diff = float(np.max(np.abs(catalog.final_loss[both] - own.final_loss[both]), initial=0.0))
    med = {name: statistics.median(t) for name, t in times.items()}
    print(f"typed surface built in {build * 1000:.0f} ms (parse, derivatives, lambdify, stationary points)")
    print(f"200 x 200 Adam sweep, {args.steps} steps, median of {args.repeat}:")
    print(f"  catalog rosenbrock  {med['rosenbrock'] * 1000:8.1f} ms")
    print(f"  typed   {TEXT}  {med[typed.name] * 1000:8.1f} ms")
    print(f"  ratio typed / catalog: {med[typed.name] / med['rosenbrock']:.2f}  (target <= 2)")
    print(f"  same statuses: {same}; largest final-loss difference over the {int(both.sum())} cells within 1e-3 of the minimum in both: {loss_diff:.3g}")


if __name__ == "__main__":
    main()
