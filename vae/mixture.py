"""A learned latent distribution to sample from: a full-covariance Gaussian mixture fitted, without labels, to the
training digits' posterior means (ex-post density estimation, Ghosh et al., ICLR 2020; the second stage of Dai &
Wipf's two-stage VAE, ICLR 2019).

The VAE's aggregate posterior does not fill its N(0, I) prior, so prior samples often fall between digits; samples
from this mixture land where real digits' codes do. Its number of components is the one of COMPONENT_CHOICES with
the best held-out likelihood; the ten digit Gaussians of class_stats.json, as a mixture weighted by class frequency,
are the baseline it is measured against. Saved beside the weights as latent_mixture.safetensors (weights, means,
Cholesky factors; the fit's figures as metadata), no pickle. Fitting needs scikit-learn (training only); sampling
is torch.
"""
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import safetensors.torch
import torch

MIXTURE_NAME = "latent_mixture.safetensors"
COMPONENT_CHOICES = (10, 25, 50, 100)
HELD_OUT_SHARE = 0.1
"""Share of the training digits kept out of each candidate fit to score it."""
COVARIANCE_FLOOR = 1e-4
"""Added to every covariance's diagonal (scikit-learn's reg_covar): no component collapses onto a few codes."""


@dataclass
class LatentMixture:
    """A Gaussian mixture over the latent space: weights `(K,)`, means `(K, z_dim)`, lower Cholesky factors of the
    covariances `(K, z_dim, z_dim)`, and the fit's figures."""

    weights: torch.Tensor
    means: torch.Tensor
    scale_trils: torch.Tensor
    report: dict

    def sample(self, n: int, temperature: float = 1.0, generator: torch.Generator | None = None) -> torch.Tensor:
        """n latents `(n, z_dim)`: a component drawn by weight, then z = mean + temperature · L ε."""
        components = torch.multinomial(self.weights, n, replacement=True, generator=generator)
        eps = torch.randn(n, self.means.shape[1], generator=generator, dtype=self.means.dtype)
        return self.means[components] + temperature * (self.scale_trils[components] @ eps[:, :, None])[:, :, 0]


def fit_mixture(codes: np.ndarray, labels: np.ndarray, seed: int = 0,
                choices: tuple[int, ...] = COMPONENT_CHOICES) -> LatentMixture:
    """Fit the mixture to posterior means `(n, z_dim)` (labels `(n,)` only score the class-Gaussian baseline): each
    candidate size of choices on 90% of them, scored on the rest; the best size refitted on all."""
    from sklearn.mixture import GaussianMixture  # training-time dependency only

    codes = np.asarray(codes, dtype=np.float64)
    held_out = np.random.default_rng(seed).random(len(codes)) < HELD_OUT_SHARE

    def fitted(components: int, data: np.ndarray) -> GaussianMixture:
        return GaussianMixture(components, covariance_type="full", reg_covar=COVARIANCE_FLOOR, random_state=seed,
                               max_iter=200).fit(data)

    scores = {k: float(fitted(k, codes[~held_out]).score(codes[held_out])) for k in choices}
    best = max(scores, key=scores.get)
    gmm = fitted(best, codes)
    report = {"components": best, "held_out_log_likelihood": {str(k): score for k, score in scores.items()},
              "class_gaussians_held_out_log_likelihood": class_gaussians_score(codes[~held_out], labels[~held_out],
                                                                               codes[held_out]),
              "fitted_on": len(codes), "seed": seed}
    return LatentMixture(torch.from_numpy(gmm.weights_).float(), torch.from_numpy(gmm.means_).float(),
                         torch.linalg.cholesky(torch.from_numpy(gmm.covariances_)).float(), report)


def class_gaussians_score(codes: np.ndarray, labels: np.ndarray, held_out: np.ndarray) -> float:
    """Mean log-likelihood of held_out `(m, z_dim)` under one Gaussian per label fitted to codes `(n, z_dim)`,
    mixed by label frequency: the baseline a learned mixture must beat."""
    digits = np.unique(labels)
    weights = torch.tensor([np.mean(labels == d) for d in digits], dtype=torch.float64)
    means = torch.tensor(np.stack([codes[labels == d].mean(0) for d in digits]))
    covariances = torch.tensor(np.stack([np.cov(codes[labels == d].T) for d in digits]))
    covariances += COVARIANCE_FLOOR * torch.eye(codes.shape[1], dtype=torch.float64)
    components = torch.distributions.MultivariateNormal(means, covariance_matrix=covariances)
    mixture = torch.distributions.MixtureSameFamily(torch.distributions.Categorical(weights), components)
    return float(mixture.log_prob(torch.from_numpy(held_out)).mean())


def save_mixture(mixture: LatentMixture, folder: Path) -> None:
    """Write latent_mixture.safetensors beside the weights."""
    tensors = {"weights": mixture.weights, "means": mixture.means, "scale_trils": mixture.scale_trils}
    safetensors.torch.save_file({k: v.contiguous() for k, v in tensors.items()}, str(Path(folder) / MIXTURE_NAME),
                                metadata={"report": json.dumps(mixture.report)})


def load_mixture(folder: Path) -> LatentMixture:
    """Read latent_mixture.safetensors from a model folder."""
    path = str(Path(folder) / MIXTURE_NAME)
    with safetensors.safe_open(path, framework="pt") as f:
        report = json.loads(f.metadata()["report"])
        tensors = {name: f.get_tensor(name) for name in f.keys()}
    return LatentMixture(tensors["weights"], tensors["means"], tensors["scale_trils"], report)
