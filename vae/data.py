"""MNIST as whole tensors: loaded once, binarised dynamically for training, statically for test."""
from collections.abc import Iterator
from pathlib import Path

import torch
from torchvision.datasets import MNIST

FIXED_BINARIZATION_SEED = 0
"""Seed of the one fixed binarisation of the test set that every evaluation uses."""


class DatasetNotFoundError(RuntimeError):
    """MNIST is neither on disk nor downloadable; the message says where we looked and what to do."""


def load_mnist(data_dir: str | Path, train: bool, download: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """Images `(n, 784)` float32 in [0, 1] and labels `(n,)` int64, from torchvision's MNIST layout."""
    try:
        dataset = MNIST(root=str(data_dir), train=train, download=download)
    except (RuntimeError, OSError) as error:
        raw = Path(data_dir).resolve() / "MNIST" / "raw"
        # torchvision's own text spans lines and, without a download, suggests download=True: a code-level hint
        why = f"the download failed: {' '.join(str(error).split())}" if download else "downloads are off"
        raise DatasetNotFoundError(
            f"MNIST not found in {raw} (expected the *-ubyte files there) and {why}; pass --data-dir to the "
            "folder that holds MNIST/raw, e.g. --data-dir ../shared/data."
        ) from None
    images = dataset.data.reshape(len(dataset.data), -1).float().div_(255)
    return images, dataset.targets.long()


def binarize(images: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Binary pixels x ~ Bernoulli(grey level), so the Bernoulli decoder is a true likelihood."""
    return torch.bernoulli(images, generator=generator)


def fixed_binarization(images: torch.Tensor) -> torch.Tensor:
    """The one seeded binarisation (FIXED_BINARIZATION_SEED) that makes test figures comparable."""
    return binarize(images, torch.Generator().manual_seed(FIXED_BINARIZATION_SEED))


def training_batches(images: torch.Tensor, batch_size: int, seed: int, start: int = 0) -> Iterator[torch.Tensor]:
    """Endless freshly binarised, shuffled batches `(batch_size, 784)` from batch number `start` on.

    Each epoch is shuffled and binarised in one go, on the images' device, from a generator of that
    device seeded by (seed, epoch), so batch i depends only on (seed, i, device): a resumed run sees
    exactly the data it would have seen. The last partial batch of each epoch is dropped.
    """
    per_epoch = len(images) // batch_size
    epoch, skip = divmod(start, per_epoch)
    while True:
        generator = torch.Generator(images.device).manual_seed(seed * 1_000_000 + epoch)
        order = torch.randperm(len(images), generator=generator, device=images.device)
        epoch_images = binarize(images[order], generator)
        for index in range(skip, per_epoch):
            yield epoch_images[index * batch_size:(index + 1) * batch_size]
        epoch, skip = epoch + 1, 0
