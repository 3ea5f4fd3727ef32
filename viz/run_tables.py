"""The playground's tables: one summary row per optimizer, and every run's iteration table stacked into one
long CSV."""

from __future__ import annotations

import csv
import io

import numpy as np
import pandas as pd

from surfaces import Surface

from optim import Trajectory, finish


def finish_frame(surface: Surface, runs: list[Trajectory], tol: float, measure: str = "loss") -> pd.DataFrame:
    """The finish line, one row per run (``optim.finish``): the first step within ``tol`` of the minimum in
    ``measure`` (-1: never), the best loss so far, the evaluations of ∇f, ∇²f and f up to that step, the wall time
    per step (ms) and the rank: finished runs by their step (a run that diverged after it finished still finished),
    then the others by how close they came (the smallest gap), those that diverged or left the domain last; ties by
    the best loss. Empty where the surface lists no minimum."""
    if not surface.minima:
        return pd.DataFrame()
    rows = []
    for r in runs:
        gaps = finish.gap(surface, r.losses, r.positions, measure)
        first = int(finish.first_within(gaps, tol, rows=r.rows))
        ev = finish.evaluations(r, first if first >= 0 else int(r.rows))
        failed = r.status_label() in ("diverged", "left the domain")
        closest = float(np.where(np.arange(len(gaps)) <= int(r.rows), gaps, np.inf).min())
        rows.append({"optimizer": r.optimizer, "title": r.title, "first": first, "failed": failed,
                     "stopped": int(r.rows), "closest": closest,
                     "best f": float(finish.best_so_far(r.losses, r.rows)),
                     "gradient": int(ev["gradient"]), "hessian": int(ev["hessian"]), "f": int(ev["f"]),
                     "ms per step": 1000.0 * float(r.seconds) / max(int(r.steps), 1)})
    df = pd.DataFrame(rows)
    key = [(0, 0, d["first"], d["best f"]) if d["first"] >= 0 else (1, int(d["failed"]), d["closest"], d["best f"])
           for d in rows]
    order = sorted(range(len(rows)), key=lambda i: key[i])
    rank = [0] * len(rows)
    for place, i in enumerate(order):
        rank[i] = place + 1
    df["rank"] = rank
    return df


def summary_frame(surface: Surface, runs: list[Trajectory], *, tol: float | None = None,
                  measure: str = "loss") -> pd.DataFrame:
    """One row per optimizer: its settings, outcome, final point, final loss and distance to the nearest minimum;
    with ``tol`` (on a surface that lists a minimum) the finish line too (:func:`finish_frame`)."""
    vx, vy = surface.variables
    rows = []
    for r in runs:
        row = {"optimizer": r.title, "settings": r.settings_text(), "outcome": r.outcome(),
               "at step": str(r.event_step) if r.event_step >= 0 else "",
               f"final {vx}": float(r.final_position[0]), f"final {vy}": float(r.final_position[1]),
               "final f": float(r.final_loss)}
        if surface.minima:
            dist, which = surface.nearest_minimum(r.final_position)
            m = surface.minima[int(which)]
            row["distance to nearest minimum"] = float(dist)
            row["nearest minimum"] = f"({m.point[0]:.4g}, {m.point[1]:.4g})"
        rows.append(row)
    out = pd.DataFrame(rows)
    if tol is not None and surface.minima:
        fin = finish_frame(surface, runs, tol, measure)
        reached = fin["first"] >= 0
        out.insert(1, "rank", fin["rank"].to_numpy())
        out[f"within tol ({measure}) at step"] = [str(k) if k >= 0 else "" for k in fin["first"]]
        out["best f so far"] = fin["best f"].to_numpy()
        for col, label in (("gradient", "∇f evals"), ("hessian", "∇²f evals"), ("f", "f evals")):
            out[f"{label} to finish"] = [str(v) if ok else "" for v, ok in zip(fin[col], reached)]
        out["ms per step"] = fin["ms per step"].to_numpy()
    return out


def long_columns(runs: list[Trajectory]) -> tuple[str, ...]:
    """The long table's columns: ``optimizer``, then every run's table columns in order of first appearance."""
    columns: list[str] = []
    for r in runs:
        columns += [c for c in r.table.columns if c not in columns]
    return ("optimizer", *columns)


def long_csv_rows(r: Trajectory, columns: tuple[str, ...]) -> str:
    """One run's rows of the long CSV (no header): full precision, empty where the run has no such column."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    pos = [r.table.columns.index(c) if c in r.table.columns else -1 for c in columns[2:]]
    for row in r.table.data:
        writer.writerow([r.optimizer, str(int(row[0]))] + [repr(float(row[p])) if p >= 0 else "" for p in pos])
    return buf.getvalue()


def long_csv(runs: list[Trajectory], rows: list[str] | None = None) -> bytes:
    """The long table as CSV at full precision (every float as its shortest round-trip text), empty = n/a.

    ``rows`` may give each run's :func:`long_csv_rows` already made (a page caches them per run).
    """
    columns = long_columns(runs)
    header = ",".join(f'"{c}"' if "," in c else c for c in columns) + "\n"
    rows = rows if rows is not None else [long_csv_rows(r, columns) for r in runs]
    return (header + "".join(rows)).encode()
