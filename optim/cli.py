"""The command line of the optimizer core.

    python -m optim list
    python -m optim trace --surface notes-quadratic --optimizer gd --x0 2 --steps 21 --lr 0.1
    python -m optim trace --surface rosenbrock --optimizer cg --beta-rule fletcher-reeves --line-search armijo \
        --x0 -1.5 2 --steps 50
    python -m optim sweep --surface rosenbrock --optimizer adam --x0 -1.5 2 --steps 500 \
        --grid lr=1e-4:1:200:log --grid beta1=0:0.99:200
    python -m optim trace --function "x^2 + 10" --optimizer gd --x0 -4 --steps 5 --lr 0.1
    python -m optim trace --surface rosenbrock --optimizer adam --x0 -1.5 2 --steps 200 --lr 0.1 \
        --schedule cosine --t-max 200 --eta-min 0.001 --warmup 10 --clip-norm 5

``--function`` takes a typed-in function (see ``surfaces.typed``) wherever ``--surface`` takes a name: with one
start coordinate it is f(w) (``x`` accepted for w), with two f(x, y); ``--box xmin xmax ymin ymax`` (``wmin wmax``)
gives its view box (where its stationary points are searched).

``trace`` writes the iteration table as CSV to stdout (full precision). ``sweep`` runs a grid of one or two
hyperparameters in one vectorized call and writes one CSV row per cell: the parameter values, the final
loss, the status (converged, diverged, running, line search failed) and the step at which it happened. Every
variant of an update rule has a flag named after its option (``--line-search exact``, ``--safeguard on``);
its values are the variant's; CG and BFGS search exactly on a quadratic surface and with Armijo elsewhere unless
told. A first-order optimizer takes a learning-rate schedule (``--schedule`` and its parameters, ``--warmup``)
and gradient clipping (``--clip-norm`` or ``--clip-value``), see ``optim.schedules``. Bad arguments end with
exit status 2 and one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import sys

import surfaces

from . import registry
from .run import run
from .schedules import KINDS, Clip, Schedule
from .sweep import Axis, SweepSpec, sweep
from .sweep import to_csv as sweep_csv
from .trajectory import DEFAULT_TOL
from .table import iteration_table, to_csv


def hyperparameter_flags() -> dict[str, list]:
    """Every command-line flag of a hyperparameter, with the hyperparameters (of several optimizers) it sets."""
    flags: dict[str, list] = {}
    for s in registry.SPECS.values():
        for h in s.hyperparameters:
            flags.setdefault(h.cli_flag, []).append((s, h))
    return flags


def variant_flags() -> dict[str, list]:
    """Every command-line flag of a rule variant (its option, ``-`` for ``_``), with the variants it sets."""
    flags: dict[str, list] = {}
    for s in registry.SPECS.values():
        for v in s.variants:
            flags.setdefault(v.option, []).append((s, v))
    return flags


def _flag_text(value) -> str:
    """A variant's value as typed on the command line: ``on``/``off`` for a switch, the value itself otherwise."""
    return ("on" if value else "off") if isinstance(value, bool) else str(value)


def _variant_help(entries) -> str:
    return "; ".join(f"{v.title.lower()}: {'|'.join(_flag_text(x) for x in v.labels)} ({s.name})" for s, v in entries)


def _flag_help(entries) -> str:
    parts = {}
    for s, h in entries:
        parts.setdefault(f"{h.meaning} {h.text}", []).append(s.name)
    return "; ".join(f"{what} ({', '.join(names)})" for what, names in parts.items())


class UsageError(Exception):
    pass


class Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, no usage block
        raise UsageError(message)


def _parser() -> Parser:
    p = Parser(prog="python -m optim", description="Optimizers on loss surfaces: names and iteration tables.",
               allow_abbrev=False)
    sub = p.add_subparsers(dest="command", required=True, parser_class=Parser)
    sub.add_parser("list", help="print the surface and optimizer names")
    t = sub.add_parser("trace", help="write one run's iteration table as CSV to stdout", allow_abbrev=False)
    add_run_arguments(t)
    t.add_argument("--x0", nargs="+", required=True, metavar="X", help="start point: one number in 1-D, two in 2-D")
    t.add_argument("--steps", type=int, required=True, metavar="N", help="number of iterations (table rows)")
    w = sub.add_parser("sweep", help="run a grid of hyperparameters; one CSV row per cell to stdout")
    add_run_arguments(w)
    w.add_argument("--x0", nargs="+", required=True, metavar="X", help="start point: one number in 1-D, two in 2-D")
    w.add_argument("--steps", type=int, required=True, metavar="N", help="number of iterations of every cell")
    w.add_argument("--grid", action="append", required=True, metavar="PARAM=LOW:HIGH:COUNT[:log]",
                   help="a hyperparameter axis, e.g. lr=1e-4:1:200:log or beta=0:0.99:200; give one or two")
    return p


