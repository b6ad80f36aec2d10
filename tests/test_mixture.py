"""The learned latent distribution: a Gaussian mixture fitted to posterior means, chosen by held-out likelihood,
saved without pickle, sampled reproducibly, and served by the sample grid."""
import numpy as np
import pytest
import torch

from vae.inference import sample_grid
from vae.mixture import class_gaussians_score, fit_mixture, load_mixture, save_mixture
from vae.model import VAE

CENTRES = np.array([[-6.0, 0.0], [6.0, 0.0], [0.0, 6.0]])


def clustered_codes(n: int = 1500, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """n codes in three tight clusters (labels 0, 1, 2), like digits' posterior means."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % 3
    return CENTRES[labels] + 0.3 * rng.standard_normal((n, 2)), labels


@pytest.fixture(scope="module")
def mixture():
    codes, labels = clustered_codes()
    return fit_mixture(codes, labels, seed=0, choices=(1, 3))


def test_the_size_with_the_best_held_out_likelihood_is_chosen(mixture):
    scores = mixture.report["held_out_log_likelihood"]
    assert mixture.report["components"] == 3 and scores["3"] > scores["1"]
    assert mixture.report["class_gaussians_held_out_log_likelihood"] == pytest.approx(scores["3"], abs=0.2)
    assert mixture.weights.shape == (3,) and mixture.means.shape == (3, 2) and mixture.scale_trils.shape == (3, 2, 2)


def test_samples_land_in_the_clusters_in_proportion(mixture):
    z = mixture.sample(3000, generator=torch.Generator().manual_seed(0)).numpy()
    nearest = np.argmin(((z[:, None, :] - CENTRES) ** 2).sum(-1), axis=1)
    assert np.abs(np.bincount(nearest, minlength=3) / 3000 - 1 / 3).max() < 0.05
    assert np.linalg.norm(z - CENTRES[nearest], axis=1).mean() < 0.6
    cold = mixture.sample(3000, temperature=0.1, generator=torch.Generator().manual_seed(0)).numpy()
    assert np.linalg.norm(cold - CENTRES[nearest], axis=1).mean() < 0.1  # same components, spread scaled by T
    again = mixture.sample(5, generator=torch.Generator().manual_seed(1))
    torch.testing.assert_close(again, mixture.sample(5, generator=torch.Generator().manual_seed(1)))


def test_the_class_gaussians_baseline_scores_held_out_codes():
    codes, labels = clustered_codes()
    assert class_gaussians_score(codes, labels, CENTRES) > class_gaussians_score(codes, labels, -CENTRES)


def test_a_saved_mixture_loads_as_it_was(mixture, tmp_path):
    save_mixture(mixture, tmp_path)
    loaded = load_mixture(tmp_path)
    for name in ("weights", "means", "scale_trils"):
        torch.testing.assert_close(getattr(loaded, name), getattr(mixture, name))
    assert loaded.report == mixture.report


def test_the_grid_samples_from_the_mixture_when_given_one(mixture):
    torch.manual_seed(0)
    model = VAE(z_dim=2, hidden_dims=[16]).eval()
    learned = sample_grid(model, 2, 3, seed=5, mixture=mixture)
    assert np.array_equal(learned, sample_grid(model, 2, 3, seed=5, mixture=mixture))
    assert not np.array_equal(learned, sample_grid(model, 2, 3, seed=5))
