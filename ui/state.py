"""Page settings that live in the URL.

Every setting of a page has one canonical value in ``st.session_state`` (key ``"v:<name>"``). The flow of a
run is:

1. :func:`get` returns the canonical value. On the first visit in a session it is read from the URL
   (``?lr=0.2``), validated, and a bad value (``lr=abc``, ``lr=-1``, ``steps=1000000000``) falls back to the
   default with a notice instead of an error.
2. Widgets (see ``ui.widgets``) display the canonical value and write it back in their callbacks, so a
   slider and its number entry, a preset button or a click on a plot all change the same value.
3. After the page has run, ``app.py`` calls :func:`sync_url`, which writes every setting used in this run
   into the URL (values equal to the default are left out), so the address bar is always a shareable link
   to the current view.

Nothing here knows about optimizers; the validation rules come from the caller.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import streamlit as st

_REGISTRY = "_url_settings"  # name -> Setting, for the current run
_NOTICES = "_url_notices"
_SEEN = "_url_seen"  # names already initialized in this session


@dataclass(frozen=True)
class Setting:
    """A named, validated value that can round-trip through the URL."""

    name: str  #: the URL parameter
    default: Any
    parse: Callable[[str], Any]  #: text from the URL -> value; raises ValueError with a reason
    show: Callable[[Any], str] = str  #: value -> text for the URL
    scope: str = ""  #: the page it belongs to (names need only be unique within a page)

    @property
    def state_key(self) -> str:
        return f"v:{self.scope}:{self.name}"


# -- constructors for the usual kinds ---------------------------------------------------------------------------

def _fmt_float(x: float) -> str:
    return repr(float(x)) if x != int(x) or abs(x) >= 1e16 else str(int(x))


def number(name: str, default: float, low: float, high: float, *, scope: str = "") -> Setting:
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise ValueError("not a number") from None
        if not math.isfinite(value) or not low <= value <= high:
            raise ValueError(f"outside {_fmt_float(low)} to {_fmt_float(high)}")
        return value

    return Setting(name, float(default), parse, _fmt_float, scope)


def integer(name: str, default: int, low: int, high: int, *, scope: str = "") -> Setting:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise ValueError("not a whole number") from None
        if not low <= value <= high:
            raise ValueError(f"outside {low} to {high}")
        return value

    return Setting(name, int(default), parse, str, scope)


def choice(name: str, default: str, options: Sequence[str], *, scope: str = "") -> Setting:
    options = tuple(options)

    def parse(text: str) -> str:
        if text not in options:
            raise ValueError("not one of " + ", ".join(options))
        return text

    return Setting(name, default, parse, str, scope)


def flag(name: str, default: bool = False, *, scope: str = "") -> Setting:
    def parse(text: str) -> bool:
        if text.lower() in ("1", "true", "on", "yes"):
            return True
        if text.lower() in ("0", "false", "off", "no"):
            return False
        raise ValueError("not on or off (1 or 0)")

    return Setting(name, bool(default), parse, lambda v: "1" if v else "0", scope)


def numbers(name: str, default: Sequence[float], low: float, high: float, min_count: int = 1,
            max_count: int = 9, *, scope: str = "") -> Setting:
    """A comma-separated list of numbers, e.g. ``?rates=0.1,0.2,0.5``."""
    single = number(name, low, low, high)

    def parse(text: str) -> tuple[float, ...]:
        parts = [p for p in text.split(",") if p.strip()]
        if not min_count <= len(parts) <= max_count:
            raise ValueError(f"needs {min_count} to {max_count} numbers separated by commas")
        return tuple(single.parse(p.strip()) for p in parts)

    return Setting(name, tuple(float(v) for v in default), parse, lambda v: ",".join(_fmt_float(x) for x in v),
                   scope)


def names(name: str, default: Sequence[str], options: Sequence[str], min_count: int = 1, *,
          scope: str = "") -> Setting:
    """A comma-separated subset of ``options``, e.g. ``?opt=gd,adam``."""
    options = tuple(options)

    def parse(text: str) -> tuple[str, ...]:
        parts = tuple(dict.fromkeys(p.strip() for p in text.split(",") if p.strip()))
        unknown = [p for p in parts if p not in options]
        if unknown:
            raise ValueError(f"{', '.join(unknown)} is not one of {', '.join(options)}")
        if len(parts) < min_count:
            raise ValueError(f"needs at least {min_count}")
        return parts

    return Setting(name, tuple(default), parse, ",".join, scope)


def parse_matrix(text: str, *, low: float = -1e6, high: float = 1e6, max_rows: int = 6,
                 max_cols: int = 6) -> tuple[tuple[float, ...], ...]:
    """Numbers typed as a matrix: rows separated by ``;`` or new lines, entries by commas or spaces.

    ``"1 2 3; 4 5 6"`` -> ``((1.0, 2.0, 3.0), (4.0, 5.0, 6.0))``. Raises ValueError with a short reason for empty
    text, a word, a ragged matrix, a value outside ``[low, high]`` (or not finite) and a matrix too large.
    """
    rows = [r for r in re.split(r"[;\n]+", text.strip()) if r.strip()]
    if not rows:
        raise ValueError("empty: type numbers, rows separated by ;")
    if len(rows) > max_rows:
        raise ValueError(f"{len(rows)} rows, at most {max_rows} allowed")
    out = []
    for r in rows:
        values = []
        for part in (p for p in re.split(r"[,\s]+", r.strip()) if p):
            try:
                v = float(part.replace("−", "-"))
            except ValueError:
                raise ValueError(f"“{part[:12]}” is not a number") from None
            if not (math.isfinite(v) and low <= v <= high):
                raise ValueError(f"{part[:12]} is outside {_fmt_float(low)} to {_fmt_float(high)}")
            values.append(v)
        if not values:  # a row of separators only (",")
            continue
        if len(values) > max_cols:
            raise ValueError(f"a row of {len(values)} numbers, at most {max_cols} allowed")
        out.append(tuple(values))
    if not out:
        raise ValueError("empty: type numbers, rows separated by ;")
    widths = {len(r) for r in out}
    if len(widths) > 1:
        raise ValueError(f"ragged: rows of {' and '.join(map(str, sorted(widths)))} numbers; "
                         "every row needs the same count")
    return tuple(out)


def show_matrix(m) -> str:
    return "; ".join(" ".join(_fmt_float(x) for x in row) for row in m)


def matrix(name: str, default, *, low: float = -1e6, high: float = 1e6, max_rows: int = 6, max_cols: int = 6,
           scope: str = "") -> Setting:
    """A small matrix typed as text (see :func:`parse_matrix`), e.g. ``?X=1 2; 3 4``."""
    default = tuple(tuple(float(x) for x in row) for row in default)
    return Setting(name, default, lambda t: parse_matrix(t, low=low, high=high, max_rows=max_rows,
                                                         max_cols=max_cols), show_matrix, scope)


def vector(name: str, default: Sequence[float], *, low: float = -1e6, high: float = 1e6, max_count: int = 12,
           scope: str = "") -> Setting:
    """Numbers separated by commas, spaces or semicolons, e.g. ``?y=1, 2.5, 3``."""
    def parse(text: str) -> tuple[float, ...]:
        flat = parse_matrix(re.sub(r"[;\n]", " ", text), low=low, high=high, max_rows=1, max_cols=max_count)
        return flat[0]

    return Setting(name, tuple(float(x) for x in default), parse, lambda v: ", ".join(_fmt_float(x) for x in v),
                   scope)


# -- the per-run flow -------------------------------------------------------------------------------------------

def begin_run() -> None:
    """Called by ``app.py`` before a page runs: forget the previous run's settings and notices."""
    st.session_state[_REGISTRY] = {}
    st.session_state[_NOTICES] = []


