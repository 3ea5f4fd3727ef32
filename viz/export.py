r"""Slides to take away: the playground's race as an animated GIF or MP4, one frame as a PNG at slide size, and a
one-page handout. Pure: a figure dict in, bytes out; nothing here knows Streamlit.

Every picture is drawn by plotly.js in a headless Chromium from the figure the page itself sends
(``viz.race.race_figure``), never by a second drawing:

- **PNG** (one frame, and the handout's figure): kaleido 1.x, plotly's own static-image engine
  (``plotly.io.to_image`` uses it), rendering the figure built at the inspected iteration, at 1920 x 1080.
- **GIF and MP4**: kaleido renders each figure in a fresh plot (``newPlot`` and ``toImage``), which measured
  2.3 s per frame for nine optimizers x 500 steps at 1920 x 1080 on this 2-core machine: 250 frames would take
  ten minutes. The animation is therefore played as the page plays it: one page in Chromium (driven over the
  DevTools protocol by choreographer, the browser layer kaleido itself is built on) draws the figure once with
  ``Plotly.newPlot``, then for each exported frame applies that frame's data with ``Plotly.animate`` (exactly
  the frames the page's Play button animates) and takes a screenshot: 0.15 to 0.3 s a frame here (the machine
  shared), 15 to 25 s for a whole export with start-up and encoding (``bench/bench_export.py``). plotly.js 3
  drops the contour's layer when it animates the scatter traces over it, so the layer ``newPlot`` drew is put
  back after each frame (no frame changes it).
- **Decimation**: the race has at most ``viz.race_player.FRAME_CAP`` frames (every iteration up to 250 steps,
  every k-th beyond); the export takes at most ``EXPORT_FRAMES`` of them, evenly spaced, always the first and
  the last, and plays them in ``EXPORT_SECONDS`` (the last frame held ``HOLD_LAST_MS`` longer). On a machine
  too busy to draw them all within ``TIME_BUDGET`` (measured on three probe frames) it takes fewer, still evenly
  spaced, at least ``MIN_FRAMES``. A GIF larger than ``MAX_BYTES`` is re-encoded from every other frame (at
  double the duration) until it fits.
- **Encoding**: Pillow writes the GIF (one palette for all frames: the 256 colours most used in the first,
  middle and last frames, kept exact; Pillow stores only the rectangle that changed from the previous frame);
  imageio-ffmpeg's bundled ffmpeg writes an H.264 MP4.

The browser is Debian's ``chromium`` (or whatever ``BROWSER_PATH`` names, as for kaleido); nothing is
downloaded. (kaleido 0.2.1, which bundled its own Chromium, is refused by plotly 7: ``plotly.io`` requires
kaleido >= 1.) Every failure (no browser, no codec, a render timing out) raises :class:`ExportError` with a
one-line reason. The heavy libraries are imported only when an export runs.
"""

from __future__ import annotations

import asyncio
import base64
import json
import math
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from .encode import MAX_BYTES, ExportError, _one_line, gif, mp4  # noqa: F401  (this module's interface)
from .handout import handout_html  # noqa: F401  (this module's interface)
from .race_player import plot_height
from .style import Theme

SLIDE = (1920, 1080)  #: slide size in pixels (16:9, full HD)
EXPORT_FRAMES = 60  #: at most this many frames in a GIF or MP4 (see the module's docstring)
EXPORT_SECONDS = 8.0  #: one play of the exported animation, last frame's hold not counted
HOLD_LAST_MS = 2000  #: the last frame stays this long, so the finish can be read
TIME_BUDGET = 20.0  #: seconds an animated export aims at, start-up and encoding included (the limit is 30: the
#: rest is room for the other users of a shared machine, whose load changes while the frames are drawn)
MIN_FRAMES = 12  #: a slow machine thins the frames to fit TIME_BUDGET, never below this many
BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
TIMEOUT = 90.0  #: seconds for the browser to start and draw the figure once
FRAME_TIMEOUT = 20.0  #: seconds for one frame

Progress = Callable[[float, str], None]


