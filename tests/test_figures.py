"""The app's matplotlib figures: what each one draws for small sample data."""
import numpy as np
import pytest
from matplotlib.collections import PathCollection
from matplotlib.container import BarContainer, ErrorbarContainer
from matplotlib.image import AxesImage
from matplotlib.patches import Ellipse

from vae import figures


@pytest.fixture
def test_set() -> tuple[np.ndarray, np.ndarray]:
    """Posterior means `(50, 2)` and labels `(50,)` covering all ten digits."""
    rng = np.random.default_rng(0)
    return rng.normal(size=(50, 2)).astype(np.float32), np.arange(50) % 10


def test_posterior_chart_has_one_bar_and_error_bar_per_dimension():
    mean, std = np.array([0.5, -1.0, 2.0]), np.array([0.1, 0.2, 0.3])
    fig = figures.posterior_chart(mean, std)
    (ax,) = fig.axes
    bars = next(c for c in ax.containers if isinstance(c, BarContainer))
    assert [bar.get_height() for bar in bars] == pytest.approx(mean)
    errors = next(c for c in ax.containers if isinstance(c, ErrorbarContainer))
    segments = errors.lines[2][0].get_segments()
    assert [seg[1][1] - seg[0][1] for seg in segments] == pytest.approx(2 * std)
    assert list(ax.get_xticks()) == [1, 2, 3]
    assert ax.get_xlabel() == "latent dimension"


def test_latent_map_scatters_every_test_digit_coloured_by_label(test_set):
    means, labels = test_set
    fig = figures.latent_map(means, labels)
    (ax,) = fig.axes
    (dots,) = [c for c in ax.collections if isinstance(c, PathCollection)]
    np.testing.assert_allclose(dots.get_offsets(), means)
    np.testing.assert_array_equal(dots.get_array(), labels)
    legend_texts = [text.get_text() for text in fig.legends[0].get_texts()]
    assert legend_texts == [f"digit {d}" for d in range(10)]
    assert not ax.patches and not ax.images


def test_latent_map_marks_point_drawing_ellipse_and_manifold(test_set):
    means, labels = test_set
    manifold = np.linspace(0, 1, 64 * 64).reshape(64, 64)
    point, drawing_mean, drawing_std = np.array([1.0, -0.5]), np.array([-1.0, 0.5]), np.array([0.3, 0.6])
    fig = figures.latent_map(means, labels, manifold, point, drawing_mean, drawing_std, extent=2.0)
    (ax,) = fig.axes
    (ellipse,) = [p for p in ax.patches if isinstance(p, Ellipse)]
    assert ellipse.center == pytest.approx(drawing_mean)
    assert (ellipse.width, ellipse.height) == pytest.approx(2 * drawing_std)
    star = [c for c in ax.collections if isinstance(c, PathCollection)][-1]
    np.testing.assert_allclose(star.get_offsets(), [point])
    (image,) = [im for im in ax.images if isinstance(im, AxesImage)]
    assert image.get_extent() == pytest.approx([-2.0, 2.0, -2.0, 2.0])
    assert ax.get_xlim() == pytest.approx((-2.0, 2.0))
    legend_texts = [text.get_text() for text in fig.legends[0].get_texts()]
    assert legend_texts[-2:] == ["your drawing (1σ)", "decoded point"]


def test_latent_map_without_test_digits_still_shows_the_point():
    fig = figures.latent_map(None, None, point=np.array([0.5, 0.5]))
    (ax,) = fig.axes
    (star,) = [c for c in ax.collections if isinstance(c, PathCollection)]
    np.testing.assert_allclose(star.get_offsets(), [[0.5, 0.5]])
    assert [text.get_text() for text in fig.legends[0].get_texts()] == ["decoded point"]
