r"""Hyperparameter sweeps: a whole grid of settings run as one vectorized call of the core.

    >>> spec = SweepSpec("bowl", "momentum", start=(-1.5, 1.2), steps=100,
    ...                  axes=(Axis.parse("lr=0.01:1:30:log"), Axis.parse("beta=0:0.9:20")))
    >>> result = sweep(spec)
    >>> result.status.shape  # one cell per (lr, beta): the first axis runs along rows
    (30, 20)

The first axis's values form an array shaped ``(n1, 1)``, the second's ``(1, n2)``; the optimizer broadcasts
them against each other, so :func:`run` advances all ``n1 * n2`` trajectories together. Cell ``(i, j)`` has
the id ``i * n2 + j`` (its flat index), which keys its random numbers: :func:`run_cell` reruns one cell alone,
with every step recorded, and reproduces the grid's numbers exactly, noise included.

For progress reports a grid can also be computed in blocks of rows (:func:`row_blocks`, ``sweep(spec,
rows=...)``, :func:`merge`); each block is still one vectorized call and the merged result is identical.

``optim.rates`` measures every cell's convergence rate from its path; ``optim.analysis`` predicts it.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

import surfaces

from . import registry
from .base import Optimizer
from .config import MAX_STEPS
from .run import run
from .schedules import Clip, Schedule
from .trajectory import DEFAULT_TOL, Status, Trajectory

MAX_COUNT = 1000  #: values per axis
MAX_CELLS = 1_000_000  #: cells per grid
#: a grid of at most this many cell-steps runs as one call (200 x 200 x 500, about 0.3 s on 2 cores)
SINGLE_CALL_CELL_STEPS = 200 * 200 * 500
#: cell-steps per block when a larger grid is split for progress reports
BLOCK_CELL_STEPS = 200 * 200 * 250


# -- axes ------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Axis:
    """One hyperparameter swept over ``count`` values from ``low`` to ``high``, evenly or log-evenly spaced."""

    param: str  #: the optimizer's keyword: lr, beta, beta1, beta2, rho, eps, ...
    low: float
    high: float
    count: int
    log: bool = False

    def __post_init__(self):
        if isinstance(self.count, bool) or not isinstance(self.count, (int, np.integer)):
            raise ValueError(f"the number of values of {self.param} must be a whole number, got {self.count!r}")
        if not 1 <= self.count <= MAX_COUNT:
            raise ValueError(f"the number of values of {self.param} must be 1 to {MAX_COUNT}, got {self.count}")
        if not (math.isfinite(self.low) and math.isfinite(self.high)):
            raise ValueError(f"the range of {self.param} must be finite numbers, got {self.low!r} to {self.high!r}")
        if self.low > self.high or (self.low == self.high and self.count > 1):
            raise ValueError(f"the range of {self.param} must go from low to high, got {self.low:g} to {self.high:g}")
        if self.log and self.low <= 0:
            raise ValueError(f"a log-spaced {self.param} needs a range above 0, got {self.low:g} to {self.high:g}")
        object.__setattr__(self, "count", int(self.count))
        object.__setattr__(self, "low", float(self.low))
        object.__setattr__(self, "high", float(self.high))

    @property
    def values(self) -> np.ndarray:
        if self.count == 1:
            return np.array([self.low])
        v = np.geomspace(self.low, self.high, self.count) if self.log else np.linspace(self.low, self.high, self.count)
        v[0], v[-1] = self.low, self.high  # exact end points
        return v

    def nearest(self, value: float) -> int:
        """The index of the value closest to ``value`` (in log distance on a log axis); clamps to the ends."""
        v = self.values
        if self.log:
            value = math.log(value) if value > 0 else -math.inf
            v = np.log(v)
        return int(np.argmin(np.abs(v - value)))

    def short_value(self, k: int, min_digits: int = 3) -> float:
        """Value ``k`` with the fewest significant digits (at least ``min_digits``) that still picks value ``k``
        (``nearest``): a link's ``0.0541`` for ``0.05405903755383038``."""
        exact = float(self.values[k])
        for digits in range(min_digits, 18):
            short = float(f"{exact:.{digits}g}")
            if self.nearest(short) == k:
                return short
        return exact

    def __str__(self) -> str:
        return f"{self.param}={self.low!r}:{self.high!r}:{self.count}" + (":log" if self.log else "")

    @classmethod
    def parse(cls, text: str, aliases: dict[str, str] | None = None) -> "Axis":
        """``PARAM=LOW:HIGH:COUNT[:log]``, e.g. ``lr=1e-4:1:200:log`` or ``beta=0:0.99:200``."""
        param, sep, rest = text.partition("=")
        parts = rest.split(":")
        bad_flag = len(parts) == 4 and parts[3] not in ("log", "lin")
        if not sep or not param.strip() or len(parts) not in (3, 4) or bad_flag:
            raise ValueError(f"a grid is PARAM=LOW:HIGH:COUNT or PARAM=LOW:HIGH:COUNT:log, got {text!r}")
        param = param.strip()
        param = (aliases or {}).get(param, param)
        try:
            low, high = float(parts[0]), float(parts[1])
        except ValueError:
            raise ValueError(f"the range of {param} must be two numbers, got {parts[0]!r} and {parts[1]!r}") from None
        try:
            count = int(parts[2])
        except ValueError:
            raise ValueError(f"the number of values of {param} must be a whole number, got {parts[2]!r}") from None
        return cls(param, low, high, count, log=len(parts) == 4 and parts[3] == "log")


