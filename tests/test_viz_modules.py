"""The shape of viz: modules by job, short functions, one home for contour logic."""

from __future__ import annotations

import ast
from pathlib import Path

VIZ = Path(__file__).resolve().parents[1] / "viz"
#: the rule renderers waiting to move into each optimizer's home in optim
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 80


def modules():
    return [p for p in sorted(VIZ.glob("*.py"))]


def test_no_module_is_long():
    long = {p.name: n for p in modules() if (n := len(p.read_text().splitlines())) > MAX_MODULE_LINES}
    assert long == {}


def test_no_function_is_long():
    long = [f"{p.name}:{node.name} ({node.end_lineno - node.lineno + 1} lines)" for p in modules()
            for node in ast.walk(ast.parse(p.read_text()))
            if isinstance(node, ast.FunctionDef) and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES]
    assert long == []


def _samples_f_on_a_meshgrid(node: ast.AST) -> bool:
    """``<surface>.value(...np.meshgrid(...)...)``: f evaluated on a grid, as a contour needs."""
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "value"
            and any(isinstance(n, ast.Attribute) and n.attr == "meshgrid" for arg in node.args for n in ast.walk(arg)))


def test_surfaces_are_sampled_on_a_grid_only_in_viz_contour():
    """A contour's grid of f values is made in one place, ``viz.contour.grid_values``."""
    others = [f"{p.name}:{node.lineno}" for p in modules() if p.name != "contour.py"
              for node in ast.walk(ast.parse(p.read_text())) if _samples_f_on_a_meshgrid(node)]
    assert others == []
    contour = ast.parse((VIZ / "contour.py").read_text())
    assert sum(map(_samples_f_on_a_meshgrid, ast.walk(contour))) == 1
