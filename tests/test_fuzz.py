"""Property tests: arbitrary pictures, drawings and arguments into the drawing preprocessing, the app's
actions (vae.studio) and the helpers they call. Each call returns a valid, finite picture of the promised shape, or
raises InputError with one sentence; never NaN, never another exception type.
"""
import base64
import io
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, currently_in_test_context, event, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays
from PIL import Image, ImageDraw

from test_registry import write_folder

from vae import inference, studio, validation
from vae.drawing import center_like_mnist, drawing_to_ink, image_to_ink, preprocess_drawing, preprocess_upload
from vae.latent_stats import save_class_statistics
from vae.mixture import fit_mixture, save_mixture
from vae.limits import (
    LATENT_SLIDER_RANGE, MAX_GENERATED_DIGITS, MAX_GRID_COLUMNS, MAX_GRID_ROWS, MAX_INTERPOLATION_FRAMES,
    MAX_LATENT_ABS, MAX_UPLOAD_PIXELS,
)
from vae.pictures import tile, tiled_shape, upscale
from vae.registry import Registry, load_registry
from vae.validation import MNIST_SIZE, InputError

FUZZ = settings(max_examples=120, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.large_base_example,
                                       HealthCheck.function_scoped_fixture])
Z_DIM = 3
MNIST_SHAPE = (MNIST_SIZE, MNIST_SIZE)
ARRAY_DTYPES = [np.bool_, np.uint8, np.int8, np.uint16, np.int32, np.int64, np.uint64, np.float16, np.float32,
                np.float64, np.complex64, np.dtype("U3")]
PIL_MODES = ["1", "L", "LA", "La", "P", "PA", "RGB", "RGBA", "RGBa", "RGBX", "CMYK", "YCbCr", "LAB", "HSV", "I",
             "I;16", "I;16B", "F"]
FILE_FORMATS = ["PNG", "JPEG", "GIF", "BMP", "TIFF", "WEBP"]
OVER_THE_CAP = (MAX_UPLOAD_PIXELS // 5000 + 1, 5000)
"""An upload shape just above the pixel cap (as a zero-stride view: no memory is spent on it)."""

anything = st.one_of(
    st.none(), st.booleans(), st.integers(-2**70, 2**70), st.just(10**400), st.floats(), st.text(max_size=4),
    st.complex_numbers(max_magnitude=5), st.lists(st.floats(-20, 20), max_size=4), st.binary(max_size=4),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=2), st.just(np.float64("nan")),
    st.just(np.array([1, 2])), st.just(np.int64(3)), st.just(torch.tensor(2.0)),
)
"""Arguments of any type a caller could pass, plausible or not."""


def either(*alternatives: st.SearchStrategy) -> st.SearchStrategy:
    """A draw from one of the alternatives, each equally likely (st.one_of flattens nested choices, so that
    the many branches of `anything` would crowd out the rest)."""
    return st.sampled_from(alternatives).flatmap(lambda strategy: strategy)


def finite_floats(low: float, high: float) -> st.SearchStrategy:
    return st.floats(low, high, allow_nan=False)


any_arrays = arrays(st.sampled_from(ARRAY_DTYPES), array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=12))
"""Arrays of any dtype (NaN, inf, ±huge and subnormal values included) and any shape."""


