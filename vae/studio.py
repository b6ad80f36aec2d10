"""One function per thing a person can do in the app: raw UI or API values and the model registry in, pictures and
text ready to show out. Every untrusted value is checked here (vae.validation) before it reaches the model.

Pictures are uint8 arrays `(H, W)` (or `(H, W, 3)` for the latent map), digits upscaled to crisp pixel blocks.
"""
import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vae import captions, figures, inference, pictures, validation
from vae.drawing import preprocess_drawing, preprocess_upload
from vae.limits import (
    DEFAULT_GRID_COLUMNS, DEFAULT_GRID_ROWS, LATENT_SLIDER_RANGE, MANIFOLD_STEPS, MAX_GENERATED_DIGITS,
    MAX_GRID_COLUMNS, MAX_GRID_ROWS, MAX_INTERPOLATION_FRAMES, MAX_SEED, MAX_TEMPERATURE, POSTERIOR_SAMPLES,
)
from vae.registry import ModelBundle, Registry
from vae.typicality import DigitClusters
from vae.validation import InputError

Picture = np.ndarray
"""A picture ready to show: `(H, W)` or `(H, W, 3)` uint8."""
DIGIT_SCALE = 8
"""One 28×28 digit is shown at 224×224, each pixel a crisp block."""
STRIP_SCALE = 4
"""Strips of digits (posterior samples, interpolations, generated digits) at 112×112 per digit."""
GRID_SCALE = 2
"""Sample grids and the manifold at 56×56 per digit."""
GENERATED_COLUMNS = 8
DEFAULT_FRAMES, DEFAULT_GENERATED = 10, 16
MANIFOLD_SHAPE = tuple(GRID_SCALE * side for side in pictures.tiled_shape(MANIFOLD_STEPS, MANIFOLD_STEPS))
"""(H, W) of the manifold picture shown on the latent map tab."""
ENDPOINTS_DRAWINGS, ENDPOINTS_RANDOM = "my two drawings", "two random digits"
FROM_PRIOR, FROM_LEARNED = "the prior N(0, I)", "the learned latent distribution"
SAMPLE_SOURCES = [FROM_PRIOR, FROM_LEARNED]
DIGITS = range(10)
NO_DRAWING = "Draw or upload a digit on the Draw tab first."
ACTIVE_KL = 0.01
"""Nats of KL per digit below which a latent dimension carries no information: the decoder ignores it."""


@dataclass(frozen=True)
class LatentDimension:
    """One latent dimension as its slider shows it."""

    name: str  # z1, z2, ...
    kl: float | None  # mean KL(q(z_i|x) ‖ p(z_i)) over the test digits, nats; None when metrics.json lacks it

    @property
    def active(self) -> bool:
        return self.kl is None or self.kl >= ACTIVE_KL

    @property
    def info(self) -> str:
        if self.kl is None:
            return ""
        return f"carries {self.kl:.2f} nats" if self.active else "unused: the decoder ignores it"


@dataclass(frozen=True)
class ReconstructionView:
    """What the Draw tab shows of a drawing."""

    model_input: Picture  # the 28×28 MNIST-style input, upscaled
    reconstruction: Picture
    posterior_samples: Picture  # a strip of decodes of z ~ q(z|x)
    posterior_chart: str  # SVG: posterior mean ± std per latent dimension
    scores: str  # Markdown: NELBO, KL, Rec, IWAE NLL beside the test set's
    digit: np.ndarray  # (28, 28) float32 model input, kept for the other tabs


@dataclass(frozen=True)
class LatentMapView:
    """The latent map tab: the plane with its marks, and the decode of the chosen point."""

    plane: Picture  # (H, W, 3)
    decoded: Picture


def reconstruct_drawing(registry: Registry, drawing: object, model: object, upload_folder: Path | None = None
                        ) -> ReconstructionView:
    """A drawing (the pad's PNG data URL, or the Sketchpad form {background, layers, composite} whose files must lie
    in upload_folder) → what the model sees, reconstructs and scores."""
    bundle = registry.get(model)
    return reconstruct_digit(registry, preprocess_drawing(drawing, upload_folder), bundle.name)