# -- the grid ----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SweepSpec:
    """Everything that decides a sweep: plain, hashable values.

    ``fixed`` sets hyperparameters that are not on an axis; the others take ``registry.defaults_for(surface)``.
    ``noise``, ``batch_size``, ``seed`` and ``tol`` are passed to :func:`optim.run`; a learning-rate ``schedule``
    and gradient ``clip`` (``optim.schedules``) apply to every cell, each cell's schedule from its own rate.
    The rule variants are the convention's, with the surface's (an exact line search on a quadratic surface).
    """

    surface: str
    optimizer: str
    start: tuple[float, ...]
    steps: int
    axes: tuple[Axis, ...]
    fixed: tuple[tuple[str, float], ...] = ()
    convention: str = "notes"
    noise: float | None = None
    batch_size: int | None = None
    seed: int = 0
    tol: float = DEFAULT_TOL
    schedule: Schedule | None = None
    clip: Clip | None = None
    #: rule variants that override the convention's and the surface's (``(("bias_correction", False),)``)
    options: tuple[tuple[str, object], ...] = ()

    def __post_init__(self):
        object.__setattr__(self, "start", tuple(float(v) for v in np.atleast_1d(self.start)))
        object.__setattr__(self, "options", tuple(sorted(dict(self.options).items())))
        object.__setattr__(self, "axes", tuple(self.axes))
        object.__setattr__(self, "fixed", tuple((str(k), float(v)) for k, v in dict(self.fixed).items()))
        surface = surfaces.get(self.surface)
        spec = registry.spec(self.optimizer)
        if not 1 <= len(self.axes) <= 2:
            raise ValueError(f"a sweep has one or two axes, got {len(self.axes)}")
        names = [a.param for a in self.axes]
        if len(set(names)) != len(names):
            raise ValueError(f"the two axes must be different hyperparameters, got {names[0]} twice")
        for name in names:
            spec.hyperparameter(name)  # raises with the list of valid names
        for name, _ in self.fixed:
            spec.hyperparameter(name)
            if name in names:
                raise ValueError(f"{name} is on an axis of the grid; it cannot also be fixed")
        if len(self.start) != surface.dim or not all(map(math.isfinite, self.start)):
            raise ValueError(f"the start point on '{surface.name}' needs {surface.dim} finite "
                             f"number{'s' if surface.dim > 1 else ''} ({', '.join(surface.variables)})")
        whole = isinstance(self.steps, (int, np.integer)) and not isinstance(self.steps, bool)
        if not whole or not 1 <= self.steps <= MAX_STEPS:
            raise ValueError(f"steps must be a whole number from 1 to {MAX_STEPS:,}, got {self.steps!r}")
        if math.prod(self.shape) > MAX_CELLS:
            raise ValueError(f"a grid of {' x '.join(map(str, self.shape))} has more than {MAX_CELLS:,} cells")
        self.make_optimizer()  # validates every value on the axes (beta < 1, lr > 0, ...)
        if self.schedule is not None:
            self.schedule.check_steps(self.steps)

    @property
    def shape(self) -> tuple[int, int]:
        """(n1, n2): the first axis runs along rows; a one-axis sweep has one column."""
        return (self.axes[0].count, self.axes[1].count if len(self.axes) > 1 else 1)

    @property
    def params(self) -> tuple[str, ...]:
        return tuple(a.param for a in self.axes)

    def base_hyperparameters(self) -> dict[str, float]:
        """The values of the hyperparameters that are not on an axis."""
        hyper = registry.defaults_for(surfaces.get(self.surface), self.optimizer)
        hyper.update(dict(self.fixed))
        for a in self.axes:
            hyper.pop(a.param)
        return hyper

    def hyperparameters(self, rows: tuple[int, int] | None = None) -> dict:
        """All hyperparameters of the rows ``rows`` of the grid: the axes as arrays shaped (k, 1) and (1, n2)."""
        a, b = rows or (0, self.shape[0])
        hyper = self.base_hyperparameters()
        hyper[self.axes[0].param] = self.axes[0].values[a:b, None]
        if len(self.axes) > 1:
            hyper[self.axes[1].param] = self.axes[1].values[None, :]
        return hyper

    def cell_hyperparameters(self, index: tuple[int, int]) -> dict[str, float]:
        """The hyperparameters of one cell, as plain floats."""
        i, j = self.check_index(index)
        hyper = self.base_hyperparameters()
        hyper[self.axes[0].param] = float(self.axes[0].values[i])
        if len(self.axes) > 1:
            hyper[self.axes[1].param] = float(self.axes[1].values[j])
        return hyper

    def make_optimizer(self, rows: tuple[int, int] | None = None, hyper: dict | None = None) -> Optimizer:
        """The optimizer of ``rows`` of the grid (all of it by default), or with the hyperparameters ``hyper``."""
        options = registry.options_for(surfaces.get(self.surface), self.optimizer, self.convention)
        options |= dict(self.options)
        return registry.make(self.optimizer, self.convention, **options, schedule=self.schedule, clip=self.clip,
                             **(self.hyperparameters(rows) if hyper is None else hyper))

    def ids(self, rows: tuple[int, int] | None = None) -> np.ndarray:
        """The id of every cell of ``rows``: its flat index in the whole grid."""
        a, b = rows or (0, self.shape[0])
        n2 = self.shape[1]
        return np.arange(a, b)[:, None] * n2 + np.arange(n2)[None, :]

    def check_index(self, index) -> tuple[int, int]:
        i, j = (int(index[0]), int(index[1]) if len(index) > 1 else 0)
        n1, n2 = self.shape
        if not (0 <= i < n1 and 0 <= j < n2):
            raise ValueError(f"cell ({i}, {j}) is outside the {n1} x {n2} grid")
        return i, j

    def nearest_cell(self, values) -> tuple[int, int]:
        """The cell whose hyperparameters are closest to ``values`` (one per axis)."""
        idx = [a.nearest(float(v)) for a, v in zip(self.axes, values)]
        return idx[0], idx[1] if len(idx) > 1 else 0

    def short_cell(self, index) -> tuple[float, ...]:
        """The hyperparameters of cell ``index`` in few digits that still name it (``Axis.short_value``)."""
        return tuple(a.short_value(k) for a, k in zip(self.axes, index))

    def run_kwargs(self) -> dict:
        return {"noise": self.noise, "batch_size": self.batch_size, "seed": self.seed, "tol": self.tol}


