"""Iteration tables: one row per step of one trajectory, in the layout of the course notes.

1-D surfaces: ``iteration, w, f(w), f'(w), w_next`` (the notes' columns), then the optimizer's state.
2-D surfaces: ``iteration, x, y, f, df/dx, df/dy, x_next, y_next``, then the state, named with the surface's
own variables (``w, b`` on linear regression). Row i shows the point before step i, its loss, the gradient
step i used, the point after it, and the optimizer's state after it. A diverged run's table ends with the
step that left the bound.

This module builds the columns as plain numpy; ``viz.tables`` turns them into a pandas DataFrame and
:func:`to_csv` writes them at full precision (every float as its shortest round-trip representation).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import numpy as np

from .run import Trajectory

#: how each recorded state field is named in a table (suffixed per coordinate unless noted)
STATE_LABELS = {"v": "v", "G": "G", "s": "s", "delta": "u", "m": "m", "lr_eff": "lr_eff", "lookahead": "look"}


@dataclass(frozen=True)
class Table:
    columns: tuple[str, ...]
    data: np.ndarray  # (rows, columns); column 0 holds the iteration numbers

    def column(self, name: str) -> np.ndarray:
        return self.data[:, self.columns.index(name)]


def state_columns(traj: Trajectory) -> list[str]:
    """Column names of the optimizer state, in table order."""
    vars_ = traj.surface.variables
    cols = []
    for name in traj.state:
        if name == "curvature":
            cols += ["f''(w)"] if len(vars_) == 1 else [f"lambda_{i + 1}" for i in range(len(vars_))]
        elif name == "lookahead":
            cols += [f"{v}_look" for v in vars_]
        elif len(vars_) == 1:
            cols.append(STATE_LABELS[name])
        else:
            cols += [f"{STATE_LABELS[name]}_{v}" for v in vars_]
    return cols


def columns(traj: Trajectory) -> tuple[str, ...]:
    vars_ = traj.surface.variables
    if len(vars_) == 1:
        base = ["iteration", "w", "f(w)", "f'(w)", "w_next"]
    else:
        base = ["iteration", *vars_, "f", *(f"df/d{v}" for v in vars_), *(f"{v}_next" for v in vars_)]
    return tuple(base + state_columns(traj))


def iteration_table(traj: Trajectory, index=()) -> Table:
    """The table of the trajectory at batch ``index`` (``()`` for a run from a single start point)."""
    if traj.gradients is None:
        raise ValueError("an iteration table needs a run made with record='all'")
    index = index if isinstance(index, tuple) else (index,)
    sel = (slice(None),) + index
    rows = int(traj.rows[index])
    pos = traj.positions[sel]  # (steps + 1, d)
    parts = [
        np.arange(1, rows + 1)[:, None].astype(float),
        pos[:rows],
        traj.losses[sel][:rows, None],
        traj.gradients[sel][:rows],
        pos[1 : rows + 1],
    ]
    parts += [traj.state[name][sel][1 : rows + 1] for name in traj.state]
    return Table(columns(traj), np.concatenate([p.reshape(rows, -1) for p in parts], axis=1))


def to_csv(table: Table) -> str:
    """CSV text: a header, then one row per iteration; floats at full precision (read back bit for bit)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(table.columns)
    writer.writerows([str(int(row[0]))] + [repr(float(v)) for v in row[1:]] for row in table.data)
    return buf.getvalue()
