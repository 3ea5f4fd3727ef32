"""AppTest tests of the app as a whole: the router opens every page, the home page links them, settings live in the
URL and survive a visit to another page, presentation mode stays on across pages, and a hostile link to any page
gives a notice naming the bad parameter instead of an error."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from ui.pages import HOME, PAGES
from viz.style import PRESENT

LR_PAGE = "pages/learning_rate.py"
BY_NAME = {p.url_path: p for p in (HOME, *PAGES)}


@pytest.mark.parametrize("page", [HOME, *PAGES], ids=lambda p: p.url_path)
def test_every_page_runs_without_exception(page, open_page):
    at = open_page(page.path)
    assert not at.exception, [e.value for e in at.exception]
    assert at.title and at.title[0].value == ("Optimizer lab" if page is HOME else page.title)
    assert [t.label for t in at.sidebar.toggle] == ["Presentation mode"]


def test_home_links_every_page(open_page):
    at = open_page()
    links = [el.proto.page for el in at.get("page_link")]
    assert sorted(links) == sorted(p.url_path for p in PAGES)


def test_settings_live_in_the_url_and_a_shared_link_restores_them(open_page, widget_key):
    lr, steps = widget_key("lr", "lr", "slider"), widget_key("lr", "steps", "slider")
    at = open_page(LR_PAGE)
    at.slider(key=lr).set_value(0.3).run()
    at.slider(key=steps).set_value(12).run()
    link = dict(at.query_params)
    assert link == {"lr": "0.3", "steps": "12"}
    shared = open_page(LR_PAGE, link)
    assert shared.slider(key=lr).value == 0.3 and shared.slider(key=steps).value == 12
    pd.testing.assert_frame_equal(shared.dataframe[0].value, at.dataframe[0].value)
    # settings survive a visit to another page
    at.switch_page("pages/home.py").run()
    at.switch_page(LR_PAGE).run()
    assert at.slider(key=lr).value == 0.3 and dict(at.query_params) == link


def test_presentation_mode_enlarges_figures_and_stays_in_the_url(open_page, plotly_specs):
    at = open_page(LR_PAGE, {"present": "1"})
    assert at.sidebar.toggle[0].value is True
    assert all(f["layout"]["font"]["size"] == PRESENT.font for f in plotly_specs(at))
    assert any("<style>" in m.value for m in at.markdown)
    assert dict(at.query_params) == {"present": "1"}
    at.switch_page("pages/home.py").run()
    assert dict(at.query_params) == {"present": "1"}  # one switch for every page
    at.sidebar.toggle[0].set_value(False).run()
    assert dict(at.query_params) == {}


# -- hostile links -----------------------------------------------------------------------------------------------------

#: markdown that would take effect if a notice let it out of its code span: it closes the span with a backtick,
#: then bold text, a link, a remote image (fetched by every reader's browser), raw HTML and a heading
INJECTION = "`**bold** [link](https://example.com) ![x](https://example.com/x.png) <b>html</b>\n# heading"
LONG = "a" * 10_000


def hostile(page: str, key: str, value: str, **context: str):
    """A hostile ``value`` of ``key`` on ``page``; ``context`` gives the valid settings (a view) that read it."""
    label = {LONG: "10000-chars", INJECTION: "markdown-injection"}.get(value, value)
    return pytest.param(page, key, value, context, id=f"{page}-{key}={label}")


#: (page, parameter, value): hostile values of the settings each page declares (and the app-wide ``present``)
BAD_LINKS = [
    hostile("home", "present", "maybe"),
    hostile("home", "present", INJECTION),
    hostile("home", "present", LONG),
    hostile("playground", "surface", "nope"),
    hostile("playground", "opt", "gd,,zzz"),
    hostile("playground", "steps", str(10**12)),
    hostile("playground", "adam.lr", "abc"),
    hostile("playground", "adam.lr", "-1"),
    hostile("playground", "x0", "nan"),
    hostile("playground", "opt", INJECTION),
    hostile("playground", "surface", LONG),
    hostile("playground", "f", "().__class__.__bases__", surface="own"),
    hostile("playground", "f", "x^(10^10)", surface="own"),
    hostile("playground", "box", "-2,2,5", surface="own"),
    hostile("hyperparameter_map", "surface", "nope"),
    hostile("hyperparameter_map", "opt", "gd,,zzz"),
    hostile("hyperparameter_map", "steps", str(10**12)),
    hostile("hyperparameter_map", "cell", "1,2,3"),
    hostile("hyperparameter_map", "xlo", "abc"),
    hostile("hyperparameter_map", "show", INJECTION),
    hostile("hyperparameter_map", "n", LONG),
    hostile("hyperparameter_map", "f", "__import__('os').system('true')", surface="own"),
    hostile("hyperparameter_map", "f", "x^(10^10)", surface="own"),
    hostile("hyperparameter_map", "f", INJECTION, surface="own"),
    hostile("hyperparameter_map", "box", "3,1,0,1", surface="own"),
    hostile("hyperparameter_map", "box", "0,1e99,0,1", surface="own"),
    hostile("hyperparameter_map", "box", "nan,1,0,1", surface="own"),
    hostile("hyperparameter_map", "box", INJECTION, surface="own"),
    hostile("hyperparameter_map", "box", LONG, surface="own"),
    hostile("hyperparameter_map", "sched", "zzz"),
    hostile("hyperparameter_map", "gamma", "-1", sched="step"),
    hostile("hyperparameter_map", "period", "0", sched="step"),
    hostile("hyperparameter_map", "clipc", "0", clip="norm"),
    hostile("learning_rate", "lr", "abc"),
    hostile("learning_rate", "lr", "-1"),
    hostile("learning_rate", "steps", str(10**12)),
    hostile("learning_rate", "surface", "nope"),
    hostile("learning_rate", "view", INJECTION),
    hostile("learning_rate", "w0", LONG),
    hostile("learning_rate", "f", "__import__('os').system('true')", surface="own"),
    hostile("learning_rate", "f", "9^9^9^9", surface="own"),
    hostile("learning_rate", "f", INJECTION, surface="own"),
    hostile("learning_rate", "f", LONG, surface="own"),
    hostile("learning_rate", "opt", "gd,,zzz", view="optimizers"),
    hostile("learning_rate", "momentum.lr", "-1", view="optimizers"),
    hostile("learning_rate", "sched", "zzz", view="optimizers"),
    hostile("learning_rate", "gamma", "-1", view="optimizers", sched="step"),
    hostile("learning_rate", "period", "0", view="optimizers", sched="step"),
    hostile("learning_rate", "warmup", INJECTION, view="optimizers"),
    hostile("learning_rate", "mlr", "abc", view="momentum"),
    hostile("learning_rate", "esteps", str(10**12), view="quartic"),
    hostile("learning_rate", "qopt", INJECTION, view="quartic"),
    hostile("forms", "show", INJECTION),
    hostile("forms", "show", "adam,,zzz"),
    hostile("learning_rate", "box", "2,-2", surface="own"),
    hostile("batch_norm", "m", "abc"),
    hostile("batch_norm", "gamma", "-1e9"),
    hostile("batch_norm", "view", "nope"),
    hostile("batch_norm", "shift", "1e400"),
    hostile("batch_norm", "form", INJECTION),
    hostile("batch_norm", "eps", LONG),
    hostile("lstm", "x", "1,,zz"),
    hostile("lstm", "H", str(10**12)),
    hostile("lstm", "t", "abc"),
    hostile("lstm", "view", INJECTION),
    hostile("lstm", "bf", LONG),
    hostile("spatial_transformer", "theta", "1,2,3"),
    hostile("spatial_transformer", "theta", "nan,0,0,0,1,0"),
    hostile("spatial_transformer", "mode", "nope"),
    hostile("spatial_transformer", "i", str(10**12)),
    hostile("spatial_transformer", "theta", INJECTION),
    hostile("spatial_transformer", "theta", LONG),
    hostile("losses", "delta", "-1"),
    hostile("losses", "yhat", "1, x", view="numbers"),
    hostile("losses", "show", "mse,,zzz"),
    hostile("losses", "cp", INJECTION, view="numbers", task="categorical"),
    hostile("losses", "y", LONG, view="numbers"),
    hostile("activations", "fn", "nope"),
    hostile("activations", "z", "nan", view="softmax"),
    hostile("activations", "show", INJECTION, view="compare"),
    hostile("activations", "reach", LONG),
    hostile("initializers", "fanin", "0"),
    hostile("initializers", "layers", str(10**12), view="depth", batch="16"),
    hostile("initializers", "init", INJECTION),
    hostile("initializers", "std", LONG),
    hostile("dropout", "value", "1.5"),
    hostile("dropout", "n", "abc"),
    hostile("dropout", "means", INJECTION),
    hostile("dropout", "seed", LONG),
    hostile("convolution", "X", "1 2; 3"),
    hostile("convolution", "F", ""),
    hostile("convolution", "dO", INJECTION, view="backward"),
    hostile("convolution", "X", LONG),
    hostile("moving_averages", "beta", "abc"),
    hostile("moving_averages", "beta", "2"),
    hostile("moving_averages", "typed", "1, x", series="typed"),
    hostile("moving_averages", "n", str(10**12)),
    hostile("moving_averages", "series", INJECTION),
    hostile("moving_averages", "mlr", LONG),
    hostile("batch_learning", "n", "abc"),
    hostile("batch_learning", "sizes", "1, x"),
    hostile("batch_learning", "lr", "-1"),
    hostile("batch_learning", "updates", str(10**12)),
    hostile("batch_learning", "replace", INJECTION),
    hostile("batch_learning", "tau", LONG),
]


#: valid settings that keep a page's work small, given along with the hostile value (which overrides them)
SMALL = {"hyperparameter_map": {"n": "8", "steps": "20"}}


def test_the_bad_link_table_covers_every_page():
    assert {p.values[0] for p in BAD_LINKS} == set(BY_NAME)


def outside_code_spans(markdown: str) -> str:
    """``markdown`` without its inline code spans: as in CommonMark, a run of n backticks opens a span that the next
    run of exactly n backticks closes (an unclosed run is literal text)."""
    out, i = [], 0
    while i < len(markdown):
        run = re.match(r"`+", markdown[i:])
        if not run:
            out.append(markdown[i])
            i += 1
            continue
        close = re.compile(rf"(?<!`){run.group()}(?!`)").search(markdown, i + run.end())
        if close:
            i = close.end()
        else:
            out.append(run.group())
            i += run.end()
    return "".join(out)


def test_outside_code_spans_follows_the_backtick_runs():
    assert outside_code_spans("`a **b**` c") == " c"
    assert outside_code_spans("``a ` b`` c `d") == " c `d"
    assert outside_code_spans("`x=`**y**` in the link`") == "**y**"


def assert_main_element(page: str, at) -> None:
    """The page still shows what it is for: the home page its links, every other page a chart or a table."""
    if page == "home":
        assert len(at.get("page_link")) == len(PAGES)
    else:
        assert at.get("plotly_chart") or at.dataframe, "no chart and no table"


@pytest.mark.parametrize("page, key, value, context", BAD_LINKS)
def test_a_hostile_link_gives_a_notice_naming_the_parameter(page, key, value, context, open_page):
    at = open_page(None if page == "home" else BY_NAME[page].path, SMALL.get(page, {}) | context | {key: value})
    assert not at.exception, [e.value for e in at.exception]
    notices = [w.value for w in at.warning if f"{key}=" in w.value]
    assert len(notices) == 1, [w.value[:200] for w in at.warning]
    assert_main_element(page, at)
    assert at.query_params.get(key) != value, "the bad value is gone from the link"
    notice = notices[0]
    assert len(notice) < 1_000, f"a notice of {len(notice):,} characters"
    assert "\n" not in notice, "a line break in a notice lets the value start a heading or a list"
    rendered = outside_code_spans(notice)
    assert "**" not in rendered and "](" not in rendered, f"markdown of the value takes effect: {rendered[:200]}"


@pytest.mark.parametrize("page", [p.url_path for p in (HOME, *PAGES)])
def test_a_bad_app_wide_setting_in_a_link_to_any_page_gives_its_notice_there(page, open_page):
    """A shared link opened as the session's first run, as by the first visitor of a freshly started server."""
    at = open_page(BY_NAME[page].path, {"present": "maybe"}, direct=True)
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == ("Optimizer lab" if page == "home" else BY_NAME[page].title)
    assert any(w.value.startswith("`present=maybe` in the link is not on or off") for w in at.warning), \
        [w.value for w in at.warning]
    assert at.sidebar.toggle[0].value is False


