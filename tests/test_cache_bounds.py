"""Every cache in the code has a bound, so a lecture's worth of different settings cannot grow a server without
limit: each ``st.cache_data`` / ``st.cache_resource`` gives ``max_entries`` (or ``ttl``), each ``lru_cache`` a
``maxsize``, and the process-wide budget of ``st.cache_data`` (``server.maxCacheDataSize``) is set. The sizes
were measured by ``bench/bench_soak.py`` (each cache's bytes per entry after 200 varied sessions)."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SKIPPED = {".venv", ".git", "artifacts", "__pycache__", "tests"}


def sources() -> list[Path]:
    return sorted(p for p in ROOT.rglob("*.py") if not SKIPPED & set(p.relative_to(ROOT).parts[:-1]))


def caches(path: Path) -> list[tuple[int, str, dict[str, ast.expr] | None]]:
    """(line, kind, keyword arguments) of every streamlit cache and functools lru_cache/cache in ``path``;
    keywords None for a bare decorator (``@st.cache_data``, ``@lru_cache``, ``@cache``)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for dec in node.decorator_list:
                target = dec.func if isinstance(dec, ast.Call) else dec
                name = getattr(target, "attr", getattr(target, "id", ""))
                if name in ("cache_data", "cache_resource", "lru_cache", "cache"):
                    kw = ({k.arg: k.value for k in dec.keywords} | ({"maxsize": dec.args[0]} if dec.args else {})
                          if isinstance(dec, ast.Call) else None)
                    found.append((dec.lineno, name, kw))
    return found


def unbounded(path: Path, root: Path = ROOT) -> list[str]:
    bad = []
    for line, kind, kw in caches(path):
        where = f"{path.relative_to(root)}:{line} {kind}"
        if kw is None:
            bad.append(f"{where} without a bound")
        elif kind in ("cache_data", "cache_resource"):
            n = kw.get("max_entries")
            if not (isinstance(n, ast.Constant) and isinstance(n.value, int) and n.value > 0) and "ttl" not in kw:
                bad.append(f"{where} without max_entries or ttl")
        else:
            n = kw.get("maxsize")
            if not (isinstance(n, ast.Constant) and isinstance(n.value, int) and n.value > 0):
                bad.append(f"{where} without a maxsize")
    return bad


def test_every_cache_of_the_app_has_a_bound():
    found = [c for p in sources() for c in caches(p)]
    assert len(found) >= 30  # the walker sees the pages' caches
    assert [b for p in sources() for b in unbounded(p)] == []


@pytest.mark.parametrize("code, expected", [
    ("import streamlit as st\n@st.cache_data\ndef f(): pass\n", ["without a bound"]),
    ("import streamlit as st\n@st.cache_data(show_spinner=False)\ndef f(): pass\n", ["without max_entries or ttl"]),
    ("import streamlit as st\n@st.cache_resource(ttl=60)\ndef f(): pass\n", []),
    ("import streamlit as st\n@st.cache_data(max_entries=8)\ndef f(): pass\n", []),
    ("from functools import lru_cache\n@lru_cache(maxsize=None)\ndef f(): pass\n", ["without a maxsize"]),
    ("from functools import lru_cache\n@lru_cache(16)\ndef f(): pass\n", []),
    ("from functools import cache\n@cache\ndef f(): pass\n", ["without a bound"]),
])
def test_the_check_finds_an_unbounded_cache(tmp_path, code, expected):
    path = tmp_path / "sample.py"
    path.write_text(code)
    assert [b.split(" ", 2)[-1] for b in unbounded(path, tmp_path)] == expected


def test_the_process_wide_cache_budget_is_set():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    budget = config["server"]["maxCacheDataSize"]
    number, unit = int(budget[:-2]), budget[-2:].lower()
    assert unit == "mb" and 64 <= number <= 1024
