"""The plain-language reading of a drawing: the digit cluster it sits in, and whether it is typical of real digits."""
import numpy as np
import pytest

from bench.shapes import DIGITS, NOT_DIGITS, SHAPES, draw_shape
from vae import studio
from vae.captions import reading_line
from vae.drawing import DOT
from vae.registry import WEIGHTS_DIR, load_registry
from vae.typicality import MAX_DISTANCE_PERCENTILE, MAX_NLL_PERCENTILE, DigitClusters
from vae.validation import InputError


def two_digit_world() -> DigitClusters:
    """Digits 0 and 1 as unit Gaussians around (-5, 0) and (5, 0), and 1000 test digits drawn from them."""
    stats = {"z_dim": 2, "classes": {"0": {"count": 500, "mean": [-5.0, 0.0], "cov": np.eye(2).tolist()},
                                     "1": {"count": 500, "mean": [5.0, 0.0], "cov": np.eye(2).tolist()}}}
    rng = np.random.default_rng(0)
    means = np.concatenate([rng.normal([-5, 0], 1, (500, 2)), rng.normal([5, 0], 1, (500, 2))])
    return DigitClusters(stats, means, test_nll=np.linspace(60, 160, 1000))


def test_the_nearest_digit_is_the_likeliest_cluster():
    clusters = two_digit_world()
    digits, distances = clusters.nearest(np.array([[-4.0, 0.5], [6.0, 0.0], [0.5, 0.0]]))
    assert digits.tolist() == [0, 1, 1]
    np.testing.assert_allclose(distances, [1.25, 1.0, 20.25], atol=1e-4)


def test_a_drawing_near_a_cluster_and_not_surprising_is_typical():
    reading = two_digit_world().read(np.array([4.5, 0.3]), nll=90.0)
    assert reading.digit == 1 and reading.typical
    assert reading.nll_percentile == pytest.approx(30, abs=0.2) and reading.distance_percentile < 50
    assert reading_line(reading) == "✅ In latent space your drawing sits among the **1s**, and it is typical of real digits."


def test_far_from_every_cluster_is_not_typical_however_likely():
    reading = two_digit_world().read(np.array([0.0, 6.0]), nll=61.0)  # likelier than almost every test digit
    assert not reading.near_a_digit and not reading.surprising and not reading.typical
    assert reading.distance_percentile > MAX_DISTANCE_PERCENTILE
    assert "farther from any digit's cluster than every real test digit" in reading_line(reading)


def test_near_a_cluster_but_far_less_probable_than_real_digits_is_not_typical():
    reading = two_digit_world().read(np.array([-5.0, 0.0]), nll=159.9)
    assert reading.near_a_digit and reading.surprising and not reading.typical
    assert reading.nll_percentile > MAX_NLL_PERCENTILE
    assert "the model finds it less probable than 99.9% of real test digits" in reading_line(reading)


def test_without_statistics_the_line_says_so():
    assert "cannot say which digit" in reading_line(None)


@pytest.fixture(scope="module")
def default_model():
    registry = load_registry(WEIGHTS_DIR, {})  # the shipped models, whatever VAE_MODEL_ID says
    return registry, registry.default.name


@pytest.mark.parametrize("shape", SHAPES)
def test_the_default_model_flags_or_refuses_non_digits_and_keeps_a_stroke_and_a_ring(default_model, shape):
    """The canonical shapes of bench/shapes.py through the app's own action: the rule's calibration set."""
    registry, model = default_model
    canvas = np.zeros((280, 280, 4), dtype=np.uint8)
    canvas[..., 3] = np.round(255 * draw_shape(shape))  # black ink on a transparent pad
    sketch = {"background": None, "layers": [], "composite": canvas}
    try:
        view = studio.reconstruct_drawing(registry, sketch, model)
    except InputError as refusal:
        assert shape in NOT_DIGITS and str(refusal) == DOT  # a disc, a dot, a filled square: no strokes
        return
    typical = view.scores.startswith("✅")
    assert typical == (shape in DIGITS), view.scores.splitlines()[0]
    if typical:
        assert f"sits among the **{DIGITS[shape]}s**" in view.scores
