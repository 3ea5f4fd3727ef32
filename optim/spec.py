"""What the app knows about an optimizer, as data: the schema of each optimizer's home in ``optim.methods``.

An :class:`OptimizerSpec` sits beside its update rule and holds everything pages, figures, tables and the
command line need: the hyperparameters (symbols, ranges, PyTorch and Keras names, command-line flag), the rule
variants and which convention picks which, the state a run records, what the method can do, the starting
hyperparameters per surface (only where they differ from the factory's), and its two formula renderers.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Any, Callable

CONVENTIONS = ("notes", "pytorch")


@dataclass(frozen=True)
class Hyperparameter:
    name: str  #: keyword of the factory
    symbol: str  #: LaTeX symbol of the formulas
    text: str  #: the same symbol in plain Unicode, for labels and captions
    meaning: str  #: a few words for a student
    low: float  #: slider range
    high: float
    log: bool = False  #: whether the slider is logarithmic
    torch: str | None = None  #: the PyTorch argument it corresponds to
    keras: str | None = None  #: the Keras argument it corresponds to
    flag: str | None = None  #: the command-line flag (without ``--``); the name when None
    sweepable: bool = True  #: whether a hyperparameter map may put it on an axis
    shown_if: str | None = None  #: an option that must be true for it to act (Newton's floor needs the safeguard)
    short: str | None = None  #: a widget's label where "meaning symbol" is too long

    @property
    def label(self) -> str:
        """``learning rate η``: what a widget shows (the meaning and the symbol unless ``short`` is given)."""
        return self.short or f"{self.meaning} {self.text}"

    @property
    def cli_flag(self) -> str:
        return self.flag or self.name


@dataclass(frozen=True)
class Variant:
    """A named convention of an update rule (momentum as an EMA or classic, eps inside or outside the root)."""

    option: str  #: keyword of the factory
    url: str  #: short name in links
    title: str  #: for the control
    labels: dict  #: value -> what a student reads
    notes: Any  #: the value of the course notes' convention
    pytorch: Any  #: the value of PyTorch's convention
    keras: Any = None  #: the value Keras (TensorFlow) uses; None where Keras has no such method
    written: dict = field(default_factory=dict)  #: value -> where the course notes write the rule that way
    remarks: dict = field(default_factory=dict)  #: value -> a caveat (a framework's near-miss, a note's typo)

    def value(self, convention: str) -> Any:
        if convention not in CONVENTIONS:
            raise ValueError(f"unknown convention '{convention}'; choose 'notes' or 'pytorch'")
        return getattr(self, convention)


@dataclass(frozen=True)
class StateField:
    """A state field a run records: its name in the state tuple and how a table names its columns.

    ``kind="state"``: one column per coordinate, ``v_x, v_y`` (``v`` in 1-D); ``kind="point"``: a point,
    ``x_look, y_look``; ``kind="eigen"``: curvatures, ``lambda_1, lambda_2`` (``f''(w)`` in 1-D);
    ``kind="scalar"``: one number per step, ``alpha`` (a step length, a count stored as a float);
    ``kind="matrix"``: a d x d matrix per step, row by row, ``H_11, H_12, H_21, H_22`` (``H`` in 1-D).

    A run records a field with the shape the optimizer's state gives it, behind the time axis: ``(d, *batch)``
    for the vector kinds, ``(*batch)`` for a scalar, ``(d, d, *batch)`` for a matrix.
    """

    name: str
    column: str
    kind: str = "state"
    #: a moving average started at 0 whose bias-corrected value x / (1 - rate^t) a table may show beside it: the
    #: hyperparameter holding the rate, and the option that must be on for the rule to use the corrected value
    corrected_by: str | None = None
    corrected_if: str | None = None

    def corrected(self) -> "StateField":
        """The bias-corrected field's naming: ``m_hat`` beside ``m``."""
        return StateField(self.name, f"{self.column}_hat", self.kind)

    def columns(self, variables: tuple[str, ...]) -> list[str]:
        if self.kind == "eigen":
            return ["f''(w)"] if len(variables) == 1 else [f"lambda_{i + 1}" for i in range(len(variables))]
        if self.kind == "point":
            return [f"{v}_{self.column}" for v in variables]
        if self.kind == "scalar":
            return [self.column]
        if self.kind == "matrix":
            n = len(variables)
            return [self.column] if n == 1 else [f"{self.column}_{i + 1}{j + 1}" for i in range(n) for j in range(n)]
        return [self.column] if len(variables) == 1 else [f"{self.column}_{v}" for v in variables]


