#!/usr/bin/env python3
"""One entry point for people and CI: set up the environment, then run the app, the tests or the benchmarks.

    python3 dev.py app      # start the Streamlit app (http://localhost:8501)
    python3 dev.py serve --replicas 4 --port 8501   # a lecture hall: 4 app processes behind HAProxy
    python3 dev.py test     # run the whole test suite
    python3 dev.py bench    # run every benchmark in bench/ (or one: python3 dev.py bench sweep)

The first call creates `.venv/` next to this file and installs what `pyproject.toml` lists; later calls
reuse it and only reinstall when `pyproject.toml` changed. Extra arguments go to streamlit or pytest.
Needs nothing but Python 3.11 or newer.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tomllib
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")

# Which optional-dependency groups of pyproject.toml each command needs.
EXTRAS = {"app": (), "serve": (), "test": ("test", "torch"), "bench": ("test", "torch")}


def requirements(extras: tuple[str, ...]) -> list[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = list(project["dependencies"])
    for extra in extras:
        reqs += project["optional-dependencies"][extra]
    return reqs


def ensure_environment(extras: tuple[str, ...]) -> None:
    if sys.version_info < (3, 11):
        sys.exit(f"dev.py needs Python 3.11 or newer; this is {sys.version.split()[0]}.")
    if not PYTHON.exists():
        print(f"Creating a virtual environment in {VENV} ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    reqs = requirements(extras)
    stamp = VENV / f".installed-{hashlib.sha256(chr(10).join(reqs).encode()).hexdigest()[:16]}"
    if stamp.exists():
        return
    print("Installing: " + ", ".join(reqs), flush=True)
    subprocess.run([str(PYTHON), "-m", "pip", "install", "--quiet", *reqs], check=True)
    stamp.touch()


def run_tests(args: list[str]) -> int:
    """The whole suite on two pytest-xdist workers: first the tests without a browser, spread test by test, then
    the browser tests, spread file by file (each worker runs one Streamlit server and one Chromium), and last, alone,
    the lecture-hall tests (three replicas behind HAProxy, killed on purpose: beside another file's browser they
    starved). On this 2-core machine that takes the suite from 13.7 to about 11 minutes. Extra arguments run pytest
    once with exactly those arguments."""
    pytest = [str(PYTHON), "-m", "pytest"]
    if args:
        return subprocess.call([*pytest, *args])
    status = subprocess.call([*pytest, "-m", "not browser", "-n", "2"])
    status |= subprocess.call([*pytest, "-m", "browser and not hall", "-n", "2", "--dist", "loadfile"])
    return status | subprocess.call([*pytest, "-m", "hall"])


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in EXTRAS:
        print(__doc__.strip())
        return 2
    command, rest = argv[0], argv[1:]
    ensure_environment(EXTRAS[command])
    os.chdir(ROOT)
    if command == "app":
        return subprocess.call([str(PYTHON), "-m", "streamlit", "run", "app.py", *rest])
    if command == "serve":  # replaced by the server (deploy/serve.py), so Ctrl-C and SIGTERM reach it directly
        os.execv(str(PYTHON), [str(PYTHON), str(ROOT / "deploy" / "serve.py"), *rest])
    if command == "test":
        return run_tests(rest)
    names = rest or [p.stem.removeprefix("bench_") for p in sorted((ROOT / "bench").glob("bench_*.py"))]
    status = 0
    for name in names:
        print(f"== bench/bench_{name}.py", flush=True)
        status |= subprocess.call([str(PYTHON), f"bench/bench_{name}.py"])
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
