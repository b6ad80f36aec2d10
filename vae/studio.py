"""One function per thing a person can do in the app: raw UI or API values and the model registry in, pictures and
text ready to show out. Every untrusted value is checked here (vae.validation) before it reaches the model.

Pictures are uint8 arrays `(H, W)` (or `(H, W, 3)` for the latent map), digits upscaled to crisp pixel blocks, each
with the file name it downloads under, which says what it is.
"""
import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vae import captions, figures, inference, pictures, validation
from vae.drawing import EmptyDrawing, preprocess_drawing, preprocess_upload
from vae.limits import (
    DEFAULT_GRID_COLUMNS, DEFAULT_GRID_ROWS, LATENT_SLIDER_RANGE, MANIFOLD_STEPS, MAX_GENERATED_DIGITS,
    MAX_GRID_COLUMNS, MAX_GRID_ROWS, MAX_INTERPOLATION_FRAMES, MAX_SEED, MAX_TEMPERATURE, POSTERIOR_SAMPLES,
)
from vae.refine import REFINE_STEPS
from vae.registry import ModelBundle, Registry
from vae.typicality import DigitClusters
from vae.validation import InputError

DIGIT_SCALE = 8
"""One 28×28 digit is shown at 224×224, each pixel a crisp block."""
STRIP_SCALE = 4
"""Strips of digits (posterior samples, interpolations, generated digits) at 112×112 per digit."""
GRID_SCALE = 2
"""Sample grids and the manifold at 56×56 per digit."""
GENERATED_COLUMNS = 8
STRIP_COLUMNS = 12
"""Interpolation frames per row: a long strip wraps into rows."""
DEFAULT_FRAMES, DEFAULT_GENERATED = 10, 16
GENERATE_TEMPERATURE = 0.8
"""Generate a digit's default: the judge reads the asked digit in 96.6% of vae-z32's samples at 0.8 (94.7% at 0.9,
91.8% at 1), keeping 92% of the variety at 1 (bench/sampler_quality.py)."""
MANIFOLD_SHAPE = tuple(GRID_SCALE * side for side in pictures.tiled_shape(MANIFOLD_STEPS, MANIFOLD_STEPS))
"""(H, W) of the manifold picture shown on the latent map tab."""
ENDPOINTS_DRAWINGS, ENDPOINTS_RANDOM = "my two drawings", "two random digits"
ENDPOINTS = [ENDPOINTS_DRAWINGS, ENDPOINTS_RANDOM]
FROM_PRIOR, FROM_LEARNED = "the prior N(0, I)", "the learned latent distribution"
SAMPLE_SOURCES = [FROM_PRIOR, FROM_LEARNED]
DIGITS = range(10)
NO_DRAWING = "Draw or upload a digit on the Draw tab first."
ACTIVE_KL = 0.01
"""Nats of KL per digit below which a latent dimension carries no information: the decoder ignores it."""


@dataclass(frozen=True)
class Picture:
    """A picture ready to show, and the file name it downloads under."""

    pixels: np.ndarray  # (H, W) or (H, W, 3) uint8
    name: str  # e.g. vae-z32-grid-seed0.png


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


def reconstruct_drawing(registry: Registry, drawing: object, model: object, upload_folder: Path | None = None,
                        refine: object = False) -> ReconstructionView:
    """A drawing (the pad's PNG data URL, or the Sketchpad form {background, layers, composite} whose files must lie
    in upload_folder) → what the model sees, reconstructs and scores."""
    bundle, refine = registry.get(model), validation.boolean(refine, "refine")  # the cheap checks before the drawing's
    return reconstruct_digit(registry, preprocess_drawing(drawing, upload_folder), bundle.name, refine)


def reconstruct_upload(registry: Registry, upload: object, upload_folder: Path, model: object,
                       refine: object = False) -> ReconstructionView:
    """An uploaded photo or scan (a file record in upload_folder) → what the model sees, reconstructs and scores."""
    bundle, refine = registry.get(model), validation.boolean(refine, "refine")
    return reconstruct_digit(registry, preprocess_upload(validation.uploaded_path(upload, upload_folder)), bundle.name,
                             refine)


