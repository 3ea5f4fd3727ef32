"""Encoding rendered frames: an animated GIF (Pillow, with our own palette mapping) and an H.264 MP4
(imageio-ffmpeg's bundled ffmpeg). Pure: PNG bytes in, file bytes out. The heavy libraries are imported only
when an export runs."""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

MAX_BYTES = 10_000_000  #: a GIF or MP4 larger than this is made again from fewer frames


class ExportError(RuntimeError):
    """An export that cannot be made here; the message is one line for the page."""


def _one_line(exc) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:200]


def gif(pngs: Sequence[bytes], durations: Sequence[int], *, max_bytes: int = MAX_BYTES) -> bytes:
    """The frames as one looping GIF: one palette, the 256 most used colours of the first, middle and last frame, no
    dithering (flat colours stay flat and compress). Larger than ``max_bytes``: every other frame is dropped
    (first and last kept, durations added up) until it fits."""
    from PIL import Image  # noqa: PLC0415

    images = [np.asarray(Image.open(io.BytesIO(b)).convert("RGB")) for b in pngs]
    if not images:
        raise ExportError("no frames to write")
    palette = _palette(np.concatenate([images[0], images[len(images) // 2], images[-1]]))
    lut = _nearest_lut(palette)
    flat = palette.ravel().tolist() + [0] * (768 - palette.size)
    frames = []
    for rgb in images:
        im = Image.fromarray(_indexed(rgb, palette, lut), mode="P")
        im.putpalette(flat)
        frames.append(im)
    durations = list(durations)
    while True:
        buf = io.BytesIO()
        frames[0].save(buf, format="GIF", save_all=True, append_images=frames[1:], duration=durations, loop=0,
                       optimize=False, disposal=1)
        if buf.tell() <= max_bytes or len(frames) <= 2:
            return buf.getvalue()
        frames, durations = _every_other(frames, durations)


def _packed(rgb: np.ndarray) -> np.ndarray:
    rgb = rgb.astype(np.int32)
    return (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]


def _palette(rgb: np.ndarray) -> np.ndarray:
    """The 256 colours most used in ``rgb`` (shaped (..., 3)), most used first: a chart's flat colours (white, the
    contour's greys, each optimizer's colour) are kept exactly."""
    values, counts = np.unique(_packed(rgb).ravel(), return_counts=True)
    top = values[np.argsort(counts, kind="stable")[::-1][:256]]
    return np.stack([(top >> 16) & 255, (top >> 8) & 255, top & 255], axis=1).astype(np.uint8)


def _nearest_lut(palette: np.ndarray) -> np.ndarray:
    """Palette indices for every 24-bit colour (16 MB, indexed by ``(r << 16) | (g << 8) | b``): a colour of the
    palette maps to itself exactly, any other (the blends at edges) to the entry nearest the centre of its cell
    of a 5-bit colour cube. (Pillow's own mapping goes through a coarse cache that turned white into
    (251, 251, 251).)"""
    centres = (np.stack(np.meshgrid(*[np.arange(32)] * 3, indexing="ij"), axis=-1).reshape(-1, 3) * 8 + 4)
    d = ((centres[:, None, :].astype(np.int32) - palette[None, :, :].astype(np.int32)) ** 2).sum(-1)
    cells = d.argmin(axis=1).astype(np.uint8)  # cell (r >> 3, g >> 3, b >> 3) -> entry
    every = np.arange(1 << 24, dtype=np.int32)
    lut = cells[((every >> 19) << 10) | (((every >> 11) & 31) << 5) | ((every >> 3) & 31)]
    lut[_packed(palette)] = np.arange(len(palette), dtype=np.uint8)
    return lut


def _indexed(rgb: np.ndarray, palette: np.ndarray, lut: np.ndarray) -> np.ndarray:
    """Palette indices of an RGB frame, through :func:`_nearest_lut`."""
    return lut[_packed(rgb)]


def _every_other(frames: list, durations: list[int]) -> tuple[list, list[int]]:
    keep = list(range(0, len(frames) - 1, 2)) + [len(frames) - 1]
    merged = [sum(durations[a:b]) for a, b in zip(keep[:-1], keep[1:])] + [durations[-1]]
    return [frames[i] for i in keep], merged


def mp4(pngs: Sequence[bytes], durations: Sequence[int]) -> bytes:
    """The frames as an H.264 MP4 (yuv420p, which every player shows) at the frame rate the durations give; the
    last frame repeated to hold it. Needs imageio-ffmpeg's bundled ffmpeg (or ``IMAGEIO_FFMPEG_EXE``)."""
    try:
        import imageio_ffmpeg  # noqa: PLC0415
        imageio_ffmpeg.get_ffmpeg_exe()
    except Exception as exc:  # noqa: BLE001 (not installed, or no binary for this platform)
        raise ExportError(f"MP4 needs ffmpeg, which is not available here ({_one_line(exc)})") from None
    from PIL import Image  # noqa: PLC0415

    if not pngs:
        raise ExportError("no frames to write")
    fps = 1000.0 / durations[0]
    repeat = [1] * (len(pngs) - 1) + [max(1, int(round(durations[-1] / durations[0])))]
    with tempfile.TemporaryDirectory(prefix="lab-export-") as tmp:
        path = os.path.join(tmp, "race.mp4")
        first = Image.open(io.BytesIO(pngs[0]))
        try:
            writer = imageio_ffmpeg.write_frames(path, first.size, fps=fps, codec="libx264", pix_fmt_out="yuv420p",
                                                 quality=7, macro_block_size=8, ffmpeg_log_level="error",
                                                 output_params=["-preset", "veryfast", "-movflags", "+faststart"])
            writer.send(None)
            for b, k in zip(pngs, repeat):
                raw = Image.open(io.BytesIO(b)).convert("RGB").tobytes()
                for _ in range(k):
                    writer.send(raw)
            writer.close()
        except Exception as exc:  # noqa: BLE001 (ffmpeg without H.264, a broken pipe: one line)
            raise ExportError(f"MP4 could not be encoded: {_one_line(exc)}") from None
        return Path(path).read_bytes()


# -- the pipelines the page runs ---------------------------------------------------------------------------------
