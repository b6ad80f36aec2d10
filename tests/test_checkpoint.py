"""Checkpoints restore model, Adam and RNG exactly, a failed write never damages the old one, and a checkpoint
moves between a compiled and a plain model, and between optimizer implementations (as between CPU and CUDA)."""
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
    assert "rng" in tensors and not any(name.startswith("rng.") for name in tensors)  # no device RNG on the CPU


def model_keys(tensors: dict) -> set[str]:
    return {name for name in tensors if name.startswith("model.")}


def test_a_compiled_models_checkpoint_has_plain_keys_and_loads_into_a_plain_model(tmp_path):
    model, optimizer = trained_model_and_optimizer(steps=2)
    compiled = torch.compile(model)  # compiles on its first call, which never comes: only the wrapper is needed
    assert all(key.startswith("_orig_mod.") for key in compiled.state_dict())
    save_checkpoint(tmp_path / CHECKPOINT_NAME, compiled, optimizer, {"iteration": 2})
    tensors = safetensors.torch.load_file(str(tmp_path / CHECKPOINT_NAME))
    assert model_keys(tensors) == {f"model.{key}" for key in VAE(**CONFIG).state_dict()}

    plain, plain_optimizer = trained_model_and_optimizer(steps=0, seed=1)
    load_checkpoint(tmp_path / CHECKPOINT_NAME, plain, plain_optimizer)
    assert_same_tensors(plain.state_dict(), model.state_dict())
    other, other_optimizer = trained_model_and_optimizer(steps=0, seed=2)
    load_checkpoint(tmp_path / CHECKPOINT_NAME, torch.compile(other), other_optimizer)
    assert_same_tensors(other.state_dict(), model.state_dict())

    compiled.save_pretrained(tmp_path / "published")  # model.safetensors: plain keys too
    published = safetensors.torch.load_file(str(tmp_path / "published" / "model.safetensors"))
    assert published.keys() == VAE(**CONFIG).state_dict().keys()


def test_load_reads_the_tensors_onto_map_location(tmp_path, monkeypatch):
    model, optimizer = trained_model_and_optimizer(steps=1)
    save_checkpoint(tmp_path / CHECKPOINT_NAME, model, optimizer, {"iteration": 1})
    asked = []
    real_safe_open = safetensors.safe_open

    def safe_open_on_cpu(path, framework, device="cpu"):  # records the device asked for; this machine has a CPU only
        asked.append(device)
        return real_safe_open(path, framework=framework, device="cpu")

    monkeypatch.setattr(safetensors, "safe_open", safe_open_on_cpu)
    fresh_model, fresh_optimizer = trained_model_and_optimizer(steps=0, seed=1)
    load_checkpoint(tmp_path / CHECKPOINT_NAME, fresh_model, fresh_optimizer, map_location=torch.device("cuda", 1))
    load_checkpoint(tmp_path / CHECKPOINT_NAME, fresh_model, fresh_optimizer)
    assert asked == ["cuda:1", "cpu"]
    assert_same_tensors(fresh_model.state_dict(), model.state_dict())


def test_a_checkpoint_continues_under_another_optimizer_implementation(tmp_path):
    """CPU training uses plain Adam with a float lr; CUDA uses fused, capturable Adam with an lr tensor that its
    graph reads in place. Each side keeps its own implementation and kind of lr; state and hyper-parameters move."""
    model, optimizer = trained_model_and_optimizer(steps=2)
    save_checkpoint(tmp_path / "plain.safetensors", model, optimizer, {"iteration": 2})

    fused_model, rate = VAE(**CONFIG), torch.tensor(1.0)
    fused = torch.optim.Adam(fused_model.parameters(), lr=rate, fused=True)
    load_checkpoint(tmp_path / "plain.safetensors", fused_model, fused)
    group = fused.param_groups[0]
    assert group["fused"] and isinstance(group["lr"], torch.Tensor) and group["lr"].item() == pytest.approx(3e-3)
    assert tuple(group["betas"]) == (0.8, 0.95) and fused.state_dict()["state"][0]["step"].item() == 2
    train_step(fused_model, fused)

    save_checkpoint(tmp_path / "fused.safetensors", fused_model, fused, {"iteration": 3})
    back_model, back = trained_model_and_optimizer(steps=0, seed=1)
    load_checkpoint(tmp_path / "fused.safetensors", back_model, back)
    group = back.param_groups[0]
    assert not group["fused"] and isinstance(group["lr"], float) and group["lr"] == pytest.approx(3e-3)
    assert back.state_dict()["state"][0]["step"].item() == 3
    assert_same_tensors(back_model.state_dict(), fused_model.state_dict())
    train_step(back_model, back)