def reconstruct_digit(registry: Registry, digit: np.ndarray, model: object, refine: object = False
                      ) -> ReconstructionView:
    """An MNIST-style digit `(28, 28)` → what the model sees, reconstructs and scores; with refine, through q(z|x)
    refined by REFINE_STEPS gradient steps on this digit (vae/refine.py)."""
    bundle = registry.get(model)
    refined = validation.boolean(refine, "refine")
    result = inference.reconstruct(bundle.model, digit, refine_steps=REFINE_STEPS if refined else 0)
    # where the drawing sits is read from the encoder's q: the typicality rule was calibrated there
    encoded = inference.reconstruct(bundle.model, digit) if refined else result
    clusters = digit_clusters(bundle)
    reading = clusters.read(encoded.posterior_mean, encoded.iwae_nll) if clusters else None
    samples = pictures.tile(result.posterior_samples, POSTERIOR_SAMPLES)
    tag = "-refined" if refined else ""
    return ReconstructionView(
        model_input=Picture(pictures.upscale(result.model_input, DIGIT_SCALE), "digit-28x28.png"),
        reconstruction=Picture(pictures.upscale(result.reconstruction, DIGIT_SCALE),
                               f"{bundle.name}-reconstruction{tag}.png"),
        posterior_samples=Picture(pictures.upscale(samples, STRIP_SCALE), f"{bundle.name}-posterior-samples{tag}.png"),
        posterior_chart=figures.posterior_chart(result.posterior_mean, result.posterior_std),
        scores=captions.reconstruction_summary(result, reading, (bundle.metrics or {}).get("test"),
                                               encoded if refined else None),
        digit=result.model_input,
    )


def decode(registry: Registry, values: object, model: object) -> Picture:
    """The digit decoded from the first z_dim slider values (the sliders past the model's z_dim are ignored)."""
    bundle = registry.get(model)
    z = validation.latent(values, bundle.model.z_dim, extra_ignored=True)
    return Picture(pictures.upscale(inference.decode(bundle.model, z)[0], DIGIT_SCALE), f"{bundle.name}-decoded.png")


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
    rows = validation.bounded_int(rows, "rows", 1, MAX_GRID_ROWS)
    columns = validation.bounded_int(columns, "columns", 1, MAX_GRID_COLUMNS)
    seed, temperature, binary = _seed(seed), _temperature(temperature), validation.boolean(binary, "binary")
    grid = inference.sample_grid(bundle.model, rows, columns, seed, temperature, binary, mixture)
    name = (f"{bundle.name}-grid-seed{seed}" + ("-learned" if mixture else "") + _temperature_tag(temperature)
            + ("-binary" if binary else "") + ".png")
    return Picture(pictures.upscale(grid, GRID_SCALE), name)


def latent_manifold(registry: Registry, model: object) -> Picture:
    """The 2-D model's decodes over the latent square (a click on it moves the map's point)."""
    bundle = registry.for_map(model)
    return Picture(pictures.upscale(_manifold(bundle), GRID_SCALE), f"{bundle.name}-manifold.png")


def latent_map(registry: Registry, z1: object, z2: object, model: object, digit: np.ndarray | None = None
               ) -> LatentMapView:
    """The latent plane (test digits, manifold, the point (z1, z2), the drawing's posterior) and the point's decode."""
    bundle = registry.for_map(model)
    z = validation.latent([z1, z2], 2)
    mean, std = inference.posterior(bundle.model, digit) if digit is not None else (None, None)
    plane = figures.mark_latent_map(_unmarked_map(bundle), z, mean, std)
    point = f"z1_{z[0]:+.2f}_z2_{z[1]:+.2f}"
    return LatentMapView(Picture(plane, f"{bundle.name}-latent-map-{point}.png"),
                         Picture(pictures.upscale(inference.decode(bundle.model, z)[0], DIGIT_SCALE),
                                 f"{bundle.name}-decoded-{point}.png"))


def manifold_click(x: object, y: object) -> np.ndarray:
    """The latent (z1, z2) `(2,)` under the clicked pixel (x, y) of the manifold picture."""
    return pictures.manifold_point(x, y, MANIFOLD_SHAPE, LATENT_SLIDER_RANGE, MANIFOLD_STEPS)


def plane_click(registry: Registry, x: object, y: object, model: object) -> np.ndarray:
    """The latent (z1, z2) `(2,)` under the clicked pixel (x, y) of the latent plane, clipped to the sliders' range;
    a click outside the plot is refused."""
    picture = _unmarked_map(registry.for_map(model))
    left, top, right, bottom = picture.plot_box
    x, y = (validation.bounded_int(v, name, 0, side - 1) for v, name, side in
            ((x, "x", picture.pixels.shape[1]), (y, "y", picture.pixels.shape[0])))
    if not (left <= x < right and top <= y < bottom):
        raise InputError("Click inside the plot of the latent plane to move the point there.")
    return inference.slider_latent(picture.to_latent(np.array([x, y])))


