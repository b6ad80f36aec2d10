"""Drawings (the pad's data URL, the Sketchpad form) and uploads → MNIST-style 28×28 digits: formats, polarity,
geometry, stroke width, and refusals."""
import base64
import io
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from PIL import Image, ImageDraw

from vae import drawing, inference, studio
from vae.drawing import (
    MNIST_BOX, MNIST_CENTRE, PAD_SIZE, PEN_WIDTH, InputError, center_like_mnist, drawing_to_ink, image_to_ink,
    preprocess_drawing, preprocess_upload,
)
from vae.limits import MAX_UPLOAD_PIXELS
from vae.registry import WEIGHTS_DIR, load_registry
from vae.validation import NOT_UPLOADED

SEVEN = [(0.25, 0.15), (0.75, 0.15), (0.4, 0.85)]
"""A '7' as a polyline in fractions of the canvas."""
MNIST_STROKE_WIDTHS = (2.08, 3.47)
"""10th and 90th percentile of stroke_width over the 10 000 MNIST test digits (median 2.64)."""


def seven(size: int = 280, width: int = 20, ink: int = 0, paper: int = 255) -> Image.Image:
    """An L-mode picture of a '7' drawn with the given stroke width and grey levels."""
    image = Image.new("L", (size, size), paper)
    ImageDraw.Draw(image).line([(x * size, y * size) for x, y in SEVEN], fill=ink, width=width, joint="curve")
    return image


def transparent_seven(size: int = 280) -> np.ndarray:
    """The '7' as the Sketchpad sends it with image_mode='RGBA': black strokes on a transparent canvas `(H, W, 4)`."""
    rgba = np.zeros((size, size, 4), dtype=np.uint8)
    rgba[..., 3] = 255 - np.asarray(seven(size))
    return rgba


def sketch(composite=None, layers=()) -> dict:
    return {"background": None, "layers": list(layers), "composite": composite}


def pad_drawing(strokes: list[list[tuple[float, float]]], pen: int = PEN_WIDTH, size: int = PAD_SIZE) -> str:
    """What the pad sends: its canvas (black strokes pen pixels wide, round ends, on transparent) as a PNG data URL.
    Each stroke is a list of points in canvas pixels; a stroke of one point is a click (one disc)."""
    canvas = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    ink = ImageDraw.Draw(canvas)
    for stroke in strokes:
        ink.line(stroke, fill=(0, 0, 0, 255), width=pen, joint="curve")
        for x, y in stroke[:1] + stroke[-1:]:
            ink.ellipse([x - pen / 2, y - pen / 2, x + pen / 2, y + pen / 2], fill=(0, 0, 0, 255))
    png = io.BytesIO()
    canvas.save(png, "PNG")
    return "data:image/png;base64," + base64.b64encode(png.getvalue()).decode()


def stroke_width(image: np.ndarray) -> float:
    """Mean stroke width in pixels of the ink above the threshold: 2·area / perimeter (exact for long strokes)."""
    mask = np.pad(image > drawing.INK_THRESHOLD, 1)
    perimeter = np.count_nonzero(mask[1:] != mask[:-1]) + np.count_nonzero(mask[:, 1:] != mask[:, :-1])
    return 2 * np.count_nonzero(mask) / perimeter


def centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    mass = image.sum()
    return (image.sum(1) @ np.arange(image.shape[0])) / mass, (image.sum(0) @ np.arange(image.shape[1])) / mass


def ink_extent(image: np.ndarray) -> tuple[int, int]:
    """Height and width of the bounding box of pixels above the ink threshold."""
    rows, columns = np.flatnonzero((image > drawing.INK_THRESHOLD).any(1)), np.flatnonzero((image > drawing.INK_THRESHOLD).any(0))
    return rows[-1] - rows[0] + 1, columns[-1] - columns[0] + 1


def assert_mnist_like(image: np.ndarray) -> None:
    assert image.shape == (28, 28) and image.dtype == np.float32
    assert np.isfinite(image).all() and image.min() >= 0 and image.max() <= 1


