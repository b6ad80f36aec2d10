"""What the app asks of a trained VAE, on numpy: encode a digit, decode latents, sample. Checked values in.

Scores are in nats on the binarised drawing (x > 0.5), like the binary test set the model is measured on.
Every random draw comes from a torch.Generator the caller seeds, so the same call gives the same picture.
vae.studio checks what people send before it reaches these functions.
"""
from dataclasses import dataclass

import numpy as np
import torch

from vae import pictures, validation
from vae.bounds import kl_normal, negative_iwae, sample_gaussian
from vae.latent_stats import sample_class_latents
from vae.mixture import LatentMixture
from vae.limits import (
    APP_IWAE_K, LATENT_SLIDER_RANGE, MAX_IWAE_K, MAX_POSTERIOR_SAMPLES, MAX_REFINE_STEPS, MAX_SEED, POSTERIOR_SAMPLES,
)
from vae.model import VAE
from vae.refine import refine_posterior


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
    refine_steps: int  # gradient steps taken on q(z|x) after the encoder (0: the encoder's q)


@torch.no_grad()
def reconstruct(model: VAE, image28: np.ndarray, iwae_k: int = APP_IWAE_K, n_samples: int = POSTERIOR_SAMPLES,
                seed: int = 0, refine_steps: int = 0) -> Reconstruction:
    """Encode the binarised image `(28, 28)`, decode its posterior mean and samples, and score it.

    One batch of max(iwae_k, n_samples) posterior draws serves both the IWAE-k estimate and the
    pictures; KL is exact (closed form) and Rec averages the k draws, so NELBO = KL + Rec is stable.
    With refine_steps, q(z|x) is the encoder's refined by that many gradient steps (vae/refine.py).
    """
    iwae_k = validation.bounded_int(iwae_k, "iwae_k", 1, MAX_IWAE_K)
    n_samples = validation.bounded_int(n_samples, "n_samples", 0, MAX_POSTERIOR_SAMPLES)
    seed = validation.bounded_int(seed, "seed", 0, MAX_SEED)
    refine_steps = validation.bounded_int(refine_steps, "refine_steps", 0, MAX_REFINE_STEPS)
    image = validation.digit_image(image28)
    x = _binarised(image)
    mean, var = refine_posterior(model, x, refine_steps, generator=generator(seed))  # (1, z_dim) each
    draws = max(iwae_k, n_samples)
    z = sample_gaussian(mean.expand(draws, *mean.shape), var.expand(draws, *var.shape), generator(seed))  # (draws, 1, z)
    logits = model.decode(torch.cat([mean[None], z]))  # (1 + draws, 1, 784)
    log_px_z, log_q_minus_p = model.log_weight_terms(x, z[:iwae_k], logits[1:iwae_k + 1], mean, var)  # (k, 1) each
    iwae_nll = negative_iwae(log_px_z, log_q_minus_p).item()
    kl = kl_normal(mean, var, model.prior_mean, model.prior_var).item()
    rec = -log_px_z.mean().item()
    images = pictures.digits(torch.sigmoid(logits).numpy())
    return Reconstruction(
        model_input=image, reconstruction=images[0], posterior_samples=images[1:n_samples + 1],
        posterior_mean=mean[0].numpy(), posterior_std=var[0].sqrt().numpy(),
        nelbo=kl + rec, kl=kl, rec=rec, iwae_nll=iwae_nll, iwae_k=iwae_k, refine_steps=refine_steps,
    )


@torch.no_grad()
def posterior(model: VAE, image28: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and std, each `(z_dim,)`, of q(z | binarised image `(28, 28)`), as reconstruct reports them."""
    mean, var = model.encode(_binarised(validation.digit_image(image28)))
    return mean[0].numpy(), var[0].sqrt().numpy()


def posterior_mean(model: VAE, image28: np.ndarray) -> np.ndarray:
    """Mean `(z_dim,)` of q(z | binarised image `(28, 28)`), as reconstruct reports it."""
    return posterior(model, image28)[0]


@torch.no_grad()
def decode(model: VAE, z: np.ndarray) -> np.ndarray:
    """Bernoulli means `(n, 28, 28)` of p(x|z) for latents z `(n, z_dim)` (or one latent `(z_dim,)`)."""
    return pictures.digits(torch.sigmoid(model.decode(torch.as_tensor(z, dtype=torch.float32))).numpy())


def random_latents(model: VAE, count: int, seed: int | None) -> np.ndarray:
    """count prior draws `(count, z_dim)` from one seed (so every valid seed serves), clipped to the sliders'
    range; seed None draws fresh randomness."""
    rng = torch.Generator()
    if seed is None:
        rng.seed()
    else:
        rng.manual_seed(seed)
    return slider_latent(model.sample_z(count, generator=rng).numpy())


def slider_latent(z: np.ndarray) -> np.ndarray:
    """A latent `(..., z_dim)` as float32 clipped to ±LATENT_SLIDER_RANGE, so that the sliders can show it."""
    return np.clip(np.asarray(z, dtype=np.float32), -LATENT_SLIDER_RANGE, LATENT_SLIDER_RANGE)


@torch.no_grad()
def sample_grid(model: VAE, rows: int, columns: int, seed: int, temperature: float = 1.0, binary: bool = False,
                mixture: LatentMixture | None = None) -> np.ndarray:
    """rows × columns samples tiled into one `(H, W)` picture; the seed's 10×20 prior grid is samples.png.

    z comes from the prior N(0, T² I), or from a learned latent mixture when one is given. binary=False shows
    Bernoulli means (the usual picture), True shows true binary samples x ~ p(x|z).
    """
    rng = generator(seed)
    n = rows * columns
    z = model.sample_z(n, temperature, rng) if mixture is None else mixture.sample(n, temperature, rng)
    pixels = torch.sigmoid(model.decode(z))
    if binary:
        pixels = torch.bernoulli(pixels, generator=rng)
    return pictures.tile(pictures.digits(pixels.numpy()), columns)


def interpolate(model: VAE, z_start: np.ndarray, z_end: np.ndarray, frames: int) -> np.ndarray:
    """Decodes `(frames, 28, 28)` along the straight line from z_start to z_end `(z_dim,)` (both ends included)."""
    weights = np.linspace(0, 1, frames, dtype=np.float32)[:, None]
    return decode(model, (1 - weights) * z_start + weights * z_end)


def generate_digit(model: VAE, class_stats: dict, digit: int, count: int, seed: int,
                   temperature: float = 1.0) -> np.ndarray:
    """Decodes `(count, 28, 28)` of latents drawn from the digit's Gaussian fit in class_stats."""
    return decode(model, sample_class_latents(class_stats, digit, count, temperature, generator(seed)))


def latent_manifold(model: VAE, extent: float, steps: int) -> np.ndarray:
    """Decodes of a steps × steps grid over [-extent, extent]² of a 2-D model tiled into `(H, W)`: rows z2 from
    +extent down, columns z1 up."""
    z1_values, z2_values = pictures.manifold_axes(extent, steps)
    z1, z2 = np.meshgrid(z1_values, z2_values)
    return pictures.tile(decode(model, np.stack([z1, z2], axis=-1).reshape(-1, 2)), steps)


def generator(seed: int) -> torch.Generator:
    """A torch.Generator seeded with seed (0 ≤ seed < 2⁶⁴)."""
    return torch.Generator().manual_seed(seed)


def _binarised(image: np.ndarray) -> torch.Tensor:
    """Binary pixels `(1, 784)`: x > 0.5, as the binary test set the scores compare with."""
    return torch.from_numpy(image > 0.5).float().reshape(1, -1)
