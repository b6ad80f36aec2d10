"""What the app knows of a model's latent space, saved beside its weights.

class_stats.json: a Gaussian fit (mean, covariance) of the posterior means of each digit over the
training set, for "generate a digit d". test_latents.safetensors: each test digit's posterior
mean, label and IWAE NLL, for the latent map and for ranking a drawing against real digits.
"""
import json
from pathlib import Path

import safetensors.torch
import torch

from vae.bounds import kl_normal_per_dimension
from vae.model import VAE

CLASS_STATS_NAME = "class_stats.json"
TEST_LATENTS_NAME = "test_latents.safetensors"


@torch.no_grad()
def posterior_means(model: VAE, x: torch.Tensor, batch_size: int = 2000) -> torch.Tensor:
    """Posterior means `(n, z_dim)` of x `(n, 784)`."""
    return torch.cat([model.encode(batch)[0] for batch in x.split(batch_size)])


@torch.no_grad()
def kl_per_dimension(model: VAE, x: torch.Tensor, batch_size: int = 2000) -> torch.Tensor:
    """Mean KL(q(z_i|x) ‖ p(z_i)) of each latent dimension `(z_dim,)` over x `(n, 784)`, in nats: how much
    information each dimension carries (near 0: the decoder ignores it)."""
    total = torch.zeros(model.z_dim, dtype=torch.float64, device=x.device)
    for batch in x.split(batch_size):
        mean, var = model.encode(batch)
        total += kl_normal_per_dimension(mean, var, model.prior_mean, model.prior_var).sum(0).double()
    return (total / len(x)).float().cpu()


def order_by_kl(model: VAE, x: torch.Tensor) -> list[float]:
    """Renumber model's latent dimensions by decreasing KL over x `(n, 784)` (z1 carries the most); return the KLs
    `(z_dim,)` in the new order."""
    kl = kl_per_dimension(model, x)
    order = torch.argsort(kl, descending=True, stable=True).tolist()
    model.permute_latents(order)
    return kl[order].tolist()


def class_statistics(means: torch.Tensor, labels: torch.Tensor) -> dict:
    """Mean `(z_dim,)` and covariance `(z_dim, z_dim)` of the posterior means `(n, z_dim)` of each digit."""
    means = means.double()
    z_dim = means.shape[1]
    stats = {}
    for digit in labels.unique().tolist():
        z = means[labels == digit]
        stats[str(digit)] = {"count": len(z), "mean": z.mean(0).tolist(), "cov": torch.cov(z.T).reshape(z_dim, z_dim).tolist()}
    return {"z_dim": z_dim, "classes": stats}


def save_class_statistics(stats: dict, folder: Path) -> None:
    """Write class_stats.json beside the weights."""
    (Path(folder) / CLASS_STATS_NAME).write_text(json.dumps(stats, indent=1))


def load_class_statistics(folder: Path) -> dict:
    """Read class_stats.json from a weights folder."""
    return json.loads((Path(folder) / CLASS_STATS_NAME).read_text())


def sample_class_latents(stats: dict, digit: int, n: int, temperature: float = 1.0,
                         generator: torch.Generator | None = None) -> torch.Tensor:
    """n latents `(n, z_dim)` from N(mean_d, temperature² cov_d), the digit's Gaussian fit."""
    entry = stats["classes"][str(digit)]
    mean, cov = torch.tensor(entry["mean"]), torch.tensor(entry["cov"])
    jitter = 1e-6 * torch.eye(len(mean), dtype=cov.dtype)
    chol = torch.linalg.cholesky(cov + jitter)
    eps = torch.randn(n, len(mean), generator=generator, dtype=cov.dtype)
    return (mean + temperature * eps @ chol.T).float()


def save_test_latents(model: VAE, x: torch.Tensor, labels: torch.Tensor, nll: torch.Tensor, folder: Path) -> None:
    """Write test_latents.safetensors: posterior_mean `(n, z_dim)`, label `(n,)`, iwae_nll `(n,)`."""
    tensors = {"posterior_mean": posterior_means(model, x), "label": labels.to(torch.int64), "iwae_nll": nll.float()}
    safetensors.torch.save_file({k: v.contiguous() for k, v in tensors.items()}, str(Path(folder) / TEST_LATENTS_NAME))


def load_test_latents(folder: Path) -> dict[str, torch.Tensor]:
    """Read test_latents.safetensors from a weights folder."""
    return safetensors.torch.load_file(str(Path(folder) / TEST_LATENTS_NAME))
