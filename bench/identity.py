"""Does a digit come back through the app as the digit it was? For each served model, the MNIST classifier's
accuracy on the app's 28×28 model inputs and on their reconstructions ("identity"), over digits that are not MNIST
(bench/heldout: font and stroke-template digits, and templates traced through the app's pad in a browser; tuning and
reporting halves) beside the MNIST test set.

The reconstruction is the app's: the binarised input's posterior mean, decoded to Bernoulli means; with
--refine-steps N, the mean of q(z|x) refined by N gradient steps on each digit (the Draw tab's "refine" box).

    python bench/identity.py --data-dir ../shared/data [--models vae-z32 vae-z10] [--mnist 10000]
                             [--refine-steps 0 50] [--refine-lr 0.02] [--splits tuning reporting]
"""
import argparse
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.digit_classifier import accuracy, load_classifier  # noqa: E402
from bench.heldout.dataset import DATA_FILE, PAD_FILE, SPLITS, load_heldout_digits  # noqa: E402
from vae.data import load_mnist  # noqa: E402
from vae.model import VAE  # noqa: E402
from vae.refine import REFINE_LR, refine_posterior  # noqa: E402
from vae.registry import load_registry  # noqa: E402


def reconstructions(model: VAE, digits: np.ndarray, refine_steps: int = 0, refine_lr: float = REFINE_LR) -> np.ndarray:
    """The app's reconstructions `(n, 28, 28)` of MNIST-style digits `(n, 28, 28)`: decode(mean of q(z | x > 0.5)),
    q refined by refine_steps gradient steps (seeded draws)."""
    x = torch.from_numpy(digits.reshape(len(digits), -1) > 0.5).float()
    seeded = torch.Generator().manual_seed(0)
    mean = torch.cat([refine_posterior(model, batch, refine_steps, refine_lr, generator=seeded)[0]
                      for batch in x.split(2000)])
    with torch.no_grad():
        return torch.sigmoid(model.decode(mean)).reshape(-1, 28, 28).numpy()


def digit_sets(data_dir: str | None, mnist_count: int, splits: list[str]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Name → (MNIST-style digits `(n, 28, 28)`, labels `(n,)`): the held-out halves, then MNIST's test set."""
    sets = {}
    for name, path in (("fonts and templates", DATA_FILE), ("drawn through the pad", PAD_FILE)):
        for split in splits:
            digits, labels, _ = load_heldout_digits(split, path)
            sets[f"{name}, {split}"] = (digits, labels)
    if data_dir:
        images, labels = load_mnist(data_dir, train=False, download=False)
        sets[f"MNIST test ({mnist_count})"] = (images[:mnist_count].reshape(-1, 28, 28).numpy(),
                                               labels[:mnist_count].numpy())
    return sets


def percent_read(images: np.ndarray, labels: np.ndarray, judge) -> float:
    """% of images the judge reads as their labels."""
    return 100 * accuracy(images, labels, judge)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", help="folder holding MNIST/raw (the MNIST column is left out without it)")
    parser.add_argument("--models", nargs="*", help="served models by name (default: all)")
    parser.add_argument("--mnist", type=int, default=10_000, help="MNIST test digits to score")
    parser.add_argument("--refine-steps", type=int, nargs="+", default=[0], help="one identity column per count")
    parser.add_argument("--refine-lr", type=float, default=REFINE_LR)
    parser.add_argument("--splits", nargs="+", default=list(SPLITS), choices=SPLITS)
    args = parser.parse_args()
    registry, judge = load_registry(), load_classifier()
    sets = digit_sets(args.data_dir, args.mnist, args.splits)
    columns = [f"identity, {steps} refinement steps" if steps else "reconstruction (identity)"
               for steps in args.refine_steps]
    print(f"| model | digits | n | input, grey | input, binarised | {' | '.join(columns)} |")
    print("|---|---|---:|---:|---:|" + "---:|" * len(columns))
    inputs = {set_name: (percent_read(digits, labels, judge), percent_read((digits > 0.5).astype(np.float32), labels,
                                                                         judge))
              for set_name, (digits, labels) in sets.items()}  # the same for every model
    for name in args.models or registry.names:
        model = registry.get(name).model
        for set_name, (digits, labels) in sets.items():
            grey, binary = inputs[set_name]
            identities = [percent_read(reconstructions(model, digits, steps, args.refine_lr), labels, judge)
                          for steps in args.refine_steps]
            print(f"| {name} | {set_name} | {len(labels)} | {grey:.1f}% | {binary:.1f}% | "
                  + " | ".join(f"**{identity:.1f}%**" for identity in identities) + " |", flush=True)


if __name__ == "__main__":
    main()
