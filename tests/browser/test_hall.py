"""A lecture hall: replicas behind HAProxy (``deploy/serve.py``, ``python3 dev.py serve``), in a real Chromium.

Failover: the replica serving a browser is killed mid-session; the page reconnects through the proxy to the other
replica, reruns there with the same URL and shows the same table or figure, without a reload, within seconds.
Isolation: two browsers on one replica with different settings never see each other's values.

Needs HAProxy (Debian: ``apt-get install haproxy``); skipped with the reason where it is missing, except in CI
(``CI=1``), where that is a failure.
"""

from __future__ import annotations

import os
import shutil
import signal
import time

import numpy as np
import pytest

from deploy.serve import COOKIE, Hall
from optim import gd, iteration_table, run
from surfaces import get
from viz.tables import frame

from .conftest import assert_no_exception, cell, wait_idle
from .test_playground import traces

pytestmark = pytest.mark.hall

#: from the kill to the page's rerun on another replica; measured on 2 cores: 1.5 s, and up to 11 s while other
#: jobs kept the load average above 10 (the new replica's first run of a page imports its modules)
FAILOVER_SECONDS = 15


@pytest.fixture(scope="module")
def hall(browser):
    if shutil.which("haproxy") is None:
        reason = "haproxy is not installed (Debian: apt-get install haproxy)"
        if os.environ.get("CI"):
            pytest.fail(f"the lecture-hall tests must run in CI, but {reason}")
        pytest.skip(reason)
    # three replicas: each failover test kills one and needs two alive (a restarted replica would be cold)
    with Hall(replicas=3, quiet=True) as h:
        yield h


@pytest.fixture
def context(browser, hall):
    alive = [name for name, status in hall.server_states().items() if status.startswith("UP")]
    assert len(alive) >= 2, hall.server_states()
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    yield ctx
    ctx.close()


class Stream:
    """The page's WebSocket connections and the bytes each received (a rerun sends the page's elements)."""

    def __init__(self, pg):
        self.received: list[int] = []
        pg.on("websocket", self._opened)

    def _opened(self, ws) -> None:
        self.received.append(0)
        index = len(self.received) - 1
        ws.on("framereceived", lambda payload: self._add(index, payload))

    def _add(self, index: int, payload) -> None:
        self.received[index] += len(payload)


def open_page(ctx, hall, path: str) -> tuple:
    pg = ctx.new_page()
    pg.set_default_timeout(30_000)
    stream = Stream(pg)
    pg.goto(f"{hall.url}/{path}")
    wait_idle(pg)
    assert_no_exception(pg)
    return pg, stream


def serving_replica(ctx) -> str:
    return {c["name"]: c["value"] for c in ctx.cookies()}[COOKIE]


def kill_and_wait_for_the_rerun(pg, ctx, hall, stream: Stream, min_bytes: int) -> float:
    """Kill the replica that serves ``pg``; wait (bounded) until the page has reconnected, been rerun elsewhere
    and is idle. Return the seconds from the kill to the rerun's elements on the page."""
    victim = hall.replica(serving_replica(ctx))
    os.killpg(victim.proc.pid, signal.SIGKILL)
    killed = time.monotonic()
    connections = len(stream.received)
    while not (len(stream.received) > connections and stream.received[-1] >= min_bytes):
        assert time.monotonic() - killed < FAILOVER_SECONDS, (
            f"no rerun within {FAILOVER_SECONDS} s of the kill: connections {stream.received}")
        pg.wait_for_timeout(100)
    seconds = time.monotonic() - killed
    wait_idle(pg)
    assert_no_exception(pg)
    assert serving_replica(ctx) != victim.name, "the stickiness cookie still names the dead replica"
    # and HAProxy has taken it out of rotation (two failed checks a second apart)
    deadline = time.monotonic() + 10
    while not hall.server_states()[victim.name].startswith("DOWN"):
        assert time.monotonic() < deadline, hall.server_states()
        time.sleep(0.2)
    return seconds


def table(pg, rows: int, cols: int) -> list[list[str]]:
    return [[cell(pg, c, r) for c in range(cols)] for r in range(rows)]


