"""Matplotlib figures the app shows: a drawing's posterior per latent dimension, and the 2-D latent map.

Figures are built with matplotlib's object API (no pyplot state), so concurrent requests never share one.
"""
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Ellipse

from vae.limits import LATENT_SLIDER_RANGE

DIGIT_COLOURS = "tab10"
"""Colour map of the ten digit classes on the latent map."""
POINT_STYLE = {"marker": "*", "s": 320, "color": "crimson", "edgecolor": "white", "linewidth": 1.2, "zorder": 5}
DRAWING_STYLE = {"color": "black", "linewidth": 2.0, "zorder": 4}


def posterior_chart(mean: np.ndarray, std: np.ndarray) -> Figure:
    """Bars of the posterior mean `(z_dim,)` per latent dimension with ±1 std error bars `(z_dim,)`.

    The prior N(0, 1) is shaded behind, so dimensions the drawing uses stand out from the ones it ignores.
    """
    dims = np.arange(1, len(mean) + 1)
    fig = Figure(figsize=(6, 3), dpi=100, layout="constrained")
    ax = fig.subplots()
    ax.axhspan(-1, 1, color="0.92", zorder=0, label="prior ±1 std")
    ax.bar(dims, mean, yerr=std, capsize=4, color="tab:blue", ecolor="0.25", zorder=2, label="posterior mean ± std")
    ax.axhline(0, color="0.4", linewidth=0.8, zorder=1)
    ax.set(xlabel="latent dimension", ylabel="z", xticks=dims)
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=2, fontsize="small", frameon=False)
    return fig


def draw_manifold(ax: Axes, manifold_image: np.ndarray, extent: float) -> None:
    """The decoded manifold `(H, W)` behind the plot, spanning the latent square [-extent, extent]²."""
    ax.imshow(manifold_image, cmap="gray_r", extent=(-extent, extent, -extent, extent), alpha=0.35, zorder=0)


def draw_test_digits(ax: Axes, test_means: np.ndarray, test_labels: np.ndarray) -> tuple[list, list[str]]:
    """Test digits' posterior means `(n, 2)` as dots coloured by their label `(n,)`; the digits' legend entries."""
    scatter = ax.scatter(test_means[:, 0], test_means[:, 1], c=test_labels, cmap=DIGIT_COLOURS, vmin=-0.5,
                         vmax=9.5, s=4, alpha=0.6, linewidths=0, zorder=1)
    return scatter.legend_elements(num=list(range(10)), fmt="digit {x:.0f}")


def draw_posterior(ax: Axes, mean: np.ndarray, std: np.ndarray) -> None:
    """A drawing's posterior mean `(2,)` as a cross and its 1-σ ellipse (axes 2·std `(2,)`; q is diagonal)."""
    ax.add_patch(Ellipse(tuple(mean), width=2 * std[0], height=2 * std[1], fill=False, linestyle="--",
                         label="your drawing (1σ)", **DRAWING_STYLE))
    ax.plot(*mean, marker="x", markersize=10, markeredgewidth=2.5, **DRAWING_STYLE)


def latent_map(test_means: np.ndarray | None, test_labels: np.ndarray | None, manifold_image: np.ndarray | None = None,
               point: np.ndarray | None = None, drawing_mean: np.ndarray | None = None,
               drawing_std: np.ndarray | None = None, extent: float = LATENT_SLIDER_RANGE) -> Figure:
    """The 2-D latent plane: test posterior means `(n, 2)` coloured by digit `(n,)` over the decoded manifold,
    the current point `(2,)` and the drawing's posterior (mean and std, each `(2,)`), each drawn when given.
    """
    fig = Figure(figsize=(6.4, 5.2), dpi=100, layout="constrained")
    ax = fig.subplots()
    if manifold_image is not None:
        draw_manifold(ax, manifold_image, extent)
    digit_handles, digit_labels = [], []
    if test_means is not None and test_labels is not None:
        digit_handles, digit_labels = draw_test_digits(ax, test_means, test_labels)
    if drawing_mean is not None and drawing_std is not None:
        draw_posterior(ax, drawing_mean, drawing_std)
    if point is not None:
        ax.scatter(*point, label="decoded point", **POINT_STYLE)
    marker_handles, marker_labels = ax.get_legend_handles_labels()
    if digit_handles or marker_handles:
        fig.legend(digit_handles + marker_handles, digit_labels + marker_labels, loc="outside right upper",
                   fontsize="small", frameon=False)
    ax.set(xlim=(-extent, extent), ylim=(-extent, extent), xlabel="z₁", ylabel="z₂", aspect="equal",
           title="Latent plane: test digits' posterior means")
    return fig
