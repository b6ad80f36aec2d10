"""Where a drawing sits in latent space, in plain words: the digit whose cluster it falls in, and whether it is
typical of real digits.

The likelihood alone cannot say that: VAEs give simple pictures high likelihood (Nalisnick et al., ICLR 2019;
a filled disc ranks among the test digits' likeliest half). So a drawing is typical when it passes two tests,
each measured against the test digits (test_latents.safetensors):
- near a digit: the squared Mahalanobis distance of its posterior mean to its digit's Gaussian (class_stats.json)
  is within MAX_DISTANCE_PERCENTILE of the test digits' own distances (discs, bars, squares and noise lie farther);
- not surprising: its IWAE NLL is within MAX_NLL_PERCENTILE of the test digits' NLLs (crossings and scribbles sit
  near digit clusters but cost far more nats than any real digit). A low NLL is never taken as evidence.
The two percentiles were chosen on the held-out tuning digits and a set of non-digit shapes (bench/typicality.py).
"""
from dataclasses import dataclass

import numpy as np

MAX_DISTANCE_PERCENTILE = 95.0
MAX_NLL_PERCENTILE = 99.5


@dataclass(frozen=True)
class LatentReading:
    """A drawing's place in latent space, against the test digits."""

    digit: int  # the digit whose Gaussian gives the posterior mean the highest density
    distance_percentile: float  # % of test digits lying nearer their own digit's Gaussian
    nll_percentile: float  # % of test digits with a lower NLL (less surprising to the model)
    near_a_digit: bool
    surprising: bool

    @property
    def typical(self) -> bool:
        return self.near_a_digit and not self.surprising


class DigitClusters:
    """The ten digit Gaussians of a model's latent space (class_stats.json) and the test digits measured by them."""

    def __init__(self, class_stats: dict, test_means: np.ndarray, test_nll: np.ndarray):
        classes = class_stats["classes"]
        self.digits = np.array(sorted(int(digit) for digit in classes))
        entries = [classes[str(digit)] for digit in self.digits]
        counts = np.array([entry["count"] for entry in entries], dtype=np.float64)
        self.means = np.array([entry["mean"] for entry in entries])  # (classes, z_dim)
        covariances = np.array([entry["cov"] for entry in entries]) + 1e-6 * np.eye(self.means.shape[1])
        self.precisions = np.linalg.inv(covariances)  # (classes, z_dim, z_dim)
        self.log_weights = np.log(counts / counts.sum()) - 0.5 * np.linalg.slogdet(covariances)[1]
        self.test_distances = np.sort(self.nearest(test_means)[1])
        self.test_nll = np.sort(np.asarray(test_nll, dtype=np.float64))

    def nearest(self, means: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For posterior means `(n, z_dim)`: the likeliest digit `(n,)` under the mixture of digit Gaussians, and the
        squared Mahalanobis distance to it `(n,)`."""
        offsets = np.asarray(means, dtype=np.float64)[:, None, :] - self.means  # (n, classes, z_dim)
        squared = np.einsum("ncz,czy,ncy->nc", offsets, self.precisions, offsets)
        best = np.argmax(self.log_weights - 0.5 * squared, axis=1)
        return self.digits[best], squared[np.arange(len(best)), best]

    def read(self, mean: np.ndarray, nll: float) -> LatentReading:
        """The reading of one drawing's posterior mean `(z_dim,)` and IWAE NLL."""
        (digit,), (distance,) = self.nearest(np.asarray(mean)[None])
        distance_percentile = _percentile_below(self.test_distances, distance)
        nll_percentile = _percentile_below(self.test_nll, nll)
        return LatentReading(int(digit), distance_percentile, nll_percentile,
                             near_a_digit=distance_percentile <= MAX_DISTANCE_PERCENTILE,
                             surprising=nll_percentile > MAX_NLL_PERCENTILE)


def _percentile_below(sorted_values: np.ndarray, value: float) -> float:
    """% of sorted_values `(n,)` below value."""
    return float(100 * np.searchsorted(sorted_values, value) / len(sorted_values))
