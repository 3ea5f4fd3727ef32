"""A lecture hall at once: N students open the shared link at the same moment, against 1 and 2 replicas behind
HAProxy (``deploy/serve.py``), in one headless Chromium with one browser context per student.

    .venv/bin/python bench/bench_load.py [--sessions 10,20,30,50] [--replicas 1,2]

Each student runs the classroom script: open the shared learning-rate link and wait for its table (time to first
render), move the eta slider one step and wait for the table to change (slider to update), open the playground
and wait for its chart. The same script on the one-slider reference page (``bench/one_slider_app.py``: open,
wait for the table, move the slider, wait) gives the ratio. Reported per N and replica count: success rate,
median and p95 of both times, peak RSS per replica, and the CPU seconds the replicas spent per student (the
per-session cost, from /proc), from which a lecture's replica count is estimated.

Every step has a deadline (a student who misses one counts as a failure); traffic goes to 127.0.0.1 only. The
browser runs on the same cores as the servers: on a 2-core machine it takes a large share of the CPU, which the
printed machine CPU share shows.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import signal
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from browser.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from deploy.serve import Hall  # noqa: E402

SLIDER = '[data-testid="stSlider"] input[type="range"]'
CELL = '[data-testid="stDataFrame"] [data-testid="glide-cell-{col}-0"]'
RENDER_TIMEOUT = 180_000  #: ms, per step: at N = 50 on 2 cores the last student waits a long time
SHARED_LINK = "learning_rate?lr=0.2&steps=15"


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def rss_mb(pid: int) -> float:
    try:
        return int(re.search(r"VmRSS:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text()).group(1)) / 1024
    except (FileNotFoundError, AttributeError):
        return 0.0


class PeakRss(threading.Thread):
    """Samples each replica's RSS every 0.2 s until stopped; keeps the peak."""

    def __init__(self, pids: list[int]):
        super().__init__(daemon=True)
        self.pids, self.peak, self.done = pids, {p: 0.0 for p in pids}, threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.2):
            for p in self.pids:
                self.peak[p] = max(self.peak[p], rss_mb(p))


async def wait_cell_change(page, col: int, before: str, timeout: float) -> None:
    await page.wait_for_function(
        f"""() => {{ const c = document.querySelector('{CELL.format(col=col)}');
                     return c && c.innerText !== {before!r}; }}""", timeout=timeout)


async def student(browser, url: str, reference: bool) -> dict:
    """One student's classroom script; times in seconds, or an error."""
    ctx = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await ctx.new_page()
    page.set_default_timeout(RENDER_TIMEOUT)
    out: dict = {}
    try:
        col = 1 if reference else 4
        t0 = time.perf_counter()
        await page.goto(f"{url}/" if reference else f"{url}/{SHARED_LINK}", timeout=RENDER_TIMEOUT)
        cell = page.locator(CELL.format(col=col)).first
        await cell.wait_for(state="attached", timeout=RENDER_TIMEOUT)
        out["first_render"] = time.perf_counter() - t0
        await page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')",
                                     timeout=RENDER_TIMEOUT)
        before = await cell.inner_text()
        thumb = page.locator(SLIDER).first
        await thumb.focus()
        t1 = time.perf_counter()
        await thumb.press("ArrowRight")
        await wait_cell_change(page, col, before, RENDER_TIMEOUT)
        out["slider_update"] = time.perf_counter() - t1
        if not reference:
            t2 = time.perf_counter()
            await page.goto(f"{url}/playground", timeout=RENDER_TIMEOUT)
            await page.wait_for_selector('[data-testid="stPlotlyChart"] .js-plotly-plot', timeout=RENDER_TIMEOUT)
            out["playground"] = time.perf_counter() - t2
        if await page.locator('[data-testid="stException"]').count():
            out["error"] = "exception shown on the page"
    except Exception as exc:  # a timeout or a lost page: this student failed
        out["error"] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:100]}"
    finally:
        await ctx.close()
    return out


def p95(xs: list[float]) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(0.95 * (len(xs) - 1))))]


