"""Test-set figures: the ELBO's terms and the IWAE-k estimate of −log p(x), in nats per digit."""
import torch
from tqdm.auto import tqdm

from vae.model import VAE


@torch.no_grad()
def evaluate(model: VAE, x: torch.Tensor, iwae_k: int, batch_size: int = 500, seed: int = 0,
             progress: bool = True) -> dict[str, float]:
    """NELBO, KL, Rec and IWAE-k NLL of binary x `(n, 784)`, averaged over all n digits.

    The sampling noise is seeded so that the same model and data give the same figures.
    """
    torch.manual_seed(seed)
    totals = {"nelbo": 0.0, "kl": 0.0, "rec": 0.0, "iwae_nll": 0.0}
    batches = x.split(batch_size)
    for batch in tqdm(batches, desc=f"evaluate (IWAE-{iwae_k})", leave=False, disable=not progress):
        nelbo, kl, rec = model.negative_elbo_bound(batch)
        niwae = model.negative_iwae_bound(batch, iwae_k)[0] if iwae_k > 0 else torch.tensor(float("nan"))
        for key, value in zip(totals, (nelbo, kl, rec, niwae)):
            totals[key] += value.item() * len(batch)
    return {key: total / len(x) for key, total in totals.items()}
