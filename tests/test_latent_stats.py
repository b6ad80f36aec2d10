"""What a model folder knows of its latent space: KL per dimension, dimensions listed by KL."""
import torch

from vae.bounds import kl_normal
from vae.latent_stats import kl_per_dimension, order_by_kl
from vae.model import VAE


def test_kl_per_dimension_sums_to_the_models_kl_and_ranks_the_dimensions():
    torch.manual_seed(0)
    model = VAE(z_dim=5, hidden_dims=[16]).eval()
    with torch.no_grad():
        model.encoder[-1].weight[:5] *= torch.tensor([0.0, 3.0, 0.1, 1.0, 0.0])[:, None]  # mean heads of 1 and 3 vary
    x = torch.bernoulli(torch.rand(300, 784))
    kl = kl_per_dimension(model, x, batch_size=64)
    mean, var = model.encode(x)
    assert kl.shape == (5,)
    torch.testing.assert_close(kl.sum(), kl_normal(mean, var, model.prior_mean, model.prior_var).mean().detach())
    assert torch.argmax(kl) == 1


def test_order_by_kl_lists_the_dimensions_by_decreasing_kl_and_keeps_the_model():
    torch.manual_seed(1)
    model = VAE(z_dim=6, hidden_dims=[16]).eval()
    x = torch.bernoulli(torch.rand(200, 784))
    before = kl_per_dimension(model, x)
    z = torch.randn(4, 6)
    logits = model.decode(z)
    kls = order_by_kl(model, x)
    after = kl_per_dimension(model, x)
    order = torch.argsort(before, descending=True, stable=True)
    assert kls == sorted(kls, reverse=True)
    torch.testing.assert_close(after, torch.tensor(kls))
    torch.testing.assert_close(model.decode(z[:, order]), logits)