def _quiet(done: float, text: str) -> None:
    pass


def find_browser() -> str:
    """The Chromium to draw with: ``BROWSER_PATH`` if set (kaleido and choreographer read it too), else the first
    of ``BROWSER_NAMES`` on the PATH."""
    path = os.environ.get("BROWSER_PATH") or next(filter(None, map(shutil.which, BROWSER_NAMES)), None)
    if not path or not os.access(path, os.X_OK):
        raise ExportError("no Chromium to draw with: install it (Debian: apt-get install chromium) or set "
                          "BROWSER_PATH")
    return path


# -- the figure as a slide ------------------------------------------------------------------------------------------

def iteration_label(t: int, steps: int) -> str:
    return f"iteration t = {t}" if t <= steps else f"iteration t = {steps + 1} (after the last step)"


def slide_figure(spec: dict, th: Theme, steps: int, *, current: int = 1, size: tuple[int, int] = SLIDE) -> dict:
    """The race figure ``spec`` (``viz.race.race_figure``) made ready for a slide.

    What only a pointer can use goes: the Play buttons and the step slider (a label "iteration t = ..." stands
    under the contour, where the slider was), and traces that draw nothing (the invisible grid that takes
    clicks; its entries in the frames too). The frames are otherwise the page's, their unchanged entries
    (``{}``) included: plotly.js loses the drawing of the traces a frame does not name (the contour among
    them). Everything drawn is the page's figure, at ``size``; ``current`` is the iteration the figure was
    built at (``race_figure(..., current=)``), for the label.
    """
    keep = [i for i, tr in enumerate(spec["data"]) if not _invisible(tr)]
    new_index = {old: new for new, old in enumerate(keep)}
    frames = []
    for fr in spec.get("frames", []):
        pairs = [(new_index[i], d) for i, d in zip(fr["traces"], fr["data"]) if i in new_index]
        frames.append({"name": fr["name"], "traces": [i for i, _ in pairs], "data": [d for _, d in pairs]})
    layout = {k: v for k, v in spec["layout"].items() if k not in ("updatemenus", "sliders")}
    layout["width"], layout["height"] = size
    layout["annotations"] = [*layout.get("annotations", []), dict(
        text=iteration_label(current, steps), xref="paper", yref="paper", x=sum(layout["xaxis"]["domain"]) / 2,
        xanchor="center",
        y=-th.race.slider_below / plot_height(th), yanchor="top", showarrow=False,
        font=dict(size=th.font + 2, color=th.ink))]
    return {"data": [spec["data"][i] for i in keep], "layout": layout, "frames": frames}


def _invisible(trace: dict) -> bool:
    color = str(trace.get("marker", {}).get("color", ""))
    return trace.get("mode") == "markers" and color.replace(" ", "") == "rgba(0,0,0,0)"


def export_indices(count: int, cap: int = EXPORT_FRAMES) -> list[int]:
    """Which of the race's ``count`` frames an export shows: all, or ``cap`` evenly spaced (first and last kept)."""
    if count <= cap:
        return list(range(count))
    return sorted({int(round(i)) for i in np.linspace(0, count - 1, cap)})


def frame_durations(n: int, seconds: float = EXPORT_SECONDS, hold: int = HOLD_LAST_MS) -> list[int]:
    """Milliseconds per frame (a multiple of 10, as GIF stores them, at least 20: browsers slow shorter frames
    down to 100 ms); the last frame is held ``hold`` ms longer."""
    ms = max(20, int(round(seconds * 1000 / max(n, 1) / 10)) * 10)
    return [ms] * (n - 1) + [ms + hold] if n else []


# -- drawing ---------------------------------------------------------------------------------------------------

def to_json(fig: dict) -> str:
    import plotly.io as pio  # noqa: PLC0415 (numpy arrays and typed arrays as plotly encodes them)

    return pio.to_json(fig, validate=False)


