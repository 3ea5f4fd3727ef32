"""Benchmark of the fair race's tuning (``optim.tuning``): every optimizer tuned at the playground's largest
settings, each grid one vectorized sweep call.

    .venv/bin/python bench/bench_tuning.py [--steps 500] [--surface rosenbrock] [--repeat 3]

Prints, per criterion, the median seconds per optimizer and in total (the page's budget for a link is about 10 s).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import optim  # noqa: E402
import surfaces  # noqa: E402
from optim.tuning import CRITERIA, tune, tuning_spec  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--surface", default="rosenbrock")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    s = surfaces.get(args.surface)
    print(f"{args.surface}, {args.steps} steps, {len(optim.NAMES)} optimizers; median of {args.repeat}")
    for criterion in CRITERIA:
        times = {}
        for name in optim.NAMES:
            spec = tuning_spec(args.surface, name, s.starts[0], args.steps, fixed=optim.defaults_for(s, name))
            runs = []
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                tune(spec, criterion)
                runs.append(time.perf_counter() - t0)
            times[name] = (statistics.median(runs), spec.shape)
        total = sum(t for t, _ in times.values())
        cells = ", ".join(f"{n} {t:.2f} s ({a}x{b})" for n, (t, (a, b)) in times.items())
        print(f"{criterion:9s} total {total:.2f} s: {cells}")


if __name__ == "__main__":
    main()