@dataclass(frozen=True, eq=False)
class SweepResult:
    """The outcome of every cell of ``rows`` of a grid; arrays are indexed ``[i, j]`` (first axis, second axis).

    Plain numpy arrays and a frozen spec: it pickles (for caches), unlike a Trajectory.
    """

    spec: SweepSpec
    rows: tuple[int, int]
    status: np.ndarray  #: int8 values of Status
    event_step: np.ndarray  #: step at which the cell converged or diverged, -1 while running
    final_loss: np.ndarray  #: f at the last point (a diverged cell: where it left the bound; never NaN)
    final_position: np.ndarray  #: (..., d)
    seconds: float = field(default=0.0, compare=False)  #: time spent in run()
    #: with ``sweep(..., path=True)``: the loss after every step, ``(steps + 1, rows, n2)``, and the points,
    #: ``(steps + 1, rows, n2, d)`` (a diverged cell repeats the values of the step that left the bound)
    losses: np.ndarray | None = None
    positions: np.ndarray | None = None

    @property
    def values(self) -> tuple[np.ndarray, ...]:
        """The values along each axis (the first axis restricted to ``rows``)."""
        a, b = self.rows
        return (self.spec.axes[0].values[a:b],) + tuple(ax.values for ax in self.spec.axes[1:])

    def counts(self) -> dict[str, int]:
        return {s.label: int(np.count_nonzero(self.status == s)) for s in Status}


def row_blocks(spec: SweepSpec, single_call: int | None = None, block: int | None = None) -> list[tuple[int, int]]:
    """How to split the rows of the grid: one block when it has at most ``single_call`` cell-steps
    (``SINGLE_CALL_CELL_STEPS``), else blocks of about ``block`` (``BLOCK_CELL_STEPS``), each one call."""
    single_call = SINGLE_CALL_CELL_STEPS if single_call is None else single_call
    block = BLOCK_CELL_STEPS if block is None else block
    n1, n2 = spec.shape
    work = n1 * n2 * spec.steps
    if work <= single_call:
        return [(0, n1)]
    pieces = min(n1, math.ceil(work / block))
    edges = np.linspace(0, n1, pieces + 1).round().astype(int)
    return [(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:]) if b > a]


