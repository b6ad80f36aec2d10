"""Every action of the app as a plain function (vae.studio): what it shows, and every bad input it refuses with one
sentence. A registry of small random models in a temporary weights/ folder; no server."""
import math
import re

import numpy as np
import pytest
from PIL import Image, ImageDraw
from test_registry import fake_class_stats, write_folder

from vae import inference, pictures, studio
from vae.drawing import NO_DRAWING, preprocess_drawing
from vae.limits import (
    LATENT_SLIDER_RANGE, MAX_GENERATED_DIGITS, MAX_GRID_COLUMNS, MAX_GRID_ROWS, MAX_INTERPOLATION_FRAMES, MAX_SEED,
    MAX_TEMPERATURE, POSTERIOR_SAMPLES,
)
from vae.mixture import fit_mixture
from vae.refine import REFINE_STEPS
from vae.registry import Registry, load_registry
from vae.validation import NOT_UPLOADED, InputError

DIGIT_SHAPE = (28 * studio.DIGIT_SCALE,) * 2


@pytest.fixture(scope="module")
def registry(tmp_path_factory) -> Registry:
    weights = tmp_path_factory.mktemp("weights")
    write_folder(weights / "vae-z10", z_dim=10, roles=["default"])
    write_folder(weights / "vae-z2", z_dim=2, roles=["map"])
    write_folder(weights / "vae-bare", z_dim=3, optional=False)
    return load_registry(weights, {})


def sketch_of_a_one(offset: int = 0) -> dict:
    """The Sketchpad value of a '1' drawn with a thick pen on a transparent 280×280 canvas."""
    canvas = Image.new("RGBA", (280, 280), (0, 0, 0, 0))
    ImageDraw.Draw(canvas).line([(140 + offset, 50), (150 + offset, 230)], fill=(0, 0, 0, 255), width=22)
    return {"background": None, "layers": [], "composite": np.asarray(canvas)}


def seven_ink() -> np.ndarray:
    canvas = Image.new("L", (280, 280), 0)
    ImageDraw.Draw(canvas).line([(60, 60), (220, 60), (120, 240)], fill=255, width=22)
    return np.asarray(canvas)


def test_reconstruct_drawing_shows_the_models_view_of_the_drawing(registry):
    view = studio.reconstruct_drawing(registry, sketch_of_a_one(), "vae-z10")
    digit = preprocess_drawing(sketch_of_a_one())
    result = inference.reconstruct(registry.get("vae-z10").model, digit)
    assert np.array_equal(view.digit, digit)
    assert np.array_equal(view.model_input.pixels, pictures.upscale(digit, studio.DIGIT_SCALE))
    assert np.array_equal(view.reconstruction.pixels, pictures.upscale(result.reconstruction, studio.DIGIT_SCALE))
    assert view.posterior_samples.pixels.shape == tuple(studio.STRIP_SCALE * side
                                                 for side in pictures.tiled_shape(1, POSTERIOR_SAMPLES))
    assert view.posterior_chart.startswith("<svg") and view.posterior_chart.count('class="bar"') == 10
    assert f"{result.iwae_nll:.1f}" in view.scores and "In latent space your drawing sits among the" in view.scores
    assert view.model_input.pixels.dtype == view.reconstruction.pixels.dtype == np.uint8
    assert (view.model_input.name, view.reconstruction.name) == ("digit-28x28.png", "vae-z10-reconstruction.png")


def test_a_model_without_test_scores_still_reconstructs(registry):
    view = studio.reconstruct_drawing(registry, sketch_of_a_one(), "vae-bare")
    assert "cannot say which digit" in view.scores and view.posterior_chart.count('class="bar"') == 3


def test_reconstruct_digit_is_the_drawings_reconstruction_through_another_model(registry):
    drawn = studio.reconstruct_drawing(registry, sketch_of_a_one(), "vae-z2")
    again = studio.reconstruct_digit(registry, drawn.digit, "vae-z2")
    assert np.array_equal(again.reconstruction.pixels, drawn.reconstruction.pixels) and again.scores == drawn.scores


