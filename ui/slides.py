"""Slides to take away, on the playground: the race as an animated GIF or MP4, the inspected iteration as a PNG at
slide size, and a one-page PDF handout, each made on the server when its button is pressed (with a progress
bar) and then offered for download. Drawing and encoding live in ``viz.export``; this is the glue.

Everything is drawn in the presentation theme at 1920 x 1080 from the figure builder the page uses
(``viz.race.race_figure``). An export that cannot be made here (no Chromium, no codec) leaves a one-line
warning, never an exception on the page. ``viz.export`` imports its heavy libraries only when a button is
pressed, so the page loads as fast as without it.
"""

from __future__ import annotations

import time
import urllib.parse

import streamlit as st

from surfaces import Surface
from optim import Trajectory
from viz import export
from viz.race import race_figure
from viz.run_tables import summary_frame
from viz.style import PRESENT

from . import function_entry, state

#: kind -> (button label, file extension, MIME type)
KINDS = {
    "gif": ("GIF", "gif", "image/gif"),
    "mp4": ("MP4", "mp4", "video/mp4"),
    "png": ("PNG", "png", "image/png"),
    "handout": ("Handout", "pdf", "application/pdf"),
}
FALLBACK_BASE = "http://localhost:8501/"
PAGE_PATH = "playground"
_PENDING = "slides:pending"


def link() -> str:
    """The link that reproduces the current view: the page's address and the settings' query (``ui.state``)."""
    base = st.context.url or FALLBACK_BASE + PAGE_PATH
    query = urllib.parse.urlencode(state.query(), safe=",")
    return base + ("?" + query if query else "")


def panel(surface: Surface, runs: list[Trajectory], keys: tuple, t: int) -> None:
    """The export buttons for the race of ``runs`` (made from the page's cache ``keys``); the PNG and the handout
    show iteration ``t``, the one the page's formulas inspect."""
    steps = runs[0].steps
    url = link()
    made_for = {"gif": (surface.name, keys), "mp4": (surface.name, keys), "png": (surface.name, keys, t),
                "handout": (surface.name, keys, t, url)}
    with st.expander("Slides to take away: GIF, MP4, PNG, handout", icon=":material/slideshow:"):
        st.caption(
            f"Drawn on the server in the presentation theme at {export.SLIDE[0]} × {export.SLIDE[1]}, from the race "
            f"(the Contour view). GIF and MP4: at most {export.EXPORT_FRAMES} of the race's frames, evenly spaced "
            f"from the first to the last iteration (fewer, at least {export.MIN_FRAMES}, when the server is too "
            f"busy to draw them in {export.TIME_BUDGET:g} s), played in {export.EXPORT_SECONDS:g} s (the last "
            f"frame held {export.HOLD_LAST_MS / 1000:g} s); a GIF over {export.MAX_BYTES / 1e6:g} MB drops every "
            "other frame. "
            f"PNG and handout: iteration t = {t} (the slider under “Update rules”). The handout is one A4 page: "
            "the figure, the settings, the link to this view and the first and last rows of each table.")
        columns = st.columns(len(KINDS))
        for kind, c in zip(KINDS, columns):
            c.button(f"Make {KINDS[kind][0]}", key=f"slides:make:{kind}", width="stretch", on_click=_request,
                     args=(kind,), icon=":material/movie:" if kind in ("gif", "mp4") else ":material/image:")
        kind = st.session_state.pop(_PENDING, None)  # from the click's callback: a run redone from the start
        if kind in KINDS:  # (the router's) still makes it
            _make(kind, surface, runs, steps, t, url, made_for[kind])
        for kind, c in zip(KINDS, columns):
            made = st.session_state.get(f"slides:{kind}")
            if made and made["for"] == made_for[kind]:
                label, ext, mime = KINDS[kind]
                c.download_button(f"{label}: {export.size_text(len(made['data']))}, {made['seconds']:.0f} s",
                                  made["data"], file_name=f"race_{function_entry.file_label(surface)}.{ext}",
                                  mime=mime, key=f"slides:download:{kind}", icon=":material/download:",
                                  on_click="ignore", width="stretch")


def _request(kind: str) -> None:
    st.session_state[_PENDING] = kind


def _make(kind: str, surface: Surface, runs: list[Trajectory], steps: int, t: int, url: str, made_for) -> None:
    bar = st.progress(0.0, text=f"Making the {KINDS[kind][0]} ...")
    progress = lambda done, text: bar.progress(min(max(done, 0.0), 1.0), text=text)  # noqa: E731
    t0 = time.perf_counter()
    try:
        if kind in ("gif", "mp4"):
            data = export.race_animation(race_figure(surface, runs, PRESENT), PRESENT, steps, kind, progress=progress,
                                         budget=export.TIME_BUDGET)
        elif kind == "png":
            progress(0.1, "Drawing the frame")
            data = export.race_png(race_figure(surface, runs, PRESENT, current=t), PRESENT, steps, t)
        else:
            data = export.handout_pdf(handout_html(surface, runs, t, url, progress))
    except Exception as exc:  # noqa: BLE001 (an export never breaks the page: one line instead)
        bar.empty()
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        st.warning(f"The {KINDS[kind][0]} could not be made here: {reason[:200]}", icon=":material/error:")
        return
    bar.empty()
    st.session_state[f"slides:{kind}"] = {"for": made_for, "data": data, "seconds": time.perf_counter() - t0}


def handout_html(surface: Surface, runs: list[Trajectory], t: int, url: str, progress=lambda *_: None) -> str:
    """The handout's page: the race at iteration ``t`` (PNG), the settings, the link, the summary table and the first
    and last rows of every run's iteration table."""
    steps = runs[0].steps
    progress(0.1, "Drawing the figure")
    figure = export.race_png(race_figure(surface, runs, PRESENT, current=t), PRESENT, steps, t)
    progress(0.7, "Printing the page")
    summary = summary_frame(surface, runs)
    start = ", ".join(f"{v} = {x:.6g}" for v, x in zip(surface.variables, runs[0].positions[0]))
    settings = {"surface": getattr(surface, "title", surface.name), "start": start, "steps T": str(steps),
                "iteration shown": export.iteration_label(t, steps).removeprefix("iteration "),
                "optimizers": ", ".join(r.title for r in runs)}
    tables = [(f"{r.title} ({r.settings_text()})", list(r.table.columns),
               [_row(r.table.data[i]) for i in sorted({0, len(r.table.data) - 1})]) for r in runs if len(r.table.data)]
    return export.handout_html(
        title=f"Optimizer playground: {settings['surface']}", figure_png=figure, settings=settings, link=url,
        summary_columns=list(summary.columns), summary_rows=list(summary.itertuples(index=False, name=None)),
        tables=tables)


def _row(values) -> list:
    return [int(values[0]), *map(float, values[1:])]
