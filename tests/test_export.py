"""Slides to take away (viz.export, ui.slides): the GIF has the race's frames at slide size and its first frame is
the page's first frame, the PNG is 1920 x 1080, the MP4 plays the same frames, the handout holds the link and the
first and last rows of every table, and the playground's buttons hand out those bytes.

Drawing needs Chromium (Debian's ``chromium``, or ``BROWSER_PATH``): where it is missing these tests are skipped
with the reason, except under ``CI=1``, where they fail. The timing of a full-size export is measured by
``bench/bench_export.py``, not here.
"""

from __future__ import annotations

import csv
import html
import io
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import surfaces
from optim import defaults_for, make, run
from viz import export
from viz.race import race_figure
from viz.race_player import frames_of
from viz.run_tables import long_csv
from viz.style import PRESENT, format_number

ROOT = Path(__file__).resolve().parents[1]
PAGE = "pages/playground.py"
FEATURED = ("gd", "momentum", "rmsprop", "adam")
#: mean absolute difference (0-255, over every pixel and channel) between two drawings of the same frame that
#: still counts as the same picture: two render paths (kaleido's toImage, a screenshot of the played race) and
#: GIF's 256 colours; measured 0.17, while the last frame (markers moved, the label changed) is 0.7 away
SAME_PICTURE = 0.35


@pytest.fixture(scope="module")
def chromium():
    try:
        return export.find_browser()
    except export.ExportError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"export tests must run in CI, but {exc}")
        pytest.skip(str(exc))


def rosenbrock_runs(steps: int, names=FEATURED):
    s = surfaces.get("rosenbrock")
    return s, [run(s, make(n, **defaults_for(s, n)), list(s.starts[0]), steps) for n in names]


def image(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))


def rgb(im: Image.Image) -> np.ndarray:
    return np.asarray(im.convert("RGB"), dtype=float)


def gif_frames(data: bytes) -> tuple[list[np.ndarray], list[int]]:
    im = image(data)
    frames, durations = [], []
    for k in range(im.n_frames):
        im.seek(k)
        frames.append(rgb(im))
        durations.append(im.info["duration"])
    return frames, durations


def download(at, prefix: str, download_bytes) -> bytes:
    labels = [b.proto.label for b in at.get("download_button")]
    matches = [i for i, label in enumerate(labels) if label.startswith(prefix)]
    assert matches, f"no download {prefix!r} among {labels}"
    return download_bytes(at, matches[0])


# -- without a browser -------------------------------------------------------------------------------------------

def test_decimation_keeps_first_and_last_and_spaces_evenly():
    assert export.export_indices(41) == list(range(41))
    idx = export.export_indices(len(frames_of(500)))
    assert len(idx) == export.EXPORT_FRAMES and idx[0] == 0 and idx[-1] == len(frames_of(500)) - 1
    gaps = np.diff(idx)
    assert gaps.max() - gaps.min() <= 1
    durations = export.frame_durations(60)
    assert all(d % 10 == 0 and d >= 20 for d in durations)
    assert durations[-1] == durations[0] + export.HOLD_LAST_MS
    assert abs(sum(durations[:-1]) + durations[0] - export.EXPORT_SECONDS * 1000) <= 60 * 10


def test_the_slide_keeps_every_drawn_trace_and_frame_and_drops_the_player():
    s, runs = rosenbrock_runs(40)
    spec = race_figure(s, runs, PRESENT)
    fig = export.slide_figure(spec, PRESENT, 40)
    assert "updatemenus" not in fig["layout"] and "sliders" not in fig["layout"]
    assert (fig["layout"]["width"], fig["layout"]["height"]) == export.SLIDE
    dropped = [tr for tr in spec["data"] if tr not in fig["data"]]
    assert [tr["name"] for tr in dropped] == ["start here"], "only the invisible click grid goes"
    assert [f["name"] for f in fig["frames"]] == [f["name"] for f in spec["frames"]]
    for before, after in zip(spec["frames"], fig["frames"]):  # the same coordinates, on the same traces
        moved = [(spec["data"][i]["name"], d) for i, d in zip(before["traces"], before["data"])
                 if spec["data"][i] in fig["data"]]
        assert [(fig["data"][i]["name"], d) for i, d in zip(after["traces"], after["data"])] == moved
    assert fig["layout"]["annotations"][-1]["text"] == "iteration t = 1"


