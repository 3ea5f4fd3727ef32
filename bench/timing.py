"""Timing shared by the benchmarks (imported by the bench_*.py scripts)."""

from __future__ import annotations

import time


def interleaved(fns: dict, repeat: int) -> dict[str, list[float]]:
    """Time every function ``repeat`` times, round-robin, so that a change of load hits all of them alike."""
    for fn in fns.values():
        fn()  # warm-up
    times = {name: [] for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    return times
