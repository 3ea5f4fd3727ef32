"""Fixtures shared by the tests: open a page through the router as a shared link would, read what it shows
(downloads, figures, text), find a widget by the key the UI gives it; and a fixed thread count for the core.

The fixtures that read an AppTest return plain functions, so a test asks for the ones it uses:

    def test_x(open_page, plotly_specs, plotly_array):
        at = open_page("pages/lstm.py", {"H": "1"})
        z = plotly_array(plotly_specs(at)[0]["data"][0]["z"])
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
import pytest
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1 import app_test as _app_test_module

from ui import state, widgets

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")


class RecordingStorage(MemoryMediaFileStorage):
    """AppTest builds a fresh in-memory media store per run; keep a handle on the latest one."""

    latest: "RecordingStorage | None" = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        RecordingStorage.latest = self


@pytest.fixture(scope="session", autouse=True)
def _recording_media_storage():
    """Installed once for the session: AppTest's runs store download buttons' bytes where a test can read them."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_app_test_module, "MemoryMediaFileStorage", RecordingStorage)
        yield


@pytest.fixture(scope="session", autouse=True)
def _fixed_thread_count():
    """The core splits large batches over ``OPTIM_THREADS`` threads (default: the machine's cores); fixing it
    makes every test run the same way on 1, 2 or 64 cores. Tests of the split set it themselves."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("OPTIM_THREADS", "2")
        yield


# -- opening a page --------------------------------------------------------------------------------------------------

def _open_page(page: str | None = None, query: dict[str, str] | None = None, *, timeout: float = 60,
               direct: bool = False) -> AppTest:
    """Open ``page`` (e.g. ``pages/lstm.py``) through the router, as a shared link ``page?query`` would.

    By default the session first runs the home page (which reads the app-wide settings such as ``present`` and
    clears the URL of other pages' settings), then switches: the query is given to both runs. ``direct`` opens
    the page as the session's first run instead, as for the first visitor of a freshly started server (the
    router then reruns the page through ``app.py``).
    """
    at = AppTest.from_file(APP, default_timeout=timeout)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    if direct:
        return at.switch_page(page or "pages/home.py").run()
    at.run()
    if page is None:
        return at
    for key, value in (query or {}).items():
        at.query_params[key] = value
    return at.switch_page(page).run()


@pytest.fixture
def playground(open_page):
    """Open the optimizer playground with ``query`` (a shared link) and check it ran without an exception."""
    def open_playground(query: dict[str, str] | None = None):
        at = open_page("pages/playground.py", query)
        assert not at.exception, [e.value for e in at.exception]
        return at

    return open_playground


@pytest.fixture
def open_page():
    return _open_page


# -- reading what a page shows ---------------------------------------------------------------------------------------

def _download_bytes(at: AppTest, index: int = 0) -> bytes:
    """The bytes behind the ``index``-th download button of the last run."""
    url = at.get("download_button")[index].proto.url
    return RecordingStorage.latest.get_file(url.rsplit("/", 1)[-1]).content


def _download_names(at: AppTest) -> list[str]:
    return [b.proto.label for b in at.get("download_button")]


def _plotly_specs(at: AppTest) -> list[dict]:
    """Every plotly chart's figure, as the JSON the browser receives (arrays may be typed: see plotly_array)."""
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def _plotly_sizes(at: AppTest) -> list[int]:
    """Every plotly chart's size on the wire, in characters of JSON."""
    return [len(c.proto.spec) for c in at.get("plotly_chart")]


def _texts(at: AppTest) -> str:
    """All markdown, captions, warnings and headers of the page, joined (to search for a phrase)."""
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [w.value for w in at.warning]
    parts += [h.value for h in at.header] + [h.value for h in at.subheader] + [t.value for t in at.title]
    return "\n".join(parts)


def _plotly_array(value) -> np.ndarray:
    """An array of a figure's JSON as numpy: plotly sends numpy arrays as typed arrays, ``{"dtype": "f8",
    "bdata": <base64 of the little-endian bytes>, "shape": "rows,cols"}``, and other data as lists (``None``
    for a gap becomes NaN)."""
    if isinstance(value, dict) and "bdata" in value:
        data = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]).newbyteorder("<"))
        return data.reshape([int(n) for n in value["shape"].split(",")]) if "shape" in value else data
    return np.asarray(value, dtype=float)


@pytest.fixture
def download_bytes():
    return _download_bytes


@pytest.fixture
def download_names():
    return _download_names


@pytest.fixture
def plotly_specs():
    return _plotly_specs


@pytest.fixture
def plotly_sizes():
    return _plotly_sizes


@pytest.fixture
def texts():
    return _texts


@pytest.fixture
def plotly_array():
    return _plotly_array


# -- finding a widget --------------------------------------------------------------------------------------------------

def _widget_key(scope: str, name: str, part: str = "") -> str:
    """The key of the widget of setting ``name`` on the page with ``scope`` (``part``: "slider", "entry", ...),
    made by the UI's own ``ui.widgets.widget_key``."""
    return widgets.widget_key(state.Setting(name, None, str, scope=scope), part)


@pytest.fixture
def widget_key():
    return _widget_key
