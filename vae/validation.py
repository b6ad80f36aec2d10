"""Every check of untrusted values (UI fields, API calls, uploaded pictures): each returns the clean value or raises
InputError with one sentence that the app shows as it is."""
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from vae.limits import MAX_LATENT_ABS, MAX_UPLOAD_PIXELS

MNIST_SIZE = 28
FLOAT32_MAX = float(np.finfo(np.float32).max)
"""Larger float pixels would become infinite in float32: refused like inf."""
NOT_UPLOADED = "Only files uploaded to this app can be read: upload the picture first (gradio_client: handle_file)."


class InputError(ValueError):
    """A problem with the user's input; str(error) is one sentence to show in the UI."""


def real_array(values: object, error: str) -> np.ndarray:
    """values as a numpy array of real numbers (bool, int or float dtype); InputError(error) for anything else."""
    try:
        array = np.asarray(values)
    except (ValueError, TypeError):  # ragged nesting, or objects that refuse to become arrays
        raise InputError(error) from None
    if array.dtype.kind not in "buif":
        raise InputError(error)
    return array


def bounded_int(value: object, name: str, low: int, high: int) -> int:
    """value as an int in [low, high] (whole floats such as 3.0 accepted), else InputError."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or (isinstance(value, (float, np.floating)) and not np.isfinite(value)) or value != int(value):
        raise InputError(f"{name} must be a whole number, got {value!r}")
    if not low <= value <= high:
        raise InputError(f"{name} must be between {low} and {high}")
    return int(value)


def positive_float(value: object, name: str, high: float) -> float:
    """value as a float in (0, high], else InputError (NaN and non-numbers included)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) or not 0 < value <= high:
        raise InputError(f"{name} must be a number greater than 0 and at most {high:g}, got {value!r}")
    return float(value)


def boolean(value: object, name: str) -> bool:
    """value as a bool (Python or numpy), else InputError: 'false' or 0 from an API caller is not taken for False."""
    if not isinstance(value, (bool, np.bool_)):
        raise InputError(f"{name} must be true or false, got {value!r}")
    return bool(value)


def choice(value: object, name: str, options: Sequence[str]) -> str:
    """value if it is one of options, else InputError listing them."""
    if not isinstance(value, str) or value not in options:
        raise InputError(f"{name} must be one of {', '.join(repr(option) for option in options)}, got {value!r}")
    return value


def latent(z: object, z_dim: int, extra_ignored: bool = False) -> np.ndarray:
    """z as `(z_dim,)` float32, or InputError naming the wrong length, a non-number, NaN/inf or |z| > MAX_LATENT_ABS.

    extra_ignored: values past the z_dim-th are dropped first (the sliders of a larger model).
    """
    values = real_array(z, f"latent values must be a list of {z_dim} numbers").astype(np.float64).ravel()
    values = values[:z_dim] if extra_ignored else values
    if len(values) != z_dim:
        raise InputError(f"expected {z_dim} latent values, got {len(values)}")
    for position, value in enumerate(values, start=1):
        if np.isnan(value):
            raise InputError(f"latent value {position} is NaN")
        if not -MAX_LATENT_ABS <= value <= MAX_LATENT_ABS:
            raise InputError(f"latent value {position} is {value:g}; values must lie between "
                             f"{-MAX_LATENT_ABS:g} and {MAX_LATENT_ABS:g}")
    return values.astype(np.float32)


def digit_image(image: object) -> np.ndarray:
    """A finite `(28, 28)` float32 image clipped to [0, 1], else InputError."""
    image = real_array(image, "expected a 28×28 image of numbers")
    if image.shape != (MNIST_SIZE, MNIST_SIZE):
        raise InputError(f"expected a 28×28 image, got shape {image.shape}")
    if not np.isfinite(image).all():
        raise InputError("the image contains NaN or infinite values")
    return np.clip(image, 0, 1).astype(np.float32)  # clipped first: 1e300 must not overflow float32


def pixel_count(pixels: int) -> None:
    """InputError when a picture has more than MAX_UPLOAD_PIXELS pixels."""
    if pixels > MAX_UPLOAD_PIXELS:
        raise InputError(f"The image has {pixels:,} pixels, more than the {MAX_UPLOAD_PIXELS:,} allowed: "
                         "upload a smaller one.")


def picture_array(array: np.ndarray) -> np.ndarray:
    """The array itself if it is a finite `(H, W)` or `(H, W, 1–4)` picture of numbers, else InputError."""
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (1, 2, 3, 4)) or 0 in array.shape:
        raise InputError(f"Expected an image array of shape (H, W), (H, W, 3) or (H, W, 4), got {array.shape}.")
    if array.dtype.kind not in "buif":
        raise InputError(f"Expected an image array of numbers, got dtype {array.dtype}.")
    pixel_count(array.shape[0] * array.shape[1])
    if array.dtype.kind == "f" and not (np.isfinite(array).all() and np.abs(array).max() <= FLOAT32_MAX):
        raise InputError("The image contains NaN or infinite values.")
    return array


def ink(values: object) -> np.ndarray:
    """Ink as a finite `(H, W)` float32 array clipped to [0, 1], else InputError."""
    values = real_array(values, "Expected ink as an array of numbers.")
    if values.ndim != 2:
        raise InputError(f"Expected ink of shape (H, W), got {values.shape}.")
    if not np.isfinite(values).all():
        raise InputError("The image contains NaN or infinite values.")
    return np.clip(values, 0, 1).astype(np.float32)


def uploaded_path(upload: object, upload_folder: Path | None) -> str | None:
    """The server path of an uploaded file's record ({"path": ...} or the path itself), refused unless it lies in
    upload_folder (None: no file may be read): an API caller can name any server path, and only the files people
    uploaded may be read."""
    path = upload.get("path") if isinstance(upload, dict) else upload
    if path is None:
        return None
    if not isinstance(path, str) or "\0" in path or upload_folder is None:
        raise InputError(NOT_UPLOADED)
    resolved = Path(path).resolve()
    if not resolved.is_relative_to(Path(upload_folder).resolve()):
        raise InputError(NOT_UPLOADED)
    return str(resolved)
