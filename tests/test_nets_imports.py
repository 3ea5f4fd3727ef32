"""The core stays a core: nets/ imports numpy, the standard library's math and the project's own optim, never a
UI, plotting or reference library (streamlit, plotly, pandas, torch, scipy)."""

import ast
from pathlib import Path

import pytest

NETS = Path(__file__).resolve().parent.parent / "nets"
ALLOWED = {"__future__", "numpy", "typing", "pathlib", "math", "optim"}  # math: erf and lgamma for scalars


def imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("path", sorted(NETS.glob("*.py")), ids=lambda p: p.name)
def test_nets_imports_only_numpy_and_the_project(path):
    assert imported_modules(path) <= ALLOWED, f"{path.name} imports {imported_modules(path) - ALLOWED}"


def test_the_check_sees_imports_inside_functions(tmp_path):
    f = tmp_path / "m.py"
    f.write_text("import numpy as np\n\ndef g():\n    import pandas\n    from scipy import signal\n")
    assert imported_modules(f) == {"numpy", "pandas", "scipy"}


def test_package_docstring_example_runs():
    import doctest

    import nets

    result = doctest.testmod(nets)
    assert result.attempted >= 2 and result.failed == 0