def lr_table(lr: float, steps: int) -> list[list[float]]:
    """The learning-rate page's table (notes' quadratic, w0 = 2) from the core, rows of numbers."""
    return frame(iteration_table(run(get("notes-quadratic"), gd(lr=lr), [2.0], steps))).to_numpy().tolist()


def assert_table(rows: list[list[str]], expected: list[list[float]]) -> None:
    np.testing.assert_allclose([[float(x) for x in row] for row in rows], expected, rtol=1e-12, atol=1e-15)


def test_two_browsers_on_one_replica_never_see_each_others_values(browser, hall):
    """Both contexts carry the stickiness cookie of r1, so both sessions live in the same process. (First in the
    file: the failover tests below kill replicas.)"""
    contexts = [browser.new_context(viewport={"width": 1400, "height": 1000}) for _ in range(2)]
    try:
        host = hall.url.split("//")[1].split(":")[0]
        for ctx in contexts:
            ctx.add_cookies([{"name": COOKIE, "value": "r1", "domain": host, "path": "/"}])
        pages = []
        for ctx, lr in zip(contexts, (0.3, 0.2)):
            pg = ctx.new_page()
            pg.set_default_timeout(30_000)
            pg.goto(f"{hall.url}/learning_rate?lr={lr}&steps=8")
            wait_idle(pg)
            pages.append(pg)
        assert [serving_replica(ctx) for ctx in contexts] == ["r1", "r1"]
        a, b = pages
        assert_table(table(a, 8, 5), lr_table(0.3, 8))
        assert_table(table(b, 8, 5), lr_table(0.2, 8))

        # A moves its slider up three steps, then B one step down: each goes on from its own value
        for pg, key, count, lr in ((a, "ArrowRight", 3, "0.303"), (b, "ArrowLeft", 1, "0.199")):
            thumb = pg.locator('[data-testid="stSlider"]').first.locator('input[type="range"]')
            for _ in range(count):  # one press at a time: a rerun between quick presses could swallow one
                before = pg.evaluate("() => new URL(location.href).searchParams.get('lr')")
                thumb.focus()
                thumb.press(key)
                pg.wait_for_function(f"() => new URL(location.href).searchParams.get('lr') !== '{before}'")
                wait_idle(pg)
            assert pg.evaluate("() => new URL(location.href).searchParams.get('lr')") == lr
        assert_table(table(a, 8, 5), lr_table(0.303, 8))
        assert_table(table(b, 8, 5), lr_table(0.199, 8))
    finally:
        for ctx in contexts:
            ctx.close()


def test_learning_rate_page_comes_back_the_same_after_its_replica_dies(context, hall):
    pg, stream = open_page(context, hall, "learning_rate?lr=0.3&steps=12")
    before = table(pg, 12, 5)
    assert_table(before, lr_table(0.3, 12))  # the link's eta, not the default

    seconds = kill_and_wait_for_the_rerun(pg, context, hall, stream, min_bytes=5_000)
    assert seconds < FAILOVER_SECONDS
    assert table(pg, 12, 5) == before
    assert "lr=0.3" in pg.url and "steps=12" in pg.url

    # the page is live on the new replica, from the same eta: one step of the slider is 0.301
    thumb = pg.locator('[data-testid="stSlider"]').first.locator('input[type="range"]')
    thumb.focus()
    thumb.press("ArrowRight")
    pg.wait_for_function(
        f"""() => document.querySelector('[data-testid="glide-cell-4-0"]')?.innerText !== {before[0][4]!r}""")
    wait_idle(pg)
    assert_table(table(pg, 12, 5), lr_table(0.301, 12))
    assert "lr=0.301" in pg.url


def test_playground_figure_comes_back_the_same_after_its_replica_dies(context, hall):
    pg, stream = open_page(context, hall, "playground?surface=himmelblau&opt=gd,adam&steps=40")
    pg.wait_for_selector('[data-testid="stPlotlyChart"] .js-plotly-plot')
    before = traces(pg)
    assert {"Gradient descent", "Adam"} <= set(before)
    assert any(len(t["x"]) == 41 for t in before.values())  # a path of 40 steps from the link, not the default

    kill_and_wait_for_the_rerun(pg, context, hall, stream, min_bytes=20_000)
    pg.wait_for_selector('[data-testid="stPlotlyChart"] .js-plotly-plot')
    assert traces(pg) == before
    assert "surface=himmelblau" in pg.url
