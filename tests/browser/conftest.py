"""A real headless Chromium driving the app on a free localhost port.

Browser tests need Debian's Chromium (``/usr/bin/chromium``) and the Playwright Python package. Where they
are missing the tests are skipped with the reason, except under ``CI=1``, where they fail.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]


def pytest_collection_modifyitems(items):
    for item in items:
        if str(item.fspath).startswith(str(Path(__file__).parent)):
            item.add_marker(pytest.mark.browser)


def _unavailable() -> str | None:
    if not os.path.exists(CHROMIUM):
        return f"Chromium is not installed at {CHROMIUM} (Debian: apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(script: str = "app.py", cwd: Path = ROOT) -> tuple[subprocess.Popen, str]:
    """Start ``streamlit run script`` on a free port in its own process group; return it and its base URL."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", script, "--server.headless", "true", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false"],
        cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1):
                return proc, url
        except OSError:
            time.sleep(0.1)
    stop_server(proc)
    raise RuntimeError("the Streamlit server did not become healthy within 60 s")


def stop_server(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(proc.pid, signal.SIGKILL)


@pytest.fixture(scope="session")
def browser():
    reason = _unavailable()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"browser tests must run in CI, but {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="session")
def server(browser):
    proc, url = start_server()
    yield url
    stop_server(proc)


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    pg = context.new_page()
    pg.set_default_timeout(30_000)
    yield pg
    context.close()


def wait_idle(pg, timeout: float = 30_000) -> None:
    """Wait until the app has rendered and no script run is in progress."""
    pg.wait_for_selector('[data-testid="stMain"] h1', timeout=timeout)
    pg.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=timeout)
    pg.wait_for_timeout(300)
    pg.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=timeout)


def assert_no_exception(pg) -> None:
    errors = pg.locator('[data-testid="stException"]')
    assert errors.count() == 0, errors.first.inner_text()


def screenshot(pg, name: str) -> Path:
    """Save a screenshot of the whole page (the main column scrolls, so widen the viewport to its height)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    height = pg.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    size = pg.viewport_size
    pg.set_viewport_size({"width": size["width"], "height": min(max(int(height) + 40, 800), 6000)})
    drawn_for_window(pg)
    pg.wait_for_timeout(800)
    path = SCREENSHOTS / f"{name}.png"
    pg.screenshot(path=str(path))
    pg.set_viewport_size(size)
    drawn_for_window(pg)  # the page reruns for the restored size: let it finish before the test goes on
    return path


def drawn_for_window(pg, timeout: float = 40_000) -> None:
    """Wait until the server has drawn the page for the window's current size (a resize reruns the page once;
    ``ui.viewport`` writes the size each run drew for), and the run has ended."""
    pg.wait_for_function("() => document.querySelector(`[data-viewport='${window.innerWidth}x${window.innerHeight}']`)",
                         timeout=timeout)
    wait_idle(pg, timeout)


def cell(pg, col: int, row: int, table: int = 0) -> str:
    """The text of a cell of the ``table``-th dataframe (glide's hidden accessible cells behind the canvas)."""
    frame = pg.locator('[data-testid="stDataFrame"]').nth(table)
    loc = frame.locator(f'[data-testid="glide-cell-{col}-{row}"]')
    loc.wait_for(state="attached")
    return loc.inner_text()


def query(pg) -> dict[str, str]:
    """The page's address-bar settings, name to text."""
    return dict(re.findall(r"[?&]([^=&]+)=([^&]*)", pg.url))
