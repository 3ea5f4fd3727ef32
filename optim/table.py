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

from dataclasses import dataclass

import numpy as np

from .schedules import RUN_FIELDS
from .trajectory import Trajectory


@dataclass(frozen=True)
class Table:
    columns: tuple[str, ...]
    data: np.ndarray  # (rows, columns); column 0 holds the iteration numbers

    def column(self, name: str) -> np.ndarray:
        return self.data[:, self.columns.index(name)]


def state_columns(traj: Trajectory) -> list[str]:
    """Column names of the optimizer state, in table order."""
    spec = traj.spec
    field = lambda name: RUN_FIELDS[name] if name in RUN_FIELDS else spec.state_field(name)  # noqa: E731
    return [c for name in traj.state for c in field(name).columns(traj.variables)]


def columns(traj: Trajectory) -> tuple[str, ...]:
    vars_ = traj.variables
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
    return Table(columns(traj), np.concatenate([p.reshape(rows, int(np.prod(p.shape[1:]))) for p in parts], axis=1))


def csv_text(header, rows: np.ndarray, lead: list[list[str]] | None = None) -> str:
    """CSV of float ``rows`` at full precision (each value's shortest round-trip text), fast: one ``repr`` per
    value, one join per row. ``lead`` gives text cells to put before each row's numbers."""
    head = ",".join(f'"{c}"' if "," in c or '"' in c else c for c in header)
    values = np.asarray(rows, dtype=float).tolist()
    if lead is None:
        lines = [",".join(map(repr, row)) for row in values]
    else:
        lines = [",".join(cells + list(map(repr, row))) for cells, row in zip(lead, values)]
    return head + "\n" + "".join(line + "\n" for line in lines)


def to_csv(table: Table) -> str:
    """CSV text: a header, then one row per iteration; floats at full precision (read back bit for bit)."""
    its = [[str(int(i))] for i in table.data[:, 0]]
    return csv_text(table.columns, table.data[:, 1:], its)