def png(fig: dict, *, size: tuple[int, int] = SLIDE) -> bytes:
    """One figure (no frames) as PNG at ``size``, drawn by kaleido in Chromium."""
    try:
        import kaleido  # noqa: PLC0415
    except ImportError as exc:
        raise ExportError(f"PNG export needs kaleido ({exc})") from None
    browser = find_browser()
    fig = {"data": fig["data"], "layout": {**fig["layout"], "width": size[0], "height": size[1]}}
    try:
        out = kaleido.calc_fig_sync(json.loads(to_json(fig)), opts=dict(format="png", width=size[0], height=size[1]),
                                    kopts=dict(path=browser, mathjax=False, timeout=TIMEOUT))
    except Exception as exc:  # noqa: BLE001 (a browser that fails to start or draw: one line for the page)
        raise ExportError(f"the PNG could not be drawn: {_one_line(exc)}") from None
    return bytes(out)


def frames_png(fig: dict, indices: Sequence[int], steps: int, *, size: tuple[int, int] = SLIDE,
               progress: Progress = _quiet, budget: float | None = None) -> tuple[list[bytes], list[int]]:
    """The frames ``indices`` of ``fig`` (a :func:`slide_figure`), each as PNG at ``size``: drawn once, then
    animated frame by frame in one Chromium page (see the module's docstring). Returns the PNGs and the frames
    they show: all of ``indices``, or, with a ``budget`` (seconds from now, encoding included), as many of them,
    evenly spaced (first and last kept, at least ``MIN_FRAMES``), as the measured speed of three probe frames
    (the median) lets finish in time."""
    try:
        import choreographer  # noqa: PLC0415, F401
    except ImportError as exc:
        raise ExportError(f"animated export needs choreographer (installed with kaleido): {exc}") from None
    browser = find_browser()
    try:
        return asyncio.run(_play(fig, list(indices), steps, size, browser, progress,
                                 None if budget is None else time.monotonic() + budget))
    except ExportError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise ExportError(f"the frames could not be drawn: {_one_line(exc)}") from None


