"""A drawing or an uploaded picture turned into an MNIST-style 28×28 digit (LeCun et al. 1998).

MNIST digits were cropped, scaled to fit a 20×20 box keeping their aspect ratio (anti-aliased), then
placed in a 28×28 field with their centre of mass at the centre. Ink is 1, paper is 0, as in MNIST.
Their strokes are 2–3 pixels wide whatever pen wrote them; here every drawing's strokes are redrawn at that
width (vae.strokes), so that a small digit, a thin pen and a thick pen all look like MNIST to the model.
"""
import base64
import binascii
import io
import math
import warnings
from pathlib import Path

import numpy as np
from PIL import Image

from vae import validation
from vae.limits import (
    MAX_INK_FRACTION, MAX_UPLOAD_BYTES, MAX_UPLOAD_PIXELS, MIN_INK_EXTENT, MIN_LINE_IN_STROKES,
)
from vae.strokes import redraw, skeleton, stroke_width
from vae.validation import MNIST_SIZE, InputError

MNIST_BOX = 20
MNIST_CENTRE = 14.0
"""Mean centre of mass of the MNIST test digits, in pixel indices (measured 13.99, 14.01)."""
INK_THRESHOLD = 0.1
"""Ink fainter than this is noise: paper texture, compression artefacts, anti-aliasing fringe."""
MIN_CONTRAST = 0.05
"""A picture whose grey levels span less than this (of full scale) is blank paper."""
STROKE_WIDTH = 2.8
"""Strokes are redrawn this wide (pixels of the 28×28 digit). Measured as MNIST's are measured (2·area/perimeter
of the ink above INK_THRESHOLD) they come out at 2.5–2.9; MNIST's test digits: median 2.64, 10th–90th percentile
2.08–3.47."""
WORK_SIZE = 4 * MNIST_BOX
"""The crop is scaled to this longer side (max-pooled first when larger, so that a thin stroke cannot average away)
to find its centre lines, which are redrawn there and anti-aliased down into the 20×20 box."""
PAD_SIZE = 280
"""The app's drawing pad: a square canvas of this many pixels..."""
PEN_WIDTH = 20
"""...on which the pen paints strokes this many canvas pixels wide (a click paints one disc of this diameter)."""
DATA_URL_PREFIX = "data:image/png;base64,"
"""The pad sends its canvas as a PNG data URL (canvas.toDataURL("image/png"))."""
MAX_DATA_URL_CHARS = len(DATA_URL_PREFIX) + 4 * math.ceil(MAX_UPLOAD_BYTES / 3)
"""A data URL holds at most MAX_UPLOAD_BYTES of PNG, like an upload."""
LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)
"""ITU-R 601 luminance weights, as PIL's convert("L")."""
HIGH_BIT_MODES = {"I", "I;16", "I;16B", "I;16L", "I;16N", "F"}
"""PIL modes read as numbers rather than converted to 8 bits (which would clip them)."""

NO_DRAWING = "The pad is empty: draw a digit on it first."
NO_IMAGE = "No image was received: upload a picture of a digit."
BLANK = "No ink was found: draw or upload a digit."
DOT = "The ink is too small to be a digit (a dot, or a blob with no strokes): draw the digit with lines, larger."
FULL = "Ink covers almost the whole canvas, so there is no digit shape: clear it and draw a digit."
NOT_A_DRAWING = ("Expected the drawing as a PNG data URL ('data:image/png;base64,...') or the sketchpad's dict of "
                 "background, layers and composite, got {}.")


class EmptyDrawing(InputError):
    """Nothing was drawn: the pad is empty (the caller may say which pad)."""


def drawing_to_ink(value: object, upload_folder: Path | None = None) -> np.ndarray:
    """What the app's drawing inputs receive → ink `(H, W)` float32 in [0, 1].

    That is the pad's PNG data URL, or (API clients) the Sketchpad form {background, layers, composite} whose
    pictures are PNG data URLs or files uploaded to the app (gradio_client's handle_file: a file record or its path);
    Python callers may also put arrays and PIL images in it. Only files inside upload_folder are read (none without).
    """
    if value is None or isinstance(value, str) and not value:
        raise EmptyDrawing(NO_DRAWING)
    if isinstance(value, str) and value.startswith("data:"):
        return _canvas_ink(data_url_image(value))
    if not isinstance(value, dict):
        raise InputError(NOT_A_DRAWING.format(type(value).__name__))
    layers = value.get("layers")
    if isinstance(layers, (list, tuple)):
        layers = [_drawn_picture(layer, upload_folder) for layer in layers]
    return _sketch_ink({"composite": _drawn_picture(value.get("composite"), upload_folder), "layers": layers})


