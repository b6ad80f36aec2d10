"""Semi-amortised inference (Kim et al., ICML 2018; Krishnan et al., AISTATS 2018): a drawing's q(z|x) refined by a
few Adam steps on that drawing's own negative ELBO, starting from the encoder's answer.

The encoder learnt one mapping for all of MNIST; on a digit written elsewhere its guess can sit far from the best
Gaussian for it (the amortisation gap). The steps close part of that gap; the decoder is untouched.
"""
import torch

from vae.bounds import kl_normal, log_bernoulli_with_logits, sample_gaussian
from vae.model import VAE

REFINE_STEPS = 50
"""Adam steps the app takes when a person asks for refinement; with REFINE_LR, chosen on the held-out tuning half
(bench/identity.py --refine-steps): 20 to 100 steps and rates 0.02 to 0.1 all gave vae-z10 +2 points of identity."""
REFINE_LR = 0.02
REFINE_SAMPLES = 8
"""Reparameterised draws per step: the negative ELBO's Rec term averaged over them."""


def refine_posterior(model: VAE, x: torch.Tensor, steps: int = REFINE_STEPS, lr: float = REFINE_LR,
                     samples: int = REFINE_SAMPLES, generator: torch.Generator | None = None
                     ) -> tuple[torch.Tensor, torch.Tensor]:
    """q(z|x) for binary x `(batch, 784)` after `steps` Adam steps on each row's negative ELBO: mean and variance,
    both `(batch, z_dim)`, detached. Rows are refined independently (their losses add); steps=0 is the encoder's q."""
    with torch.no_grad():
        mean, var = model.encode(x)
    if steps == 0:
        return mean, var
    mean, log_var = mean.clone().requires_grad_(), var.log().requires_grad_()
    optimizer = torch.optim.Adam([mean, log_var], lr=lr)
    with torch.enable_grad():
        for _ in range(steps):
            var = log_var.exp()
            z = sample_gaussian(mean.expand(samples, *mean.shape), var.expand(samples, *var.shape), generator)
            rec = -log_bernoulli_with_logits(x, model.decode(z)).mean(0)  # (batch,)
            nelbo = kl_normal(mean, var, model.prior_mean, model.prior_var) + rec  # (batch,)
            # gradients for q's parameters only: the shared model's own .grad stays untouched
            mean.grad, log_var.grad = torch.autograd.grad(nelbo.sum(), [mean, log_var])
            optimizer.step()
    return mean.detach(), log_var.detach().exp()
