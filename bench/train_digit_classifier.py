"""Train the judge (bench/digit_classifier.py) on the MNIST training set, with augmentation that makes it read
digits drawn by people: small affine jitter (rotation, slant, scale, shift), strokes thickened or thinned by
fractional max/min filters, and pixels kept grey, thresholded or Bernoulli-sampled (the VAE's binarised view).

    python bench/train_digit_classifier.py --data-dir ../shared/data

Deterministic for a seed and thread count. Prints the MNIST test accuracy, grey and binarised (x > 0.5).
"""
import argparse
import math
import sys
import time
from pathlib import Path

import safetensors.torch
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.digit_classifier import WEIGHTS, DigitClassifier, accuracy  # noqa: E402
from vae.data import load_mnist  # noqa: E402

MAX_ROTATION = math.radians(12)
MAX_SHEAR = 0.3
"""Horizontal slant (x shift per unit of height) either way: people's digits lean."""
SCALE_RANGE = (0.8, 1.1)
MAX_ASPECT_CHANGE = 0.1
MAX_SHIFT = 2 / 14
"""Two pixels, in grid_sample's [-1, 1] coordinates of the 28-pixel field."""


def uniform(n: int, low: float, high: float, generator: torch.Generator) -> torch.Tensor:
    """n draws `(n,)` from U(low, high)."""
    return low + (high - low) * torch.rand(n, generator=generator)


def random_affine(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Digits `(batch, 1, 28, 28)` each rotated, slanted, scaled and shifted at random (bilinear)."""
    n = len(x)
    angle = uniform(n, -MAX_ROTATION, MAX_ROTATION, generator)
    shear = uniform(n, -MAX_SHEAR, MAX_SHEAR, generator)
    scale = uniform(n, *SCALE_RANGE, generator)
    aspect = uniform(n, 1 - MAX_ASPECT_CHANGE, 1 + MAX_ASPECT_CHANGE, generator)
    cos, sin = torch.cos(angle), torch.sin(angle)
    # theta maps output to input coordinates: (rotation · shear · diag(scale·aspect, scale))⁻¹ up to the shift
    forward = torch.stack([torch.stack([cos, -sin], -1), torch.stack([sin, cos], -1)], -2)
    forward = forward @ torch.stack([torch.stack([torch.ones(n), shear], -1),
                                     torch.stack([torch.zeros(n), torch.ones(n)], -1)], -2)
    forward = forward * torch.stack([scale * aspect, scale], -1)[:, None, :]
    shift = uniform(2 * n, -MAX_SHIFT, MAX_SHIFT, generator).reshape(n, 2, 1)
    theta = torch.cat([torch.linalg.inv(forward), shift], -1)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, align_corners=False)


def random_stroke_width(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Digits `(batch, 1, 28, 28)` with strokes thickened (a third), thinned (a sixth) or kept, by a fraction of a
    3×3 max (or min) filter: a whole pixel each side would double or erase MNIST's 2–3 pixel strokes."""
    n = len(x)
    choice = torch.rand(n, generator=generator)
    amount = torch.rand(n, generator=generator).reshape(n, 1, 1, 1)
    thick = F.max_pool2d(x, 3, stride=1, padding=1)
    thin = -F.max_pool2d(-x, 3, stride=1, padding=1)
    target = torch.where((choice < 1 / 3).reshape(n, 1, 1, 1), thick, x)
    target = torch.where((choice > 5 / 6).reshape(n, 1, 1, 1), thin, target)
    weight = torch.where((choice > 5 / 6).reshape(n, 1, 1, 1), 0.6 * amount, amount)
    return x + weight * (target - x)


def random_binarisation(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Digits `(batch, 1, 28, 28)` of which a third stay grey, a third are thresholded at 0.5, a third Bernoulli-sampled."""
    n = len(x)
    choice = torch.randint(3, (n, 1, 1, 1), generator=generator)
    sampled = torch.bernoulli(x.clamp(0, 1), generator=generator)
    return torch.where(choice == 0, x, torch.where(choice == 1, (x > 0.5).float(), sampled))


def augment(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """A randomly drawn-looking version `(batch, 1, 28, 28)` in [0, 1] of MNIST digits `(batch, 1, 28, 28)`."""
    x = random_stroke_width(random_affine(x, generator), generator)
    return random_binarisation(x.clamp(0, 1), generator)


def train(images: torch.Tensor, labels: torch.Tensor, epochs: int, batch_size: int, lr: float, seed: int) -> DigitClassifier:
    """The classifier trained on images `(n, 784)` and labels `(n,)`: Adam, cosine-decayed learning rate, augmented batches."""
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    model = DigitClassifier()
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    steps = epochs * (len(images) // batch_size)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr, total_steps=steps)
    images = images.reshape(-1, 1, 28, 28)
    start = time.perf_counter()
    for epoch in range(epochs):
        order = torch.randperm(len(images), generator=generator)
        model.train()
        for step in range(len(images) // batch_size):
            batch = order[step * batch_size:(step + 1) * batch_size]
            loss = F.cross_entropy(model(augment(images[batch], generator)), labels[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
        print(f"epoch {epoch + 1}/{epochs}: last loss {loss.item():.4f}, {time.perf_counter() - start:.0f} s", flush=True)
    return model.eval()


def main() -> None:
    """Train, print the MNIST test accuracy (grey and binarised), save the weights with the run's settings as metadata."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default="../shared/data", help="folder holding MNIST/raw")
    parser.add_argument("--out", default=str(WEIGHTS), help="safetensors file to write")
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.use_deterministic_algorithms(True)
    model = train(*load_mnist(args.data_dir, train=True, download=False), args.epochs, args.batch_size, args.lr, args.seed)
    test_images, test_labels = load_mnist(args.data_dir, train=False, download=False)
    accuracies = {name: accuracy(x, test_labels, model)
                  for name, x in (("grey", test_images), ("binarised", (test_images > 0.5).float()))}
    print(f"MNIST test accuracy: grey {accuracies['grey']:.4f}, binarised {accuracies['binarised']:.4f}")
    metadata = {**{k: str(v) for k, v in vars(args).items() if k not in ("data_dir", "out")},
                **{f"mnist_test_accuracy_{k}": f"{v:.4f}" for k, v in accuracies.items()}}
    safetensors.torch.save_model(model, args.out, metadata=metadata)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
