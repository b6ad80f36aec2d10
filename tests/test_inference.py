"""What the app asks of a VAE, on small random VAEs: agreement with the model's own bounds, reproducibility, layout."""
import numpy as np
import pytest
import torch
from PIL import Image
from torchvision.utils import make_grid

from vae.inference import (
    decode, generate_digit, interpolate, latent_manifold, posterior, posterior_mean, random_latents, reconstruct,
    sample_grid, slider_latent,
)
from vae.limits import LATENT_SLIDER_RANGE, MAX_IWAE_K, MAX_REFINE_STEPS, MAX_SEED, MAX_TEMPERATURE
from vae.model import VAE
from vae.pictures import GRID_CELL, GRID_PADDING
from vae.report import save_sample_grid
from vae.validation import InputError

CELL = GRID_CELL
ESTIMATE_TOLERANCE = 3.0
"""Nats; one seeded estimate's spread on these models is about 0.7 nats."""


def small_vae(z_dim: int) -> VAE:
    torch.manual_seed(z_dim)
    return VAE(z_dim=z_dim, hidden_dims=[32]).eval()


@pytest.fixture(scope="module")
def model() -> VAE:
    return small_vae(10)


@pytest.fixture(scope="module")
def plane_model() -> VAE:
    return small_vae(2)


@pytest.fixture(scope="module")
def digit() -> np.ndarray:
    """A grey '1' with a serif: some pixels above and some below the 0.5 binarisation threshold."""
    image = np.zeros((28, 28), dtype=np.float32)
    image[4:24, 13:16] = 0.9
    image[4:7, 10:13] = 0.4
    return image


def decoded(model: VAE, z) -> np.ndarray:
    """The model's own Bernoulli means `(n, 28, 28)` for latents z `(n, z_dim)`."""
    with torch.no_grad():
        return torch.sigmoid(model.decode(torch.as_tensor(np.asarray(z), dtype=torch.float32))).reshape(-1, 28, 28).numpy()


def cell(grid: np.ndarray, row: int, column: int) -> np.ndarray:
    """The 28×28 tile at (row, column) of a padded grid picture."""
    top, left = GRID_PADDING + row * CELL, GRID_PADDING + column * CELL
    return grid[top:top + 28, left:left + 28]


def test_reconstruction_uses_the_binarised_input_posterior(model, digit):
    result = reconstruct(model, digit, n_samples=5)
    binary = torch.from_numpy(digit > 0.5).float().reshape(1, -1)
    with torch.no_grad():
        mean, var = model.encode(binary)
    assert np.allclose(result.posterior_mean, mean[0].numpy(), atol=1e-6)
    assert np.allclose(result.posterior_std, var[0].sqrt().numpy(), atol=1e-6)
    assert np.allclose(result.reconstruction, decoded(model, mean)[0], atol=1e-6)
    assert np.array_equal(result.model_input, digit)
    assert result.posterior_samples.shape == (5, 28, 28)
    assert result.posterior_samples.dtype == np.float32
    assert not np.allclose(result.posterior_samples[0], result.posterior_samples[1])
    assert np.array_equal(posterior_mean(model, digit), result.posterior_mean)
    mean, std = posterior(model, digit)
    assert np.array_equal(mean, result.posterior_mean) and np.array_equal(std, result.posterior_std)


def test_scores_agree_with_the_models_own_bounds(model, digit):
    result = reconstruct(model, digit, iwae_k=100)
    binary = torch.from_numpy(digit > 0.5).float().reshape(1, -1)
    torch.manual_seed(0)
    with torch.no_grad():
        nelbo, kl, _ = model.negative_elbo_bound(binary.expand(2000, -1))  # mean of 2000 one-sample estimates
        niwae = np.mean([model.negative_iwae_bound(binary, 100)[0].item() for _ in range(10)])
    assert result.kl == pytest.approx(kl.item(), abs=1e-4)
    assert result.nelbo == pytest.approx(result.kl + result.rec)
    assert result.nelbo == pytest.approx(nelbo.item(), abs=ESTIMATE_TOLERANCE)
    assert result.iwae_nll == pytest.approx(niwae, abs=ESTIMATE_TOLERANCE)
    assert result.iwae_k == 100


def test_reconstruct_is_reproducible_per_seed(model, digit):
    first, again, other = (reconstruct(model, digit, seed=seed) for seed in (1, 1, 2))
    assert first.iwae_nll == again.iwae_nll and np.array_equal(first.posterior_samples, again.posterior_samples)
    assert first.iwae_nll != other.iwae_nll


@pytest.mark.parametrize("kwargs, message", [
    ({"iwae_k": 0}, "iwae_k must be between 1"),
    ({"iwae_k": MAX_IWAE_K + 1}, "iwae_k must be between 1"),
    ({"n_samples": -1}, "n_samples"),
    ({"seed": -1}, "seed"),
    ({"seed": 0.5}, "seed must be a whole number"),
    ({"seed": MAX_SEED + 1}, "seed must be between 0"),
    ({"refine_steps": -1}, "refine_steps must be between 0"),
    ({"refine_steps": MAX_REFINE_STEPS + 1}, "refine_steps must be between 0"),
])
def test_reconstruct_refuses_out_of_range_settings(model, digit, kwargs, message):
    with pytest.raises(InputError, match=message):
        reconstruct(model, digit, **kwargs)


