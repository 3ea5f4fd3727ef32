#!/usr/bin/env python3
"""Time the playground's exports (slides to take away) for nine optimizers x 500 steps on Rosenbrock, in the
presentation theme at 1920 x 1080, and print each one's time and size against the budget (30 s, 10 MB).

    python bench/bench_export.py            # GIF, MP4, PNG and the handout, once each
    python bench/bench_export.py gif        # only the GIF
    python bench/bench_export.py --save /tmp/slides gif mp4    # and keep the files to look at

The figure is built as the page builds it (viz.race.race_figure); the renders are the page's (viz.export).
"""

from __future__ import annotations

import io
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PIL import Image  # noqa: E402

import surfaces  # noqa: E402
from optim import NAMES, defaults_for, make, run  # noqa: E402
from ui import slides  # noqa: E402
from viz import export  # noqa: E402
from viz.race import race_figure  # noqa: E402
from viz.style import PRESENT  # noqa: E402

BUDGET_S, BUDGET_BYTES = 30.0, export.MAX_BYTES
STEPS = 500


def main(kinds: list[str], save: Path | None = None) -> int:
    s = surfaces.get("rosenbrock")
    names = NAMES[:9]
    t0 = time.perf_counter()
    runs = [run(s, make(n, **defaults_for(s, n)), list(s.starts[0]), STEPS) for n in names]
    spec = race_figure(s, runs, PRESENT)
    print(f"{len(names)} optimizers x {STEPS} steps on {s.name}: runs and figure {time.perf_counter() - t0:.2f} s, "
          f"{len(spec['frames'])} animation frames, at most {export.EXPORT_FRAMES} exported")
    status = 0
    for kind in kinds:
        t0 = time.perf_counter()
        try:
            if kind in ("gif", "mp4"):
                out = export.race_animation(spec, PRESENT, STEPS, kind)
            elif kind == "png":
                out = export.race_png(race_figure(s, runs, PRESENT, current=250), PRESENT, STEPS, 250)
            else:
                link = "http://localhost:8501/playground?opt=" + ",".join(names)
                out = export.handout_pdf(slides.handout_html(s, runs, 250, link))
        except export.ExportError as exc:
            print(f"{kind:8s} not made: {exc}")
            status = 1
            continue
        dt = time.perf_counter() - t0
        if save:
            save.mkdir(parents=True, exist_ok=True)
            (save / f"race.{'pdf' if kind == 'handout' else kind}").write_bytes(out)
        ok = dt < BUDGET_S and len(out) < BUDGET_BYTES
        status |= not ok
        frames = f"{Image.open(io.BytesIO(out)).n_frames} frames" if kind == "gif" else ""
        print(f"{kind:8s} {dt:6.1f} s  {export.size_text(len(out)):>8s}  {frames:>10s}  "
              f"({dt / BUDGET_S:.0%} of the time budget, {len(out) / BUDGET_BYTES:.0%} of the size budget)"
              + ("" if ok else "  OVER BUDGET"))
    return status


if __name__ == "__main__":
    args = sys.argv[1:]
    folder = None
    if "--save" in args:
        i = args.index("--save")
        folder, args = Path(args[i + 1]), args[:i] + args[i + 2:]
    sys.exit(main(args or ["gif", "mp4", "png", "handout"], folder))
