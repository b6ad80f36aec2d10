"""Tiny synthetic MNIST stand-ins written as IDX files in torchvision's layout, so no test needs the real data."""
import struct
from pathlib import Path

import numpy as np

IMAGE_SIDE = 28
IDX_UBYTE_IMAGES, IDX_UBYTE_LABELS = 0x0803, 0x0801
"""IDX magic numbers: unsigned bytes with 3 dimensions (images) or 1 dimension (labels)."""


def digit_like_images(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """n grey images `(n, 28, 28)` uint8 and labels `(n,)` uint8 cycling 0..9: one fixed blob
    pattern per class plus noise, so a VAE has structure to learn."""
    prototypes = np.random.default_rng(1234).random((10, IMAGE_SIDE, IMAGE_SIDE)) ** 4
    rng = np.random.default_rng(seed)
    labels = (np.arange(n) % 10).astype(np.uint8)
    images = np.clip(prototypes[labels] + 0.1 * rng.standard_normal((n, IMAGE_SIDE, IMAGE_SIDE)), 0, 1)
    return (images * 255).round().astype(np.uint8), labels


def write_idx(path: Path, magic: int, array: np.ndarray) -> None:
    """One IDX file: big-endian magic, one big-endian uint32 per dimension, then the raw bytes."""
    header = struct.pack(">I", magic) + b"".join(struct.pack(">I", size) for size in array.shape)
    path.write_bytes(header + array.astype(np.uint8).tobytes())


def write_tiny_mnist(root: Path, n_train: int = 200, n_test: int = 100) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Write <root>/MNIST/raw/{train,t10k}-{images-idx3,labels-idx1}-ubyte; return {split: (images, labels)}."""
    raw = Path(root) / "MNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    splits = {"train": digit_like_images(n_train, seed=1), "t10k": digit_like_images(n_test, seed=2)}
    for prefix, (images, labels) in splits.items():
        write_idx(raw / f"{prefix}-images-idx3-ubyte", IDX_UBYTE_IMAGES, images)
        write_idx(raw / f"{prefix}-labels-idx1-ubyte", IDX_UBYTE_LABELS, labels)
    return splits
