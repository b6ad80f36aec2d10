"""What the app asks of a trained VAE, as plain functions: numpy in, numpy out, inputs checked against vae.limits.

Scores are in nats on the binarised drawing (x > 0.5), like the binary test set the model is measured on.
Every random draw comes from a torch.Generator seeded by the caller, so the same call gives the same picture.
"""
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from vae.bounds import kl_normal, negative_iwae
from vae.drawing import MNIST_SIZE, InputError, real_array
from vae.latent_stats import sample_class_latents
from vae.limits import (
    APP_IWAE_K, LATENT_SLIDER_RANGE, MAX_DISPLAY_PIXELS, MAX_GENERATED_DIGITS, MAX_GRID_COLUMNS, MAX_GRID_ROWS,
    MANIFOLD_STEPS, MAX_INTERPOLATION_FRAMES, MAX_IWAE_K, MAX_LATENT_ABS, MAX_MANIFOLD_STEPS, MAX_POSTERIOR_SAMPLES, MAX_SEED,
    MAX_TEMPERATURE, MAX_UPSCALE_FACTOR, POSTERIOR_SAMPLES,
)
from vae.model import VAE

GRID_PADDING = 2
"""Pixels of white (1.0) between tiles, as in samples.png."""
GRID_CELL = MNIST_SIZE + GRID_PADDING
"""Pixels from one tile's start to the next one's in a tiled picture."""
DIGITS = range(10)


@dataclass
class Reconstruction:
    """A drawing seen through the model: its posterior, decodes and likelihood scores."""

    model_input: np.ndarray  # (28, 28) the grey MNIST-style input
    reconstruction: np.ndarray  # (28, 28) Bernoulli means of p(x | z = posterior mean)
    posterior_samples: np.ndarray  # (n, 28, 28) Bernoulli means for z ~ q(z|x)
    posterior_mean: np.ndarray  # (z_dim,)
    posterior_std: np.ndarray  # (z_dim,)
    nelbo: float  # nats, on the binarised input
    kl: float
    rec: float
    iwae_nll: float  # IWAE-k estimate of -log p(x), nats
    iwae_k: int
    percentile: float | None  # % of test digits with a higher NLL than this drawing (None if unknown)


@torch.no_grad()
def reconstruct(model: VAE, image28: np.ndarray, iwae_k: int = APP_IWAE_K, n_samples: int = POSTERIOR_SAMPLES,
                seed: int = 0, reference_nll: np.ndarray | None = None) -> Reconstruction:
    """Encode the binarised image `(28, 28)`, decode its posterior mean and samples, and score it.

    One batch of max(iwae_k, n_samples) posterior draws serves both the IWAE-k estimate and the
    pictures; KL is exact (closed form) and Rec averages the k draws, so NELBO = KL + Rec is stable.
    """
    iwae_k = _bounded_int(iwae_k, "iwae_k", 1, MAX_IWAE_K)
    n_samples = _bounded_int(n_samples, "n_samples", 0, MAX_POSTERIOR_SAMPLES)
    image = _checked_image(image28)
    x = _binarised(image)
    mean, var = model.encode(x)  # (1, z_dim) each
    eps = torch.randn(max(iwae_k, n_samples), 1, model.z_dim, generator=_generator(seed))
    z = mean + var.sqrt() * eps  # (draws, 1, z_dim)
    logits = model.decode(torch.cat([mean[None], z]))  # (1 + draws, 1, 784)
    log_px_z, log_q_minus_p = model.log_weight_terms(x, z[:iwae_k], logits[1:iwae_k + 1], mean, var)  # (k, 1) each
    iwae_nll = negative_iwae(log_px_z, log_q_minus_p).item()
    kl = kl_normal(mean, var, model.prior_mean, model.prior_var).item()
    rec = -log_px_z.mean().item()
    pictures = _images(torch.sigmoid(logits))
    return Reconstruction(
        model_input=image, reconstruction=pictures[0], posterior_samples=pictures[1:n_samples + 1],
        posterior_mean=mean[0].numpy(), posterior_std=var[0].sqrt().numpy(),
        nelbo=kl + rec, kl=kl, rec=rec, iwae_nll=iwae_nll, iwae_k=iwae_k,
        percentile=nll_percentile(iwae_nll, reference_nll),
    )


