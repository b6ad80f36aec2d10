"""Semi-amortised inference (vae/refine.py) with the shipped course-size model on digits it never saw (font digits of
bench/heldout): the refined q(z|x) fits each digit better than the encoder's, and the model itself is left untouched."""
import pytest
import torch

from bench.heldout.dataset import DATA_FILE, load_heldout_digits
from vae.bounds import kl_normal, log_bernoulli_with_logits, sample_gaussian
from vae.model import VAE
from vae.refine import refine_posterior
from vae.registry import WEIGHTS_DIR

DIGITS = 40
ESTIMATE_DRAWS = 500


@pytest.fixture(scope="module")
def model() -> VAE:
    return VAE.from_pretrained(WEIGHTS_DIR / "vae-z10")


@pytest.fixture(scope="module")
def x() -> torch.Tensor:
    """Binary font digits `(DIGITS, 784)` from the held-out tuning half."""
    digits, _, _ = load_heldout_digits("tuning", DATA_FILE)
    return torch.from_numpy(digits[:DIGITS].reshape(DIGITS, -1) > 0.5).float()


@torch.no_grad()
def negative_elbo(model: VAE, x: torch.Tensor, mean: torch.Tensor, var: torch.Tensor) -> torch.Tensor:
    """Each row's negative ELBO `(batch,)` under q = N(mean, var), Rec estimated with ESTIMATE_DRAWS draws."""
    generator = torch.Generator().manual_seed(1)
    z = sample_gaussian(mean.expand(ESTIMATE_DRAWS, *mean.shape), var.expand(ESTIMATE_DRAWS, *var.shape), generator)
    rec = -log_bernoulli_with_logits(x, model.decode(z)).mean(0)
    return kl_normal(mean, var, model.prior_mean, model.prior_var) + rec


def test_refinement_lowers_each_digits_negative_elbo(model, x):
    encoded = negative_elbo(model, x, *refine_posterior(model, x, steps=0))
    refined = negative_elbo(model, x, *refine_posterior(model, x, generator=torch.Generator().manual_seed(0)))
    assert (refined < encoded).float().mean() >= 0.9
    assert (encoded - refined).mean() > 0.5  # nats: part of the amortisation gap (about 1 nat on these digits)


def test_no_steps_is_the_encoders_posterior(model, x):
    with torch.no_grad():
        mean, var = model.encode(x)
    refined_mean, refined_var = refine_posterior(model, x, steps=0)
    assert torch.equal(refined_mean, mean) and torch.equal(refined_var, var)


def test_refinement_is_reproducible_and_leaves_the_model_alone(model, x):
    before = {name: value.clone() for name, value in model.state_dict().items()}
    first, again = (refine_posterior(model, x[:4], steps=5, generator=torch.Generator().manual_seed(3)) for _ in "ab")
    assert all(torch.equal(a, b) for a, b in zip(first, again))
    assert all(torch.equal(value, before[name]) for name, value in model.state_dict().items())
    assert all(parameter.grad is None for parameter in model.parameters())
    assert first[1].min() > 0 and not first[0].requires_grad