def add_run_arguments(p: argparse.ArgumentParser) -> None:
    """Options shared by every command that runs an optimizer."""
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--surface", metavar="NAME", help="one of: " + ", ".join(surfaces.names()))
    which.add_argument("--function", metavar="TEXT",
                       help='a typed function, e.g. "6*w^4 - 2*w^3 - 12*w^2 + w + 1" or "x^2 + 10*y^2"; '
                            "f(w) with one --x0 number, f(x, y) with two")
    p.add_argument("--box", nargs="+", metavar="V", help="with --function: its view box, xmin xmax ymin ymax (wmin "
                   "wmax in 1-D); computed from the stationary points when not given")
    p.add_argument("--optimizer", required=True, metavar="NAME", help="one of: " + ", ".join(registry.NAMES))
    for flag, entries in hyperparameter_flags().items():
        p.add_argument(f"--{flag.replace('_', '-')}", dest=flag, type=float, metavar="F", help=_flag_help(entries))
    for option, entries in variant_flags().items():
        p.add_argument(f"--{option.replace('_', '-')}", dest=f"variant_{option}", metavar="VALUE",
                       help=_variant_help(entries))
    p.add_argument("--noise", type=float, metavar="F", help="std of Gaussian gradient noise (default: SGD's)")
    p.add_argument("--batch-size", type=int, metavar="N", help="mini-batch size on linear-regression")
    p.add_argument("--seed", type=int, default=0, metavar="N", help="seed of the noise and mini-batches")
    p.add_argument("--tol", type=float, default=DEFAULT_TOL, metavar="F",
                   help="converged once the gradient norm stays below F, or the step length stays below F "
                   "and below a thousandth of the run's longest step")
    p.add_argument("--convention", choices=registry.CONVENTIONS, default="notes",
                   help="update-rule forms: the course notes' (default) or PyTorch's")
    add_schedule_arguments(p)


#: the schedule's flags: (field of optim.schedules.Schedule, type, help)
SCHEDULE_FLAGS = (
    ("gamma", float, "decay factor of the step and exponential schedules, in (0, 1]"),
    ("step_size", int, "steps between two decays of the step schedule"),
    ("decay", float, "k of the inverse-time schedule lr / (1 + k t), >= 0"),
    ("t_max", int, "T of the cosine schedule (its half period)"),
    ("eta_min", float, "the lowest rate of the cosine schedules, >= 0"),
    ("t0", int, "the first period of cosine-restarts"),
    ("t_mult", int, "the factor on each later period of cosine-restarts (a whole number >= 1)"),
    ("warmup", int, "steps of a linear warm-up from 0, with any schedule (at most the run's steps)"),
)


def add_schedule_arguments(p: argparse.ArgumentParser) -> None:
    """The learning-rate schedule and gradient clipping of a first-order optimizer."""
    g = p.add_argument_group("learning-rate schedule and gradient clipping (first-order optimizers)")
    g.add_argument("--schedule", choices=KINDS, metavar="KIND",
                   help="the learning rate's schedule, t from 0: " + "|".join(KINDS) + " (default: constant)")
    for name, kind, text in SCHEDULE_FLAGS:
        g.add_argument(f"--{name.replace('_', '-')}", dest=f"schedule_{name}", type=kind,
                       metavar="N" if kind is int else "F", help=text)
    g.add_argument("--clip-norm", type=float, metavar="F", help="clip each gradient to this global norm (torch's "
                   "clip_grad_norm_)")
    g.add_argument("--clip-value", type=float, metavar="F", help="clip each gradient coordinate to ±F "
                   "(clip_grad_value_)")


def chosen_schedule(args) -> tuple[Schedule, Clip]:
    """The schedule and clipping of the command line; a flag its schedule does not use is refused."""
    kind = args.schedule or "constant"
    given = {name: getattr(args, f"schedule_{name}") for name, _, _ in SCHEDULE_FLAGS
             if getattr(args, f"schedule_{name}") is not None}
    uses = (*Schedule.parameters(kind), "warmup")
    for name in given:
        if name not in uses:
            takes = ", ".join(f"--{n.replace('_', '-')}" for n in uses)
            raise ValueError(f"--{name.replace('_', '-')} does not apply to --schedule {kind}; it takes: {takes}")
    return Schedule(kind, **given), Clip(norm=args.clip_norm, value=args.clip_value)


def build(args):
    """Surface, optimizer and run keywords from parsed arguments; a ValueError explains a bad combination."""
    surface = chosen_surface(args)
    spec = registry.spec(args.optimizer)
    hyper = registry.defaults_for(surface, spec.name)
    for flag in hyperparameter_flags():
        value = getattr(args, flag)
        if value is None:
            continue
        keyword = next((h.name for h in spec.hyperparameters if h.cli_flag == flag), None)
        if keyword is None:
            raise ValueError(f"{spec.name} does not take --{flag.replace('_', '-')}; it takes: "
                             + ", ".join(f"--{h.cli_flag.replace('_', '-')}" for h in spec.hyperparameters))
        hyper[keyword] = value
    options = spec.options_for(surface, args.convention) | chosen_variants(args, spec)
    schedule, clip = chosen_schedule(args)
    optimizer = registry.make(spec.name, args.convention, **hyper, **options, schedule=schedule, clip=clip)
    options = {"noise": args.noise, "batch_size": args.batch_size, "seed": args.seed, "tol": args.tol}
    return surface, optimizer, options


