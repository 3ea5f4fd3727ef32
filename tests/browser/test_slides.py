"""Slides to take away in a real browser: a teacher opens the playground's export panel, makes the GIF and the
handout on the server (a progress bar while it runs) and downloads them."""

from __future__ import annotations

import io

from PIL import Image

from viz.export import SLIDE
from viz.race_player import frames_of

from .conftest import assert_no_exception, wait_idle


def test_make_and_download_the_gif_and_the_handout(page, server):
    pg = page
    steps = 30
    pg.goto(f"{server}/playground?opt=gd,adam&steps={steps}&present=1")
    wait_idle(pg)
    pg.get_by_text("Slides to take away").click()
    pg.get_by_role("button", name="Make GIF").click()
    pg.wait_for_selector('[data-testid="stProgress"]', timeout=30_000)  # shown while the frames are drawn
    download = pg.locator('[data-testid="stDownloadButton"] button').filter(has_text="GIF:")
    download.wait_for(timeout=60_000)
    assert_no_exception(pg)
    with pg.expect_download() as got:
        download.click()
    gif = Image.open(io.BytesIO(open(got.value.path(), "rb").read()))
    assert gif.size == SLIDE and gif.n_frames == len(frames_of(steps))
    assert got.value.suggested_filename == "race_rosenbrock.gif"

    pg.get_by_role("button", name="Make Handout").click()
    handout = pg.locator('[data-testid="stDownloadButton"] button').filter(has_text="Handout:")
    handout.wait_for(timeout=60_000)
    with pg.expect_download() as got:
        handout.click()
    assert open(got.value.path(), "rb").read(5) == b"%PDF-"
    wait_idle(pg)
    assert_no_exception(pg)