def reconstruct_upload(registry: Registry, upload: object, upload_folder: Path, model: object) -> ReconstructionView:
    """An uploaded photo or scan (a file record in upload_folder) → what the model sees, reconstructs and scores."""
    bundle = registry.get(model)
    return reconstruct_digit(registry, preprocess_upload(validation.uploaded_path(upload, upload_folder)), bundle.name)


def reconstruct_digit(registry: Registry, digit: np.ndarray, model: object) -> ReconstructionView:
    """An MNIST-style digit `(28, 28)` → what the model sees, reconstructs and scores."""
    bundle = registry.get(model)
    result = inference.reconstruct(bundle.model, digit)
    clusters = _digit_clusters(bundle)
    reading = clusters.read(result.posterior_mean, result.iwae_nll) if clusters else None
    return ReconstructionView(
        model_input=pictures.upscale(result.model_input, DIGIT_SCALE),
        reconstruction=pictures.upscale(result.reconstruction, DIGIT_SCALE),
        posterior_samples=pictures.upscale(pictures.tile(result.posterior_samples, POSTERIOR_SAMPLES), STRIP_SCALE),
        posterior_chart=figures.posterior_chart(result.posterior_mean, result.posterior_std),
        scores=captions.reconstruction_summary(result, reading, (bundle.metrics or {}).get("test")),
        digit=result.model_input,
    )


def decode(registry: Registry, values: object, model: object) -> Picture:
    """The digit decoded from the first z_dim slider values (the sliders past the model's z_dim are ignored)."""
    bundle = registry.get(model)
    z = validation.latent(values, bundle.model.z_dim, extra_ignored=True)
    return pictures.upscale(inference.decode(bundle.model, z)[0], DIGIT_SCALE)


def latent_dimensions(registry: Registry, model: object) -> list[LatentDimension]:
    """The model's latent dimensions with the information each carries (metrics.json's test KL per dimension)."""
    bundle = registry.get(model)
    kls = ((bundle.metrics or {}).get("test") or {}).get("kl_per_dimension") or [None] * bundle.model.z_dim
    return [LatentDimension(f"z{i}", kl) for i, kl in enumerate(kls, start=1)]


def random_latent(registry: Registry, model: object) -> np.ndarray:
    """A fresh prior draw `(z_dim,)` within the sliders' range."""
    return inference.random_latents(registry.get(model).model, 1, seed=None)[0]


def drawing_latent(registry: Registry, digit: np.ndarray | None, model: object) -> np.ndarray:
    """The drawing's posterior mean `(z_dim,)` within the sliders' range."""
    if digit is None:
        raise InputError(NO_DRAWING)
    return inference.slider_latent(inference.posterior_mean(registry.get(model).model, digit))


def sample_grid(registry: Registry, rows: object = DEFAULT_GRID_ROWS, columns: object = DEFAULT_GRID_COLUMNS,
                seed: object = 0, temperature: object = 1.0, binary: object = False, sample_from: object = FROM_PRIOR,
                model: object = None) -> Picture:
    """rows × columns samples (Bernoulli means, or binary samples) with z from the prior or the learned latent
    distribution; the same grid for the same seed."""
    bundle = registry.get(model)
    mixture = None
    if validation.choice(sample_from, "sample_from", SAMPLE_SOURCES) == FROM_LEARNED:
        if bundle.latent_mixture is None:
            raise InputError(f"{bundle.name} has no learned latent distribution (fit one with fit_latents.py): "
                             "sample from the prior")
        mixture = bundle.latent_mixture
    grid = inference.sample_grid(
        bundle.model, validation.bounded_int(rows, "rows", 1, MAX_GRID_ROWS),
        validation.bounded_int(columns, "columns", 1, MAX_GRID_COLUMNS), _seed(seed), _temperature(temperature),
        validation.boolean(binary, "binary"), mixture)
    return pictures.upscale(grid, GRID_SCALE)


def latent_manifold(registry: Registry, model: object) -> Picture:
    """The 2-D model's decodes over the latent square (a click on it moves the map's point)."""
    return pictures.upscale(_manifold(registry.for_map(model)), GRID_SCALE)


