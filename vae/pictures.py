"""Pictures of digits for display: tiling into grids, crisp upscaling to uint8, and the manifold picture's geometry.

No maths of the model here: these take pixels in [0, 1] and lay them out.
"""
import hashlib
import io
import os
from pathlib import Path

import numpy as np
from PIL import Image

from vae import validation
from vae.limits import MAX_DISPLAY_PIXELS, MAX_GRID_COLUMNS, MAX_UPSCALE_FACTOR
from vae.validation import MNIST_SIZE, InputError

GRID_PADDING = 2
"""Pixels of white (1.0) between tiles, as in samples.png."""
GRID_CELL = MNIST_SIZE + GRID_PADDING
"""Pixels from one tile's start to the next one's in a tiled picture."""


def digits(pixels: np.ndarray) -> np.ndarray:
    """Flat pixels `(..., 784)` → images `(n, 28, 28)`."""
    return np.asarray(pixels).reshape(-1, MNIST_SIZE, MNIST_SIZE)


def tiled_shape(rows: int, columns: int, height: int = MNIST_SIZE, width: int = MNIST_SIZE) -> tuple[int, int]:
    """(H, W) of the picture tile() makes of rows × columns images of height × width."""
    return rows * (height + GRID_PADDING) + GRID_PADDING, columns * (width + GRID_PADDING) + GRID_PADDING


def tile(images: np.ndarray, columns: int) -> np.ndarray:
    """Images `(n, 28, 28)` in [0, 1] → one `(H, W)` float32 picture, `columns` per row, 2 px white lines.

    The layout of torchvision's make_grid (samples.png is checked against it), in numpy so the app's
    server does not import torchvision (about 160 MB of resident memory).
    """
    images = validation.real_array(images, "expected a stack of images (n, height, width) of numbers")
    images = np.clip(images, 0, 1).astype(np.float32)
    if images.ndim != 3 or len(images) == 0:
        raise InputError(f"expected a non-empty stack of images (n, height, width), got shape {images.shape}")
    columns = min(validation.bounded_int(columns, "columns", 1, MAX_GRID_COLUMNS), len(images))
    rows = -(-len(images) // columns)
    _, height, width = images.shape
    grid = np.ones(tiled_shape(rows, columns, height, width), dtype=np.float32)
    for index, image in enumerate(images):
        top = GRID_PADDING + (index // columns) * (height + GRID_PADDING)
        left = GRID_PADDING + (index % columns) * (width + GRID_PADDING)
        grid[top:top + height, left:left + width] = image
    return grid


def upscale(image: np.ndarray, factor: int) -> np.ndarray:
    """Float picture `(H, W)` in [0, 1] → `(H·f, W·f)` uint8, each pixel a crisp f × f block (nearest neighbour)."""
    image = validation.real_array(image, "expected a picture (H, W) of numbers").astype(np.float64)  # 1e300 stays finite
    if image.ndim != 2:
        raise InputError(f"expected a picture of shape (H, W), got {image.shape}")
    factor = validation.bounded_int(factor, "factor", 1, MAX_UPSCALE_FACTOR)
    if image.size * factor**2 > MAX_DISPLAY_PIXELS:
        raise InputError(f"the upscaled picture would exceed {MAX_DISPLAY_PIXELS:,} pixels; use a smaller factor")
    pixels = np.round(np.clip(np.nan_to_num(image), 0, 1) * 255).astype(np.uint8)
    return pixels.repeat(factor, axis=0).repeat(factor, axis=1)


def save_png(pixels: np.ndarray, name: str, folder: Path) -> Path:
    """A picture `(H, W)` or `(H, W, 3)` uint8 as the PNG file folder/<content hash>/name: its name says what it is,
    and the same picture is always the same file (written once, atomically)."""
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "PNG")
    data = buffer.getvalue()
    path = Path(folder) / hashlib.sha256(data).hexdigest()[:20] / name
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        partial.write_bytes(data)
        os.replace(partial, path)
    return path


def manifold_axes(extent: float, steps: int) -> tuple[np.ndarray, np.ndarray]:
    """The manifold's z1 values `(steps,)` left to right and z2 values `(steps,)` top to bottom, over ±extent."""
    z1 = np.linspace(-extent, extent, steps, dtype=np.float32)
    return z1, z1[::-1].copy()


def manifold_point(x: int, y: int, image_shape: tuple[int, int], extent: float, steps: int) -> np.ndarray:
    """Latent (z1, z2) `(2,)` of the manifold tile under pixel (x, y) of its picture shown at image_shape (H, W).

    The picture may be upscaled by any factor; a click on a white line counts for the tile before it.
    """
    z1_values, z2_values = manifold_axes(extent, steps)
    if not isinstance(image_shape, (tuple, list)) or len(image_shape) != 2:
        raise InputError(f"image_shape must be (height, width), got {image_shape!r}")
    height, width = (validation.bounded_int(n, "image size", 1, MAX_DISPLAY_PIXELS) for n in image_shape)
    row = _tile_index(validation.bounded_int(y, "y", 0, height - 1) / height, len(z2_values))
    column = _tile_index(validation.bounded_int(x, "x", 0, width - 1) / width, len(z1_values))
    return np.array([z1_values[column], z2_values[row]], dtype=np.float32)


def _tile_index(fraction: float, tiles: int) -> int:
    """Index of the tile at `fraction` of the way along one axis of a tiled picture of `tiles` tiles."""
    grid_pixel = fraction * (GRID_PADDING + tiles * GRID_CELL)
    return int(np.clip((grid_pixel - GRID_PADDING) // GRID_CELL, 0, tiles - 1))
