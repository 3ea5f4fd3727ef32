"""The look of every figure: one look per optimizer, and the theme as the only thing presentation mode
changes."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

from optim import NAMES
from viz.style import LOOKS, NORMAL, PRESENT, Theme, theme

VIZ = Path(__file__).resolve().parents[1] / "viz"


def viz_modules():
    return sorted(VIZ.glob("*.py"))


def test_every_optimizer_has_one_distinct_look():
    assert set(LOOKS) == set(NAMES)
    assert len({look.color for look in LOOKS.values()}) == len(LOOKS)
    assert len({look.symbol for look in LOOKS.values()}) == len(LOOKS)


def test_only_the_theme_reads_presentation_mode():
    """Every size that differs in presentation mode is a field of Theme: no figure builder asks ``th.present``."""
    readers = [f"{path.name}:{node.lineno}" for path in viz_modules() if path.name != "style.py"
               for node in ast.walk(ast.parse(path.read_text())) if isinstance(node, ast.Attribute)
               and node.attr == "present"]
    assert readers == []


def test_optimizer_names_appear_in_viz_only_in_the_look_table():
    """Adding an optimizer adds one entry to LOOKS, and nothing else in viz."""
    named = [f"{path.name}:{node.lineno} {node.value!r}" for path in viz_modules()
             if path.name != "style.py"
             for node in ast.walk(ast.parse(path.read_text()))
             if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in NAMES]
    assert named == []


def test_the_two_themes_are_hashable_and_fill_every_field():
    assert theme(False) is NORMAL and theme(True) is PRESENT
    assert hash(NORMAL) != hash(PRESENT)  # cached builders take the theme as an argument
    assert not NORMAL.present and PRESENT.present
    for field in dataclasses.fields(Theme):
        a, b = getattr(NORMAL, field.name), getattr(PRESENT, field.name)
        assert type(a) is type(b) or {type(a), type(b)} <= {int, float}, field.name


def test_presentation_mode_is_larger():
    assert PRESENT.font > NORMAL.font and PRESENT.line > NORMAL.line and PRESENT.marker > NORMAL.marker
    assert PRESENT.map.height > NORMAL.map.height and PRESENT.race.top > NORMAL.race.top


def test_a_fitted_theme_shrinks_with_a_lower_screen_and_keeps_type_readable():
    from viz.style import fitted

    small = fitted(PRESENT, 720)  # a 1280 x 720 projector: 720 / 1080 = 0.667, in steps of 5 %: 0.65
    assert small.race.height == round(PRESENT.race.height * 0.65)
    assert small.spatial.grid_height == round(PRESENT.spatial.grid_height * 0.65)
    assert small.race.bottom == round(PRESENT.race.bottom * 0.65)
    assert small.font == max(NORMAL.font, int(PRESENT.font * 0.65)) and small.font >= NORMAL.font
    assert small.race.column_widths == PRESENT.race.column_widths and small.present
    assert fitted(PRESENT, 1080) is PRESENT and fitted(PRESENT, None) is PRESENT and fitted(NORMAL, 720) is NORMAL


def test_a_figure_with_frames_survives_pickling_as_streamlit_caches_it():
    """st.cache_data pickles what it returns (the spatial transformer's recovery animation): the frames, kept as
    plain dicts beside the validated figure, must come back."""
    import pickle

    import plotly.graph_objects as go

    from viz.style import figure, subplots

    fig = subplots(rows=1, cols=2, subplot_titles=("left", "right"))
    fig.add_trace(go.Scatter(x=[1.0, 2.0], y=[3.0, 4.0]), 1, 2)
    fig.frames = [go.Frame(data=[go.Scatter(x=[float(k)], y=[2.0])], traces=[0], name=str(k)) for k in range(3)]
    themed = figure(fig.data, fig.layout, NORMAL, frames=fig.frames, height=300)
    back = pickle.loads(pickle.dumps(themed))
    assert back.to_dict() == themed.to_dict()
    assert [f["name"] for f in back.to_dict()["frames"]] == ["0", "1", "2"]
    assert back.layout.height == 300 and back.layout.annotations[0].font.size == NORMAL.font
