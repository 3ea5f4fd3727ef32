"""The per-step records of a run: preallocated, filled by the step loop, frozen where a trajectory diverged."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .base import Optimizer
from .schedules import CLIPPED, ETA


@dataclass
class Buffers:
    """Preallocated per-step records, coordinate-first: positions (T+1, d, *shape), losses (T+1, *shape), ...

    A state field is recorded with the shape the optimizer's initial state gives it, behind the time axis:
    ``(T+1, d, *shape)`` for a vector, ``(T+1, *shape)`` for a scalar, ``(T+1, d, d, *shape)`` for a matrix;
    ``lead`` holds each field's number of axes before the batch (time axis included).
    """

    positions: np.ndarray | None
    losses: np.ndarray | None
    gradients: np.ndarray | None
    state: dict[str, np.ndarray]
    lead: dict[str, int] | None = None

    @classmethod
    def allocate(cls, optimizer: Optimizer, X0: np.ndarray, steps: int, record: str) -> "Buffers":
        positions = losses = gradients = None
        state = {}
        if record != "final":
            positions = np.empty((steps + 1,) + X0.shape)
            losses = np.empty((steps + 1,) + X0.shape[1:])
        if record == "all":
            gradients = np.empty((steps,) + X0.shape)
            state0 = optimizer.init(X0) if optimizer.recorded else None
            shapes = {name: np.shape(getattr(state0, name)) for name in optimizer.recorded}
            if optimizer.lookahead:
                shapes["lookahead"] = X0.shape
            if optimizer.clip is not None:
                shapes[CLIPPED.name] = X0.shape
            if optimizer.schedule is not None:
                shapes[ETA.name] = X0.shape[1:]
            state = {name: np.empty((steps + 1,) + shape) for name, shape in shapes.items()}
        batch_ndim = X0.ndim - 1
        return cls(positions, losses, gradients, state, {k: v.ndim - batch_ndim for k, v in state.items()})

    def view(self, sel) -> "Buffers":
        """The records of the trajectories ``sel`` (a tuple indexing the batch axes)."""
        vec, sca = (slice(None), slice(None)) + sel, (slice(None),) + sel
        pick = lambda a, idx: None if a is None else a[idx]  # noqa: E731
        return Buffers(pick(self.positions, vec), pick(self.losses, sca), pick(self.gradients, vec),
                       {k: v[(slice(None),) * self.lead[k] + sel] for k, v in self.state.items()}, self.lead)

    def finish(self, diverged_at: np.ndarray, escape_loss: np.ndarray, batch: tuple[int, ...]) -> dict:
        """Freeze diverged trajectories, restore the batch shape and move to the public ``(..., d)`` layout.

        Every row of a trajectory that diverged at step k repeats row k from k on (the point that left, its loss
        ``escape_loss`` rather than the loss where the run was parked, the state that took it there), and its
        gradients repeat row k - 1 (the gradient at the last point inside the bound).
        """
        out = {}
        cf = lambda a: np.moveaxis(a.reshape(a.shape[:2] + batch), 1, -1)  # noqa: E731
        if self.positions is not None:
            freeze(self.positions, diverged_at, 0)
            freeze(self.losses, diverged_at, 0, escape_loss, lead=1)
            out["positions"] = cf(self.positions)
            out["losses"] = self.losses.reshape(self.losses.shape[:1] + batch)
        if self.gradients is not None:
            freeze(self.gradients, diverged_at, -1)
            out["gradients"] = cf(self.gradients)
            out["state"] = {}
            for k, v in self.state.items():
                lead = self.lead[k]
                freeze(v, diverged_at, 0, lead=lead)
                v = v.reshape(v.shape[:lead] + batch)  # the batch behind the field's own axes, then in front
                out["state"][k] = np.moveaxis(v, tuple(range(1, lead)), tuple(range(-(lead - 1), 0))) if lead > 1 else v
        return out


def reset(state: tuple, mask: np.ndarray) -> tuple:
    """Zero the state of the trajectories in ``mask`` (for parked, diverged trajectories)."""
    fields = []
    for value in state:
        if isinstance(value, np.ndarray) and value.shape[value.ndim - mask.ndim:] == mask.shape:
            value = value.copy()
            value[..., mask] = 0.0
        fields.append(value)
    return type(state)(*fields)


def sanitize(a: np.ndarray) -> np.ndarray:
    """NaN (from inf - inf and the like after an overflow) becomes +inf: a diverged value, never NaN."""
    return np.where(np.isnan(a), np.inf, a) if np.isnan(a).any() else a


def freeze(h: np.ndarray, diverged_at: np.ndarray, time_axis_offset: int, values: np.ndarray | None = None, *,
            lead: int = 2):
    """In place: from row k + ``time_axis_offset`` on, repeat that row (or ``values``) for each diverged trajectory.

    ``h`` is a record indexed ``[t, (d,) *batch]`` (``lead`` axes before the batch); ``diverged_at`` holds each trajectory's step k (-1: did not
    diverge). Trajectories are grouped by k, so the work is one slice assignment per distinct step, touching
    only the diverged trajectories' later rows; NaN (from an overflow) is stored as +inf.
    """
    k_all = diverged_at.ravel()
    div = np.flatnonzero(k_all >= 0)
    if not div.size:
        return
    flat = h.reshape(h.shape[:lead] + (-1,))  # a view: the records are contiguous
    start = k_all[div] + time_axis_offset
    order = np.argsort(start, kind="stable")
    start, div = start[order], div[order]
    cuts = np.flatnonzero(np.diff(start)) + 1
    for rows, cols in zip(np.split(start, cuts), np.split(div, cuts)):
        k = int(rows[0])
        row = flat[k][..., cols] if values is None else np.asarray(values).ravel()[cols]
        flat[k:, ..., cols] = sanitize(row)
