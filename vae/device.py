"""Which device trains: `--device auto` picks CUDA, then Apple's MPS, then the CPU; an absent one is one sentence."""
import torch

DEVICE_CHOICES = ("auto", "cuda", "mps", "cpu")
"""The --device values; "auto" takes the first available of the others, in this order."""


class DeviceNotFoundError(RuntimeError):
    """The device asked for is absent here; the message says why and what to pass instead."""


def available(kind: str) -> bool:
    """Whether torch can train on this kind of device ("cuda", "mps" or "cpu") on this machine."""
    return {"cuda": torch.cuda.is_available, "mps": torch.backends.mps.is_available}.get(kind, lambda: True)()


def pick_device(choice: str) -> torch.device:
    """The device of a --device choice: "auto" is CUDA, else MPS, else the CPU; an absent one raises."""
    if choice == "auto":
        return torch.device(next(kind for kind in DEVICE_CHOICES[1:] if available(kind)))
    if not available(choice):
        raise DeviceNotFoundError(f"--device {choice} was asked for, but {absent_because(choice)}; "
                                  "pass --device auto (or cpu) to train on what this machine has.")
    return torch.device(choice)


def absent_because(kind: str) -> str:
    """Why torch cannot see a CUDA or MPS device here, as the end of a sentence."""
    if kind == "mps":
        return "this machine has no MPS (Apple-silicon GPU) backend"
    if torch.version.cuda is None:
        return f"torch {torch.__version__} was built without CUDA"
    return f"torch {torch.__version__} sees no CUDA GPU (check nvidia-smi and CUDA_VISIBLE_DEVICES)"


def device_name(device: torch.device) -> str:
    """What metrics.json records: "cpu", "mps" or the CUDA card's name (e.g. "NVIDIA H100 80GB HBM3")."""
    return torch.cuda.get_device_name(device) if device.type == "cuda" else device.type
