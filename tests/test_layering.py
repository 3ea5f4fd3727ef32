"""The shape of the codebase: which part may import which (one table, one import walker), the core loads none of
the app's stack when it runs, and the core's docstring examples run.

Arrows point one way: ``pages -> ui -> viz -> {optim, surfaces, nets} -> numpy``. The core (optim, surfaces,
nets) imports neither streamlit, plotly nor pandas; surfaces imports nothing of optim.
"""

from __future__ import annotations

import ast
import doctest
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: every part of the repository -> what it may import besides itself and the standard library: parts of the
#: project, then third-party top-level modules
ALLOWED: dict[str, set[str]] = {
    "app.py": {"ui", "streamlit"},
    "pages": {"ui", "viz", "optim", "surfaces", "nets", "streamlit", "numpy"},
    # tables and charts, by type; threadpoolctl: one BLAS thread per session thread (ui/threads.py)
    "ui": {"viz", "optim", "surfaces", "nets", "streamlit", "pandas", "plotly", "threadpoolctl"},
    # kaleido, choreographer (Chromium), PIL, imageio_ffmpeg: the exports of viz/export.py, imported when one runs
    "viz": {"optim", "surfaces", "nets", "numpy", "plotly", "pandas", "kaleido", "choreographer", "PIL",
            "imageio_ffmpeg"},
    "optim": {"surfaces", "numpy"},
    "surfaces": {"numpy", "sympy"},  # sympy: typed-in functions (surfaces.typed) only
    "nets": {"optim", "numpy"},  # the training loops use optim.adam
    "bench": {"deploy", "websockets", "ui", "viz", "optim", "surfaces", "nets", "tests", "numpy", "pandas", "plotly",
              "streamlit", "playwright", "torch", "scipy",
              "threadpoolctl", "PIL"},  # tests: the browser fixtures; scipy: a reference
    "assets": {"ui", "tests", "numpy", "playwright"},  # thumbnails are screenshots taken with the browser fixtures
    "tests": {"ui", "viz", "optim", "surfaces", "nets", "deploy", "numpy", "pandas", "plotly", "streamlit",
              "pytest", "hypothesis", "playwright", "torch", "scipy", "sympy", "yaml",
              "threadpoolctl", "PIL", "imageio", "imageio_ffmpeg"},  # torch, scipy, sympy: references
    "dev.py": set(),
    "deploy": set(),  # serving replicas behind HAProxy: the standard library only
}
SKIPPED_DIRS = {".venv", ".git", "artifacts", "__pycache__", ".ci"}


def part_of(path: Path, root: Path = ROOT) -> str:
    """The entry of ALLOWED a file belongs to: its top-level folder, or the file itself at the top."""
    rel = path.relative_to(root)
    return rel.parts[0] if len(rel.parts) > 1 else rel.name


def python_files(root: Path = ROOT) -> list[Path]:
    return sorted(p for p in root.rglob("*.py") if not SKIPPED_DIRS & set(p.relative_to(root).parts[:-1]))