def test_a_gif_over_budget_drops_every_other_frame():
    pngs = []
    for i in range(9):  # a square moving across white (two colours: the palette of the first and last frame)
        im = Image.new("RGB", (64, 36), "white")
        im.paste((0, 0, 0), (i * 6, 10, i * 6 + 8, 18))
        buf = io.BytesIO()
        im.save(buf, format="PNG")
        pngs.append(buf.getvalue())
    whole = export.gif(pngs, export.frame_durations(9))
    assert image(whole).n_frames == 9
    halved = export.gif(pngs, export.frame_durations(9), max_bytes=len(whole) - 1)
    assert image(halved).n_frames == 5
    assert sum(gif_frames(halved)[1]) == sum(gif_frames(whole)[1]), "the same play time"


def test_importing_the_exports_loads_no_renderer():
    """The page's first load stays as fast as before: kaleido, choreographer and ffmpeg load when a button runs."""
    code = ("import sys; import ui.slides, viz.export; "
            "print(sorted({'kaleido', 'choreographer', 'imageio_ffmpeg'} & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# -- drawn in Chromium ----------------------------------------------------------------------------------------------

def test_the_png_is_a_slide_of_the_inspected_iteration(chromium):
    s, runs = rosenbrock_runs(30)
    at_1, at_20 = (rgb(image(export.race_png(race_figure(s, runs, PRESENT, current=t), PRESENT, 30, t)))
                   for t in (1, 20))
    assert at_1.shape == at_20.shape == (1080, 1920, 3)
    assert np.abs(at_1 - at_20).mean() > 0.05, "the markers moved"


def test_a_busy_machine_thins_the_frames_evenly_to_meet_the_time_budget(chromium):
    s, runs = rosenbrock_runs(40)
    spec = race_figure(s, runs, PRESENT)
    frames, durations = gif_frames(export.race_animation(spec, PRESENT, 40, "gif", budget=0.0))
    assert len(frames) == export.MIN_FRAMES and durations == export.frame_durations(export.MIN_FRAMES)
    assert export.thin(list(range(1, 41)), export.MIN_FRAMES - 1)[-1] == 40, "the last frame is kept"
    assert export.thin([1, 2, 3], 5) == [1, 2, 3]


def test_the_mp4_plays_the_race(chromium, tmp_path):
    imageio = pytest.importorskip("imageio.v3")
    try:
        import imageio_ffmpeg
        imageio_ffmpeg.get_ffmpeg_exe()
    except Exception as exc:  # noqa: BLE001 (no codec here: the page says so in one line)
        pytest.skip(f"no ffmpeg: {exc}")
    s, runs = rosenbrock_runs(20)
    data = export.race_animation(race_figure(s, runs, PRESENT), PRESENT, 20, "mp4", budget=None)
    assert data[4:8] == b"ftyp"
    path = tmp_path / "race.mp4"
    path.write_bytes(data)
    frames = len(frames_of(20))
    durations = export.frame_durations(frames)
    meta = imageio.immeta(path, plugin="FFMPEG")
    assert meta["fps"] == pytest.approx(1000 / durations[0], rel=0.01)
    expected = (frames - 1 + round(durations[-1] / durations[0])) * durations[0] / 1000
    assert meta["duration"] == pytest.approx(expected, abs=0.25)
    assert meta["size"] == export.SLIDE
    assert imageio.imread(path, index=0, plugin="FFMPEG").shape == (1080, 1920, 3)


def test_the_handout_has_the_link_and_the_first_and_last_rows_of_every_table(chromium):
    from ui import slides

    s, runs = rosenbrock_runs(25, ("gd", "momentum", "adam", "newton"))
    url = "http://localhost:8501/playground?opt=gd,momentum,adam,newton&steps=25"
    page = slides.handout_html(s, runs, 7, url)
    shown = html.escape(url)  # & as &amp;, as HTML writes it
    assert f"href='{shown}'" in page and f">{shown}<" in page
    rows = list(csv.reader(io.StringIO(long_csv(runs).decode())))
    header, body = rows[0], rows[1:]
    for r in runs:
        own = [row for row in body if row[0] == r.optimizer]
        for row in (own[0], own[-1]):
            cells = [f"<td class=''>{row[1]}</td>"] + [f">{format_number(float(v))}<" for c, v in
                                                        zip(header[2:], row[2:]) if v != "" and c in r.table.columns]
            missing = [c for c in cells if c not in page]
            assert not missing, f"{r.title}: row {row[1]} lacks {missing}"
    assert "t = 7" in page and "data:image/png;base64," in page
    pdf = export.handout_pdf(page)
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages") == 1


def test_the_playground_buttons_hand_out_the_gif_and_png_of_the_page(chromium, playground, plotly_specs,
                                                                        download_bytes, monkeypatch):
    """Through the page: its first frame (the race as the page sends it, made a slide) drawn by kaleido, against
    the GIF's first frame drawn by playing the race in Chromium."""
    steps = 40
    monkeypatch.setattr(export, "TIME_BUDGET", 1e6)  # every frame, however busy the machine (see the test above)
    at = playground({"present": "1", "steps": str(steps)})
    labels = [b.label for b in at.button if b.key and b.key.startswith("slides:make:")]
    assert labels == ["Make GIF", "Make MP4", "Make PNG", "Make Handout"]
    page_first = rgb(image(export.png(export.slide_figure(plotly_specs(at)[0], PRESENT, steps))))

    at.button(key="slides:make:gif").click().run()
    assert not at.exception and not at.warning, [w.value for w in at.warning]
    frames, durations = gif_frames(download(at, "GIF", download_bytes))
    assert len(frames) == len(export.export_indices(len(frames_of(steps)))) == steps + 1
    assert frames[0].shape == (1080, 1920, 3)
    assert durations == export.frame_durations(steps + 1)
    same = np.abs(frames[0] - page_first).mean()
    other = np.abs(frames[-1] - page_first).mean()
    assert same < SAME_PICTURE < other, (same, other)

    at.button(key="slides:make:png").click().run()
    assert not at.exception and not at.warning
    png = download(at, "PNG", download_bytes)
    assert png.startswith(b"\x89PNG") and image(png).size == export.SLIDE
    assert download(at, "GIF", download_bytes) == download_bytes(at, 0), "the GIF stays offered"


def test_an_export_that_cannot_be_made_is_one_line_on_the_page(playground, monkeypatch):
    monkeypatch.setenv("BROWSER_PATH", "/nonexistent/chromium")
    at = playground({"steps": "10"})
    at.button(key="slides:make:gif").click().run()
    assert not at.exception
    assert len(at.warning) == 1 and "\n" not in at.warning[0].value and "Chromium" in at.warning[0].value
    assert not [b for b in at.get("download_button") if b.proto.label.startswith("GIF")]


def test_the_handout_links_to_the_view_on_the_page(playground, monkeypatch, download_bytes):
    """The link in the handout carries the view's settings (ui.state's query), here read from the handout's page
    (the PDF printing and the figure are stood in for: this is about the link)."""
    monkeypatch.setattr(export, "handout_pdf", lambda page: page.encode())
    monkeypatch.setattr(export, "race_png", lambda *args: b"")
    at = playground({"opt": "gd,adam", "steps": "30", "t": "12", "present": "1"})
    at.button(key="slides:make:handout").click().run()
    assert not at.exception and not [w.value for w in at.warning if "could not be made" in w.value]
    page = download(at, "Handout", download_bytes).decode()
    link = html.unescape(page.split("href='", 1)[1].split("'", 1)[0])
    base, query = link.split("?", 1)
    assert base == "http://localhost:8501/playground"
    assert dict(p.split("=", 1) for p in query.split("&")) == {"opt": "gd,adam", "steps": "30", "t": "12",
                                                               "present": "1"}
    assert "t = 12" in page
