"""Calibrate and test the typicality rule of vae/typicality.py: a drawing is typical when its posterior mean lies
within the test digits' p_d-th percentile of Mahalanobis distance to its digit's Gaussian and its IWAE NLL within
their p_n-th percentile.

Each (p_d, p_n) pair is scored on the held-out tuning digits (share called typical) and the canonical shapes of
bench/shapes.py (non-digits must be flagged, the stroke and the ring must stay typical). The chosen pair is then
tested on what it was not tuned on: random variants of every shape (other sizes, positions, pen widths) and the
reporting digits. Pictures go through the app's own preprocessing and reconstruction.

    python bench/typicality.py [--model vae-z32] [--variants 40]
"""
import argparse
import itertools
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.heldout.dataset import DATA_FILE, PAD_FILE, load_heldout  # noqa: E402
from bench.shapes import DIGITS, NOT_DIGITS, SHAPES, draw_shape  # noqa: E402
from vae import inference, studio  # noqa: E402
from vae.drawing import center_like_mnist  # noqa: E402
from vae.registry import load_registry  # noqa: E402
from vae.typicality import MAX_DISTANCE_PERCENTILE, MAX_NLL_PERCENTILE, DigitClusters  # noqa: E402
from vae.validation import InputError  # noqa: E402

DISTANCE_CHOICES = (95.0, 97.5, 99.0, 99.5, 99.9)
NLL_CHOICES = (99.0, 99.5, 99.9, 100.0)
REFUSED = (np.nan, np.nan)
"""The percentiles of a picture the preprocessing refuses (a dot): it never reaches the rule."""


def percentiles(model, clusters: DigitClusters, ink: np.ndarray) -> tuple[float, float]:
    """(distance percentile, NLL percentile) of one canvas ink `(H, W)` as the app reads it; REFUSED if refused."""
    try:
        digit = center_like_mnist(ink)
    except InputError:
        return REFUSED
    result = inference.reconstruct(model, digit)
    reading = clusters.read(result.posterior_mean, result.iwae_nll)
    return reading.distance_percentile, reading.nll_percentile


def typical(scores: np.ndarray, max_distance: float, max_nll: float) -> np.ndarray:
    """Which of the (distance, NLL) percentile pairs `(n, 2)` the rule calls typical (refused ones: False)."""
    return (scores[:, 0] <= max_distance) & (scores[:, 1] <= max_nll)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", help="a served model by name (default: the app's default)")
    parser.add_argument("--variants", type=int, default=40, help="random variants of each shape")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    registry = load_registry()
    bundle = registry.get(args.model or registry.default.name)
    clusters = studio.digit_clusters(bundle)  # the app's own

    def scored(inks) -> np.ndarray:
        return np.array([percentiles(bundle.model, clusters, ink) for ink in inks])

    tuning, reporting = (scored(np.concatenate([load_heldout(split, path)[0] for path in (DATA_FILE, PAD_FILE)]))
                         for split in ("tuning", "reporting"))
    canonical = {shape: scored([draw_shape(shape)]) for shape in SHAPES}
    rng = np.random.default_rng(args.seed)
    variants = {shape: scored([draw_shape(shape, rng) for _ in range(args.variants)]) for shape in SHAPES}

    print(f"model {bundle.name}; held-out tuning {len(tuning)}, reporting {len(reporting)} digits; "
          f"{args.variants} variants per shape\n")
    print("| p_d | p_n | tuning digits typical | canonical non-digits flagged | canonical 1 and 0 typical |")
    print("|---:|---:|---:|---:|---:|")
    for max_distance, max_nll in itertools.product(DISTANCE_CHOICES, NLL_CHOICES):
        flagged = sum(not typical(canonical[s], max_distance, max_nll)[0] for s in NOT_DIGITS)
        kept = sum(bool(typical(canonical[s], max_distance, max_nll)[0]) for s in DIGITS)
        chosen = " ← the app's" if (max_distance, max_nll) == (MAX_DISTANCE_PERCENTILE, MAX_NLL_PERCENTILE) else ""
        print(f"| {max_distance:g} | {max_nll:g} | {100 * typical(tuning, max_distance, max_nll).mean():.1f}% | "
              f"{flagged}/{len(NOT_DIGITS)} | {kept}/{len(DIGITS)} |{chosen}")

    print(f"\nThe app's rule (p_d {MAX_DISTANCE_PERCENTILE:g}, p_n {MAX_NLL_PERCENTILE:g}) on what it was not tuned "
          "on:\n")
    print("| pictures | n | refused by preprocessing | called typical | flagged not typical (by the NLL alone) | "
          "should be |")
    print("|---|---:|---:|---:|---:|---|")

    def row(name: str, scores: np.ndarray, should: str) -> None:
        refused = np.isnan(scores[:, 0])
        calls = typical(scores, MAX_DISTANCE_PERCENTILE, MAX_NLL_PERCENTILE)
        by_nll_alone = (~calls & ~refused & typical(scores, MAX_DISTANCE_PERCENTILE, np.inf)).sum()
        print(f"| {name} | {len(scores)} | {refused.sum()} | {calls.sum()} | {(~calls & ~refused).sum()} "
              f"({by_nll_alone}) | {should} |")

    for shape in SHAPES:
        row(f"{shape} (variants)", variants[shape], "typical" if shape in DIGITS else "flagged or refused")
    row("held-out digits, reporting half", reporting, "typical")
    row("held-out digits, tuning half", tuning, "typical")


if __name__ == "__main__":
    main()
