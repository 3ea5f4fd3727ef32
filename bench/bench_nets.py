#!/usr/bin/env python3
"""Time the demo computations of nets/ with their page defaults and print what each one found.

    python bench/bench_nets.py          # best of 3 runs each

The pages call these once per change of a widget, so each should stay well under a few seconds.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from nets import (  # noqa: E402
    MEMORY_BUDGET,
    batchnorm_forward,
    bn_learning_rate_experiment,
    gradient_flow,
    lstm_vs_rnn,
    make_activations,
    max_memory_steps,
    recovery_demo,
    running_average_demo,
)


def best_of(fn, repeat: int = 3):
    times, result = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return min(times), result


def main() -> None:
    threadpool_limits(limits=1, user_api="blas")  # as the app runs (ui/threads.py)
    rows = []
    t, _ = best_of(lambda: batchnorm_forward(make_activations(256, 1, shift=3, scale=2, skew=4)))
    rows.append(("BN steps, m = 256", t, ""))
    t, tr = best_of(running_average_demo)
    rows.append(("BN running averages, 100 batches", t, f"running mean {tr.running_mean[-1, 0]:.3f} (pop. 3)"))
    t, r = best_of(bn_learning_rate_experiment)
    rows.append(("BN learning rates, 5 lr x 2, 600 steps", t,
                 f"plain {r.plain.outcome}, BN {r.bn.outcome}"))
    t, g = best_of(gradient_flow)
    rows.append(("gradient flow, T = 60", t, f"RNN {g.rnn[0]:.1e}, LSTM {g.lstm_h[0]:.2f} at t = 0 (4 at T)"))
    t, c = best_of(lstm_vs_rnn)
    rows.append(("LSTM vs RNN memory task, 300 steps each", t,
                 f"LSTM {c.lstm.final_accuracy:.3f}, RNN {c.rnn.final_accuracy:.3f}"))
    most = max_memory_steps(100, 32)
    t_most, _ = best_of(lambda: lstm_vs_rnn(T=100, hidden=32, steps=most), repeat=1)
    rows.append((f"memory task at its largest: T = 100, 32 units, {most} steps", t_most,
                 f"{t_most / t:.1f} x the defaults; work {most * 100 * 36:,} of the budget {MEMORY_BUDGET:,}, "
                 f"defaults {300 * 50 * 12:,}"))
    t, rec = best_of(recovery_demo)
    first = int(np.argmax(rec.errors < 0.02))
    rows.append(("theta recovery, 150 Adam steps", t, f"error {rec.errors[-1]:.4f}, < 0.02 from step {first}"))
    t, rec = best_of(lambda: recovery_demo(mode="translation"))
    rows.append(("translation recovery, 150 steps", t, f"error {rec.errors[-1]:.1e}"))
    width = max(len(r[0]) for r in rows)
    for name, secs, note in rows:
        print(f"{name:<{width}}  {secs:7.3f} s  {note}")


if __name__ == "__main__":
    main()