def nll_percentile(nll: float, reference_nll: np.ndarray | None) -> float | None:
    """% of reference NLLs `(n,)` higher than nll (the drawing is likelier than they are); None without references."""
    if reference_nll is None or len(reference_nll) == 0:
        return None
    return float(100 * np.mean(np.asarray(reference_nll) > nll))


@torch.no_grad()
def posterior(model: VAE, image28: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and std, each `(z_dim,)`, of q(z | binarised image `(28, 28)`), as reconstruct reports them."""
    mean, var = model.encode(_binarised(_checked_image(image28)))
    return mean[0].numpy(), var[0].sqrt().numpy()


def posterior_mean(model: VAE, image28: np.ndarray) -> np.ndarray:
    """Mean `(z_dim,)` of q(z | binarised image `(28, 28)`), as reconstruct reports it."""
    return posterior(model, image28)[0]


def validate_latent(model: VAE, z: Sequence[float] | np.ndarray) -> np.ndarray:
    """z as `(z_dim,)` float32, or InputError naming the wrong length, a non-number, NaN/inf or |z| > MAX_LATENT_ABS."""
    values = real_array(z, f"latent values must be a list of {model.z_dim} numbers").astype(np.float64).ravel()
    if len(values) != model.z_dim:
        raise InputError(f"expected {model.z_dim} latent values, got {len(values)}")
    for position, value in enumerate(values, start=1):
        if np.isnan(value):
            raise InputError(f"latent value {position} is NaN")
        if not -MAX_LATENT_ABS <= value <= MAX_LATENT_ABS:
            raise InputError(f"latent value {position} is {value:g}; values must lie between "
                             f"{-MAX_LATENT_ABS:g} and {MAX_LATENT_ABS:g}")
    return values.astype(np.float32)


@torch.no_grad()
def decode_latent(model: VAE, z: Sequence[float] | np.ndarray) -> np.ndarray:
    """Bernoulli means `(28, 28)` of p(x | z) for a checked latent z `(z_dim,)`."""
    return _decode(model, torch.from_numpy(validate_latent(model, z)))[0]


def random_latent(model: VAE, seed: int | None) -> np.ndarray:
    """A prior draw `(z_dim,)` clipped to the sliders' range; seed None draws fresh randomness."""
    return random_latents(model, 1, seed)[0]


def random_latents(model: VAE, count: int, seed: int | None) -> np.ndarray:
    """count prior draws `(count, z_dim)` from one seed (so every valid seed serves, up to MAX_SEED), clipped to
    the sliders' range; seed None draws fresh randomness."""
    generator = torch.Generator()
    if seed is None:
        generator.seed()
    else:
        generator = _generator(seed)
    count = _bounded_int(count, "count", 1, MAX_GENERATED_DIGITS)
    return slider_latent(model.sample_z(count, generator=generator).numpy())


def slider_latent(z: np.ndarray) -> np.ndarray:
    """A latent `(z_dim,)` as float32 clipped to ±LATENT_SLIDER_RANGE, so that the sliders can show it."""
    return np.clip(np.asarray(z, dtype=np.float32), -LATENT_SLIDER_RANGE, LATENT_SLIDER_RANGE)


@torch.no_grad()
def sample_grid(model: VAE, rows: int, columns: int, seed: int, temperature: float = 1.0,
                binary: bool = False) -> np.ndarray:
    """rows × columns prior samples tiled into one `(H, W)` picture; the seed's 10×20 grid is samples.png.

    binary=False shows Bernoulli means (the usual picture), True shows true binary samples x ~ p(x|z).
    """
    rows = _bounded_int(rows, "rows", 1, MAX_GRID_ROWS)
    columns = _bounded_int(columns, "columns", 1, MAX_GRID_COLUMNS)
    temperature = _positive_float(temperature, "temperature", MAX_TEMPERATURE)
    if not isinstance(binary, (bool, np.bool_)):
        raise InputError(f"binary must be true or false, got {binary!r}")
    draw = model.sample_binary if binary else model.sample
    return tile(_images(draw(rows * columns, temperature, _generator(seed))), columns)


@torch.no_grad()
def interpolate(model: VAE, z_start: Sequence[float] | np.ndarray, z_end: Sequence[float] | np.ndarray,
                frames: int) -> np.ndarray:
    """Decodes `(frames, 28, 28)` along the straight line from z_start to z_end (both ends included)."""
    start = torch.from_numpy(validate_latent(model, z_start))
    end = torch.from_numpy(validate_latent(model, z_end))
    frames = _bounded_int(frames, "frames", 2, MAX_INTERPOLATION_FRAMES)
    weights = torch.linspace(0, 1, frames)[:, None]
    return _decode(model, (1 - weights) * start + weights * end)


@torch.no_grad()
def generate_digit(model: VAE, class_stats: dict | None, digit: int, count: int, seed: int,
                   temperature: float = 1.0) -> np.ndarray:
    """Decodes `(count, 28, 28)` of latents drawn from the digit's Gaussian fit in class_stats."""
    if class_stats is None:
        raise InputError("this model has no class statistics, so it cannot generate a chosen digit")
    digit = _bounded_int(digit, "digit", DIGITS[0], DIGITS[-1])
    if str(digit) not in class_stats["classes"]:
        raise InputError(f"this model's class statistics have no digit {digit}")
    count = _bounded_int(count, "count", 1, MAX_GENERATED_DIGITS)
    z = sample_class_latents(class_stats, digit, count, _positive_float(temperature, "temperature", MAX_TEMPERATURE), _generator(seed))
    return _decode(model, z)


def tiled_shape(rows: int, columns: int, height: int = MNIST_SIZE, width: int = MNIST_SIZE) -> tuple[int, int]:
    """(H, W) of the picture tile() makes of rows × columns images of height × width."""
    return rows * (height + GRID_PADDING) + GRID_PADDING, columns * (width + GRID_PADDING) + GRID_PADDING


def tile(images: np.ndarray, columns: int) -> np.ndarray:
    """Images `(n, 28, 28)` in [0, 1] → one `(H, W)` float32 picture, `columns` per row, 2 px white lines.

    The layout of torchvision's make_grid (samples.png is checked against it), in numpy so the app's
    server does not import torchvision (about 160 MB of resident memory).
    """
    images = np.clip(real_array(images, "expected a stack of images (n, height, width) of numbers"), 0, 1).astype(np.float32)
    if images.ndim != 3 or len(images) == 0:
        raise InputError(f"expected a non-empty stack of images (n, height, width), got shape {images.shape}")
    columns = min(_bounded_int(columns, "columns", 1, MAX_GRID_COLUMNS), len(images))
    rows = -(-len(images) // columns)
    _, height, width = images.shape
    grid = np.ones(tiled_shape(rows, columns, height, width), dtype=np.float32)
    for index, image in enumerate(images):
        top = GRID_PADDING + (index // columns) * (height + GRID_PADDING)
        left = GRID_PADDING + (index % columns) * (width + GRID_PADDING)
        grid[top:top + height, left:left + width] = image
    return grid


@torch.no_grad()
def latent_manifold(model: VAE, extent: float = LATENT_SLIDER_RANGE, steps: int = MANIFOLD_STEPS) -> np.ndarray:
    """Decodes of a steps × steps grid over [-extent, extent]² tiled into `(H, W)`: rows z2 from +extent down, columns z1 up."""
    if model.z_dim != 2:
        raise InputError(f"the latent manifold needs a 2-D latent space; this model has {model.z_dim} dimensions")
    z1_values, z2_values = _manifold_axes(extent, steps)
    z2, z1 = torch.meshgrid(torch.from_numpy(z2_values), torch.from_numpy(z1_values), indexing="ij")
    return tile(_decode(model, torch.stack([z1, z2], dim=-1).reshape(-1, 2)), len(z1_values))


def manifold_point(x: int, y: int, image_shape: tuple[int, int], extent: float = LATENT_SLIDER_RANGE,
                   steps: int = MANIFOLD_STEPS) -> np.ndarray:
    """Latent (z1, z2) `(2,)` of the latent_manifold tile under pixel (x, y) of its picture shown at image_shape (H, W).

    The picture may be upscaled by any factor; a click on a white line counts for the tile before it.
    """
    z1_values, z2_values = _manifold_axes(extent, steps)
    if not isinstance(image_shape, (tuple, list)) or len(image_shape) != 2:
        raise InputError(f"image_shape must be (height, width), got {image_shape!r}")
    height, width = (_bounded_int(n, "image size", 1, MAX_DISPLAY_PIXELS) for n in image_shape)
    row = _tile_index(_bounded_int(y, "y", 0, height - 1) / height, len(z2_values))
    column = _tile_index(_bounded_int(x, "x", 0, width - 1) / width, len(z1_values))
    return np.array([z1_values[column], z2_values[row]], dtype=np.float32)


def _manifold_axes(extent: float, steps: int) -> tuple[np.ndarray, np.ndarray]:
    """The manifold's checked z1 values `(steps,)` left to right and z2 values `(steps,)` top to bottom."""
    extent = _positive_float(extent, "extent", MAX_LATENT_ABS)
    steps = _bounded_int(steps, "steps", 2, MAX_MANIFOLD_STEPS)
    z1 = np.linspace(-extent, extent, steps, dtype=np.float32)
    return z1, z1[::-1].copy()


def _tile_index(fraction: float, tiles: int) -> int:
    """Index of the tile at `fraction` of the way along one axis of a tiled picture of `tiles` tiles."""
    grid_pixel = fraction * (GRID_PADDING + tiles * GRID_CELL)
    return int(np.clip((grid_pixel - GRID_PADDING) // GRID_CELL, 0, tiles - 1))


def upscale(image: np.ndarray, factor: int) -> np.ndarray:
    """Float picture `(H, W)` in [0, 1] → `(H·f, W·f)` uint8, each pixel a crisp f × f block (nearest neighbour)."""
    image = real_array(image, "expected a picture (H, W) of numbers").astype(np.float64)  # 1e300 stays finite
    if image.ndim != 2:
        raise InputError(f"expected a picture of shape (H, W), got {image.shape}")
    factor = _bounded_int(factor, "factor", 1, MAX_UPSCALE_FACTOR)
    if image.size * factor**2 > MAX_DISPLAY_PIXELS:
        raise InputError(f"the upscaled picture would exceed {MAX_DISPLAY_PIXELS:,} pixels; use a smaller factor")
    pixels = np.round(np.clip(np.nan_to_num(image), 0, 1) * 255).astype(np.uint8)
    return pixels.repeat(factor, axis=0).repeat(factor, axis=1)


def _decode(model: VAE, z: torch.Tensor) -> np.ndarray:
    """Bernoulli means `(n, 28, 28)` of p(x|z) for latents z `(n, z_dim)`."""
    return _images(torch.sigmoid(model.decode(z)))


def _images(pixels: torch.Tensor) -> np.ndarray:
    """Flat pixels `(..., 784)` → float32 images `(n, 28, 28)`."""
    return pixels.reshape(-1, MNIST_SIZE, MNIST_SIZE).numpy()


def _checked_image(image28: np.ndarray) -> np.ndarray:
    """A finite `(28, 28)` float32 image clipped to [0, 1], else InputError."""
    image = real_array(image28, "expected a 28×28 image of numbers")
    if image.shape != (MNIST_SIZE, MNIST_SIZE):
        raise InputError(f"expected a 28×28 image, got shape {image.shape}")
    if not np.isfinite(image).all():
        raise InputError("the image contains NaN or infinite values")
    return np.clip(image, 0, 1).astype(np.float32)  # clipped first: 1e300 must not overflow float32


def _binarised(image: np.ndarray) -> torch.Tensor:
    """Binary pixels `(1, 784)`: x > 0.5, as the binary test set the scores compare with."""
    return torch.from_numpy(image > 0.5).float().reshape(1, -1)


def _generator(seed: int) -> torch.Generator:
    """A torch.Generator seeded with a checked integer seed in [0, MAX_SEED]."""
    return torch.Generator().manual_seed(_bounded_int(seed, "seed", 0, MAX_SEED))


def _bounded_int(value: int, name: str, low: int, high: int) -> int:
    """value as an int in [low, high] (whole floats such as 3.0 accepted), else InputError."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or (isinstance(value, (float, np.floating)) and not np.isfinite(value)) or value != int(value):
        raise InputError(f"{name} must be a whole number, got {value!r}")
    if not low <= value <= high:
        raise InputError(f"{name} must be between {low} and {high}")
    return int(value)


def _positive_float(value: float, name: str, high: float) -> float:
    """value as a float in (0, high], else InputError (NaN and non-numbers included)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) or not 0 < value <= high:
        raise InputError(f"{name} must be a number greater than 0 and at most {high:g}, got {value!r}")
    return float(value)
