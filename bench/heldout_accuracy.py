"""How well the judge (bench/digit_classifier.py) reads digits: MNIST test, and the held-out font and stroke digits
(bench/heldout/) after the app's preprocessing, each grey and binarised (x > 0.5), with the most-missed sources.

    python bench/heldout_accuracy.py [--data-dir ../shared/data]

MNIST is skipped when it is not in --data-dir.
"""
import argparse
import sys
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.digit_classifier import DigitClassifier, accuracy, classify, load_classifier  # noqa: E402
from bench.heldout.dataset import SPLITS, STROKES, load_heldout_digits  # noqa: E402
from vae.data import DatasetNotFoundError, load_mnist  # noqa: E402


def grey_and_binarised(model: DigitClassifier, digits: np.ndarray, labels: np.ndarray) -> str:
    """'grey 0.9912, binarised 0.9901': the accuracy on the digits as they are and thresholded at 0.5."""
    return f"grey {accuracy(digits, labels, model):.4f}, binarised {accuracy((digits > 0.5).astype(np.float32), labels, model):.4f}"


def main() -> None:
    """Print the accuracy on each set, and per held-out half the fonts' and strokes' share and the most-missed sources."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default="../shared/data", help="folder holding MNIST/raw")
    args = parser.parse_args()
    model = load_classifier()
    try:
        images, labels = load_mnist(args.data_dir, train=False, download=False)
        print(f"MNIST test ({len(labels)}): {grey_and_binarised(model, images.numpy(), labels.numpy())}")
    except DatasetNotFoundError:
        print(f"MNIST test: not found in {args.data_dir}, skipped")
    for split in SPLITS:
        digits, labels, sources = load_heldout_digits(split)
        strokes = np.char.startswith(sources.astype(str), STROKES)
        print(f"held-out {split} ({len(labels)}): {grey_and_binarised(model, digits, labels)}")
        for name, rows in (("fonts", ~strokes), ("strokes", strokes)):
            print(f"  {name} ({rows.sum()}): {grey_and_binarised(model, digits[rows], labels[rows])}")
        wrong = classify(digits, model)[0] != labels
        missed = Counter(f"{source} ({label})" for source, label in zip(sources[wrong], labels[wrong])).most_common(8)
        print("  most missed (grey): " + ", ".join(f"{name} ×{count}" for name, count in missed))


if __name__ == "__main__":
    main()
