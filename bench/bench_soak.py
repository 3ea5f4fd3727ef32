"""Soak: open and close many sessions with varied settings on one server; its resident memory must settle.

    .venv/bin/python bench/bench_soak.py [--sessions 200] [--every 10]

Each session is what a browser does, without the browser: a WebSocket to ``/_stcore/stream``, one script run of
a page with a link's query string, read until the run has finished, close. The settings are drawn (seeded) from
each page's valid ranges, so the caches fill as they do in a lecture where every student moves the sliders.
Prints the server's RSS every ``--every`` sessions (the curve), then each cache's size as the server reports it
(``/_stcore/metrics``: ``cache_memory_bytes``) with its bound (``max_entries``) and the mean entry, and exits 1
if the memory did not settle: growth over the last half of the sessions must stay under a third of the growth
over the first half and under 80 MB. Loopback only; every wait is bounded.

A closed session is kept by the server for ``server.disconnectedSessionTTL`` (120 s) in a store of at most
128 sessions, so the curve climbs over the first ~128 sessions and flattens after that.
"""

from __future__ import annotations

import argparse
import ast
import random
import re
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.sync.client import connect

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from browser.conftest import start_server, stop_server  # noqa: E402

RUN_SECONDS = 60  #: one session's script run, at most
RERUN = 2  #: ScriptFinishedStatus FINISHED_EARLY_FOR_RERUN: the run goes on in a new one


def r3(rng: random.Random, low: float, high: float) -> str:
    return f"{rng.uniform(low, high):.3g}"


#: page url_path -> draws one link's settings (valid values, small enough to keep a session under a second or two)
SCENARIOS = {
    "learning_rate": lambda g: {"lr": r3(g, 0.01, 0.9), "steps": str(g.randint(5, 60))},
    "learning_rate ": lambda g: {"view": "compare", "runs": ",".join(f"{r3(g, 0.02, 0.9)}:{g.randint(3, 30)}"
                                                                       for _ in range(g.randint(1, 4)))},
    "playground": lambda g: {"surface": g.choice(["rosenbrock", "himmelblau", "saddle", "elongated-bowl"]),
                             "opt": ",".join(g.sample(["gd", "momentum", "nesterov", "adam", "rmsprop", "adagrad"],
                                                      g.randint(1, 3))),
                             "steps": str(g.randint(20, 150))},
    "moving_averages": lambda g: {"beta": r3(g, 0.5, 0.99), "n": str(g.randint(20, 400)),
                                  "seed": str(g.randint(0, 9999))},
    "batch_norm": lambda g: {"m": str(g.randint(4, 128)), "shift": r3(g, -5, 5), "seed": str(g.randint(0, 9999))},
    "lstm": lambda g: {"bf": r3(g, -3, 5), "scale": r3(g, 0.2, 5), "seed": str(g.randint(0, 999))},
    "spatial_transformer": lambda g: {"angle": r3(g, -40, 40), "zoom": r3(g, 0.8, 1.3), "i": str(g.randint(0, 27)),
                                      "j": str(g.randint(0, 27))},
    "initializers": lambda g: {"fanin": str(g.randint(1, 1024)), "fanout": str(g.randint(1, 1024)),
                               "seed": str(g.randint(0, 9999))},
    "dropout": lambda g: {"value": r3(g, 0.05, 1), "n": str(g.randint(2, 64)), "seed": str(g.randint(0, 9999))},
    "convolution": lambda g: {"stride": str(g.randint(1, 3)), "pad": str(g.randint(0, 2))},
    "losses": lambda g: {"delta": r3(g, 0.1, 4), "target": r3(g, 0.2, 8)},
    "activations": lambda g: {"reach": r3(g, 1, 19)},
    # the heavier views, one in four times: small enough to keep the soak's sessions short
    "hyperparameter_map": lambda g: {"n": str(g.randint(20, 60)), "steps": str(g.randint(50, 200)),
                                     "seed": str(g.randint(0, 999))},
    "spatial_transformer ": lambda g: {"view": "recover", "steps": str(g.randint(10, 40)), "angle": r3(g, -30, 30)},
    "batch_norm ": lambda g: {"view": "lr", "steps": str(g.randint(50, 120)), "lrseed": str(g.randint(0, 99))},
    "lstm ": lambda g: {"view": "gradient", "T": str(g.randint(10, 80)), "gseed": str(g.randint(0, 999))},
    "initializers ": lambda g: {"view": "depth", "layers": str(g.randint(2, 12)), "dseed": str(g.randint(0, 999))},
    "batch_learning": lambda g: {"updates": str(g.randint(10, 100)), "seed": str(g.randint(0, 9999))},
}