def test_a_refined_reconstruction_fits_the_drawing_better_and_reads_it_as_the_encoder_does(registry):
    digit = preprocess_drawing(sketch_of_a_one())
    plain, refined = (studio.reconstruct_digit(registry, digit, "vae-z10", refine) for refine in (False, True))
    model = registry.get("vae-z10").model
    encoded, better = (inference.reconstruct(model, digit, refine_steps=steps) for steps in (0, REFINE_STEPS))
    assert better.nelbo < encoded.nelbo
    assert np.array_equal(refined.reconstruction.pixels, pictures.upscale(better.reconstruction, studio.DIGIT_SCALE))
    assert not np.array_equal(refined.reconstruction.pixels, plain.reconstruction.pixels)
    assert refined.reconstruction.name == "vae-z10-reconstruction-refined.png"
    assert f"{better.nelbo:.1f}" in refined.scores
    assert f"the encoder's q alone: NELBO {encoded.nelbo:.1f}" in refined.scores
    assert refined.scores.split("\n")[0] == plain.scores.split("\n")[0]  # the reading: the encoder's q, as calibrated
    assert "Refined" not in plain.scores
    with pytest.raises(InputError, match="refine must be true or false"):
        studio.reconstruct_digit(registry, digit, "vae-z10", "yes")


@pytest.mark.parametrize("sketch, message", [
    (None, re.escape(NO_DRAWING)), ({"background": None, "layers": [], "composite": None}, re.escape(NO_DRAWING)),
    ({"background": None, "layers": [], "composite": np.zeros((280, 280, 4), np.uint8)}, "No ink was found"),
    ("a string", "Expected the drawing as a PNG data URL"),
])
def test_reconstruct_drawing_refuses_with_a_sentence(registry, sketch, message):
    with pytest.raises(InputError, match=message):
        studio.reconstruct_drawing(registry, sketch, "vae-z10")


def test_every_action_refuses_an_unknown_model(registry):
    actions = [
        lambda model: studio.reconstruct_drawing(registry, sketch_of_a_one(), model),
        lambda model: studio.decode(registry, [0.0] * 10, model),
        lambda model: studio.random_latent(registry, model),
        lambda model: studio.sample_grid(registry, model=model),
        lambda model: studio.latent_manifold(registry, model),
        lambda model: studio.latent_map(registry, 0.0, 0.0, model),
        lambda model: studio.interpolate(registry, endpoints=studio.ENDPOINTS_RANDOM, model=model),
        lambda model: studio.generate_digit(registry, model=model),
    ]
    for action in actions:
        for model in ("vae-z99", None, ["vae-z10"]):
            with pytest.raises(InputError, match="There is no model called .*: choose one of vae-z10, vae-bare, vae-z2"):
                action(model)


def test_an_upload_is_read_only_from_the_upload_folder(registry, tmp_path):
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    Image.fromarray(255 - seven_ink()).save(uploads / "seven.png")  # dark ink on white paper, like a scan
    view = studio.reconstruct_upload(registry, {"path": str(uploads / "seven.png")}, uploads, "vae-z10")
    assert view.digit.shape == (28, 28) and view.digit.max() > 0.9
    Image.fromarray(255 - seven_ink()).save(tmp_path / "outside.png")
    with pytest.raises(InputError, match=NOT_UPLOADED.split(":")[0]):
        studio.reconstruct_upload(registry, {"path": str(tmp_path / "outside.png")}, uploads, "vae-z10")
    (uploads / "notes.txt").write_text("not a picture")
    with pytest.raises(InputError, match="is not an image that can be read"):
        studio.reconstruct_upload(registry, str(uploads / "notes.txt"), uploads, "vae-z10")
    with pytest.raises(InputError, match="No image was received"):
        studio.reconstruct_upload(registry, None, uploads, "vae-z10")


def test_decode_uses_the_first_z_dim_slider_values(registry):
    model = registry.get("vae-z2").model
    picture = studio.decode(registry, [1.0, -0.5] + [2.5] * 30, "vae-z2").pixels
    assert picture.shape == DIGIT_SHAPE and picture.dtype == np.uint8
    assert np.array_equal(picture, pictures.upscale(inference.decode(model, np.array([1.0, -0.5]))[0],
                                                    studio.DIGIT_SCALE))
    assert np.array_equal(picture, studio.decode(registry, [1.0, -0.5], "vae-z2").pixels)


