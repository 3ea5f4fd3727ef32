"""Which form is which: every variant of every update rule, its formula, the frameworks that use it and the course
notes that write it that way, read from the optimizers' specs (``Variant.pytorch``, ``keras``, ``written``,
``remarks``); and the notes' known typos, each with the value computed from the formula.

The formulas come from each spec's LaTeX renderer under the variant's options, so no rule is written twice.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .methods import SPECS


@dataclass(frozen=True)
class FormRow:
    optimizer: str  #: the spec's name
    title: str  #: the optimizer's title
    variant: str  #: the variant's title
    form: str  #: what a student reads for this value
    latex: str  #: the rule under this value (the spec's renderer)
    pytorch: str  #: "yes", "no" or "no such optimizer"
    keras: str
    notes: str  #: which course notes write it this way
    remark: str


def _uses(has_method: bool, chosen, value) -> str:
    if not has_method:
        return "no such optimizer"
    return "yes" if chosen is not None and chosen == value and type(chosen) is type(value) else "no"


def form_rows() -> list[FormRow]:
    """One row per value of every variant of every optimizer (a variant two optimizers share, momentum's form, is
    listed under the first)."""
    rows, seen = [], set()
    for spec in SPECS.values():
        rows += _spec_rows(spec, seen)
    return rows


def _spec_rows(spec, seen: set) -> list[FormRow]:
    """The rows of one optimizer: its variants' values, then its pending variants."""
    rows = []
    torch_ok = any(h.torch for h in spec.hyperparameters)
    keras_ok = any(h.keras for h in spec.hyperparameters)
    for v in spec.variants:
        if id(v) in seen:
            continue
        seen.add(id(v))
        for value, label in v.labels.items():
            rows.append(FormRow(spec.name, spec.title, v.title, label, spec.latex({v.option: value}),
                                _uses(torch_ok, v.pytorch, value), _uses(keras_ok, v.keras, value),
                                v.written.get(value, "none of them"), v.remarks.get(value, "")))
    return rows


@dataclass(frozen=True)
class Typo:
    note: str  #: where
    printed: str  #: what the note prints
    computed: str  #: what the formula gives
    why: str


def typos() -> list[Typo]:
    """The notes' known typos, each recomputed here from its formula."""
    from surfaces import get

    from .methods.gd import gd
    from .run import run

    w = run(get("notes-quadratic"), gd(lr=0.2), [2.0], 4).positions[:, 0]  # w_1 .. w_5 of the eta = 0.2 table
    beta1, t = 0.9, np.arange(1, 11)
    right = 1.0 / (1.0 - beta1 ** t)
    return [
        Typo("003, the table of f(w) = 2w² + w + 4 at η = 0.2 from w = 2, row 4",
             "w = 0.23200",
             f"w = {w[3]:.5f}",
             f"The error e_t = w_t + 0.25 shrinks by the factor 1 − 4η = {(w[1] + 0.25) / (w[0] + 0.25):.5g} at every "
             f"step without changing sign, from e_1 = {w[0] + 0.25:g} to e_4 = {w[3] + 0.25:.5f}: w_4 = −0.25 + "
             f"{w[3] + 0.25:.5f} = {w[3]:.5f}, the w_next that ends row 3"),
        Typo("003, the Adam slides (“Bias Correction”)",
             "v̂ = v / (1 − β₁), ŵ_ave = w_ave / (1 − β₂)",
             "v̂_t = v_t / (1 − β₁ᵗ), ŵ_ave,t = w_ave,t / (1 − β₂ᵗ)",
             f"with β₁ = {beta1:g} the printed factor is 1/(1 − β₁) = {1 / (1 - beta1):g} at every step; the "
             f"correction is 1/(1 − β₁ᵗ) = {right[0]:g} at t = 1 but {right[4]:.4g} at t = 5 and {right[9]:.4g} at "
             "t = 10: it undoes the zero start and fades to 1, the printed one multiplies the step by 10 for ever"),
    ]
