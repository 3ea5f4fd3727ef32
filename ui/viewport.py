"""The browser window's size, reported by an invisible element, so figures can fit the screen they are shown on.

A figure's height is set in pixels on the server, and the server does not know the screen: a 1920 x 1080
projector, a 1280 x 720 one and a phone need different sizes. An ``st.components.v2`` element without any
markup reports ``window.innerWidth`` and ``innerHeight`` once the page's first run has finished and again after
a resize (once the resizing stops); each report reruns the page once. A browser's first run stops before the
page until the size arrives (a moment later), so no figure is drawn twice and no widget is interrupted
half-drawn. AppTest has no report: there the themes
keep their design sizes.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

_KEY = "viewport"
_STORE = "viewport:size"
_WAITED = "viewport:waited"

_JS = """
export default function(component) {
  const { setStateValue, data } = component;
  let timer = null;
  // report only once the page's run has finished: a report during a run would interrupt it, and widgets the
  // interrupted run had not yet drawn would come back empty
  const busy = () => document.querySelector('[data-testid="stStatusWidget"]') !== null;
  const send = () => {
    clearTimeout(timer);
    if (busy()) { timer = setTimeout(send, 200); return; }
    const w = window.innerWidth, h = window.innerHeight;
    if (data && data.w === w && data.h === h) return;
    setStateValue('size', {w: w, h: h});
  };
  send();
  const later = () => { clearTimeout(timer); timer = setTimeout(send, 300); };
  window.addEventListener('resize', later);
  return () => { window.removeEventListener('resize', later); clearTimeout(timer); };
}
"""


@dataclass(frozen=True)
class Viewport:
    width: int
    height: int


_mount = None


def report() -> None:
    """Mount the reporting element (``layout.sidebar``, every run) and keep the last size it sent."""
    global _mount
    if _mount is None:
        _mount = st.components.v2.component("optimizer_lab.viewport", js=_JS)
    known = st.session_state.get(_STORE)
    result = _mount(key=_KEY, data=known and {"w": known.width, "h": known.height},
                    on_size_change=lambda: None)
    size = getattr(result, "size", None)
    try:
        width, height = int(size["w"]), int(size["h"])
    except (TypeError, KeyError, ValueError):
        return
    if 200 <= width <= 10_000 and 200 <= height <= 10_000:
        st.session_state[_STORE] = Viewport(width, height)
    known = current()
    if known:  # the size this run draws for, on the page for whoever waits for the page to fit the window (tests)
        st.html(f"<span data-viewport='{known.width}x{known.height}'></span>")


def current() -> Viewport | None:
    """The last reported window size, or None before the first report (and in AppTest)."""
    return st.session_state.get(_STORE)


def first_wait() -> bool:
    """Whether this run should stop before the page and wait for the size: a browser's first run without one.
    Only once per session: a browser that never reports (scripts blocked) gets the design sizes on its next run."""
    if current() is not None or not st.context.headers.get("User-Agent") or st.session_state.get(_WAITED):
        return False
    st.session_state[_WAITED] = True
    return True
