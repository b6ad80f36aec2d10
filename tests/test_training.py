"""The training step and its optimizer on the CPU, and the in-place learning rate that CUDA graphs need."""
import pytest
import torch

from vae.model import VAE
from vae.training import CudaGraphStep, make_optimizer, make_step, set_learning_rate

CPU = torch.device("cpu")


def test_the_cpu_step_is_one_eager_adam_step_returning_the_batch_figures():
    torch.manual_seed(0)
    model = VAE(z_dim=2, hidden_dims=[16])
    optimizer = make_optimizer(model, 1e-3, CPU)
    group = optimizer.param_groups[0]
    assert group["lr"] == 1e-3 and isinstance(group["lr"], float) and not group["fused"] and not group["capturable"]
    step = make_step(model, optimizer, bf16=False, device=CPU)
    assert not isinstance(step, CudaGraphStep)

    before = [p.detach().clone() for p in model.parameters()]
    stats = step(torch.bernoulli(torch.full((8, 784), 0.3)))
    assert stats.shape == (3,) and not stats.requires_grad
    assert stats[0].item() == pytest.approx((stats[1] + stats[2]).item())  # nelbo = kl + rec
    assert all(not torch.equal(b, p) for b, p in zip(before, model.parameters()))
    assert optimizer.state_dict()["state"][0]["step"].item() == 1


def test_a_tensor_learning_rate_is_filled_in_place_and_a_float_one_replaced():
    model = VAE(z_dim=2, hidden_dims=[16])
    rate = torch.tensor(1e-3)
    graph_safe = torch.optim.Adam(model.parameters(), lr=rate, fused=True)  # as on CUDA, where a graph reads rate
    set_learning_rate(graph_safe, 5e-4)
    assert graph_safe.param_groups[0]["lr"] is rate and rate.item() == pytest.approx(5e-4)
    plain = make_optimizer(model, 1e-3, CPU)
    set_learning_rate(plain, 5e-4)
    assert plain.param_groups[0]["lr"] == 5e-4
