"""Checkpoints restore model, Adam and RNG exactly, and a failed write never damages the old one."""
import pytest
import safetensors.torch
import torch

from vae.checkpoint import CHECKPOINT_NAME, load_checkpoint, load_progress, save_checkpoint
from vae.model import VAE

CONFIG = {"z_dim": 2, "hidden_dims": [32]}


def trained_model_and_optimizer(steps: int, seed: int = 0) -> tuple[VAE, torch.optim.Adam]:
    """A small VAE and its Adam optimizer after `steps` updates on random binary data."""
    torch.manual_seed(seed)
    model = VAE(**CONFIG)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3, betas=(0.8, 0.95))
    for _ in range(steps):
        train_step(model, optimizer)
    return model, optimizer


def train_step(model: VAE, optimizer: torch.optim.Optimizer) -> None:
    """One Adam update on a fresh random binary batch drawn from the global RNG."""
    x = torch.bernoulli(torch.full((16, 784), 0.2))
    optimizer.zero_grad()
    model.negative_elbo_bound(x)[0].backward()
    optimizer.step()


def assert_same_tensors(first: dict, second: dict) -> None:
    assert first.keys() == second.keys()
    for name in first:
        assert torch.equal(first[name], second[name]), name


def test_load_restores_model_optimizer_rng_and_progress_exactly(tmp_path):
    model, optimizer = trained_model_and_optimizer(steps=3)
    progress = {"iteration": 3, "history": [{"iteration": 3, "nelbo": 543.2}], "config": model.config}
    save_checkpoint(tmp_path / CHECKPOINT_NAME, model, optimizer, progress)
    rng_at_save = torch.get_rng_state()
    torch.rand(10)  # move the RNG on, so restoring it is observable

    fresh_model, fresh_optimizer = trained_model_and_optimizer(steps=0, seed=1)
    assert load_progress(tmp_path / CHECKPOINT_NAME) == progress
    restored = load_checkpoint(tmp_path / CHECKPOINT_NAME, fresh_model, fresh_optimizer)

    assert restored == progress
    assert torch.equal(torch.get_rng_state(), rng_at_save)
    assert_same_tensors(fresh_model.state_dict(), model.state_dict())
    saved_state, restored_state = optimizer.state_dict(), fresh_optimizer.state_dict()
    assert saved_state["state"].keys() == restored_state["state"].keys()
    for param_id, state in saved_state["state"].items():
        assert_same_tensors(restored_state["state"][param_id], state)  # step, exp_avg, exp_avg_sq
    assert restored_state["state"][0]["step"].item() == 3
    assert restored_state["param_groups"][0]["lr"] == 3e-3
    assert tuple(restored_state["param_groups"][0]["betas"]) == (0.8, 0.95)


def test_training_continues_identically_after_a_save_and_load(tmp_path):
    model, optimizer = trained_model_and_optimizer(steps=2)
    save_checkpoint(tmp_path / CHECKPOINT_NAME, model, optimizer, {"iteration": 2})
    for _ in range(3):
        train_step(model, optimizer)

    resumed_model, resumed_optimizer = trained_model_and_optimizer(steps=0, seed=7)
    load_checkpoint(tmp_path / CHECKPOINT_NAME, resumed_model, resumed_optimizer)
    for _ in range(3):
        train_step(resumed_model, resumed_optimizer)
    assert_same_tensors(resumed_model.state_dict(), model.state_dict())


def test_a_failed_write_keeps_the_old_checkpoint_and_leaves_no_temp_file(tmp_path, monkeypatch):
    path = tmp_path / CHECKPOINT_NAME
    model, optimizer = trained_model_and_optimizer(steps=1)
    save_checkpoint(path, model, optimizer, {"iteration": 1})
    old_bytes = path.read_bytes()
    real_save_file = safetensors.torch.save_file

    def half_written_then_crash(tensors, filename, metadata=None):
        real_save_file(tensors, filename, metadata=metadata)
        with open(filename, "r+b") as f:
            f.truncate(100)
        raise OSError("disk full")

    monkeypatch.setattr(safetensors.torch, "save_file", half_written_then_crash)
    train_step(model, optimizer)
    with pytest.raises(OSError, match="disk full"):
        save_checkpoint(path, model, optimizer, {"iteration": 2})

    assert path.read_bytes() == old_bytes
    assert [p.name for p in tmp_path.iterdir()] == [CHECKPOINT_NAME]
    fresh_model, fresh_optimizer = trained_model_and_optimizer(steps=0, seed=1)
    assert load_checkpoint(path, fresh_model, fresh_optimizer) == {"iteration": 1}


def test_the_checkpoint_is_one_safetensors_file_without_pickle(tmp_path):
    model, optimizer = trained_model_and_optimizer(steps=1)
    save_checkpoint(tmp_path / CHECKPOINT_NAME, model, optimizer, {"iteration": 1})
    assert [p.name for p in tmp_path.iterdir()] == [CHECKPOINT_NAME]
    tensors = safetensors.torch.load_file(str(tmp_path / CHECKPOINT_NAME))
    assert any(name.startswith("model.") for name in tensors)
    assert any(name.startswith("optimizer.") for name in tensors)
    assert "rng" in tensors