def latent_map(registry: Registry, z1: object, z2: object, model: object, digit: np.ndarray | None = None
               ) -> LatentMapView:
    """The latent plane (test digits, manifold, the point (z1, z2), the drawing's posterior) and the point's decode."""
    bundle = registry.for_map(model)
    z = validation.latent([z1, z2], 2)
    mean, std = inference.posterior(bundle.model, digit) if digit is not None else (None, None)
    plane = figures.mark_latent_map(_unmarked_map(bundle), z, mean, std)
    return LatentMapView(plane, pictures.upscale(inference.decode(bundle.model, z)[0], DIGIT_SCALE))


def manifold_click(x: object, y: object) -> np.ndarray:
    """The latent (z1, z2) `(2,)` under the clicked pixel (x, y) of the manifold picture."""
    return pictures.manifold_point(x, y, MANIFOLD_SHAPE, LATENT_SLIDER_RANGE, MANIFOLD_STEPS)


def interpolate(registry: Registry, start: object = None, end: object = None, endpoints: object = ENDPOINTS_DRAWINGS,
                frames: object = DEFAULT_FRAMES, seed: object = 0, model: object = None,
                upload_folder: Path | None = None) -> Picture:
    """A strip of decodes along the line between two drawings' posterior means (or two random latents); the drawings
    as reconstruct_drawing takes them."""
    vae = registry.get(model).model
    endpoints = validation.choice(endpoints, "endpoints", [ENDPOINTS_DRAWINGS, ENDPOINTS_RANDOM])
    if endpoints == ENDPOINTS_RANDOM:
        ends = inference.random_latents(vae, 2, _seed(seed))
    else:
        ends = [inference.posterior_mean(vae, preprocess_drawing(drawing, upload_folder)) for drawing in (start, end)]
    strip = inference.interpolate(vae, *ends, validation.bounded_int(frames, "frames", 2, MAX_INTERPOLATION_FRAMES))
    return pictures.upscale(pictures.tile(strip, len(strip)), STRIP_SCALE)


def generate_digit(registry: Registry, digit: object = 0, count: object = DEFAULT_GENERATED, seed: object = 0,
                   temperature: object = 1.0, model: object = None) -> Picture:
    """count decodes of latents drawn from the digit's latent Gaussian (class_stats.json shipped with the weights)."""
    bundle = registry.get(model)
    if bundle.class_stats is None:
        raise InputError("this model has no class statistics, so it cannot generate a chosen digit")
    digit = validation.bounded_int(digit, "digit", DIGITS[0], DIGITS[-1])
    if str(digit) not in bundle.class_stats["classes"]:
        raise InputError(f"this model's class statistics have no digit {digit}")
    count = validation.bounded_int(count, "count", 1, MAX_GENERATED_DIGITS)
    images = inference.generate_digit(bundle.model, bundle.class_stats, digit, count, _seed(seed),
                                      _temperature(temperature))
    return pictures.upscale(pictures.tile(images, min(count, GENERATED_COLUMNS)), STRIP_SCALE)


def _seed(seed: object) -> int:
    return validation.bounded_int(seed, "seed", 0, MAX_SEED)


def _temperature(temperature: object) -> float:
    return validation.positive_float(temperature, "temperature", MAX_TEMPERATURE)


def _manifold(bundle: ModelBundle) -> np.ndarray:
    """The decoded manifold `(H, W)` in [0, 1] of a 2-D model."""
    return inference.latent_manifold(bundle.model, LATENT_SLIDER_RANGE, MANIFOLD_STEPS)


@functools.cache
def _digit_clusters(bundle: ModelBundle) -> DigitClusters | None:
    """The model's digit Gaussians measured on its test digits, built once; None without class or test statistics."""
    if bundle.class_stats is None or bundle.test_latents is None:
        return None
    return DigitClusters(bundle.class_stats, bundle.test_latents["posterior_mean"], bundle.test_latents["iwae_nll"])


@functools.cache
def _unmarked_map(bundle: ModelBundle) -> figures.MapPicture:
    """The 2-D model's latent map (test digits over its manifold), rendered once: slider steps only add marks."""
    test = bundle.test_latents or {}
    return figures.render(figures.latent_map(test.get("posterior_mean"), test.get("label"), _manifold(bundle)))
