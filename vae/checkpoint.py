"""Resumable training checkpoints as one safetensors file (no pickle), written atomically.

The file holds the model weights ("model.*"), Adam's moment tensors ("optimizer.<param>.<name>"),
the reparameterisation RNG ("rng", and "rng.cuda" or "rng.mps" when the model is on that device)
and, as JSON metadata, the optimizer's hyper-parameters and the caller's progress dict (iteration,
history, ...). A checkpoint continues on another device: tensors load onto map_location and the
optimizer keeps its own device-dependent settings; a bit-identical resume needs the same device.
"""
import json
import os
from pathlib import Path
from typing import Any

import safetensors.torch
import torch

CHECKPOINT_NAME = "checkpoint.safetensors"
OPTIMIZER_IMPLEMENTATION = ("foreach", "fused", "capturable", "differentiable")
"""Optimizer settings that follow the device (fused, capturable Adam on CUDA), not the checkpoint."""


def atomic_write(path: Path, write: Any) -> None:
    """Call write(tmp_path), fsync, then rename over path: readers see the old file or the new one, never half."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        write(tmp)
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def save_checkpoint(path: Path, model: torch.nn.Module, optimizer: torch.optim.Optimizer, progress: dict) -> None:
    """Atomically write model, optimizer, RNG state and the JSON-able progress dict to path.

    A torch.compile'd model is saved under its plain state-dict keys (no "_orig_mod." prefix).
    """
    model = uncompiled(model)
    optimizer_state = optimizer.state_dict()
    tensors = {f"model.{name}": t for name, t in model.state_dict().items()}
    for param_id, state in optimizer_state["state"].items():
        tensors.update({f"optimizer.{param_id}.{name}": t for name, t in state.items()})
    tensors["rng"] = torch.get_rng_state()
    device = next(model.parameters()).device
    if device.type != "cpu":
        tensors[f"rng.{device.type}"] = torch.get_device_module(device.type).get_rng_state(device)
    groups = [{key: value.item() if isinstance(value, torch.Tensor) else value for key, value in group.items()}
              for group in optimizer_state["param_groups"]]  # a tensor lr (CUDA) is saved as its number
    metadata = {"progress": json.dumps(progress), "param_groups": json.dumps(groups)}
    tensors = {name: t.detach().cpu().contiguous() for name, t in tensors.items()}
    atomic_write(path, lambda tmp: safetensors.torch.save_file(tensors, str(tmp), metadata=metadata))


def load_progress(path: Path) -> dict:
    """The progress dict saved in a checkpoint, without loading tensors (to check its config before restoring)."""
    with safetensors.safe_open(str(path), framework="pt") as f:
        return json.loads(f.metadata()["progress"])


def load_checkpoint(path: Path, model: torch.nn.Module, optimizer: torch.optim.Optimizer,
                    map_location: str | torch.device = "cpu") -> dict:
    """Restore model, optimizer and RNG state from path in place, its tensors read onto map_location;
    return the saved progress dict."""
    model = uncompiled(model)
    with safetensors.safe_open(str(path), framework="pt", device=str(map_location)) as f:
        metadata = f.metadata()
        tensors = {name: f.get_tensor(name) for name in f.keys()}
    model.load_state_dict({name[len("model."):]: t for name, t in tensors.items() if name.startswith("model.")})
    optimizer_state: dict[int, dict[str, torch.Tensor]] = {}
    for name, t in tensors.items():
        if name.startswith("optimizer."):
            _, param_id, key = name.split(".", 2)
            optimizer_state.setdefault(int(param_id), {})[key] = t
    groups = [on_this_device(saved, current)
              for saved, current in zip(json.loads(metadata["param_groups"]), optimizer.param_groups)]
    optimizer.load_state_dict({"state": optimizer_state, "param_groups": groups})
    torch.set_rng_state(tensors["rng"].cpu())
    device = next(model.parameters()).device
    if f"rng.{device.type}" in tensors:  # the device's own noise, restored only on the same kind of device
        torch.get_device_module(device.type).set_rng_state(tensors[f"rng.{device.type}"].cpu(), device)
    return json.loads(metadata["progress"])


def on_this_device(saved: dict, current: dict) -> dict:
    """A saved param group with the current optimizer's implementation settings and, when its lr is a
    tensor (as a CUDA graph needs), the saved rate as a tensor of the same kind and device."""
    group = {**saved, **{key: current[key] for key in OPTIMIZER_IMPLEMENTATION if key in current}}
    if isinstance(current["lr"], torch.Tensor):
        group["lr"] = current["lr"].new_tensor(saved["lr"])
    return group


def uncompiled(model: torch.nn.Module) -> torch.nn.Module:
    """The module a torch.compile wrapper holds (its state-dict keys carry no "_orig_mod." prefix), else model."""
    return getattr(model, "_orig_mod", model)
