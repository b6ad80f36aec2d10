"""The probability building blocks against torch.distributions and Monte Carlo estimates."""
import math

import torch
import torch.nn.functional as F

from vae.bounds import kl_normal, log_bernoulli_with_logits, log_mean_exp, log_normal, sample_gaussian

MONTE_CARLO_SAMPLES = 200_000


def gaussian_pair(generator: torch.Generator, shape: tuple[int, ...]) -> tuple[torch.Tensor, torch.Tensor]:
    """A random mean and a strictly positive variance of the given shape."""
    mean = torch.randn(shape, generator=generator, dtype=torch.float64)
    var = torch.rand(shape, generator=generator, dtype=torch.float64) * 2 + 0.1
    return mean, var


def test_kl_normal_matches_monte_carlo_estimate():
    generator = torch.Generator().manual_seed(0)
    qm, qv = gaussian_pair(generator, (3, 4))
    pm, pv = gaussian_pair(generator, (3, 4))
    z = qm + qv.sqrt() * torch.randn(MONTE_CARLO_SAMPLES, 3, 4, generator=generator, dtype=torch.float64)
    log_ratio = log_normal(z, qm, qv) - log_normal(z, pm, pv)  # (samples, 3)
    estimate, standard_error = log_ratio.mean(0), log_ratio.std(0) / math.sqrt(MONTE_CARLO_SAMPLES)
    closed_form = kl_normal(qm, qv, pm, pv)
    assert closed_form.shape == (3,)
    assert torch.all((closed_form - estimate).abs() < 5 * standard_error)


def test_kl_normal_matches_torch_distributions_and_is_zero_for_equal_gaussians():
    generator = torch.Generator().manual_seed(1)
    qm, qv = gaussian_pair(generator, (5, 6))
    pm, pv = gaussian_pair(generator, (5, 6))
    expected = torch.distributions.kl_divergence(
        torch.distributions.Normal(qm, qv.sqrt()), torch.distributions.Normal(pm, pv.sqrt())).sum(-1)
    torch.testing.assert_close(kl_normal(qm, qv, pm, pv), expected)
    torch.testing.assert_close(kl_normal(qm, qv, qm, qv), torch.zeros(5, dtype=torch.float64))


def test_log_normal_matches_torch_distributions():
    generator = torch.Generator().manual_seed(2)
    mean, var = gaussian_pair(generator, (7, 5))
    x = torch.randn(4, 7, 5, generator=generator, dtype=torch.float64)
    expected = torch.distributions.Normal(mean, var.sqrt()).log_prob(x).sum(-1)
    result = log_normal(x, mean, var)
    assert result.shape == (4, 7)
    torch.testing.assert_close(result, expected)


def test_log_bernoulli_with_logits_matches_torch_bce():
    generator = torch.Generator().manual_seed(3)
    logits = 4 * torch.randn(6, 784, generator=generator)
    x = torch.bernoulli(torch.full((6, 784), 0.3), generator=generator)
    expected = -F.binary_cross_entropy(torch.sigmoid(logits.double()), x.double(), reduction="none").sum(-1)
    result = log_bernoulli_with_logits(x, logits)
    assert result.shape == (6,)
    torch.testing.assert_close(result.double(), expected, rtol=1e-5, atol=1e-3)


def test_log_bernoulli_with_logits_is_stable_at_huge_logits():
    logits = torch.tensor([[1e4, -1e4, 1e4, -1e4]])
    right = torch.tensor([[1.0, 0.0, 1.0, 0.0]])
    wrong = 1 - right
    assert log_bernoulli_with_logits(right, logits).item() == 0.0
    torch.testing.assert_close(log_bernoulli_with_logits(wrong, logits), torch.tensor([-4e4]))


def test_log_bernoulli_with_logits_broadcasts_one_batch_against_k_samples():
    generator = torch.Generator().manual_seed(4)
    logits = torch.randn(3, 2, 784, generator=generator)  # (k, batch, 784)
    x = torch.bernoulli(torch.full((2, 784), 0.5), generator=generator)  # (batch, 784)
    result = log_bernoulli_with_logits(x, logits)
    assert result.shape == (3, 2)
    for i in range(3):
        torch.testing.assert_close(result[i], log_bernoulli_with_logits(x, logits[i]))


def test_sample_gaussian_has_the_right_moments_and_passes_gradients_to_mean_and_var():
    torch.manual_seed(5)
    mean = torch.tensor([1.0, -2.0], requires_grad=True)
    var = torch.tensor([0.5, 3.0], requires_grad=True)
    z = sample_gaussian(mean.expand(MONTE_CARLO_SAMPLES, 2), var.expand(MONTE_CARLO_SAMPLES, 2))
    torch.testing.assert_close(z.mean(0), mean.detach(), atol=0.02, rtol=0)
    torch.testing.assert_close(z.var(0), var.detach(), atol=0.05, rtol=0)
    z.pow(2).mean(0).sum().backward()  # E[z²] = mean² + var: d/dmean = 2·mean, d/dvar = 1
    torch.testing.assert_close(mean.grad, 2 * mean.detach(), atol=0.05, rtol=0)
    torch.testing.assert_close(var.grad, torch.ones(2), atol=0.05, rtol=0)


def test_log_mean_exp_is_stable_and_exact():
    x = torch.tensor([[1000.0, 1000.0], [1000.0, 1000.0 + math.log(3)]], dtype=torch.float64)
    torch.testing.assert_close(log_mean_exp(x, dim=0), torch.tensor([1000.0, 1000.0 + math.log(2)], dtype=torch.float64))
    small = torch.randn(5, 3, dtype=torch.float64)
    torch.testing.assert_close(log_mean_exp(small, dim=1), small.exp().mean(1).log())
