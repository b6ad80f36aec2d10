"""Refit what the app knows of a trained model's latent space, for model folders written before train.py fitted it:
the KL each latent dimension carries on the test set (metrics.json's test.kl_per_dimension) and the learned latent
distribution the sample grid can draw from (latent_mixture.safetensors).

    python fit_latents.py weights/vae-z10 weights/vae-z2 --data-dir ../shared/data
"""
import argparse
import json
import sys
from pathlib import Path

from vae.data import DatasetNotFoundError, fixed_binarization, load_mnist
from vae.latent_stats import kl_per_dimension, posterior_means
from vae.mixture import fit_mixture, save_mixture
from vae.model import VAE
from vae.report import METRICS_NAME


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folders", type=Path, nargs="+", help="model folders (config.json, model.safetensors, ...)")
    parser.add_argument("--data-dir", default="data", help="folder holding MNIST/raw")
    parser.add_argument("--no-download", action="store_true", help="fail instead of downloading a missing MNIST")
    parser.add_argument("--seed", type=int, default=0, help="seeds the mixture's held-out split and fit")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        train_images, train_labels = load_mnist(args.data_dir, train=True, download=not args.no_download)
        test_images, _ = load_mnist(args.data_dir, train=False, download=not args.no_download)
    except DatasetNotFoundError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    train_x, test_x = fixed_binarization(train_images), fixed_binarization(test_images)
    for folder in args.folders:
        model = VAE.from_pretrained(folder)
        metrics_file = folder / METRICS_NAME
        metrics = json.loads(metrics_file.read_text())
        metrics["test"]["kl_per_dimension"] = kl_per_dimension(model, test_x).tolist()
        metrics_file.write_text(json.dumps(metrics, indent=2))
        print(f"{folder}: KL per dimension {[round(kl, 2) for kl in metrics['test']['kl_per_dimension']]}")
        mixture = fit_mixture(posterior_means(model, train_x).numpy(), train_labels.numpy(), seed=args.seed)
        save_mixture(mixture, folder)
        print(f"{folder}: learned latent distribution {mixture.report}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
