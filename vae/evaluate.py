"""Test-set figures: the ELBO's terms and the IWAE-k estimate of −log p(x), in nats per digit."""
import torch
from tqdm.auto import tqdm

from vae.bounds import negative_iwae
from vae.model import VAE


@torch.no_grad()
def evaluate(model: VAE, x: torch.Tensor, iwae_k: int, batch_size: int = 500, seed: int = 0,
             progress: bool = True) -> tuple[dict[str, float], torch.Tensor]:
    """NELBO, KL, Rec and IWAE-k NLL of binary x `(n, 784)` (on the model's device), averaged over all n
    digits, and the per-digit IWAE-k NLL `(n,)` on the CPU (empty when iwae_k is 0).

    The sampling noise is seeded so that the same model and data give the same figures; the
    caller's RNG (a training run's noise) is left as it was, so evaluating never changes training.
    """
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        totals = {"nelbo": 0.0, "kl": 0.0, "rec": 0.0}
        per_digit_nll = []
        for batch in tqdm(x.split(batch_size), desc=f"evaluate (IWAE-{iwae_k})", leave=False, disable=not progress):
            for key, value in zip(totals, model.negative_elbo_bound(batch)):
                totals[key] += value.item() * len(batch)
            if iwae_k > 0:
                per_digit_nll.append(negative_iwae(*model.importance_terms(batch, iwae_k)))
        figures = {key: total / len(x) for key, total in totals.items()}
        nll = torch.cat(per_digit_nll).cpu() if per_digit_nll else torch.empty(0)
        figures["iwae_nll"] = nll.mean().item() if len(nll) else float("nan")
        return figures, nll
