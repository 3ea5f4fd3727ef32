"""The typed-function entry shared by the learning-rate page, the playground and the hyperparameter map.

One :class:`FunctionEntry` per page declares its two URL-backed settings, ``f`` (the function's text) and ``box``
(its view box, empty for the box computed from the stationary points), and draws them: a text box for the
function, one for the box, its gradient and Hessian in LaTeX (derived symbolically by ``surfaces.typed``; the page
shows the function itself beside its other formulas) and the stationary points in view with their kinds. Text that is not accepted shows a
one-line message (escaped and shortened, see ``ui.widgets.text_entry``) and the page keeps the last good
function; a bad value in a link gives a notice and the default.
"""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

import surfaces
from surfaces.typed import MAX_BOX, check_box, typed_surface
from viz.style import format_number

from . import state, widgets

OWN = "own"  #: the surface choice of a typed-in function, given by the setting ``f``
HELP = ("Numbers, {vars}, + − * / ^, parentheses, sin cos tan exp log sqrt abs tanh sinh cosh arctan min max, pi "
        "and e. 2{v} means 2*{v}.")
MAX_LISTED = 6  #: stationary points named in the caption (the others counted)


def is_typed(surface) -> bool:
    """Whether ``surface`` is a typed-in function (not one of the catalog's)."""
    return surface.name.startswith("f(") and surface.name not in surfaces.SURFACES


def file_label(surface) -> str:
    """The surface's name in a download's file name (a typed function's text would bring / and * into it)."""
    return "own-function" if is_typed(surface) else surface.name


def function_setting(scope: str, default: str, variables: tuple[str, ...]) -> state.Setting:
    """``f=``: the function's text, checked by building its surface (a one-line ValueError otherwise)."""
    def parse(text: str) -> str:
        text = text.strip()
        typed_surface(text, variables)
        return text

    return state.Setting("f", default, parse, scope=scope)


def box_setting(scope: str, variables: tuple[str, ...]) -> state.Setting:
    """``box=xmin,xmax,ymin,ymax`` (``wmin,wmax`` in 1-D), read by the one list parser of ``ui.state`` and checked by
    ``surfaces.typed.check_box``; empty (the default) for the box computed from the stationary points."""
    d = len(variables)
    listed = state.numbers("box", (), -MAX_BOX, MAX_BOX, min_count=2 * d, max_count=2 * d, scope=scope)

    def parse(text: str) -> tuple[float, ...]:
        if not text.strip():
            return ()
        return tuple(v for pair in check_box(listed.parse(text), d) for v in pair)

    return replace(listed, parse=parse)


class FunctionEntry:
    """A page's typed function: its settings, its surface and the widgets that edit and explain it."""

    def __init__(self, scope: str, default: str, variables: tuple[str, ...]):
        self.variables = tuple(variables)
        self.default = default
        self.function = function_setting(scope, default, self.variables)
        self.box = box_setting(scope, self.variables)

    def surface(self):
        """The typed surface of the current settings (both are valid: each was checked when it was set)."""
        box = state.get(self.box) or None
        return typed_surface(state.get(self.function), self.variables, box)

    def entry(self, label: str, *, container=None, derivatives: bool = False, wide: bool = False):
        """The function's text box and the view box's in ``container`` (side by side if ``wide``), under them the
        gradient and Hessian in LaTeX (with ``derivatives``; the page shows the function itself) and the stationary
        points. Returns the surface."""
        container = container or st
        left, right = container.columns([3, 2]) if wide else (container, container)
        names = " and ".join(self.variables) if len(self.variables) > 1 else "w (or x)"
        widgets.text_entry(self.function, label, container=left, placeholder=self.default,
                           help=HELP.format(vars=names, v=self.variables[0]))
        ends = ", ".join(f"{v}min, {v}max" for v in self.variables)
        widgets.text_entry(self.box, f"view box ({ends})", container=right,
                           placeholder="from the stationary points", help=f"{ends}, each within ±{MAX_BOX:g}; "
                           "empty: a box around the stationary points.")
        surface = self.surface()
        if derivatives:
            container.latex(derivatives_latex(surface))
        container.caption(stationary_text(surface))
        return surface


def derivatives_latex(surface) -> str:
    """The gradient and Hessian (f' and f'' in 1-D) of a typed function, derived by SymPy, on one line."""
    return r",\qquad ".join(surface.derivative_latex)


def stationary_text(surface) -> str:
    """The stationary points in view, with their kinds and values, on one line."""
    points = surface.stationary
    if not points:
        return "No stationary point in view (where the gradient is zero)."
    listed = [f"{p.kind} at ({', '.join(format_number(c) for c in p.point)}), f = {format_number(p.value)}"
              for p in points[:MAX_LISTED]]
    more = f" and {len(points) - MAX_LISTED} more" if len(points) > MAX_LISTED else ""
    return f"Stationary points in view: {'; '.join(listed)}{more}."