@pytest.mark.parametrize("values, message", [
    ([0.0] * 9, "expected 10 latent values, got 9"), ([math.nan] + [0.0] * 9, "latent value 1 is NaN"),
    ([0.0] * 9 + [50.0], "latent value 10 is 50"), (["two"] + [0.0] * 9, "must be a list of 10 numbers"),
    ([None] * 10, "must be a list of 10 numbers"),
])
def test_decode_refuses_with_a_sentence(registry, values, message):
    with pytest.raises(InputError, match=message):
        studio.decode(registry, values, "vae-z10")


def test_latent_dimensions_say_what_each_carries(registry):
    bundle = registry.get("vae-z2")
    bundle.metrics["test"]["kl_per_dimension"] = [3.5, 0.001]
    try:
        first, second = studio.latent_dimensions(registry, "vae-z2")
    finally:
        del bundle.metrics["test"]["kl_per_dimension"]
    assert (first.name, first.active, first.info) == ("z1", True, "carries 3.50 nats")
    assert (second.name, second.active, second.info) == ("z2", False, "unused: the decoder ignores it")
    unknown = studio.latent_dimensions(registry, "vae-bare")  # no metrics.json: every dimension shown
    assert [d.name for d in unknown] == ["z1", "z2", "z3"] and all(d.active and d.info == "" for d in unknown)


def test_slider_presets(registry):
    z = studio.random_latent(registry, "vae-z10")
    assert z.shape == (10,) and np.abs(z).max() <= LATENT_SLIDER_RANGE
    assert not np.array_equal(z, studio.random_latent(registry, "vae-z10"))
    digit = preprocess_drawing(sketch_of_a_one())
    mean = inference.posterior_mean(registry.get("vae-z10").model, digit)
    assert np.array_equal(studio.drawing_latent(registry, digit, "vae-z10"), inference.slider_latent(mean))
    with pytest.raises(InputError, match=studio.NO_DRAWING):
        studio.drawing_latent(registry, None, "vae-z10")


def test_sample_grid_is_the_seeds_grid_upscaled(registry):
    shown = studio.sample_grid(registry, 3, 4, 7, 1.0, False, studio.FROM_PRIOR, "vae-z10")
    grid = shown.pixels
    assert shown.name == "vae-z10-grid-seed7.png"
    expected = inference.sample_grid(registry.get("vae-z10").model, 3, 4, 7)
    assert np.array_equal(grid, pictures.upscale(expected, studio.GRID_SCALE))
    assert np.array_equal(grid, studio.sample_grid(registry, 3.0, 4, 7, 1.0, False, studio.FROM_PRIOR, "vae-z10").pixels)
    binary = studio.sample_grid(registry, 2, 2, 0, 1.0, True, studio.FROM_PRIOR, "vae-z10").pixels
    assert set(np.unique(binary)) <= {0, 255}


def test_sample_grid_draws_from_the_learned_distribution_when_asked(registry):
    codes = np.random.default_rng(0).normal(size=(400, 2))
    bundle = registry.get("vae-z2")
    bundle.latent_mixture = fit_mixture(codes, np.zeros(400, int), choices=(2,))
    try:
        shown = studio.sample_grid(registry, 2, 3, 1, 0.5, False, studio.FROM_LEARNED, "vae-z2")
        learned = shown.pixels
        assert shown.name == "vae-z2-grid-seed1-learned-t0.5.png"
        expected = inference.sample_grid(bundle.model, 2, 3, 1, 0.5, mixture=bundle.latent_mixture)
        assert np.array_equal(learned, pictures.upscale(expected, studio.GRID_SCALE))
        assert not np.array_equal(learned, studio.sample_grid(registry, 2, 3, 1, 0.5, False, studio.FROM_PRIOR,
                                                              "vae-z2").pixels)
    finally:
        bundle.latent_mixture = None
    with pytest.raises(InputError, match="vae-z2 has no learned latent distribution"):
        studio.sample_grid(registry, 2, 3, 1, 1.0, False, studio.FROM_LEARNED, "vae-z2")
    with pytest.raises(InputError, match="sample_from must be one of"):
        studio.sample_grid(registry, 2, 3, 1, 1.0, False, "my imagination", "vae-z2")


