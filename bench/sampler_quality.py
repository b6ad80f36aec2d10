"""How digit-like the app's samples are, judged by the MNIST classifier (bench/digit_classifier.py).

Sample grid, per model and sampling mode (the prior N(0, I), the learned latent distribution): the share of
samples the judge reads with p > 0.9 ("confident"), the share of each digit among all samples, and the mean pixel
distance of a sample to its nearest training digit beside that of real test digits (a sampler that copied training
digits would sit far below it). Generate a digit: per temperature, how often the judge reads the asked digit, and the
variety of the digit's samples (their mean pixel distance to one another).

    python bench/sampler_quality.py --data-dir ../shared/data [--samples 2000] [--models vae-z32 vae-z10]
"""
import argparse
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.digit_classifier import classify, load_classifier  # noqa: E402
from vae.data import load_mnist  # noqa: E402
from vae.inference import decode, generator  # noqa: E402
from vae.latent_stats import sample_class_latents  # noqa: E402
from vae.registry import load_registry  # noqa: E402

CONFIDENT = 0.9
TEMPERATURES = (0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
PER_DIGIT = 200


def nearest_distances(images: np.ndarray, references: torch.Tensor) -> np.ndarray:
    """L2 pixel distance `(n,)` of each image `(n, 28, 28)` to its nearest reference `(m, 784)`."""
    x = torch.from_numpy(images.reshape(len(images), -1)).float()
    return torch.cat([torch.cdist(chunk, references).min(1).values for chunk in x.split(500)]).numpy()


def spread(images: np.ndarray) -> float:
    """Mean L2 pixel distance between two different images of `(n, 28, 28)`: how varied they are."""
    x = torch.from_numpy(images.reshape(len(images), -1)).float()
    distances = torch.cdist(x, x)
    return float(distances.sum() / (len(x) * (len(x) - 1)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", required=True, help="folder holding MNIST/raw (nearest training digits)")
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--models", nargs="*", help="served models by name (default: all)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    registry, judge = load_registry(), load_classifier()
    train_images = load_mnist(args.data_dir, train=True, download=False)[0]
    test_images = load_mnist(args.data_dir, train=False, download=False)[0][:args.samples]
    real = nearest_distances(test_images.reshape(-1, 28, 28).numpy(), train_images).mean()
    print(f"real test digits: mean distance to the nearest training digit {real:.2f}\n")
    print("| model | sample z from | confident (p > 0.9) | rarest / commonest digit | nearest training digit |")
    print("|---|---|---:|---|---:|")
    generated = {}
    for name in args.models or registry.names:
        bundle = registry.get(name)
        sources = {"prior": lambda n, rng: bundle.model.sample_z(n, generator=rng)}
        if bundle.latent_mixture is not None:
            sources["learned"] = lambda n, rng: bundle.latent_mixture.sample(n, generator=rng)
        for source, draw in sources.items():
            images = decode(bundle.model, draw(args.samples, generator(args.seed)))
            labels, probabilities = classify(images, judge)
            shares = 100 * np.bincount(labels, minlength=10) / len(labels)
            print(f"| {name} | {source} | {100 * np.mean(probabilities.max(1) > CONFIDENT):.1f}% | "
                  f"{shares.argmin()}: {shares.min():.1f}% / {shares.argmax()}: {shares.max():.1f}% | "
                  f"{nearest_distances(images, train_images).mean():.2f} |")
        if bundle.class_stats is not None:
            generated[name] = bundle
    print("\nGenerate a digit: the asked digit read by the judge / variety (mean distance between two samples)\n")
    print("| model | " + " | ".join(f"T = {t:g}" for t in TEMPERATURES) + " |")
    print("|---|" + "---:|" * len(TEMPERATURES))
    for name, bundle in generated.items():
        cells = []
        for temperature in TEMPERATURES:
            right, variety = [], []
            for digit in range(10):
                z = sample_class_latents(bundle.class_stats, digit, PER_DIGIT, temperature, generator(args.seed + digit))
                images = decode(bundle.model, z)
                right.append(np.mean(classify(images, judge)[0] == digit))
                variety.append(spread(images))
            cells.append(f"{100 * np.mean(right):.1f}% / {np.mean(variety):.2f}")
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