async def one_round(browser, hall: Hall, n: int, reference: bool) -> dict:
    pids = [r.proc.pid for r in hall.members]
    cpu0 = {p: cpu_seconds(p) for p in pids}
    busy0 = machine_busy()
    sampler = PeakRss(pids)
    sampler.start()
    t0 = time.perf_counter()
    results = await asyncio.gather(*(student(browser, hall.url, reference) for _ in range(n)))
    wall = time.perf_counter() - t0
    sampler.done.set()
    sampler.join()
    busy1 = machine_busy()
    ok = [r for r in results if "error" not in r]
    cpu = sum(cpu_seconds(p) - cpu0[p] for p in pids)
    row = {
        "n": n, "replicas": len(pids), "page": "one slider" if reference else "classroom", "ok": len(ok),
        "wall": wall, "server_cpu_per_student": cpu / n,
        "machine_cpu": (busy1[0] - busy0[0]) / max(1, busy1[1] - busy0[1]),
        "peak_rss": [round(sampler.peak[p]) for p in pids],
        "errors": sorted({r["error"] for r in results if "error" in r})[:3],
    }
    for key in ("first_render", "slider_update", "playground"):
        xs = [r[key] for r in ok if key in r]
        row[key] = (statistics.median(xs), p95(xs)) if xs else None
    return row


def fmt(pair) -> str:
    return "      -       " if pair is None else f"{pair[0]:6.2f} / {pair[1]:6.2f}"


async def main_async(args) -> list[dict]:
    from playwright.async_api import async_playwright

    rows = []
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            for replicas in args.replicas:
                for reference in (False, True) if replicas in args.reference_replicas else (False,):
                    script = "bench/one_slider_app.py" if reference else "app.py"
                    for n in args.sessions:
                        # a fresh hall per round: every round starts from cold caches, like a lecture's first minute
                        with Hall(replicas=replicas, quiet=True, script=script) as hall:
                            await student(browser, hall.url, reference)  # the teacher's own check: imports warm
                            row = await one_round(browser, hall, n, reference)
                        rows.append(row)
                        print(f"{row['page']:10s} N={n:3d} replicas={replicas}  ok {row['ok']:3d}/{n:<3d}  "
                              f"first render {fmt(row['first_render'])}  slider {fmt(row['slider_update'])}  "
                              f"playground {fmt(row['playground'])}  peak RSS {row['peak_rss']} MB  "
                              f"server CPU {row['server_cpu_per_student']:.2f} s/student  "
                              f"machine CPU {100 * row['machine_cpu']:.0f}%  wall {row['wall']:.0f} s"
                              + (f"  errors {row['errors']}" if row["errors"] else ""), flush=True)
        finally:
            await browser.close()
    return rows


def report(rows: list[dict]) -> None:
    print("\n| page | N | replicas | success | first render median / p95 (s) | slider to update median / p95 (s) "
          "| playground median / p95 (s) | peak RSS per replica (MB) | server CPU per student (s) | machine CPU |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['page']} | {r['n']} | {r['replicas']} | {r['ok']}/{r['n']} | {fmt(r['first_render'])} | "
              f"{fmt(r['slider_update'])} | {fmt(r['playground'])} | {', '.join(map(str, r['peak_rss']))} | "
              f"{r['server_cpu_per_student']:.2f} | {100 * r['machine_cpu']:.0f}% |")
    by = {(r["page"], r["n"], r["replicas"]): r for r in rows}
    print("\nratio classroom / one slider (median slider to update):")
    for (page, n, replicas), r in sorted(by.items()):
        ref = by.get(("one slider", n, replicas))
        if page == "classroom" and ref and r["slider_update"] and ref["slider_update"]:
            print(f"  N={n:3d} replicas={replicas}: {r['slider_update'][0] / ref['slider_update'][0]:.1f}x "
                  f"(first render {r['first_render'][0] / ref['first_render'][0]:.1f}x)")
    costs = [r["server_cpu_per_student"] for r in rows if r["page"] == "classroom" and r["ok"]]
    if costs:
        cost = statistics.median(costs)
        print(f"\nserver CPU per student (classroom script, median over rounds): {cost:.2f} s. 300 students opening "
              f"the link within one minute need {300 * cost / 60:.1f} cores of app work; at about one busy core per "
              f"replica (one GIL each) that is {max(1, round(300 * cost / 60 + 0.49))} replicas, plus cores for "
              f"the proxy.")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", default="10,20,30,50",
                        type=lambda s: [int(x) for x in s.split(",") if 0 < int(x) <= 100])
    parser.add_argument("--replicas", default="1,2", type=lambda s: [int(x) for x in s.split(",") if 0 < int(x) <= 8])
    parser.add_argument("--reference-replicas", default=None,
                        type=lambda s: [int(x) for x in s.split(",") if 0 < int(x) <= 8],
                        help="replica counts the one-slider reference runs on (default: every --replicas)")
    args = parser.parse_args()
    args.reference_replicas = args.replicas if args.reference_replicas is None else args.reference_replicas
    # SIGTERM unwinds like Ctrl-C, so the replicas and the proxy of the round are stopped
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    rows = asyncio.run(main_async(args))
    report(rows)
    return 0 if all(r["ok"] == r["n"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
