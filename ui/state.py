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

#: a value from a link is quoted in a notice up to this many characters
QUOTE_CHARS = 40
_REGISTRY = "_url_settings"  # name -> Setting, for the current run
_NOTICES = "_url_notices"
_CARRY = "_url_notices_carried"  # notices of a run that was cut short to be redone
_SEEN = "_url_seen"  # names already initialized in this session


@dataclass(frozen=True)
class Setting:
    """A named, validated value that can round-trip through the URL."""

    name: str  #: the URL parameter
    default: Any
    parse: Callable[[str], Any]  #: text from the URL -> value; raises ValueError with a reason
    show: Callable[[Any], str] = str  #: value -> text for the URL
    scope: str = ""  #: the page it belongs to (names need only be unique within a page)
    options: tuple = ()  #: the values it can take, when they are a fixed set (a choice, the items of a list)
    bounds: tuple = ()  #: (low, high) of a number, a whole number or each number of a list

    @property
    def state_key(self) -> str:
        return f"v:{self.scope}:{self.name}"


# -- constructors for the usual kinds ---------------------------------------------------------------------------

def format_float(x: float) -> str:
    """The shortest text that reads back as ``x`` (``0.6``, not ``0.59999999999999998``); whole numbers without
    a decimal point."""
    x = float(x)
    return str(int(x)) if x == int(x) and abs(x) < 1e16 else repr(x)


def without_noise(x: float) -> float:
    """``x`` without the last-bit noise of arithmetic: the short decimal within 5e-16 of it when there is one
    (``0.6249999999999999`` -> ``0.625``, ``0.1 + 0.2`` -> ``0.3``, at most 12 significant digits), else ``x``
    unchanged (``1.0825317547305484`` has no shorter neighbour). A computed value's link text is then as short as a
    typed one's."""
    x = float(x)
    short = float(f"{x:.12g}")
    return short if short == float(f"{x:.15g}") else x


def number_parser(low: float, high: float) -> Callable[[str], float]:
    """Text -> a finite number in ``[low, high]``; a ValueError says why not."""
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise ValueError("not a number") from None
        if not math.isfinite(value) or not low <= value <= high:
            raise ValueError(f"outside {format_float(low)} to {format_float(high)}")
        return value

    return parse


def number(name: str, default: float, low: float, high: float, *, scope: str = "") -> Setting:
    return Setting(name, float(default), number_parser(low, high), format_float, scope, bounds=(low, high))


def integer(name: str, default: int, low: int, high: int, *, scope: str = "") -> Setting:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise ValueError("not a whole number") from None
        if not low <= value <= high:
            raise ValueError(f"outside {low} to {high}")
        return value

    return Setting(name, int(default), parse, str, scope, bounds=(low, high))


def choice(name: str, default: str, options: Sequence[str], *, scope: str = "") -> Setting:
    options = tuple(options)

    def parse(text: str) -> str:
        if text not in options:
            raise ValueError("not one of " + ", ".join(options))
        return text

    return Setting(name, default, parse, str, scope, options)


def flag(name: str, default: bool = False, *, scope: str = "") -> Setting:
    def parse(text: str) -> bool:
        if text.lower() in ("1", "true", "on", "yes"):
            return True
        if text.lower() in ("0", "false", "off", "no"):
            return False
        raise ValueError("not on or off (1 or 0)")

    return Setting(name, bool(default), parse, lambda v: "1" if v else "0", scope)


def sequence(name: str, default: Sequence, item: Callable[[str], Any], *, show_item: Callable[[Any], str] = str,
             min_count: int = 1, max_count: int = 9, what: str = "values", separator: str = ",",
             unique: bool = False, scope: str = "", options: tuple = (), bounds: tuple = ()) -> Setting:
    """A list typed or linked as text, ``?rates=0.1,0.2,0.5``: the one parser of every list a page takes.

    ``item`` reads one entry (raising ValueError with a reason); ``separator`` splits the entries (``" "``
    also splits at spaces and semicolons); empty entries are skipped and ``unique`` drops repeated ones.
    """
    def parse(text: str) -> tuple:
        pattern = r"[,;\s]+" if separator == " " else re.escape(separator)
        parts = [p.strip() for p in re.split(pattern, text.strip()) if p.strip()]
        if unique:
            parts = list(dict.fromkeys(parts))
        if not min_count <= len(parts) <= max_count:
            count = f"{min_count}" if min_count == max_count else f"{min_count} to {max_count}"
            raise ValueError(f"not {count} {what} separated by {'commas' if separator == ',' else 'commas or spaces'}")
        values = []
        for p in parts:
            try:
                values.append(item(p))
            except ValueError as exc:
                raise ValueError(f"not a list of {what}: “{shorten(p)}” is {exc}") from None
        return tuple(values)

    joiner = ", " if separator == " " else separator
    return Setting(name, tuple(default), parse, lambda v: joiner.join(show_item(x) for x in v), scope, options,
                   bounds)


