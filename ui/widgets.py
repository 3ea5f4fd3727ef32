"""Widgets bound to URL-backed settings (see ``ui.state``): they show the canonical value and write to it."""

from __future__ import annotations

import re
from typing import Callable, Sequence

import streamlit as st

from . import state
from .state import Setting


def _bind(s: Setting, widget_key: str, shown) -> None:
    """Put the canonical value into the widget before it renders (programmatic changes then show up)."""
    if st.session_state.get(widget_key) != shown:
        st.session_state[widget_key] = shown


def _copy(s: Setting, widget_key: str, convert=lambda v: v, then: Callable[[], None] | None = None):
    def callback():
        state.set_value(s, convert(st.session_state[widget_key]))
        if then:
            then()

    return callback


def _clamped(low, high, cast=float):
    """A typed value -> the nearest value of ``[low, high]``: an entry takes any number and shows the one used."""
    return lambda v: cast(min(max(v, low), high))


def _within(s: Setting, low, high, cast=float):
    """The setting's value, clamped to ``[low, high]`` (e.g. left over from a surface with a wider range)."""
    value = state.get(s)
    if not low <= value <= high:
        value = _clamped(low, high, cast)(value)
        state.set_value(s, value)
    return value


def widget_key(s: Setting, part: str = "") -> str:
    """The session-state key of the widget showing ``s`` (``part`` tells a slider from its entry); tests find
    widgets by it."""
    return f"w:{s.state_key}{':' + part if part else ''}"


def slider_entry(s: Setting, label: str, low: float, high: float, step: float, *, fmt: str = "%.3f",
                 help: str | None = None, integer: bool = False, container=None,
                 beneath: Callable[[float], None] | None = None):
    """A slider with a number entry beside it, both showing and setting the same value.

    The slider covers ``[low, high]``; the entry accepts any value the setting accepts in that range with
    more digits than the slider's step (``0.2501``). A value beyond the range is taken as the nearest end, and the
    entry then shows that end (the browser never keeps showing a number that is not the one in use).
    ``beneath(value)`` may draw under the slider, in the slider's own column (a scale that lines up with its track).
    """
    container = container or st
    cast = int if integer else float
    value = _within(s, low, high, cast)
    k_slider, k_entry = widget_key(s, "slider"), widget_key(s, "entry")
    _bind(s, k_slider, cast(value))
    _bind(s, k_entry, cast(value))
    left, right = container.columns([5, 2], vertical_alignment="top" if beneath else "bottom")
    left.slider(label, cast(low), cast(high), step=cast(step), format=fmt, key=k_slider, help=help,
                on_change=_copy(s, k_slider, cast))
    right.number_input(f"{label} (exact)", None, None, step=cast(step), format=fmt, key=k_entry,
                       on_change=_copy(s, k_entry, _clamped(low, high, cast)), label_visibility="collapsed")
    if beneath:
        with left:
            beneath(state.get(s))
    return state.get(s)


def selectbox(s: Setting, label: str, options: Sequence, *, format_func=str, help: str | None = None,
              container=None, then: Callable[[], None] | None = None):
    """A selectbox; ``then`` runs after a change (e.g. to reset settings that depend on this one)."""
    container = container or st
    key = widget_key(s)
    _bind(s, key, state.get(s))
    container.selectbox(label, options, format_func=format_func, key=key, help=help,
                        on_change=_copy(s, key, then=then))
    return state.get(s)


def segmented(s: Setting, label: str, options: Sequence, *, format_func=str, container=None,
              label_visibility: str = "visible", help: str | None = None):
    container = container or st
    key = widget_key(s)
    _bind(s, key, state.get(s))

    def keep_one():  # a segmented control can be clicked off; keep the last choice instead
        if st.session_state[key] is not None:
            state.set_value(s, st.session_state[key])

    container.segmented_control(label, options, format_func=format_func, key=key, on_change=keep_one,
                                label_visibility=label_visibility, help=help)
    return state.get(s)


def toggle(s: Setting, label: str, *, help: str | None = None, container=None):
    container = container or st
    key = widget_key(s)
    _bind(s, key, bool(state.get(s)))
    container.toggle(label, key=key, help=help, on_change=_copy(s, key, bool))
    return state.get(s)


def multiselect(s: Setting, label: str, options: Sequence, *, format_func=str, help: str | None = None,
                container=None):
    container = container or st
    key = widget_key(s)
    _bind(s, key, list(state.get(s)))
    container.multiselect(label, options, format_func=format_func, key=key, help=help,
                          on_change=_copy(s, key, tuple))
    return state.get(s)


def text_entry(s: Setting, label: str, *, help: str | None = None, container=None,
               placeholder: str | None = None):
    """A text box for a value typed as text (a list of numbers, a sequence), bound to ``s``.

    A change is parsed with ``s.parse``; text it refuses leaves the box as typed, shows a warning with the
    reason under it, and keeps the last valid value (which the function returns), so bad input never breaks
    the page. A change of the value from elsewhere (a preset button, a shared link) replaces the box's text.
    """
    container = container or st
    key = widget_key(s, "text")
    shown_key, error_key = f"{key}:value", f"{key}:error"
    value = state.get(s)
    if key not in st.session_state or st.session_state.get(shown_key) != value:
        st.session_state[key] = s.show(value)
        st.session_state[shown_key] = value
        st.session_state.pop(error_key, None)

    def callback():
        text = st.session_state[key]
        try:
            new = s.parse(text.strip())
        except ValueError as exc:
            st.session_state[error_key] = (text, str(exc))
            return
        st.session_state.pop(error_key, None)
        st.session_state[shown_key] = new  # keep the user's own spelling of a valid value in the box
        state.set_value(s, new)

    container.text_input(label, key=key, help=help, on_change=callback, placeholder=placeholder)
    error = st.session_state.get(error_key)
    if error:
        kept = f"the last valid value, {quote(s.show(value), 80)}" if s.show(value) else "the default (empty)"
        container.warning(f"Could not read “{quote(error[0])}”: {quote(error[1], 120)}. Still using {kept}.",
                          icon=":material/edit_off:")
    return state.get(s)


