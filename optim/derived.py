"""Columns derived from a run's recorded state for a table: the bias-corrected moving averages
:math:`\\hat x_t = x_t / (1 - \\beta^t)` of the fields whose :class:`~optim.spec.StateField` names a rate
(``corrected_by``), where the rule uses them (``corrected_if``). Nothing here is typed per optimizer."""

from __future__ import annotations

import numpy as np

from .schedules import RUN_FIELDS
from .table import Table, iteration_table
from .trajectory import Trajectory


def corrected_columns(traj: Trajectory, index=()) -> tuple[list[str], np.ndarray]:
    """Names and values ``(rows, k)`` of the bias-corrected fields of one trajectory (batch ``index``); row t (from
    1) divides the field after step t by ``1 - rate**t``."""
    index = index if isinstance(index, tuple) else (index,)
    rows = int(traj.rows[index])
    t = np.arange(1, rows + 1, dtype=float)
    names, parts = [], []
    for name in traj.state:
        if name in RUN_FIELDS:  # η_t and the clipped gradient: the run's, never bias-corrected
            continue
        f = traj.spec.state_field(name)
        if f.corrected_by is None or (f.corrected_if and not traj.options.get(f.corrected_if)):
            continue
        rate = traj.hyperparams[f.corrected_by]
        rate = float(np.asarray(rate)[index]) if np.ndim(rate) else float(rate)
        x = traj.state[name][(slice(None),) + index][1:rows + 1].reshape(rows, -1)
        names += f.corrected().columns(traj.variables)
        parts.append(x / (1.0 - rate ** t)[:, None])
    return names, np.concatenate(parts, axis=1) if parts else np.zeros((rows, 0))


def with_corrected(traj: Trajectory, index=()) -> Table:
    """The trajectory's iteration table with the bias-corrected columns appended."""
    table = traj.table if index == () else iteration_table(traj, index)
    names, values = corrected_columns(traj, index)
    return Table(table.columns + tuple(names), np.concatenate([table.data, values], axis=1))