LR = Hyperparameter("lr", r"\eta", "η", "learning rate", 1e-4, 10.0, log=True, torch="lr", keras="learning_rate")
EPS = Hyperparameter("eps", r"\epsilon", "ε", "small constant in the denominator", 1e-10, 1.0, log=True,
                     torch="eps", keras="epsilon", short="ε")


@dataclass(frozen=True)
class OptimizerSpec:
    """One optimizer's home: its factory and everything about it (see the module docstring)."""

    name: str
    title: str
    summary: str  #: one line for a student
    factory: Callable
    hyperparameters: tuple[Hyperparameter, ...]
    render_latex: Callable[[dict], str]  #: options -> the rule in LaTeX (an ``aligned`` block)
    render_numeric: Callable[..., list[str]]  #: (surface, traj, k, t) -> lines of the rule with step t's numbers
    variants: tuple[Variant, ...] = ()
    recorded: tuple[StateField, ...] = ()
    surface_defaults: dict[str, dict[str, float]] = field(default_factory=dict)
    noisy_by_default: bool = False  #: defined with a noisy gradient (SGD): a run uses the surface's default noise
    accepts_noise: bool = True  #: may be given a noisy or mini-batch gradient
    needs_hessian: bool = False
    #: the update searches along a line: the run passes ``objective=`` (an :class:`optim.base.Objective`, the
    #: surface's value, gradient and Hessian, coordinate-first) so it can evaluate trial points
    needs_objective: bool = False
    step_arrow: bool = True  #: the step taken differs from -lr g, so a race draws it
    iteration_matrix: Callable | None = None  #: the linear theory on a quadratic (GD, momentum, Nesterov)
    matrix_latex: Callable[[dict], str] | None = None
    lr_scale: Callable[[dict, float], float] | None = None  #: (options, beta) -> factor on lr that keeps the path
    featured: bool = False  #: one of the few a first view shows (the playground's opening race)
    #: surface -> the variant values that depend on the surface (CG and BFGS: an exact line search on a quadratic)
    surface_options: Callable[[Any], dict] | None = None

    # -- hyperparameters and variants ----------------------------------------------------------------------------
    @property
    def first_order(self) -> bool:
        """Whether the method steps by a learning rate (so takes a schedule and clipping): not Newton, CG, BFGS."""
        return not (self.needs_hessian or self.needs_objective)

    @property
    def defaults(self) -> dict[str, float]:
        params = inspect.signature(self.factory).parameters
        return {h.name: params[h.name].default for h in self.hyperparameters}

    def hyperparameter(self, name: str) -> Hyperparameter:
        for h in self.hyperparameters:
            if h.name == name:
                return h
        have = ", ".join(h.name for h in self.hyperparameters)
        raise ValueError(f"{self.name} has no hyperparameter '{name}'; it takes: {have}")

    def state_field(self, name: str) -> StateField:
        for f in self.recorded:
            if f.name == name:
                return f
        raise ValueError(f"{self.name} records no state '{name}'")

    def variant(self, option: str) -> Variant:
        for v in self.variants:
            if v.option == option:
                return v
        raise ValueError(f"{self.name} has no option '{option}'")

    def options(self, convention: str = "notes") -> dict:
        """The variant options the convention selects."""
        return {v.option: v.value(convention) for v in self.variants}

    def options_for(self, surface, convention: str = "notes") -> dict:
        """The variant options a run on ``surface`` (a Surface) starts from: the convention's, then the surface's."""
        return self.options(convention) | (self.surface_options(surface) if self.surface_options else {})

    def shown_hyperparameters(self, options: dict) -> tuple[Hyperparameter, ...]:
        """The hyperparameters that act under ``options``."""
        return tuple(h for h in self.hyperparameters if h.shown_if is None or options.get(h.shown_if))

    def make(self, convention: str = "notes", *, schedule=None, clip=None, **kwargs):
        """The optimizer with the variants of ``convention`` overridden by ``kwargs``; a first-order one may also take
        a learning-rate ``schedule`` and gradient ``clip`` (``optim.schedules``; a constant schedule is none)."""
        allowed = {h.name for h in self.hyperparameters} | {v.option for v in self.variants}
        for key in kwargs:
            if key not in allowed:
                self.hyperparameter(key)  # raises with the list of valid names
        opt = self.factory(**(self.options(convention) | kwargs))
        schedule = schedule if schedule is not None and schedule.active else None
        clip = clip if clip is not None and clip.active else None
        if (schedule or clip) and not self.first_order:
            raise ValueError(f"{self.title} chooses its own step length: learning-rate schedules and gradient "
                             "clipping apply to first-order optimizers")
        return opt._replace(schedule=schedule, clip=clip) if schedule or clip else opt

    def defaults_for(self, surface: str) -> dict[str, float]:
        """The hyperparameters a first view on ``surface`` (a name) starts from."""
        own = self.surface_defaults.get(surface, {})
        return self.defaults | {k: v for k, v in own.items() if k in self.defaults}

    def start_lr(self, surface: str, options: dict) -> float:
        """The surface's starting learning rate under ``options`` (a classic momentum form scales it)."""
        hyper = self.defaults_for(surface)
        return float(f"{hyper['lr'] * self.lr_factor(options, hyper.get('beta', 0.0)):.6g}")

    def lr_factor(self, options: dict, beta: float) -> float:
        return self.lr_scale(options, beta) if self.lr_scale else 1.0

    def convert_lr(self, lr: float, beta: float, old: dict, new: dict) -> float:
        """The learning rate that keeps a path when the options change from ``old`` to ``new`` (the classic
        momentum form takes (1 - beta) times the EMA form's rate); ``lr`` itself for the other optimizers."""
        return lr * self.lr_factor(new, beta) / self.lr_factor(old, beta)

    # -- formulas -------------------------------------------------------------------------------------------------
    def latex(self, options: dict | None = None) -> str:
        """The update rule under ``options`` (the notes' variants where not given), as a LaTeX aligned block."""
        return self.render_latex(self.options() | (options or {}))

    def numeric(self, surface, traj, t: int) -> str:
        """The update rule of iteration ``t`` (from 1, as the table's rows) with the numbers of ``traj``, one
        trajectory recorded with ``record="all"``: every symbol of :meth:`latex` replaced by its value."""
        rows = int(traj.rows)
        if not 1 <= t <= rows:
            raise ValueError(f"iteration {t} is outside 1 .. {rows}")
        lines = self.render_numeric(surface, traj, t - 1, t)
        return r"\begin{aligned}" + r" \\ ".join(lines) + r"\end{aligned}"

    def settings_text(self, hyperparams: dict, options: dict, noise: float = 0.0, batch_size: int | None = None) -> str:
        """The settings of a run in a few characters: ``η = 0.05, β₁ = 0.9``."""
        parts = [f"{h.text} = {float(hyperparams[h.name]):g}" for h in self.shown_hyperparameters(options)]
        if noise:
            parts.append(f"σ = {float(noise):g}")
        if batch_size is not None:
            parts.append(f"B = {batch_size:g}")
        return ", ".join(parts)


def aligned(lines: list[str]) -> str:
    return r"\begin{aligned}" + r" \\ ".join(lines) + r"\end{aligned}"