def quote(text: str, limit: int = 40) -> str:
    """User text made safe to show in a one-line message: shortened with "…", markdown characters escaped."""
    text = " ".join(str(text).split())
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return re.sub(r"([\\`*_\[\]<>$~|])", r"\\\1", text)


def number(s: Setting, label: str, low: float, high: float, *, step: float | None = None, fmt: str = "%.4g",
           help: str | None = None, container=None, integer: bool = False,
           then: Callable[[], None] | None = None):
    """A number entry alone (no slider), showing and setting the canonical value, clamped to ``[low, high]`` (a
    value typed beyond it is taken as the nearest end, which the entry then shows)."""
    container = container or st
    cast = int if integer else float
    value = _within(s, low, high, cast)
    key = widget_key(s, "number")
    _bind(s, key, cast(value))
    container.number_input(label, None, None, step=None if step is None else cast(step), format=fmt,
                           key=key, help=help, on_change=_copy(s, key, _clamped(low, high, cast), then=then))
    return state.get(s)


#: mantissas of the log-scale slider's stops in each decade (every default of the catalog is one of them)
LOG_STOPS = (1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 7.0)


def log_grid(low: float, high: float, stops: Sequence[float] = LOG_STOPS) -> list[float]:
    """Round values from ``low`` to ``high`` on a log scale: 1, 1.5, 2, 3, 4, 5, 7 times each power of ten."""
    import math

    grid = []
    for e in range(math.floor(math.log10(low)) - 1, math.ceil(math.log10(high)) + 1):
        for m in stops:
            v = float(f"{m * 10.0 ** e:.12g}")
            if low * (1 - 1e-12) <= v <= high * (1 + 1e-12):
                grid.append(v)
    return grid


def log_slider_entry(s: Setting, label: str, low: float, high: float, *, help: str | None = None,
                     container=None, fmt: str = "%g", entry: bool = True, stacked: bool = False):
    """A slider on a log scale (round stops, see :func:`log_grid`) with an exact number entry beside it.

    The entry takes any value in ``[low, high]`` (``0.0123``); the slider then shows the nearest stop. Without
    ``entry`` it is the slider alone (a value from the URL between stops shows as the nearest stop). ``stacked``
    puts the entry under the slider (for a narrow column such as the sidebar).
    """
    import math

    container = container or st
    value = _within(s, low, high)
    grid = log_grid(low, high)
    nearest = min(grid, key=lambda g: abs(math.log(g) - math.log(value)))
    k_slider, k_entry = widget_key(s, "slider"), widget_key(s, "entry")
    _bind(s, k_slider, nearest)
    if not entry:
        container.select_slider(label, options=grid, key=k_slider, help=help, format_func=lambda v: f"{v:g}",
                                on_change=_copy(s, k_slider, float))
        return state.get(s)
    _bind(s, k_entry, float(value))
    left, right = (container, container) if stacked else container.columns([5, 2], vertical_alignment="bottom")
    left.select_slider(label, options=grid, key=k_slider, help=help, format_func=lambda v: f"{v:g}",
                       on_change=_copy(s, k_slider, float))
    right.number_input(f"{label} (exact)", step=float(low), format=fmt, key=k_entry,
                       on_change=_copy(s, k_entry, _clamped(low, high)), label_visibility="collapsed")
    return state.get(s)


def select_slider(s: Setting, label: str, options: Sequence, *, format_func=str, help: str | None = None,
                  container=None):
    """A slider over a list of values; a value not in the list (from the URL) shows as the nearest option."""
    container = container or st
    key = widget_key(s)
    value = state.get(s)
    shown = value if value in options else min(options, key=lambda o: abs(o - value))
    _bind(s, key, shown)
    container.select_slider(label, options=list(options), key=key, help=help, format_func=format_func,
                            on_change=_copy(s, key))
    return state.get(s)


def slider(s: Setting, label: str, low: float, high: float, step: float, *, fmt: str = "%.3f",
           help: str | None = None, integer: bool = False, container=None):
    """A slider alone (no entry): one element where :func:`slider_entry` needs five (columns and an entry)."""
    container = container or st
    cast = int if integer else float
    value = _within(s, low, high, cast)
    key = widget_key(s, "slider")
    _bind(s, key, cast(value))
    container.slider(label, cast(low), cast(high), step=cast(step), format=fmt, key=key, help=help,
                     on_change=_copy(s, key, cast))
    return state.get(s)


def clicked_point(event_key: str, clickable, bounds) -> tuple[float, ...] | None:
    """The point a click on a chart selected (its ``on_select`` event under ``event_key``), if it is on one of the
    ``clickable`` traces and inside ``bounds``."""
    event = st.session_state.get(event_key)
    points = (event or {}).get("selection", {}).get("points", []) if isinstance(event, dict) else \
        getattr(getattr(event, "selection", None), "points", []) or []
    for p in points:
        xy = (p.get("x"), p.get("y"))
        if p.get("curve_number") in clickable and all(
                isinstance(v, (int, float)) and lo <= v <= hi for v, (lo, hi) in zip(xy, bounds)):
            return xy
    return None