_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><script src="{plotly}"></script></head>
<body style="margin:0;padding:0;overflow:hidden;background:white"><div id="fig"></div></body></html>"""

_SHOW = """(async (name) => {
  await Plotly.animate('fig', [name], {frame: {duration: 0, redraw: false}, transition: {duration: 0},
                                       mode: 'immediate'});
  return 1;
})"""
# plotly.js 3 (the one plotly.py ships) drops a contour's layer when it animates the scatter traces over it
# without a redraw: put back the layer newPlot drew, which no frame changes; and set the iteration label on the
# slide's own annotation (a relayout would draw everything again)
_FIX = """((label) => {{
  const gd = document.getElementById('fig');
  const plot = gd.querySelector('.overplot .xy');
  if (window.CONTOUR && plot && !plot.querySelector('.contourlayer')) {{
    const layer = window.CONTOUR.cloneNode(true);
    layer.__data__ = window.CONTOUR.__data__;  // d3's datum, which plotly's next join of layers reads
    plot.insertBefore(layer, plot.firstChild);
  }}
  const label_node = gd.querySelector('.annotation[data-index="{k}"] .annotation-text');
  if (label_node) label_node.textContent = label;
  return 1;
}})"""


async def _play(fig: dict, indices: list[int], steps: int, size: tuple[int, int], browser: str,
                progress: Progress, deadline: float | None) -> tuple[list[bytes], list[int]]:
    import choreographer as choreo  # noqa: PLC0415
    import plotly  # noqa: PLC0415

    plotly_js = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    out: list[bytes] = []
    with tempfile.TemporaryDirectory(prefix="lab-export-") as tmp:
        page = Path(tmp) / "index.html"
        page.write_text(_PAGE.format(plotly=plotly_js.as_uri()))
        progress(0.0, "Starting Chromium")
        async with choreo.Browser(path=browser, headless=True) as b:
            tab = await asyncio.wait_for(b.create_tab(url=page.as_uri()), TIMEOUT)
            await _command(tab, "Emulation.setDeviceMetricsOverride",
                           dict(width=size[0], height=size[1], deviceScaleFactor=1, mobile=False))
            for _ in range(int(TIMEOUT / 0.05)):
                if await _evaluate(tab, "document.readyState === 'complete' && typeof Plotly === 'object'"):
                    break
                await asyncio.sleep(0.05)
            else:
                raise ExportError("plotly.js did not load in Chromium")
            progress(0.02, "Drawing the figure")
            await _evaluate(tab, "(async () => { window.FIG = " + to_json(fig) + ";"
                            " const gd = await Plotly.newPlot('fig', FIG.data, FIG.layout, {displayModeBar: false});"
                            " await Plotly.addFrames(gd, FIG.frames);"
                            " const layer = gd.querySelector('.overplot .xy .contourlayer');"
                            " window.CONTOUR = layer ? layer.cloneNode(true) : null;"
                            " if (layer) window.CONTOUR.__data__ = layer.__data__; return 1; })()", timeout=TIMEOUT)
            fix = _FIX.format(k=len(fig["layout"]["annotations"]) - 1)

            async def capture(i: int) -> bytes:
                label = iteration_label(int(fig["frames"][i]["name"]), steps)
                await _evaluate(tab, f"{_SHOW}({json.dumps(fig['frames'][i]['name'])})")
                await _evaluate(tab, f"{fix}({json.dumps(label)})")
                shot = await _command(tab, "Page.captureScreenshot", dict(format="png", optimizeForSpeed=True))
                return base64.b64decode(shot["data"])

            out.append(await capture(indices[0]))  # the first frame warms plotly.js up: slower than the rest
            if deadline is not None and len(indices) > MIN_FRAMES:
                probes = []
                for i in indices[1:4]:  # probes of the speed (not kept: the frames may be spaced anew)
                    t0 = time.monotonic()
                    await capture(i)
                    probes.append(time.monotonic() - t0)
                indices = [indices[0], *thin(indices[1:], _affordable(float(np.median(probes)), deadline) - 1)]
            for n, i in enumerate(indices[1:], start=2):
                out.append(await capture(i))
                progress(0.05 + 0.85 * n / len(indices), f"Frame {n} of {len(indices)}")
    return out, indices


def _affordable(per_frame: float, deadline: float) -> int:
    """How many frames fit before ``deadline`` at ``per_frame`` seconds each, leaving time to encode them (about
    a tenth of a second a frame and 3 s, measured on this machine unloaded, stretched as the frames are)."""
    slow = max(1.0, per_frame / 0.2)
    left = deadline - time.monotonic() - 3.0 * slow
    return max(MIN_FRAMES, int(left / (per_frame + 0.1 * slow)))


def thin(indices: Sequence[int], count: int) -> list[int]:
    """``count`` of ``indices``, evenly spaced, the last kept (all of them when there are no more)."""
    if count >= len(indices):
        return list(indices)
    if count <= 1:
        return [indices[-1]]
    return [indices[int(round(j))] for j in np.linspace(0, len(indices) - 1, count)]


async def _command(tab, method: str, params: dict | None = None, timeout: float = FRAME_TIMEOUT) -> dict:
    response = await asyncio.wait_for(tab.send_command(method, params=params or {}), timeout)
    if "error" in response:
        raise ExportError(f"Chromium refused {method}: {response['error'].get('message', response['error'])}")
    return response.get("result", {})


async def _evaluate(tab, expression: str, timeout: float = FRAME_TIMEOUT):
    result = await _command(tab, "Runtime.evaluate", dict(expression=expression, awaitPromise=True,
                                                          returnByValue=True), timeout)
    if "exceptionDetails" in result:
        details = result["exceptionDetails"]
        raise ExportError("plotly.js failed: " + _one_line(details.get("exception", {}).get("description")
                                                           or details.get("text", "")))
    return result.get("result", {}).get("value")


def race_animation(spec: dict, th: Theme, steps: int, kind: str, *, progress: Progress = _quiet,
                   cap: int = EXPORT_FRAMES, budget: float | None = TIME_BUDGET) -> bytes:
    """The race ``spec`` (built with theme ``th``) as ``kind`` ("gif" or "mp4") at slide size: at most ``cap`` of
    its frames, evenly spaced, played in ``EXPORT_SECONDS``; fewer where the machine is too slow to draw them
    within ``budget`` seconds (``None``: no limit)."""
    fig = slide_figure(spec, th, steps)
    pngs, _ = frames_png(fig, export_indices(len(fig["frames"]), cap), steps, progress=progress, budget=budget)
    progress(0.92, f"Encoding the {kind.upper()}")
    durations = frame_durations(len(pngs))
    if kind == "gif":
        return gif(pngs, durations)
    out = mp4(pngs, durations)
    while len(out) > MAX_BYTES and len(pngs) > 2:  # not met at 1920 x 1080 with 60 frames; a guard
        keep = list(range(0, len(pngs) - 1, 2)) + [len(pngs) - 1]
        pngs, durations = [pngs[i] for i in keep], frame_durations(len(keep))
        out = mp4(pngs, durations)
    return out


def race_png(spec: dict, th: Theme, steps: int, current: int) -> bytes:
    """The race ``spec``, built at iteration ``current`` (``race_figure(..., current=)``), as a 1920 x 1080 PNG."""
    return png(slide_figure(spec, th, steps, current=current))


# -- the handout ------------------------------------------------------------------------------------------------

def handout_pdf(page_html: str) -> bytes:
    """The handout printed to a one-page PDF by Chromium (its own print engine, the page's CSS size), scaled down
    where it would not fit on one page."""
    try:
        import choreographer  # noqa: PLC0415, F401
    except ImportError as exc:
        raise ExportError(f"the PDF handout needs choreographer (installed with kaleido): {exc}") from None
    browser = find_browser()
    try:
        return asyncio.run(_print(page_html, browser))
    except ExportError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise ExportError(f"the handout could not be printed: {_one_line(exc)}") from None


async def _print(page_html: str, browser: str) -> bytes:
    import choreographer as choreo  # noqa: PLC0415

    with tempfile.TemporaryDirectory(prefix="lab-export-") as tmp:
        page = Path(tmp) / "handout.html"
        page.write_text(page_html)
        async with choreo.Browser(path=browser, headless=True) as b:
            tab = await asyncio.wait_for(b.create_tab(url=page.as_uri()), TIMEOUT)
            # the page's printable area in CSS pixels: A4 landscape less the 8 mm margins of the page's CSS
            width, height = (round((mm - 16) * 96 / 25.4) for mm in (297, 210))
            await _command(tab, "Emulation.setDeviceMetricsOverride",
                           dict(width=width, height=height, deviceScaleFactor=1, mobile=False))
            for _ in range(int(TIMEOUT / 0.05)):
                if await _evaluate(tab, "document.readyState === 'complete'"):
                    break
                await asyncio.sleep(0.05)
            await _command(tab, "Emulation.setEmulatedMedia", dict(media="print"))
            scale = await _fitting_scale(tab, width, height)
            pdf = await _command(tab, "Page.printToPDF", dict(printBackground=True, preferCSSPageSize=True,
                                                              scale=scale, pageRanges="1"), TIMEOUT)
    return base64.b64decode(pdf["data"])


async def _fitting_scale(tab, width: int, height: int) -> float:
    """The largest print scale (0.3 .. 1) at which the page fits on one page: at scale s the page is laid out
    on width / s pixels (narrower scales let more tables share a line), so it is searched, not computed."""

    async def fits(s: float) -> bool:
        await _command(tab, "Emulation.setDeviceMetricsOverride",
                       dict(width=round(width / s), height=round(height / s), deviceScaleFactor=1, mobile=False))
        w, h = await _evaluate(tab, "[document.body.scrollWidth, document.body.getBoundingClientRect().height]")
        return w <= width / s + 1 and h <= 0.98 * height / s

    if await fits(1.0):
        return 1.0
    lo, hi = 0.3, 1.0
    for _ in range(7):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if await fits(mid) else (lo, mid)
    return lo


def size_text(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 1e5 else f"{math.ceil(n / 1e3)} kB"
