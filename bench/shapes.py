"""Pictures that are not digits, and two that are, drawn at canvas level as the pad would send them: the shapes a
typicality rule must flag (a filled disc, a dot, a filled square, a horizontal bar, a crossing X, a scribble, noise)
beside a vertical stroke (a 1) and a ring (a 0) that it must not.

Each shape has a canonical form (to tune on) and random variants: other sizes, positions and stroke widths.
"""
import numpy as np
from PIL import Image, ImageDraw

CANVAS = 280
NOT_DIGITS = ("disc", "dot", "filled square", "horizontal bar", "X", "scribble", "noise")
DIGITS = {"vertical stroke": 1, "ring": 0}
"""The digit shapes and the digit each is."""
SHAPES = NOT_DIGITS + tuple(DIGITS)


def draw_shape(shape: str, rng: np.random.Generator | None = None) -> np.ndarray:
    """Ink `(280, 280)` float32 in [0, 1] of shape: canonical without rng, a random variant with one."""
    size = 0.6 if rng is None else rng.uniform(0.3, 0.85)  # share of the canvas the shape spans
    width = 22 if rng is None else int(rng.integers(8, 34))  # pen width in canvas pixels
    half = size * CANVAS / 2
    cx, cy = (CANVAS / 2, CANVAS / 2) if rng is None else rng.uniform(half, CANVAS - half, 2)
    box = [cx - half, cy - half, cx + half, cy + half]
    image = Image.new("L", (CANVAS, CANVAS), 0)
    pen = ImageDraw.Draw(image)
    if shape == "disc":
        pen.ellipse(box, fill=255)
    elif shape == "dot":
        pen.ellipse([cx - width / 2, cy - width / 2, cx + width / 2, cy + width / 2], fill=255)
    elif shape == "filled square":
        pen.rectangle(box, fill=255)
    elif shape == "horizontal bar":
        pen.line([(box[0], cy), (box[2], cy)], fill=255, width=width)
    elif shape == "vertical stroke":
        pen.line([(cx, box[1]), (cx, box[3])], fill=255, width=width)
    elif shape == "ring":
        pen.ellipse([box[0] + half / 3, box[1], box[2] - half / 3, box[3]], outline=255, width=width)
    elif shape == "X":
        pen.line([(box[0], box[1]), (box[2], box[3])], fill=255, width=width)
        pen.line([(box[0], box[3]), (box[2], box[1])], fill=255, width=width)
    elif shape == "scribble":
        points = (rng or np.random.default_rng(0)).uniform(0, 1, (12, 2)) * (2 * half) + [box[0], box[1]]
        pen.line([tuple(p) for p in points], fill=255, width=width, joint="curve")
    elif shape == "noise":
        noise = (rng or np.random.default_rng(0)).random((CANVAS, CANVAS)) < 0.3
        return (noise * _inside(box)).astype(np.float32)
    else:
        raise ValueError(f"unknown shape {shape!r}; one of {SHAPES}")
    return np.asarray(image, dtype=np.float32) / 255


def _inside(box: list[float]) -> np.ndarray:
    """A `(280, 280)` mask of the pixels inside box (left, top, right, bottom)."""
    rows, columns = np.mgrid[:CANVAS, :CANVAS]
    return ((columns >= box[0]) & (columns < box[2]) & (rows >= box[1]) & (rows < box[3])).astype(np.float32)