def get(s: Setting) -> Any:
    """Register ``s`` for this run and return its current value (initialized from the URL once a session)."""
    st.session_state.setdefault(_REGISTRY, {})[s.name] = s
    seen = st.session_state.setdefault(_SEEN, set())
    if s.state_key not in seen:
        seen.add(s.state_key)
        value = s.default
        raw = st.query_params.get_all(s.name)
        if raw:
            try:
                value = s.parse(raw[-1])
            except ValueError as exc:
                st.session_state.setdefault(_NOTICES, []).append(
                    f"`{s.name}={raw[-1]}` in the link is {exc}; using {s.show(s.default)}."
                )
        st.session_state[s.state_key] = value
    return st.session_state[s.state_key]


def set_value(s: Setting, new) -> None:
    """Change a setting (from a callback: a preset button, a click on a plot)."""
    st.session_state.setdefault(_SEEN, set()).add(s.state_key)
    st.session_state[s.state_key] = new


def notices() -> list[str]:
    return list(st.session_state.get(_NOTICES, []))


def sync_url() -> None:
    """Write this run's settings into the URL; defaults are left out to keep links short."""
    registry: dict[str, Setting] = st.session_state.get(_REGISTRY, {})
    params = {}
    for name, s in registry.items():
        v = st.session_state.get(s.state_key, s.default)
        if v != s.default:
            params[name] = s.show(v)
    if dict(st.query_params.to_dict()) != params:
        st.query_params.from_dict(params)