def interpolate(registry: Registry, start: object = None, end: object = None, endpoints: object = ENDPOINTS_RANDOM,
                frames: object = DEFAULT_FRAMES, seed: object = 0, model: object = None,
                upload_folder: Path | None = None) -> Picture:
    """A strip of decodes (wrapping into rows of STRIP_COLUMNS) along the line between two drawings' posterior means,
    or two random latents; the drawings as reconstruct_drawing takes them."""
    bundle = registry.get(model)
    endpoints = validation.choice(endpoints, "endpoints", ENDPOINTS)
    frames = validation.bounded_int(frames, "frames", 2, MAX_INTERPOLATION_FRAMES)
    if endpoints == ENDPOINTS_RANDOM:
        seed = _seed(seed)
        ends, name = inference.random_latents(bundle.model, 2, seed), f"{bundle.name}-interpolation-seed{seed}.png"
    else:
        ends = [inference.posterior_mean(bundle.model, _drawing_on(pad, drawing, upload_folder))
                for pad, drawing in (("start", start), ("end", end))]
        name = f"{bundle.name}-interpolation.png"
    strip = inference.interpolate(bundle.model, *ends, frames)
    return Picture(pictures.upscale(pictures.tile(strip, STRIP_COLUMNS), STRIP_SCALE), name)


def generate_digit(registry: Registry, digit: object = 0, count: object = DEFAULT_GENERATED, seed: object = 0,
                   temperature: object = GENERATE_TEMPERATURE, model: object = None) -> Picture:
    """count decodes of latents drawn from the digit's latent Gaussian (class_stats.json shipped with the weights)."""
    bundle = registry.get(model)
    if bundle.class_stats is None:
        raise InputError("this model has no class statistics, so it cannot generate a chosen digit")
    digit = validation.bounded_int(digit, "digit", DIGITS[0], DIGITS[-1])
    if str(digit) not in bundle.class_stats["classes"]:
        raise InputError(f"this model's class statistics have no digit {digit}")
    count = validation.bounded_int(count, "count", 1, MAX_GENERATED_DIGITS)
    seed, temperature = _seed(seed), _temperature(temperature)
    images = inference.generate_digit(bundle.model, bundle.class_stats, digit, count, seed, temperature)
    return Picture(pictures.upscale(pictures.tile(images, min(count, GENERATED_COLUMNS)), STRIP_SCALE),
                   f"{bundle.name}-digit{digit}-seed{seed}{_temperature_tag(temperature)}.png")


def _drawing_on(pad: str, drawing: object, upload_folder: Path | None) -> np.ndarray:
    """The MNIST-style digit `(28, 28)` drawn on the Interpolate pad named pad ("start", "end"); a refusal names it."""
    try:
        return preprocess_drawing(drawing, upload_folder)
    except EmptyDrawing:
        raise InputError(f"The {pad} digit's pad is empty: draw a digit on it, or interpolate between two random "
                         "digits.") from None
    except InputError as error:
        raise InputError(f"The {pad} digit: {error}") from None


def _temperature_tag(temperature: float) -> str:
    """'-t0.8' for a file name, '' at the default temperature 1."""
    return "" if temperature == 1 else f"-t{temperature:g}"


def _seed(seed: object) -> int:
    return validation.bounded_int(seed, "seed", 0, MAX_SEED)


def _temperature(temperature: object) -> float:
    return validation.positive_float(temperature, "temperature", MAX_TEMPERATURE)


def _manifold(bundle: ModelBundle) -> np.ndarray:
    """The decoded manifold `(H, W)` in [0, 1] of a 2-D model."""
    return inference.latent_manifold(bundle.model, LATENT_SLIDER_RANGE, MANIFOLD_STEPS)


@functools.cache
def digit_clusters(bundle: ModelBundle) -> DigitClusters | None:
    """The model's digit Gaussians measured on its test digits, built once; None without class or test statistics."""
    if bundle.class_stats is None or bundle.test_latents is None:
        return None
    return DigitClusters(bundle.class_stats, bundle.test_latents["posterior_mean"], bundle.test_latents["iwae_nll"])


@functools.cache
def _unmarked_map(bundle: ModelBundle) -> figures.MapPicture:
    """The 2-D model's latent map (test digits over its manifold), rendered once: slider steps only add marks."""
    test = bundle.test_latents or {}
    return figures.render(figures.latent_map(test.get("posterior_mean"), test.get("label"), _manifold(bundle)))
