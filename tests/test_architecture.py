"""The core's shape as a codebase: its examples run, and it imports nothing of the app's stack."""

from __future__ import annotations

import ast
import doctest
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORE_PACKAGES = ("optim", "surfaces")
FORBIDDEN = {"streamlit", "plotly", "pandas"}

# The core modules whose docstrings carry examples.
DOCTEST_MODULES = ["surfaces", "optim", "optim.methods.gd", "optim.registry"]


@pytest.mark.parametrize("module", DOCTEST_MODULES)
def test_docstring_examples_run(module):
    mod = importlib.import_module(module)
    result = doctest.testmod(mod, verbose=False, report=True, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0, f"{module} has no examples to run"
    assert result.failed == 0


def _core_files() -> list[Path]:
    return sorted(p for pkg in CORE_PACKAGES for p in (ROOT / pkg).rglob("*.py"))


def _imported_top_level_names(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", None)) in (
            "import_module", "__import__"
        ) and node.args and isinstance(node.args[0], ast.Constant):
            names.add(str(node.args[0].value).split(".")[0])
    return names


def test_the_core_has_modules_to_check():
    files = {p.relative_to(ROOT).as_posix() for p in _core_files()}
    assert {"optim/run.py", "optim/methods/adam.py", "optim/cli.py", "surfaces/catalog.py"} <= files


@pytest.mark.parametrize("path", _core_files(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_core_imports_neither_streamlit_plotly_nor_pandas(path):
    bad = _imported_top_level_names(path) & FORBIDDEN
    assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}: the core depends on numpy only"


def test_the_import_check_sees_imports(tmp_path):
    """The parser above finds every import form it is meant to forbid, and not relative imports."""
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import plotly.graph_objects as go\n"
        "from pandas import DataFrame\n"
        "import numpy, streamlit as st\n"
        "from . import run\n"
        "def f():\n"
        "    import importlib\n"
        "    return importlib.import_module('plotly.express')\n"
    )
    assert _imported_top_level_names(sample) == {"plotly", "pandas", "numpy", "streamlit", "importlib"}


def test_importing_the_core_loads_none_of_them():
    """Beyond the source text: a fresh interpreter that imports the core has not loaded the app's stack."""
    import subprocess
    import sys

    code = "import sys, optim, surfaces, optim.cli; print(sorted({'streamlit', 'plotly', 'pandas'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
