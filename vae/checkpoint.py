"""Resumable training checkpoints as one safetensors file (no pickle), written atomically.

The file holds the model weights ("model.*"), Adam's moment tensors ("optimizer.<param>.<name>"),
the reparameterisation RNG ("rng") and, as JSON metadata, the optimizer's hyper-parameters
and the caller's progress dict (iteration, history, ...).
"""
import json
import os
from pathlib import Path
from typing import Any

import safetensors.torch
import torch

CHECKPOINT_NAME = "checkpoint.safetensors"


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
    """Atomically write model, optimizer, RNG state and the JSON-able progress dict to path."""
    optimizer_state = optimizer.state_dict()
    tensors = {f"model.{name}": t for name, t in model.state_dict().items()}
    for param_id, state in optimizer_state["state"].items():
        tensors.update({f"optimizer.{param_id}.{name}": t for name, t in state.items()})
    tensors["rng"] = torch.get_rng_state()
    metadata = {
        "progress": json.dumps(progress),
        "param_groups": json.dumps(optimizer_state["param_groups"]),
    }
    tensors = {name: t.detach().contiguous() for name, t in tensors.items()}
    atomic_write(path, lambda tmp: safetensors.torch.save_file(tensors, str(tmp), metadata=metadata))


def load_progress(path: Path) -> dict:
    """The progress dict saved in a checkpoint, without loading tensors (to check its config before restoring)."""
    with safetensors.safe_open(str(path), framework="pt") as f:
        return json.loads(f.metadata()["progress"])


def load_checkpoint(path: Path, model: torch.nn.Module, optimizer: torch.optim.Optimizer) -> dict:
    """Restore model, optimizer and RNG state from path in place; return the saved progress dict."""
    with safetensors.safe_open(str(path), framework="pt") as f:
        metadata = f.metadata()
        tensors = {name: f.get_tensor(name) for name in f.keys()}
    model.load_state_dict({name[len("model."):]: t for name, t in tensors.items() if name.startswith("model.")})
    optimizer_state: dict[int, dict[str, torch.Tensor]] = {}
    for name, t in tensors.items():
        if name.startswith("optimizer."):
            _, param_id, key = name.split(".", 2)
            optimizer_state.setdefault(int(param_id), {})[key] = t
    optimizer.load_state_dict({"state": optimizer_state, "param_groups": json.loads(metadata["param_groups"])})
    torch.set_rng_state(tensors["rng"])
    return json.loads(metadata["progress"])