def numbers(name: str, default: Sequence[float], low: float, high: float, min_count: int = 1,
            max_count: int = 9, *, separator: str = ",", scope: str = "") -> Setting:
    """A list of numbers in ``[low, high]``, e.g. ``?rates=0.1,0.2,0.5``."""
    return sequence(name, tuple(float(v) for v in default), number_parser(low, high), show_item=format_float,
                    min_count=min_count, max_count=max_count, what="numbers", separator=separator, scope=scope,
                    bounds=(low, high))


def names(name: str, default: Sequence[str], options: Sequence[str], min_count: int = 1, *,
          scope: str = "") -> Setting:
    """A subset of ``options``, e.g. ``?opt=gd,adam``."""
    options = tuple(options)

    def item(text: str) -> str:
        if text not in options:
            raise ValueError("not one of " + ", ".join(options))
        return text

    return sequence(name, default, item, min_count=min_count, max_count=len(options), what="names", unique=True,
                    scope=scope, options=options)


# -- notices ----------------------------------------------------------------------------------------------------

def shorten(text: str, limit: int = QUOTE_CHARS) -> str:
    """``text`` on one line (runs of white space folded), cut to ``limit`` characters with an ellipsis."""
    one_line = " ".join(str(text).split())
    return one_line if len(one_line) <= limit else one_line[:limit] + "…"


def code(text: str) -> str:
    """``text`` (shortened) as inline code: fenced by more backticks than it holds, so nothing in it renders."""
    text = shorten(text)
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def escape_markdown(text: str) -> str:
    """Backslashes before the characters that would start markdown (emphasis, links, code, HTML, math)."""
    return re.sub(r"([\\`*_\[\]()!<>$~])", r"\\\1", str(text))


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
                raise ValueError(f"{part[:12]} is outside {format_float(low)} to {format_float(high)}")
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
    return "; ".join(" ".join(format_float(x) for x in row) for row in m)


def matrix(name: str, default, *, low: float = -1e6, high: float = 1e6, max_rows: int = 6, max_cols: int = 6,
           scope: str = "") -> Setting:
    """A small matrix typed as text (see :func:`parse_matrix`), e.g. ``?X=1 2; 3 4``."""
    default = tuple(tuple(float(x) for x in row) for row in default)
    return Setting(name, default, lambda t: parse_matrix(t, low=low, high=high, max_rows=max_rows,
                                                         max_cols=max_cols), show_matrix, scope,
                   bounds=(low, high))


def vector(name: str, default: Sequence[float], *, low: float = -1e6, high: float = 1e6, max_count: int = 12,
           scope: str = "") -> Setting:
    """Numbers separated by commas, spaces or semicolons, e.g. ``?y=1, 2.5, 3``."""
    def parse(text: str) -> tuple[float, ...]:
        flat = parse_matrix(re.sub(r"[;\n]", " ", text), low=low, high=high, max_rows=1, max_cols=max_count)
        return flat[0]

    return Setting(name, tuple(float(x) for x in default), parse, lambda v: ", ".join(format_float(x) for x in v),
                   scope, bounds=(low, high))


# -- the per-run flow -------------------------------------------------------------------------------------------

def begin_run() -> None:
    """Called by ``app.py`` before a page runs: forget the previous run's settings and notices."""
    st.session_state[_REGISTRY] = {}
    st.session_state[_NOTICES] = st.session_state.pop(_CARRY, [])


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
                    f"{code(f'{s.name}={raw[-1]}')} in the link is {escape_markdown(shorten(exc, 160))}; using "
                    f"{escape_markdown(shorten(s.show(s.default), 80))}."
                )
        st.session_state[s.state_key] = value
    return st.session_state[s.state_key]


def carry_notices() -> None:
    """Keep this run's notices for the next run (a run that is about to be redone from the start: the settings
    it read stay read, so their notices would not come again)."""
    st.session_state[_CARRY] = notices()


def set_value(s: Setting, new) -> None:
    """Change a setting (from a callback: a preset button, a click on a plot)."""
    st.session_state.setdefault(_SEEN, set()).add(s.state_key)
    st.session_state[s.state_key] = new


def notices() -> list[str]:
    return list(st.session_state.get(_NOTICES, []))


def _shown() -> dict[str, str]:
    """This run's settings so far as URL parameters; defaults are left out to keep links short."""
    registry: dict[str, Setting] = st.session_state.get(_REGISTRY, {})
    return {name: s.show(v) for name, s in registry.items()
            if (v := st.session_state.get(s.state_key, s.default)) != s.default}


def query() -> dict[str, str]:
    """The query of the link to the current view, during a run: the settings read so far over those the address
    bar holds from the last run (settings this run has not read yet keep their shown value)."""
    registry = st.session_state.get(_REGISTRY, {})
    params = {k: v for k, v in st.query_params.to_dict().items() if k not in registry}
    return params | _shown()


def sync_url() -> None:
    """Write this run's settings into the URL; defaults are left out to keep links short."""
    params = _shown()
    if dict(st.query_params.to_dict()) != params:
        st.query_params.from_dict(params)