def open_session(url: str, page: str, query: dict[str, str]) -> tuple[float, int, list[str]]:
    """One session: run ``page?query`` to the end and close. Returns seconds, bytes received, exceptions shown."""
    t0 = time.monotonic()
    received, errors = 0, []
    with connect(url.replace("http://", "ws://") + "/_stcore/stream", subprotocols=["streamlit"], open_timeout=10,
                 max_size=None) as ws:
        msg = BackMsg()
        msg.rerun_script.query_string = urllib.parse.urlencode(query)
        msg.rerun_script.page_name = page.strip()
        ws.send(msg.SerializeToString())
        while True:
            left = RUN_SECONDS - (time.monotonic() - t0)
            if left <= 0:
                raise TimeoutError(f"{page}?{msg.rerun_script.query_string} did not finish in {RUN_SECONDS} s")
            raw = ws.recv(timeout=left)
            received += len(raw)
            fwd = ForwardMsg()
            fwd.ParseFromString(raw)
            kind = fwd.WhichOneof("type")
            if kind == "delta" and fwd.delta.new_element.WhichOneof("type") == "exception":
                errors.append(fwd.delta.new_element.exception.message)
            if kind == "script_finished" and fwd.script_finished != RERUN:
                break
    return time.monotonic() - t0, received, errors


def rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) / 1024


def cache_bytes(url: str) -> tuple[dict[str, int], dict[str, int]]:
    """Each cache's bytes and misses (its distinct keys, while nothing was evicted), from /_stcore/metrics."""
    with urllib.request.urlopen(url + "/_stcore/metrics", timeout=10) as r:
        text = r.read().decode()
    size = {m.group(2): int(m.group(3)) for m in re.finditer(
        r'cache_memory_bytes\{cache_type="(st_cache_data|st_cache_resource)",cache="__main__\.(\w+)"\} (\d+)', text)}
    misses: dict[str, int] = {}
    for m in re.finditer(r'cache_lookups_total\{cache="__main__\.(\w+)",cache_type="\w+",result="miss"\} (\d+)', text):
        misses[m.group(1)] = misses.get(m.group(1), 0) + int(m.group(2))
    return size, misses


def declared_bounds() -> dict[str, tuple[str, int | None]]:
    """Every cached function of the pages: name -> (page, max_entries), read from the source."""
    out = {}
    for path in sorted((ROOT / "pages").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef):
                for dec in node.decorator_list:
                    if isinstance(dec, ast.Call) and getattr(dec.func, "attr", "") in ("cache_data", "cache_resource"):
                        kw = {k.arg: k.value for k in dec.keywords}
                        n = kw.get("max_entries")
                        out[node.name if node.name not in out else f"{path.stem}.{node.name}"] = (
                            path.stem, n.value if isinstance(n, ast.Constant) else None)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=200)
    parser.add_argument("--every", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    pages = list(SCENARIOS)
    proc, url = start_server()
    curve, times, failures = [(0, rss_mb(proc.pid))], [], []
    try:
        t_start = time.monotonic()
        for i in range(1, args.sessions + 1):
            page = pages[(i - 1) % len(pages)]
            query = SCENARIOS[page](rng)
            try:
                seconds, _, errors = open_session(url, page, query)
                times.append(seconds)
                if errors:
                    failures.append(f"{page.strip()}?{urllib.parse.urlencode(query)}: {errors[0][:120]}")
            except (OSError, TimeoutError) as exc:
                failures.append(f"{page.strip()}?{urllib.parse.urlencode(query)}: {exc}")
            if i % args.every == 0:
                curve.append((i, rss_mb(proc.pid)))
                print(f"  {i:4d} sessions  RSS {curve[-1][1]:7.1f} MB  ({time.monotonic() - t_start:5.1f} s)",
                      flush=True)
        sizes, misses = cache_bytes(url)
    finally:
        stop_server(proc)

    print(f"\n{args.sessions} sessions, {len(failures)} with an error; median session "
          f"{sorted(times)[len(times) // 2]:.2f} s")
    for f in failures[:10]:
        print("  error:", f)
    print("\ncache (page)                       bytes now   keys seen  mean entry  max_entries  bound at mean")
    bounds = declared_bounds()
    total_bound = 0
    for name, (page, limit) in sorted(bounds.items(), key=lambda kv: -sizes.get(kv[0], 0)):
        size, keys = sizes.get(name, 0), misses.get(name, 0)
        mean = size / min(keys, limit or keys) if keys else 0
        bound = mean * (limit or 0)
        total_bound += bound
        print(f"{name + ' (' + page + ')':34s} {size / 1e3:9.0f} kB {keys:9d} {mean / 1e3:9.1f} kB {limit!s:>11}"
              f" {bound / 1e6:11.1f} MB")
    print(f"{'all caches, bound at the mean entry':34s} {sum(sizes.values()) / 1e6:9.1f} MB"
          f"{'':33s}{total_bound / 1e6:11.1f} MB")

    half = len(curve) // 2
    first, last = curve[half][1] - curve[0][1], curve[-1][1] - curve[half][1]
    print(f"\nRSS: start {curve[0][1]:.0f} MB, after {curve[half][0]} sessions {curve[half][1]:.0f} MB, "
          f"after {curve[-1][0]} {curve[-1][1]:.0f} MB; growth first half {first:.0f} MB, last half {last:.0f} MB")
    settled = last < max(first, 0) / 3 + 5 and last < 80
    print("settled" if settled else "NOT settled: the last half still grows")
    return 0 if settled and not failures else 1


if __name__ == "__main__":
    sys.exit(main())