@pytest.mark.parametrize("args, message", [
    ((0, 5, 0, 1.0, False), "rows must be between 1 and 32"),
    ((MAX_GRID_ROWS + 1, 5, 0, 1.0, False), "rows must be between 1 and 32"),
    ((5, MAX_GRID_COLUMNS + 1, 0, 1.0, False), "columns must be between 1 and 32"),
    ((2.5, 5, 0, 1.0, False), "rows must be a whole number"),
    ((5, 5, -5, 1.0, False), f"seed must be between 0 and {MAX_SEED}"),
    ((5, 5, 0, 0.0, False), "temperature must be a number greater than 0"),
    ((5, 5, 0, MAX_TEMPERATURE + 0.1, False), "temperature"),
    ((5, 5, 0, math.nan, False), "temperature"),
    ((5, 5, 0, 1.0, "yes"), "binary must be true or false"),
])
def test_sample_grid_refuses_beyond_the_caps(registry, args, message):
    with pytest.raises(InputError, match=message):
        studio.sample_grid(registry, *args, studio.FROM_PRIOR, "vae-z10")


def test_the_map_actions_use_the_map_model_for_a_model_that_is_not_2d(registry):
    manifold = studio.latent_manifold(registry, "vae-z10")
    assert manifold.pixels.shape == studio.MANIFOLD_SHAPE and manifold.name == "vae-z2-manifold.png"
    assert np.array_equal(manifold.pixels, studio.latent_manifold(registry, "vae-z2").pixels)
    view = studio.latent_map(registry, 1.0, -1.0, "vae-z10")
    assert view.plane.pixels.ndim == 3 and view.plane.pixels.shape[2] == 3
    assert np.array_equal(view.decoded.pixels, studio.decode(registry, [1.0, -1.0], "vae-z2").pixels)
    assert view.decoded.name == "vae-z2-decoded-z1_+1.00_z2_-1.00.png"
    marked = studio.latent_map(registry, 1.0, -1.0, "vae-z10", preprocess_drawing(sketch_of_a_one()))
    assert not np.array_equal(marked.plane.pixels, view.plane.pixels)  # the drawing's cross and ellipse
    with pytest.raises(InputError, match="latent value 2 is NaN"):
        studio.latent_map(registry, 0.0, math.nan, "vae-z2")


def test_without_a_2d_model_the_map_says_so(tmp_path):
    write_folder(tmp_path / "only", z_dim=3)
    registry = load_registry(tmp_path, {})
    for action in (lambda: studio.latent_manifold(registry, "only"), lambda: studio.latent_map(registry, 0, 0, "only")):
        with pytest.raises(InputError, match="needs a model with 2 latent dimensions"):
            action()


def test_a_click_on_the_manifold_picks_that_tile():
    assert studio.manifold_click(0, 0).tolist() == [-LATENT_SLIDER_RANGE, LATENT_SLIDER_RANGE]
    height, width = studio.MANIFOLD_SHAPE
    assert studio.manifold_click(width - 1, height - 1).tolist() == [LATENT_SLIDER_RANGE, -LATENT_SLIDER_RANGE]
    with pytest.raises(InputError, match="x must be between"):
        studio.manifold_click(width, 0)


def test_a_click_on_the_latent_plane_picks_the_latent_under_it(registry):
    view = studio.latent_map(registry, 1.0, -2.0, "vae-z2")
    picture = studio._unmarked_map(registry.get("vae-z2"))
    x, y = np.round(picture.to_pixel([1.0, -2.0])).astype(int)
    assert studio.plane_click(registry, x, y, "vae-z10") == pytest.approx([1.0, -2.0], abs=0.03)
    assert view.plane.pixels.shape == picture.pixels.shape
    with pytest.raises(InputError, match="Click inside the plot"):
        studio.plane_click(registry, 0, 0, "vae-z2")