def chosen_variants(args, spec) -> dict:
    """The variant options given on the command line, checked against ``spec``'s variants."""
    chosen = {}
    for option in variant_flags():
        text = getattr(args, f"variant_{option}", None)
        if text is None:
            continue
        flag = f"--{option.replace('_', '-')}"
        try:
            variant = spec.variant(option)
        except ValueError:
            takes = ", ".join(f"--{v.option.replace('_', '-')}" for v in spec.variants) or "no variant flags"
            raise ValueError(f"{spec.name} does not take {flag}; it takes: {takes}") from None
        values = {_flag_text(x): x for x in variant.labels}
        if text not in values:
            raise ValueError(f"{flag} must be one of {', '.join(values)} for {spec.name}; got '{text}'")
        chosen[option] = values[text]
    return chosen


def chosen_surface(args):
    """The catalog surface of ``--surface`` or the typed function of ``--function`` (its dimension from ``--x0``)."""
    if args.function is None:
        if args.box is not None:
            raise ValueError("--box applies to --function only; a catalog surface has its own box")
        return surfaces.get(args.surface)
    from surfaces.typed import check_box, typed_surface

    count = len(args.x0)
    if count not in (1, 2):
        raise ValueError(f"--x0 needs 1 number (f(w)) or 2 (f(x, y)) with --function, got {count}")
    box = None if args.box is None else check_box(args.box, count)
    return typed_surface(args.function, ("w",) if count == 1 else ("x", "y"), box)


def start_point(values: list[str], surface) -> list[float]:
    try:
        point = [float(v) for v in values]
    except ValueError:
        raise ValueError(f"--x0 expects numbers, got {' '.join(values)}") from None
    if len(point) != surface.dim:
        raise ValueError(f"--x0 needs {surface.dim} number{'s' if surface.dim > 1 else ''} on '{surface.name}' "
                         f"({', '.join(surface.variables)}), got {len(point)}")
    return point


def sweep_spec(args) -> SweepSpec:
    """The grid of a ``sweep`` command: the axes from ``--grid``, every other hyperparameter from its flag or
    the surface's default."""
    if len(args.grid) > 2:
        raise ValueError(f"give one or two --grid axes, got {len(args.grid)}")
    aliases = {h.cli_flag: h.name for s in registry.SPECS.values() for h in s.hyperparameters}
    axes = tuple(Axis.parse(text, aliases=aliases) for text in args.grid)
    for axis in axes:
        for flag, entries in hyperparameter_flags().items():
            if any(h.name == axis.param for _, h in entries) and getattr(args, flag) is not None:
                raise ValueError(f"--{flag} fixes {axis.param}, which --grid sweeps: give one or the other")
    surface, optimizer, options = build(args)  # validates the fixed hyperparameters
    if chosen_variants(args, registry.spec(optimizer.name)):
        raise ValueError("a sweep runs the variants of its --convention; variant flags apply to trace")
    spec = registry.spec(optimizer.name)
    for axis in axes:
        spec.hyperparameter(axis.param)
    fixed = {k: float(v) for k, v in optimizer.hyperparams.items()
             if k in spec.defaults and k not in {a.param for a in axes}}
    start = tuple(start_point(args.x0, surface))
    return SweepSpec(surface.name, spec.name, start, args.steps, axes, tuple(fixed.items()), args.convention,
                     **options, schedule=optimizer.schedule, clip=optimizer.clip)


def main(argv: list[str], stdout=None, stderr=None) -> int:
    stdout, stderr = stdout or sys.stdout, stderr or sys.stderr
    try:
        args = _parser().parse_args(argv)
        if args.command == "list":
            stdout.write("surfaces:   " + " ".join(surfaces.names()) + "\n")
            stdout.write("optimizers: " + " ".join(registry.NAMES) + "\n")
            return 0
        if args.command == "sweep":
            stdout.write(sweep_csv(sweep(sweep_spec(args))))
            return 0
        surface, optimizer, options = build(args)
        traj = run(surface, optimizer, [start_point(args.x0, surface)], args.steps, **options)
        stdout.write(to_csv(iteration_table(traj, 0)))
        return 0
    except (UsageError, ValueError) as exc:
        stderr.write(f"error: {one_line(exc)}\n")
        return 2


def one_line(exc, word_chars: int = 40, chars: int = 240) -> str:
    """A refusal's message on one line, every word of it (a value typed, quoted back) cut to ``word_chars`` and the
    whole to ``chars``: a 10,000-character value gives a short message, not a 10,000-character one."""
    words = [w if len(w) <= word_chars else w[:word_chars] + "…" for w in str(exc).split()]
    text = " ".join(words)
    return text if len(text) <= chars else text[:chars] + "…"
