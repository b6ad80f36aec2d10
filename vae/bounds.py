"""Probability building blocks of the VAE bounds (Kingma & Welling 2014; Burda et al. 2016).

Every function but the per-dimension KL reduces over the last (feature) axis and keeps the leading batch axes, so
`(batch, dim)` in gives `(batch,)` out and `(k, batch, dim)` gives `(k, batch)`.
"""
import math

import torch
import torch.nn.functional as F

LOG_2PI = math.log(2 * math.pi)


def sample_gaussian(mean: torch.Tensor, var: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Reparameterised draw z = mean + sqrt(var)·ε, ε ~ N(0, I); gradients flow to mean and var.

    The one reparameterisation of training, evaluation and the app; the app seeds ε with its own generator.
    """
    eps = torch.randn(mean.shape, generator=generator, device=mean.device, dtype=mean.dtype)
    return mean + var.sqrt() * eps


def log_normal(x: torch.Tensor, mean: torch.Tensor, var: torch.Tensor) -> torch.Tensor:
    """log N(x; mean, diag(var)), summed over the last axis."""
    return -0.5 * (LOG_2PI + var.log() + (x - mean).pow(2) / var).sum(-1)


def kl_normal_per_dimension(qm: torch.Tensor, qv: torch.Tensor, pm: torch.Tensor, pv: torch.Tensor) -> torch.Tensor:
    """Closed-form KL(N(qm, qv) ‖ N(pm, pv)) of diagonal Gaussians, one term per dimension (not summed)."""
    return 0.5 * (pv.log() - qv.log() + (qv + (qm - pm).pow(2)) / pv - 1)


def kl_normal(qm: torch.Tensor, qv: torch.Tensor, pm: torch.Tensor, pv: torch.Tensor) -> torch.Tensor:
    """Closed-form KL(N(qm, qv) ‖ N(pm, pv)) of diagonal Gaussians, summed over the last axis."""
    return kl_normal_per_dimension(qm, qv, pm, pv).sum(-1)


def log_bernoulli_with_logits(x: torch.Tensor, logits: torch.Tensor) -> torch.Tensor:
    """log Bernoulli(x; sigmoid(logits)), summed over the last axis; stable for large |logits|.

    x broadcasts against logits, so one batch `(batch, 784)` scores k samples `(k, batch, 784)`.
    """
    logits, x = torch.broadcast_tensors(logits, x)
    return -F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(-1)


def log_mean_exp(x: torch.Tensor, dim: int) -> torch.Tensor:
    """log(mean(exp(x))) along `dim`, computed stably."""
    return torch.logsumexp(x, dim) - math.log(x.shape[dim])


def negative_iwae(log_px_z: torch.Tensor, log_q_minus_p: torch.Tensor) -> torch.Tensor:
    """Per-digit −log 1/k Σ_i p(x, z_i)/q(z_i|x) from importance terms `(k, batch)` → `(batch,)` (Burda et al. 2016)."""
    return -log_mean_exp(log_px_z - log_q_minus_p, dim=0)
