"""Digits drawn as pen strokes: two hand-made stroke templates per digit, drawn with random pen width and jitter.

A template is a list of strokes, each a polyline in a unit box (x right, y down, the digit spans y ∈ [0, 1]).
Variant 'a' and 'b' of a digit are different ways of writing it (a 4 open or closed, a 7 with or without a bar),
so that the set's two halves can be given different templates.
"""
import math

import numpy as np
from PIL import Image, ImageDraw

Stroke = list[tuple[float, float]]
DRAW_SIZE = 400
"""Pixels of the digit's height when drawn (before the canvas scales it): smooth enough for anti-aliasing."""
PEN_WIDTH = (0.06, 0.16)
"""Pen width range, as a fraction of the digit's height (MNIST strokes are about 0.1–0.15 of it)."""


def arc(cx: float, cy: float, rx: float, ry: float, start: float, end: float, n: int = 32) -> Stroke:
    """Points along an ellipse from angle start to end (degrees; 0 = right, 90 = down, so increasing is clockwise)."""
    angles = np.radians(np.linspace(start, end, n))
    return [(cx + rx * math.cos(a), cy + ry * math.sin(a)) for a in angles]


def figure_eight(n: int = 64) -> Stroke:
    """An 8 in one stroke: x = ½ + 0.3 sin 2t, y = ½ − ½ cos t, overlapping a little where it starts."""
    return [(0.5 + 0.3 * math.sin(2 * t), 0.5 - 0.5 * math.cos(t)) for t in np.linspace(0.15, 2 * math.pi + 0.3, n)]


TEMPLATES: dict[int, dict[str, list[Stroke]]] = {
    0: {"a": [arc(0.5, 0.5, 0.32, 0.5, -90, 275)],
        "b": [arc(0.5, 0.5, 0.24, 0.5, -60, 320)]},
    1: {"a": [[(0.5, 0.0), (0.48, 1.0)]],
        "b": [[(0.28, 0.22), (0.55, 0.0), (0.55, 1.0)], [(0.3, 1.0), (0.8, 1.0)]]},
    2: {"a": [arc(0.5, 0.3, 0.3, 0.3, 190, 400) + [(0.15, 1.0), (0.85, 1.0)]],
        "b": [arc(0.5, 0.28, 0.32, 0.28, 200, 390) + [(0.5, 0.72), (0.15, 1.0), (0.5, 0.93), (0.9, 1.0)]]},
    3: {"a": [arc(0.48, 0.26, 0.3, 0.24, 200, 450) + arc(0.48, 0.74, 0.33, 0.26, 270, 520)],
        "b": [[(0.2, 0.0), (0.8, 0.0), (0.42, 0.42)] + arc(0.48, 0.7, 0.33, 0.3, 250, 520)]},
    4: {"a": [[(0.2, 0.0), (0.15, 0.6), (0.85, 0.6)], [(0.7, 0.05), (0.7, 1.0)]],
        "b": [[(0.7, 1.0), (0.7, 0.0), (0.1, 0.68), (0.9, 0.68)]]},
    5: {"a": [[(0.8, 0.0), (0.3, 0.0), (0.25, 0.45)] + arc(0.48, 0.68, 0.32, 0.3, 225, 520)],
        "b": [[(0.3, 0.0), (0.25, 0.45)] + arc(0.48, 0.7, 0.34, 0.3, 230, 510), [(0.3, 0.0), (0.85, 0.02)]]},
    6: {"a": [[(0.75, 0.0), (0.5, 0.1), (0.3, 0.3), (0.2, 0.55), (0.2, 0.75)] + arc(0.48, 0.73, 0.28, 0.25, 180, -170)],
        "b": [[(0.7, 0.0), (0.25, 0.5)] + arc(0.48, 0.72, 0.28, 0.27, 200, -160)]},
    7: {"a": [[(0.1, 0.0), (0.9, 0.0), (0.4, 1.0)]],
        "b": [[(0.1, 0.05), (0.9, 0.0), (0.6, 0.45), (0.45, 1.0)], [(0.35, 0.5), (0.85, 0.48)]]},
    8: {"a": [figure_eight()],
        "b": [arc(0.5, 0.25, 0.22, 0.24, 0, 365), arc(0.5, 0.73, 0.28, 0.27, -90, 275)]},
    9: {"a": [arc(0.48, 0.3, 0.3, 0.28, 0, -360) + [(0.78, 0.3), (0.72, 1.0)]],
        "b": [arc(0.48, 0.3, 0.3, 0.28, 10, -350) + [(0.78, 0.35), (0.75, 0.75), (0.6, 0.97), (0.35, 0.95)]]},
}


def stroke_ink(strokes: list[Stroke], rng: np.random.Generator) -> np.ndarray:
    """The template drawn as ink `(h, w)` float32 in [0, 1]: a random pen width, each stroke shifted a little and
    bent by a smooth random wobble, round pen ends; the result is cropped to its ink."""
    pen = rng.uniform(*PEN_WIDTH) * DRAW_SIZE
    margin = pen + 0.2 * DRAW_SIZE
    image = Image.new("L", (round(DRAW_SIZE + 2 * margin), round(DRAW_SIZE + 2 * margin)))
    draw = ImageDraw.Draw(image)
    for stroke in strokes:
        points = wobbled(np.array(stroke), rng) * DRAW_SIZE + margin
        draw.line([tuple(p) for p in points], fill=255, width=round(pen), joint="curve")
        for x, y in (points[0], points[-1]):
            draw.ellipse((x - pen / 2, y - pen / 2, x + pen / 2, y + pen / 2), fill=255)
    return np.asarray(image.crop(image.getbbox()), dtype=np.float32) / 255


def wobbled(points: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Stroke points `(n, 2)` shifted by up to 3% and bent by a sine wobble of up to 2.5% of the height."""
    shift = rng.uniform(-0.03, 0.03, size=2)
    amplitude, phase, frequency = rng.uniform(0, 0.025, size=2), rng.uniform(0, 2 * math.pi, size=2), rng.uniform(1, 3)
    along = np.linspace(0, 1, len(points))[:, None]
    return points + shift + amplitude * np.sin(2 * math.pi * frequency * along + phase)