def data_url_image(url: str) -> Image.Image:
    """A PNG data URL `data:image/png;base64,...` (what the pad sends) → the picture, refused past the upload caps."""
    if not url.startswith(DATA_URL_PREFIX):
        raise InputError(f"The drawing's data URL must start with {DATA_URL_PREFIX!r}, got {url[:30]!r}.")
    if len(url) > MAX_DATA_URL_CHARS:
        raise InputError(f"The drawing's data URL holds more than the {MAX_UPLOAD_BYTES:,} bytes allowed.")
    try:
        png = base64.b64decode(url[len(DATA_URL_PREFIX):], validate=True)
    except (binascii.Error, ValueError):  # ValueError: characters beyond ASCII
        raise InputError("The drawing's data URL is not valid base64: send canvas.toDataURL('image/png').") from None
    return _open(io.BytesIO(png), "The drawing's data URL")


def _drawn_picture(picture: object, upload_folder: Path | None) -> object:
    """One picture of a Sketchpad-form drawing, made safe to read: a data URL decoded, a file record or path
    resolved inside upload_folder (else InputError); arrays, PIL images and anything else as they are."""
    if isinstance(picture, str) and picture.startswith("data:"):
        return data_url_image(picture)
    if isinstance(picture, (str, dict)):
        return validation.uploaded_path(picture, upload_folder)
    return picture


def _sketch_ink(value: dict) -> np.ndarray:
    """Sketchpad form {layers, composite} → ink `(H, W)`: the composite when present, else the union of the layers.

    Each picture may be an array, a PIL image or a file path; a canvas with any transparency gives its alpha, an
    opaque one its inverted luminance.
    """
    if value.get("composite") is not None:
        return _canvas_ink(value["composite"])
    layers = value.get("layers")
    if not isinstance(layers, (list, tuple, type(None))):
        raise InputError(f"Expected the sketchpad's layers as a list of pictures, got {type(layers).__name__}.")
    layers = [_canvas_ink(layer) for layer in layers or [] if layer is not None]
    if not layers:
        raise EmptyDrawing(NO_DRAWING)
    if len({layer.shape for layer in layers}) > 1:
        raise InputError("The drawing's layers have different sizes.")
    return np.maximum.reduce(layers)


def image_to_ink(image: "Image.Image | np.ndarray | str | Path") -> np.ndarray:
    """A picture in any mode (RGBA, LA, L, RGB, P, 1, I;16 ...) → ink `(H, W)` float32 in [0, 1].

    Transparent paper: ink is the alpha. Opaque paper: the polarity (dark ink on light paper or
    light on dark) comes from the border, and the paper level maps to 0, the strongest ink to 1.
    """
    grey, alpha = _unit_channels(image)
    if alpha is not None and np.median(_border(alpha)) < 0.5:
        return alpha
    return _ink_from_grey(grey)


def center_like_mnist(ink: np.ndarray) -> np.ndarray:
    """Ink `(H, W)` → MNIST-style digit `(28, 28)` float32 in [0, 1]: cropped, strokes redrawn STROKE_WIDTH wide,
    fit into 20×20, centred by mass. Ink whose centre lines span less than MIN_LINE_IN_STROKES of its stroke width (a
    dot, a click on the pad: one disc of the pen's width) or that spans less than MIN_INK_EXTENT of the picture (a
    speck) is refused."""
    ink = validation.ink(ink)
    mask = ink > INK_THRESHOLD
    if not mask.any():
        raise InputError(BLANK)
    if mask.mean() > MAX_INK_FRACTION:
        raise InputError(FULL)
    crop = np.where(mask, ink, 0)[_bounding_box(mask)]
    strokes = _to_work_size(crop) > INK_THRESHOLD
    lines = skeleton(strokes)
    too_short = not lines.any() or _extent(lines) < MIN_LINE_IN_STROKES * stroke_width(strokes, lines)  # none: a blob
    if too_short or max(crop.shape) < MIN_INK_EXTENT * max(ink.shape):
        raise InputError(DOT)
    return _place_by_centre_of_mass(_fit_box(_redrawn(lines)))


