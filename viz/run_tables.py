"""The playground's tables: one summary row per optimizer, and every run's iteration table stacked into one
long CSV."""

from __future__ import annotations

import csv
import io

import pandas as pd

from surfaces import Surface

from optim import Trajectory


def summary_frame(surface: Surface, runs: list[Trajectory]) -> pd.DataFrame:
    """One row per optimizer: its settings, outcome, final point, final loss and distance to the nearest minimum."""
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
    return pd.DataFrame(rows)


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
