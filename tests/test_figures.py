"""The app's figures: the posterior chart's SVG, and the latent map's layers and marks, for small sample data."""
import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from matplotlib.collections import PathCollection
from matplotlib.image import AxesImage

from vae import figures

SVG = "{http://www.w3.org/2000/svg}"
CRIMSON, BLACK = (220, 20, 60), (0, 0, 0)


@pytest.fixture
def test_set() -> tuple[np.ndarray, np.ndarray]:
    """Posterior means `(50, 2)` and labels `(50,)` covering all ten digits."""
    rng = np.random.default_rng(0)
    return rng.normal(size=(50, 2)).astype(np.float32), np.arange(50) % 10


@pytest.fixture(scope="module")
def picture() -> figures.MapPicture:
    """A rendered map over [-2, 2]² of a few test digits and a gradient manifold."""
    rng = np.random.default_rng(1)
    manifold = np.linspace(0, 1, 64 * 64).reshape(64, 64)
    return figures.render(figures.latent_map(rng.normal(size=(30, 2)), np.arange(30) % 10, manifold, extent=2.0))


def test_posterior_chart_has_one_bar_and_error_bar_per_dimension_to_scale():
    mean, std = np.array([0.5, -1.0, 2.0]), np.array([0.1, 0.2, 0.3])
    svg = ET.fromstring(figures.posterior_chart(mean, std))
    bars = svg.findall(f"{SVG}rect[@class='bar']")
    errors = svg.findall(f"{SVG}path[@class='error']")
    assert len(bars) == len(errors) == 3
    (zero_line,) = svg.findall(f"{SVG}line")
    zero_y = float(zero_line.get("y1"))
    heights = np.array([float(bar.get("height")) for bar in bars])
    units_per_z = heights[0] / 0.5
    np.testing.assert_allclose(heights, np.abs(mean) * units_per_z, atol=0.2)
    for bar, m in zip(bars, mean):  # positive means rise from the zero line, negative ones hang below it
        top, bottom = float(bar.get("y")), float(bar.get("y")) + float(bar.get("height"))
        assert (bottom if m > 0 else top) == pytest.approx(zero_y, abs=0.1)
    spans = [np.ptp([float(v) for v in re.findall(r"M[\d.]+ ([\d.]+)V([\d.]+)", e.get("d"))[0]]) for e in errors]
    np.testing.assert_allclose(spans, 2 * std * units_per_z, atol=0.2)
    assert [bar.find(f"{SVG}title").text for bar in bars][0] == "z1: mean +0.50, std 0.10"
    texts = [text.text for text in svg.iter(f"{SVG}text")]
    assert {"1", "2", "3", "latent dimension", "posterior mean ± std"} <= set(texts)


def test_posterior_chart_range_covers_every_error_bar():
    mean, std = np.array([-3.6, 0.2]), np.array([0.5, 0.1])
    svg = ET.fromstring(figures.posterior_chart(mean, std))
    tick_values = [float(t.text) for t in svg.iter(f"{SVG}text") if t.get("text-anchor") == "end"]
    assert min(tick_values) == -4 and max(tick_values) == 4  # ±(3.6 + 0.5) rounded to whole ticks within ±4.5


def test_latent_map_scatters_every_test_digit_coloured_by_label(test_set):
    means, labels = test_set
    fig = figures.latent_map(means, labels)
    (ax,) = fig.axes
    (dots,) = [c for c in ax.collections if isinstance(c, PathCollection)]
    np.testing.assert_allclose(dots.get_offsets(), means)
    np.testing.assert_array_equal(dots.get_array(), labels)
    legend_texts = [text.get_text() for text in fig.legends[0].get_texts()]
    assert legend_texts == [f"digit {d}" for d in range(10)] + [figures.DRAWING_LABEL, figures.POINT_LABEL]
    assert not ax.images


def test_latent_map_draws_the_manifold_over_the_square(test_set):
    manifold = np.linspace(0, 1, 64 * 64).reshape(64, 64)
    fig = figures.latent_map(*test_set, manifold, extent=2.0)
    (ax,) = fig.axes
    (image,) = [im for im in ax.images if isinstance(im, AxesImage)]
    assert image.get_extent() == pytest.approx([-2.0, 2.0, -2.0, 2.0])
    assert ax.get_xlim() == pytest.approx((-2.0, 2.0))


def test_latent_map_without_test_digits_still_explains_the_marks():
    fig = figures.latent_map(None, None)
    assert [text.get_text() for text in fig.legends[0].get_texts()] == [figures.DRAWING_LABEL, figures.POINT_LABEL]


def test_render_maps_the_latent_square_onto_the_plot_box(picture):
    left, top, right, bottom = picture.plot_box
    assert picture.pixels.shape == (520, 700, 3) and picture.pixels.dtype == np.uint8
    np.testing.assert_allclose(picture.to_pixel([-2.0, 2.0]), [left, top], atol=1.5)
    np.testing.assert_allclose(picture.to_pixel([2.0, -2.0]), [right, bottom], atol=1.5)


def colour_at(pixels: np.ndarray, xy: np.ndarray) -> tuple[int, ...]:
    x, y = np.round(xy).astype(int)
    return tuple(int(c) for c in pixels[y, x])


def test_marks_show_the_point_and_the_drawing_posterior_where_they_lie(picture):
    before = picture.pixels.copy()
    point, mean, std = np.array([1.0, -0.5]), np.array([-1.0, 0.5]), np.array([0.3, 0.6])
    marked = figures.mark_latent_map(picture, point, mean, std)
    assert colour_at(marked, picture.to_pixel(point)) == CRIMSON
    centre = picture.to_pixel(mean)
    assert colour_at(marked, centre) == colour_at(before, centre)  # nothing hides the ellipse's inside
    gap = (np.abs(picture.scale) * std).max() + 3
    for direction in ([1, 1], [-1, -1], [1, -1]):  # the cross's arms point at the ellipse from outside it
        assert colour_at(marked, centre + (gap + figures.CROSS_ARM / 2) * np.array(direction) / np.sqrt(2)) == BLACK
    for edge in (mean + [std[0], 0], mean - [0, std[1]]):  # the 1-σ ellipse passes through mean ± std per axis
        x, y = np.round(picture.to_pixel(edge)).astype(int)
        assert (marked[y - 1:y + 2, x - 1:x + 2] == 0).all(axis=-1).any()
    np.testing.assert_array_equal(picture.pixels, before)  # the rendered map is never drawn on


def test_marks_off_the_plot_are_clipped_but_the_point_stays_whole(picture):
    left, top, right, bottom = picture.plot_box
    marked = figures.mark_latent_map(picture, drawing_mean=np.array([-2.5, 0.0]), drawing_std=np.array([0.3, 0.3]))
    np.testing.assert_array_equal(marked[:, :left], picture.pixels[:, :left])
    corner = figures.mark_latent_map(picture, point=np.array([2.0, 2.0]))
    changed = np.argwhere((corner != picture.pixels).any(axis=-1))
    assert changed[:, 0].min() < top and changed[:, 1].max() > right  # the star overhangs the corner
    np.testing.assert_array_equal(figures.mark_latent_map(picture), picture.pixels)  # nothing to mark