def preprocess_drawing(value: object, upload_folder: Path | None = None) -> np.ndarray:
    """A drawing (the pad's data URL or the Sketchpad form, see drawing_to_ink) → MNIST-style digit `(28, 28)`."""
    return center_like_mnist(drawing_to_ink(value, upload_folder))


def preprocess_upload(image: "Image.Image | np.ndarray | str | Path") -> np.ndarray:
    """Uploaded picture → MNIST-style digit `(28, 28)`."""
    return center_like_mnist(image_to_ink(image))


def _canvas_ink(source: "Image.Image | np.ndarray | str | Path") -> np.ndarray:
    """A canvas (the pad's, a Sketchpad composite or layer) → ink `(H, W)`: its alpha when any of it is transparent,
    else 1 − luminance."""
    grey, alpha = _unit_channels(source)
    if alpha is not None and alpha.min() < 1:
        return alpha
    return 1 - grey


def _unit_channels(source: "Image.Image | np.ndarray | str | Path | None") -> tuple[np.ndarray, np.ndarray | None]:
    """Luminance `(H, W)` and alpha `(H, W)` (None when opaque by format) of a picture, float32 in [0, 1]."""
    colour, alpha = _split_alpha(_pixels(source))
    return _luminance(_to_unit(colour)), None if alpha is None else _to_unit(alpha)


def _pixels(source: "Image.Image | np.ndarray | str | Path | None") -> np.ndarray:
    """The picture's pixels `(H, W)` or `(H, W, channels)`, size-capped, from a path, PIL image or array."""
    if source is None:
        raise InputError(NO_IMAGE)
    if isinstance(source, (str, Path)):
        source = _open(Path(source), f"The file {Path(source).name!r}")
    if isinstance(source, Image.Image):
        validation.pixel_count(source.width * source.height)
        return validation.picture_array(_pil_pixels(source))
    if isinstance(source, np.ndarray):
        return validation.picture_array(source)
    raise InputError(f"Expected an image (PIL image, array or file path), got {type(source).__name__}.")