@pytest.mark.parametrize("image", [np.zeros((20, 20)), np.full((28, 28), np.nan)])
def test_reconstruct_refuses_images_that_are_not_28x28_finite(model, image):
    with pytest.raises(InputError):
        reconstruct(model, image)


def test_decode_is_the_bernoulli_mean(model):
    z = np.linspace(-2, 2, 20, dtype=np.float32).reshape(2, 10)
    images = decode(model, z)
    assert images.shape == (2, 28, 28) and images.dtype == np.float32
    assert np.allclose(images, decoded(model, z), atol=1e-6)
    assert np.allclose(decode(model, z[1]), images[1:], atol=1e-6)


def test_random_latents_are_seeded_and_within_the_slider_range(model):
    assert np.array_equal(random_latents(model, 2, 7), random_latents(model, 2, 7))
    assert not np.array_equal(random_latents(model, 2, 7), random_latents(model, 2, 8))
    draws = random_latents(model, 200, 0)
    assert draws.shape == (200, 10) and draws.dtype == np.float32
    assert np.abs(draws).max() == LATENT_SLIDER_RANGE  # some of 2000 N(0, 1) values exceed 3 and are clipped
    assert not np.array_equal(random_latents(model, 1, None), random_latents(model, 1, None))


def test_sample_grid_layout_reproducibility_and_white_lines(model):
    grid = sample_grid(model, 3, 5, seed=4)
    assert grid.shape == (GRID_PADDING + 3 * CELL, GRID_PADDING + 5 * CELL) and grid.dtype == np.float32
    assert np.array_equal(grid, sample_grid(model, 3, 5, seed=4))
    assert not np.array_equal(grid, sample_grid(model, 3, 5, seed=5))
    assert (grid[:GRID_PADDING] == 1).all() and (grid[:, CELL:CELL + GRID_PADDING] == 1).all()
    expected = decoded(model, model.sample_z(15, generator=torch.Generator().manual_seed(4)))
    assert np.allclose(cell(grid, 1, 2), expected[7], atol=1e-6)


def test_sample_grid_binary_and_temperature(model):
    binary = sample_grid(model, 2, 2, seed=0, binary=True)
    assert set(np.unique(cell(binary, 0, 0))) <= {0.0, 1.0}
    cold, hot = (sample_grid(model, 4, 4, seed=0, temperature=t) for t in (0.1, MAX_TEMPERATURE))
    prior_mean = decoded(model, np.zeros((1, 10)))[0]
    assert np.abs(cell(cold, 0, 0) - prior_mean).mean() < np.abs(cell(hot, 0, 0) - prior_mean).mean()


def test_samples_png_is_the_seeds_200_samples_in_a_10_by_20_make_grid(model, tmp_path):
    save_sample_grid(model, tmp_path / "samples.png", seed=3)
    written = np.asarray(Image.open(tmp_path / "samples.png").convert("L"), dtype=np.float32)
    samples = model.sample(200, generator=torch.Generator().manual_seed(3)).reshape(-1, 1, 28, 28)
    expected = make_grid(samples, nrow=20, padding=2, pad_value=1.0)[0].numpy()
    assert written.shape == expected.shape == (10 * 30 + 2, 20 * 30 + 2)
    assert np.abs(written - np.round(expected * 255)).max() <= 1


def test_interpolation_runs_linearly_from_start_to_end(model):
    start, end = np.full(10, -1.0), np.full(10, 2.0)
    frames = interpolate(model, start, end, 4)
    assert frames.shape == (4, 28, 28)
    assert np.allclose(frames, decoded(model, [start, start + 1, start + 2, end]), atol=1e-6)


def fake_class_stats(z_dim: int, spread: float = 1e-4) -> dict:
    """Digit d's latents cluster tightly around (d, d, ...)."""
    return {"z_dim": z_dim, "classes": {str(d): {"count": 1, "mean": [float(d)] * z_dim,
                                                 "cov": (spread * np.eye(z_dim)).tolist()} for d in range(10)}}


def test_generate_digit_decodes_draws_from_the_digits_gaussian(model):
    images = generate_digit(model, fake_class_stats(10), digit=3, count=4, seed=1)
    assert images.shape == (4, 28, 28)
    assert np.allclose(images, decoded(model, np.full((4, 10), 3.0)), atol=0.05)
    assert np.array_equal(images, generate_digit(model, fake_class_stats(10), 3, 4, seed=1))
    spread = generate_digit(model, fake_class_stats(10, spread=1.0), 3, 4, seed=1)
    assert not np.allclose(spread[0], spread[1], atol=0.05)


def test_latent_manifold_corners_and_orientation(plane_model):
    grid = latent_manifold(plane_model, extent=2.0, steps=5)
    assert grid.shape == (GRID_PADDING + 5 * CELL,) * 2
    corners = decoded(plane_model, [[-2.0, 2.0], [2.0, 2.0], [-2.0, -2.0]])
    assert np.allclose(cell(grid, 0, 0), corners[0], atol=1e-6)  # top left: z1 = -extent, z2 = +extent
    assert np.allclose(cell(grid, 0, 4), corners[1], atol=1e-6)
    assert np.allclose(cell(grid, 4, 0), corners[2], atol=1e-6)


def test_slider_latent_clips_to_the_slider_range():
    z = slider_latent(np.array([-7.5, -1.0, 0.5, 4.0], dtype=np.float64))
    assert z.dtype == np.float32
    assert z.tolist() == [-LATENT_SLIDER_RANGE, -1.0, 0.5, LATENT_SLIDER_RANGE]