def test_interpolate_between_drawings_and_between_random_digits(registry):
    strip = studio.interpolate(registry, sketch_of_a_one(), sketch_of_a_one(40), studio.ENDPOINTS_DRAWINGS, 5, 0,
                               "vae-z10")
    assert strip.pixels.shape == tuple(studio.STRIP_SCALE * side for side in pictures.tiled_shape(1, 5))
    assert strip.name == "vae-z10-interpolation.png"
    random = studio.interpolate(registry, None, None, studio.ENDPOINTS_RANDOM, 4, 3, "vae-z10")
    assert np.array_equal(random.pixels, studio.interpolate(registry, None, None, studio.ENDPOINTS_RANDOM, 4, 3,
                                                            "vae-z10").pixels)
    assert not np.array_equal(random.pixels, studio.interpolate(registry, None, None, studio.ENDPOINTS_RANDOM, 4, 4,
                                                                "vae-z10").pixels)
    assert random.name == "vae-z10-interpolation-seed3.png"


def test_a_long_interpolation_wraps_into_rows(registry):
    strip = studio.interpolate(registry, endpoints=studio.ENDPOINTS_RANDOM, frames=MAX_INTERPOLATION_FRAMES,
                               model="vae-z10")
    rows = -(-MAX_INTERPOLATION_FRAMES // studio.STRIP_COLUMNS)
    assert strip.pixels.shape == tuple(studio.STRIP_SCALE * side
                                       for side in pictures.tiled_shape(rows, studio.STRIP_COLUMNS))


@pytest.mark.parametrize("kwargs, message", [
    ({"start": None}, "The start digit's pad is empty: draw a digit on it, or interpolate between two random digits"),
    ({"end": {"composite": None, "layers": []}}, "The end digit's pad is empty"),
    ({"end": "data:image/png;base64,???"}, "The end digit: The drawing's data URL is not valid base64"),
    ({"frames": 1}, "frames must be between 2"),
    ({"frames": MAX_INTERPOLATION_FRAMES + 1}, "frames"), ({"endpoints": "two cats"}, "endpoints must be one of"),
    ({"endpoints": studio.ENDPOINTS_RANDOM, "seed": -1}, "seed must be between"),
])
def test_interpolate_refuses_with_a_sentence(registry, kwargs, message):
    args = {"start": sketch_of_a_one(), "end": sketch_of_a_one(), "endpoints": studio.ENDPOINTS_DRAWINGS,
            "frames": 4, "seed": 0, "model": "vae-z10", **kwargs}
    with pytest.raises(InputError, match=message):
        studio.interpolate(registry, **args)


def test_generate_digit_tiles_the_digits_draws(registry):
    picture = studio.generate_digit(registry, 3, 10, 1, 1.0, "vae-z10")
    columns = studio.GENERATED_COLUMNS
    assert picture.pixels.shape == tuple(studio.STRIP_SCALE * side for side in pictures.tiled_shape(2, columns))
    expected = inference.generate_digit(registry.get("vae-z10").model, fake_class_stats(10), 3, 10, 1)
    assert np.array_equal(picture.pixels, pictures.upscale(pictures.tile(expected, columns), studio.STRIP_SCALE))
    assert picture.name == "vae-z10-digit3-seed1.png"


@pytest.mark.parametrize("model, digit, count, message", [
    ("vae-bare", 3, 4, "no class statistics"),
    ("vae-z10", 10, 4, "digit must be between 0 and 9"),
    ("vae-z10", 3, 0, "count must be between 1"),
    ("vae-z10", 3, MAX_GENERATED_DIGITS + 1, "count must be between 1"),
])
def test_generate_digit_refuses_with_a_sentence(registry, model, digit, count, message):
    with pytest.raises(InputError, match=message):
        studio.generate_digit(registry, digit, count, 0, 1.0, model)


def test_generate_digit_names_a_digit_the_statistics_lack(registry):
    registry.get("vae-z2").class_stats = {"z_dim": 2, "classes": {}}
    try:
        with pytest.raises(InputError, match="no digit 3"):
            studio.generate_digit(registry, 3, 4, 0, 1.0, "vae-z2")
    finally:
        registry.get("vae-z2").class_stats = fake_class_stats(2)