def test_the_page_icon_is_a_local_image_not_a_font_server_s(monkeypatch, open_page):
    """Streamlit turns a ``:material/...:`` page icon into https://fonts.gstatic.com/... (every load, failing
    offline); an image file is served by the app itself. The pages' own material icons use the font Streamlit ships."""
    import pathlib
    import struct

    import streamlit

    seen = []
    real = streamlit.set_page_config
    monkeypatch.setattr(streamlit, "set_page_config", lambda **kw: (seen.append(kw), real(**kw))[1])
    at = open_page()
    assert not at.exception and len(seen) >= 1
    icon = seen[0]["page_icon"]
    assert isinstance(icon, pathlib.Path) and icon.is_file() and icon.parent.name == "assets"
    head = icon.read_bytes()[:24]  # the PNG signature, then the IHDR chunk: width and height
    assert head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR" and struct.unpack(">II", head[16:24]) == (64, 64)
    static = pathlib.Path(streamlit.__file__).parent / "static" / "static" / "media"
    assert list(static.glob("MaterialSymbols-Rounded*.woff2"))  # the font the pages' icons are drawn with


def test_the_app_runs_numpy_products_on_one_blas_thread(open_page):
    """See ui/threads.py: BLAS threads on top of the sessions' threads made small products 60 times slower."""
    from threadpoolctl import threadpool_info

    open_page("pages/learning_rate.py")
    blas = [p for p in threadpool_info() if p["user_api"] == "blas"]
    assert blas and all(p["num_threads"] == 1 for p in blas), blas