def imported_modules(path: Path, root: Path = ROOT) -> set[str]:
    """The top-level modules ``path`` imports, in any form: ``import a.b``, ``from a import b``, imports inside
    functions, ``importlib.import_module("a")`` and ``__import__("a")`` with a constant name. A relative import
    names the file's own part; a module found beside the file or in a folder of the project (scripts that put
    their folder, or tests/, on ``sys.path``) names that part."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            names.add(part_of(path, root) if node.level else node.module.split(".")[0])
        elif (isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", None)) in
              ("import_module", "__import__") and node.args and isinstance(node.args[0], ast.Constant)):
            names.add(str(node.args[0].value).split(".")[0])
    return {_resolve(name, path, root) for name in names}


def _resolve(name: str, path: Path, root: Path) -> str:
    """A project module's part (``app`` -> ``app.py``, ``timing`` beside bench's scripts -> ``bench``, ``browser``
    -> ``tests``), or the name itself (the standard library, a third-party module)."""
    if (root / name).is_dir() or (root / f"{name}.py").is_file():
        return name if (root / name).is_dir() else f"{name}.py"
    for folder in (path.parent, *(d for d in root.iterdir() if d.is_dir() and d.name not in SKIPPED_DIRS)):
        if (folder / f"{name}.py").is_file() or (folder / name / "__init__.py").is_file():
            return part_of(folder / "x", root) if folder != root else name
    return name


def forbidden_imports(path: Path, root: Path = ROOT) -> set[str]:
    part = part_of(path, root)
    return {m for m in imported_modules(path, root) - ALLOWED[part] - {part, "__future__"}
            if m not in sys.stdlib_module_names}


def test_every_file_belongs_to_a_part_of_the_table():
    parts = {part_of(p) for p in python_files()}
    assert parts <= set(ALLOWED), f"files outside the table: {sorted(parts - set(ALLOWED))}"
    assert {"app.py", "pages", "ui", "viz", "optim", "surfaces", "nets", "bench", "assets", "tests"} <= parts


@pytest.mark.parametrize("path", python_files(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_imports_follow_the_arrows(path):
    bad = forbidden_imports(path)
    assert not bad, f"{path.relative_to(ROOT)} ({part_of(path)}) imports {sorted(bad)}"


def test_the_table_keeps_the_core_free_of_the_app_stack():
    """The rules of STYLE.md, as read from the table itself."""
    for core in ("optim", "surfaces", "nets"):
        assert not ALLOWED[core] & {"streamlit", "plotly", "pandas", "viz", "ui", "pages", "app.py"}, core
    assert "optim" not in ALLOWED["surfaces"] and "surfaces" not in ALLOWED["nets"]
    assert not ALLOWED["viz"] & {"streamlit", "ui", "pages"} and not ALLOWED["ui"] & {"pages", "app.py"}
    assert ALLOWED["app.py"] == {"ui", "streamlit"}


def test_the_walker_sees_every_import_form(tmp_path):
    """Imports of every form are found, relative and path-inserted ones name their part, and a forbidden one is
    reported."""
    for folder in ("surfaces", "bench", "tests/browser"):
        (tmp_path / folder).mkdir(parents=True)
    (tmp_path / "bench" / "timing.py").write_text("")
    (tmp_path / "tests" / "browser" / "__init__.py").write_text("")
    sample = tmp_path / "surfaces" / "sample.py"
    sample.write_text(
        "import plotly.graph_objects as go\n"
        "from pandas import DataFrame\n"
        "import numpy, streamlit as st\n"
        "from . import base\n"
        "from .base import Surface\n"
        "try:\n"
        "    import scipy\n"
        "except ImportError:\n"
        "    pass\n"
        "def f():\n"
        "    import importlib\n"
        "    from optim.run import run\n"
        "    __import__('viz.style')\n"
        "    return importlib.import_module('torch.optim')\n"
    )
    assert imported_modules(sample, tmp_path) == {"plotly", "pandas", "numpy", "streamlit", "surfaces", "scipy",
                                                  "importlib", "optim", "viz", "torch"}
    assert forbidden_imports(sample, tmp_path) == {"plotly", "pandas", "streamlit", "scipy", "optim", "viz", "torch"}
    script = tmp_path / "bench" / "script.py"
    script.write_text("import timing\nfrom browser.conftest import start_server\nimport json\n")
    assert imported_modules(script, tmp_path) == {"bench", "tests", "json"}
    assert forbidden_imports(script, tmp_path) == set()


def test_importing_the_core_loads_none_of_the_app_stack():
    """Beyond the source text: a fresh interpreter that imports every module of the core has not loaded
    streamlit, plotly or pandas."""
    modules = sorted(_core_modules())
    code = f"import sys, {', '.join(modules)}; print(sorted({{'streamlit', 'plotly', 'pandas'}} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def _core_modules() -> list[str]:
    """Every importable module of optim, surfaces and nets (``optim.__main__`` runs the command line instead)."""
    found = []
    for pkg in ("optim", "surfaces", "nets"):
        for p in sorted((ROOT / pkg).rglob("*.py")):
            parts = p.relative_to(ROOT).with_suffix("").parts
            if parts[-1] == "__main__":
                continue
            found.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return found


# -- the core's examples run -------------------------------------------------------------------------------------------

#: modules whose docstrings must carry at least this many examples; every other module of the core runs its own
EXAMPLES = {"surfaces": 1, "optim": 1, "optim.methods.gd": 1, "optim.registry": 1, "optim.sweep": 1, "nets": 2}


@pytest.mark.parametrize("module", _core_modules())
def test_docstring_examples_run(module):
    result = doctest.testmod(importlib.import_module(module), verbose=False, report=True,
                             optionflags=doctest.ELLIPSIS)
    assert result.attempted >= EXAMPLES.get(module, 0), f"{module} has {result.attempted} examples"
    assert result.failed == 0


def test_the_modules_with_examples_are_in_the_core():
    assert set(EXAMPLES) <= set(_core_modules())