def sweep(spec: SweepSpec, rows: tuple[int, int] | None = None, *, path: bool = False) -> SweepResult:
    """Run the grid (or the block of rows ``rows``) in one call of :func:`optim.run` with ``record="final"``, or
    with ``path`` every cell's losses and points too (``record="path"``: for criteria over the whole run)."""
    n1 = spec.shape[0]
    rows = (0, n1) if rows is None else (int(rows[0]), int(rows[1]))
    if not 0 <= rows[0] < rows[1] <= n1:
        raise ValueError(f"rows {rows} are outside the grid's {n1} rows")
    surface = surfaces.get(spec.surface)
    t0 = time.perf_counter()
    with np.errstate(over="ignore", invalid="ignore"):  # the loss where a diverged cell left the bound
        traj = run(surface, spec.make_optimizer(rows), [list(spec.start)], spec.steps,
                   record="path" if path else "final",
                   ids=spec.ids(rows), **spec.run_kwargs())
    seconds = time.perf_counter() - t0
    shape = (rows[1] - rows[0], spec.shape[1])  # a run's batch may broadcast smaller (one axis and one row)
    return SweepResult(
        spec=spec, rows=rows,
        status=np.broadcast_to(traj.status, shape).copy(),
        event_step=np.broadcast_to(traj.event_step, shape).copy(),
        final_loss=np.broadcast_to(traj.final_loss, shape).copy(),
        final_position=np.broadcast_to(traj.final_position, shape + (surface.dim,)).copy(),
        seconds=seconds,
        losses=np.broadcast_to(traj.losses, (spec.steps + 1,) + shape).copy() if path else None,
        positions=np.broadcast_to(traj.positions, (spec.steps + 1,) + shape + (surface.dim,)).copy() if path else None,
    )


def merge(parts: list[SweepResult]) -> SweepResult:
    """Blocks of rows, in order and covering the grid, as one result."""
    parts = sorted(parts, key=lambda p: p.rows[0])
    spec = parts[0].spec
    edges = [parts[0].rows[0]] + [p.rows[1] for p in parts]
    if any(p.spec != spec for p in parts) or any(p.rows[0] != e for p, e in zip(parts, edges)):
        raise ValueError("the blocks are not consecutive rows of one grid")
    cat = lambda name, axis=0: np.concatenate([getattr(p, name) for p in parts], axis=axis)  # noqa: E731
    path = all(p.losses is not None for p in parts)
    return SweepResult(spec, (edges[0], edges[-1]), cat("status"), cat("event_step"), cat("final_loss"),
                       cat("final_position"), sum(p.seconds for p in parts),
                       cat("losses", 1) if path else None, cat("positions", 1) if path else None)


def run_cell(spec: SweepSpec, index: tuple[int, int], record: str = "all") -> Trajectory:
    """Cell ``index`` of the grid run alone, with scalar hyperparameters and the cell's id: it reproduces the
    grid's final point, loss and status exactly (SGD's noise included), and records every step."""
    i, j = spec.check_index(index)
    opt = spec.make_optimizer(hyper=spec.cell_hyperparameters((i, j)))
    with np.errstate(over="ignore", invalid="ignore"):
        return run(surfaces.get(spec.surface), opt, list(spec.start), spec.steps, record=record,
                   ids=np.int64(i * spec.shape[1] + j), **spec.run_kwargs())


# -- output --------------------------------------------------------------------------------------------------------

CSV_OUTCOMES = ("final_loss", "status", "step")


def to_csv(result: SweepResult) -> str:
    """One row per cell (first axis outer): the axis values, the final loss, the status, and the step at which
    the cell converged or diverged (empty while running). Floats at full precision (``repr``).

    Each axis value is formatted once, not once per row: on a 200 x 200 grid that leaves 40,000 reprs (the losses)
    instead of 120,000, and the CSV takes a third of the time."""
    labels = [s.label for s in sorted(Status)]
    if len(result.values) > 1:
        first, second = ([repr(v) for v in axis.tolist()] for axis in result.values)
        prefixes = [f"{x},{y}," for x in first for y in second]
    else:
        prefixes = [f"{x}," for x in map(repr, result.values[0].tolist())]
    losses = map(repr, result.final_loss.reshape(-1).tolist())
    ends = [f",{labels[s]},{k if k >= 0 else ''}\n"
            for s, k in zip(result.status.reshape(-1).tolist(), result.event_step.reshape(-1).tolist())]
    body = "".join([p + loss + e for p, loss, e in zip(prefixes, losses, ends)])
    return ",".join(list(result.spec.params) + list(CSV_OUTCOMES)) + "\n" + body