def overlap(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of the binarised (> 0.5) images."""
    a, b = a > 0.5, b > 0.5
    return (a & b).sum() / (a | b).sum()


@pytest.fixture(scope="module")
def reference() -> np.ndarray:
    return preprocess_drawing(sketch(transparent_seven()))


def test_sketch_is_cropped_scaled_to_the_20px_box_and_centred_by_mass(reference):
    assert_mnist_like(reference)
    assert max(ink_extent(reference)) == MNIST_BOX
    assert np.allclose(centre_of_mass(reference), MNIST_CENTRE, atol=0.5)
    assert reference.max() == pytest.approx(1.0, abs=0.05)


def test_the_position_of_the_drawing_on_the_canvas_does_not_matter(reference):
    strokes = transparent_seven()  # the '7' lies within rows 32–248, columns 60–220
    shifted = np.zeros_like(strokes)
    shifted[10:260, 0:200] = strokes[20:270, 40:240]
    assert np.array_equal(preprocess_drawing(sketch(shifted)), reference)


def test_aspect_ratio_is_kept():
    bar = np.zeros((280, 280), dtype=np.float32)
    bar[120:150, 40:240] = 1.0  # 200 wide, 30 high
    height, width = ink_extent(center_like_mnist(bar))
    assert width == MNIST_BOX
    assert 2 <= height <= 4


def test_composite_as_pil_image_file_record_and_data_url_match_the_array(reference, tmp_path):
    image = Image.fromarray(transparent_seven(), mode="RGBA")
    path = tmp_path / "sketch.png"
    image.save(path)
    data_url = "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode()
    assert np.array_equal(preprocess_drawing(sketch(image)), reference)
    for uploaded in (str(path), {"path": str(path), "meta": {"_type": "gradio.FileData"}}):
        assert np.array_equal(preprocess_drawing(sketch(uploaded), upload_folder=tmp_path), reference)
    assert np.array_equal(preprocess_drawing(sketch(data_url)), reference)
    assert np.array_equal(preprocess_drawing(data_url), reference)  # the pad's own form


@pytest.mark.parametrize("folder", [None, "elsewhere"])
def test_files_outside_the_upload_folder_are_never_read(tmp_path, folder):
    path = tmp_path / "sketch.png"
    Image.fromarray(transparent_seven(), mode="RGBA").save(path)
    for uploaded in (str(path), {"path": str(path)}):
        with pytest.raises(InputError, match=re.escape(NOT_UPLOADED)):
            drawing_to_ink(sketch(uploaded), tmp_path / folder if folder else None)


@pytest.mark.parametrize("value, message", [
    ("data:image/jpeg;base64,AAAA", "must start with 'data:image/png;base64,'"),
    ("data:image/png;base64,not base64!", "not valid base64"),
    ("data:image/png;base64,\x80", "not valid base64"),
    ("data:image/png;base64," + base64.b64encode(b"GIF89a, not a PNG").decode(), "data URL is not an image"),
    ("seven.png", "Expected the drawing as a PNG data URL"),
    (42, "Expected the drawing as a PNG data URL"),
    (sketch(["a", "list"]), "Expected an image"),
])
def test_bad_drawings_are_refused_with_a_sentence(value, message):
    with pytest.raises(InputError, match=message):
        drawing_to_ink(value)


def test_layers_are_used_when_there_is_no_composite(reference):
    strokes = transparent_seven()
    first, second = strokes.copy(), strokes.copy()
    first[:, 140:, 3], second[:, :140, 3] = 0, 0
    assert np.array_equal(preprocess_drawing(sketch(None, [first, None, second])), reference)


def test_opaque_white_canvas_uses_inverted_luminance(reference):
    assert overlap(preprocess_drawing(sketch(np.asarray(seven().convert("RGB")))), reference) > 0.9


@pytest.mark.parametrize("value", [None, "", sketch(), sketch(None, [None]), {"background": None}])
def test_nothing_drawn_is_refused_with_a_sentence(value):
    with pytest.raises(InputError, match="draw a digit"):
        drawing_to_ink(value)


def test_layers_of_different_sizes_are_refused():
    with pytest.raises(InputError, match="different sizes"):
        drawing_to_ink(sketch(None, [transparent_seven(280), transparent_seven(100)]))


def test_blank_canvas_is_refused():
    with pytest.raises(InputError, match="No ink"):
        preprocess_drawing(sketch(np.zeros((280, 280, 4), dtype=np.uint8)))


def test_a_single_dot_is_refused():
    canvas = np.zeros((280, 280, 4), dtype=np.uint8)
    canvas[130:150, 130:150, 3] = 255
    with pytest.raises(InputError, match="too small"):
        preprocess_drawing(sketch(canvas))


@pytest.mark.parametrize("strokes, pen", [([[(140, 140)]], PEN_WIDTH), ([[(40, 240)]], PEN_WIDTH),
                                         ([[(140, 140), (150, 150)]], PEN_WIDTH), ([[(140, 140)]], 44),
                                         ([[(140, 130), (140, 152)]], 3)],
                         ids=["a click", "a click in a corner", "a dab", "a click with a 44 px pen", "a speck"])
def test_what_a_click_a_dab_or_a_speck_paints_is_refused(strokes, pen):
    with pytest.raises(InputError, match="too small"):
        preprocess_drawing(pad_drawing(strokes, pen))


@pytest.mark.parametrize("size", [60, 120, 200, 250])
def test_a_filled_disc_thinned_to_nothing_is_refused_not_a_crash(size):
    """Zhang–Suen thinning can peel a filled disc away entirely: no centre line is left to redraw."""
    image = Image.new("L", (280, 280), 0)
    ImageDraw.Draw(image).ellipse([140 - size / 2, 140 - size / 2, 140 + size / 2, 140 + size / 2], fill=255)
    with pytest.raises(InputError, match="too small"):
        center_like_mnist(np.asarray(image, dtype=np.float32) / 255)


def test_a_bold_digit_with_a_filled_counter_is_not_taken_for_a_dot():
    """A heavy marker's 4 (or a black-weight font's): its closed triangle is filled, far thicker than its strokes."""
    image = Image.new("L", (140, 140), 0)
    pen = ImageDraw.Draw(image)
    pen.polygon([(80, 35), (40, 95), (80, 95)], fill=255)
    pen.line([(80, 35), (80, 115)], fill=255, width=16)
    pen.line([(40, 95), (100, 95)], fill=255, width=16)
    digit = center_like_mnist(np.asarray(image, dtype=np.float32) / 255)
    assert digit.shape == (28, 28) and digit.max() > 0.9


@pytest.mark.parametrize("name, strokes, pen", [
    ("small 1 in a corner", [[(30, 20), (36, 85)]], PEN_WIDTH),
    ("small 7 off-centre", [[(200, 190), (250, 190), (215, 265)]], PEN_WIDTH),
    ("7 with a thin pen", [[(70, 40), (210, 40), (112, 240)]], 3),
    ("7 with a thick pen", [[(70, 40), (210, 40), (112, 240)]], 50),
    ("4 in two strokes", [[(80, 40), (60, 170), (210, 170)], [(170, 90), (170, 250)]], PEN_WIDTH),
])
def test_small_thin_thick_and_off_centre_drawings_reach_the_model_mnist_like(name, strokes, pen):
    digit = preprocess_drawing(pad_drawing(strokes, pen))
    assert_mnist_like(digit)
    assert MNIST_STROKE_WIDTHS[0] <= stroke_width(digit) <= MNIST_STROKE_WIDTHS[1]
    assert max(ink_extent(digit)) == MNIST_BOX
    assert np.allclose(centre_of_mass(digit), MNIST_CENTRE, atol=0.5)


@pytest.fixture(scope="module")
def shipped_model():
    return load_registry(WEIGHTS_DIR, {}).default


def nearest_digit(bundle, digit: np.ndarray) -> str:
    """The digit whose cluster digit's posterior mean sits in, as the app reads it (vae.typicality): what the model
    takes the drawing for."""
    (nearest,), _ = studio.digit_clusters(bundle).nearest(inference.posterior_mean(bundle.model, digit)[None])
    return str(nearest)


@pytest.mark.parametrize("label, strokes, pen", [
    ("1", [[(30, 20), (36, 85)]], PEN_WIDTH),  # small, in a corner
    ("1", [[(30, 20), (36, 160)]], 44),  # the disc gr.Sketchpad's brush 22 painted: read as an 8 before
    ("7", [[(70, 40), (210, 40), (112, 240)]], 3),
    ("7", [[(70, 40), (210, 40), (112, 240)]], 50),
    ("4", [[(80, 40), (60, 170), (210, 170)], [(170, 90), (170, 250)]], PEN_WIDTH),
])
def test_the_shipped_model_sees_the_digit_that_was_drawn(shipped_model, label, strokes, pen):
    assert nearest_digit(shipped_model, preprocess_drawing(pad_drawing(strokes, pen))) == label


def test_the_pen_width_does_not_change_the_digit():
    seven = [[(70, 40), (210, 40), (112, 240)]]
    thin, thick = (preprocess_drawing(pad_drawing(seven, pen)) for pen in (3, 50))
    assert overlap(thin, thick) > 0.7


def test_a_fully_inked_canvas_is_refused():
    canvas = np.zeros((280, 280, 4), dtype=np.uint8)
    canvas[:, :, 3] = 255
    canvas[:5, :5, 3] = 0
    with pytest.raises(InputError, match="whole canvas"):
        preprocess_drawing(sketch(canvas))


@pytest.mark.parametrize("mode", ["L", "RGB", "RGBA", "P", "1", "LA", "I;16", "CMYK"])
def test_uploads_in_any_mode_give_the_same_digit(mode, reference):
    image = seven()
    if mode == "I;16":
        image = Image.fromarray(np.asarray(image).astype(np.uint16) * 257)
        assert image.mode == "I;16"
    else:
        image = image.convert(mode)
    assert overlap(preprocess_upload(image), reference) > 0.9


def test_polarity_is_detected_light_ink_on_dark_paper(reference):
    assert overlap(preprocess_upload(seven(ink=255, paper=0)), reference) > 0.9


def test_grey_paper_maps_to_no_ink(reference):
    photo = preprocess_upload(seven(ink=60, paper=190))
    assert overlap(photo, reference) > 0.9
    assert photo[:3].max() == 0  # the paper above the digit stays empty


def test_transparent_upload_uses_alpha(reference):
    white_strokes = transparent_seven()
    white_strokes[..., :3] = 255
    assert overlap(preprocess_upload(Image.fromarray(white_strokes, mode="RGBA")), reference) > 0.9


@pytest.mark.parametrize("convert", [
    lambda a: a,  # (H, W) uint8, dark ink
    lambda a: a.astype(np.float32) / 255,  # (H, W) float in [0, 1]
    lambda a: a.astype(np.float64),  # (H, W) float in [0, 255]
    lambda a: np.repeat(a[..., None], 3, axis=2),  # (H, W, 3)
    lambda a: np.concatenate([np.repeat(a[..., None], 3, axis=2), np.full(a.shape + (1,), 255, np.uint8)], axis=2),
])
def test_numpy_arrays_are_accepted(convert, reference):
    assert overlap(preprocess_upload(convert(np.asarray(seven()))), reference) > 0.9


def test_a_large_upload_with_a_thin_stroke_keeps_the_stroke(reference):
    big = seven(size=4000, width=3)
    digit = preprocess_upload(big)
    assert_mnist_like(digit)
    assert max(ink_extent(digit)) == MNIST_BOX
    assert overlap(digit, reference) > 0.7  # a stroke of 3 px in 4000 is 0.015 px if averaged


def test_more_than_the_pixel_cap_is_refused(tmp_path):
    too_big = Image.new("1", (MAX_UPLOAD_PIXELS // 4000 + 1, 4000))
    with pytest.raises(InputError, match="pixels"):
        image_to_ink(too_big)
    path = tmp_path / "big.png"
    too_big.save(path)
    with pytest.raises(InputError, match="pixels"):
        image_to_ink(path)


def test_decompression_bombs_are_refused_before_decoding(tmp_path, monkeypatch):
    path = tmp_path / "bomb.png"
    Image.new("L", (100, 100)).save(path)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    with pytest.raises(InputError, match="too many pixels"):
        image_to_ink(path)


def test_unreadable_files_are_refused_with_their_name(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("not an image")
    truncated = tmp_path / "cut.png"
    seven().save(truncated)
    truncated.write_bytes(truncated.read_bytes()[:200])
    for path in (text, truncated, tmp_path / "missing.png"):
        with pytest.raises(InputError, match=path.name):
            image_to_ink(str(path))


@pytest.mark.parametrize("value", [42, "", np.zeros((4, 4, 5)), np.zeros(10), np.array([["a"]]),
                                   np.full((30, 30), np.nan)])
def test_non_images_are_refused(value):
    with pytest.raises(InputError):
        image_to_ink(value)


@settings(max_examples=60, deadline=None)
@given(arrays(st.sampled_from([np.uint8, np.float32]), st.tuples(st.integers(1, 40), st.integers(1, 40)),
              elements={"allow_nan": False, "allow_infinity": False, "min_value": 0, "max_value": 255}))
def test_any_picture_gives_a_valid_digit_or_an_input_error(picture):
    try:
        digit = preprocess_upload(picture)
    except InputError as error:
        assert str(error).endswith(".") and "\n" not in str(error)
    else:
        assert_mnist_like(digit)