def _open(source: "Path | io.BytesIO", name: str) -> Image.Image:
    """Decode an image file or bytes (called name in messages), refusing oversized ones (PIL's decompression-bomb
    guard included) before decoding."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(source) as image:
                validation.pixel_count(image.width * image.height)
                image.load()
                return image
    except InputError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InputError(f"{name} has too many pixels: upload an image of at most {MAX_UPLOAD_PIXELS:,}.") from None
    except (OSError, ValueError, SyntaxError, EOFError):
        raise InputError(f"{name} is not an image that can be read: upload a PNG or JPEG.") from None


def _pil_pixels(image: Image.Image) -> np.ndarray:
    """PIL image → array: `(H, W)` numbers for high-bit modes, `(H, W, 4)` RGBA when it has transparency, else `(H, W)` L."""
    if image.mode in HIGH_BIT_MODES:
        return np.asarray(image, dtype=np.float32)
    try:
        return np.asarray(image.convert("RGBA" if image.has_transparency_data else "L"))
    except ValueError:  # modes PIL cannot convert to grey, such as LAB and La
        raise InputError(f"Pictures in colour mode {image.mode} cannot be read: upload a PNG or JPEG.") from None


def _split_alpha(pixels: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """(colour `(H, W)` or `(H, W, 3)`, alpha `(H, W)` or None) of an `(H, W[, channels])` array."""
    if pixels.ndim == 2:
        return pixels, None
    channels = pixels.shape[2]
    if channels in (2, 4):
        return pixels[..., :channels - 1].squeeze(2) if channels == 2 else pixels[..., :3], pixels[..., -1]
    return pixels.squeeze(2) if channels == 1 else pixels, None


def _to_unit(values: np.ndarray) -> np.ndarray:
    """Numbers → float32 in [0, 1], full scale guessed from the largest value: 1, 255, 65535 or the maximum."""
    values = values.astype(np.float32)
    peak = float(values.max())
    scale = next((s for s in (1.0, 255.0, 65535.0) if peak <= s), peak)
    return np.clip(values / scale, 0, 1)


def _luminance(colour: np.ndarray) -> np.ndarray:
    """Grey `(H, W)` of grey `(H, W)` or RGB `(H, W, 3)` values."""
    return colour if colour.ndim == 2 else colour @ LUMA


def _border(values: np.ndarray) -> np.ndarray:
    """The outermost rows and columns of `(H, W)`, flattened: where the paper shows."""
    return np.concatenate([values[0], values[-1], values[:, 0], values[:, -1]])


def _ink_from_grey(grey: np.ndarray) -> np.ndarray:
    """Grey `(H, W)` in [0, 1] → ink: paper (the border's median) at 0, the far extreme at 1."""
    low, high = float(grey.min()), float(grey.max())
    if high - low < MIN_CONTRAST:
        return np.zeros_like(grey)
    paper = float(np.median(_border(grey)))
    if paper - low > high - paper:
        ink = (paper - grey) / (paper - low)
    else:
        ink = (grey - paper) / (high - paper)
    return np.clip(ink, 0, 1).astype(np.float32)


def _to_work_size(crop: np.ndarray) -> np.ndarray:
    """Crop `(h, w)` → `(h', w')` with max(h', w') = WORK_SIZE, aspect kept: max-pooled, then bilinear."""
    return _resize(_max_pool(crop, max(crop.shape) // WORK_SIZE), WORK_SIZE, Image.Resampling.BILINEAR)


def _extent(mask: np.ndarray) -> int:
    """The longer side of the box around the True pixels of `(h, w)` (0 when none)."""
    return max(s.stop - s.start for s in _bounding_box(mask)) if mask.any() else 0


def _bounding_box(mask: np.ndarray) -> tuple[slice, slice]:
    """Rows and columns of the smallest box around the True pixels of a non-empty `(h, w)` mask."""
    rows, columns = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
    return slice(rows[0], rows[-1] + 1), slice(columns[0], columns[-1] + 1)


def _redrawn(lines: np.ndarray) -> np.ndarray:
    """Centre lines `(h, w)` → their strokes `(h', w')`, as wide as STROKE_WIDTH will be once the whole (lines plus
    stroke) is fitted into the 20×20 box."""
    lines = lines[_bounding_box(lines)]
    side = max(lines.shape)
    width = STROKE_WIDTH * side / (MNIST_BOX - STROKE_WIDTH)  # (side + width) px ↦ MNIST_BOX px, width ↦ STROKE_WIDTH
    return redraw(np.pad(lines, math.ceil(width / 2)), width)


def _fit_box(strokes: np.ndarray) -> np.ndarray:
    """Redrawn strokes `(h, w)` → `(h', w')` with max(h', w') = 20, aspect kept, anti-aliased."""
    return np.clip(_resize(strokes, MNIST_BOX, Image.Resampling.LANCZOS), 0, 1)


def _resize(values: np.ndarray, longer_side: int, resample: Image.Resampling) -> np.ndarray:
    """`(h, w)` float → float32 `(h', w')` with max(h', w') = longer_side, aspect kept."""
    height, width = values.shape
    scale = longer_side / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return np.asarray(Image.fromarray(values.astype(np.float32)).resize(size, resample))


def _max_pool(ink: np.ndarray, factor: int) -> np.ndarray:
    """Shrink `(h, w)` by an integer factor keeping each block's strongest ink: `(ceil(h/f), ceil(w/f))`."""
    if factor <= 1:
        return ink
    height, width = (-(-n // factor) for n in ink.shape)
    padded = np.pad(ink, ((0, height * factor - ink.shape[0]), (0, width * factor - ink.shape[1])))
    return padded.reshape(height, factor, width, factor).max(axis=(1, 3))


def _place_by_centre_of_mass(digit: np.ndarray) -> np.ndarray:
    """Paste `(h, w)` (both ≤ 20) into a blank `(28, 28)` so its centre of mass is nearest MNIST_CENTRE."""
    mass = float(digit.sum())
    if mass <= 0:
        raise InputError(DOT)
    top = _offset(digit.sum(1), mass)
    left = _offset(digit.sum(0), mass)
    canvas = np.zeros((MNIST_SIZE, MNIST_SIZE), dtype=np.float32)
    canvas[top:top + digit.shape[0], left:left + digit.shape[1]] = digit
    return canvas


def _offset(profile: np.ndarray, mass: float) -> int:
    """Shift along one axis that brings the profile's centre of mass to MNIST_CENTRE, kept inside the field."""
    centre = float(profile @ np.arange(len(profile))) / mass
    return int(np.clip(round(MNIST_CENTRE - centre), 0, MNIST_SIZE - len(profile)))