@st.composite
def strokes(draw) -> np.ndarray:
    """Grey levels `(H, W)` float64 in [0, 1]: up to three pen strokes of any width on plain paper (or none)."""
    side = st.one_of(st.integers(1, 120), st.integers(40, 120))
    height, width = draw(side), draw(side)
    paper = draw(st.one_of(st.sampled_from([0.0, 1.0]), finite_floats(0, 1)))
    ink = draw(st.one_of(st.just(1 - paper), finite_floats(0, 1)))
    image = Image.new("F", (width, height), paper)
    pen = ImageDraw.Draw(image)
    for _ in range(draw(st.integers(0, 3))):
        points = draw(st.lists(st.tuples(st.integers(-5, width + 5), st.integers(-5, height + 5)), min_size=1, max_size=4))
        pen.line(points, fill=ink, width=draw(st.integers(1, 1 + max(width, height) // 4)))
    return np.asarray(image, dtype=np.float64)


@st.composite
def drawings(draw) -> np.ndarray:
    """Strokes as an array `(H, W)` or `(H, W, 1-4)` (alpha: transparent paper or opaque), in any dtype and scale."""
    grey = draw(strokes())
    channels = draw(st.sampled_from([None, 1, 2, 3, 4]))
    if channels is not None:
        alpha = draw(st.sampled_from([1 - grey, np.ones_like(grey)]))
        grey = np.stack(([grey] * min(channels, 3) + [alpha])[:channels] if channels in (2, 4) else [grey] * channels,
                        axis=-1)
    scale, dtype = draw(st.one_of(
        st.sampled_from([(1, np.float32), (1, np.float64), (255, np.uint8), (65535, np.uint16)]),
        st.sampled_from([(1e6, np.float64), (1e300, np.float64), (-1, np.float32), (1, np.bool_), (7, np.int8)])))
    return (grey * scale).astype(dtype)


@st.composite
def pil_images(draw) -> Image.Image:
    """Strokes as a PIL image in any mode (a blank one in modes PIL cannot convert grey pictures to)."""
    image = Image.fromarray((draw(strokes()) * 255).astype(np.uint8))
    mode = draw(st.sampled_from(PIL_MODES))
    try:
        return image.convert(mode)
    except ValueError:
        return Image.new(mode, image.size)


@st.composite
def image_files(draw, folder: Path) -> str:
    """A path to a file: a picture in some format, the same file cut short, or bytes that are no picture."""
    path = folder / f"upload-{draw(st.integers(0, 10**9))}"
    kind = draw(st.sampled_from(["picture", "truncated", "junk", "missing"]))
    if kind == "missing":
        return str(path)
    if kind == "junk":
        path.write_bytes(draw(st.binary(max_size=64)))
        return str(path)
    image = draw(pil_images())
    buffer = io.BytesIO()
    try:
        image.save(buffer, draw(st.sampled_from(FILE_FORMATS)))
    except (OSError, ValueError, KeyError):  # that format cannot hold that mode: a blank PNG of that size
        Image.new("L", image.size).save(buffer, "PNG")
    data = buffer.getvalue()
    path.write_bytes(data if kind == "picture" else data[:draw(st.integers(0, max(0, len(data) - 1)))])
    return str(path)


@pytest.fixture(scope="module")
def upload_folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("uploads")


def pictures(folder: Path) -> st.SearchStrategy:
    """Any picture source: a drawing array, any array, a PIL image, a file path, or a value of another type."""
    return either(drawings(), any_arrays, pil_images(), image_files(folder), anything)


def canvases() -> st.SearchStrategy:
    """What gr.Sketchpad(image_mode="RGBA", type="numpy") hands over: black strokes on a transparent canvas `(H, W, 4)`."""
    def rgba(ink: np.ndarray) -> np.ndarray:
        canvas = np.zeros((*ink.shape, 4), np.uint8)
        canvas[..., 3] = np.round(255 * ink)
        return canvas
    return strokes().map(lambda grey: rgba(1 - grey))


def data_urls(folder: Path) -> st.SearchStrategy:
    """The pad's values: data URLs of any file (a picture, cut short, junk), and data URL prefixes before junk."""
    def data_url(path: str) -> str:
        return "data:image/png;base64," + base64.b64encode(Path(path).read_bytes()).decode()
    existing = image_files(folder).filter(lambda path: Path(path).exists())
    prefixes = st.sampled_from(["data:image/png;base64,", "data:image/jpeg;base64,", "data:", ""])
    junk = st.tuples(prefixes, st.text(max_size=8))
    return either(existing.map(data_url), junk.map("".join))


def sketch_values(folder: Path) -> st.SearchStrategy:
    """Drawings: the pad's data URL, the Sketchpad form with a drawn canvas or any pictures in it (files in folder,
    data URLs), dicts with junk, non-dicts."""
    source = either(pictures(folder), data_urls(folder))
    layers = either(st.none(), st.lists(st.one_of(st.none(), source), max_size=3), anything)
    return either(data_urls(folder),
                  st.fixed_dictionaries({"background": st.none(), "layers": st.just([]), "composite": canvases()}),
                  st.fixed_dictionaries({"background": st.none(), "layers": layers,
                                         "composite": st.one_of(st.none(), source)}),
                  st.dictionaries(st.sampled_from(["composite", "layers", "background", "x"]), anything, max_size=3),
                  anything)


def outcome(call, *args, **kwargs):
    """call(*args, **kwargs), or None when it raised InputError (with one sentence, checked here)."""
    try:
        result = call(*args, **kwargs)
    except InputError as error:
        message = str(error)
        assert message and "\n" not in message and "Traceback" not in message
        tally(f"{call.__name__}: InputError")
        return None
    tally(f"{call.__name__}: answered")
    return result


def tally(outcome_name: str) -> None:
    """Count an outcome in Hypothesis's statistics (pytest --hypothesis-show-statistics), to see both paths run."""
    if currently_in_test_context():
        event(outcome_name)


def assert_unit_picture(picture: np.ndarray, shape: tuple | None = None, ndim: int = 2) -> None:
    """A finite float32 array in [0, 1] of the given shape (or number of dimensions)."""
    assert isinstance(picture, np.ndarray) and picture.dtype == np.float32
    assert picture.shape == shape if shape else picture.ndim == ndim
    assert np.isfinite(picture).all() and (picture.size == 0 or (picture.min() >= 0 and picture.max() <= 1))


def assert_shown_picture(picture: studio.Picture, shape: tuple) -> None:
    """A uint8 picture of the given shape with a PNG file name, as the app shows it."""
    pixels = picture.pixels
    assert isinstance(pixels, np.ndarray) and pixels.dtype == np.uint8 and pixels.shape == shape
    assert picture.name.endswith(".png") and "/" not in picture.name


# --- drawing preprocessing ------------------------------------------------------------------------------------


EDGE_PICTURES = [
    np.broadcast_to(np.uint8(0), OVER_THE_CAP), np.broadcast_to(np.float32(1), (1, MAX_UPLOAD_PIXELS + 1)),
    np.zeros((0, 5), np.uint8), np.zeros((5, 5, 5), np.uint8), np.full((9, 9), 1e300), np.full((9, 9), np.nan, np.float32),
    np.where(np.eye(40) > 0, 3e38, -3e38).astype(np.float32), np.array(5), np.array([[None, 1]], dtype=object),
    Image.new("L", (0, 7)), Image.new("LAB", (30, 30)), Image.new("La", (30, 30)),
    Image.fromarray(np.full((12, 12), np.nan, np.float32)), Image.fromarray(np.full((12, 12), np.inf, np.float32)),
    Image.new("I", (30, 30), -2**31), "", "a\0b", "/", "/dev/null", "x" * 5000, b"\x89PNG", 3.5, [[0, 1], [1, 0]],
]
"""Hand-picked sizes, modes and values at the edges."""


@pytest.mark.parametrize("source", EDGE_PICTURES, ids=range(len(EDGE_PICTURES)))
def test_edge_pictures(source):
    check_ink_and_digit(image_to_ink, preprocess_upload, source)
    check_ink_and_digit(drawing_to_ink, preprocess_drawing, {"background": None, "layers": [source], "composite": None})


def check_ink_and_digit(to_ink, preprocess, value, *folder: Path) -> None:
    """to_ink(value[, folder]) is ink (H, W) and preprocess(value[, folder]) a 28×28 digit, each valid or an
    InputError."""
    ink = outcome(to_ink, value, *folder)
    if ink is not None:
        assert_unit_picture(ink)
    digit = outcome(preprocess, value, *folder)
    if digit is not None:
        assert_unit_picture(digit, MNIST_SHAPE)


@FUZZ
@given(data=st.data())
def test_image_to_ink_and_preprocess_upload(upload_folder, data):
    check_ink_and_digit(image_to_ink, preprocess_upload, data.draw(pictures(upload_folder)))


@FUZZ
@given(data=st.data())
def test_drawing_to_ink_and_preprocess_drawing(upload_folder, data):
    check_ink_and_digit(drawing_to_ink, preprocess_drawing, data.draw(sketch_values(upload_folder)), upload_folder)


@FUZZ
@given(either(drawings(), any_arrays, anything))
@example(np.zeros((1, 20_000), np.float32) + np.arange(20_000) % 2)
@example(np.eye(3_000, dtype=np.float32))
@example(np.array([["a", "b"], ["c", "d"]]))
@example("not an array")
def test_center_like_mnist(ink):
    digit = outcome(center_like_mnist, ink)
    if digit is not None:
        assert_unit_picture(digit, MNIST_SHAPE)


# --- the app's actions and their helpers ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def registry(tmp_path_factory) -> Registry:
    """Three Z_DIM models: with full class statistics and a learned latent mixture, without any, and with digit 3's
    class statistics only."""
    weights = tmp_path_factory.mktemp("weights")
    write_folder(weights / "full", z_dim=Z_DIM)
    write_folder(weights / "none", z_dim=Z_DIM, optional=False)
    write_folder(weights / "some digits", z_dim=Z_DIM)
    full = load_registry(weights, {}).get("full").class_stats
    save_class_statistics({**full, "classes": {"3": full["classes"]["3"]}}, weights / "some digits")
    codes = np.random.default_rng(0).normal(size=(300, Z_DIM))
    save_mixture(fit_mixture(codes, np.zeros(300, int), choices=(3,)), weights / "full")
    return load_registry(weights, {})


@st.composite
def arguments(draw, *plausible: st.SearchStrategy) -> tuple:
    """One value per argument from its plausible strategy; in half the draws, one of them is replaced by anything."""
    values = [draw(strategy) for strategy in plausible]
    if draw(st.booleans()):
        values[draw(st.integers(0, len(values) - 1))] = draw(anything)
    return tuple(values)


def sizes(high: int) -> st.SearchStrategy:
    """Sizes in and just around the valid range [1, high], some as whole floats."""
    return st.one_of(st.integers(-1, high + 1), st.integers(1, high).map(float))


seeds = st.integers(-1, 2**32)
temperatures = st.one_of(finite_floats(-0.5, 3.5), st.integers(0, 4))
slider_latents = st.lists(st.floats(-11, 11), min_size=Z_DIM, max_size=Z_DIM + 2)
"""Latents as the app's sliders send them (more sliders than dimensions, too), some just beyond MAX_LATENT_ABS."""
latents = either(slider_latents, arrays(np.float64, st.integers(Z_DIM - 1, Z_DIM + 1)), any_arrays)
images28 = either(arrays(np.float32, MNIST_SHAPE, elements=finite_floats(-1, 2).map(np.float32)),
                  arrays(st.sampled_from([np.float64, np.uint8, np.bool_]), MNIST_SHAPE), drawings(), any_arrays)
models = st.sampled_from(["full", "none", "some digits"])
DIGIT_SHOWN = (MNIST_SIZE * studio.DIGIT_SCALE,) * 2


def shown_shape(scale: int, rows: int, columns: int) -> tuple[int, int]:
    """(H, W) of rows × columns digits tiled and upscaled by scale."""
    return tuple(scale * side for side in tiled_shape(rows, columns))


@FUZZ
@given(either(latents, anything))
def test_decode(registry, z):
    checked = outcome(validation.latent, z, Z_DIM, extra_ignored=True)
    if checked is not None:
        assert checked.shape == (Z_DIM,) and checked.dtype == np.float32
        assert np.isfinite(checked).all() and np.abs(checked).max() <= MAX_LATENT_ABS
    decoded = outcome(studio.decode, registry, z, "full")
    assert (decoded is None) == (checked is None)
    if decoded is not None:
        assert_shown_picture(decoded, DIGIT_SHOWN)


@FUZZ
@given(arguments(sizes(MAX_GRID_ROWS), sizes(MAX_GRID_COLUMNS), seeds, temperatures, st.booleans(),
                 st.sampled_from(studio.SAMPLE_SOURCES), models))
def test_sample_grid(registry, args):
    grid = outcome(studio.sample_grid, registry, *args)
    if grid is not None:
        rows, columns, *_ = args
        assert_shown_picture(grid, shown_shape(studio.GRID_SCALE, int(rows), int(columns)))


@FUZZ
@given(data=st.data())
def test_interpolate(registry, upload_folder, data):
    endpoints = either(st.sampled_from([studio.ENDPOINTS_DRAWINGS, studio.ENDPOINTS_RANDOM]), anything)
    args = data.draw(arguments(sketch_values(upload_folder), sketch_values(upload_folder), endpoints,
                               sizes(MAX_INTERPOLATION_FRAMES), seeds, models))
    strip = outcome(studio.interpolate, registry, *args, upload_folder=upload_folder)
    if strip is not None:
        frames = int(args[3])
        columns = min(frames, studio.STRIP_COLUMNS)
        assert_shown_picture(strip, shown_shape(studio.STRIP_SCALE, -(-frames // columns), columns))


@FUZZ
@given(arguments(st.integers(-1, 10), sizes(MAX_GENERATED_DIGITS), seeds, temperatures, models))
def test_generate_digit(registry, args):
    digits = outcome(studio.generate_digit, registry, *args)
    if digits is not None:
        count = int(args[1])
        columns = min(count, studio.GENERATED_COLUMNS)
        assert_shown_picture(digits, shown_shape(studio.STRIP_SCALE, -(-count // columns), columns))


@FUZZ
@given(arguments(finite_floats(-11, 11), finite_floats(-11, 11), st.sampled_from(["full", "none"])), images28)
def test_latent_map(registry, args, digit):
    view = outcome(studio.latent_map, registry, *args, outcome(validation.digit_image, digit))
    if view is not None:
        assert view.plane.pixels.dtype == np.uint8 and view.plane.pixels.ndim == 3
        assert_shown_picture(view.decoded, DIGIT_SHOWN)


@FUZZ
@given(arguments(images28, st.integers(-1, 1001), st.integers(-1, 65), seeds))
def test_reconstruct_and_posterior_mean(registry, args):
    model = registry.get("full").model
    image, iwae_k, n_samples, seed = args
    result = outcome(inference.reconstruct, model, image, iwae_k, n_samples, seed)
    if result is not None:
        assert_unit_picture(result.model_input, MNIST_SHAPE)
        assert_unit_picture(result.reconstruction, MNIST_SHAPE)
        assert_unit_picture(result.posterior_samples, (int(n_samples), *MNIST_SHAPE))
        assert np.isfinite([result.nelbo, result.kl, result.rec, result.iwae_nll]).all()
        assert np.isfinite(result.posterior_mean).all() and (result.posterior_std > 0).all()
    mean = outcome(inference.posterior_mean, model, image)
    if mean is not None:
        assert mean.shape == (Z_DIM,) and np.isfinite(mean).all()


@FUZZ
@given(arguments(st.one_of(any_arrays, arrays(np.float32, st.tuples(st.integers(1, 5), st.just(28), st.just(28)))),
                 sizes(MAX_GRID_COLUMNS)))
def test_tile(args):
    picture = outcome(tile, *args)
    if picture is not None:  # a layout helper: values clipped to [0, 1], no NaN of its own (inputs are model outputs)
        assert picture.dtype == np.float32 and picture.ndim == 2
        assert np.isnan(picture).any() == np.isnan(np.asarray(args[0], dtype=np.float64)).any()
        assert not ((picture < 0) | (picture > 1)).any()


@FUZZ
@given(arguments(either(strokes(), any_arrays, drawings()), st.integers(-1, 17)))
def test_upscale(args):
    image, factor = args
    big = outcome(upscale, image, factor)
    if big is not None:
        assert big.dtype == np.uint8 and big.shape == tuple(int(factor) * n for n in np.shape(image))


@FUZZ
@given(arguments(st.integers(-2, 900), st.integers(-2, 900)))
def test_manifold_click(args):
    point = outcome(studio.manifold_click, *args)
    if point is not None:
        assert point.shape == (2,) and np.abs(point).max() <= LATENT_SLIDER_RANGE
