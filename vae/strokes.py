"""Stroke geometry on boolean ink masks `(h, w)`: how thick the ink is, its centre lines, and the strokes redrawn
at one width, so that a thin pen, a thick pen and a small digit all reach the model with MNIST's stroke width.

Centre lines are the Zhang–Suen skeleton (Zhang & Suen 1984, "A fast parallel algorithm for thinning digital
patterns", CACM 27(3)); thickness is counted in erosions, alternating the 4- and 8-neighbourhood (an octagonal
distance, close to the Euclidean one).
"""
import math

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

CROSS = [1, 3, 4, 5, 7]
"""Positions of the centre and its 4 neighbours among the 9 shifts of `_shifts`."""


def stroke_width(mask: np.ndarray, lines: np.ndarray) -> float:
    """Typical width in pixels of the ink's strokes: the median, along its centre lines `(h, w)`, of the largest disc
    that fits (a dot's diameter, a pen's width; a bold glyph's filled corner does not count for more than its length)."""
    return float(np.median(2 * _depth(mask)[lines] - 1)) if lines.any() else 0.0


def skeleton(mask: np.ndarray) -> np.ndarray:
    """The one-pixel centre lines `(h, w)` of the strokes (Zhang–Suen thinning: peel the border until stable)."""
    lines = mask.copy()
    changed = True
    while changed:
        changed = False
        for first_pass in (True, False):
            removable = lines & _peelable(lines, first_pass)
            if removable.any():
                lines &= ~removable
                changed = True
    return lines


def redraw(lines: np.ndarray, width: float) -> np.ndarray:
    """Centre lines `(h, w)` drawn as strokes width pixels wide (a disc of that diameter on each line pixel): float32
    in {0, 1}."""
    return _dilate(lines, (width - 1) / 2).astype(np.float32)


def _shifts(values: np.ndarray, fill) -> list[np.ndarray]:
    """The 9 copies of `(h, w)` shifted by (dy, dx) in {-1, 0, 1}², row by row, padded with fill."""
    padded = np.pad(values, 1, constant_values=fill)
    height, width = values.shape
    return [padded[1 + dy:1 + dy + height, 1 + dx:1 + dx + width] for dy in (-1, 0, 1) for dx in (-1, 0, 1)]


def _depth(mask: np.ndarray) -> np.ndarray:
    """Per pixel `(h, w)` int32: how many erosions it survives, plus one (0 off the ink, 1 on its border)."""
    depth = np.zeros(mask.shape, np.int32)
    remaining, step = mask, 0
    while remaining.any():
        depth += remaining
        shifted = _shifts(remaining, False)
        remaining = np.logical_and.reduce(shifted if step % 2 else [shifted[i] for i in CROSS])
        step += 1
    return depth


def _peelable(lines: np.ndarray, first_pass: bool) -> np.ndarray:
    """Zhang–Suen's test `(h, w)`: border pixels whose removal keeps the strokes connected and their ends in place."""
    shifted = _shifts(lines, False)
    # the 8 neighbours P2..P9, clockwise from north
    around = [shifted[i] for i in (1, 2, 5, 8, 7, 6, 3, 0)]
    count = np.sum(around, axis=0)
    crossings = np.sum([~around[i] & around[(i + 1) % 8] for i in range(8)], axis=0)
    north, east, south, west = around[0], around[2], around[4], around[6]
    if first_pass:
        side = ~(north & east & south) & ~(east & south & west)
    else:
        side = ~(north & east & west) & ~(north & south & west)
    return (count >= 2) & (count <= 6) & (crossings == 1) & side


def _dilate(mask: np.ndarray, radius: float) -> np.ndarray:
    """`(h, w)` grown by a disc of the radius (pixels)."""
    reach = math.floor(radius)
    if reach < 1:
        return mask
    dy, dx = np.mgrid[-reach:reach + 1, -reach:reach + 1]
    disc = dy ** 2 + dx ** 2 <= radius ** 2
    windows = sliding_window_view(np.pad(mask, reach), disc.shape)
    return windows[..., disc].any(-1)
