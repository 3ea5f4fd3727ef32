"""AppTest tests of the Spatial Transformer page: the output shown is the core's transform, theta typed in
directly and theta from the sliders agree, the identity returns the digit, the 2-parameter translation mode,
the sampler's arithmetic for one pixel, the recovery animation's frames, and the URL."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

import nets
from viz.style import PRESENT

PAGE = "pages/spatial_transformer.py"
SCOPE = "stn"
# rotation 30° at scale 1.25: 1.25 cos 30° = 1.0825317547305484 and 1.25 sin 30° = 0.625 exactly (floats compose it
# as 0.6249999999999999, which the page writes as 0.625)
DEFAULT = np.array([[1.25 * np.cos(np.pi / 6), -0.625, 0.0], [0.625, 1.25 * np.cos(np.pi / 6), 0.0]])


@pytest.fixture
def trace(plotly_specs):
    def named(at, name: str) -> dict:
        """The trace called ``name`` in any figure of the page."""
        for fig in plotly_specs(at):
            for tr in fig["data"]:
                if tr.get("name") == name:
                    return tr
        raise KeyError(name)

    return named


@pytest.fixture
def output(trace, plotly_array):
    """The transformed image the page shows."""
    return lambda at: plotly_array(trace(at, "output V")["z"])


def theta_of(at) -> np.ndarray:
    return np.array([[at.number_input(key=f"stn-theta-{r}{c}").value for c in range(3)] for r in range(2)])


def test_the_output_is_the_core_transform_of_the_digit(open_page, plotly_array, trace, output):
    at = open_page(PAGE)
    assert not at.exception
    digit = nets.load_digit()
    np.testing.assert_array_equal(plotly_array(trace(at, "input U")["z"]), digit)
    np.testing.assert_array_equal(output(at), nets.transform(digit, DEFAULT)[0])
    np.testing.assert_allclose(theta_of(at), DEFAULT, rtol=0, atol=0)
    np.testing.assert_allclose(DEFAULT, nets.theta_from_params(30.0, 1.25, 1.25), rtol=2e-16, atol=0)
    latex = "".join(el.proto.body for el in at.get("latex"))
    assert "1.083 & -0.625 & 0.000" in latex  # theta with its numbers, next to the picture


def test_the_identity_returns_the_image(open_page, output):
    at = open_page(PAGE)
    at.button(key="preset-identity").click().run()
    np.testing.assert_allclose(output(at), nets.load_digit(), rtol=0, atol=1e-15)  # pixel centres, to rounding
    assert at.query_params["theta"] == "1,0,0,0,1,0"
    assert [at.slider(key=f"stn-param-{n}").value for n in ("angle_deg", "scale_x", "shear", "tx")] == [0, 1, 0, 0]


def test_theta_typed_in_directly_and_theta_from_the_sliders_agree(open_page, output):
    by_sliders = open_page(PAGE)
    by_sliders.button(key="preset-identity").click().run()
    for name, value in (("angle_deg", -40.0), ("scale_x", 0.8), ("scale_y", 1.5), ("shear", 0.3), ("tx", 0.2),
                        ("ty", -0.35)):
        by_sliders.slider(key=f"stn-param-{name}").set_value(value).run()
    theta = nets.theta_from_params(-40.0, 0.8, 1.5, 0.3, 0.2, -0.35)
    np.testing.assert_allclose(theta_of(by_sliders), theta, rtol=0, atol=1e-12)
    by_entries = open_page(PAGE)
    for r in range(2):
        for c in range(3):
            by_entries.number_input(key=f"stn-theta-{r}{c}").set_value(float(theta[r, c])).run()
    np.testing.assert_allclose(output(by_entries), output(by_sliders), rtol=0, atol=1e-12)
    # typing theta moves the sliders to its description
    assert by_entries.slider(key="stn-param-angle_deg").value == pytest.approx(-40.0)
    assert by_entries.slider(key="stn-param-scale_y").value == pytest.approx(1.5)
    assert by_entries.slider(key="stn-param-shear").value == pytest.approx(0.3)


def test_one_slider_changes_only_its_own_parameter(open_page, output):
    at = open_page(PAGE)
    at.slider(key="stn-param-tx").set_value(0.5).run()
    p = nets.params_from_theta(theta_of(at))
    assert p.angle_deg == pytest.approx(30.0) and p.scale_x == pytest.approx(1.25) and p.tx == pytest.approx(0.5)
    np.testing.assert_allclose(output(at), nets.transform(nets.load_digit(), theta_of(at))[0], atol=1e-15)


def test_a_mirroring_theta_turns_the_sliders_off_but_still_samples(open_page, output):
    at = open_page(PAGE)
    at.button(key="preset-mirror").click().run()
    assert not at.exception
    assert any("mirrors" in i.value for i in at.info)
    assert all(at.slider(key=f"stn-param-{n}").disabled for n in ("angle_deg", "scale_x", "tx"))
    np.testing.assert_allclose(output(at), nets.load_digit()[:, ::-1], rtol=0, atol=1e-14)  # x -> -x: a mirror


def test_translation_mode_has_two_parameters(open_page, output):
    at = open_page(PAGE, {"mode": "translation", "theta": "1.2,0.3,0.4,0,1,-0.3"})
    assert not at.exception
    np.testing.assert_array_equal(theta_of(at), nets.theta_translation(0.4, -0.3))  # the 2 x 2 part is dropped
    assert at.query_params["theta"] == "1,0,0.4,0,1,-0.3"  # the shortest text of each value
    assert [at.number_input(key=f"stn-theta-{r}{c}").disabled for r in range(2) for c in range(3)] == \
        [True, True, False, True, True, False]
    assert {s.key for s in at.slider} >= {"stn-param-tx", "stn-param-ty"}
    assert "stn-param-angle_deg" not in {s.key for s in at.slider}
    at.slider(key="stn-param-tx").set_value(-0.5).run()
    np.testing.assert_array_equal(theta_of(at), nets.theta_translation(-0.5, -0.3))
    np.testing.assert_array_equal(output(at), nets.transform(nets.load_digit(), nets.theta_translation(-0.5, -0.3))[0])
    latex = "".join(el.proto.body for el in at.get("latex"))
    assert r"\theta_1 \\ \theta_2" in latex


def test_one_pixel_through_the_sampler(open_page, download_bytes, plotly_array, widget_key, trace, output):
    at = open_page(PAGE, {"i": "13", "j": "23"})
    taps = at.dataframe[0].value
    grid = nets.affine_grid(DEFAULT, (40, 40))
    core = nets.bilinear_taps(nets.load_digit(), *grid[13, 23])
    np.testing.assert_array_equal(taps["weight"], core.weights)
    np.testing.assert_array_equal(taps["Uₙₘ"], core.values)
    assert taps["weight × Uₙₘ"].sum() == pytest.approx(output(at)[13, 23], abs=1e-15)
    assert 0.3 < output(at)[13, 23] < 0.7  # the default pixel sits on a stroke's edge: a real weighted average
    back = pd.read_csv(io.BytesIO(download_bytes(at, 0)))
    np.testing.assert_array_equal(back["weight"], taps["weight"])
    at.slider(key=widget_key(SCOPE, "j", "slider")).set_value(5).run()
    assert at.query_params["j"] == "5"
    star = trace(at, "pixel (13, 5)")
    np.testing.assert_allclose(plotly_array(star["x"]), [grid[13, 5, 0]])  # the star sits on the sampling grid


@pytest.mark.parametrize(
    "query, phrase",
    [({"theta": "1,2,3"}, "`theta=1,2,3` in the link is not 6 numbers"),
     ({"theta": "a,b,c,d,e,f"}, "`theta=a,b,c,d,e,f` in the link is not a list of numbers"),
     ({"theta": "100,0,0,0,1,0"}, "`theta=100,0,0,0,1,0` in the link is not a list of numbers: “100” is outside -10 to 10"),
     ({"mode": "projective"}, "`mode=projective` in the link is not one of"),
     ({"i": "40"}, "`i=40` in the link is outside 0 to 39")],
)
def test_invalid_url_values_give_a_notice_and_the_default(query, phrase, open_page, output):
    at = open_page(PAGE, query)
    assert not at.exception
    notices = [w.value for w in at.warning]
    assert len(notices) == 1 and notices[0].startswith(phrase), notices
    np.testing.assert_array_equal(output(at), nets.transform(nets.load_digit(), DEFAULT)[0])


def test_theta_from_the_sliders_is_linked_without_float_noise(open_page):
    """Rotation 60° with shear 0.6, shifted by 0.3: cos 60° is 0.5, which floats compute as 0.5000000000000001;
    the link says 0.5, keeps the entries that have no short decimal as they are, and reads back to the same theta."""
    at = open_page(PAGE)
    at.button(key="preset-identity").click().run()
    for name, value in (("angle_deg", 60.0), ("shear", 0.6), ("tx", 0.3)):
        at.slider(key=f"stn-param-{name}").set_value(value).run()
    exact = nets.theta_from_params(60.0, 1.0, 1.0, 0.6, 0.3, 0.0).ravel()
    text = at.query_params["theta"].split(",")
    assert exact[0] == 0.5000000000000001 and text[0] == "0.5" and text[2] == "0.3" and text[5] == "0"
    assert [float(t) for t in text[1:2] + text[3:5]] == [exact[1], exact[3], exact[4]]  # no shorter neighbour
    shared = open_page(PAGE, dict(at.query_params))
    np.testing.assert_array_equal(theta_of(shared), theta_of(at))


def test_a_shared_link_restores_theta_exactly(open_page, output):
    at = open_page(PAGE)
    at.slider(key="stn-param-angle_deg").set_value(-75.0).run()
    at.number_input(key="stn-theta-12").set_value(0.125).run()
    shared = open_page(PAGE, dict(at.query_params))
    np.testing.assert_array_equal(theta_of(shared), theta_of(at))
    np.testing.assert_array_equal(output(shared), output(at))


def test_the_recovery_animation_has_frames_that_follow_gradient_descent(open_page, download_bytes, plotly_specs,
                                                                         plotly_array):
    at = open_page(PAGE, {"view": "recover"})
    assert not at.exception
    rec = nets.recovery_demo()
    fig = next(f for f in plotly_specs(at) if f.get("frames"))
    frames = fig["frames"]
    assert len(frames) == 61 and frames[0]["name"] == "0" and frames[-1]["name"] == "150"
    assert [b["label"] for b in fig["layout"]["updatemenus"][0]["buttons"]] == ["▶ Play", "❚❚ Pause"]
    assert len(fig["layout"]["sliders"][0]["steps"]) == 61
    for fr in (frames[0], frames[30], frames[-1]):
        k = int(fr["name"])
        image = plotly_array(next(d for d in fr["data"] if d["type"] == "heatmap")["z"])
        np.testing.assert_array_equal(image, np.round(np.clip(rec.image_at(k), 0, 1) * 255).astype(np.uint8))
        marker = next(d for d in fr["data"] if d.get("name") == "current")
        assert plotly_array(marker["y"])[0] == rec.losses[k]
    # the last frame is close to the original digit, the first is the distorted one
    last = plotly_array(next(d for d in frames[-1]["data"] if d["type"] == "heatmap")["z"]) / 255
    first = plotly_array(next(d for d in frames[0]["data"] if d["type"] == "heatmap")["z"]) / 255
    digit = nets.load_digit()
    assert np.abs(last - digit).mean() < 0.3 * np.abs(first - digit).mean()
    table = at.dataframe[0].value
    np.testing.assert_array_equal(table["recovered"], rec.thetas[-1][[0, 0, 1, 1, 0, 1], [0, 1, 0, 1, 2, 2]])
    assert table["difference"].abs().max() < 0.01
    steps = at.dataframe[1].value
    np.testing.assert_array_equal(steps["loss"], rec.losses)
    pd.testing.assert_frame_equal(pd.read_csv(io.BytesIO(download_bytes(at, 0))), table)
    back = pd.read_csv(io.BytesIO(download_bytes(at, 1)))
    np.testing.assert_array_equal(back.to_numpy(), steps.to_numpy())
    assert sum(len(c.proto.spec) for c in at.get("plotly_chart")) < 800_000  # images are sent as bytes


def test_recovery_in_translation_mode_moves_only_the_shift(open_page):
    at = open_page(PAGE, {"view": "recover", "mode": "translation", "tx": "0.3", "ty": "0.2", "steps": "80"})
    rec = nets.recovery_demo(tx=0.3, ty=0.2, mode="translation", steps=80)
    steps = at.dataframe[1].value
    np.testing.assert_array_equal(steps["θ13"], rec.thetas[:, 0, 2])
    assert (steps[["θ11", "θ22"]].to_numpy() == 1).all() and (steps[["θ12", "θ21"]].to_numpy() == 0).all()
    assert "stn-param-tx" not in {s.key for s in at.slider}  # the distortion's sliders are the page's settings
    assert "rotation" not in " ".join(s.label for s in at.slider)


def test_presentation_mode_enlarges_every_figure(open_page, plotly_specs, texts):
    for view in ("grid", "recover"):
        at = open_page(PAGE, {"present": "1", "view": view})
        assert not at.exception
        assert all(f["layout"]["font"]["size"] == PRESENT.font for f in plotly_specs(at))
    assert "θ maps" in texts(open_page(PAGE))


def test_a_vanishing_blur_in_a_link_gives_the_unblurred_recovery(open_page):
    """``blur=1e-200`` is a valid value: it must match the plain images (it gave NaN everywhere, unlabelled)."""
    at = open_page(PAGE, {"view": "recover", "blur": "1e-200", "steps": "20"})
    assert not at.exception
    table = at.dataframe[0].value
    numbers = table.select_dtypes("number").to_numpy()
    assert numbers.size and np.all(np.isfinite(numbers))
    plain = open_page(PAGE, {"view": "recover", "steps": "20"}).dataframe[0].value
    pd.testing.assert_frame_equal(table, plain)
