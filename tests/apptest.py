"""Helpers for Streamlit AppTest tests: open a page through the router, read downloads and figures."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np

from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1 import app_test as _app_test_module

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")


class RecordingStorage(MemoryMediaFileStorage):
    """AppTest builds a fresh in-memory media store per run; keep a handle on the latest one."""

    latest: "RecordingStorage | None" = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        RecordingStorage.latest = self


_app_test_module.MemoryMediaFileStorage = RecordingStorage


def open_page(page: str | None = None, query: dict[str, str] | None = None, timeout: float = 60) -> AppTest:
    """Open ``page`` (e.g. ``pages/lstm.py``) through the router, as a shared link ``page?query`` would.

    AppTest can only switch pages after a first run (of the home page, which reads the app-wide settings such
    as ``present`` and clears the URL of other pages' settings), so the query is given to both runs.
    """
    at = AppTest.from_file(APP, default_timeout=timeout)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    if page is None:
        return at
    for key, value in (query or {}).items():
        at.query_params[key] = value
    return at.switch_page(page).run()


def download_bytes(at: AppTest, index: int = 0) -> bytes:
    """The bytes behind the ``index``-th download button of the last run."""
    url = at.get("download_button")[index].proto.url
    return RecordingStorage.latest.get_file(url.rsplit("/", 1)[-1]).content


def download_names(at: AppTest) -> list[str]:
    return [b.proto.label for b in at.get("download_button")]


def plotly_specs(at: AppTest) -> list[dict]:
    """Every plotly chart's figure, as the JSON the browser receives."""
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def array(value) -> np.ndarray:
    """A plotly JSON array: a plain list or numpy's base64 form (``bdata``, ``dtype``, ``shape``)."""
    if isinstance(value, dict) and "bdata" in value:
        a = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
        return a.reshape([int(s) for s in value["shape"].split(",")]) if "shape" in value else a
    return np.asarray(value, dtype=float)


def plotly_sizes(at: AppTest) -> list[int]:
    return [len(c.proto.spec) for c in at.get("plotly_chart")]


def texts(at: AppTest) -> str:
    """All markdown, captions, warnings and headers of the page, joined (to search for a phrase)."""
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [w.value for w in at.warning]
    parts += [h.value for h in at.header] + [h.value for h in at.subheader] + [t.value for t in at.title]
    return "\n".join(parts)
